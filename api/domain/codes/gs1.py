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
  a value (it is in character set 82): written as ``\\(``, as the GS1 Barcode Syntax Engine writes it, it is
  always data, and ``bracketed()`` writes every ``(`` of a value so. A bare ``(`` followed by two to four
  digits and ``)`` starts an element, and names an unknown AI if it is not one (a value is never silently
  cut at, or made to swallow, an AI); any other bare ``(`` is data. Spaces around a value are dropped
  (labels print ``(01) 0460… (21) …``), except in AI 92 (see below).
- **GS1 Digital Link URI** ``http(s)://host/any/prefix/01/{gtin}[/22/…][/10/…][/21/…]?17=…&92=…``:
  path qualifiers must follow GS1 order (22, 10, 21; or 235 alone), ``00`` takes none; the
  deprecated alphas ``gtin``/``cpv``/``lot``/``ser``/``sscc`` are read too; a GTIN-8/12/13 in the URI
  is padded to 14; values are percent-decoded; query keys that are not digits (``linkType`` …) are
  ignored; a fragment is ignored. ``+`` in a query is a literal ``+`` (RFC 3986), never a space.
- **AI 92 and spaces**: a space is never valid in character set 82, but clients that put a marking code
  in a query string without percent-encoding it see the ``+`` of the base64 signature turned into a
  space. In AI 92 only, in every spelling, a space is therefore read as ``+``. Leading whitespace (and a
  byte-order mark) and trailing CR/LF/TAB (scanner suffixes) are dropped. Trailing spaces after the last
  value are dropped too (never data in set 82), unless that value is AI 92's and they may be its ``+`` (not
  after ``=`` padding).
- **Digital Link qualifiers** (22, 10, 21 of a GTIN; 235) belong in the path: in the query they are
  refused, as GS1's reference parser refuses them.

Not supported, by design: the 29-character Russian/Uzbek tobacco pack code (GTIN + 7-character serial
+ verification code with no AIs and no FNC1) is not a GS1 element string and is refused with
``gs1.not_gs1``; compressed Digital Link URIs; AIs outside AI_TABLE.

Across AIs, the Syntax Dictionary's pairing rules (``req=``/``ex=``: 02 needs 37, 01 excludes 37, one
measure per family, …) are checked for every AI of the table (PAIRING_RULES); the country and currency
codes behind 421-426, 391n and 393n must be ISO 3166-1 and ISO 4217 numeric codes.
"""

import calendar
import datetime as dt
import functools
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
    date: str | None = None  # "yymmd0" (DD 00 = end of month), "yymmdd" or "yymmddhhmm"
    # a value of several components (the Syntax Dictionary's ``N1,zero N13,csum [X..16]``): each is
    # (kind N or X, least and most characters, rule: "zero", "csum", a date kind, "triplets" or None)
    parts: tuple[tuple[str, int, int, str | None], ...] = ()
    min_length: int = 1

    @property
    def needs_separator(self) -> bool:
        """Whether a GS must follow this AI's value when another element comes after it."""
        return self.ai[:2] not in PREDEFINED_LENGTH_PREFIXES

    @property
    def decimals(self) -> int | None:
        """The implied decimal places of a measure or amount AI (310n … 369n, 390n … 395n), else None."""
        return int(self.ai[3]) if len(self.ai) == 4 and self.ai[:2] in _DECIMAL_PREFIXES else None


_DECIMAL_PREFIXES = frozenset({"31", "32", "33", "34", "35", "36", "39"})


def _table() -> Mapping[str, AIDefinition]:
    def n(ai: str, title: str, length: int, *, check: bool = False, date: str | None = None) -> AIDefinition:
        return AIDefinition(ai, title, numeric=True, max_length=length, fixed=True, check_digit=check, date=date)

    def nv(ai: str, title: str, max_length: int) -> AIDefinition:
        return AIDefinition(ai, title, numeric=True, max_length=max_length, fixed=False)

    def x(ai: str, title: str, max_length: int) -> AIDefinition:
        return AIDefinition(ai, title, numeric=False, max_length=max_length, fixed=False)

    def composite(ai: str, title: str, *parts: tuple[str, int, int, str | None]) -> AIDefinition:
        """A value of components: numeric when every component is, its length the sum of theirs."""
        least, most = sum(p[1] for p in parts), sum(p[2] for p in parts)
        return AIDefinition(ai, title, numeric=all(p[0] == "N" for p in parts), max_length=most,
                            fixed=least == most, parts=parts, min_length=least)

    measures = [  # the Syntax Dictionary's 31nn-36nn, each with 0-5 implied decimals
        ("310", "NET WEIGHT (kg)"), ("311", "LENGTH (m)"), ("312", "WIDTH (m)"), ("313", "HEIGHT (m)"),
        ("314", "AREA (m²)"), ("315", "NET VOLUME (l)"), ("316", "NET VOLUME (m³)"),
        ("320", "NET WEIGHT (lb)"), ("321", "LENGTH (in)"), ("322", "LENGTH (ft)"), ("323", "LENGTH (yd)"),
        ("324", "WIDTH (in)"), ("325", "WIDTH (ft)"), ("326", "WIDTH (yd)"), ("327", "HEIGHT (in)"),
        ("328", "HEIGHT (ft)"), ("329", "HEIGHT (yd)"),
        ("330", "GROSS WEIGHT (kg)"), ("331", "LENGTH (m), log"), ("332", "WIDTH (m), log"),
        ("333", "HEIGHT (m), log"), ("334", "AREA (m²), log"), ("335", "VOLUME (l), log"),
        ("336", "VOLUME (m³), log"), ("337", "KG PER m²"),
        ("340", "GROSS WEIGHT (lb)"), ("341", "LENGTH (in), log"), ("342", "LENGTH (ft), log"),
        ("343", "LENGTH (yd), log"), ("344", "WIDTH (in), log"), ("345", "WIDTH (ft), log"),
        ("346", "WIDTH (yd), log"), ("347", "HEIGHT (in), log"), ("348", "HEIGHT (ft), log"),
        ("349", "HEIGHT (yd), log"),
        ("350", "AREA (in²)"), ("351", "AREA (ft²)"), ("352", "AREA (yd²)"), ("353", "AREA (in²), log"),
        ("354", "AREA (ft²), log"), ("355", "AREA (yd²), log"), ("356", "NET WEIGHT (t oz)"),
        ("357", "NET VOLUME (oz)"),
        ("360", "NET VOLUME (qt)"), ("361", "NET VOLUME (gal.)"), ("362", "VOLUME (qt), log"),
        ("363", "VOLUME (gal.), log"), ("364", "VOLUME (in³)"), ("365", "VOLUME (ft³)"), ("366", "VOLUME (yd³)"),
        ("367", "VOLUME (in³), log"), ("368", "VOLUME (ft³), log"), ("369", "VOLUME (yd³), log"),
    ]

    rows = [
        n("00", "SSCC", 18, check=True),
        n("01", "GTIN", 14, check=True),
        n("02", "CONTENT", 14, check=True),
        n("03", "MTO GTIN", 14, check=True),
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
        x("243", "PCN", 20),
        x("250", "SECONDARY SERIAL", 30),
        x("251", "REF. TO SOURCE", 30),
        x("254", "GLN EXTENSION COMPONENT", 20),
        composite("255", "GCN", ("N", 13, 13, "csum"), ("N", 0, 12, None)),
        nv("30", "VAR. COUNT", 8),
        *(n(f"{family}{d}", title, 6) for family, title in measures for d in range(6)),
        nv("37", "COUNT", 8),
        *(nv(f"390{d}", "AMOUNT", 15) for d in range(10)),
        *(composite(f"391{d}", "AMOUNT", ("N", 3, 3, "iso4217"), ("N", 1, 15, None)) for d in range(10)),
        *(nv(f"392{d}", "PRICE", 15) for d in range(10)),
        *(composite(f"393{d}", "PRICE", ("N", 3, 3, "iso4217"), ("N", 1, 15, None)) for d in range(10)),
        *(n(f"394{d}", "PRCNT OFF", 4) for d in range(4)),
        *(n(f"395{d}", "PRICE/UoM", 6) for d in range(6)),
        x("400", "ORDER NUMBER", 30),
        x("401", "GINC", 30),
        n("402", "GSIN", 17, check=True),
        x("403", "ROUTE", 30),
        n("410", "SHIP TO LOC", 13, check=True),
        n("411", "BILL TO", 13, check=True),
        n("412", "PURCHASE FROM", 13, check=True),
        n("413", "SHIP FOR LOC", 13, check=True),
        n("414", "LOC No.", 13, check=True),
        n("415", "PAY TO", 13, check=True),
        n("416", "PROD/SERV LOC", 13, check=True),
        n("417", "PARTY", 13, check=True),
        x("420", "SHIP TO POST", 20),
        composite("421", "SHIP TO POST", ("N", 3, 3, "iso3166"), ("X", 1, 9, None)),
        composite("422", "ORIGIN", ("N", 3, 3, "iso3166")),
        composite("423", "COUNTRY - INITIAL PROCESS", ("N", 3, 15, "triplets")),
        composite("424", "COUNTRY - PROCESS", ("N", 3, 3, "iso3166")),
        composite("425", "COUNTRY - DISASSEMBLY", ("N", 3, 15, "triplets")),
        composite("426", "COUNTRY - FULL PROCESS", ("N", 3, 3, "iso3166")),
        x("427", "ORIGIN SUBDIVISION", 3),
        n("7001", "NSN", 13),
        x("7002", "MEAT CUT", 30),
        n("7003", "EXPIRY TIME", 10, date="yymmddhhmm"),
        nv("7004", "ACTIVE POTENCY", 4),
        x("7005", "CATCH AREA", 12),
        n("7006", "FIRST FREEZE DATE", 6, date="yymmdd"),
        composite("7007", "HARVEST DATE", ("N", 6, 6, "yymmdd"), ("N", 0, 6, "yymmdd")),
        x("7008", "AQUATIC SPECIES", 3),
        x("7009", "FISHING GEAR TYPE", 10),
        x("7010", "PROD METHOD", 2),
        composite("7011", "TEST BY DATE", ("N", 6, 6, "yymmdd"), ("N", 0, 4, "hhmm")),
        *(x(f"71{d}", title, 20) for d, title in [("0", "NHRN PZN"), ("1", "NHRN CIP"), ("2", "NHRN CN"),
                                                    ("3", "NHRN DRN"), ("4", "NHRN AIM"), ("5", "NHRN NDC")]),
        x("7240", "PROTOCOL", 20),
        composite("8003", "GRAI", ("N", 1, 1, "zero"), ("N", 13, 13, "csum"), ("X", 0, 16, None)),
        x("8004", "GIAI", 30),
        n("8005", "PRICE PER UNIT", 6),
        composite("8006", "ITIP", ("N", 14, 14, "csum"), ("N", 4, 4, "pieceoftotal")),
        composite("8008", "PROD TIME", ("N", 8, 8, "yymmddhh"), ("N", 0, 4, "mmoptss")),
        x("8012", "VERSION", 20),
        x("8020", "REF No.", 25),
        composite("8026", "ITIP CONTENT", ("N", 14, 14, "csum"), ("N", 4, 4, "pieceoftotal")),
        x("8200", "PRODUCT URL", 70),
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
_ESCAPED_PARENTHESIS = "\\("  # a "(" of a value in the bracketed form (the GS1 Barcode Syntax Engine's escape)
_ELEMENT_HEAD = {"(": re.compile(r"\((\d{2,4})\)"), "[": re.compile(r"\[(\d{2,4})\]")}
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


def gtin_not_for_trade_items(gtin: str) -> tuple[str, str] | None:
    """Why a GTIN as written (8, 12, 13 or 14 digits) cannot identify a marked trade item, by the GS1 prefix
    list, with the prefix that says so: ``rcn`` for a restricted circulation number (a GTIN-8 beginning 0 or
    2; 020-029, 040-049 in-company and 200-299 in-store, the three digits after a GTIN-14's indicator, where a
    GTIN-12's number systems 2, 4 and 5 fall in 02x, 04x and 05x: not unique beyond the issuer), ``coupon``
    (050-059, 981-984, 99x) or ``refund`` (980, refund receipts); None for a trade item's GTIN. A GTIN-8 is
    the same number written in 12, 13 or 14 digits too: five zeros after a GTIN-14's indicator (GS1 prefix
    00000 is kept for GTIN-8s), so ``00000020000004`` is the RCN-8 ``20000004``."""
    digits = gtin.zfill(14)
    if digits[1:6] == "00000":
        return ("rcn", digits[6]) if digits[6] in "02" else None
    shown = digits[1:4]
    prefix = int(shown)
    if 20 <= prefix <= 29 or 40 <= prefix <= 49 or 200 <= prefix <= 299:
        return "rcn", shown
    if 50 <= prefix <= 59 or 981 <= prefix <= 984 or prefix >= 990:
        return "coupon", shown
    return ("refund", shown) if prefix == 980 else None


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
        """The human-readable form ``(01)…(21)…``; a ``(`` of a value is written ``\\(`` (always data)."""
        return "".join(f"({ai}){value.replace('(', _ESCAPED_PARENTHESIS)}" for ai, value in self.ais)

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


def parse(value: str | bytes, *, today: dt.date | None = None, partial: bool = False) -> ParsedCode:
    """Parse any accepted spelling of a GS1 code (see the module docstring) and check every AI.

    ``today`` fixes the GS1 century window of two-digit years (default: the current date). ``partial``: the
    code is one of several barcodes of one item (a GS1-128 label split over lines), so the AIs the pairing
    rules require may be in another; exclusions are still checked (GS1's Syntax Engine's requisite switch).
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
        # else the general reading names the fault, or decides what trailing spaces are
        if _mod10(gtin[:13]) == int(gtin[13]) and gtin.strip("0") and not signature.endswith(" "):
            # what the general reading gives (property-tested): every value is in character set 82 and within
            # its length already, and only AI 92 reads a space as "+"
            return ParsedCode((("01", gtin), ("21", serial), ("91", key_id), ("92", signature.replace(" ", "+"))))
    return _parse_text(text, today, not partial)


def _parse_text(text: str, today: dt.date | None, requisites: bool = True) -> ParsedCode:
    """The general reading of every accepted spelling (``parse`` after decoding and the length limit)."""
    today = today or dt.date.today()
    # str.strip() would also remove GS (Python counts 0x1C-0x1F as whitespace), so name the characters.
    text = text.lstrip(" \t\r\n\ufeff").rstrip("\r\n\t")  # U+FEFF: a byte-order mark a file or app left
    identifier = None
    if match := _SYMBOLOGY.match(text):
        identifier, text = match.group(), text[match.end():]
    if not text.strip(" \t\r\n" + GS + _LEAKED_FNC1):
        raise _invalid("gs1.empty")
    if _URI.match(text):
        return _checked(_digital_link_ais(text), today, requisites)
    tobacco = _is_tobacco_pack(text)
    if tobacco and _ai_at(text, 0) is None:
        raise _invalid("gs1.not_gs1", shape="tobacco_pack")
    if identifier is not None and identifier not in _GS1_SYMBOLOGIES:
        raise _invalid("gs1.symbology", identifier=identifier)
    if text.startswith(("(", "[")):
        return _checked(_bracketed_ais(text), today, requisites)
    try:
        return _parse_element_string(text, today, requisites)
    except InvalidInput:
        # a GTIN-14 that begins like an AI (00: a padded GTIN-8/12, like an SSCC; 01-03 like a GTIN): when even
        # that first AI's digits do not hold, it is named for what it is; a fault further on is a GS1 code's
        first = _ai_at(text, 0)
        if tobacco and first is not None and first.numeric and first.fixed and not _digits(
                text[len(first.ai):len(first.ai) + first.max_length]):
            raise _invalid("gs1.not_gs1", shape="tobacco_pack") from None
        raise


def _is_tobacco_pack(text: str) -> bool:
    """The shape of the 29-character non-GS1 tobacco pack code: GTIN-14, 7-character serial, verification code."""
    return (
        len(text) == 29
        and _digits(text[:14])
        and _mod10(text[:13]) == int(text[13])
        and all(c in CHARSET_82 for c in text)
    )


def _checked(pairs: Iterable[tuple[str, str]], today: dt.date, requisites: bool = True) -> ParsedCode:
    """Check each AI's value and the rules across AIs; the single place where a ParsedCode is validated."""
    seen: set[str] = set()
    ais: list[tuple[str, str]] = []
    pairs = list(pairs)
    if pairs and pairs[-1][1].endswith(" "):  # a scanner's suffix: never data, except a "+" of a signature
        ai, raw = pairs[-1]
        if ai != "92" or raw.rstrip(" ").endswith("="):
            pairs[-1] = (ai, raw.rstrip(" "))
    for ai, raw in pairs:
        value = raw.replace(" ", "+") if ai == "92" else raw
        if ai in seen:
            raise _invalid("gs1.duplicate_ai", ai=ai)
        seen.add(ai)
        _check_value(AI_TABLE[ai], value, today)
        ais.append((ai, value))
    if not ais:
        raise _invalid("gs1.empty")
    _check_pairing([ai for ai, _ in ais], seen, requisites)
    return ParsedCode(tuple(ais))


# The Syntax Dictionary's pairing rules (release 2026-01-27) for the AIs of AI_TABLE: ``req=`` lists
# alternatives, one of which must be in the code (``01+21``: both); ``ex=`` lists AIs that must not be.
# ``nn``/``n`` stand for any digits: ``31nn`` is any AI of 3100-3199 in the table, ``310n`` any of 3100-3109.
PAIRING_RULES = """
01 ex=255,37
02 req=37 ex=01,03
03 ex=01,02,37,235
10 11 13 15 16 20 240 241 req=01,02,03,8006,8026
12 req=8020
17 req=01,02,03,255,8006,8026
21 req=01,03,8006 ex=235
22 235 710 711 712 713 714 715 8200 req=01
242 req=01,02,8006,8026
243 req=01,03
250 req=01+21,03+21,8006+21
251 8012 req=01,03,8006
254 req=414
255 ex=01,02,415,8006,8020,8026
30 7002 7005 7006 7007 7008 7009 8005 req=01,02
310n 311n 312n 313n 314n 315n 316n 320n 321n 322n 323n 324n 325n 326n 327n 328n 329n req=01,02 ex=self
350n 351n 352n 356n 357n 360n 361n 364n 365n 366n req=01,02 ex=self
330n 331n 332n 333n 334n 335n 336n 340n 341n 342n 343n 344n 345n 346n 347n 348n 349n req=00,01 ex=self
353n 354n 355n 362n 363n 367n 368n 369n req=00,01 ex=self
337n req=01 ex=self
37 req=00+02,00+8026
390n req=255,8020 ex=390n,391n,394n
391n req=8020 ex=391n
392n req=01+30,01+31nn,01+32nn,01+35nn,01+36nn ex=392n,393n
393n req=30,31nn,32nn,35nn,36nn ex=393n
394n req=255 ex=394n
395n req=30,31nn,32nn,35nn,36nn ex=392n,393n,395n,8005
403 req=00
415 req=8020
420 ex=421
422 req=01,02,03,8006,8026 ex=426
423 424 425 req=01,02,03 ex=426
426 req=01,02,03
427 req=01+422,02+422,03+422
7001 req=01,02,8006,8026
7003 7010 7011 8008 req=01,02,03
7004 req=01+10,03+10
7240 req=01,8006 ex=03
8006 ex=01,03,37
8020 req=415
8026 req=37 ex=02,03,8006
"""


def _pairing_rules() -> Mapping[str, tuple[tuple[tuple[str, ...], ...], tuple[str, ...]]]:
    """AI → (alternatives it requires, patterns it excludes), from PAIRING_RULES."""
    rules: dict[str, tuple[tuple[tuple[str, ...], ...], tuple[str, ...]]] = {}
    for line in PAIRING_RULES.strip().splitlines():
        words = line.split()
        attributes = dict(w.split("=", 1) for w in words if "=" in w)
        for name in (w for w in words if "=" not in w):
            family = name.removesuffix("n")
            for ai in [a for a in AI_TABLE if a.startswith(family) and len(a) == len(name)]:
                required = tuple(tuple(alt.split("+")) for alt in attributes["req"].split(",")) \
                    if "req" in attributes else ()
                excluded = tuple(name if e == "self" else e for e in attributes.get("ex", "").split(",") if e)
                rules[ai] = (required, excluded)
    return MappingProxyType(rules)


def _matches(pattern: str, ai: str) -> bool:
    """``31nn`` and ``310n`` stand for any digits there; anything else is one AI."""
    stem = pattern.rstrip("n")
    return ai == pattern if stem == pattern else len(ai) == len(pattern) and ai.startswith(stem)


def _check_pairing(order: list[str], seen: set[str], requisites: bool = True) -> None:
    """Each AI's required companions are in the code and its excluded ones are not (first broken rule named)."""
    for ai in order:
        required, excluded = PAIRING.get(ai, ((), ()))
        if requisites and required and not any(all(any(_matches(p, a) for a in seen) for p in alt) for alt in required):
            if ai == "21" and "01" not in seen:
                raise _invalid("gs1.gtin_required_with_serial", ai="21")
            raise _invalid("gs1.requires", ai=ai, needed=_alternatives(required))
        for pattern in excluded:
            clash = next((a for a in order if a != ai and _matches(pattern, a)), None)
            if clash is not None:
                raise _invalid("gs1.excludes", ai=ai, other=clash)


def _alternatives(required: tuple[tuple[str, ...], ...]) -> str:
    """``01 / 02 / 03``; ``01+21 / 03+21`` (``31nn``: any AI 3100-3199), as the dictionary writes them."""
    return " / ".join("+".join(alt) for alt in required)


PAIRING = _pairing_rules()


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
    if len(value) < spec.min_length:
        raise _invalid("gs1.too_short", ai=ai, min=spec.min_length, actual=len(value))
    if spec.parts:
        _check_parts(spec, value, today)
    _check_content(spec, value, today)


def _check_content(spec: AIDefinition, value: str, today: dt.date) -> None:
    """The check digit and the date of a value whose characters and length are right."""
    ai = spec.ai
    if spec.check_digit:
        _check_digit(ai, value)
        if not value.strip("0"):  # all zeros: its check digit holds, but GS1 allocates no such key
            raise _invalid("gs1.zero_key", ai=ai)
    if spec.date and not _valid_date(value, spec.date, today):
        if spec.date in _DATE_FORMS:
            raise _invalid("gs1.datetime", ai=ai, value=value, form=_DATE_FORMS[spec.date])
        raise _invalid("gs1.date", ai=ai, value=value)


def _check_digit(ai: str, digits: str) -> None:
    """The last digit is the GS1 mod-10 check digit of the others."""
    expected = _mod10(digits[:-1])
    if expected != int(digits[-1]):
        raise _invalid("gs1.check_digit", ai=ai, expected=expected, actual=int(digits[-1]))


def _check_parts(spec: AIDefinition, value: str, today: dt.date) -> None:
    """Each component of a composite value in turn (lengths overall are checked already)."""
    position, ai = 0, spec.ai
    for index, (kind, least, most, rule) in enumerate(spec.parts):
        rest_least = sum(p[1] for p in spec.parts[index + 1:])
        part = value[position:min(position + most, len(value) - rest_least)]
        if len(part) < least:
            raise _invalid("gs1.too_short", ai=ai, min=spec.min_length, actual=len(value))
        if kind == "N":
            for offset, character in enumerate(part, start=position + 1):
                if not ("0" <= character <= "9"):
                    raise _invalid("gs1.digits", ai=ai, position=offset, character=_shown(character))
        if part and rule:
            _check_part_rule(ai, rule, part, value, today)
        position += len(part)
    if position != len(value):
        raise _invalid("gs1.too_long", ai=ai, max=spec.max_length, actual=len(value))


def _check_part_rule(ai: str, rule: str, part: str, value: str, today: dt.date) -> None:
    """One component's rule (the Syntax Dictionary's linter of that component), the component not empty."""
    if rule == "zero" and part != "0":
        raise _invalid("gs1.leading_zero", ai=ai)
    if rule == "csum":
        _check_digit(ai, part)
    if rule == "triplets" and len(part) % 3:
        raise _invalid("gs1.triplets", ai=ai, actual=len(part))
    for country in (part[i:i + 3] for i in range(0, len(part), 3)) if rule in {"triplets", "iso3166"} else ():
        if country not in _iso_numeric("countries"):
            raise _invalid("gs1.country", ai=ai, value=country)
    if rule == "iso4217" and part not in _iso_numeric("currencies"):
        raise _invalid("gs1.currency", ai=ai, value=part)
    if rule == "pieceoftotal" and not 1 <= int(part[:2]) <= int(part[2:]):
        raise _invalid("gs1.piece_of_total", ai=ai, piece=int(part[:2]), total=int(part[2:]))
    if rule in {"yymmdd", "yymmddhh"} and (len(part) != len(rule) or not _valid_date(part, rule, today)):
        if rule == "yymmdd":
            raise _invalid("gs1.date", ai=ai, value=part)
        raise _invalid("gs1.datetime", ai=ai, value=part, form=_DATE_FORMS[rule])
    if rule in {"hhmm", "mmoptss"} and not _valid_time(part, rule):
        raise _invalid("gs1.datetime", ai=ai, value=value, form=_DATE_FORMS[ai])


# how a date-time AI's value is written (the hours, minutes and seconds of GS1's YYMMDDHH[MM[SS]])
_DATE_FORMS = {"yymmddhhmm": "YYMMDDHHMM", "yymmddhh": "YYMMDDHH", "7011": "YYMMDD[HHMM]",
               "8008": "YYMMDDHH[MM[SS]]"}


@functools.cache
def _iso_numeric(kind: str) -> frozenset[str]:
    """The numeric codes of ISO 3166-1 countries or ISO 4217 currencies (pycountry's copy of the lists)."""
    import pycountry

    entries = pycountry.countries if kind == "countries" else pycountry.currencies
    return frozenset(str(entry.numeric) for entry in entries)


def _valid_time(value: str, kind: str) -> bool:
    """``hhmm`` (an hour and its minutes) or ``mmoptss`` (the minutes, then optionally the seconds, after a
    time's hour): pairs of digits, each within its range."""
    if len(value) % 2 or (kind == "hhmm" and len(value) != 4):
        return False
    limits = (23, 59) if kind == "hhmm" else (59, 59)
    return all(int(value[i:i + 2]) <= limit for i, limit in zip(range(0, len(value), 2), limits, strict=False))


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
    if kind in {"yymmddhhmm", "yymmddhh"}:
        valid = valid and int(value[6:8]) <= 23 and (kind == "yymmddhh" or int(value[8:10]) <= 59)
    return valid


def _ai_at(text: str, position: int) -> AIDefinition | None:
    for length in (2, 3, 4):
        spec = AI_TABLE.get(text[position:position + length])
        if spec is not None:
            return spec
    return None


def _parse_element_string(text: str, today: dt.date, requisites: bool = True) -> ParsedCode:
    text = text.replace(_LEAKED_FNC1, GS)
    for escape in _GS_ESCAPES:
        text = text.replace(escape, GS)
    if GS in text or _GS_PLACEHOLDER not in text:
        return _checked(_element_string_ais(text), today, requisites)
    try:
        return _checked(_element_string_ais(text.replace(_GS_PLACEHOLDER, GS)), today, requisites)
    except InvalidInput as placeholder_reading:
        try:  # a value may hold the text <GS> itself
            return _checked(_element_string_ais(text), today, requisites)
        except InvalidInput:
            raise placeholder_reading from None


def _element_string_ais(text: str) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    position, end_of_text = 0, len(text)
    while position < end_of_text:
        if text[position] == GS:  # FNC1 in first position, after a pre-defined length AI, or doubled
            position += 1
            continue
        if not text[position:].strip(" "):  # trailing spaces after a fixed-length value: a scanner's suffix
            break
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
    opening = text[0]
    head = _ELEMENT_HEAD[opening]
    pairs: list[tuple[str, str]] = []
    position = 0
    while position < len(text):
        match = head.match(text, position)
        if match is None or match.group(1) not in AI_TABLE:
            close = text.find("]" if opening == "[" else ")", position)
            end = close if position < close <= position + 5 else position + 5
            raise _invalid("gs1.unknown_ai", ai=text[position + 1:end])
        ai, end = match.group(1), match.end()
        value: list[str] = []
        # '[' never occurs in a value (not in set 82), so each one opens an element; '(' does so when an AI
        # in parentheses follows it, and "\(" is always data
        while end < len(text) and not (text[end] == opening and (opening == "[" or head.match(text, end))):
            if opening == "(" and text.startswith(_ESCAPED_PARENTHESIS, end):
                value.append("(")
                end += 2
            else:
                value.append(text[end])
                end += 1
        data = "".join(value)
        pairs.append((ai, data if ai == "92" else data.strip(" ")))
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
    if "" in segments:  # "…/21/a//b": a value's "/" must be written %2F, or the link lost a value
        raise _invalid("gs1.digital_link", detail="empty_segment")
    keys = [_DL_ALPHAS.get(segment, segment) for segment in segments]
    first_fault: InvalidInput | None = None
    path_pairs: list[tuple[str, str]] | None = None
    for start, key in enumerate(keys):
        if key not in _DL_QUALIFIERS or (len(keys) - start) % 2:
            continue
        pairs = [(keys[i], segments[i + 1]) for i in range(start, len(keys), 2)]
        fault = _qualifier_fault(key, [ai for ai, _ in pairs[1:]])
        if fault is None:
            qualifiers = {ai for sequence in _DL_QUALIFIERS[key] for ai in sequence}
            # ".../21/ABC/01/…": a qualifier before its key is out of order, not a path prefix to drop
            misplaced = next((k for k in keys[:start] if k in qualifiers), None)
            if misplaced is not None:
                raise _invalid("gs1.digital_link", detail="qualifier_order", ai=misplaced, primary=key)
            path_pairs = pairs
            break
        first_fault = first_fault or fault
    if path_pairs is None:
        if first_fault is None and keys and keys[-1] in AI_TABLE and any(k in _DL_QUALIFIERS for k in keys):
            raise _invalid("gs1.digital_link", detail="missing_value", ai=keys[-1])  # ".../21" with no serial
        raise first_fault or _invalid("gs1.digital_link", detail="no_primary_key")
    result = [(ai, _percent_decoded(raw, ai)) for ai, raw in path_pairs] + _query_ais(parts.query, path_pairs[0][0])
    # a Digital Link may carry a GTIN-8/12/13; as an AI 01 value it is always 14 digits
    return [(ai, value.zfill(14) if ai == "01" and _digits(value) and len(value) in {8, 12, 13} else value)
            for ai, value in result]


def _query_ais(query: str, primary: str) -> list[tuple[str, str]]:
    """The AIs of a Digital Link's query: its data attributes (never the key's qualifiers)."""
    result: list[tuple[str, str]] = []
    for item in query.split("&"):
        if not item:
            continue
        raw_key, _, raw_value = item.partition("=")
        key = _percent_decoded(raw_key)
        if not _digits(key):
            continue  # not an AI: GS1 Digital Link says other parameters are ignored
        if key not in AI_TABLE:
            raise _invalid("gs1.unknown_ai", ai=key)
        if any(key in sequence for sequence in _DL_QUALIFIERS[primary]):  # GS1's reference parser refuses it too
            raise _invalid("gs1.digital_link", detail="qualifier_in_query", ai=key, primary=primary)
        result.append((key, _percent_decoded(raw_value, key)))
    return result


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
