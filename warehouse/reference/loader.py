"""Loading the reference directories from the JSON files in ``data/`` into ``ops``, versioned.

Loading is idempotent: a file whose content is unchanged changes nothing. A changed file raises the
directory's version; each new or changed entry gets a new row with that version, and an entry that
disappeared from the file gets a closing row (``valid_to`` set), so every earlier version stays
readable.
"""

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import Session

from warehouse.models import ReferenceDirectory, ReferenceEntry
from warehouse.reference.queries import entries_stmt

LANGS = ("kk", "ru", "en")


class ReferenceFileError(ValueError):
    """A reference file does not have the documented shape; nothing of it was loaded."""

    def __init__(self, file: Path, detail: str) -> None:
        self.file = file
        self.detail = detail
        super().__init__(f"{file.name}: {detail}")


@dataclass(frozen=True)
class DirectoryLoad:
    directory: str
    version: int
    changed: bool
    entries_written: int


def _names(obj: Any, where: str, file: Path) -> dict[str, str]:
    if not isinstance(obj, dict):
        raise ReferenceFileError(file, f"{where}: 'name' must be an object with kk, ru and en")
    for lang in LANGS:
        if not isinstance(obj.get(lang), str) or not obj[lang].strip():
            raise ReferenceFileError(file, f"{where}: name.{lang} is missing or empty")
    return {lang: obj[lang].strip() for lang in LANGS}


def _date(value: Any, where: str, file: Path) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ReferenceFileError(file, f"{where}: '{value}' is not a date YYYY-MM-DD") from None


def read_directory_file(file: Path) -> dict[str, Any]:
    """Parse and check one file; raises ReferenceFileError naming the broken rule."""
    try:
        raw = json.loads(file.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReferenceFileError(file, f"not valid UTF-8 JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise ReferenceFileError(file, "the top level must be an object")
    code = raw.get("directory")
    if not isinstance(code, str) or not code or code != file.stem:
        raise ReferenceFileError(file, "'directory' must equal the file name")
    if not isinstance(raw.get("version"), str):
        raise ReferenceFileError(file, "'version' must be a string")
    entries = raw.get("entries")
    if not isinstance(entries, list) or not entries:
        raise ReferenceFileError(file, "'entries' must be a non-empty list")
    seen: set[str] = set()
    parsed = []
    for i, entry in enumerate(entries):
        where = f"entries[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("code"), str) or not entry["code"]:
            raise ReferenceFileError(file, f"{where}: 'code' must be a non-empty string")
        if entry["code"] in seen:
            raise ReferenceFileError(file, f"{where}: code '{entry['code']}' appears twice")
        seen.add(entry["code"])
        attributes = entry.get("attributes", {})
        if not isinstance(attributes, dict):
            raise ReferenceFileError(file, f"{where}: 'attributes' must be an object")
        valid_from = _date(entry.get("valid_from"), where, file)
        valid_to = _date(entry.get("valid_to"), where, file)
        if valid_from is None:
            raise ReferenceFileError(file, f"{where}: 'valid_from' is required")
        if valid_to is not None and valid_to <= valid_from:
            raise ReferenceFileError(file, f"{where}: 'valid_to' must be after 'valid_from'")
        parsed.append({
            "code": entry["code"], "name": _names(entry.get("name"), where, file),
            "attributes": attributes, "valid_from": valid_from, "valid_to": valid_to,
        })
    return {
        "directory": code, "name": _names(raw.get("name"), "directory", file),
        "version": raw["version"], "entries": parsed,
        "sha256": hashlib.sha256(json.dumps(raw, sort_keys=True, ensure_ascii=False).encode()).hexdigest(),
    }


def _entry_key(row: ReferenceEntry | dict[str, Any]) -> tuple[Any, ...]:
    if isinstance(row, ReferenceEntry):
        return (row.name_kk, row.name_ru, row.name_en, row.attributes, row.valid_from, row.valid_to)
    n = row["name"]
    return (n["kk"], n["ru"], n["en"], row["attributes"], row["valid_from"], row["valid_to"])


def load_directory(session: Session, spec: dict[str, Any], today: dt.date | None = None) -> DirectoryLoad:
    today = today or dt.date.today()
    code = spec["directory"]
    directory = session.get(ReferenceDirectory, code, with_for_update=True)
    if directory is not None and directory.content_sha256 == spec["sha256"]:
        return DirectoryLoad(code, directory.version, False, 0)
    version = 1 if directory is None else directory.version + 1
    names = spec["name"]
    if directory is None:
        directory = ReferenceDirectory(code=code)
        session.add(directory)
    directory.name_kk, directory.name_ru, directory.name_en = names["kk"], names["ru"], names["en"]
    directory.version = version
    directory.source_version = spec["version"]
    directory.content_sha256 = spec["sha256"]
    directory.loaded_at = func.now()

    latest = {row.code: row for row in session.scalars(entries_stmt(code))}
    written = 0
    for entry in spec["entries"]:
        current = latest.pop(entry["code"], None)
        if current is not None and _entry_key(current) == _entry_key(entry):
            continue
        n = entry["name"]
        session.add(ReferenceEntry(
            directory=code, code=entry["code"], version=version, name_kk=n["kk"], name_ru=n["ru"],
            name_en=n["en"], attributes=entry["attributes"], valid_from=entry["valid_from"],
            valid_to=entry["valid_to"],
        ))
        written += 1
    for gone in latest.values():  # dropped from the file: close it, keep its history
        if gone.valid_to is not None and gone.valid_to <= today:
            continue
        session.add(ReferenceEntry(
            directory=code, code=gone.code, version=version, name_kk=gone.name_kk, name_ru=gone.name_ru,
            name_en=gone.name_en, attributes=gone.attributes, valid_from=gone.valid_from,
            valid_to=max(today, gone.valid_from + dt.timedelta(days=1)),
        ))
        written += 1
    session.flush()
    return DirectoryLoad(code, version, True, written)


def load_reference_data(
    session: Session, data_dir: Path, progress: Callable[[str], None] | None = None
) -> list[DirectoryLoad]:
    """Check every file first (a bad file loads nothing), then load them all in the caller's transaction."""
    specs = [read_directory_file(f) for f in sorted(data_dir.glob("*.json"))]
    if not specs:
        raise ReferenceFileError(data_dir, "no reference files (*.json) found")
    results = []
    for spec in specs:
        result = load_directory(session, spec)
        results.append(result)
        if progress:
            state = f"version {result.version}, {result.entries_written} entries written" if result.changed \
                else f"unchanged (version {result.version})"
            progress(f"  {result.directory}: {state}")
    return results
