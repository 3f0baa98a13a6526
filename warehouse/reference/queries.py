"""Queries over the versioned reference directories, shared by the API and the loaders."""

import datetime as dt

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.dialects.postgresql import distinct_on

from warehouse.models import ReferenceEntry


def entries_stmt(
    directory: str, at: dt.date | None = None, version: int | None = None
) -> Select[ReferenceEntry]:
    """Entries of ``directory`` as of directory ``version`` (default: latest), valid on ``at`` (None: all)."""
    latest = (
        select(ReferenceEntry)
        .where(ReferenceEntry.directory == directory)
        .ext(distinct_on(ReferenceEntry.code))
        .order_by(ReferenceEntry.code, ReferenceEntry.version.desc())
    )
    if version is not None:
        latest = latest.where(ReferenceEntry.version <= version)
    sub = latest.subquery()
    stmt = select(ReferenceEntry).join(
        sub,
        and_(
            ReferenceEntry.directory == sub.c.directory,
            ReferenceEntry.code == sub.c.code,
            ReferenceEntry.version == sub.c.version,
        ),
    )
    if at is not None:
        stmt = stmt.where(
            ReferenceEntry.valid_from <= at, or_(ReferenceEntry.valid_to.is_(None), ReferenceEntry.valid_to > at)
        )
    return stmt.order_by(ReferenceEntry.code)
