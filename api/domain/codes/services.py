"""Services of the codes context."""

import asyncio
import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

import msgspec
from sqlalchemy import text

from api.domain.codes import gs1
from api.domain.codes.schemas import ElementValue, ParsedCodeOut
from api.faults import Fault, InvalidInput, NotFound
from api.i18n import translate
from api.security.context import RequestContext


def parse_code(value: str | bytes, partial: bool = False) -> ParsedCodeOut:
    """Every accepted spelling of a code, parsed into one shape (or InvalidInput naming the AI and rule)."""
    parsed = gs1.parse(value, partial=partial)
    return ParsedCodeOut(
        gtin=parsed.gtin, serial=parsed.serial, sscc=parsed.sscc, crypto_key_id=parsed.crypto_key_id,
        crypto_signature=parsed.crypto_signature, identification_code=parsed.identification_code,
        ais=[ElementValue(ai, value, gs1.AI_TABLE[ai].title) for ai, value in parsed.ais],
        element_string=parsed.element_string(), bracketed=parsed.bracketed(),
        digital_link=_digital_link(parsed),
        marking_code=parsed.marking_code() if parsed.identification_code else None,
    )


class CodeHistoryEvent(msgspec.Struct):
    at: dt.datetime
    event: str
    document_id: str | None
    detail: str | None  # language-neutral: the pack's code, counts
    message: str | None = None  # the event in the reader's language


def history_message(event: str, detail: str | None, language: str) -> str:
    """One history event in words: AGGREGATED "00…" → "Put into pack 00…", PACK_OPENED "2/6" → "2 of 6 …"."""
    numbers = re.findall(r"\d+", detail or "") if event.startswith("PACK_") else []
    params = {"detail": detail or "", "pack": detail or ""}
    for name, value in zip(("a", "b"), numbers, strict=False):
        params[name] = value
    return translate(f"history.{event.lower()}", language, params)


class CodeProduct(msgspec.Struct):
    """The product card behind a code (a group pack's code: the product it packs)."""

    gtin: str
    name_kk: str | None
    name_ru: str | None
    product_group: str | None
    manufacturer: str | None
    manufacturer_bin: str | None
    importer_bin: str | None
    country: str | None


class ChildCode(msgspec.Struct):
    identification_code: str  # 01…21… of a unit or group pack, 00… of a transport pack
    status: str | None  # a transport pack has none of its own


class CodeCard(msgspec.Struct):
    identification_code: str
    gtin: str | None
    serial: str | None
    status: str | None  # a transport pack (SSCC) has no status of its own: its children have
    owner_bin: str
    product_name_ru: str | None
    product_name_kk: str | None
    product_group: str | None
    parent: str | None  # the identification code of the pack that holds this code
    children: int  # codes held directly (units and packs)
    history: list[CodeHistoryEvent]
    sscc: str | None = None
    # the crypto tail given with the code (AI 91/92) is the one issued: None when none was given, false for a
    # forged, altered or half tail (as public verification's forged_tail, and documents' code.tail_mismatch)
    authentic: bool | None = None
    product: CodeProduct | None = None  # API.md's "product"; product_name_* and product_group repeat it
    # the codes it holds directly, in identification-code order: a page of ``children_limit`` after
    # ``children_after`` (the last code of the page before); ``children`` is how many there are in all
    children_codes: list[ChildCode] = msgspec.field(default_factory=list)


def _digital_link(parsed: gs1.ParsedCode) -> str | None:
    """The Digital Link of any code with a primary key (a unit, a GTIN with a lot, an SSCC), else None."""
    try:
        return parsed.digital_link()
    except InvalidInput:
        return None


def _unit_code(ctx: RequestContext, code: str | bytes, action: str) -> gs1.ParsedCode:
    """A unit's code (GTIN and serial) in any spelling, named in the request's audit row."""
    parsed = gs1.parse(code)
    if parsed.gtin is None or parsed.serial is None:
        raise InvalidInput(Fault("verify.unit_code_required", "code"))
    ctx.action, ctx.object_id = action, parsed.identification_code
    return parsed


async def code_label(ctx: RequestContext, code: str, fmt: str, module_px: int) -> bytes:
    """One code's GS1 DataMatrix (PNG or SVG) for its owner: rendered from the code as issued (whatever
    spelling was sent), so the symbol always carries the crypto tail."""
    from api.domain.codes.labels import datamatrix_png, datamatrix_svg

    parsed = _unit_code(ctx, code, "codes.label")
    async with ctx.transaction() as session:
        row = (await session.execute(
            text("SELECT gtin, serial, key_id, crypto_tail FROM ops.marking_code "
                 "WHERE gtin = :gtin AND serial = :serial AND owner_bin = :owner"),
            {"gtin": parsed.gtin, "serial": parsed.serial, "owner": ctx.principal.bin},
        )).first()
    if row is None:  # unknown, or another participant's
        raise NotFound(Fault("code.not_found", "code", params={"code": parsed.identification_code}))
    issued = gs1.ParsedCode(ais=(("01", str(row.gtin)), ("21", str(row.serial)), ("91", str(row.key_id)),
                                 ("92", str(row.crypto_tail))))
    if fmt == "svg":
        return (await asyncio.to_thread(datamatrix_svg, issued, module_px)).encode()
    return await asyncio.to_thread(datamatrix_png, issued, module_px)


CHILDREN_SQL = ("SELECT (SELECT count(*) FROM ops.marking_code WHERE parent = :key) "
                "+ (SELECT count(*) FROM ops.transport_pack WHERE parent = :key)")
CHILD_CODES_SQL = (
    "SELECT code, status FROM ("
    "  SELECT '01' || gtin || '21' || serial AS code, status FROM ops.marking_code WHERE parent = :key"
    "  UNION ALL SELECT '00' || sscc, NULL FROM ops.transport_pack WHERE parent = :key) c "
    "WHERE CAST(:after AS text) IS NULL OR code COLLATE \"C\" > CAST(:after AS text) COLLATE \"C\" "
    "ORDER BY code COLLATE \"C\" LIMIT :limit")


class ChildrenPage(msgspec.Struct):
    limit: int = 100
    after: str | None = None


def _child_key(after: str) -> str:
    """``children_after`` as the identification code the children are listed by (01…21… or 00…), from any
    spelling of the code; a value that is no such code is refused, not read as a place in the list."""
    try:
        parsed = gs1.parse(after)
    except InvalidInput as exc:
        raise InvalidInput(*(Fault(f.code, "children_after", f.index, f.params) for f in exc.faults)) from None
    if parsed.identification_code is None:
        raise InvalidInput(Fault("code.unit_or_pack_required", "children_after"))
    return parsed.identification_code


async def _children(session: Any, key: str, page: ChildrenPage) -> tuple[int, list[ChildCode]]:
    """How many codes ``key`` holds directly, and a page of them."""
    count: int = (await session.execute(text(CHILDREN_SQL), {"key": key})).scalar_one()
    rows = (await session.execute(text(CHILD_CODES_SQL),
                                  {"key": key, "after": page.after, "limit": page.limit})).all() if page.limit else []
    return count, [ChildCode(identification_code=r.code, status=r.status) for r in rows]
EVENTS_SQL = "SELECT at, event, document_id, detail FROM ops.code_event WHERE code = :key ORDER BY at, id"


async def code_card(ctx: RequestContext, code: str | bytes, language: str = "ru",
                    page: ChildrenPage | None = None) -> CodeCard:
    """The code's status, owner, product, aggregation and history: the owner, authorities and operators.
    A transport pack's code (SSCC) has a card too: owner, parent, children and history."""
    page = page or ChildrenPage()
    if page.after is not None:
        page = ChildrenPage(page.limit, _child_key(page.after))
    parsed = gs1.parse(code)
    if parsed.sscc is not None:
        return await _pack_card(ctx, parsed.sscc, language, page)
    if parsed.gtin is None or parsed.serial is None:  # a card is a unit's or a transport pack's
        raise InvalidInput(Fault("code.unit_or_pack_required", "code"))
    parsed = _unit_code(ctx, code, "codes.card")
    key = f"01{parsed.gtin}21{parsed.serial}"
    async with ctx.transaction() as session:
        row = (await session.execute(
            text("SELECT m.gtin, m.serial, m.status, m.owner_bin, m.emitted_at, m.order_id, m.key_id, m.parent, "
                 "m.crypto_tail, "
                 "p.gtin AS product_gtin, p.name_ru, p.name_kk, p.product_group, p.manufacturer, "
                 "p.manufacturer_bin, p.importer_bin, p.country FROM ops.marking_code m "
                 "LEFT JOIN ops.product_pack pk ON pk.gtin = m.gtin "  # a group pack's code: its product's card
                 "LEFT JOIN ops.product p ON p.gtin = coalesce(pk.product_gtin, m.gtin) "
                 "WHERE m.gtin = :gtin AND m.serial = :serial"),
            {"gtin": parsed.gtin, "serial": parsed.serial},
        )).first()
        if row is None:  # unknown, or another participant's (invisible under row-level security)
            raise NotFound(Fault("code.not_found", "code", params={"code": parsed.identification_code}))
        children, child_codes = await _children(session, key, page)
        events = (await session.execute(text(EVENTS_SQL), {"key": key})).all()
    given = (parsed.crypto_key_id, parsed.crypto_signature)
    return CodeCard(
        authentic=None if given == (None, None) else given == (row.key_id, row.crypto_tail),
        identification_code=key, gtin=row.gtin, serial=row.serial, status=row.status,
        owner_bin=row.owner_bin, product_name_ru=row.name_ru, product_name_kk=row.name_kk,
        product_group=row.product_group, parent=row.parent, children=children, children_codes=child_codes,
        product=CodeProduct(gtin=row.product_gtin, name_kk=row.name_kk, name_ru=row.name_ru,
                            product_group=row.product_group, manufacturer=row.manufacturer,
                            manufacturer_bin=row.manufacturer_bin, importer_bin=row.importer_bin,
                            country=row.country) if row.product_gtin else None,
        history=[CodeHistoryEvent(at=row.emitted_at, event="EMITTED", document_id=str(row.order_id),
                                  detail=row.key_id, message=history_message("EMITTED", row.key_id, language)),
                 *_history(events, language)],
    )


def _history(events: Sequence[Any], language: str) -> list[CodeHistoryEvent]:
    return [CodeHistoryEvent(at=e.at, event=e.event, document_id=str(e.document_id) if e.document_id else None,
                             detail=e.detail, message=history_message(e.event, e.detail, language)) for e in events]


async def _pack_card(ctx: RequestContext, sscc: str, language: str, page: ChildrenPage) -> CodeCard:
    key = "00" + sscc
    ctx.action, ctx.object_id = "codes.card", key
    async with ctx.transaction() as session:
        row = (await session.execute(
            text("SELECT owner_bin, parent, document_id, created_at FROM ops.transport_pack WHERE sscc = :sscc"),
            {"sscc": sscc})).first()
        if row is None:
            raise NotFound(Fault("code.not_found", "code", params={"code": key}))
        children, child_codes = await _children(session, key, page)
        events = (await session.execute(text(EVENTS_SQL), {"key": key})).all()
    return CodeCard(identification_code=key, gtin=None, serial=None, status=None, owner_bin=row.owner_bin,
                    product_name_ru=None, product_name_kk=None, product_group=None, parent=row.parent,
                    children=children, children_codes=child_codes, history=_history(events, language), sscc=sscc)
