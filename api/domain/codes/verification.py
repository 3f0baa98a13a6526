"""Public verification of a code (requirement 7) and citizens' violation reports."""

import asyncio
import base64
import binascii
import datetime as dt
import hashlib
import io
import time
import uuid
import warnings
from decimal import Decimal

import msgspec
from PIL import Image
from sqlalchemy import text

from api.domain.codes import gs1
from api.domain.identity.services import reserved_id
from api.faults import Conflict, Fault, InvalidInput
from api.i18n import translate
from api.security.context import RequestContext
from warehouse.batching import Batcher
from warehouse.database import Database, LockSpace, hold_until_commit
from warehouse.models import ViolationReport
from warehouse.reference.queries import entries_stmt

SUSPICIOUS_SCANS_PER_DAY = 20  # one unit is rarely checked this often; copies are
SUSPICIOUS = "verify.suspicious_scans"  # the one warning whose text has a parameter (the scans)
SCAN_WINDOW = 100  # copy detection reads at most this many latest scans of a code (migration 0007)
MAX_PHOTO_BYTES = 1_500_000
# a report's body: the photo in base64 (4/3 of it) and the rest, with room for a larger photo to be refused by name
MAX_VIOLATION_BODY = 3 * 1024 * 1024
MAX_PHOTO_PIXELS = 20_000_000  # a phone's photo within MAX_PHOTO_BYTES passes; a decompression bomb does not
MAX_ADDRESS = 500
RAW_CODE_KINDS = frozenset({"UNREADABLE_CODE", "NOT_AUTHENTIC", "CODE_NOT_FOUND"})  # violation_kinds
PHOTO_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}


class ProductInfo(msgspec.Struct):
    gtin: str
    name: str | None
    manufacturer: str | None
    importer: str | None
    production_date: str | None
    product_group: str | None


class VerificationWarning(msgspec.Struct):
    code: str
    message: str


class Verification(msgspec.Struct):
    found: bool
    authentic: bool
    status: str | None
    status_text: str | None
    product: ProductInfo | None
    warnings: list[VerificationWarning]


class Location(msgspec.Struct, forbid_unknown_fields=True):
    lat: float | None = None
    lon: float | None = None
    address: str | None = None


class ViolationIn(msgspec.Struct, forbid_unknown_fields=True):
    kind: str
    id: uuid.UUID | None = None  # the app's own id: a retry with the same id is answered, not stored again
    code: str | None = None
    comment: str | None = None
    location: Location | None = None
    photo: str | None = None  # base64 JPEG or PNG


class ViolationCreated(msgspec.Struct):
    id: uuid.UUID
    received_at: dt.datetime
    stored: bool = True  # false: this id's report was stored before (a retry), nothing was added


def _position(lat: float | None, lon: float | None, prefix: str = "") -> tuple[Decimal | None, Decimal | None]:
    """A location is both coordinates or neither, each in its range (rounded to ~1 m here, ~1 km when stored)."""
    if lat is None and lon is None:  # most scans
        return None, None
    faults: list[Fault] = []
    values: list[Decimal | None] = []
    for name, value, limit in (("lat", lat, 90.0), ("lon", lon, 180.0)):
        path = prefix + name
        if value is None:
            if lat is not None or lon is not None:  # the other one was given
                faults.append(Fault("field.required", path, params={"field": path}))
            values.append(None)
        elif not -limit <= value <= limit:
            faults.append(Fault("field.range", path, params={"field": path, "min": -limit, "max": limit}))
        else:
            values.append(Decimal(str(round(value, 5))))
    if faults:
        raise InvalidInput(*faults)
    return values[0], values[1]


def _production_date(parsed: gs1.ParsedCode) -> str | None:
    """AI 11 as printed (it is outside the signed part): a day 00 names only the month (GS1: no day given),
    and a date still to come is no production date."""
    value = dict(parsed.ais).get("11")
    if not value:
        return None
    date = gs1.date_of(value)
    if date > dt.date.today():
        return None
    return date.isoformat()[:7] if value.endswith("00") else date.isoformat()


_STATUS_NAMES: dict[str, tuple[float, dict[str, dict[str, str]]]] = {}
STATUS_NAMES_TTL = 300.0
VERIFY_SQL = "SELECT ops.public_verify_batch(%s::jsonb, %s)"
VERIFY_ROUTE = "/api/v1/public/verify"


class Scan(msgspec.Struct):
    """One verification as the batch document carries it (migration 0008; the caller, 0017)."""

    gtin: str
    serial: str
    key_id: str | None
    tail: str | None
    lat: Decimal | None
    lon: Decimal | None
    client: str | None
    request_id: str
    client_ip: str | None
    actor_bin: str | None  # the signed-in caller (an inspector, a participant), else none: the public
    actor_iin: str | None
    role: str
    method: str  # GET or HEAD


class Answer(msgspec.Struct, array_like=True):
    """One answer of the batch, by position (migration 0008, ANSWER_FIELDS)."""

    found: bool
    authentic: bool
    status: str | None
    product_group: str | None
    name_kk: str | None
    name_ru: str | None
    manufacturer: str | None
    importer_bin: str | None
    importer_name: str | None
    scans_24h: int
    places_24h: int


_BATCH_ENCODER = msgspec.json.Encoder(decimal_format="number")
_ANSWERS = msgspec.json.Decoder(list[Answer])


def _verification_batcher(db: Database) -> Batcher[Scan, Answer]:
    """The verifications arriving together in this worker go to the database as one statement: one JSON
    document of scans in, one JSON array of answers out (both sides decode in C)."""

    async def run(scans: list[Scan]) -> list[Answer]:
        row = await db.fetch_one(VERIFY_SQL, (_BATCH_ENCODER.encode(scans).decode(), VERIFY_ROUTE))
        return _ANSWERS.decode(str(row[0])) if row else []

    # Two statements in flight per worker: one fills while the other runs (more costs p99, fewer throughput).
    return Batcher(run, max_batch=256, max_in_flight=2)


def _cached_status_names() -> dict[str, dict[str, str]] | None:
    """The cached names while they are fresh (no coroutine: verification asks for them every time)."""
    cached = _STATUS_NAMES.get("names")
    return cached[1] if cached and time.monotonic() - cached[0] < STATUS_NAMES_TTL else None


async def _status_names(ctx: RequestContext) -> dict[str, dict[str, str]]:
    """Names of the code statuses by language, cached in the process for a few minutes (a directory)."""
    cached = _cached_status_names()
    if cached is not None:
        return cached
    async with ctx.db.async_session() as session:
        entries = list(await session.scalars(entries_stmt("code_statuses", at=dt.date.today())))
    names = {e.code: {"kk": e.name_kk, "ru": e.name_ru, "en": e.name_en} for e in entries}
    _STATUS_NAMES["names"] = (time.monotonic(), names)
    return names


async def verify(
    ctx: RequestContext, code: str | bytes, lat: float | None, lon: float | None, language: str
) -> Verification:
    """One statement for many: the function answers, records the scans and appends the audit rows in one
    transaction, for every verification this worker received meanwhile (see warehouse.batching)."""
    parsed = gs1.parse(code)
    if parsed.gtin is None or parsed.serial is None:
        raise InvalidInput(Fault("verify.unit_code_required", "code"))
    ctx.action, ctx.object_id = "public.verify", parsed.identification_code
    latitude, longitude = _position(lat, lon)
    principal = ctx.principal
    answer: Answer = await ctx.db.batcher("public.verify", _verification_batcher).submit(Scan(
        parsed.gtin, parsed.serial, parsed.crypto_key_id, parsed.crypto_signature, latitude, longitude,
        ctx.extra.get("user_agent"), ctx.request_id, ctx.client_ip, principal.bin, principal.iin,
        principal.acting_role, ctx.method,
    ))
    ctx.audited = True
    status = answer.status
    warnings: list[str] = []
    if not answer.found:
        warnings.append("verify.unknown_code")
    else:
        if parsed.crypto_signature is None and parsed.crypto_key_id is None:
            warnings.append("verify.no_crypto_tail")  # a half tail (AI 91 or 92 alone) was cut: not authentic
        elif not answer.authentic:
            warnings.append("verify.forged_tail")
        warnings += {"RETIRED": ["verify.already_sold"], "WRITTEN_OFF": ["verify.written_off"],
                     "EMITTED": ["verify.not_in_circulation"],
                     "APPLIED": ["verify.not_in_circulation"]}.get(str(status), [])
    if answer.scans_24h > SUSPICIOUS_SCANS_PER_DAY or answer.places_24h > 2:
        warnings.append(SUSPICIOUS)
    scans = f"{answer.scans_24h}+" if answer.scans_24h >= SCAN_WINDOW else str(answer.scans_24h)
    product = None
    if answer.found:
        product = ProductInfo(gtin=parsed.gtin, name=answer.name_kk if language == "kk" else answer.name_ru,
                              manufacturer=answer.manufacturer,
                              importer=answer.importer_name or answer.importer_bin or None,
                              production_date=_production_date(parsed), product_group=answer.product_group)
    names = (_cached_status_names() or await _status_names(ctx)) if status else {}
    return Verification(
        found=answer.found, authentic=answer.authentic, status=status,
        status_text=names.get(status, {}).get(language) if status else None, product=product,
        warnings=[VerificationWarning(w, translate(w, language, {"scans": scans} if w == SUSPICIOUS else None))
                  for w in warnings],
    )


def _base64(value: str) -> bytes:
    """A photo as mobile apps send it: plain base64, line-wrapped (Android's Base64.DEFAULT), URL-safe or
    unpadded, or a ``data:image/…;base64,`` URI."""
    text = value.strip()
    if text.startswith("data:") and ";base64," in text[:64]:
        text = text.partition(";base64,")[2]
    text = "".join(text.split()).replace("-", "+").replace("_", "/")
    text += "=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput(Fault("field.base64", "photo", params={"field": "photo"})) from None


_PHOTO_DECODES = asyncio.Semaphore(1)  # bound to the process's event loop when first awaited


async def _photo(value: str | None) -> tuple[bytes | None, str | None]:
    if value is None:
        return None, None
    data = _base64(value)
    if len(data) > MAX_PHOTO_BYTES:
        raise InvalidInput(Fault("violation.photo_too_large", "photo", params={"limit": MAX_PHOTO_BYTES}))
    kind = next((kind for magic, kind in PHOTO_TYPES.items() if data.startswith(magic)), None)
    if kind is None:
        raise InvalidInput(Fault("violation.photo_type", "photo"))
    # decoded in a thread, one photo at a time per process: the event loop keeps answering, and the memory a
    # decode takes (tens of MB at most) is not multiplied by a burst of reports
    async with _PHOTO_DECODES:
        readable = await asyncio.to_thread(_readable_image, data)
    if not readable:
        raise InvalidInput(Fault("violation.photo_unreadable", "photo", params={"limit": MAX_PHOTO_PIXELS // 10**6}))
    return data, kind


def _readable_image(data: bytes) -> bool:
    """The photo is the whole image its header promises (Pillow): a PNG decoded in full, a JPEG at 1/8 scale
    (every block is still read: a few milliseconds, little memory), neither beyond MAX_PHOTO_PIXELS."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=("JPEG", "PNG")) as image:
                if image.width * image.height > MAX_PHOTO_PIXELS:
                    return False
                if image.format == "JPEG":
                    image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
                image.load()
    except Exception:
        return False
    return True


async def report_violation(ctx: RequestContext, report: ViolationIn) -> ViolationCreated:
    faults: list[Fault] = []
    parsed = None
    report.code = report.code.strip(" \t\r\n") or None if report.code is not None else None
    if report.code:
        try:
            parsed = gs1.parse(report.code)
        except InvalidInput as exc:
            # a citizen reporting a code that cannot be read or is not genuine sends what the app scanned: it is
            # kept as sent (within the parser's length limit); for other kinds a code must be a code
            if report.kind not in RAW_CODE_KINDS or exc.faults[0].code == "gs1.code_too_long":
                faults.extend(exc.faults)
    if report.comment is not None and len(report.comment) > 2000:
        faults.append(Fault("violation.comment_too_long", "comment", params={"limit": 2000}))
    location = report.location or Location()
    if location.address is not None and len(location.address) > MAX_ADDRESS:
        faults.append(Fault("violation.address_too_long", "location.address", params={"limit": MAX_ADDRESS}))
    try:
        lat, lon = _position(location.lat, location.lon, "location.")
    except InvalidInput as exc:
        faults.extend(exc.faults)
        lat = lon = None
    try:
        photo, photo_type = await _photo(report.photo)
    except InvalidInput as exc:
        faults.extend(exc.faults)
        photo = photo_type = None
    faults += reserved_id(report.id, "id")  # an app's unset id would make every report a "retry" of the first
    report_id = report.id or uuid.uuid4()
    ctx.action, ctx.object_id = "public.violation", str(report_id)
    digest = hashlib.sha256(msgspec.json.encode(report)).digest()  # field order is the struct's: canonical
    async with ctx.transaction(status=201) as session:
        kinds = {e.code for e in await session.scalars(entries_stmt("violation_kinds", at=dt.date.today()))}
        if report.kind not in kinds:
            faults.append(Fault("violation.unknown_kind", "kind",
                                params={"value": report.kind, "known": ", ".join(sorted(kinds))}))
        if faults:
            raise InvalidInput(*faults)
        if report.id is not None:  # copies of one report wait for each other; the first one is stored
            await hold_until_commit(session, LockSpace.VIOLATION_ID, str(report_id))
            stored = (await session.execute(
                text("SELECT request_sha256, reported_at FROM ops.violation_report_receipt(:id)"),
                {"id": report_id})).first()
            if stored is not None:
                if stored.request_sha256 != digest:
                    raise Conflict(Fault("violation.id_reused", "id", params={"id": str(report_id)}))
                ctx.pending_status = 200
                return ViolationCreated(id=report_id, received_at=stored.reported_at, stored=False)
        row = ViolationReport(
            id=report_id, kind=report.kind, code=report.code, gtin=parsed.gtin if parsed else None,
            serial=parsed.serial if parsed else None, comment=report.comment, lat=lat, lon=lon,
            address=location.address, photo=photo, photo_type=photo_type, client_ip=ctx.client_ip,
            reported_at=dt.datetime.now(dt.UTC), request_sha256=digest,
        )
        session.add(row)  # the API may add reports, not read them back (authorities read them in the marts)
        await session.flush()
        return ViolationCreated(id=row.id, received_at=row.reported_at)
