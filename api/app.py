"""The Litestar application factory of the operational API."""

import asyncio
import datetime as dt
import gc
import importlib.util
import logging
from pathlib import Path
from typing import Any

from litestar import Litestar, Router
from litestar.config.app import AppConfig
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins import InitPluginProtocol
from litestar.static_files import create_static_files_router

from api.domain.audit.controllers import AuditController
from api.domain.codes.controllers import CodeController, CodeLabelController, OrderController
from api.domain.codes.public_controllers import (
    CodeParseController,
    PublicCodesController,
    PublicVerificationController,
    verify_hot,
)
from api.domain.documents.controllers import DocumentController
from api.domain.identity.controllers import AuthController
from api.domain.participants.controllers import ApplicationController, ParticipantController
from api.domain.products.controllers import ProductController
from api.domain.reference.controllers import ReferenceController
from api.domain.service.controllers import RESPONSE_CACHE, health
from api.problems import EXCEPTION_HANDLERS, strict_body
from api.security.gateway import HotRoute, SecurityGateway
from api.security.guards import BEARER, access_guard, provide_request_context
from api.security.rate_limit import RateLimits
from api.security.signatures import SignatureVerifier
from api.security.verifier_factory import build_verifier, refresh_revocation_lists
from tanba.settings import Settings
from warehouse.database import Database, resolve_urls
from warehouse.roles import DatabaseUrls

SWAGGER_ASSETS = "/schema/assets"


def _swagger_ui_files() -> str:
    """Swagger UI's static files as swagger-ui-py ships them (found, not imported: its package imports web
    framework adapters we do not use)."""
    spec = importlib.util.find_spec("swagger_ui")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("swagger-ui-py is not installed")
    return str(Path(next(iter(spec.submodule_search_locations))) / "static")


class TanbaPlugin(InitPluginProtocol):
    """Wires routes, the database, security, errors and OpenAPI into the app."""

    def __init__(self, settings: Settings, urls: DatabaseUrls | None, verifier: SignatureVerifier | None) -> None:
        self.settings = settings
        self.urls = urls
        self.verifier = verifier
        self.holder: dict[str, Any] = {}
        self.rate_limits = RateLimits(settings.rate_limit_storage, {
            "login": settings.rate_limit_login_per_minute, "public": settings.rate_limit_public_per_minute,
        })

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        settings, holder = self.settings, self.holder

        async def on_startup(app: Litestar) -> None:
            urls = self.urls or resolve_urls(settings, start_embedded=False)
            holder["db"] = Database.for_role(urls, "api", pool_size=settings.api_db_pool_size)
            if self.verifier is None:
                holder["verifier"] = build_verifier(settings)
                holder["crl_task"] = asyncio.create_task(
                    refresh_revocation_lists(holder["verifier"], settings.crl_refresh_seconds))
            else:
                holder["verifier"] = self.verifier
            # What start-up built lives as long as the process: out of the collector's sight, so collections
            # stay short (default collection caused 35-50 ms p99 spikes under load).
            gc.collect()
            gc.freeze()
            gc.set_threshold(50_000, 20, 20)

        async def on_shutdown(app: Litestar) -> None:
            if "crl_task" in holder:
                holder["crl_task"].cancel()
            if "db" in holder:
                await holder["db"].async_dispose()

        login_limit, public_limit = self.rate_limits.middleware("login"), self.rate_limits.middleware("public")
        app_config.route_handlers += [
            health, ParticipantController, AuditController, ProductController, OrderController,
            CodeController, CodeLabelController, DocumentController,
            # Swagger UI's scripts and styles from the installed package, not a CDN: a closed network has none
            create_static_files_router(SWAGGER_ASSETS, directories=[_swagger_ui_files()], include_in_schema=False),
            Router("/", route_handlers=[AuthController, ApplicationController], middleware=[login_limit]),
            Router("/", route_handlers=[ReferenceController, PublicCodesController, CodeParseController,
                                         PublicVerificationController],
                   middleware=[public_limit]),
        ]
        app_config.dependencies.update({
            "db": Provide(lambda: holder["db"], sync_to_thread=False),
            "verifier": Provide(lambda: holder["verifier"], sync_to_thread=False),
            "settings": Provide(lambda: settings, sync_to_thread=False),
            "ctx": Provide(provide_request_context, sync_to_thread=False),
        })
        app_config.guards.append(access_guard)
        app_config.before_request = strict_body  # a JSON body object is read strictly: "10" is not a number
        app_config.response_cache_config = RESPONSE_CACHE  # /health's answer, the only cached route
        app_config.exception_handlers.update(EXCEPTION_HANDLERS)
        app_config.on_startup.append(on_startup)
        app_config.on_shutdown.append(on_shutdown)
        app_config.state.update({"default_language": settings.default_language,
                                 "max_request_bytes": settings.max_request_bytes})
        app_config.openapi_config = OpenAPIConfig(
            title="Tanba operational API",
            version="1.0.0",
            description="Marking and traceability of goods: reference data, participants, codes, documents. "
                        "Sign in with a qualified certificate (`/api/v1/auth/challenge`, `/api/v1/auth/token`) "
                        "and send `Authorization: Bearer <token>`. Errors are RFC 9457 problem details in kk, ru "
                        "or en (Accept-Language).",
            path="/schema",
            render_plugins=[SwaggerRenderPlugin(
                path="/swagger", js_url=f"{SWAGGER_ASSETS}/swagger-ui-bundle.js",
                css_url=f"{SWAGGER_ASSETS}/swagger-ui.css",
                standalone_preset_js_url=f"{SWAGGER_ASSETS}/swagger-ui-standalone-preset.js",
                favicon=f"<link rel='icon' type='image/png' href='{SWAGGER_ASSETS}/favicon-32x32.png'>")],
            components=Components(security_schemes={
                BEARER: SecurityScheme(type="http", scheme="bearer", description="Token from /api/v1/auth/token"),
            }),
        )
        return app_config


def create_app(
    settings: Settings, urls: DatabaseUrls | None = None, verifier: SignatureVerifier | None = None
) -> SecurityGateway:
    """The API as an ASGI app: the Litestar app behind the security gateway."""
    logging.getLogger("tanba").setLevel(logging.INFO)
    plugin = TanbaPlugin(settings, urls, verifier)
    app = Litestar(plugins=[plugin], debug=False, request_max_body_size=settings.max_request_bytes)
    return SecurityGateway(
        app, get_db=lambda: plugin.holder.get("db"), trusted_proxies=settings.trusted_proxies,
        idle_timeout=dt.timedelta(seconds=settings.token_idle_seconds), default_language=settings.default_language,
        litestar=app, rate_limits=plugin.rate_limits,
        hot_routes={"/api/v1/public/verify": HotRoute(verify_hot, rate_limit_group="public")},
        revoked=lambda serial: _certificate_revoked(plugin.holder.get("verifier"), serial),
    )


def _certificate_revoked(verifier: object, serial: str) -> bool:
    trust_store = getattr(verifier, "trust_store", None)  # a verifier without CRLs (tests may inject one)
    return trust_store is not None and bool(trust_store.serial_revoked(serial))

