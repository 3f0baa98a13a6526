"""The verification batch statement (migration 0008): one JSON document of scans in, one JSON array of
answers out, in the order sent; each scan recorded and audited in the same transaction."""

import json
import uuid

import psycopg
import pytest

ROUTE = "/api/v1/public/verify"


def scan(serial: str, lat: float | None = None, lon: float | None = None) -> dict[str, object]:
    return {"gtin": "04600000000015", "serial": serial, "key_id": None, "tail": None, "lat": lat, "lon": lon,
            "client": "test", "request_id": str(uuid.uuid4()), "client_ip": "10.9.8.7"}


def verify_batch(url: str, scans: list[dict[str, object]]) -> list[list[object]]:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT ops.public_verify_batch(%s::jsonb, %s)", (json.dumps(scans), ROUTE)).fetchone()
    assert row is not None
    return json.loads(row[0])


def counts(owner_url: str, request_ids: list[str], serials: list[str]) -> tuple[int, int]:
    with psycopg.connect(owner_url) as conn:
        audited = conn.execute("SELECT count(*) FROM ops.audit_log WHERE request_id = ANY(%s) AND action = "
                               "'public.verify' AND route = %s", (request_ids, ROUTE)).fetchone()
        scanned = conn.execute("SELECT count(*) FROM ops.code_scan WHERE serial = ANY(%s)", (serials,)).fetchone()
    assert audited is not None and scanned is not None
    return int(audited[0]), int(scanned[0])


def test_answers_come_back_in_the_order_sent_and_every_scan_is_recorded_and_audited(db_urls):
    repeated, once = f"REP{uuid.uuid4().hex[:10]}", f"ONE{uuid.uuid4().hex[:10]}"
    verify_batch(db_urls.api, [scan(repeated), scan(repeated), scan(repeated, 43.2567, 76.9281)])
    batch = [scan(once), scan(repeated, 51.1694, 71.4491)]
    answers = verify_batch(db_urls.api, batch)

    assert len(answers) == 2
    found, authentic, status, *_, scans_24h, places_24h = answers[0]
    assert (found, authentic, status, scans_24h, places_24h) == (False, False, None, 1, 0)
    assert answers[1][-2:] == [4, 2]  # this scan and the three before it, in two places (Almaty, Astana)
    assert counts(db_urls.owner, [s["request_id"] for s in batch], [once, repeated]) == (2, 5)  # type: ignore[misc]
    with psycopg.connect(db_urls.owner) as conn:
        coarse = conn.execute("SELECT lat, lon FROM ops.code_scan WHERE serial = %s AND lat IS NOT NULL "
                              "ORDER BY scanned_at", (repeated,)).fetchall()
    assert [(float(a), float(b)) for a, b in coarse] == [(43.26, 76.93), (51.17, 71.45)]  # rounded to ~1 km


def test_an_empty_batch_answers_nothing_and_writes_nothing(db_urls):
    with psycopg.connect(db_urls.owner) as conn:
        before = conn.execute("SELECT count(*) FROM ops.audit_log").fetchone()
    assert verify_batch(db_urls.api, []) == []
    with psycopg.connect(db_urls.owner) as conn:
        assert conn.execute("SELECT count(*) FROM ops.audit_log").fetchone() == before


@pytest.mark.parametrize("document", ['{"gtin": "04600000000015"}', '"scans"', "null"])
def test_a_document_that_is_not_an_array_is_refused_and_changes_nothing(db_urls, document):
    marker = str(uuid.uuid4())
    with psycopg.connect(db_urls.api) as conn, pytest.raises(psycopg.errors.InvalidParameterValue,
                                                            match="JSON array of scans"):
        conn.execute("SELECT ops.public_verify_batch(%s::jsonb, %s)", (document, marker))
    with psycopg.connect(db_urls.owner) as conn:
        assert conn.execute("SELECT count(*) FROM ops.audit_log WHERE route = %s", (marker,)).fetchone() == (0,)


def nested_plans(admin_url: str, scans: list[dict[str, object]]) -> str:
    """The plans of every statement the batch ran, as auto_explain reports them to the client."""
    notices: list[str] = []
    with psycopg.connect(admin_url) as conn:
        conn.add_notice_handler(lambda notice: notices.append(notice.message_primary or ""))
        for setting in ("SET client_min_messages = log", "LOAD 'auto_explain'", "SET auto_explain.log_min_duration = 0",
                        "SET auto_explain.log_nested_statements = on"):
            conn.execute(setting)
        conn.execute("SELECT ops.public_verify_batch(%s::jsonb, %s)", (json.dumps(scans), ROUTE))
    return "\n".join(notices)


def keyed_probes(plans: str) -> dict[str, list[bool]]:
    """For each index scan of the code and scan tables in the plans: whether it has an index condition."""
    probes: dict[str, list[bool]] = {}
    lines = plans.splitlines()
    for i, line in enumerate(lines):
        for table in ("marking_code", "code_scan"):
            if "Index" in line and "Scan" in line and f" on {table} " in line:
                rest = lines[i + 1:]
                node = rest[:next((j for j, later in enumerate(rest) if "->" in later), len(rest))]
                probes.setdefault(table, []).append(any("Index Cond" in later for later in node))
    return probes


def test_verification_keeps_to_its_indexes_when_the_tables_were_analysed_small(db_urls):
    """A plan made while the scan table was small and freshly analysed must not read it end to end: it is
    kept per connection (force_generic_plan) while the table grows by thousands of scans a second."""
    serial = f"IDX{uuid.uuid4().hex[:10]}"
    verify_batch(db_urls.api, [scan(f"{serial}{i}") for i in range(30)])
    database = db_urls.admin.rsplit("/", 1)[0] + "/" + db_urls.database
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute("ANALYZE ops.code_scan")
        conn.execute("ANALYZE ops.marking_code")
    guarded = nested_plans(database, [scan(serial)])  # as the migrations leave the function (0015, 0016)
    assert "Seq Scan on code_scan" not in guarded and "Seq Scan on marking_code" not in guarded
    assert "Hash Join" not in guarded and "Merge Join" not in guarded
    probes = keyed_probes(guarded)
    assert probes.get("marking_code") and probes.get("code_scan"), guarded
    assert all(all(keyed) for keyed in probes.values()), guarded  # an index read whole is a scan too
    with psycopg.connect(database, autocommit=True) as conn:
        for setting in ("enable_seqscan", "enable_hashjoin", "enable_mergejoin", "jit"):
            conn.execute(f"ALTER FUNCTION ops.public_verify_batch(jsonb, text) RESET {setting}")
    unguarded = nested_plans(database, [scan(serial)])
    assert "Seq Scan on code_scan" in unguarded  # what the planner picks for a small table left to itself


def audit_rows(owner_url: str, request_ids: list[str]) -> list[tuple[object, ...]]:
    with psycopg.connect(owner_url) as conn:
        return conn.execute(
            "SELECT shard, seq, request_id, role, method, action, object_id, status, client_ip, actor_bin "
            "FROM ops.audit_log WHERE request_id = ANY(%s) ORDER BY seq", (request_ids,)).fetchall()


def test_a_batch_is_audited_as_consecutive_links_of_one_shard_and_the_chain_verifies(db_urls):
    from warehouse.audit import verify_audit_log

    serials = [f"AUD{uuid.uuid4().hex[:10]}" for _ in range(5)]
    batch = [scan(s) for s in serials]
    verify_batch(db_urls.api, batch)
    rows = audit_rows(db_urls.owner, [str(s["request_id"]) for s in batch])
    assert len(rows) == 5 and len({r[0] for r in rows}) == 1  # one shard
    assert [r[1] for r in rows] == list(range(int(rows[0][1]), int(rows[0][1]) + 5))  # consecutive, in order
    assert [r[2] for r in rows] == [s["request_id"] for s in batch]
    for row, serial in zip(rows, serials, strict=True):
        assert row[3:] == ("public", "GET", "public.verify", f"010460000000001521{serial}", 200, "10.9.8.7", None)
    assert verify_audit_log(db_urls.owner).ok


def test_a_scan_is_audited_as_its_caller_and_one_without_a_caller_as_the_public(db_urls):
    """0017: the signed-in caller's BIN, IIN and role and the HTTP method reach the audit row; a scan from an
    API process older than 0017 carries none of them and is audited as an anonymous public GET."""
    from warehouse.audit import verify_audit_log

    serials = [f"ACT{uuid.uuid4().hex[:10]}" for _ in range(3)]
    inspector = {**scan(serials[0]), "actor_bin": "000140000011", "actor_iin": "850101300011",
                 "role": "authority", "method": "GET"}
    public_head = {**scan(serials[1]), "actor_bin": None, "actor_iin": None, "role": "public", "method": "HEAD"}
    batch = [inspector, public_head, scan(serials[2])]
    verify_batch(db_urls.api, batch)
    rows = audit_rows(db_urls.owner, [str(s["request_id"]) for s in batch])
    assert [row[3:5] for row in rows] == [("authority", "GET"), ("public", "HEAD"), ("public", "GET")]
    with psycopg.connect(db_urls.owner) as conn:
        actors = conn.execute("SELECT actor_bin, actor_iin FROM ops.audit_log WHERE request_id = ANY(%s) "
                              "ORDER BY seq", ([s["request_id"] for s in batch],)).fetchall()
    assert actors == [("000140000011", "850101300011"), (None, None), (None, None)]
    assert verify_audit_log(db_urls.owner).ok  # the chain covers the actor as stored


def hold_shards(owner_url: str, keep_free: int) -> psycopg.Connection:
    """A transaction holding every audit shard's head but ``keep_free`` of them (the highest numbers)."""
    holder = psycopg.connect(owner_url)
    holder.execute("SELECT shard FROM ops.audit_chain_head WHERE shard < 64 - %s FOR UPDATE", (keep_free,))
    return holder


def test_a_batch_finds_the_one_free_shard_without_waiting(db_urls):
    """Random probes by key mostly hit busy shards here: the fallback reads every head and takes the free one."""
    holder = hold_shards(db_urls.owner, keep_free=1)
    try:
        batch = [scan(f"FREE{uuid.uuid4().hex[:10]}") for _ in range(3)]
        with psycopg.connect(db_urls.api) as conn:
            conn.execute("SET lock_timeout = '2s'")  # waiting would fail the statement
            conn.execute("SELECT ops.public_verify_batch(%s::jsonb, %s)", (json.dumps(batch), ROUTE))
        assert {r[0] for r in audit_rows(db_urls.owner, [str(s["request_id"]) for s in batch])} == {63}
    finally:
        holder.rollback()
        holder.close()


def test_when_every_shard_is_busy_a_batch_waits_for_one(db_urls):
    from tests.support import outcome_after_release
    from warehouse.audit import verify_audit_log

    holder = hold_shards(db_urls.owner, keep_free=0)
    batch = [scan(f"WAIT{uuid.uuid4().hex[:10]}") for _ in range(2)]
    outcome = outcome_after_release(holder, lambda: verify_batch(db_urls.api, batch))
    assert len(outcome.get("ok", [])) == 2, outcome  # type: ignore[arg-type]
    assert len(audit_rows(db_urls.owner, [str(s["request_id"]) for s in batch])) == 2
    assert verify_audit_log(db_urls.owner).ok


def test_the_benchmarks_variant_without_writes_answers_alike_writes_nothing_and_is_put_back(db_urls, tmp_path):
    """``tanba bench verify`` measures the verification's ceiling with its writes cut out of the function, in
    the benchmark database only: the same answers, nothing written, and the real function back afterwards (or
    on the next run, when a run was killed in between)."""
    from tanba.bench.verify import restore_verification, verification_without_writes, without_writes

    serial, other = f"CUT{uuid.uuid4().hex[:10]}", f"CUT{uuid.uuid4().hex[:10]}"
    verify_batch(db_urls.api, [scan(serial, 43.2567, 76.9281)])
    saved = tmp_path / "verify-function.sql"
    batch = [scan(serial, 51.1694, 71.4491), scan(other)]
    with verification_without_writes(db_urls.owner, saved):
        assert "INSERT INTO ops.code_scan" in saved.read_text()
        unwritten = verify_batch(db_urls.api, batch)
        assert counts(db_urls.owner, [s["request_id"] for s in batch], [serial, other]) == (0, 1)  # type: ignore[misc]
    assert not saved.exists()
    assert verify_batch(db_urls.api, batch) == unwritten  # the real function, back, answers the same
    assert [a[-2:] for a in unwritten] == [[2, 2], [1, 0]]
    assert counts(db_urls.owner, [s["request_id"] for s in batch], [serial, other]) == (2, 3)  # type: ignore[misc]

    with psycopg.connect(db_urls.owner, autocommit=True) as conn:  # a run killed while the variant was in place
        definition = conn.execute("SELECT pg_get_functiondef('ops.public_verify_batch(jsonb, text)'::regprocedure)"
                                  ).fetchone()[0]  # type: ignore[index]
        saved.write_text(definition)
        conn.execute(without_writes(definition).encode())
    restore_verification(db_urls.owner, saved)
    assert not saved.exists()
    again = [scan(other)]
    verify_batch(db_urls.api, again)
    assert counts(db_urls.owner, [s["request_id"] for s in again], [other]) == (1, 2)  # type: ignore[misc]


def test_a_head_request_is_audited_and_answered_but_is_no_scan(db_urls):
    """0018: HEAD shows the caller nothing of the code, so it does not count towards copy detection."""
    serial = f"HEAD{uuid.uuid4().hex[:10]}"
    heads = [{**scan(serial), "actor_bin": None, "actor_iin": None, "role": "public", "method": "HEAD"}
             for _ in range(25)]
    answers = verify_batch(db_urls.api, heads)
    assert len(answers) == 25
    assert counts(db_urls.owner, [str(s["request_id"]) for s in heads], [serial]) == (25, 0)
    get = {**scan(serial), "actor_bin": None, "actor_iin": None, "role": "public", "method": "GET"}
    assert verify_batch(db_urls.api, [get])[0][-2:] == [1, 0]  # the first real scan of the code
    assert counts(db_urls.owner, [str(get["request_id"])], [serial]) == (1, 1)
