"""The analytics pipeline end to end on a real database: dbt builds the marts, the quality suites pass,
the dashboard role reads the mart, and a broken participant makes the quality run fail."""

import datetime as dt
import time
from pathlib import Path

import psycopg
import pytest
from psycopg.types.json import Jsonb

from api.domain.participants.rules import check_digit
from quality.runner import run_quality
from tanba.pipeline import run_pipeline
from warehouse.roles import DatabaseUrls, bootstrap

DBT_PROJECT = Path(__file__).resolve().parents[2] / "dbt"
TODAY = dt.date.today()
LONG_AGO = dt.date(2020, 1, 1)




def valid_number(prefix: str) -> str:
    """A valid 12-digit BIN/IIN starting with ``prefix``, the serial counted up until one exists."""
    for serial in range(1000):
        first_eleven = (prefix + f"{serial:06d}")[:11]
        digit = check_digit(first_eleven)
        if digit is not None:
            return first_eleven + str(digit)
    raise AssertionError(f"no valid number with prefix {prefix}")


# name: (kato, types, state, is_individual); BINs start YYMM + 4 (resident legal entity), IINs YYMMDD.
PARTICIPANTS = {
    "astana_producer": ("711210000", ["MANUFACTURER", "IMPORTER"], "ACTIVE", valid_number("05044")),
    "astana_shop": ("711110000", ["RETAILER"], "ACTIVE", valid_number("8503123")),  # an IIN
    "almaty_producer": ("751110000", ["MANUFACTURER"], "ACTIVE", valid_number("07114")),
    # RETAILER listed twice: counted once
    "almaty_suspended": (
        "751310000", ["MANUFACTURER", "RETAILER", "RETAILER"], "SUSPENDED", valid_number("09024")
    ),
    # Shymkent's kato_regions entry is closed as of today: its participants fall under 'Unknown'.
    "shymkent_shop": ("791010000", ["RETAILER"], "ACTIVE", valid_number("12014")),
    # 11 is no region at all.
    "nowhere_shop": ("111111111", ["RETAILER"], "PENDING", valid_number("15064")),
}

EXPECTED_MART = {
    # (region_kato, type): (name_ru, total, active)
    ("710000000", "MANUFACTURER"): ("Астана", 1, 1),
    ("710000000", "IMPORTER"): ("Астана", 1, 1),
    ("710000000", "RETAILER"): ("Астана", 1, 1),
    ("750000000", "MANUFACTURER"): ("Алматы", 2, 1),
    ("750000000", "RETAILER"): ("Алматы", 1, 0),
    ("000000000", "RETAILER"): ("Не определён", 2, 1),
}

CONTRACT = [
    ("region_kato", "character varying", 9, "NO"),
    ("region_name_kk", "text", None, "YES"),
    ("region_name_ru", "text", None, "YES"),
    ("region_name_en", "text", None, "YES"),
    ("region_lat", "double precision", None, "YES"),
    ("region_lon", "double precision", None, "YES"),
    ("participant_type", "character varying", 32, "NO"),
    ("participants_total", "bigint", None, "NO"),
    ("participants_active", "bigint", None, "NO"),
]


def insert_reference_data(conn: psycopg.Connection) -> None:
    for code, kk, ru, en in (
        ("kato_regions", "ӘАОЖ өңірлері", "Регионы КАТО", "KATO regions"),
        ("participant_types", "Қатысушы түрлері", "Типы участников", "Participant types"),
    ):
        conn.execute(
            "INSERT INTO ops.reference_directory (code, name_kk, name_ru, name_en, version, source_version,"
            " content_sha256) VALUES (%s, %s, %s, %s, 2, 'test', repeat('0', 64))",
            (code, kk, ru, en),
        )
    entries = [
        # directory, code, version, kk, ru, en, attributes, valid_from, valid_to
        ("kato_regions", "710000000", 1, "Астана", "Астана", "Astana",
         {"lat": 51.1694, "lon": 71.4491}, LONG_AGO, None),
        # Almaty was renamed in version 2: the latest version wins.
        ("kato_regions", "750000000", 1, "Алматы қ.", "г. Алматы", "Almaty city",
         {"lat": 43.2389, "lon": 76.8897}, LONG_AGO, None),
        ("kato_regions", "750000000", 2, "Алматы", "Алматы", "Almaty",
         {"lat": "43.2389", "lon": "76.8897"}, LONG_AGO, None),
        # Shymkent's latest version is closed: the region is not current even though version 1 is open.
        ("kato_regions", "790000000", 1, "Шымкент", "Шымкент", "Shymkent",
         {"lat": 42.3417, "lon": 69.5901}, LONG_AGO, None),
        ("kato_regions", "790000000", 2, "Шымкент", "Шымкент", "Shymkent",
         {"lat": 42.3417, "lon": 69.5901}, LONG_AGO, TODAY),
    ] + [
        ("participant_types", code, 1, code.title(), code.title(), code.title(), {}, LONG_AGO, None)
        for code in ("MANUFACTURER", "IMPORTER", "WHOLESALER", "RETAILER", "EXPORTER")
    ]
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO ops.reference_entry (directory, code, version, name_kk, name_ru, name_en,"
            " attributes, valid_from, valid_to) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
            [(*e[:6], Jsonb(e[6]), *e[7:]) for e in entries],
        )


def insert_participant(conn: psycopg.Connection, bin_: str, kato: str, types: list[str], state: str) -> None:
    conn.execute(
        "INSERT INTO ops.participant (bin, is_individual, name_ru, types, state, kato)"
        " VALUES (%s, %s, %s, %s, %s, %s)",
        (bin_, bin_[4] in "0123", f"Участник {bin_}", types, state, kato),
    )


@pytest.fixture
def loaded_urls(db_urls: DatabaseUrls) -> DatabaseUrls:
    """The test database with two reference directories and six participants, written as the owner."""
    # Database-level grants (analytics may CREATE its stg/int schemas) are not copied from the
    # template by CREATE DATABASE … TEMPLATE: bootstrap (idempotent) grants them as in production.
    bootstrap(db_urls)
    with psycopg.connect(db_urls.owner) as conn:
        insert_reference_data(conn)
        for kato, types, state, bin_ in PARTICIPANTS.values():
            insert_participant(conn, bin_, kato, types, state)
    return db_urls


def test_pipeline_builds_validated_mart_then_quality_catches_a_bad_bin(
    loaded_urls: DatabaseUrls, tmp_path: Path
) -> None:
    lines: list[str] = []
    started = time.monotonic()
    assert run_pipeline(loaded_urls, DBT_PROJECT, lines.append, work_dir=tmp_path / "dbt"), "\n".join(lines)
    took = time.monotonic() - started

    # progress: one line per node, numbered, and the quality verdicts
    assert any(line.startswith("[") and "model stg_ops__participants ... OK" in line for line in lines)
    assert any("model fct_participants_by_region ... OK" in line for line in lines)
    assert any(line.startswith("quality ops_participants") and line.endswith("OK") for line in lines)
    assert took < 60, f"pipeline took {took:.1f}s"
    assert (tmp_path / "dbt" / "logs" / "dbt.log").exists()

    with psycopg.connect(loaded_urls.dashboard) as conn:
        rows = conn.execute(
            "SELECT region_kato, participant_type, region_name_ru, participants_total, participants_active,"
            " region_lat, region_lon, region_name_kk, region_name_en FROM marts.fct_participants_by_region"
        ).fetchall()
        columns = conn.execute(
            "SELECT column_name, data_type, character_maximum_length, is_nullable"
            " FROM information_schema.columns"
            " WHERE table_schema = 'marts' AND table_name = 'fct_participants_by_region'"
            " ORDER BY ordinal_position"
        ).fetchall()
    # the dashboard role reads marts and dq, never ops nor dbt's working layers
    for relation in ("ops.participant", "stg.stg_ops__participants", "int.int_participants_located"):
        with (
            psycopg.connect(loaded_urls.dashboard) as conn,
            pytest.raises(psycopg.errors.InsufficientPrivilege),
        ):
            conn.execute(f"SELECT 1 FROM {relation}")

    assert columns == CONTRACT
    assert {(r[0], r[1]): (r[2], r[3], r[4]) for r in rows} == EXPECTED_MART
    by_key = {(r[0], r[1]): r for r in rows}
    assert by_key[("750000000", "MANUFACTURER")][5:7] == pytest.approx((43.2389, 76.8897))
    unknown = by_key[("000000000", "RETAILER")]
    assert unknown[5:9] == (None, None, "Белгісіз", "Unknown")

    with psycopg.connect(loaded_urls.owner) as conn:
        passed = conn.execute(
            "SELECT suite, success, details FROM dq.validation_run ORDER BY suite"
        ).fetchall()
    assert [(s, ok) for s, ok, _ in passed] == [
        ("marts_participants_by_region", True), ("ops_participants", True)
    ]
    # the unknown regions are reported as a warning, not a failure
    warnings = passed[1][2]
    assert [d["severity"] for d in warnings] == ["warning"]
    assert "kato_regions" in warnings[0]["description"]

    # A participant whose BIN fails the check digit: the quality run fails and says so in dq.
    broken = "123456789012"
    assert check_digit(broken[:11]) != int(broken[11])
    with psycopg.connect(loaded_urls.owner) as conn:
        insert_participant(conn, broken, "711210000", ["MANUFACTURER"], "ACTIVE")

    report = run_quality(loaded_urls, lines.append)
    assert not report.success
    assert "ops_participants" in report.failed_suites

    with psycopg.connect(loaded_urls.owner) as conn:
        failed = conn.execute(
            "SELECT suite, asset, evaluated, failed, details FROM dq.validation_run"
            " WHERE run_id = %s AND NOT success",
            (report.run_id,),
        ).fetchall()
    ops_row = next(row for row in failed if row[0] == "ops_participants")
    assert ops_row[1] == "ops.participant"
    assert ops_row[2] >= 8
    check = [d for d in ops_row[4] if "check digit" in d.get("description", "")]
    assert check == [
        {
            "expectation": "unexpected_rows_expectation",
            "description": check[0]["description"],
            "severity": "critical",
            "kwargs": check[0]["kwargs"],
            "observed_value": 1,
        }
    ]
    # the mart was not rebuilt, so it no longer adds up to ops either
    assert any(row[0] == "marts_participants_by_region" for row in failed)
