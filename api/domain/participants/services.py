"""The participant registry (requirement 8): lookups and registration of participants."""

from collections.abc import Iterable

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from api.domain.participants.rules import TaxpayerNumber, parse_bin
from api.domain.participants.schemas import ParticipantCard, RegisterRecord
from api.faults import Fault, InvalidInput, NotFound
from api.security.context import RequestContext
from warehouse.models import BusinessRegisterEntry, Participant


def valid_bin(value: str) -> TaxpayerNumber:
    checked = parse_bin(value)
    if isinstance(checked, Fault):
        raise InvalidInput(checked)
    return checked


async def participant_card(ctx: RequestContext, bin_: str) -> ParticipantCard:
    number = valid_bin(bin_)
    ctx.action, ctx.object_id = "participants.card", number.value
    async with ctx.transaction() as session:  # another participant's row is invisible (row-level security)
        return await _card(session, number.value)


async def _card(session: AsyncSession, bin_: str) -> ParticipantCard:
    participant = await session.get(Participant, bin_)
    if participant is None:
        raise NotFound(Fault("participant.not_found", "bin", params={"bin": bin_}))
    register = await session.get(BusinessRegisterEntry, bin_)
    return ParticipantCard(
        bin=participant.bin, is_individual=participant.is_individual, name_kk=participant.name_kk,
        name_ru=participant.name_ru, types=list(participant.types), state=participant.state,
        kato=participant.kato, registered_at=participant.registered_at,
        business_register=RegisterRecord(register.status, register.registration_date, register.kato)
        if register else None,
    )


def upsert_participants(session: Session, participants: Iterable[dict[str, object]]) -> int:
    """Create or update participants (the operator's registration path and the demo loader)."""
    rows = []
    for p in participants:
        number = valid_bin(str(p["bin"]))
        rows.append({**p, "bin": number.value, "is_individual": number.is_individual})
    if not rows:
        return 0
    stmt = insert(Participant).values(rows)
    stmt = stmt.on_conflict_do_update(
        index_elements=["bin"],
        set_={c: stmt.excluded[c] for c in ("name_kk", "name_ru", "types", "state", "kato")},
    )
    session.execute(stmt)
    return len(rows)
