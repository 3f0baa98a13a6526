"""Shapes of the audit search."""

import datetime as dt

import msgspec


class AuditEntry(msgspec.Struct):
    at: dt.datetime
    request_id: str
    actor_bin: str | None
    actor_iin: str | None
    role: str
    client_ip: str | None
    method: str
    route: str
    action: str
    object_id: str | None
    status: int
    shard: int
    seq: int


class AuditPage(msgspec.Struct):
    entries: list[AuditEntry]
    next_before: dt.datetime | None  # rows sharing this time may be cut: follow next_cursor for an exact walk
    next_cursor: str | None = None  # pass as ``cursor`` for the next page (no row skipped or repeated)
