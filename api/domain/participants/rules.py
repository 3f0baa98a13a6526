"""BIN and IIN: the 12-digit identifiers of Kazakh legal entities and individuals, and their check digit.

BIN = YYMM, type digit (4 resident legal entity, 5 non-resident, 6 individual entrepreneur's joint
venture), attribute digit, serial, check digit. IIN = YYMMDD, century/sex digit, serial, check digit.
The fifth digit tells them apart: 4–6 for a BIN, 0–3 (the tens of the day) for an IIN.
"""

import datetime as dt
from dataclasses import dataclass

from api.faults import Fault

FIRST_WEIGHTS = tuple(range(1, 12))
SECOND_WEIGHTS = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)


def check_digit(first_eleven: str) -> int | None:
    """The check digit for 11 digits, or None when no check digit can exist (both passes give 10)."""
    digits = [int(c) for c in first_eleven]
    first = sum(d * w for d, w in zip(digits, FIRST_WEIGHTS, strict=True)) % 11
    if first != 10:
        return first
    second = sum(d * w for d, w in zip(digits, SECOND_WEIGHTS, strict=True)) % 11
    return None if second == 10 else second


@dataclass(frozen=True)
class TaxpayerNumber:
    """A valid BIN or IIN."""

    value: str

    @property
    def is_individual(self) -> bool:
        return self.value[4] in "0123"


def parse_bin(value: object, path: str = "bin") -> TaxpayerNumber | Fault:
    """Check a BIN or IIN; returns the number or the first rule it breaks."""
    if not isinstance(value, str):
        return Fault("bin.type", path)
    text = value.strip()
    if text and not (text.isascii() and text.isdigit()):
        return Fault("bin.digits", path, params={"value": value})
    if len(text) != 12:
        return Fault("bin.length", path, params={"value": value, "length": len(text)})
    month = int(text[2:4])
    if not 1 <= month <= 12:
        return Fault("bin.month", path, params={"value": value})
    kind = text[4]
    if kind in "0123":  # IIN: YYMMDD must be a date; the 7th digit gives the century (and sex)
        century_digit = int(text[6])
        if century_digit > 6:
            return Fault("bin.century", path, params={"value": value})
        century = {0: 2000, 1: 1800, 2: 1800, 3: 1900, 4: 1900, 5: 2000, 6: 2000}[century_digit]
        try:
            dt.date(century + int(text[0:2]), month, int(text[4:6]))
        except ValueError:
            return Fault("bin.birth_date", path, params={"value": value})
    elif kind not in "456":
        return Fault("bin.kind", path, params={"value": value})
    expected = check_digit(text[:11])
    if expected is None:
        return Fault("bin.check_digit_impossible", path, params={"value": value})
    if expected != int(text[11]):
        return Fault("bin.check_digit", path, params={"value": value, "expected": expected})
    return TaxpayerNumber(text)


# --- the state business register file ---------------------------------------------------------------
REGISTER_COLUMNS = ("bin", "name_ru", "status", "registration_date", "kato")
REGISTER_OPTIONAL = ("name_kk",)


@dataclass(frozen=True)
class RegisterRow:
    """One valid row of the business register."""

    bin: str
    name_kk: str | None
    name_ru: str
    status: str
    registration_date: dt.date
    kato: str


def region_of(kato: str) -> str:
    """The KATO code of the region (or city of republican significance) a KATO code belongs to."""
    return kato[:2] + "0000000"


def _register_date(value: str) -> dt.date | None:
    text = value.strip()
    for parse in (dt.date.fromisoformat, lambda s: dt.datetime.strptime(s, "%d.%m.%Y").date()):
        try:
            return parse(text)
        except ValueError:
            continue
    return None


def check_register_row(
    row: dict[str, str], statuses: dict[str, str], regions: set[str], today: dt.date
) -> RegisterRow | list[Fault]:
    """Validate one register row. ``statuses`` maps every accepted spelling (lower case) to a status code."""
    faults: list[Fault] = []
    number = parse_bin(row.get("bin") or "", path="bin")
    if isinstance(number, Fault):
        faults.append(number)
    name_ru = (row.get("name_ru") or "").strip()
    if not name_ru:
        faults.append(Fault("register.name_required", "name_ru"))
    raw_status = (row.get("status") or "").strip()
    status = statuses.get(raw_status.lower())
    if status is None:
        faults.append(Fault("register.unknown_status", "status", params={"value": raw_status}))
    raw_date = row.get("registration_date") or ""
    date = _register_date(raw_date)
    if date is None:
        faults.append(Fault("register.bad_date", "registration_date", params={"value": raw_date}))
    elif date > today:
        faults.append(Fault("register.future_date", "registration_date", params={"value": date.isoformat()}))
    kato = (row.get("kato") or "").strip()
    if not (kato.isascii() and kato.isdigit() and len(kato) == 9):
        faults.append(Fault("register.bad_kato", "kato", params={"value": kato}))
    elif region_of(kato) not in regions:
        faults.append(Fault("register.unknown_region", "kato", params={"value": kato}))
    if faults:
        return faults
    assert isinstance(number, TaxpayerNumber) and status is not None and date is not None
    return RegisterRow(
        bin=number.value, name_kk=(row.get("name_kk") or "").strip() or None, name_ru=name_ru,
        status=status, registration_date=date, kato=kato,
    )
