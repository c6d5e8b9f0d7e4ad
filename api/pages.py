"""Server-rendered pages for people: shared pieces (layout, log-in, redirects).

Pages use the same roles and commune scoping as the API: they call the same
use cases with ``request.user``. A page route sets ``opt`` with ``page=True``
so that "not logged in" sends the browser to the log-in page instead of
answering JSON.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlparse

from litestar import Request, Response, get, post
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotAuthorizedException, NotFoundException, PermissionDeniedException
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from api.security import ALL_ROLES, PUBLIC, SESSION_COOKIE
from procurement import accounts
from procurement.errors import DomainError
from procurement.money import format_vnd
from procurement.schemas import ACQUISITION_VI, CONDITION_VI, LOCATION_VI, ROLE_VI, STATUS_VI

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


def page(*roles: str) -> dict[str, Any]:
    """``opt`` for a page route: who may open it, and that it is a page."""
    return {"roles": roles or ALL_ROLES, "page": True}


PUBLIC_PAGE = {**PUBLIC, "page": True}


def _configure(engine: JinjaTemplateEngine) -> None:
    env = engine.engine
    env.filters["vnd"] = lambda v: "" if v is None else format_vnd(int(v))
    env.filters["status_vi"] = lambda v: STATUS_VI.get(str(v), v)
    env.filters["condition_vi"] = lambda v: CONDITION_VI.get(str(v), v)
    env.filters["location_vi"] = lambda v: LOCATION_VI.get(str(v), v)
    env.filters["acquisition_vi"] = lambda v: ACQUISITION_VI.get(str(v), v)
    env.filters["role_vi"] = lambda v: ROLE_VI.get(str(v), v)
    env.filters["date_vi"] = lambda d: d.strftime("%d/%m/%Y") if d else ""
    env.filters["datetime_vi"] = lambda d: d.strftime("%H:%M %d/%m/%Y") if d else ""


TEMPLATE_CONFIG = TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine, engine_callback=_configure)

static_router = create_static_files_router(path="/static", directories=[STATIC], opt=PUBLIC, include_in_schema=False)


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> Template:
    return Template(
        template_name=name,
        context={"user": request.scope.get("user"), "path": request.url.path, **context},
        status_code=status_code,
    )


def safe_next(target: str | None) -> str:
    """Only same-site paths: a log-in link must not bounce the user elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//") or urlparse(target).netloc:
        return "/"
    return target


def home_for(role: str) -> str:
    return {"finance": "/finance", "planner": "/planning"}.get(role, "/assets")


@get("/", opt=PUBLIC_PAGE, include_in_schema=False)
async def home(request: Request) -> Redirect:
    user = request.scope.get("user")
    return Redirect(home_for(user.role) if user else "/login")


@get("/login", opt=PUBLIC_PAGE, include_in_schema=False)
async def login_page(request: Request, next: FromQuery[str | None] = None) -> Template:
    return render(request, "login.html", next=safe_next(next), username="", error=None)


@post("/login", opt=PUBLIC_PAGE, include_in_schema=False, status_code=200)
async def login_submit(
    request: Request,
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Response | Template:
    username = (data.get("username") or "").strip()
    target = safe_next(data.get("next"))
    try:
        result = await accounts.login(username, data.get("password") or "", data.get("remember") == "on")
    except DomainError as error:
        return render(request, "login.html", status_code=error.status_code, next=target, username=username, error=error.message)
    response = Redirect(target if target != "/" else home_for(result.user.role))
    response.set_cookie(
        SESSION_COOKIE,
        result.token,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.secure_cookies,
        max_age=int((result.expires_at - accounts.now()).total_seconds()) if result.expires_at else None,
    )
    return response


@post("/logout", opt=page(), include_in_schema=False, status_code=303)
async def logout_submit(request: Request) -> Redirect:
    await accounts.logout(request.auth)
    response = Redirect("/login")
    response.delete_cookie(SESSION_COOKIE)
    return response


def _is_page(request: Request) -> bool:
    handler = request.scope.get("route_handler")
    return bool(handler and handler.opt.get("page"))


def page_aware(api_handler):
    """Wrap an API exception handler: pages get a redirect or an HTML message."""

    def handler(request: Request, error: Exception) -> Response:
        if not _is_page(request):
            return api_handler(request, error)
        if isinstance(error, NotAuthorizedException):
            return Redirect(f"/login?next={quote(request.url.path)}")
        status = getattr(error, "status_code", 500)
        if isinstance(error, (NotFoundException,)) or status == 404:
            message = "Không tìm thấy trang hoặc thiết bị này."
        elif isinstance(error, PermissionDeniedException) or status == 403:
            message = "Bạn không có quyền xem trang này."
        else:
            message = getattr(error, "message", None) or getattr(error, "detail", None) or "Đã có lỗi."
        return render(request, "error.html", status_code=status, message=message)

    return handler


PAGE_HANDLERS = [home, login_page, login_submit, logout_submit, static_router]

