"""Loading the versioned reference directories: idempotence, versions, closing, and refusal of bad files."""

import datetime as dt
import json
import shutil
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import select

from warehouse.database import Database
from warehouse.models import ReferenceDirectory
from warehouse.reference.loader import ReferenceFileError, load_reference_data, read_directory_file
from warehouse.reference.queries import entries_stmt

REPO_DATA = Path(__file__).resolve().parents[2] / "warehouse" / "reference" / "data"


def directory_file(folder: Path, code: str, entries: list[dict], version: str = "1") -> Path:
    path = folder / f"{code}.json"
    path.write_text(json.dumps({
        "directory": code, "name": {"kk": "Анықтамалық", "ru": "Справочник", "en": "Directory"},
        "version": version, "entries": entries,
    }, ensure_ascii=False))
    return path


def entry(code: str, ru: str, valid_from: str = "2020-01-01", **attributes) -> dict:
    return {"code": code, "name": {"kk": ru + " (kk)", "ru": ru, "en": ru + " (en)"},
            "valid_from": valid_from, "valid_to": None, "attributes": attributes}


@pytest.fixture
def owner_db(db_urls):
    db = Database.for_role(db_urls, "owner", pool_size=1)
    yield db
    db.dispose()


def test_repository_files_load_and_reload_without_change(owner_db):
    with owner_db.session() as s:
        first = load_reference_data(s, REPO_DATA)
    assert all(r.changed and r.version == 1 for r in first)
    codes = {r.directory for r in first}
    assert {"product_groups", "tnved", "kato_regions", "countries", "withdrawal_reasons", "write_off_reasons",
            "document_types", "code_statuses", "units", "register_statuses"} <= codes
    with owner_db.session() as s:
        second = load_reference_data(s, REPO_DATA)
    assert not any(r.changed for r in second)
    with owner_db.session() as s:
        regions = s.scalars(entries_stmt("kato_regions", at=dt.date.today())).all()
        countries = s.scalars(entries_stmt("countries", at=dt.date.today())).all()
    assert len(regions) == 20
    assert {c.code for c in countries if c.attributes.get("eaeu")} == {"AM", "BY", "KZ", "KG", "RU"}
    assert all(e.name_kk and e.name_ru and e.name_en for e in regions)


def test_product_groups_refer_to_existing_tnved_headings():
    groups = read_directory_file(REPO_DATA / "product_groups.json")
    headings = {e["code"] for e in read_directory_file(REPO_DATA / "tnved.json")["entries"]}
    for group in groups["entries"]:
        assert set(group["attributes"]["tnved_headings"]) <= headings, group["code"]
        assert group["attributes"]["serial_length"] in (7, 13)


def test_change_raises_version_and_keeps_history(owner_db, tmp_path):
    directory_file(tmp_path, "units", [entry("796", "Штука"), entry("166", "Килограмм")])
    with owner_db.session() as s:
        load_reference_data(s, tmp_path)
    directory_file(tmp_path, "units", [entry("796", "Штука, шт"), entry("112", "Литр")], version="2")
    with owner_db.session() as s:
        (result,) = load_reference_data(s, tmp_path)
    assert result.changed and result.version == 2 and result.entries_written == 3  # changed, new, closed
    today = dt.date.today()
    with owner_db.session() as s:
        now = {e.code: e for e in s.scalars(entries_stmt("units", at=today))}
        then = {e.code: e for e in s.scalars(entries_stmt("units", at=today, version=1))}
        everything = {e.code: e for e in s.scalars(entries_stmt("units"))}
        assert s.get(ReferenceDirectory, "units").version == 2
    assert set(now) == {"796", "112"} and now["796"].name_ru == "Штука, шт"
    assert set(then) == {"796", "166"} and then["796"].name_ru == "Штука"
    assert everything["166"].valid_to == today  # closed, not deleted


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(entries=[]), "non-empty list"),
        (lambda d: d["entries"][0]["name"].pop("kk"), "name.kk"),
        (lambda d: d["entries"].append(dict(d["entries"][0])), "appears twice"),
        (lambda d: d["entries"][0].update(valid_from="2020-13-01"), "not a date"),
        (lambda d: d["entries"][0].update(valid_to="2019-01-01"), "after 'valid_from'"),
        (lambda d: d.update(directory="other"), "file name"),
    ],
)
def test_bad_file_is_refused_and_loads_nothing(owner_db, db_urls, tmp_path, mutate, message):
    directory_file(tmp_path, "a_good", [entry("1", "Один")])
    path = directory_file(tmp_path, "units", [entry("796", "Штука")])
    data = json.loads(path.read_text())
    mutate(data)
    path.write_text(json.dumps(data, ensure_ascii=False))
    with pytest.raises(ReferenceFileError, match=message), owner_db.session() as s:
        load_reference_data(s, tmp_path)
    with psycopg.connect(db_urls.owner) as conn:
        assert conn.execute("SELECT count(*) FROM ops.reference_entry").fetchone() == (0,)


def test_not_json_is_refused(tmp_path):
    (tmp_path / "units.json").write_bytes(b"\xff\xfe not json")
    with pytest.raises(ReferenceFileError, match="UTF-8 JSON"):
        read_directory_file(tmp_path / "units.json")


def test_copy_of_repository_data_is_stable(owner_db, tmp_path):
    for f in REPO_DATA.glob("*.json"):
        shutil.copy(f, tmp_path / f.name)
    with owner_db.session() as s:
        load_reference_data(s, tmp_path)
        total = len(s.scalars(select(ReferenceDirectory)).all())
    assert total == len(list(REPO_DATA.glob("*.json")))
