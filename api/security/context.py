"""Who is asking, from where, and the database transaction that carries their identity and audit row."""

import os
import threading
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from warehouse.database import Database

ROLES = ("participant", "authority", "ofd", "eaeu", "operator")


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: the organisation (BIN/IIN), the signing person (IIN) and roles."""

    bin: str | None = None
    iin: str | None = None
    roles: frozenset[str] = frozenset({"public"})
    session_id: uuid.UUID | None = None

    @property
    def authenticated(self) -> bool:
        return self.bin is not None

    @property
    def acting_role(self) -> str:
        """The strongest role, which the row-level security policies act on."""
        for role in ("operator", "authority", "ofd", "eaeu", "participant"):
            if role in self.roles:
                return role
        return "public"


ANONYMOUS = Principal()


class RequestIds:
    """Request ids: random (version 4) UUIDs as text, cut from one ``os.urandom`` read per 256 ids instead of one
    read and one UUID object per request (the public's verification makes ten thousand a second). A forked
    process starts with a new read, so no two processes give the same id."""

    _VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}  # RFC 9562: bits 10xx

    def __init__(self) -> None:
        self._random = b""
        self._offset = 0
        self._lock = threading.Lock()  # the event loop's thread makes them, but no thread may get another's
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self._random, self._offset = b"", 0
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            if self._offset >= len(self._random):
                self._random, self._offset = os.urandom(4096), 0
            h = self._random[self._offset:self._offset + 16].hex()
            self._offset += 16
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{self._VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


new_request_id = RequestIds()


@dataclass
class RequestContext:
    """One request: set up by the gateway before routing, read by guards, services and the audit trail."""

    db: Database
    request_id: str
    client_ip: str | None
    method: str
    path: str
    principal: Principal = ANONYMOUS
    route: str | None = None
    action: str | None = None
    object_id: str | None = None
    audited: bool = False
    deny_reason: str | None = None
    pending_status: int = 200
    extra: dict[str, str] = field(default_factory=dict)

    def db_context(self, role: str | None = None) -> dict[str, str | None]:
        return {
            "tanba.bin": self.principal.bin,
            "tanba.role": role or self.principal.acting_role,
            "tanba.iin": self.principal.iin,
            "tanba.request_id": self.request_id,
        }

    @asynccontextmanager
    async def transaction(self, status: int = 200) -> AsyncIterator[AsyncSession]:
        """The request's unit of work: tenant set for this transaction only, and the audit row written
        in the same transaction as the effect (``status`` is the answer a success will give; a service
        that commits a refusal sets ``pending_status`` inside the block)."""
        self.pending_status = status
        async with self.db.async_session(self.db_context()) as session:
            yield session
            await append_audit(session, self, self.pending_status)
        self.audited = True


# What a caller sends (an unknown path, an object id) is kept to this length in the audit row: an 8 KB path
# is not kept 8 KB at a time in an append-only log; the start shows what it was.
AUDIT_TEXT_LIMIT = 512


def _clipped(value: str | None) -> str | None:
    return value if value is None or len(value) <= AUDIT_TEXT_LIMIT else value[:AUDIT_TEXT_LIMIT - 1] + "…"


async def append_audit(session: AsyncSession, ctx: RequestContext, status: int) -> None:
    route = _clipped(ctx.route or ctx.path)
    await session.execute(
        text("SELECT ops.audit_append(:rid, :bin, :iin, :role, :ip, :method, :route, :action, :object, :status)"),
        {
            "rid": ctx.request_id, "bin": ctx.principal.bin, "iin": ctx.principal.iin,
            "role": ctx.principal.acting_role, "ip": ctx.client_ip, "method": ctx.method,
            "route": route, "action": _clipped(ctx.action) or f"{ctx.method} {route}",
            "object": _clipped(ctx.object_id), "status": status,
        },
    )


async def audit_outcome(ctx: RequestContext, status: int) -> None:
    """The audit row of a request that wrote none itself (refused, failed, or a read without a transaction)."""
    if ctx.audited:
        return
    async with ctx.db.async_session(ctx.db_context()) as session:
        await append_audit(session, ctx, status)
    ctx.audited = True
