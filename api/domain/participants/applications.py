"""Registration of participants (requirement 8): a signed application, checked against the state business
register, and the operator's decision on the types of activity."""

import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.identity.services import decode_base64, document_id, signed_json, unknown_fields
from api.domain.participants.rules import parse_bin
from api.domain.participants.schemas import ApplicationDecision, ApplicationStatus, SignedEnvelope
from api.faults import Conflict, Fault, Forbidden, InvalidInput, NotFound, Unauthorized
from api.security.context import Principal, RequestContext
from api.security.signatures import Purpose, SignatureRefused, SignatureVerifier
from warehouse.database import LockSpace, hold_until_commit
from warehouse.models import BusinessRegisterEntry, Participant, ParticipantApplication
from warehouse.reference.queries import entries_stmt

APPLICATION_TYPE = "PARTICIPANT_APPLICATION"
APPLICATION_FIELDS = frozenset({"id", "bin", "types"})


def parse_application(envelope: SignedEnvelope) -> tuple[bytes, bytes, dict[str, Any]]:
    """Format control of the envelope and the application document; all faults at once."""
    faults: list[Fault] = []
    if envelope.type != APPLICATION_TYPE:
        faults.append(Fault("document.type", "type", params={"expected": APPLICATION_TYPE, "value": envelope.type}))
    document = decode_base64(envelope.document, "document")
    signature = decode_base64(envelope.signature, "signature")
    try:
        body = signed_json(document)
    except InvalidInput as exc:
        raise InvalidInput(*exc.faults, *faults) from None
    document_id(body, faults)
    number = parse_bin(body.get("bin"), path="document.bin")
    if isinstance(number, Fault):
        faults.append(number)
    faults += unknown_fields(body, APPLICATION_FIELDS)
    types = body.get("types")
    if not isinstance(types, list) or not types or not all(isinstance(t, str) for t in types):
        faults.append(Fault("registration.types", "document.types"))
    else:
        faults += [Fault("registration.duplicate_type", "document.types", i, params={"value": t})
                   for i, t in enumerate(types) if t in types[:i]]
    if faults:
        raise InvalidInput(*faults)
    return document, signature, body


async def _check_types(session: AsyncSession, types: list[str], path: str) -> None:
    known = {e.code for e in await session.scalars(entries_stmt("participant_types", at=dt.date.today()))}
    faults = [Fault("registration.unknown_type", path, i, params={"value": t, "known": ", ".join(sorted(known))})
              for i, t in enumerate(types) if t not in known]
    if faults:
        raise InvalidInput(*faults)


def _status(app: ParticipantApplication) -> ApplicationStatus:
    return ApplicationStatus(
        id=app.id, bin=app.owner_bin, status=app.status, requested_types=list(app.requested_types),
        approved_types=list(app.approved_types) if app.approved_types else None,
        submitted_at=app.submitted_at, decided_at=app.decided_at, decision_reason=app.decision_reason,
    )


async def submit_application(
    ctx: RequestContext, verifier: SignatureVerifier, envelope: SignedEnvelope
) -> tuple[ApplicationStatus, bool]:
    """Returns the application and whether it was created now (False: the same application again)."""
    document, signature, body = parse_application(envelope)
    application_id, bin_ = uuid.UUID(str(body["id"])), str(body["bin"])
    ctx.action, ctx.object_id = "participants.apply", str(application_id)
    try:
        signer = await verifier.verify_detached(signature, document, Purpose.DOCUMENT)
    except SignatureRefused as refused:
        raise Unauthorized(Fault(refused.code, "signature", params=refused.params)) from None
    signer_bin = signer.bin or signer.iin
    if signer_bin != bin_:
        raise Forbidden(Fault("registration.bin_mismatch", "document.bin",
                              params={"bin": bin_, "signer": signer_bin or "—"}))
    ctx.principal = Principal(bin=bin_, iin=signer.iin, roles=frozenset())
    async with ctx.transaction(status=201) as session:
        # one BIN's applications one at a time: a retry racing its original, or a second application, waits
        await hold_until_commit(session, LockSpace.APPLICATION_BIN, bin_)
        existing = await session.get(ParticipantApplication, application_id)
        if existing is not None:
            if existing.document != document or existing.owner_bin != bin_:
                raise Conflict(Fault("document.id_reused", "document.id", params={"id": str(application_id)}))
            ctx.pending_status = 200
            return _status(existing), False
        pending = (await session.execute(
            select(ParticipantApplication.id).where(ParticipantApplication.owner_bin == bin_,
                                                    ParticipantApplication.status == "PENDING"))).scalar()
        if pending is not None:
            raise Conflict(Fault("registration.pending_exists", "document.bin", params={"id": str(pending)}))
        register = await session.get(BusinessRegisterEntry, bin_)
        if register is None:
            raise InvalidInput(Fault("registration.unknown_bin", "document.bin", params={"bin": bin_}))
        active = {e.code for e in await session.scalars(entries_stmt("register_statuses", at=dt.date.today()))
                  if e.attributes.get("active")}
        if register.status not in active:
            raise InvalidInput(Fault("registration.inactive_bin", "document.bin",
                                     params={"bin": bin_, "status": register.status}))
        await _check_types(session, body["types"], "document.types")
        application = ParticipantApplication(
            id=application_id, owner_bin=bin_, requested_types=body["types"], document=document,
            signature=signature, signer_iin=signer.iin or bin_, signer_certificate_sha256=signer.certificate_sha256,
            status="PENDING",
        )
        session.add(application)
        await session.flush()
        await session.refresh(application)
        return _status(application), True


async def get_application(ctx: RequestContext, application_id: uuid.UUID) -> ApplicationStatus:
    ctx.action, ctx.object_id = "participants.application", str(application_id)
    async with ctx.transaction() as session:
        application = await session.get(ParticipantApplication, application_id)
        if application is None:  # another participant's application is invisible (row-level security)
            raise NotFound(Fault("registration.application_not_found", "id", params={"id": str(application_id)}))
        return _status(application)


async def list_applications(ctx: RequestContext, status: str | None) -> list[ApplicationStatus]:
    ctx.action = "participants.applications"
    async with ctx.transaction() as session:
        query = select(ParticipantApplication).order_by(ParticipantApplication.submitted_at)
        if status:
            query = query.where(ParticipantApplication.status == status)
        return [_status(a) for a in await session.scalars(query.limit(1000))]


async def decide_application(
    ctx: RequestContext, application_id: uuid.UUID, decision: ApplicationDecision
) -> ApplicationStatus:
    """The operator approves (with the types of activity it grants) or rejects (with a reason)."""
    ctx.action, ctx.object_id = "participants.decide", str(application_id)
    async with ctx.transaction() as session:
        application = await session.get(ParticipantApplication, application_id, with_for_update=True)
        if application is None:
            raise NotFound(Fault("registration.application_not_found", "id", params={"id": str(application_id)}))
        if application.status != "PENDING":
            raise Conflict(Fault("registration.already_decided", "id", params={"status": application.status}))
        now = dt.datetime.now(dt.UTC)
        application.decided_at, application.decided_by = now, f"{ctx.principal.bin}/{ctx.principal.iin}"
        if not decision.approve:
            if not (decision.reason or "").strip():
                raise InvalidInput(Fault("field.required", "reason", params={"field": "reason"}))
            application.status, application.decision_reason = "REJECTED", decision.reason
        else:
            types = list(application.requested_types) if decision.types is None else decision.types
            if not types:  # approving nothing is not an approval: reject with a reason instead
                raise InvalidInput(Fault("registration.types", "types"))
            duplicates = [Fault("registration.duplicate_type", "types", i, params={"value": t})
                          for i, t in enumerate(types) if t in types[:i]]
            if duplicates:
                raise InvalidInput(*duplicates)
            await _check_types(session, types, "types")
            register = await session.get(BusinessRegisterEntry, application.owner_bin)
            assert register is not None
            number = parse_bin(application.owner_bin)
            stmt = insert(Participant).values(
                bin=application.owner_bin, is_individual=not isinstance(number, Fault) and number.is_individual,
                name_kk=register.name_kk, name_ru=register.name_ru, types=types, state="ACTIVE", kato=register.kato,
            )
            await session.execute(stmt.on_conflict_do_update(
                index_elements=["bin"],
                set_={"types": stmt.excluded.types, "state": "ACTIVE", "updated_at": text("now()")},
            ))
            application.status, application.approved_types = "APPROVED", types
            application.decision_reason = decision.reason
        await session.flush()
        return _status(application)
