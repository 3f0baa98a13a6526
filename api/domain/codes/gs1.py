"""GS1 codes: one parser that turns every accepted spelling of a code into a ParsedCode, and formats it back.

Pure: standard library only, no I/O. Every rule broken raises ``InvalidInput`` with one ``Fault`` whose
path is ``code`` (``normalise_gtin``: the caller's path) and whose params name the AI involved.
Sources: GS1 General Specifications (AI table, FNC1, character set 82, check digits, 7.12 century of
dates), the GS1 Barcode Syntax Dictionary (lengths, the ``*`` pre-defined-length flag, ``yymmd0``
dates) and the GS1 Digital Link URI syntax.

Accepted spellings, all parsed to the same ParsedCode:

- **Element string** with GS (0x1D) after variable-length AIs, plus the noise scanners and integrators
  add: a symbology identifier of a GS1 symbol (``]d2`` DataMatrix, ``]C1`` GS1-128, ``]e0`` DataBar,
  ``]Q3`` QR, ``]J1`` DotCode); leading, doubled or trailing GS; FNC1 leaked as ``è`` (U+00E8, or the
  byte 0xE8 when bytes are given) in place of any GS; GS written as the literal text ``\\x1d`` or
  ``\\u001d``; and GS written as ``<GS>``. ``<`` ``G`` ``S`` ``>`` are all in character set 82, so
  ``<GS>`` is read as a separator only when the input holds no real separator, and if that reading
  fails the text is read literally (a serial that contains ``<GS>`` still parses). A GS after a
  pre-defined-length AI (00, 01, 11, 17 …) is tolerated; fixed-length AIs outside that table (422,
  7003, 8005) need one like variable-length AIs.
- **Bracketed** human-readable form ``(01)…(21)…`` and zint's ``[01]…[21]…``. A ``(`` may occur inside
  a value, so ``(`` starts an element only when a known AI and ``)`` follow it: a value that itself
  holds e.g. ``(10)`` cannot be written in this form (use the square form or the element string).
  Spaces around a value are dropped (labels print ``(01) 0460… (21) …``), except in AI 92 (see below).
- **GS1 Digital Link URI** ``http(s)://host/any/prefix/01/{gtin}[/22/…][/10/…][/21/…]?17=…&92=…``:
  path qualifiers must follow GS1 order (22, 10, 21; or 235 alone), ``00`` takes none; the
  deprecated alphas ``gtin``/``cpv``/``lot``/``ser``/``sscc`` are read too; a GTIN-8/12/13 in the URI
  is padded to 14; values are percent-decoded; query keys that are not digits (``linkType`` …) are
  ignored; a fragment is ignored. ``+`` in a query is a literal ``+`` (RFC 3986), never a space.
- **AI 92 and spaces**: a space is never valid in character set 82, but clients that put a marking code
  in a query string without percent-encoding it see the ``+`` of the base64 signature turned into a
  space. In AI 92 only, in every spelling, a space is therefore read as ``+``. Leading whitespace and
  trailing CR/LF/TAB (scanner suffixes) are dropped; trailing spaces are kept, as they may be a ``+``.

Not supported, by design: the 29-character Russian/Uzbek tobacco pack code (GTIN + 7-character serial
+ verification code with no AIs and no FNC1) is not a GS1 element string and is refused with
``gs1.not_gs1``; compressed Digital Link URIs; AIs outside AI_TABLE.
"""

import calendar
import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import quote, unquote, urlsplit

from api.faults import Fault, InvalidInput

__all__ = [
    "AI_TABLE",
    "CHARSET_82",
    "GS",
    "AIDefinition",
    "ParsedCode",
    "gtin_check_digit",
    "normalise_gtin",
    "parse",
    "sscc_check_digit",
]

GS = "\x1d"
PATH = "code"
DEFAULT_DIGITAL_LINK_BASE = "https://id.tanba.kz"
# The longest spelling a real code needs is a Digital Link of ~250 characters of AIs, percent-encoded (x3),
# behind a host and path: 2,048 is the common URL limit. Longer input is refused before any parsing.
MAX_LENGTH = 2048

CHARSET_82 = frozenset("!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz")
_ALL_CHARSET_82 = re.compile("[" + re.escape("".join(sorted(CHARSET_82))) + "]+\\Z")
_ALL_DIGITS = re.compile(r"[0-9]+\Z")

# GS1 General Specifications, figure 5.10.1-2: element strings starting with these two digits have a
# pre-defined length and need no FNC1/GS after them. Every other AI needs one unless it is last.
PREDEFINED_LENGTH_PREFIXES = frozenset(
    ["00", "01", "02", "03", "04", "11", "12", "13", "14", "15", "16", "17", "18", "19", "20",
     "31", "32", "33", "34", "35", "36", "41"]
)


@dataclass(frozen=True)
class AIDefinition:
    """One GS1 Application Identifier: its data title and the rules of its value."""

    ai: str
    title: str
    numeric: bool  # N (digits) or X (character set 82)
    max_length: int
    fixed: bool  # the value is exactly max_length long
    check_digit: bool = False  # GS1 mod-10 over the whole value
    date: str | None = None  # "yymmd0" (DD 00 = end of month) or "yymmddhhmm"

    @property
    def needs_separator(self) -> bool:
        """Whether a GS must follow this AI's value when another element comes after it."""
        return self.ai[:2] not in PREDEFINED_LENGTH_PREFIXES

    @property
    def decimals(self) -> int | None:
        """The implied decimal places of a measure AI (310n …), else None."""
        return int(self.ai[3]) if len(self.ai) == 4 and self.ai[:2] in {"31", "33"} else None


def _table() -> Mapping[str, AIDefinition]:
    def n(ai: str, title: str, length: int, *, check: bool = False, date: str | None = None) -> AIDefinition:
        return AIDefinition(ai, title, numeric=True, max_length=length, fixed=True, check_digit=check, date=date)

    def nv(ai: str, title: str, max_length: int) -> AIDefinition:
        return AIDefinition(ai, title, numeric=True, max_length=max_length, fixed=False)

    def x(ai: str, title: str, max_length: int) -> AIDefinition:
        return AIDefinition(ai, title, numeric=False, max_length=max_length, fixed=False)

    rows = [
        n("00", "SSCC", 18, check=True),
        n("01", "GTIN", 14, check=True),
        n("02", "CONTENT", 14, check=True),
        x("10", "BATCH/LOT", 20),
        n("11", "PROD DATE", 6, date="yymmd0"),
        n("12", "DUE DATE", 6, date="yymmd0"),
        n("13", "PACK DATE", 6, date="yymmd0"),
        n("15", "BEST BEFORE or BEST BY", 6, date="yymmd0"),
        n("16", "SELL BY", 6, date="yymmd0"),
        n("17", "USE BY or EXPIRY", 6, date="yymmd0"),
        n("20", "VARIANT", 2),
        x("21", "SERIAL", 20),
        x("22", "CPV", 20),
        x("235", "TPX", 28),
        x("240", "ADDITIONAL ID", 30),
        x("241", "CUST. PART No.", 30),
        nv("242", "MTO VARIANT", 6),
        x("250", "SECONDARY SERIAL", 30),
        x("251", "REF. TO SOURCE", 30),
        nv("30", "VAR. COUNT", 8),
        *(
            n(f"{family}{d}", title, 6)
            for family, title in [
                ("310", "NET WEIGHT (kg)"), ("311", "LENGTH (m)"), ("312", "WIDTH (m)"), ("313", "HEIGHT (m)"),
                ("314", "AREA (m²)"), ("315", "NET VOLUME (l)"), ("316", "NET VOLUME (m³)"),
                ("330", "GROSS WEIGHT (kg)"),
            ]
            for d in range(6)
        ),
        nv("37", "COUNT", 8),
        x("400", "ORDER NUMBER", 30),
        n("410", "SHIP TO LOC", 13, check=True),
        n("411", "BILL TO", 13, check=True),
        n("412", "PURCHASE FROM", 13, check=True),
        n("413", "SHIP FOR LOC", 13, check=True),
        n("414", "LOC No.", 13, check=True),
        n("415", "PAY TO", 13, check=True),
        n("416", "PROD/SERV LOC", 13, check=True),
        n("417", "PARTY", 13, check=True),
        n("422", "ORIGIN", 3),
        n("7003", "EXPIRY TIME", 10, date="yymmddhhmm"),
        n("8005", "PRICE PER UNIT", 6),
        x("90", "INTERNAL", 30),
        # 91-99 are company-internal in GS1; marking systems use 91 for the verification key id,
        # 92 for the signature (crypto tail) and 93 for the tobacco verification code.
        *(x(str(ai), "INTERNAL", 90) for ai in range(91, 100)),
    ]
    return MappingProxyType({row.ai: row for row in rows})


AI_TABLE: Mapping[str, AIDefinition] = _table()
"""The AIs this parser knows, by AI. GS1 AIs are prefix-free, so an AI is found by trying 2, 3, 4 digits."""

_GS1_SYMBOLOGIES = frozenset({"]d2", "]C1", "]e0", "]Q3", "]J1"})
_SYMBOLOGY = re.compile(r"\][A-Za-z][0-9A-Za-z]")
_URI = re.compile(r"https?://", re.IGNORECASE)
_C82 = re.escape("".join(sorted(CHARSET_82)))
_MARKING_CODE = re.compile(f"01([0-9]{{14}})21([{_C82}]{{1,20}})\x1d91([{_C82}]{{1,90}})\x1d92([{_C82} ]{{1,90}})")
"""The spelling nearly every scan has (DOMAIN.md's marking code: 01, 21, GS 91, GS 92, nothing around it), read
in one match instead of the general loop: the public verifies ten thousand codes a second."""
_GS_ESCAPES = ("\\x1d", "\\x1D", "\\u001d", "\\u001D")
_GS_PLACEHOLDER = "<GS>"
_LEAKED_FNC1 = "\u00e8"
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")

# GS1 Digital Link: primary keys with their qualifier sequences (alternatives), and the deprecated alphas.
_DL_QUALIFIERS: Mapping[str, tuple[tuple[str, ...], ...]] = MappingProxyType(
    {"01": (("22", "10", "21"), ("235",)), "00": ()}
)
_DL_PATH_ORDER = ("22", "10", "21")
_DL_ALPHAS = MappingProxyType({"gtin": "01", "cpv": "22", "lot": "10", "ser": "21", "sscc": "00"})


def _invalid(code: str, **params: object) -> InvalidInput:
    return InvalidInput(Fault(code, PATH, params=dict(params)))


def _shown(character: str) -> str:
    """A character as a message can show it: itself when printable, else its code point."""
    return character if character.isprintable() and character != " " else f"U+{ord(character):04X}"


# --- check digits -------------------------------------------------------------------------------


def _mod10(body: str) -> int:
    """GS1 mod-10 check digit: weights 3, 1, 3 … from the rightmost digit of the body (ASCII digits only:
    every caller has checked them). Summed as bytes: the public's verification computes one per scan."""
    digits = body.encode("ascii")
    threes, ones = digits[::-2], digits[-2::-2]  # from the rightmost digit: weight 3, then 1, 3 …
    total = 3 * (sum(threes) - 48 * len(threes)) + sum(ones) - 48 * len(ones)
    return (10 - total % 10) % 10


def _digits(value: str) -> bool:
    return value.isascii() and value.isdigit()


def gtin_check_digit(body: str) -> int:
    """The check digit of a GTIN-8/12/13/14 body (its first 7, 11, 12 or 13 digits)."""
    if not (_digits(body) and len(body) in {7, 11, 12, 13}):
        raise ValueError(f"a GTIN body is 7, 11, 12 or 13 digits, got {body!r}")
    return _mod10(body)


def sscc_check_digit(body: str) -> int:
    """The check digit of an SSCC body (its first 17 digits)."""
    if not (_digits(body) and len(body) == 17):
        raise ValueError(f"an SSCC body is 17 digits, got {body!r}")
    return _mod10(body)


def normalise_gtin(value: str, path: str = "gtin") -> str:
    """A GTIN-8/12/13/14 as GTIN-14 (left-padded with zeros); raises InvalidInput naming AI 01."""
    for position, character in enumerate(value, start=1):
        if not ("0" <= character <= "9"):
            raise InvalidInput(
                Fault("gs1.digits", path, params={"ai": "01", "position": position, "character": _shown(character)})
            )
    if len(value) not in {8, 12, 13, 14}:
        raise InvalidInput(Fault("gs1.gtin_length", path, params={"ai": "01", "actual": len(value)}))
    expected = _mod10(value[:-1])
    if expected != int(value[-1]):
        raise InvalidInput(
            Fault("gs1.check_digit", path, params={"ai": "01", "expected": expected, "actual": int(value[-1])})
        )
    if not value.strip("0"):
        raise InvalidInput(Fault("gs1.zero_key", path, params={"ai": "01"}))
    return value.zfill(14)


# --- the parsed code ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedCode:
    """A GS1 code as its AIs in input order, with the fields Tanba works with derived from them.

    Build it with ``parse()``: the constructor derives the fields but does not check the AIs.
    """

    ais: tuple[tuple[str, str], ...]
    gtin: str | None = field(init=False)
    serial: str | None = field(init=False)
    sscc: str | None = field(init=False)
    crypto_key_id: str | None = field(init=False)
    crypto_signature: str | None = field(init=False)
    identification_code: str | None = field(init=False)  # the КИ: 01+GTIN+21+serial, or 00+SSCC

    def __post_init__(self) -> None:
        values = dict(self.ais)
        gtin, serial, sscc = values.get("01"), values.get("21"), values.get("00")
        if sscc is not None:  # the SSCC is the key of a logistic unit; other AIs are its attributes
            identification_code: str | None = "00" + sscc
        elif gtin is not None and serial is not None:
            identification_code = "01" + gtin + "21" + serial
        else:
            identification_code = None
        for name, value in (
            ("gtin", gtin), ("serial", serial), ("sscc", sscc), ("crypto_key_id", values.get("91")),
            ("crypto_signature", values.get("92")), ("identification_code", identification_code),
        ):
            object.__setattr__(self, name, value)

    def element_string(self) -> str:
        """The data of a GS1 symbol: GS after each variable-length AI except the last, no leading GS."""
        return _element_string(self.ais)

    def bracketed(self) -> str:
        """The human-readable form ``(01)…(21)…``."""
        return "".join(f"({ai}){value}" for ai, value in self.ais)

    def bracketed_square(self) -> str:
        """The ``[01]…[21]…`` form zint takes in GS1 mode."""
        return "".join(f"[{ai}]{value}" for ai, value in self.ais)

    def marking_code(self) -> str:
        """The КМ: the identification code, then GS 91 key id and GS 92 signature when present."""
        if self.identification_code is None:
            raise _invalid("gs1.no_identification_code")
        if self.sscc is not None:
            ais: list[tuple[str, str]] = [("00", self.sscc)]
        else:
            assert self.gtin is not None and self.serial is not None
            ais = [("01", self.gtin), ("21", self.serial)]
        ais += [(ai, value) for ai, value in (("91", self.crypto_key_id), ("92", self.crypto_signature)) if value]
        return _element_string(ais)

    def digital_link(self, base: str = DEFAULT_DIGITAL_LINK_BASE) -> str:
        """A GS1 Digital Link URI: the key (00, else 01) and 01's qualifiers in the path, other AIs in the query."""
        values = dict(self.ais)
        if "00" in values:
            in_path = ["00"]
        elif "01" in values:
            in_path = ["01", *(ai for ai in _DL_PATH_ORDER if ai in values)]
        else:
            raise _invalid("gs1.digital_link", detail="no_primary_key")
        path = "".join(f"/{ai}/{quote(values[ai], safe='')}" for ai in in_path)
        query = "&".join(f"{ai}={quote(value, safe='')}" for ai, value in self.ais if ai not in in_path)
        return base.rstrip("/") + path + (f"?{query}" if query else "")


def _element_string(ais: Iterable[tuple[str, str]]) -> str:
    pairs = list(ais)
    parts: list[str] = []
    for i, (ai, value) in enumerate(pairs):
        parts.append(ai + value)
        if i < len(pairs) - 1 and AI_TABLE[ai].needs_separator:
            parts.append(GS)
    return "".join(parts)


# --- parsing --------------------------------------------------------------------------------------


def parse(value: str | bytes, *, today: dt.date | None = None) -> ParsedCode:
    """Parse any accepted spelling of a GS1 code (see the module docstring) and check every AI.

    ``today`` fixes the GS1 century window of two-digit years (default: the current date).
    """
    if isinstance(value, bytes):
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError:  # the raw FNC1 byte 0xE8, or other single-byte text
            text = value.decode("latin-1")
    elif isinstance(value, str):
        text = value
    else:
        raise _invalid("gs1.type")
    if len(text) > MAX_LENGTH:
        raise _invalid("gs1.code_too_long", limit=MAX_LENGTH, length=len(text))
    if (marking_code := _MARKING_CODE.fullmatch(text)) is not None:
        gtin, serial, key_id, signature = marking_code.groups()
        if _mod10(gtin[:13]) == int(gtin[13]) and gtin.strip("0"):  # else the general reading names the fault
            # what the general reading gives (property-tested): every value is in character set 82 and within
            # its length already, and only AI 92 reads a space as "+"
            return ParsedCode((("01", gtin), ("21", serial), ("91", key_id), ("92", signature.replace(" ", "+"))))
    return _parse_text(text, today)


def _parse_text(text: str, today: dt.date | None) -> ParsedCode:
    """The general reading of every accepted spelling (``parse`` after decoding and the length limit)."""
    today = today or dt.date.today()
    # str.strip() would also remove GS (Python counts 0x1C-0x1F as whitespace), so name the characters.
    text = text.lstrip(" \t\r\n").rstrip("\r\n\t")
    identifier = None
    if match := _SYMBOLOGY.match(text):
        identifier, text = match.group(), text[match.end():]
    if not text.strip(" \t\r\n" + GS + _LEAKED_FNC1):
        raise _invalid("gs1.empty")
    if _URI.match(text):
        return _checked(_digital_link_ais(text), today)
    if _is_tobacco_pack(text):
        raise _invalid("gs1.not_gs1", shape="tobacco_pack")
    if identifier is not None and identifier not in _GS1_SYMBOLOGIES:
        raise _invalid("gs1.symbology", identifier=identifier)
    if text.startswith(("(", "[")):
        return _checked(_bracketed_ais(text), today)
    return _parse_element_string(text, today)


def _is_tobacco_pack(text: str) -> bool:
    """The 29-character non-GS1 tobacco pack code: GTIN-14, 7-character serial, verification code."""
    return (
        len(text) == 29
        and _ai_at(text, 0) is None
        and _digits(text[:14])
        and _mod10(text[:13]) == int(text[13])
        and all(c in CHARSET_82 for c in text)
    )


def _checked(pairs: Iterable[tuple[str, str]], today: dt.date) -> ParsedCode:
    """Check each AI's value and the rules across AIs; the single place where a ParsedCode is validated."""
    seen: set[str] = set()
    ais: list[tuple[str, str]] = []
    for ai, raw in pairs:
        value = raw.replace(" ", "+") if ai == "92" else raw
        if ai in seen:
            raise _invalid("gs1.duplicate_ai", ai=ai)
        seen.add(ai)
        _check_value(AI_TABLE[ai], value, today)
        ais.append((ai, value))
    if not ais:
        raise _invalid("gs1.empty")
    if "21" in seen and "01" not in seen:
        raise _invalid("gs1.gtin_required_with_serial", ai="21")
    return ParsedCode(tuple(ais))


def _check_value(spec: AIDefinition, value: str, today: dt.date) -> None:
    ai = spec.ai
    if not value:
        raise _invalid("gs1.empty_value", ai=ai)
    if not (_ALL_DIGITS if spec.numeric else _ALL_CHARSET_82).match(value):  # else: find and name the character
        for position, character in enumerate(value, start=1):
            if spec.numeric and not ("0" <= character <= "9"):
                raise _invalid("gs1.digits", ai=ai, position=position, character=_shown(character))
            if character not in CHARSET_82:
                raise _invalid("gs1.charset", ai=ai, position=position, character=_shown(character))
    if spec.fixed and len(value) != spec.max_length:
        raise _invalid("gs1.length", ai=ai, expected=spec.max_length, actual=len(value))
    if len(value) > spec.max_length:
        raise _invalid("gs1.too_long", ai=ai, max=spec.max_length, actual=len(value))
    if spec.check_digit:
        expected = _mod10(value[:-1])
        if expected != int(value[-1]):
            raise _invalid("gs1.check_digit", ai=ai, expected=expected, actual=int(value[-1]))
        if not value.strip("0"):  # all zeros: its check digit holds, but GS1 allocates no such key
            raise _invalid("gs1.zero_key", ai=ai)
    if spec.date and not _valid_date(value, spec.date, today):
        raise _invalid("gs1.date", ai=ai, value=value)


def _century_year(yy: int, today: dt.date) -> int:
    """GS1 General Specifications 7.12: the year lies 49 years back to 50 years ahead of today's."""
    difference = yy - today.year % 100
    century = today.year // 100 * 100
    if difference >= 51:
        century -= 100
    elif difference <= -50:
        century += 100
    return century + yy


def date_of(value: str, today: dt.date | None = None) -> dt.date:
    """The date a checked six-digit YYMMDD value names (GS1 century window; DD 00: the month's last day)."""
    today = today or dt.date.today()
    year, month, day = _century_year(int(value[0:2]), today), int(value[2:4]), int(value[4:6])
    return dt.date(year, month, day or calendar.monthrange(year, month)[1])


def _valid_date(value: str, kind: str, today: dt.date) -> bool:
    year, month, day = _century_year(int(value[0:2]), today), int(value[2:4]), int(value[4:6])
    if not 1 <= month <= 12:
        return False
    # DD 00: no day given, meaning the last day of the month (allowed for yymmd0 AIs only)
    valid = kind == "yymmd0" if day == 0 else day <= calendar.monthrange(year, month)[1]
    if kind == "yymmddhhmm":
        valid = valid and int(value[6:8]) <= 23 and int(value[8:10]) <= 59
    return valid


def _ai_at(text: str, position: int) -> AIDefinition | None:
    for length in (2, 3, 4):
        spec = AI_TABLE.get(text[position:position + length])
        if spec is not None:
            return spec
    return None


def _parse_element_string(text: str, today: dt.date) -> ParsedCode:
    text = text.replace(_LEAKED_FNC1, GS)
    for escape in _GS_ESCAPES:
        text = text.replace(escape, GS)
    if GS in text or _GS_PLACEHOLDER not in text:
        return _checked(_element_string_ais(text), today)
    try:
        return _checked(_element_string_ais(text.replace(_GS_PLACEHOLDER, GS)), today)
    except InvalidInput as placeholder_reading:
        try:  # a value may hold the text <GS> itself
            return _checked(_element_string_ais(text), today)
        except InvalidInput:
            raise placeholder_reading from None


def _element_string_ais(text: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    position, end_of_text = 0, len(text)
    while position < end_of_text:
        if text[position] == GS:  # FNC1 in first position, after a pre-defined length AI, or doubled
            position += 1
            continue
        spec = _ai_at(text, position)
        if spec is None:
            raise _invalid("gs1.unknown_ai", ai=text[position:position + 4])
        start = position + len(spec.ai)
        if spec.fixed:
            limit = min(start + spec.max_length, end_of_text)
            separator = text.find(GS, start, limit)
            end = limit if separator < 0 else separator
            if end - start != spec.max_length:
                raise _invalid("gs1.length", ai=spec.ai, expected=spec.max_length, actual=end - start)
            if spec.needs_separator and end < end_of_text and text[end] != GS:
                raise _invalid("gs1.missing_separator", ai=spec.ai)
        else:
            end = text.find(GS, start)
            end = end_of_text if end < 0 else end
        pairs.append((spec.ai, text[start:end]))
        position = end
    return pairs


def _bracketed_ais(text: str) -> list[tuple[str, str]]:
    opening, closing = text[0], "]" if text[0] == "[" else ")"

    def ai_at(position: int) -> str | None:
        if text[position] != opening:
            return None
        for length in (2, 3, 4):
            ai = text[position + 1:position + 1 + length]
            if ai in AI_TABLE and text[position + 1 + length:position + 2 + length] == closing:
                return ai
        return None

    pairs: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        ai = ai_at(position)
        if ai is None:
            close = text.find(closing, position)
            end = close if position < close <= position + 5 else position + 5
            raise _invalid("gs1.unknown_ai", ai=text[position + 1:end])
        start = end = position + len(ai) + 2
        # '[' never occurs in a value (not in set 82), so each one must open an AI; '(' may.
        while end < len(text) and (text[end] != opening or (opening == "(" and ai_at(end) is None)):
            end += 1
        value = text[start:end]
        pairs.append((ai, value if ai == "92" else value.strip(" ")))
        position = end
    return pairs


def _percent_decoded(text: str, ai: str | None = None) -> str:
    extra = {"ai": ai} if ai else {}
    if _BAD_PERCENT.search(text):
        raise _invalid("gs1.digital_link", detail="percent_encoding", **extra)
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        raise _invalid("gs1.digital_link", detail="percent_encoding", **extra) from None


def _digital_link_ais(uri: str) -> list[tuple[str, str]]:
    try:
        parts = urlsplit(uri)
    except ValueError:
        raise _invalid("gs1.digital_link", detail="uri") from None
    if not parts.netloc:
        raise _invalid("gs1.digital_link", detail="host")
    segments = parts.path.split("/")[1:]
    if segments and not segments[-1]:
        segments.pop()
    keys = [_DL_ALPHAS.get(segment, segment) for segment in segments]
    first_fault: InvalidInput | None = None
    path_pairs: list[tuple[str, str]] | None = None
    for start, key in enumerate(keys):
        if key not in _DL_QUALIFIERS or (len(keys) - start) % 2:
            continue
        pairs = [(keys[i], segments[i + 1]) for i in range(start, len(keys), 2)]
        fault = _qualifier_fault(key, [ai for ai, _ in pairs[1:]])
        if fault is None:
            path_pairs = pairs
            break
        first_fault = first_fault or fault
    if path_pairs is None:
        if first_fault is None and keys and keys[-1] in AI_TABLE and any(k in _DL_QUALIFIERS for k in keys):
            raise _invalid("gs1.digital_link", detail="missing_value", ai=keys[-1])  # ".../21" with no serial
        raise first_fault or _invalid("gs1.digital_link", detail="no_primary_key")
    result = [(ai, _percent_decoded(raw, ai)) for ai, raw in path_pairs]
    for item in parts.query.split("&"):
        if not item:
            continue
        raw_key, _, raw_value = item.partition("=")
        key = _percent_decoded(raw_key)
        if not _digits(key):
            continue  # not an AI: GS1 Digital Link says other parameters are ignored
        if key not in AI_TABLE:
            raise _invalid("gs1.unknown_ai", ai=key)
        result.append((key, _percent_decoded(raw_value, key)))
    # a Digital Link may carry a GTIN-8/12/13; as an AI 01 value it is always 14 digits
    return [(ai, value.zfill(14) if ai == "01" and _digits(value) and len(value) in {8, 12, 13} else value)
            for ai, value in result]


def _qualifier_fault(primary: str, qualifiers: list[str]) -> InvalidInput | None:
    """Why these path qualifiers cannot follow this primary key, or None when they can."""
    alternatives = _DL_QUALIFIERS[primary]
    for qualifier in qualifiers:
        if not any(qualifier in sequence for sequence in alternatives):
            return _invalid("gs1.digital_link", detail="qualifier_not_allowed", ai=qualifier, primary=primary)
    if not qualifiers:
        return None
    sequence = next(s for s in alternatives if qualifiers[0] in s)
    last = -1
    for qualifier in qualifiers:
        if qualifier not in sequence:
            return _invalid("gs1.digital_link", detail="qualifier_not_allowed", ai=qualifier, primary=primary)
        rank = sequence.index(qualifier)
        if rank < last:
            return _invalid("gs1.digital_link", detail="qualifier_order", ai=qualifier, primary=primary)
        last = rank  # an equal rank is a repeated AI: reported as gs1.duplicate_ai
    return None
