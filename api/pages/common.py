"""Server-rendered pages for people: shared pieces (layout, log-in, redirects).

Pages use the same roles and commune scoping as the API: they call the same
use cases with ``request.user``. A page route sets ``opt`` with ``page=True``
so that "not logged in" sends the browser to the log-in page instead of
answering JSON.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote, urlparse

from litestar import Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException, NotAuthorizedException, NotFoundException, PermissionDeniedException
from litestar.params import Body, FromQuery
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from api.errors import detail_vi, log
from api.security import ALL_ROLES, PUBLIC, SESSION_COOKIE, set_session_cookie
from api.weak_signal import VersionedStaticCache, static_url
from procurement.accounts import users
from procurement.core import vocabulary
from procurement.core.clock import to_vn
from procurement.core.errors import DomainError, TooManyAttempts
from procurement.core.money import format_vnd
from procurement.finance.packages import PackageStatus
from procurement.register.schemas import (
    ACQUISITION_VI,
    CONDITION_VI,
    EVENT_KIND_VI,
    FIELD_VI,
    LOCATION_VI,
    ROLE_VI,
    STATUS_VI,
)

API_DIR = Path(__file__).parent.parent  # templates/ and static/ sit beside the pages package
TEMPLATES = API_DIR / "templates"
STATIC = API_DIR / "static"


def page(*roles: str) -> dict[str, Any]:
    """``opt`` for a page route: who may open it, and that it is a page."""
    return {"roles": roles or ALL_ROLES, "page": True}


PUBLIC_PAGE = {**PUBLIC, "page": True}


def _moment(value: Any) -> dt.date | dt.datetime | None:
    """A date or a moment, also as the ISO text a history event stores."""
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value) if len(value) == 10 else dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    return value


def date_vi(value: Any) -> str:
    """dd/mm/yyyy; a stored moment (UTC) counts on Vietnam's calendar."""
    value = _moment(value)
    if not value:
        return ""
    if isinstance(value, dt.datetime):
        value = to_vn(value)
    return value.strftime("%d/%m/%Y")


def datetime_vi(value: Any) -> str:
    """HH:MM dd/mm/yyyy in Vietnam time (moments are stored in UTC)."""
    value = _moment(value)
    if not isinstance(value, dt.datetime):
        return date_vi(value)
    return to_vn(value).strftime("%H:%M %d/%m/%Y")


def decimal_vi(value: Any, places: int = 1) -> str:
    """A decimal comma: in Vietnamese "3.5" reads as thirty-five (the dot groups thousands)."""
    if value is None:
        return ""
    return f"{float(value):.{places}f}".replace(".", ",")


_ENUMS_VI = {"status": STATUS_VI, "condition": CONDITION_VI, "location": LOCATION_VI, "acquisition": ACQUISITION_VI}


def change_vi(value: Any, field: str, category_names: dict[str, str] | None = None) -> str:
    """One side of a history change, as a person reads it (not the stored code)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if field in _ENUMS_VI:
        return _ENUMS_VI[field].get(str(value), str(value))
    if field == "category" and category_names:
        return category_names.get(str(value), str(value))
    if field == "cost_vnd" and isinstance(value, int):
        return format_vnd(value)
    if field == "acquired_on":
        return date_vi(value) or str(value)
    if field == "last_audited_at":
        return datetime_vi(value) or str(value)
    return str(value)


def _configure(engine: JinjaTemplateEngine) -> None:
    env = engine.engine
    env.filters["vnd"] = lambda v: "" if v is None else format_vnd(int(v))
    env.filters["status_vi"] = lambda v: STATUS_VI.get(str(v), v)
    env.filters["condition_vi"] = lambda v: CONDITION_VI.get(str(v), v)
    env.filters["location_vi"] = lambda v: LOCATION_VI.get(str(v), v)
    env.filters["acquisition_vi"] = lambda v: ACQUISITION_VI.get(str(v), v)
    env.filters["role_vi"] = lambda v: ROLE_VI.get(str(v), v)
    env.filters["event_vi"] = lambda v: EVENT_KIND_VI.get(str(v), v)
    env.filters["field_vi"] = lambda v: FIELD_VI.get(str(v), v)
    env.filters["change_vi"] = change_vi
    env.globals["static"] = static_url
    # The one vocabulary: ``{{ code | vi("condition") }}``, or ``vocab.condition`` for a list of choices.
    env.globals["vocab"] = vocabulary.VOCABULARY
    env.filters["vi"] = lambda code, group: vocabulary.name(group, code)
    env.filters["date_vi"] = date_vi
    env.filters["datetime_vi"] = datetime_vi
    env.filters["decimal_vi"] = decimal_vi
    env.filters["package_status_vi"] = lambda v: (
        PackageStatus(v).label_vi if v in PackageStatus._value2member_map_ else v
    )


TEMPLATE_CONFIG = TemplateConfig(directory=TEMPLATES, engine=JinjaTemplateEngine, engine_callback=_configure)

static_router = create_static_files_router(
    path="/static", directories=[STATIC], opt=PUBLIC, include_in_schema=False, middleware=[VersionedStaticCache()]
)


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
    return {"finance": "/finance", "planner": "/planning", "accountant": "/public-property"}.get(role, "/assets")


@get("/", opt=PUBLIC_PAGE, include_in_schema=False)
async def home(request: Request) -> Redirect:
    user = request.scope.get("user")
    return Redirect(home_for(user.role) if user else "/login")


def remembers_phone(target: str) -> bool:
    """Log-ins on the way to a scanned label or a stocktake keep the phone for weeks:
    staff should not type a password at every scan."""
    return target.startswith(("/s/", "/S/", "/s?", "/stocktake"))


@get("/login", opt=PUBLIC_PAGE, include_in_schema=False)
async def login_page(request: Request, next: FromQuery[str | None] = None) -> Template:
    target = safe_next(next)
    return render(request, "login.html", next=target, username="", error=None, remember=remembers_phone(target))


@post("/login", opt=PUBLIC_PAGE, include_in_schema=False, status_code=200)
async def login_submit(
    request: Request,
    data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Response | Template:
    username = (data.get("username") or "").strip()
    target = safe_next(data.get("next"))
    try:
        address = request.client.host if request.client else None
        result = await users.login(username, data.get("password") or "", data.get("remember") == "on", address)
    except DomainError as error:
        page = render(
            request,
            "login.html",
            status_code=error.status_code,
            next=target,
            username=username,
            error=error.message,
            remember=data.get("remember") == "on",
        )
        if isinstance(error, TooManyAttempts):
            page.headers["Retry-After"] = str(error.retry_after_seconds)
        return page
    response = Redirect(target if target != "/" else home_for(result.user.role))
    set_session_cookie(response, request, result.token, result.expires_at)
    return response


@post("/logout", opt=page(), include_in_schema=False, status_code=303)
async def logout_submit(request: Request) -> Redirect:
    await users.logout(request.auth)
    response = Redirect("/login")
    response.delete_cookie(SESSION_COOKIE)
    return response


def _is_page(request: Request) -> bool:
    handler = request.scope.get("route_handler")
    if handler is not None:
        return bool(handler.opt.get("page"))
    # No route answered (a mistyped address, a wrong method): people get a page, scripts JSON.
    return not request.url.path.startswith(("/api/", "/schema"))


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
        elif isinstance(error, HTTPException):
            message = detail_vi(error)
        else:
            message = getattr(error, "message", None) or "Đã có lỗi."
        if status >= 500:
            log.exception("unhandled error on page %s %s", request.method, request.url.path, exc_info=error)
        return render(request, "error.html", status_code=status, message=message)

    return handler


PAGE_HANDLERS = [home, login_page, login_submit, logout_submit, static_router]
