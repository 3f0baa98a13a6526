"""The audit log: append-only for the application, hash-chained per shard, tampering detected."""

import threading
import uuid

import psycopg
import pytest

from tests.support import outcome_after_release
from warehouse.audit import verify_audit_log


def append(conn: psycopg.Connection, n: int = 1, action: str = "test.action") -> None:
    for _ in range(n):
        conn.execute(
            "SELECT ops.audit_append(%s, '080340424453', '850512300125', 'participant', '10.1.2.3', 'GET', "
            "'/api/v1/x', %s, NULL, 200)", (str(uuid.uuid4()), action),
        )


@pytest.fixture
def filled(db_urls):
    with psycopg.connect(db_urls.api) as conn:
        append(conn, 200)
    return db_urls


def test_intact_chain_verifies(filled):
    result = verify_audit_log(filled.owner)
    assert result.ok, result.problems
    assert result.rows == 200 and result.shards == 64


def test_canonical_text_is_fixed_and_inlined(db_urls):
    """Every hash covers this text: it must never change (0014 changed only how it is planned). STABLE, not
    IMMUTABLE, is what lets the planner inline it instead of parsing its body in every statement."""
    with psycopg.connect(db_urls.owner) as conn:
        conn.execute("SET TIME ZONE 'Asia/Almaty'")  # the text is in UTC whatever the session's zone
        text, volatility = conn.execute(
            "SELECT convert_from(ops.audit_canonical(7::smallint, 42, '2026-11-26 13:45:01.123456+05', 'req-1', "
            "'080340424453', NULL, 'participant', '10.1.2.3', 'GET', '/api/v1/x', 'test.action', 'Қ-1', "
            "200::smallint), 'UTF8'), (SELECT provolatile FROM pg_proc WHERE proname = 'audit_canonical')",
        ).fetchone()
    assert text == ('[7, 42, "2026-11-26T08:45:01.123456Z", "req-1", "080340424453", null, "participant", '
                    '"10.1.2.3", "GET", "/api/v1/x", "test.action", "Қ-1", 200]')
    assert volatility == "s"


def test_application_role_cannot_change_the_log(filled):
    with psycopg.connect(filled.api) as conn:
        for statement in ("UPDATE ops.audit_log SET status = 500",
                          "DELETE FROM ops.audit_log",
                          "TRUNCATE ops.audit_log",
                          "INSERT INTO ops.audit_log SELECT * FROM ops.audit_log LIMIT 1",
                          "UPDATE ops.audit_chain_head SET seq = 0"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
            conn.rollback()


def test_even_the_owner_cannot_update_or_delete(filled):
    with psycopg.connect(filled.owner) as conn:
        for statement in ("UPDATE ops.audit_log SET status = 500", "DELETE FROM ops.audit_log",
                          "TRUNCATE ops.audit_log"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
                conn.execute(statement)
            conn.rollback()


def tamper(admin_url: str, database: str, *statements: str) -> None:
    """What an intruder with superuser rights on a copy of the database could do."""
    url = admin_url.rsplit("/", 1)[0] + "/" + database
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ALTER TABLE ops.audit_log DISABLE TRIGGER USER")
        for statement in statements:
            conn.execute(statement)
        conn.execute("ALTER TABLE ops.audit_log ENABLE TRIGGER USER")


def first_shard(urls) -> int:
    with psycopg.connect(urls.owner) as conn:
        return conn.execute("SELECT shard FROM ops.audit_log WHERE seq = 3 ORDER BY shard LIMIT 1").fetchone()[0]


def test_edited_row_is_detected(filled, admin_url):
    shard = first_shard(filled)
    tamper(admin_url, filled.database,
           f"UPDATE ops.audit_log SET client_ip = '10.9.9.9' WHERE shard = {shard} AND seq = 2")
    result = verify_audit_log(filled.owner)
    assert not result.ok
    assert any(f"shard {shard} seq 2: content does not match" in p for p in result.problems)


def test_deleted_row_is_detected(filled, admin_url):
    shard = first_shard(filled)
    tamper(admin_url, filled.database, f"DELETE FROM ops.audit_log WHERE shard = {shard} AND seq = 2")
    problems = verify_audit_log(filled.owner).problems
    assert any(f"shard {shard}: rows 2..2 missing" in p for p in problems)


def test_deleted_last_row_is_detected(filled, admin_url):
    shard = first_shard(filled)
    tamper(admin_url, filled.database,
           f"DELETE FROM ops.audit_log WHERE shard = {shard} AND seq = "
           f"(SELECT max(seq) FROM ops.audit_log WHERE shard = {shard})")
    problems = verify_audit_log(filled.owner).problems
    assert any(f"shard {shard}: chain ends" in p for p in problems)


def test_reordered_rows_are_detected(filled, admin_url):
    shard = first_shard(filled)
    # swap the contents of rows 2 and 3 (their hashes travel with them)
    tamper(admin_url, filled.database,
           f"UPDATE ops.audit_log SET seq = -1 WHERE shard = {shard} AND seq = 2",
           f"UPDATE ops.audit_log SET seq = 2 WHERE shard = {shard} AND seq = 3",
           f"UPDATE ops.audit_log SET seq = 3 WHERE shard = {shard} AND seq = -1")
    problems = verify_audit_log(filled.owner).problems
    assert any(f"shard {shard} seq 2" in p for p in problems)


def test_concurrent_transactions_do_not_queue_behind_one_lock(db_urls):
    """A transaction holding an audit shard does not block others: they take free shards."""
    holder = psycopg.connect(db_urls.api)
    append(holder, 1)  # holds one shard's head until commit
    done = threading.Event()

    def other() -> None:
        with psycopg.connect(db_urls.api) as conn:
            conn.execute("SET lock_timeout = '2s'")
            append(conn, 20)
        done.set()

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(10)
    assert done.is_set(), "appending waited for the other transaction's lock"
    holder.commit()
    holder.close()
    assert verify_audit_log(db_urls.owner).ok


def test_when_every_shard_is_busy_an_append_waits_for_one(db_urls):
    """More concurrent transactions than shards: the newcomer queues on one shard, it does not fail."""
    holder = psycopg.connect(db_urls.owner)
    holder.execute("SELECT shard FROM ops.audit_chain_head FOR UPDATE")  # every shard's head

    def newcomer() -> bool:
        with psycopg.connect(db_urls.api) as conn:
            append(conn, 1)
        return True

    outcome = outcome_after_release(holder, newcomer)
    assert outcome == {"ok": True}
    assert verify_audit_log(db_urls.owner).ok
