"""OpenAPI details Litestar cannot infer: routes that answer in several formats."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, Schema

from procurement.core.xlsx import XLSX_MEDIA_TYPE as XLSX

__all__ = ["XLSX", "downloads"]
_FILE = Schema(type=OpenAPIType.STRING, format="binary")
_ROWS = Schema(type=OpenAPIType.ARRAY, items=Schema(type=OpenAPIType.OBJECT))


def downloads(*media_types: str, json_rows: bool = False) -> type[Operation]:
    """An operation whose 200 answer may be any of ``media_types`` (chosen by a
    ``format`` parameter): JSON as an array of row objects, the rest as files."""

    @dataclass
    class DownloadOperation(Operation):
        def __post_init__(self) -> None:
            ok = (self.responses or {}).get("200")
            if ok is None:
                return
            content = {media_type: OpenAPIMediaType(schema=_FILE) for media_type in media_types}
            if json_rows:
                content = {"application/json": OpenAPIMediaType(schema=_ROWS), **content}
            ok.content = content

    return DownloadOperation
