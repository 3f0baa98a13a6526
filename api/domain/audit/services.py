"""Searching the audit trail. Row-level security lets only operators and authorities read it, and the
search itself is audited like every request."""

import datetime as dt

from sqlalchemy import select

from api.domain.audit.schemas import AuditEntry, AuditPage
from api.security.context import RequestContext
from warehouse.models import AuditRecord


async def search(
    ctx: RequestContext, actor_bin: str | None, action: str | None, status: int | None,
    since: dt.datetime | None, before: dt.datetime | None, limit: int,
) -> AuditPage:
    ctx.action = "audit.search"
    query = select(AuditRecord).order_by(AuditRecord.at.desc()).limit(limit + 1)
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
    )
