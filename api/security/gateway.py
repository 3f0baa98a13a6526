"""The gateway every request passes first: request id, client address, bearer token → principal,
security headers, and the audit row of any request that did not write its own.

It wraps the whole Litestar app (outside routing), so unknown routes and refused requests are
audited too. The audit row of a request without a transaction of its own is written before the
response starts: a client never sees an answer whose audit row is missing.
"""

import datetime as dt
import hashlib
import ipaddress
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import msgspec
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from api.faults import Fault, TanbaError, Unauthorized
from api.i18n import negotiate
from api.problems import DATABASE_UNAVAILABLE, PROBLEM_JSON, problem_document
from api.security.context import ANONYMOUS, Principal, RequestContext, audit_outcome, new_request_id
from api.security.rate_limit import RateLimits
from warehouse.database import Database

log = logging.getLogger("tanba.security")

# Service endpoints that are not user actions: not audited (a load balancer polls /health every second).
UNAUDITED_PREFIXES = ("/health", "/schema")
# Where the API has routes; a request elsewhere finds none and is rate-limited as the public's.
ROUTED_PREFIXES = ("/api/", "/health", "/schema")
# where a stale token is ignored rather than refused: signing in again (a client may still send its old
# token), the health check and the API documentation
TOKEN_OPTIONAL_PREFIXES = ("/api/v1/auth/challenge", "/api/v1/auth/token", "/health", "/schema")

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"strict-transport-security", b"max-age=31536000; includeSubDomains"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
API_CSP = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
NO_STORE = (b"cache-control", b"no-store")


Networks = list[ipaddress.IPv4Network | ipaddress.IPv6Network]


def parse_networks(values: Iterable[str]) -> Networks:
    return [ipaddress.ip_network(v.strip(), strict=False) for v in values if v.strip()]


def _is_trusted(value: str | None, trusted: Networks) -> bool:
    if not value or not trusted:
        return False
    try:
        ip = ipaddress.ip_address(value)
    except ValueError:
        return False
    return any(ip in net for net in trusted)


def _peer(scope: Scope) -> str | None:
    peer = scope.get("client")
    return peer[0] if peer else None


def client_address(scope: Scope, headers: dict[bytes, bytes], trusted: Networks) -> str | None:
    """The socket peer, unless it is a trusted proxy: then the nearest untrusted X-Forwarded-For hop."""
    address = _peer(scope)
    if not _is_trusted(address, trusted):
        return address
    forwarded = headers.get(b"x-forwarded-for", b"").decode("latin-1")
    for hop in reversed([h.strip() for h in forwarded.split(",") if h.strip()]):
        if not _is_trusted(hop, trusted):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return address
    return address


def request_id_for(scope: Scope, headers: dict[bytes, bytes], trusted: Networks) -> str:
    """The request's id: the one a trusted proxy assigned (X-Request-Id, for tracing across hops), else a new
    one. A client's own id is not kept: the audit trail's request ids stay the server's, one per request."""
    incoming = headers.get(b"x-request-id")
    if incoming and _is_trusted(_peer(scope), trusted):
        value = incoming.decode("latin-1")
        if len(value) <= 64 and value.isascii() and value.replace("-", "").isalnum():
            return value
    return new_request_id()


def token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def principal_for_token(db: Database, token: str, idle_timeout: dt.timedelta,
                              revoked: Callable[[str], bool] | None = None) -> tuple[Principal, str | None]:
    """The session's principal, or anonymous with the reason the token is not accepted (one round trip).
    ``revoked`` tells whether a loaded CRL names the session's certificate serial."""
    row = await db.fetch_one(
        "SELECT id, owner_bin, person_iin, roles, expires_at, last_seen_at, revoked_at, now, certificate_serial "
        "FROM ops.session_for_token(%s, %s)", (token_hash(token), int(idle_timeout.total_seconds())),
    )
    if row is None:
        return ANONYMOUS, "auth.token_unknown"
    session_id, owner_bin, person_iin, roles, expires_at, last_seen_at, revoked_at, now, serial = row
    if revoked_at is not None:
        return ANONYMOUS, "auth.session_revoked"
    if revoked is not None and revoked(str(serial)):
        return ANONYMOUS, "auth.certificate_revoked"
    if expires_at <= now:  # type: ignore[operator]
        return ANONYMOUS, "auth.session_expired"
    if last_seen_at + idle_timeout <= now:  # type: ignore[operator]
        return ANONYMOUS, "auth.session_idle"
    return Principal(bin=str(owner_bin), iin=person_iin and str(person_iin),  # type: ignore[arg-type]
                     roles=frozenset(roles), session_id=session_id), None  # type: ignore[arg-type,call-overload]


@dataclass(frozen=True)
class HotRoute:
    """A public GET route the gateway answers itself, skipping Litestar's routing, dependency injection and
    serialization (a few times the throughput): only for routes with the public's volume (verification).
    A Litestar twin of the route documents it in OpenAPI and answers every other method. ``handler`` gets
    the context, the request headers, the raw query string and the language, and returns the JSON body or
    raises a TanbaError; the gateway adds the rate limit, the problem rendering and the audit fallback.
    """

    handler: Callable[[RequestContext, dict[bytes, bytes], str, str], Awaitable[bytes]]
    rate_limit_group: str = "public"


class SecurityGateway:
    """ASGI wrapper around the Litestar app; see the module docstring."""

    def __init__(self, app: ASGIApp, get_db: Any, trusted_proxies: list[str], idle_timeout: dt.timedelta,
                 default_language: str = "ru", litestar: Any = None, hot_routes: dict[str, HotRoute] | None = None,
                 rate_limits: RateLimits | None = None, revoked: Callable[[str], bool] | None = None) -> None:
        self.app = app
        self.revoked = revoked  # certificate serial → named by a loaded CRL
        self.hot_routes = hot_routes or {}
        self.rate_limits = rate_limits
        self.litestar = litestar  # the wrapped Litestar app, for introspection (OpenAPI, routes)
        self.get_db = get_db
        self.trusted = parse_networks(trusted_proxies)
        self.idle_timeout = idle_timeout
        self.default_language = default_language

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        head = scope.get("method") == "HEAD"
        if head:  # HEAD is GET without the body (RFC 9110 9.3.2): the routes answer GET, the body is dropped
            scope = {**scope, "method": "GET"}
        headers = dict(scope.get("headers", []))
        request_id = request_id_for(scope, headers, self.trusted)
        language = negotiate(headers.get(b"accept-language", b"").decode("latin-1") or None, self.default_language)
        path: str = scope.get("path", "")
        audited_path = not path.startswith(UNAUDITED_PREFIXES)
        db: Database | None = self.get_db()
        ctx = RequestContext(db=db, request_id=request_id,
                             client_ip=client_address(scope, headers, self.trusted),
                             method="HEAD" if head else scope.get("method", "GET"), path=path)
        scope.setdefault("state", {})["ctx"] = ctx
        scope["state"]["request_id"] = request_id

        authorization = headers.get(b"authorization", b"").decode("latin-1")
        if authorization and db is not None:
            await self._authenticate(ctx, db, authorization)

        state = {"started": False, "suppress": False}

        async def send_wrapper(message: Message) -> None:
            if state["suppress"]:
                return
            if message["type"] == "http.response.start":
                ctx.route = scope.get("path_template") or ctx.route
                if audited_path and db is not None and not ctx.audited:
                    try:
                        await audit_outcome(ctx, int(message["status"]))
                    except Exception:
                        log.exception("audit row could not be written (request %s)", request_id)
                        state["suppress"] = True
                        await self._audit_unavailable(send, request_id, language, path)
                        return
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(  # a route's own cache policy stands
                    h for h in _added_headers(ctx, language, b"content-language" not in names)
                    if h[0] != b"cache-control" or h[0] not in names)]
                state["started"] = True
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        if ctx.deny_reason not in (None, "auth.unavailable") and not path.startswith(TOKEN_OPTIONAL_PREFIXES):
            # a token that is not accepted is refused on public routes too (RFC 6750 3.1): an inspector whose
            # session ended learns it, instead of being answered and audited as the anonymous public
            # RFC 6750 3: error="invalid_token" for a bearer token not accepted, no error code for another scheme
            challenge = 'Bearer realm="tanba"' + ('' if ctx.deny_reason == "auth.scheme" else ', error="invalid_token"')
            refused = Unauthorized(Fault(str(ctx.deny_reason)), headers={"WWW-Authenticate": challenge})
            await _send_answer(send_wrapper, *_error_answer(refused, ctx, language))
            return
        hot = self.hot_routes.get(path) if scope.get("method") == "GET" and db is not None else None
        if hot is not None:
            await self._answer_hot(hot, scope, ctx, headers, language, send_wrapper, send, head)
        elif not path.startswith(ROUTED_PREFIXES) and self.rate_limits is not None:
            # no route lives here: such requests (scanners, floods of odd paths) count as the public's
            await self._answer_unrouted(scope, receive, ctx, language, send_wrapper)
        else:
            await self.app(scope, receive, send_wrapper)

    async def _answer_unrouted(self, scope: Scope, receive: Receive, ctx: RequestContext, language: str,
                               send: Send) -> None:
        try:
            await self.rate_limits.check("public", ctx.client_ip, "unrouted")  # type: ignore[union-attr]
        except TanbaError as exc:
            await _send_answer(send, *_error_answer(exc, ctx, language))
            return
        await self.app(scope, receive, send)

    async def _authenticate(self, ctx: RequestContext, db: Database, authorization: str) -> None:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            ctx.deny_reason = "auth.scheme"
            return
        try:
            ctx.principal, ctx.deny_reason = await principal_for_token(db, token.strip(), self.idle_timeout,
                                                                        self.revoked)
        except Exception:  # the database is unreachable: the request goes on as anonymous
            log.exception("session lookup failed (request %s)", ctx.request_id)
            ctx.deny_reason = "auth.unavailable"

    async def _answer_hot(self, hot: HotRoute, scope: Scope, ctx: RequestContext, headers: dict[bytes, bytes],
                          language: str, send: Send, raw_send: Send, head: bool) -> None:
        ctx.route = ctx.path
        try:
            if self.rate_limits is not None:
                await self.rate_limits.check(hot.rate_limit_group, ctx.client_ip, ctx.path)
            body = await hot.handler(ctx, headers, scope.get("query_string", b"").decode("latin-1"), language)
        except Exception as exc:
            await _send_answer(send, *_error_answer(exc, ctx, language))
            return
        if not ctx.audited:  # the handler wrote no audit row of its own: the wrapper writes it
            await _send_answer(send, 200, body, b"application/json", {})
            return
        # the answer send_wrapper would give, without passing through it (the public's volume passes here)
        await raw_send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
            *_added_headers(ctx, language, True),
        ]})
        await raw_send({"type": "http.response.body", "body": b"" if head else body, "more_body": False})

    @staticmethod
    async def _audit_unavailable(send: Send, request_id: str, language: str, path: str) -> None:
        """No answer without its audit row: when the row cannot be written, the caller gets 503."""
        body = msgspec.json.encode(
            problem_document(503, "error.database_unavailable", [], language, path, request_id))
        await _send_answer(send, 503, body, PROBLEM_JSON.encode(), {"Retry-After": "5"},
                           [(b"x-request-id", request_id.encode()), *SECURITY_HEADERS])


def _added_headers(ctx: RequestContext, language: str, with_language: bool) -> list[tuple[bytes, bytes]]:
    """What the gateway adds to every answer: request id, security headers, language, CSP, no-store."""
    added = [(b"x-request-id", ctx.request_id.encode()), *SECURITY_HEADERS]
    if with_language:
        added.append((b"content-language", language.encode()))
    if not ctx.path.startswith("/schema"):
        added.append(API_CSP)
    if ctx.principal.authenticated:
        added.append(NO_STORE)
    return added


def _error_answer(exc: Exception, ctx: RequestContext, language: str) -> tuple[int, bytes, bytes, dict[str, str]]:
    """Status, problem body, content type and headers of a refusal or failure the gateway answers itself,
    rendered exactly as Litestar's handlers render it (api.problems)."""
    extra: dict[str, str] = {}
    if isinstance(exc, TanbaError):
        status, title, faults, params, extra = (exc.status_code, exc.title_code, exc.faults, exc.title_params,
                                                exc.headers)
    elif isinstance(exc, DATABASE_UNAVAILABLE):
        log.error("database unavailable in %s %s: %s", ctx.method, ctx.path, exc.__class__.__name__)
        status, title, faults, params, extra = 503, "error.database_unavailable", [], None, {"Retry-After": "5"}
    else:
        log.error("unhandled error in %s %s (request %s)", ctx.method, ctx.path, ctx.request_id, exc_info=exc)
        status, title, faults, params = 500, "error.internal", [], {"request_id": ctx.request_id}
    body = msgspec.json.encode(problem_document(status, title, faults, language, ctx.path, ctx.request_id, params))
    return status, body, PROBLEM_JSON.encode(), extra


async def _send_answer(send: Send, status: int, body: bytes, content_type: bytes, headers: dict[str, str],
                       raw_headers: list[tuple[bytes, bytes]] | None = None) -> None:
    await send({"type": "http.response.start", "status": status, "headers": [
        (b"content-type", content_type), (b"content-length", str(len(body)).encode()),
        *((k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()), *(raw_headers or []),
    ]})
    await send({"type": "http.response.body", "body": body, "more_body": False})
