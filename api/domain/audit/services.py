"""Searching the audit trail. Row-level security lets only operators and authorities read it, and the
search itself is audited like every request."""

import datetime as dt

from sqlalchemy import select, tuple_

from api.domain.audit.schemas import AuditEntry, AuditPage
from api.faults import Fault, InvalidInput
from api.security.context import RequestContext
from warehouse.models import AuditRecord


def _cursor(record: AuditRecord) -> str:
    """Where the next page starts: after this row in (time, shard, sequence) order. Rows of one batch share
    their time (verifications arrive together), so the time alone would skip or repeat some."""
    return f"{record.at.isoformat()}~{record.shard}~{record.seq}"


def _after(cursor: str) -> tuple[dt.datetime, int, int]:
    try:
        at, shard, seq = cursor.split("~")
        return dt.datetime.fromisoformat(at), int(shard), int(seq)
    except ValueError:
        raise InvalidInput(Fault("audit.cursor", "cursor")) from None


async def search(
    ctx: RequestContext, actor_bin: str | None, action: str | None, status: int | None,
    since: dt.datetime | None, before: dt.datetime | None, limit: int, cursor: str | None = None,
) -> AuditPage:
    ctx.action = "audit.search"
    query = (select(AuditRecord).order_by(AuditRecord.at.desc(), AuditRecord.shard.desc(), AuditRecord.seq.desc())
             .limit(limit + 1))
    if cursor:
        query = query.where(tuple_(AuditRecord.at, AuditRecord.shard, AuditRecord.seq) < tuple_(*_after(cursor)))
    if actor_bin:
        query = query.where(AuditRecord.actor_bin == actor_bin)
    if action:
        query = query.where(AuditRecord.action.startswith(action, autoescape=True))
    if status is not None:
        query = query.where(AuditRecord.status == status)
    if since is not None:
        query = query.where(AuditRecord.at >= since)
    if before is not None:
        query = query.where(AuditRecord.at < before)
    async with ctx.transaction() as session:
        rows = list(await session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditPage(
        entries=[AuditEntry(
            at=r.at, request_id=r.request_id, actor_bin=r.actor_bin, actor_iin=r.actor_iin, role=r.role,
            client_ip=r.client_ip, method=r.method, route=r.route, action=r.action, object_id=r.object_id,
            status=r.status, shard=r.shard, seq=r.seq,
        ) for r in rows],
        next_before=rows[-1].at if more and rows else None,
        next_cursor=_cursor(rows[-1]) if more and rows else None,
    )
