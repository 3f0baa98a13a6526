"""Public endpoints of the codes context: the published verification keys of the crypto tail."""

import base64
import datetime as dt
import re
import urllib.parse
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter
from sqlalchemy import select

from api.domain.codes import services, verification
from api.domain.codes.schemas import CodeToParse, ParsedCodeOut
from api.domain.codes.verification import Verification, ViolationCreated, ViolationIn
from api.faults import Fault, InvalidInput
from api.problems import request_language
from api.security.context import RequestContext
from api.security.guards import public
from warehouse.database import Database
from warehouse.models import EmissionKey


class PublicKey(msgspec.Struct):
    key_id: str
    algorithm: str
    public_key: str  # base64 of the 32 raw Ed25519 bytes
    valid_from: dt.datetime
    valid_to: dt.datetime | None


class PublicKeys(msgspec.Struct):
    keys: list[PublicKey]


class CodeParseController(Controller):
    path = "/api/v1/codes"
    tags = ["Codes"]

    @post("/parse", operation_id="parseCode", status_code=200, summary="Parse a marking code",
          description="Any accepted spelling — GS1 element string with GS (0x1D) separators, scanner output with "
                      "a leading GS, `]d2`/`]C1` or the leaked FNC1 byte, the `(01)…(21)…` form, a GS1 Digital "
                      "Link URI — gives the same parsed code, or 422 naming the AI and the rule broken. In JSON, "
                      "write GS as `\\u001d`. `partial: true`: the code is one of several barcodes of one item (a "
                      "split GS1-128 label), so AIs the GS1 pairing rules require may be in another and only "
                      "exclusions are checked. Public and rate-limited.", **public(also=(413,)))
    async def parse(self, ctx: RequestContext, data: CodeToParse) -> ParsedCodeOut:
        ctx.action = "codes.parse"
        return services.parse_code(data.code, data.partial)


class PublicVerificationController(Controller):
    path = "/api/v1/public"
    tags = ["Public"]

    @get("/verify", operation_id="verifyCode", summary="Verify a marking code (mobile app)",
         description="`code`: the full marking code, URL-encoded (GS as `%1D`; a `+` sent unencoded arrives as a "
                     "space and is read back as `+` in AI 92). `authentic` is true only when the crypto tail is the "
                     "one issued for this code. Every scan is recorded (coarse location if given: `lat` and `lon` "
                     "together or neither) to detect copies. Answers in kk, ru or en.", **public())
    async def verify(
        self, ctx: RequestContext, request: Request[Any, Any, Any],
        code: Annotated[str, Parameter(query="code", description="the marking code, any accepted spelling")],
        lat: Annotated[float | None, Parameter(query="lat", description="latitude (rounded to ~1 km)")] = None,
        lon: Annotated[float | None, Parameter(query="lon", description="longitude (rounded to ~1 km)")] = None,
    ) -> Verification:
        ctx.extra["user_agent"] = request.headers.get("user-agent", "")[:200]
        return await verification.verify(ctx, code, lat, lon, request_language(request))

    @post("/violations", operation_id="reportViolation", status_code=201, summary="Report a violation",
          description="`{id?, code?, kind (violation_kinds), comment?, location?: {lat, lon, address (≤ 500)}, "
                      "photo?: base64 JPEG/PNG up to 1.5 MB}` → 201 with the report's id. `id` is the app's own "
                      "UUID, so a retry is safe: the same id and report again → 200 with the first answer "
                      "(`stored: false`), the same id with another report → 409.",
          request_max_body_size=verification.MAX_VIOLATION_BODY, response_description="The report's id",
          **public(also=(409, 413), retry=ViolationCreated))
    async def violation(self, ctx: RequestContext, data: ViolationIn) -> Response[ViolationCreated]:
        created = await verification.report_violation(ctx, data)
        return Response(created, status_code=201 if created.stored else 200)


def query_params(query: str) -> dict[str, str]:
    """A query string's parameters (the last of repeated names): '+' reads as a space, as in Litestar, and
    bytes that are not UTF-8 (a raw FNC1, %E8) survive to the parser. The app's usual query, the code alone,
    is read exactly as ``parse_qsl`` reads it, without its general loop."""
    if query.startswith("code=") and "&" not in query:
        return {"code": _unquote(query[5:].replace("+", " "))}
    return dict(urllib.parse.parse_qsl(query, keep_blank_values=True, errors="surrogateescape"))


_STRAY_AI = re.compile(r"\d{2,4}=")  # an AI's key=value, as a Digital Link's query holds them


def unencoded_digital_link(value: str) -> bool:
    """Whether a query or path value is a Digital Link pasted as it is, not URL-encoded as API.md asks:
    every encoder (encodeURIComponent, URLSearchParams, urlencode, curl --data-urlencode, httpx) writes the
    scheme's ``://`` as ``%3A%2F%2F``. Such a link is read as the link it is: decoding it first would decode
    its own escapes twice (a serial's ``%2F`` would become a path separator, ``%25`` another escape)."""
    return value[:8].lower().startswith(("http://", "https://"))


def with_stray_ais(link: str, query: str) -> str:
    """A Digital Link sent unencoded with the AI parameters of its own query folded back, in the order sent:
    its ``?91=…&92=…`` (the crypto tail) arrives as parameters of the request's query (all of it, after a
    path; from ``&92=`` on, after ``code=``), and without them a genuine code would look forged."""
    for part in query.split("&"):
        if _STRAY_AI.match(part):
            link += ("&" if "?" in link else "?") + part
    return link


def digital_link_as_sent(query: str) -> str | None:
    """The ``code`` of a query holding a Digital Link pasted unencoded: undecoded, its tail folded back."""
    code = next((part[5:] for part in query.split("&") if part.startswith("code=")), None)
    if code is None or not unencoded_digital_link(code):
        return None
    return with_stray_ais(code, query)


def _unquote(value: str) -> str:
    """``urllib.parse.unquote(value, errors="surrogateescape")``, decoded in C in the usual case (ASCII, no
    backslash, every ``%`` followed by two hex digits: ``%XX`` becomes ``\\xXX`` for the unicode_escape codec):
    0.8 µs for a marking code's 13 escapes instead of 2.9. Anything else goes to urllib."""
    if value.isascii() and "\\" not in value:
        try:
            raw = value.replace("%", "\\x").encode("ascii").decode("unicode_escape").encode("latin-1")
        except UnicodeDecodeError:  # a % without two hex digits: urllib keeps it as it is
            pass
        else:
            return raw.decode("utf-8", "surrogateescape")
    return urllib.parse.unquote(value, errors="surrogateescape")


async def verify_hot(ctx: RequestContext, headers: dict[bytes, bytes], query: str, language: str) -> bytes:
    """``GET /api/v1/public/verify`` answered by the security gateway (see HotRoute): the same service
    and the same answer as the Litestar route above, which documents it."""
    params = query_params(query)
    code = params.get("code")
    if code is None:
        raise InvalidInput(Fault("field.required", "code", params={"field": "code"}))
    if "://" in query:
        code = digital_link_as_sent(query) or code
    coordinates: dict[str, float | None] = {}
    for name in ("lat", "lon"):
        value = params.get(name)
        try:
            coordinates[name] = float(value) if value else None
        except ValueError:
            raise InvalidInput(Fault("field.number", name, params={"field": name})) from None
    ctx.extra["user_agent"] = headers.get(b"user-agent", b"").decode("latin-1")[:200]
    result = await verification.verify(ctx, code.encode("utf-8", "surrogateescape"), coordinates["lat"],
                                       coordinates["lon"], language)
    return msgspec.json.encode(result)


class PublicCodesController(Controller):
    path = "/api/v1/public"
    tags = ["Public"]

    @get("/keys", operation_id="listPublicKeys", summary="Verification keys of the crypto tail",
         description="Every emission key ever used: AI 91 of a code names the key, AI 92 is the base64 Ed25519 "
                     "signature over the identification code (01…21…). Apps may cache these and verify offline.",
         **public())
    async def keys(self, db: Database) -> PublicKeys:
        async with db.async_session() as session:
            rows = (await session.scalars(select(EmissionKey).order_by(EmissionKey.valid_from))).all()
        return PublicKeys(keys=[
            PublicKey(key_id=r.key_id, algorithm=r.algorithm, public_key=base64.b64encode(r.public_key).decode(),
                      valid_from=r.valid_from, valid_to=r.valid_to)
            for r in rows
        ])
