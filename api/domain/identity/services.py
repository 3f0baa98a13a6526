"""Certificate login: a single-use challenge, signed by the participant's key, exchanged for a session."""

import base64
import binascii
import datetime as dt
import json
import re
import secrets
import uuid
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.identity.schemas import Challenge, SessionsRevoked, SignedInParticipant, Token, TokenRequest
from api.faults import Conflict, Fault, Forbidden, InvalidInput, Unauthorized
from api.problems import DuplicateKey, unique_keys
from api.security.context import Principal, RequestContext
from api.security.gateway import token_hash
from api.security.signatures import Purpose, SignatureRefused, SignatureVerifier, SignerIdentity
from tanba.settings import Settings


def decode_base64(value: str, path: str) -> bytes:
    try:
        return base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(Fault("field.base64", path, params={"field": path})) from None


class _NotANumber(ValueError):
    """NaN, Infinity, or a number no reader holds the same way."""


def _no_constant(name: str) -> Any:
    raise _NotANumber(name)


def _finite(text: str) -> float:
    if len(text) > 40:  # a 5,000-digit fraction is no measurement either
        raise _NotANumber(text[:40])
    value = float(text)
    if value in (float("inf"), float("-inf")):  # 1e400: a number no reader holds the same way
        raise _NotANumber(text)
    return value


def _exact_int(text: str) -> int:
    if len(text.lstrip("-")) > 30:  # no field holds more digits; a 5,000-digit number is not a quantity
        raise _NotANumber(text[:40])
    return int(text)


def signed_json(document: bytes, path: str = "document") -> dict[str, Any]:
    """A signed document's JSON object, read strictly: what was signed must have one meaning, so a key given
    twice (which value counts?) and NaN or Infinity (not JSON) are refused, not resolved."""
    try:
        text = document.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(Fault("document.encoding", path)) from None
    if text.startswith("\ufeff"):  # a BOM is not JSON (RFC 8259 8.1): which bytes were meant to be signed?
        raise InvalidInput(Fault("document.encoding", path))
    try:
        body = json.loads(text, object_pairs_hook=unique_keys, parse_constant=_no_constant, parse_float=_finite,
                          parse_int=_exact_int)
    except DuplicateKey as duplicate:
        raise InvalidInput(Fault("document.duplicate_key", path, params={"key": duplicate.key[:100]})) from None
    except _NotANumber:
        raise InvalidInput(Fault("document.number", path)) from None
    except RecursionError:
        raise InvalidInput(Fault("document.too_deep", path)) from None
    except ValueError:
        raise InvalidInput(Fault("document.not_json", path)) from None
    if not isinstance(body, dict):
        raise InvalidInput(Fault("document.not_object", path))
    try:  # "\ud800": JSON may escape half of a UTF-16 pair, which is no character and cannot be stored or sent
        json.dumps(body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(Fault("document.encoding", path)) from None
    return body


UUID_TEXT = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
RESERVED_UUIDS = frozenset({uuid.UUID(int=0), uuid.UUID(int=2**128 - 1)})  # RFC 9562: the nil and the max UUID


def document_id(body: dict[str, Any], faults: list[Fault], path: str = "document.id") -> uuid.UUID | None:
    """The document's own id (its sender's idempotency key), or a fault: not a UUID in text, or the nil or max
    UUID, which a sender's unset field gives every document alike (each would be taken for a retry of the first)."""
    value = body.get("id")
    # the text form only (RFC 9562 4): ``uuid.UUID`` also reads braces, ``urn:uuid:``, hyphens anywhere and
    # non-ASCII digits, and a signed document has one meaning, so an id has one spelling (in either case)
    parsed = uuid.UUID(value) if isinstance(value, str) and UUID_TEXT.fullmatch(value) else None
    if parsed is None:
        faults.append(Fault("field.uuid", path, params={"field": "id"}))
        return None
    reserved = reserved_id(parsed, path)
    faults += reserved
    return None if reserved else parsed


def reserved_id(value: uuid.UUID | None, path: str) -> list[Fault]:
    """A fault when a sender's own id is the nil or the max UUID (see ``document_id``), else none."""
    if value not in RESERVED_UUIDS:
        return []
    return [Fault("field.uuid_reserved", path, params={"field": "id", "value": str(value)})]


def unknown_fields(body: dict[str, Any], known: frozenset[str], path: str = "document") -> list[Fault]:
    """A fault for each field the document type does not have (stored as signed, so refused, not ignored)."""
    return [Fault("document.unknown_field", f"{path}.{key}", params={"field": key[:100]})
            for key in body if key not in known]


async def sender_signer(ctx: RequestContext, verifier: SignatureVerifier, signature: bytes,
                        document: bytes) -> SignerIdentity:
    """The signer of a document sent in ``ctx``'s session: the signature must verify (else 422: the session is
    fine, the document is what is refused) and the signer must be the sender (else 403)."""
    try:
        signer = await verifier.verify_detached(signature, document, Purpose.DOCUMENT)
    except SignatureRefused as refused:
        raise InvalidInput(Fault(refused.code, "signature", params=refused.params)) from None
    if (signer.bin or signer.iin) != ctx.principal.bin:
        raise Forbidden(Fault("document.signer_not_sender", "signature",
                              params={"signer": signer.bin or signer.iin or "—", "sender": ctx.principal.bin}))
    return signer


async def refuse_used_id(session: AsyncSession, document_id: uuid.UUID) -> None:
    """409 when ``document_id`` names a document or code order already, the sender's or (invisible under
    row-level security) another participant's: one id, one document."""
    if (await session.execute(text("SELECT ops.document_id_in_use(:id)"), {"id": document_id})).scalar():
        raise Conflict(Fault("document.id_reused", "document.id", params={"id": str(document_id)}))


async def issue_challenge(ctx: RequestContext, settings: Settings) -> Challenge:
    challenge_id = uuid.uuid4()
    data = secrets.token_urlsafe(32)
    expires_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=settings.challenge_ttl_seconds)
    ctx.action, ctx.object_id = "auth.challenge", str(challenge_id)
    async with ctx.transaction() as session:
        await session.execute(
            text("INSERT INTO ops.auth_challenge (id, data, expires_at, client_ip) VALUES (:id, :d, :e, :ip)"),
            {"id": challenge_id, "d": data, "e": expires_at, "ip": ctx.client_ip},
        )
    return Challenge(id=challenge_id, data=data, expires_at=expires_at)


async def _verify(verifier: SignatureVerifier, signature: bytes, data: str | None) -> SignerIdentity | Fault:
    if data is None:
        return Fault("auth.challenge_unknown", "id")
    try:
        return await verifier.verify_attached(signature, data.encode(), Purpose.LOGIN)
    except SignatureRefused as refused:
        return Fault(refused.code, "signature", params=refused.params)


async def exchange_token(
    ctx: RequestContext, settings: Settings, verifier: SignatureVerifier, request: TokenRequest
) -> Token:
    """Verify the signed challenge; the challenge is spent whatever the outcome, in the same
    transaction as the audit row, and a refusal names its reason."""
    ctx.action, ctx.object_id = "auth.token", str(request.id)
    signature = decode_base64(request.signature, "signature")
    async with ctx.db.async_session() as session:  # reading a challenge is not an audited action
        data = (await session.execute(
            text("SELECT data FROM ops.auth_challenge WHERE id = :id"), {"id": request.id}
        )).scalar_one_or_none()
    verified = await _verify(verifier, signature, data)
    if isinstance(verified, SignerIdentity):
        participant_bin = verified.bin or verified.iin
        ctx.principal = Principal(bin=participant_bin, iin=verified.iin, roles=frozenset())
    refusal: Fault | None = None if isinstance(verified, SignerIdentity) else verified
    token: Token | None = None
    async with ctx.transaction(status=200) as session:
        spent = (await session.execute(
            text("UPDATE ops.auth_challenge SET used_at = now() WHERE id = :id AND used_at IS NULL "
                 "AND expires_at > now() RETURNING id"), {"id": request.id},
        )).first()
        if spent is None and data is not None:
            used = (await session.execute(
                text("SELECT used_at IS NOT NULL FROM ops.auth_challenge WHERE id = :id"), {"id": request.id}
            )).scalar_one_or_none()
            refusal = Fault("auth.challenge_used" if used else "auth.challenge_expired", "id")
        if refusal is None and isinstance(verified, SignerIdentity):
            token, refusal = await _open_session(session, ctx, settings, verified)
        if refusal is not None:
            ctx.pending_status = 401
            ctx.action = f"auth.token refused: {refusal.code}"
    if refusal is not None or token is None:
        raise Unauthorized(refusal or Fault("auth.required"))
    return token


async def _open_session(
    session: AsyncSession, ctx: RequestContext, settings: Settings, signer: SignerIdentity
) -> tuple[Token | None, Fault | None]:
    participant_bin = signer.bin or signer.iin
    assert participant_bin is not None
    participant = (await session.execute(
        text("SELECT name_ru, state FROM ops.participant WHERE bin = :bin"), {"bin": participant_bin}
    )).first()
    roles = {row.role for row in await session.execute(
        text("SELECT role FROM ops.role_grant WHERE bin = :bin AND (iin IS NULL OR iin = :iin) "
             "AND revoked_at IS NULL"), {"bin": participant_bin, "iin": signer.iin},
    )}
    if participant is not None and participant.state == "ACTIVE":
        roles.add("participant")
    if not roles:
        code = "auth.participant_inactive" if participant is not None else "auth.not_registered"
        return None, Fault(code, "signature", params={"bin": participant_bin,
                                                       "state": participant.state if participant else ""})
    raw = secrets.token_urlsafe(32)
    session_id = uuid.uuid4()
    now = dt.datetime.now(dt.UTC)
    await session.execute(
        text("INSERT INTO ops.auth_session (id, token_hash, owner_bin, person_iin, roles, certificate_serial, "
             "certificate_sha256, client_ip, expires_at) VALUES (:id, :h, :bin, :iin, :roles, :serial, :sha, :ip, "
             ":exp)"),
        {"id": session_id, "h": token_hash(raw), "bin": participant_bin, "iin": signer.iin,
         "roles": sorted(roles), "serial": signer.certificate_serial, "sha": signer.certificate_sha256,
         "ip": ctx.client_ip, "exp": now + dt.timedelta(seconds=settings.token_ttl_seconds)},
    )
    ctx.principal = Principal(bin=participant_bin, iin=signer.iin, roles=frozenset(roles), session_id=session_id)
    ctx.object_id = str(session_id)
    name = participant.name_ru if participant is not None else (signer.organization or signer.common_name)
    return Token(
        access_token=raw, token_type="Bearer",  # noqa: S106 (the scheme name, not a secret)
        expires_in=settings.token_ttl_seconds,
        participant=SignedInParticipant(bin=participant_bin, name=name, roles=sorted(roles), iin=signer.iin),
    ), None


async def logout(ctx: RequestContext) -> None:
    ctx.action, ctx.object_id = "auth.logout", str(ctx.principal.session_id)
    async with ctx.transaction(status=204) as session:
        await session.execute(
            text("UPDATE ops.auth_session SET revoked_at = now(), revoked_reason = 'logout' "
                 "WHERE id = :id AND revoked_at IS NULL"), {"id": ctx.principal.session_id},
        )


async def revoke_sessions(ctx: RequestContext, bin_: str) -> SessionsRevoked:
    """Revoke every session of a participant: the participant itself or an operator."""
    ctx.action, ctx.object_id = "auth.revoke_all", bin_
    if bin_ != ctx.principal.bin and "operator" not in ctx.principal.roles:
        raise Forbidden(Fault("auth.not_your_participant", "bin", params={"bin": bin_}))
    async with ctx.transaction() as session:
        result = await session.execute(
            text("UPDATE ops.auth_session SET revoked_at = now(), revoked_reason = :why "
                 "WHERE owner_bin = :bin AND revoked_at IS NULL"),
            {"bin": bin_, "why": f"revoked by {ctx.principal.bin}/{ctx.principal.iin}"},
        )
    return SessionsRevoked(bin=bin_, revoked=result.rowcount or 0)  # type: ignore[attr-defined]
