"""The Litestar application factory of the operational API."""

import logging
import uuid
from typing import Any

from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import RedocRenderPlugin, SwaggerRenderPlugin
from litestar.plugins import InitPluginProtocol
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from api.domain.participants.controllers import ParticipantController
from api.domain.reference.controllers import ReferenceController
from api.domain.service.controllers import health
from api.i18n import negotiate
from api.problems import EXCEPTION_HANDLERS
from tanba.settings import Settings
from warehouse.database import Database, resolve_urls
from warehouse.roles import DatabaseUrls


def request_context_middleware(app: ASGIApp) -> ASGIApp:
    """Gives every request an id (kept from X-Request-Id when sane) and answers in its language."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if 0 < len(incoming) <= 64 and incoming.replace("-", "").isalnum() else str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = rid
        language = negotiate(headers.get(b"accept-language", b"").decode("latin-1") or None)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [(b"x-request-id", rid.encode()), (b"x-content-type-options", b"nosniff")]
                names = {k.lower() for k, _ in message.get("headers", [])}
                if b"content-language" not in names:
                    extra.append((b"content-language", language.encode()))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await app(scope, receive, send_with_headers)

    return middleware


class TanbaPlugin(InitPluginProtocol):
    """Wires routes, the database, errors and OpenAPI into the app."""

    def __init__(self, settings: Settings, urls: DatabaseUrls | None) -> None:
        self.settings = settings
        self.urls = urls

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        settings = self.settings
        state: dict[str, Any] = {"default_language": settings.default_language}
        holder: dict[str, Database] = {}

        def database() -> Database:
            return holder["db"]

        async def on_startup(app: Litestar) -> None:
            urls = self.urls or resolve_urls(settings, start_embedded=False)
            holder["db"] = Database.for_role(urls, "api", pool_size=settings.api_db_pool_size)

        async def on_shutdown(app: Litestar) -> None:
            if "db" in holder:
                await holder["db"].async_dispose()

        app_config.route_handlers += [health, ReferenceController, ParticipantController]
        app_config.dependencies["db"] = Provide(database, sync_to_thread=False)
        app_config.exception_handlers.update(EXCEPTION_HANDLERS)
        app_config.on_startup.append(on_startup)
        app_config.on_shutdown.append(on_shutdown)
        app_config.middleware.append(request_context_middleware)
        app_config.state.update(state)
        app_config.openapi_config = OpenAPIConfig(
            title="Tanba operational API",
            version="1.0.0",
            description="Marking and traceability of goods: reference data, participants, codes, documents. "
                        "Errors are RFC 9457 problem details in kk, ru or en (Accept-Language).",
            path="/schema",
            render_plugins=[SwaggerRenderPlugin(path="/swagger"), RedocRenderPlugin(path="/redoc")],
        )
        return app_config


def create_app(settings: Settings, urls: DatabaseUrls | None = None) -> Litestar:
    logging.getLogger("tanba").setLevel(logging.INFO)
    return Litestar(plugins=[TanbaPlugin(settings, urls)], debug=False)
