"""Receiving signed documents and reporting their outcome (API.md: Documents).

A document passes format-logical control and its signature check at once (422 / 403 before anything is
stored), is stored as received with its exact bytes, and is processed by the worker all-or-nothing; its
status and errors are read back with ``GET /api/v1/documents/{id}``.
"""

import datetime as dt
import uuid
from typing import Any

import msgspec
from sqlalchemy import text

from api.domain.documents.reading import read_document
from api.domain.identity.services import decode_base64, refuse_used_id, sender_signer
from api.domain.participants.schemas import SignedEnvelope
from api.faults import Conflict, Fault, NotFound
from api.i18n import translate
from api.security.context import RequestContext
from api.security.signatures import SignatureVerifier
from warehouse.database import LockSpace, hold_until_commit
from warehouse.models import Document

NOTIFY_CHANNEL = "tanba_documents"


class DocumentError(msgspec.Struct):
    code: str
    path: str | None
    index: int | None
    message: str


class DocumentStatus(msgspec.Struct):
    id: uuid.UUID
    type: str
    status: str
    errors: list[DocumentError]
    received_at: dt.datetime
    processed_at: dt.datetime | None
    codes: int | None = None  # codes the document acted on (CHECKED_OK)


def _status(row: Document, language: str) -> DocumentStatus:
    errors = [DocumentError(e["code"], e.get("path"), e.get("index"), translate(e["code"], language, e.get("params")))
              for e in row.errors or []]
    return DocumentStatus(id=row.id, type=row.type, status=row.status, errors=errors, received_at=row.received_at,
                          processed_at=row.processed_at, codes=row.codes)


async def submit_document(ctx: RequestContext, verifier: SignatureVerifier, envelope: SignedEnvelope,
                          language: str) -> tuple[DocumentStatus, bool]:
    """Store a checked, signed document for processing; the same id and bytes again answer the first result."""
    document = decode_base64(envelope.document, "document")
    signature = decode_base64(envelope.signature, "signature")
    parsed = read_document(envelope.type, document)
    ctx.action, ctx.object_id = f"documents.{envelope.type.lower()}", str(parsed.id)
    signer = await sender_signer(ctx, verifier, signature, document)
    async with ctx.transaction(status=202) as session:
        await hold_until_commit(session, LockSpace.DOCUMENT_ID, str(parsed.id))
        existing = await session.get(Document, parsed.id)
        if existing is not None:
            if existing.body != document or existing.type != envelope.type:
                raise Conflict(Fault("document.id_reused", "document.id", params={"id": str(parsed.id)}))
            ctx.pending_status = 200
            return _status(existing, language), False
        await refuse_used_id(session, parsed.id)
        row = Document(id=parsed.id, type=envelope.type, sender_bin=ctx.principal.bin, signer_iin=signer.iin,
                       body=document, signature=signature, status="RECEIVED")
        session.add(row)  # the id is free: copies of this id wait on its lock, and refuse_used_id saw every other
        await session.flush()
        await session.refresh(row)
        await session.execute(text("SELECT pg_notify(:channel, :id)"), {"channel": NOTIFY_CHANNEL,
                                                                         "id": str(parsed.id)})
        return _status(row, language), True


async def document_status(ctx: RequestContext, document_id: uuid.UUID, language: str) -> DocumentStatus:
    """The document's state and errors (its sender, authorities and operators)."""
    ctx.action, ctx.object_id = "documents.status", str(document_id)
    async with ctx.transaction() as session:
        row = await session.get(Document, document_id)
        if row is None:  # unknown, or another participant's
            raise NotFound(Fault("document.not_found", "id", params={"id": str(document_id)}))
        return _status(row, language)


def stored_errors(faults: list[Fault]) -> list[dict[str, Any]]:
    """Faults as kept with a document: code, path, index and parameters (the message is rendered per reader)."""
    return [{"code": f.code, "path": f.path, "index": f.index, "params": f.params} for f in faults]
