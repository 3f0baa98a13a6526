"""Who may call which route. Every route is either on the one public list below or names its roles;
a route that does neither is refused (fail closed), and a test walks the OpenAPI document for it."""

from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi import ResponseSpec

from api.faults import Fault, Forbidden, Unauthorized
from api.problems import problem_responses
from api.security.context import RequestContext

# operation ids anyone may call without a token
PUBLIC_OPERATIONS = frozenset({
    "health",
    "listDirectories",
    "getDirectory",
    "getChallenge",
    "createToken",
    "submitParticipantApplication",
    "listPublicKeys",
    "parseCode",
    "verifyCode",
    "reportViolation",
})
BEARER = "BearerToken"


def guarded(*roles: str, also: tuple[int, ...] = (), retry: type | None = None,
            ok: ResponseSpec | None = None) -> dict[str, Any]:
    """Route options for a route limited to ``roles`` (the OpenAPI document shows the bearer scheme and the
    problems such a route answers; ``also``: the route's own, such as 404 or 409; ``retry``: the answer of
    a retried request that is answered 200 with what was stored the first time; ``ok``: the 200 answer of a
    route that is not JSON, whose media type the handler sets per request)."""
    return {"opt": {"roles": frozenset(roles)}, "security": [{BEARER: []}],
            "responses": problem_responses(401, 403, *also) | _retried(retry) | ({200: ok} if ok else {})}


def public(*, also: tuple[int, ...] = (), retry: type | None = None) -> dict[str, Any]:
    """Route options for a public route: rate-limited, and a token sent with it must be a valid one (401)."""
    return {"security": [], "responses": problem_responses(401, 429, *also) | _retried(retry)}


def _retried(answer: type | None) -> dict[int, ResponseSpec]:
    description = "A retry of a request already answered (the same id and content): the stored answer, unchanged"
    return {200: ResponseSpec(data_container=answer, description=description)} if answer else {}


def request_context(connection: ASGIConnection[Any, Any, Any, Any]) -> RequestContext:
    ctx = connection.scope.get("state", {}).get("ctx")
    if not isinstance(ctx, RequestContext):
        raise RuntimeError("the security gateway did not run for this request")
    return ctx


async def access_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Async on purpose: Litestar runs a sync guard in a worker thread, one thread hop per request."""
    path = connection.scope.get("path", "")
    if path.startswith("/schema"):  # the API documentation itself
        return
    operation_id = getattr(handler, "operation_id", None)
    if operation_id in PUBLIC_OPERATIONS or getattr(handler, "http_methods", None) == {"OPTIONS"}:
        return  # public, or the automatic OPTIONS answer that lists a route's methods
    ctx = request_context(connection)
    roles: frozenset[str] | None = handler.opt.get("roles")
    if not roles:
        raise Forbidden(Fault("auth.route_not_classified", params={"route": path}))
    if not ctx.principal.authenticated:
        raise Unauthorized(Fault(ctx.deny_reason or "auth.required"))
    if not roles & ctx.principal.roles:
        raise Forbidden(Fault("auth.role_required", params={"roles": ", ".join(sorted(roles))}))


def provide_request_context(request: Request[Any, Any, Any]) -> RequestContext:
    """Dependency ``ctx``: the request's context, set up by the security gateway."""
    return request_context(request)
