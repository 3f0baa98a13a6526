"""Public endpoints of the codes context: the published verification keys of the crypto tail."""

import base64
import datetime as dt

import msgspec
from litestar import Controller, get, post
from sqlalchemy import select

from api.domain.codes import services
from api.domain.codes.schemas import CodeToParse, ParsedCodeOut
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
                      "write GS as `\\u001d`. Public and rate-limited.", **public())
    async def parse(self, ctx: RequestContext, data: CodeToParse) -> ParsedCodeOut:
        ctx.action = "codes.parse"
        return services.parse_code(data.code)


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
