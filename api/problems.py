"""Every error leaves the API as an RFC 9457 problem in the caller's language, never as a stack trace."""

import logging
import re
import uuid
from typing import Any

import psycopg
from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotFoundException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import InterfaceError, OperationalError

from api.faults import Fault, TanbaError
from api.i18n import negotiate, translate

log = logging.getLogger("tanba.api")
PROBLEM_JSON = "application/problem+json"


def request_language(request: Request[Any, Any, Any]) -> str:
    return negotiate(request.headers.get("accept-language"), request.app.state.get("default_language", "ru"))


def request_id(request: Request[Any, Any, Any]) -> str:
    rid = request.scope.get("state", {}).get("request_id")
    return rid or request.headers.get("x-request-id") or str(uuid.uuid4())


def problem_document(
    status: int, title_code: str, faults: list[Fault], language: str, instance: str, request_id: str,
    title_params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The RFC 9457 body, in ``language``; shared by Litestar's handlers and the gateway's hot routes."""
    errors = [
        {"code": f.code, "path": f.path, "index": f.index, "message": translate(f.code, language, f.params)}
        for f in faults
    ]
    title = translate(title_code, language, title_params)
    return {
        "type": f"urn:tanba:problem:{title_code.removeprefix('error.').replace('_', '-')}",
        "title": title,
        "status": status,
        "detail": errors[0]["message"] if errors else title,
        "instance": instance,
        "request_id": request_id,
        "errors": errors,
    }


def problem(
    request: Request[Any, Any, Any], status: int, title_code: str, faults: list[Fault],
    title_params: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
) -> Response[dict[str, Any]]:
    language = request_language(request)
    body = problem_document(status, title_code, faults, language, request.url.path, request_id(request),
                            title_params)
    return Response(
        body, status_code=status, media_type=PROBLEM_JSON,
        headers={"Content-Language": language, **(headers or {})},
    )


def on_tanba_error(request: Request[Any, Any, Any], exc: TanbaError) -> Response[dict[str, Any]]:
    headers = {"WWW-Authenticate": 'Bearer realm="tanba"'} if exc.status_code == 401 else {}
    return problem(request, exc.status_code, exc.title_code, exc.faults, title_params=exc.title_params,
                   headers={**headers, **exc.headers} or None)


def _public_name(request: Request[Any, Any, Any], key: str) -> str:
    """The name a caller sent: a handler argument's query/header alias (``fmt`` is sent as ``format``)."""
    handler = request.scope.get("route_handler")
    parameter = getattr(getattr(handler, "parsed_fn_signature", None), "parameters", {}).get(key)
    definition = getattr(parameter, "kwarg_definition", None)
    return str(getattr(definition, "query", None) or getattr(definition, "header", None) or key)


def on_validation_error(request: Request[Any, Any, Any], exc: ValidationException) -> Response[dict[str, Any]]:
    faults = []
    extra = exc.extra if isinstance(exc.extra, list) else []
    for item in extra:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message") or "")
        key = _public_name(request, str(item.get("key") or "body"))
        code = "field.required" if "required" in message.lower() or "missing" in message.lower() else "field.invalid"
        faults.append(Fault(code, key, params={"field": key, "detail": message}))
    if not faults:
        detail = str(exc.detail or "")
        missing = re.search(r"Missing required (?:query|header|cookie|path) parameter '([^']+)'", detail)
        if missing:  # Litestar names a missing parameter only in its detail text
            return problem(request, 422, "error.invalid_input",
                           [Fault("field.required", missing.group(1), params={"field": missing.group(1)})])
        if "json" in detail.lower() or "decode" in detail.lower() or "malformed" in detail.lower():
            faults.append(Fault("body.malformed", "body"))
        else:
            faults.append(Fault("field.invalid", "body", params={"field": "body", "detail": detail}))
    return problem(request, 422 if extra else 400, "error.invalid_input", faults)


def on_http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    if isinstance(exc, NotFoundException):
        return problem(request, 404, "error.not_found",
                       [Fault("error.route_not_found", "path", params={"path": request.url.path})])
    if isinstance(exc, MethodNotAllowedException):
        return problem(request, 405, "error.method_not_allowed", [],
                       title_params={"method": request.method}, headers=exc.headers or None)
    status = exc.status_code
    if status == 429:
        reset = (exc.headers or {}).get("RateLimit-Reset", "60")
        return problem(request, 429, "error.too_many_requests", [], title_params={"seconds": reset},
                       headers={**(exc.headers or {}), "Retry-After": reset})
    if status == 413:
        limit = request.app.state.get("max_request_bytes", "?")
        return problem(request, 413, "error.too_large", [], title_params={"limit": limit})
    if status >= 500:
        return on_unexpected_error(request, exc)
    return problem(request, status, "error.bad_request", [], headers=exc.headers or None)


def on_unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    rid = request_id(request)
    log.error("unhandled error in %s %s (request %s)", request.method, request.url.path, rid, exc_info=exc)
    return problem(request, HTTP_500_INTERNAL_SERVER_ERROR, "error.internal", [], title_params={"request_id": rid})


def on_database_unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    log.error("database unavailable in %s %s: %s", request.method, request.url.path, exc.__class__.__name__)
    return problem(request, 503, "error.database_unavailable", [], headers={"Retry-After": "5"})


# What says the database cannot answer now, whichever driver layer raised it (a stuck batch times out).
DATABASE_UNAVAILABLE: tuple[type[Exception], ...] = (
    OperationalError, InterfaceError, psycopg.OperationalError, psycopg.InterfaceError, TimeoutError,
)

EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    **dict.fromkeys(DATABASE_UNAVAILABLE, on_database_unavailable),
    TanbaError: on_tanba_error,
    ValidationException: on_validation_error,
    HTTPException: on_http_error,
    Exception: on_unexpected_error,
}

__all__ = ["EXCEPTION_HANDLERS", "MediaType", "problem", "request_language"]
