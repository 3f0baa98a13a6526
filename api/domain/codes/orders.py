"""Code orders: a participant's signed CODE_ORDER for one of its GTINs, accepted at once (202) and
emitted in the background by the emission worker (``tanba worker``)."""

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.domain.codes.gs1 import normalise_gtin
from api.domain.identity.services import (
    decode_base64,
    document_id,
    refuse_used_id,
    sender_signer,
    signed_json,
    unknown_fields,
)
from api.domain.participants.schemas import SignedEnvelope
from api.faults import Conflict, Fault, Forbidden, InvalidInput, NotFound
from api.security.context import RequestContext
from api.security.signatures import SignatureVerifier
from warehouse.database import LockSpace, hold_until_commit
from warehouse.models import CodeOrder, Product, ProductPack

ORDER_TYPE = "CODE_ORDER"
ORDER_FIELDS = frozenset({"id", "gtin", "quantity"})
MAX_QUANTITY = 1_000_000


class OrderStatus(msgspec.Struct):
    id: uuid.UUID
    gtin: str
    quantity: int
    produced: int
    status: str
    progress: float
    key_id: str | None
    error: str | None


def _status(order: CodeOrder) -> OrderStatus:
    return OrderStatus(id=order.id, gtin=order.gtin, quantity=order.quantity, produced=order.produced,
                       status=order.status, progress=round(order.produced / order.quantity, 4),
                       key_id=order.key_id, error=order.error)


def _json_type(value: object) -> str:
    return {bool: "boolean", int: "integer", float: "number", list: "array", dict: "object"}.get(
        type(value), "null" if value is None else "string")


def parse_order(envelope: SignedEnvelope) -> tuple[bytes, bytes, uuid.UUID, str, int]:
    faults: list[Fault] = []
    if envelope.type != ORDER_TYPE:
        faults.append(Fault("document.type", "type", params={"expected": ORDER_TYPE, "value": envelope.type}))
    document = decode_base64(envelope.document, "document")
    signature = decode_base64(envelope.signature, "signature")
    try:
        body = signed_json(document)
    except InvalidInput as exc:
        raise InvalidInput(*exc.faults, *faults) from None
    faults += unknown_fields(body, ORDER_FIELDS)
    missing = [name for name in ("id", "gtin", "quantity") if name not in body]
    faults += [Fault("field.required", f"document.{name}", params={"field": name}) for name in missing]
    order_id: uuid.UUID | None = None
    for name in ("id", "gtin"):  # text, as signed: a number or true is not read as its digits
        if name in body and not isinstance(body[name], str):
            faults.append(Fault("field.type", f"document.{name}", params={
                "field": name, "expected": "string", "got": _json_type(body[name])}))
    if isinstance(body.get("id"), str):
        order_id = document_id(body, faults)
    gtin = ""
    if isinstance(body.get("gtin"), str):
        try:
            gtin = normalise_gtin(body.get("gtin", ""), path="document.gtin")
        except InvalidInput as exc:
            faults.extend(exc.faults)
    quantity = body.get("quantity")
    if "quantity" in body and (not isinstance(quantity, int) or isinstance(quantity, bool)
                               or not 1 <= quantity <= MAX_QUANTITY):
        shown = json.dumps(quantity, ensure_ascii=False)[:40]  # as the caller wrote it: null, "5", 1.5
        faults.append(Fault("order.quantity", "document.quantity", params={"value": shown, "max": MAX_QUANTITY}))
    if faults:
        raise InvalidInput(*faults)
    assert order_id is not None and isinstance(quantity, int)
    return document, signature, order_id, gtin, quantity


async def submit_order(
    ctx: RequestContext, verifier: SignatureVerifier, envelope: SignedEnvelope
) -> tuple[OrderStatus, bool]:
    document, signature, order_id, gtin, quantity = parse_order(envelope)
    ctx.action, ctx.object_id = "orders.submit", str(order_id)
    signer = await sender_signer(ctx, verifier, signature, document)
    async with ctx.transaction(status=202) as session:
        await hold_until_commit(session, LockSpace.DOCUMENT_ID, str(order_id))
        existing = await session.get(CodeOrder, order_id)
        if existing is not None:
            if existing.document != document:
                raise Conflict(Fault("document.id_reused", "document.id", params={"id": str(order_id)}))
            ctx.pending_status = 200
            return _status(existing), False
        await refuse_used_id(session, order_id)
        owner = await _gtin_owner(session, gtin)
        order = CodeOrder(id=order_id, owner_bin=owner, gtin=gtin, quantity=quantity, produced=0,
                          status="RECEIVED", document=document, signature=signature, signer_iin=signer.iin)
        session.add(order)  # the id is free: copies of this id wait on its lock, and refuse_used_id saw every other
        await session.flush()
        await session.execute(text("SELECT pg_notify('tanba_code_orders', :id)"), {"id": str(order_id)})
        return _status(order), True


async def _gtin_owner(session: AsyncSession, gtin: str) -> str:
    """The owner of a GTIN codes may be ordered for: one of the sender's products, or a group pack of one (its
    codes are group pack codes, КИГУ); a transport pack is identified by an SSCC, not by ordered codes."""
    product = await session.get(Product, gtin)
    if product is not None:
        return product.owner_bin
    pack = await session.get(ProductPack, gtin)
    if pack is None:  # unknown, or another participant's (invisible under row-level security)
        raise Forbidden(Fault("order.not_your_gtin", "document.gtin", params={"gtin": gtin}))
    if pack.level != "GROUP_PACK":
        raise InvalidInput(Fault("order.transport_pack_gtin", "document.gtin", params={"gtin": gtin}))
    return pack.owner_bin


async def order_status(ctx: RequestContext, order_id: uuid.UUID) -> OrderStatus:
    ctx.action, ctx.object_id = "orders.status", str(order_id)
    async with ctx.transaction() as session:
        order = await session.get(CodeOrder, order_id)
        if order is None:
            raise NotFound(Fault("order.not_found", "id", params={"id": str(order_id)}))
        return _status(order)


async def stream_codes(ctx: RequestContext, order_id: uuid.UUID, fmt: str) -> AsyncIterator[bytes]:
    """All marking codes of a finished order, streamed from a server-side cursor (flat memory)."""
    ctx.action, ctx.object_id = f"orders.codes.{fmt}", str(order_id)
    async with ctx.transaction() as session:
        order = await session.get(CodeOrder, order_id)
        if order is None:
            raise NotFound(Fault("order.not_found", "id", params={"id": str(order_id)}))
        if order.status != "DONE":
            raise Conflict(Fault("order.not_ready", "id", params={"status": order.status}))
    return _code_rows(ctx, order_id, fmt)


async def _code_rows(ctx: RequestContext, order_id: uuid.UUID, fmt: str) -> AsyncIterator[bytes]:
    gs = "\x1d"
    if fmt == "csv":
        yield b"gtin,serial,key_id,crypto_tail,marking_code\r\n"  # lines end in CRLF (RFC 4180)
    async with ctx.db.async_session(ctx.db_context()) as session:
        result = await session.stream(
            text("SELECT gtin, serial, key_id, crypto_tail FROM ops.marking_code WHERE order_id = :id")
            .execution_options(yield_per=10_000), {"id": order_id},
        )
        async for partition in result.partitions(10_000):
            lines: list[str] = []
            for gtin, serial, key_id, tail in partition:
                code = f"01{gtin}21{serial}{gs}91{key_id}{gs}92{tail}"
                if fmt == "csv":
                    lines.append(_csv_row(gtin, serial, key_id, tail, code))
                else:
                    lines.append(json.dumps({"gtin": gtin, "serial": serial, "key_id": key_id,
                                             "crypto_tail": tail, "marking_code": code}, ensure_ascii=False) + "\n")
            yield "".join(lines).encode()


def _csv_row(*values: Any) -> str:
    """One CSV row; serials in character set 82 may hold quotes and commas, and the code holds GS."""
    return ",".join('"' + str(v).replace('"', '""') + '"' for v in values) + "\r\n"


MAX_LABELS = 5_000


async def label_sheet(ctx: RequestContext, order_id: uuid.UUID, offset: int, limit: int, with_text: bool) -> bytes:
    """A printable PDF sheet of ``limit`` codes of a finished order from ``offset`` (in serial order)."""
    import asyncio

    from api.domain.codes.gs1 import ParsedCode
    from api.domain.codes.labels import label_sheet_pdf

    ctx.action, ctx.object_id = "orders.labels", f"{order_id}[{offset}:{offset + limit}]"
    async with ctx.transaction() as session:
        order = await session.get(CodeOrder, order_id)
        if order is None:
            raise NotFound(Fault("order.not_found", "id", params={"id": str(order_id)}))
        if order.status != "DONE":
            raise Conflict(Fault("order.not_ready", "id", params={"status": order.status}))
        rows = (await session.execute(
            text("SELECT gtin, serial, key_id, crypto_tail FROM ops.marking_code WHERE order_id = :id "
                 "ORDER BY serial OFFSET :offset LIMIT :limit"),
            {"id": order_id, "offset": offset, "limit": limit},
        )).all()
    if not rows:
        raise NotFound(Fault("order.no_codes_in_range", "offset", params={"offset": offset}))
    codes = [ParsedCode(ais=(("01", str(g)), ("21", str(s)), ("91", str(k)), ("92", str(t)))) for g, s, k, t in rows]
    return await asyncio.to_thread(label_sheet_pdf, codes, with_text=with_text)
