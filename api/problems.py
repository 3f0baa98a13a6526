"""Every error leaves the API as an RFC 9457 problem in the caller's language, never as a stack trace."""

import contextlib
import functools
import json
import logging
import math
import re
import types
import typing
import uuid
from collections.abc import Callable
from typing import Any

import msgspec
import psycopg
from litestar import MediaType, Request, Response
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotFoundException,
    ValidationException,
)
from litestar.openapi import ResponseSpec
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import DataError, InterfaceError, OperationalError

from api.faults import Fault, InvalidInput, TanbaError, UnsupportedMediaType
from api.i18n import negotiate, translate

log = logging.getLogger("tanba.api")
PROBLEM_JSON = "application/problem+json"


def request_language(request: Request[Any, Any, Any]) -> str:
    return negotiate(request.headers.get("accept-language"), request.app.state.get("default_language", "ru"))


def request_id(request: Request[Any, Any, Any]) -> str:
    rid = request.scope.get("state", {}).get("request_id")  # the gateway's (a client's own id is not kept)
    return rid or str(uuid.uuid4())


ECHO_LIMIT = 500  # caller text quoted back (an unknown name, a value, the path) is clipped to this


def _clip(value: Any) -> Any:
    return value[:ECHO_LIMIT - 1] + "…" if isinstance(value, str) and len(value) > ECHO_LIMIT else value


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _echoed(value: Any) -> Any:
    """A value a message quotes back: clipped, and a control character (NUL, GS …) named as U+XXXX rather
    than written raw into the text a person reads."""
    value = _clip(value)
    return _CONTROL.sub(lambda m: f"U+{ord(m.group()):04X}", value) if isinstance(value, str) else value


class ProblemError(msgspec.Struct):
    code: str  # the rule, language-neutral (gs1.check_digit, field.required …)
    path: str | None  # the field: body, code, packs.gtin, location.lat …; none for a refusal of the whole request
    index: int | None  # the element of a list the fault is in
    message: str  # the rule in the caller's language (kk, ru, en)


class Problem(msgspec.Struct):
    """An RFC 9457 problem document (``application/problem+json``), in the caller's language."""

    type: str  # urn:tanba:problem:invalid-input, …:unauthorized, …
    title: str
    status: int
    detail: str
    instance: str
    request_id: str  # also in X-Request-Id: quote it to the operator
    errors: list[ProblemError]


# what each status means on every route that may answer it (the route's own rules are in its description)
PROBLEM_STATUSES = {
    400: "The body cannot be read: empty, not JSON, not UTF-8, nested too deep, a number beyond a 64-bit float",
    401: "No valid token: missing where a role is needed, or sent and not accepted (ended, expired, unknown)",
    403: "The caller's roles do not include one the route needs",
    404: "Not found, or not the caller's (another participant's rows are invisible)",
    409: "A conflict with what is stored: the same id with other content, a key already taken",
    413: "The body is over the size limit (the connection closes)",
    415: "The body is declared as another media type than JSON: send Content-Type: application/json (or none)",
    422: "The input breaks a rule: every fault is named with its field, index and rule",
    429: "Too many requests from this client: wait for Retry-After seconds",
    503: "The database cannot answer now: retry after Retry-After seconds",
}


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """The OpenAPI responses of problem documents a route answers: ``statuses`` and those of every route."""
    return {status: ResponseSpec(data_container=Problem, description=PROBLEM_STATUSES[status],
                                 media_type=PROBLEM_JSON, generate_examples=False)
            for status in sorted({400, 415, 422, 503, *statuses})}


def problem_document(
    status: int, title_code: str, faults: list[Fault], language: str, instance: str, request_id: str,
    title_params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The RFC 9457 body, in ``language``; shared by Litestar's handlers and the gateway's hot routes."""
    errors = [
        {"code": f.code, "path": _clip(f.path), "index": f.index,
         "message": translate(f.code, language, {k: _echoed(v) for k, v in f.params.items()})}
        for f in faults
    ]
    title = translate(title_code, language, title_params)
    return {
        "type": f"urn:tanba:problem:{title_code.removeprefix('error.').replace('_', '-')}",
        "title": title,
        "status": status,
        "detail": errors[0]["message"] if errors else title,
        "instance": _clip(instance),
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


# msgspec's validation messages, which Litestar passes on in English: read into a rule and a field path.
_AT = r"(?: - at `\$(?P<at>[^`]*)`)?$"
_MSGSPEC_RULES = (
    (re.compile(r"Object missing required field `(?P<name>[^`]+)`" + _AT), "field.required"),
    (re.compile(r"Object contains unknown field `(?P<name>[^`]+)`" + _AT), "field.unknown"),
    (re.compile(r"Expected `(?P<expected>[^`]+)`, got `(?P<got>[^`]+)`" + _AT), "field.type"),
    (re.compile(r"Invalid enum value (?P<value>.+?)" + _AT), "field.choice"),
    (re.compile(r"Invalid UUID" + _AT), "field.uuid"),
    (re.compile(r"Expected `str` matching regex (?P<regex>.+?)" + _AT), "field.pattern"),
    (re.compile(r"Invalid RFC3339 encoded (?:datetime|date|time)" + _AT), "field.datetime"),
    (re.compile(r"Expected `(?P<expected>[^`]+)` (?P<op>>=|<=|>|<) (?P<limit>[-\d.e+]+)" + _AT), "field.bound"),
    (re.compile(r"Expected `(?P<expected>[^`]+)` of length (?P<op>>=|<=) (?P<limit>\d+)" + _AT), "field.length"),
)
_JSON_TYPES = {"str": "string", "int": "integer", "float": "number", "bool": "boolean", "object": "object",
               "array": "array", "null": "null", "uuid": "uuid", "datetime": "datetime", "date": "date"}


def _msgspec_fault(key: str, message: str) -> Fault | None:
    """A rule and the field's path (``location.lat``, ``packs[0].units``) from a msgspec message, if it is one."""
    for pattern, code in _MSGSPEC_RULES:
        match = pattern.match(message)
        if match is None:
            continue
        found = match.groupdict()
        path = (found.get("at") or "").lstrip(".")
        if found.get("name"):
            path = f"{path}.{found['name']}" if path else found["name"]
        if key not in ("data", "body"):  # a query, path or header parameter: its own name
            path = f"{key}{path and '.' + path}" if path and not path.startswith("[") else key + path
        path = path or ("body" if key == "data" else key)  # the handler's argument is the caller's body
        params: dict[str, Any] = {"field": path}
        if code == "field.type":
            params |= {"expected": _JSON_TYPES.get(found["expected"].split(" ")[0], found["expected"]),
                       "got": _JSON_TYPES.get(found["got"], found["got"])}
        if code == "field.choice":
            params["value"] = found["value"].strip("'\"")
        if code in ("field.bound", "field.length"):
            params |= {"op": found["op"], "limit": found["limit"]}
        return Fault(code, path, params=params)
    return None


def _body_parameter(request: Request[Any, Any, Any]) -> Any:
    """The handler's ``data`` parameter (what it reads the body into), or None for a route without a body."""
    handler = request.scope.get("route_handler")
    return getattr(getattr(handler, "parsed_fn_signature", None), "parameters", {}).get("data")


def _empty_body(request: Request[Any, Any, Any]) -> bool:
    """No body at all where the route takes one (the body Litestar read, else the declared length)."""
    if _body_parameter(request) is None:
        return False  # the route reads no body: a fault is in its path or query
    body = getattr(request, "_body", None)
    if isinstance(body, bytes):
        return not body.strip()
    return request.headers.get("content-length") == "0"


def _body_problem(request: Request[Any, Any, Any], detail: str) -> Response[dict[str, Any]] | None:
    """The body as a whole cannot be read: empty, not JSON, or a number JSON parsers cannot hold (1e400).
    Each is 400, whichever layer noticed it."""
    if _empty_body(request):
        return problem(request, 400, "error.invalid_input", [Fault("body.empty", "body")])
    body = getattr(request, "_body", None)
    if isinstance(body, bytes):
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as exc:  # JSON is UTF-8 (RFC 8259), wherever the stray byte is
            return on_undecodable_body(request, exc)
    if "Number out of range" in detail or "Integer value out of range" in detail:
        body, paths = getattr(request, "_body", None), []
        with contextlib.suppress(ValueError, RecursionError):
            # Python reads 1e400 as inf; an integer of hundreds of digits is marked so too
            paths = _paths_where(json.loads(body, parse_int=_int_or_inf), _infinite) if isinstance(body, bytes) else []
        return problem(request, 400, "error.invalid_input",
                       [Fault("body.number_range", path, params={"field": path}) for path in paths or ["body"]])
    return None


def _int_or_inf(digits: str) -> float | int:
    return int(digits) if len(digits) < 300 else math.inf


def _paths_where(value: Any, hit: Callable[[Any], bool], path: str = "") -> list[str]:
    """Where a JSON document holds a value (or an object a key) that ``hit`` picks, as field paths."""
    if isinstance(value, dict):
        found = [path or "body"] if any(hit(key) for key in value) else []
        return found + [p for key, item in value.items()
                        for p in _paths_where(item, hit, f"{path}.{key}" if path else str(key))]
    if isinstance(value, list):
        return [p for i, item in enumerate(value) for p in _paths_where(item, hit, f"{path}[{i}]")]
    return [path or "body"] if hit(value) else []


def _infinite(value: Any) -> bool:
    return isinstance(value, float) and math.isinf(value)


def _with_nul(value: Any) -> bool:
    return isinstance(value, str) and "\x00" in value


def _body_shape(request: Request[Any, Any, Any]) -> type[msgspec.Struct] | None:
    """The msgspec Struct a route reads its body into, if it reads one."""
    shape = getattr(_body_parameter(request), "annotation", None)
    return shape if isinstance(shape, type) and issubclass(shape, msgspec.Struct) else None


def field_faults(shape: type[msgspec.Struct], document: dict[str, Any], prefix: str = "") -> list[Fault]:
    """Every field of ``document`` that ``shape`` refuses, read strictly (a string is not a number), in
    nested objects and in each element of a list of objects too."""
    fields = {f.encode_name: f for f in msgspec.structs.fields(shape)}
    faults = [Fault("field.unknown", prefix + key, params={"field": prefix + key})
              for key in document if key not in fields and shape.__struct_config__.forbid_unknown_fields]
    for name, field in fields.items():
        path = prefix + name
        if name not in document:
            if field.required:
                faults.append(Fault("field.required", path, params={"field": path}))
            continue
        value, inner = document[name], _struct_of(field.type)
        if inner is not None and isinstance(value, dict):
            faults += field_faults(inner, value, path + ".")
            continue
        element = _struct_of(typing.get_args(field.type)[0]) if typing.get_origin(field.type) is list else None
        if element is not None and isinstance(value, list) and all(isinstance(v, dict) for v in value):
            for index, item in enumerate(value):
                faults += field_faults(element, item, f"{path}[{index}].")
            continue
        try:
            msgspec.convert(value, field.type, strict=True)
        except msgspec.ValidationError as exc:
            message, _, at = str(exc).partition(" - at `$")
            fault = _msgspec_fault("data", f"{message} - at `$.{path}{at.rstrip('`')}`")
            faults += [fault] if fault else []
    return faults


class DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` of ``json.loads``: a key given twice raises DuplicateKey (which one was meant?)."""
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise DuplicateKey(key)
        seen[key] = value
    return seen


def _struct_of(annotation: Any) -> type[msgspec.Struct] | None:
    """The Struct a field holds, itself or optional (``Location | None``)."""
    candidates = [annotation, *typing.get_args(annotation)] if typing.get_origin(annotation) in (
        typing.Union, types.UnionType) else [annotation]
    return next((c for c in candidates if isinstance(c, type) and issubclass(c, msgspec.Struct)), None)


async def strict_body(request: Request[Any, Any, Any]) -> None:
    """Before a handler (Litestar's ``before_request``): a JSON body object is read strictly, as a signed or
    typed document must be — ``"units": "10"`` or ``"partial": "true"`` is a fault, not a number or a boolean
    (Litestar converts the body together with the query's strings, leniently). Bodies that are not an object
    are left to the usual reading, which names their fault. A body declared as another media type than JSON
    (a form, multipart, XML, text) is refused with 415 before it is read; one declared as nothing is read."""
    shape = _body_shape(request)
    if shape is None:
        return
    given = request.headers.get("content-type", "")
    media_type = given.partition(";")[0].strip().lower()
    if media_type and media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaType(Fault("body.media_type", "body", params={"given": given[:100]}))
    try:
        document = msgspec.json.decode(await request.body())  # 1e400, bad UTF-8 …: named by the usual reading
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return
    if not isinstance(document, dict):
        return
    try:  # msgspec keeps a key's last value: which one was meant?
        json.loads(await request.body(), object_pairs_hook=unique_keys)
    except DuplicateKey as duplicate:
        raise InvalidInput(Fault("body.duplicate_key", "body", params={"key": duplicate.key[:100]})) from None
    except (ValueError, RecursionError):
        pass
    try:
        msgspec.convert(document, shape, strict=True)
    except msgspec.ValidationError as exc:
        raise InvalidInput(*(field_faults(shape, document) or [Fault("body.malformed", "body")])) from exc


def on_validation_error(request: Request[Any, Any, Any], exc: ValidationException) -> Response[dict[str, Any]]:
    if (refused := _body_problem(request, str(exc.detail or ""))) is not None:
        return refused
    faults = []
    extra = exc.extra if isinstance(exc.extra, list) else []
    for item in extra:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message") or "")
        key = _public_name(request, str(item.get("key") or "body"))
        fault = _msgspec_fault(key, message)
        if fault is None and key in ("data", "body"):  # no body, or not the object the route takes
            fault = Fault("body.malformed", "body")
        if fault is None:
            code = "field.required" if "required" in message.lower() or "missing" in message.lower() \
                else "field.invalid"
            fault = Fault(code, key, params={"field": key, "detail": message})
        faults.append(fault)
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


@functools.lru_cache(maxsize=256)
def _route_pattern(template: str) -> re.Pattern[str] | None:
    """A route's path template (``/api/v1/orders/{order_id:uuid}/codes``) as a pattern that takes any text
    where a UUID belongs; None when it has no UUID parameter."""
    if ":uuid}" not in template:
        return None
    pattern, end = "", 0
    for parameter in re.finditer(r"\{(\w+):(\w+)\}", template):
        name, kind = parameter.groups()
        pattern += re.escape(template[end:parameter.start()]) + (f"(?P<{name}>.*)" if kind == "path"
                                                                 else f"(?P<{name}>[^/]+)")
        end = parameter.end()
    return re.compile(pattern + re.escape(template[end:]))


def _malformed_uuid(request: Request[Any, Any, Any]) -> str | None:
    """The UUID path parameter of a route the request would reach if it held a UUID there (``/orders/abc``):
    the router finds no route for it, but the caller named a route and a wrong id, not a wrong path."""
    path = request.url.path
    for route in request.app.routes:
        pattern = _route_pattern(route.path)
        match = pattern.fullmatch(path) if pattern is not None else None
        if match is None:
            continue
        for name, value in match.groupdict().items():
            if f"{{{name}:uuid}}" in route.path:
                try:
                    uuid.UUID(value)
                except ValueError:
                    return name
    return None


def on_http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    if isinstance(exc, NotFoundException):
        if (name := _malformed_uuid(request)) is not None:
            return problem(request, 422, "error.invalid_input", [Fault("field.uuid", name, params={"field": name})])
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
        handler = request.scope.get("route_handler")
        resolve = getattr(handler, "resolve_request_max_body_size", None)
        limit = (resolve() if resolve else None) or request.app.state.get("max_request_bytes", "?")
        # the rest of the body is not read: the connection closes after the answer, and says so, so that a
        # client does not send its next request on it
        return problem(request, 413, "error.too_large", [], title_params={"limit": limit},
                       headers={"Connection": "close"})
    if status >= 500:
        return on_unexpected_error(request, exc)
    if status == 400 and (refused := _body_problem(request, str(exc.detail or ""))) is not None:
        return refused
    faults = [Fault("body.malformed", "body")] if status == 400 and request.method in ("POST", "PUT", "PATCH") else []
    title = "error.invalid_input" if faults else "error.bad_request"  # as every other fault of a body
    return problem(request, status, title, faults, headers=exc.headers or None)


def on_undecodable_body(request: Request[Any, Any, Any], exc: UnicodeDecodeError) -> Response[dict[str, Any]]:
    """JSON is UTF-8 (RFC 8259); a raw FNC1 byte 0xE8 belongs in JSON as \\u00e8 (or as GS, \\u001d)."""
    byte = exc.object[exc.start:exc.start + 1].hex().upper() if isinstance(exc.object, bytes) else "?"
    return problem(request, 400, "error.invalid_input",
                   [Fault("body.encoding", "body", params={"byte": byte})])


# PostgreSQL text cannot hold U+0000; psycopg refuses it before sending (nothing has been written).
NUL_REFUSED = "cannot contain NUL"


def on_too_deep(request: Request[Any, Any, Any], exc: RecursionError) -> Response[dict[str, Any]]:
    """A body nested deeper than a parser's stack (``[[[[…`` a thousand deep): refused, not a crash."""
    return problem(request, 400, "error.invalid_input", [Fault("body.too_deep", "body")])


def _parameters(request: Request[Any, Any, Any]) -> dict[str, str]:
    found = {str(k): str(v) for k, v in request.path_params.items()}
    found |= {str(k): str(v) for k, v in request.query_params.items()}
    return found


def on_data_error(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    parameters = _parameters(request)
    if "out of range" in str(exc):  # a number the handler passed on that its column cannot hold
        huge = [name for name, value in parameters.items() if value.lstrip("-").isdigit() and len(value) > 9]
        return problem(request, 422, "error.invalid_input", [Fault("field.out_of_range", name)
                                                             for name in huge or ["body"]])
    if NUL_REFUSED not in str(exc):
        return on_unexpected_error(request, exc)
    body = getattr(request, "_body", None)  # the body Litestar already read for the handler
    paths: list[str] = [name for name, value in parameters.items() if "\x00" in value]
    if isinstance(body, bytes) and body:
        with contextlib.suppress(msgspec.DecodeError):
            paths += _paths_where(msgspec.json.decode(body), _with_nul)
    faults = [Fault("field.nul", path, params={"field": path}) for path in paths or ["body"]]
    return problem(request, 422, "error.invalid_input", faults)


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
    UnicodeDecodeError: on_undecodable_body,
    RecursionError: on_too_deep,
    DataError: on_data_error,
    psycopg.DataError: on_data_error,
    ValidationException: on_validation_error,
    HTTPException: on_http_error,
    Exception: on_unexpected_error,
}

__all__ = ["EXCEPTION_HANDLERS", "MediaType", "problem", "request_language"]
