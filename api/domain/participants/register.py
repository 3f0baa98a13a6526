"""Import of the state business register from a file in the register's shape (CSV or JSON lines).

A malformed file (unreadable, wrong columns, no rows) is refused whole and changes nothing. Otherwise
valid rows are upserted and every rejected row is reported with the field and the rule it breaks.
Importing the same file again changes no entry.
"""

import csv
import datetime as dt
import hashlib
import io
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from api.domain.participants.rules import REGISTER_COLUMNS, RegisterRow, check_register_row
from api.faults import Fault, InvalidInput
from warehouse.models import BusinessRegisterEntry, RegisterImport
from warehouse.reference.queries import entries_stmt


@dataclass
class Rejection:
    row: int
    faults: list[Fault]


@dataclass
class RegisterImportReport:
    id: uuid.UUID
    total: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejection] = field(default_factory=list)


def read_register_file(name: str, content: bytes) -> list[dict[str, str]]:
    """Rows of a register file as dicts of strings; raises InvalidInput for a malformed file."""
    suffix = Path(name).suffix.lower()
    if suffix not in {".csv", ".jsonl"}:
        raise InvalidInput(Fault("register.unknown_format", "file", params={"suffix": suffix or name}))
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidInput(Fault("register.file_unreadable", "file")) from None
    rows: list[dict[str, str]] = []
    if suffix == ".csv":
        sample = text[:4096]
        delimiter = ";" if sample.count(";") > sample.count(",") else ","
        reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
        missing = [c for c in REGISTER_COLUMNS if c not in header]
        if missing:
            raise InvalidInput(Fault("register.missing_columns", "file", params={"columns": ", ".join(missing)}))
        reader.fieldnames = header
        rows = [{k: (v or "") for k, v in r.items() if k} for r in reader]
    else:
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                obj = None
            if not isinstance(obj, dict):
                raise InvalidInput(Fault("register.bad_line", "file", number, params={"row": number}))
            rows.append({str(k).lower(): "" if v is None else str(v) for k, v in obj.items()})
        if rows:
            missing = [c for c in REGISTER_COLUMNS if all(c not in r for r in rows)]
            if missing:
                raise InvalidInput(
                    Fault("register.missing_columns", "file", params={"columns": ", ".join(missing)})
                )
    if not rows:
        raise InvalidInput(Fault("register.file_empty", "file"))
    return rows


def _status_spellings(session: Session) -> dict[str, str]:
    spellings: dict[str, str] = {}
    for entry in session.scalars(entries_stmt("register_statuses", at=dt.date.today())):
        for spelling in [entry.code, entry.name_kk, entry.name_ru, entry.name_en,
                         *entry.attributes.get("aliases", [])]:
            spellings[str(spelling).strip().lower()] = entry.code
    return spellings


def _regions(session: Session) -> set[str]:
    return {e.code for e in session.scalars(entries_stmt("kato_regions", at=dt.date.today()))}


def _entry_values(row: RegisterRow) -> dict[str, Any]:
    return {
        "bin": row.bin, "name_kk": row.name_kk, "name_ru": row.name_ru, "status": row.status,
        "registration_date": row.registration_date, "kato": row.kato,
    }


def import_register(session: Session, name: str, content: bytes) -> RegisterImportReport:
    """Check and apply a register file in the caller's transaction."""
    rows = read_register_file(name, content)
    statuses, regions, today = _status_spellings(session), _regions(session), dt.date.today()
    report = RegisterImportReport(id=uuid.uuid4(), total=len(rows))
    valid: dict[str, RegisterRow] = {}
    first_row: dict[str, int] = {}
    for number, raw in enumerate(rows, start=1):
        checked = check_register_row(raw, statuses, regions, today)
        if isinstance(checked, list):
            report.rejected.append(Rejection(number, checked))
            continue
        if checked.bin in first_row:
            report.rejected.append(Rejection(number, [Fault(
                "register.duplicate", "bin", params={"value": checked.bin, "first_row": first_row[checked.bin]}
            )]))
            continue
        first_row[checked.bin] = number
        valid[checked.bin] = checked

    existing = {
        e.bin: e for e in session.scalars(
            select(BusinessRegisterEntry).where(BusinessRegisterEntry.bin.in_(list(valid))).with_for_update()
        )
    } if valid else {}
    changed: list[dict[str, Any]] = []
    for bin_, row in valid.items():
        values = _entry_values(row)
        old = existing.get(bin_)
        if old is None:
            report.inserted += 1
        elif all(getattr(old, k) == v for k, v in values.items()):
            report.unchanged += 1
            continue
        else:
            report.updated += 1
        changed.append({**values, "import_id": report.id})

    session.add(RegisterImport(
        id=report.id, file_name=Path(name).name, file_sha256=hashlib.sha256(content).hexdigest(),
        rows_total=report.total, rows_inserted=report.inserted, rows_updated=report.updated,
        rows_unchanged=report.unchanged, rows_rejected=len(report.rejected),
        rejections=[
            {"row": r.row, "faults": [{"code": f.code, "path": f.path, "params": f.params} for f in r.faults]}
            for r in report.rejected
        ],
    ))
    session.flush()
    for start in range(0, len(changed), 1000):
        batch = changed[start:start + 1000]
        stmt = insert(BusinessRegisterEntry).values(batch)
        stmt = stmt.on_conflict_do_update(
            index_elements=["bin"],
            set_={c: stmt.excluded[c] for c in ("name_kk", "name_ru", "status", "registration_date", "kato",
                                                "import_id")} | {"updated_at": dt.datetime.now(dt.UTC)},
        )
        session.execute(stmt)
    return report
