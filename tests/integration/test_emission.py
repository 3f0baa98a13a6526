"""Emission on a real PostgreSQL: every code stored once, signed with the emission key, never reissued."""

import base64
import uuid

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.domain.codes import emission
from api.domain.codes.gs1 import CHARSET_82

OWNER = "011040197726"
GTIN = "04600000000015"


@pytest.fixture
def order_db(db_urls):
    with psycopg.connect(db_urls.owner) as conn:
        conn.execute("INSERT INTO ops.product (gtin, owner_bin, product_group, tnved, name_kk, name_ru, manufacturer, "
                      "country) VALUES (%s, %s, 'shoes', '6403', 'Аяқ киім', 'Обувь', 'ТОО', 'KZ')", (GTIN, OWNER))
    return db_urls


def new_order(urls, quantity: int) -> uuid.UUID:
    order_id = uuid.uuid4()
    with psycopg.connect(urls.owner) as conn:
        conn.execute("INSERT INTO ops.code_order (id, owner_bin, gtin, quantity, status, key_id) "
                     "VALUES (%s, %s, %s, %s, 'PROCESSING', 'TEST')", (order_id, OWNER, GTIN, quantity))
    return order_id


def test_serials_are_uniform_over_the_alphabet():
    serials = emission.random_serials(20_000, 13)
    assert all(len(s) == 13 and set(s) <= set(CHARSET_82) for s in serials)
    counts = dict.fromkeys(CHARSET_82, 0)
    for s in serials:
        for c in s:
            counts[c] += 1
    expected = 20_000 * 13 / len(CHARSET_82)
    assert all(0.85 * expected < n < 1.15 * expected for n in counts.values())
    assert emission.random_serials(3, 7, "0123456789")[0].isdigit()


def test_two_orders_store_distinct_signed_codes(order_db):
    key = Ed25519PrivateKey.generate()
    seen_progress: list[int] = []
    first, second = new_order(order_db, 60_000), new_order(order_db, 1_001)
    result = emission.emit_codes(order_db.api, first, OWNER, GTIN, 60_000, 13, key, "TEST",
                                 progress=lambda done, total: seen_progress.append(done))
    assert result.produced == 60_000 and seen_progress[-1] == 60_000
    emission.emit_codes(order_db.api, second, OWNER, GTIN, 1_001, 13, key, "TEST")
    with psycopg.connect(order_db.owner) as conn:
        assert conn.execute("SELECT count(*), count(DISTINCT serial) FROM ops.marking_code").fetchone() == (61_001,
                                                                                                           61_001)
        assert conn.execute("SELECT produced FROM ops.code_order WHERE id = %s", (first,)).fetchone() == (60_000,)
        sample = conn.execute("SELECT serial, crypto_tail FROM ops.marking_code ORDER BY random() LIMIT 200").fetchall()
    public = key.public_key()
    for serial, tail in sample:
        assert len(tail) == 88
        public.verify(base64.b64decode(tail), f"01{GTIN}21{serial}".encode())


def test_a_colliding_serial_is_never_issued_twice(order_db, monkeypatch):
    key = Ed25519PrivateKey.generate()
    existing = "AAAAAAAAAAAAA"
    with psycopg.connect(order_db.owner) as conn:
        conn.execute("INSERT INTO ops.code_order (id, owner_bin, gtin, quantity, status) VALUES "
                     "('00000000-0000-0000-0000-000000000001', %s, %s, 1, 'DONE')", (OWNER, GTIN))
        conn.execute("INSERT INTO ops.marking_code (gtin, serial, order_id, owner_bin, key_id, crypto_tail) VALUES "
                     "(%s, %s, '00000000-0000-0000-0000-000000000001', %s, 'TEST', repeat('A', 88))",
                     (GTIN, existing, OWNER))
    real = emission.random_serials
    calls = {"n": 0}

    def colliding(count: int, length: int, alphabet: str = emission.SERIAL_ALPHABET) -> list[str]:
        calls["n"] += 1
        serials = real(count, length, alphabet)
        return [existing, *serials[1:]] if calls["n"] == 1 else serials

    monkeypatch.setattr(emission, "random_serials", colliding)  # inherited by a forked worker (only)
    order = new_order(order_db, 10)
    result = emission.emit_codes(order_db.api, order, OWNER, GTIN, 10, 13, key, "TEST", workers=1,
                                 start_method="fork")
    assert result.produced == 10 and result.retried_chunks == 1
    with psycopg.connect(order_db.owner) as conn:
        assert conn.execute("SELECT count(*) FROM ops.marking_code WHERE serial = %s", (existing,)).fetchone() == (1,)
        assert conn.execute("SELECT count(*) FROM ops.marking_code WHERE order_id = %s", (order,)).fetchone() == (10,)


def test_codes_are_never_deleted(order_db):
    order = new_order(order_db, 1)
    emission.emit_codes(order_db.api, order, OWNER, GTIN, 1, 13, Ed25519PrivateKey.generate(), "TEST", workers=1)
    for statement in ("DELETE FROM ops.marking_code", "TRUNCATE ops.marking_code"):
        with psycopg.connect(order_db.owner) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(statement)
