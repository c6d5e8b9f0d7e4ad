"""The Litestar application factory."""

from __future__ import annotations

import gc
import re
from typing import Any

from litestar import Litestar, Router, get
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from pydantic import BaseModel

from api import db
from api.bodies import JsonTypedBodies
from api.controllers.accounts import AuthController, UserController
from api.controllers.finance import FinanceController
from api.controllers.finance_uploads import FinanceUploadController
from api.controllers.geography import GeographyController
from api.controllers.importing import ImportController
from api.controllers.labels import LabelController
from api.controllers.lifecycle import LifecycleController
from api.controllers.photos import PhotoController
from api.controllers.planning import PlanningController
from api.controllers.public_property import PublicPropertyController
from api.controllers.register import AssetController
from api.controllers.stocktakes import CoverageController, StocktakeController
from api.csrf import RefuseForeignOrigin
from api.errors import EXCEPTION_HANDLERS
from api.headers import add_security_headers, list_every_allowed_method
from api.input_guard import RefuseUnstorableText
from api.openapi import complete_openapi, parameter_bounds
from api.pages.common import PAGE_HANDLERS, TEMPLATE_CONFIG, page_aware
from api.pages.finance import FINANCE_PAGES
from api.pages.finance_contracts import FINANCE_CONTRACT_PAGES
from api.pages.finance_setup import FINANCE_SETUP_PAGES
from api.pages.finance_uploads import FINANCE_UPLOAD_PAGES
from api.pages.lifecycle import LIFECYCLE_PAGES
from api.pages.photos import PHOTO_PAGES
from api.pages.planning import PLANNING_PAGES
from api.pages.public_property import PUBLIC_PROPERTY_PAGES
from api.pages.register import REGISTER_PAGES
from api.pages.scan import SCAN_PAGE_HANDLERS
from api.query_guard import refuse_unknown_query_parameters
from api.security import PUBLIC, IdentifyCaller, role_guard
from api.settings import Settings, load
from api.weak_signal import TextCompression, static_url
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
        FinanceUploadController,
        *FINANCE_PAGES,
        *FINANCE_CONTRACT_PAGES,
        *FINANCE_UPLOAD_PAGES,
        *FINANCE_SETUP_PAGES,
        ImportController,
        *REGISTER_PAGES,
        *LIFECYCLE_PAGES,
        LabelController,
        LifecycleController,
        PhotoController,
        *PHOTO_PAGES,
        StocktakeController,
        CoverageController,
        *SCAN_PAGE_HANDLERS,
        PlanningController,
        *PLANNING_PAGES,
        PublicPropertyController,
        *PUBLIC_PROPERTY_PAGES,
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
        # What start-up built (modules, routes, schemas, templates: some 200,000 objects)
        # lives as long as the process. Frozen, the collector stops walking it on every full
        # collection, which cost the scan page about a third of its time.
        gc.collect()
        gc.freeze()

    async def on_shutdown(app: Litestar) -> None:
        await db.close_pool()

    app = Litestar(
        route_handlers=handlers,
        guards=[role_guard, refuse_unknown_query_parameters],
        plugins=[JsonTypedBodies()],
        before_send=[add_security_headers, list_every_allowed_method],
        middleware=[TextCompression(), RefuseForeignOrigin(), RefuseUnstorableText(), IdentifyCaller()],
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
            # Served from the app's own files (api/static/vendor/swagger-ui), not a CDN:
            # the documentation works on an isolated network.
            render_plugins=[
                SwaggerRenderPlugin(
                    path="/swagger",
                    js_url=static_url("vendor/swagger-ui/swagger-ui-bundle.js"),
                    css_url=static_url("vendor/swagger-ui/swagger-ui.css"),
                    standalone_preset_js_url=static_url("vendor/swagger-ui/swagger-ui-standalone-preset.js"),
                    favicon="<link rel='icon' href='data:,'>",
                )
            ],
        ),
        debug=False,
    )
    app.state.settings = settings
    _complete_openapi(app)
    return app


class _CompletedOpenAPIPlugin(OpenAPIPlugin):
    """Litestar's OpenAPI plugin serving the document completed by :func:`api.openapi.complete_openapi`,
    built on the first request for it (not at start-up: it takes a second)."""

    __slots__ = ()

    def provide_openapi_schema(self) -> dict[str, Any]:
        if not self._openapi_schema:
            handlers = [
                (re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path), h)  # /x/{id:int} is /x/{id} in the document
                for route in self.app.routes
                for h in getattr(route, "route_handlers", [])
            ]
            public = {(method, path) for path, h in handlers if h.opt.get("public") for method in h.http_methods}
            self._openapi_schema = complete_openapi(
                self.provide_openapi().to_schema(), public, parameter_bounds(handlers)
            )
        return self._openapi_schema


def _complete_openapi(app: Litestar) -> None:
    # Litestar always makes its own plugin; give that instance the completing behaviour.
    app.plugins.get(OpenAPIPlugin).__class__ = _CompletedOpenAPIPlugin
