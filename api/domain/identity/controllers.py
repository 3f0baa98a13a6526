"""Certificate login endpoints (API.md: Authentication)."""

from typing import Annotated

from litestar import Controller, get, post
from litestar.params import Parameter

from api.domain.identity import services
from api.domain.identity.schemas import Challenge, SessionsRevoked, Token, TokenRequest
from api.faults import BIN_PATTERN
from api.security.context import RequestContext
from api.security.guards import guarded, public
from api.security.verifier_factory import Verifier
from tanba.settings import Settings

ALL_ROLES = ("participant", "authority", "ofd", "eaeu", "operator")


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["Authentication"]

    @get("/challenge", operation_id="getChallenge", summary="A single-use challenge to sign",
         description="Random data valid for a short time and only once. Sign it (CMS SignedData with the "
                     "data attached, SHA-256, your certificate inside) and send it to `POST /auth/token`.",
         **public())
    async def challenge(self, ctx: RequestContext, settings: Settings) -> Challenge:
        return await services.issue_challenge(ctx, settings)

    @post("/token", operation_id="createToken", status_code=200, summary="Exchange a signed challenge for a token",
          description="The signature must be valid at this moment, made with a certificate of a trusted CA "
                      "(digital signature key usage, client-authentication purpose), not revoked, over exactly "
                      "the challenge data. Refusals answer 401 with the reason.", **public(also=(413,)))
    async def token(self, ctx: RequestContext, settings: Settings, verifier: Verifier,
                    data: TokenRequest) -> Token:
        return await services.exchange_token(ctx, settings, verifier, data)

    @post("/logout", operation_id="logout", status_code=204, summary="End this session",
          **guarded(*ALL_ROLES, also=(429,)))
    async def logout(self, ctx: RequestContext) -> None:
        await services.logout(ctx)

    @post("/participants/{bin:str}/sessions/revoke", operation_id="revokeParticipantSessions", status_code=200,
          summary="Revoke every session of a participant",
          description="The participant itself or an operator; every token of the participant stops working.",
          **guarded(*ALL_ROLES, also=(404, 429)))
    async def revoke(self, ctx: RequestContext,
                     bin: Annotated[str, Parameter(description="BIN or IIN", pattern=BIN_PATTERN)]) -> SessionsRevoked:
        return await services.revoke_sessions(ctx, bin)

