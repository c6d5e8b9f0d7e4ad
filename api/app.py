"""The Litestar application factory."""

from __future__ import annotations

from litestar import Litestar, Router, get
from litestar.openapi import OpenAPIConfig
from pydantic import BaseModel

from api import db
from api.controllers.accounts import AuthController, UserController
from api.controllers.finance import FinanceController
from api.controllers.geography import GeographyController
from api.controllers.importing import ImportController
from api.controllers.labels import LabelController
from api.controllers.planning import PlanningController
from api.controllers.register import AssetController
from api.controllers.stocktakes import CoverageController, StocktakeController
from api.errors import EXCEPTION_HANDLERS
from api.input_guard import RefuseUnstorableText
from api.pages.common import PAGE_HANDLERS, TEMPLATE_CONFIG, page_aware
from api.pages.finance import FINANCE_PAGES
from api.pages.planning import PLANNING_PAGES
from api.pages.register import REGISTER_PAGES
from api.pages.scan import SCAN_PAGE_HANDLERS
from api.security import PUBLIC, IdentifyCaller, role_guard
from api.settings import Settings, load
from procurement.accounts import users


class Health(BaseModel):
    status: str
    database: str


@get("/api/health", opt=PUBLIC, tags=["meta"])
async def health() -> Health:
    return Health(status="ok", database=type(db.engine()).__name__)


def route_handlers() -> list:
    return [
        health,
        AuthController,
        UserController,
        GeographyController,
        AssetController,
        *PAGE_HANDLERS,
        FinanceController,
        *FINANCE_PAGES,
        ImportController,
        *REGISTER_PAGES,
        LabelController,
        StocktakeController,
        CoverageController,
        *SCAN_PAGE_HANDLERS,
        PlanningController,
        *PLANNING_PAGES,
    ]


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or load()
    # A revocation in another server process reaches this one within this bound.
    users.TOKEN_CACHE_SECONDS = settings.token_cache_seconds
    handlers = route_handlers()
    if settings.bench_raw_routes:
        from tests.bench.routes import raw_lookup

        handlers.append(raw_lookup)

    async def on_startup(app: Litestar) -> None:
        await db.open_pool()

    async def on_shutdown(app: Litestar) -> None:
        await db.close_pool()

    app = Litestar(
        route_handlers=handlers,
        guards=[role_guard],
        middleware=[RefuseUnstorableText(), IdentifyCaller()],
        exception_handlers={error: page_aware(handler) for error, handler in EXCEPTION_HANDLERS.items()},
        template_config=TEMPLATE_CONFIG,
        on_startup=[on_startup],
        on_shutdown=[on_shutdown],
        request_max_body_size=settings.max_body_bytes,
        openapi_config=OpenAPIConfig(
            # The API's own description is public, like the API's log-in.
            openapi_router=Router(path="/schema", route_handlers=[], opt=PUBLIC, include_in_schema=False),
            title="Commune IT assets and procurement",
            version="0.1.0",
            description="Register of commune computers, printers and scanners; labels; budgets; reports.",
        ),
        debug=False,
    )
    app.state.settings = settings
    return app
