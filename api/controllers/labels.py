"""Labels: PDF sheets for a selection of assets, one label as PNG or SVG."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, JSONBody

from api.errors import error_responses
from api.security import roles
from labels.render import label_png, label_svg
from labels.tags import TagError, parse_tag
from procurement.core.errors import NotFound
from procurement.register import labelling

PRINTERS = roles("admin", "staff")


def _canonical(tag: str) -> str:
    try:
        return parse_tag(tag)
    except TagError as error:
        raise NotFound(error.message, field="tag") from None


def pdf_response(pdf: bytes, count: int, filename: str = "tem-tai-san.pdf") -> Response[bytes]:
    return Response(
        content=pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "X-Label-Count": str(count)},
    )


class LabelController(Controller):
    path = "/api/labels"
    tags = ["labels"]

    @post(
        "/sheet",
        opt=PRINTERS,
        status_code=200,
        media_type="application/pdf",
        responses=error_responses(400, 401, 403, 404, 422),
        description="A4 label sheets (PDF) for one asset, a list of tags, or a commune; records them as printed.",
    )
    async def sheet(self, request: Request, data: JSONBody[labelling.LabelSelection]) -> Response[bytes]:
        pdf, count = await labelling.print_sheet(request.user, data, request.app.state.settings.base_url)
        return pdf_response(pdf, count)

    @get("/{tag:str}/png", opt=PRINTERS, media_type="image/png", responses=error_responses(401, 403, 404))
    async def png(self, request: Request, tag: FromPath[str]) -> Response[bytes]:
        label = await labelling.one_label(request.user, _canonical(tag), request.app.state.settings.base_url)
        return Response(content=label_png(label.url, label.tag), media_type="image/png")

    @get("/{tag:str}/svg", opt=PRINTERS, media_type="image/svg+xml", responses=error_responses(401, 403, 404))
    async def svg(self, request: Request, tag: FromPath[str]) -> Response[bytes]:
        label = await labelling.one_label(request.user, _canonical(tag), request.app.state.settings.base_url)
        return Response(content=label_svg(label.url, label.tag).encode(), media_type="image/svg+xml")
