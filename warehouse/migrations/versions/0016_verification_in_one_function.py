"""Public verification in one function: ``ops.public_verify_batch`` answers, records and audits a batch itself,
in one statement after the audit shard is locked, instead of calling ``ops.public_verify_many`` (dropped),
which called ``ops.audit_append_many``.

What a batch did, and still does, in one transaction: lock a free audit chain shard, compute each request's
canonical audit text and chain its hash on that shard, answer each scan from the code, its product and the
code's latest scans, insert one scan row and one audit row per scan, move the shard's head. The answers,
the rows and the hashes are what 0015 gave (same canonical text, ``ops.audit_canonical``; same chaining).

Why: a batch cost PostgreSQL ~330 µs of fixed CPU plus ~30 µs a scan (measured on the benchmark database
with batches of 1 to 128): at the ~13 scans a batch of the benchmark, the fixed part was half of
PostgreSQL's cost of a verification. Three PL/pgSQL frames ran nine statements, each with its own executor
start, sorts and GUC changes, and the shard was chosen by reading and sorting all 64 chain heads (15 pages
after a day of HOT updates). Now: a few random probes by key take a free shard (the full read is the
fallback), one statement does the rest. Measured with the same batches: 282 → ~260 µs a batch of 1,
865 → 703-770 µs a batch of 16 (~95 µs less a batch, ~6 µs a verification).

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

from warehouse.migrate import revision_module

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SHARD_PROBES = 4  # random shards tried without waiting before the fallback
VERIFY_BATCH = "ops.public_verify_batch(jsonb, text)"
# Every statement is a lookup by key: never a sequential scan, hash or merge join, whatever the statistics
# of a small table say; never JIT-compiled (0015 has the measurements). The plan is generic, one per
# connection (0008).
SETTINGS = ("SET search_path = ops, pg_temp SET plan_cache_mode = force_generic_plan SET enable_seqscan = off "
            "SET enable_hashjoin = off SET enable_mergejoin = off SET jit = off")

# {audit_shards}, {scan_limit} and {answer_fields} are filled in by upgrade() from 0007 and 0008
VERIFY_BATCH_FUNCTION = f"""
    CREATE OR REPLACE FUNCTION ops.public_verify_batch(p_scans jsonb, p_route text) RETURNS text
    LANGUAGE plpgsql SECURITY DEFINER {SETTINGS} AS $$
    DECLARE
        h record;
        v_at timestamptz := clock_timestamp();  -- one moment for the batch (one transaction)
        v_canonical bytea[];
        v_hash bytea[];
        v_prev bytea;
        v_shard int;
        v_locked boolean := false;
        v_answers text;
        n int;
    BEGIN
        IF jsonb_typeof(p_scans) IS DISTINCT FROM 'array' THEN
            RAISE EXCEPTION 'public_verify_batch: a JSON array of scans is expected' USING ERRCODE = '22023';
        END IF;
        n := jsonb_array_length(p_scans);
        IF n = 0 THEN
            RETURN '[]';
        END IF;
        -- a free audit chain shard, by key; when the probes find only busy ones, any free one; else wait
        FOR attempt IN 1 .. {SHARD_PROBES} LOOP
            v_shard := floor(random() * {{audit_shards}})::int;
            SELECT shard, seq, hash INTO h FROM ops.audit_chain_head WHERE shard = v_shard FOR UPDATE SKIP LOCKED;
            v_locked := FOUND;
            EXIT WHEN v_locked;
        END LOOP;
        IF NOT v_locked THEN
            SELECT shard, seq, hash INTO h FROM ops.audit_chain_head ORDER BY random() LIMIT 1 FOR UPDATE SKIP LOCKED;
            IF NOT FOUND THEN
                SELECT shard, seq, hash INTO STRICT h FROM ops.audit_chain_head ORDER BY random() LIMIT 1 FOR UPDATE;
            END IF;
        END IF;
        -- each request's audit row: canonical texts set-based, then the chain (each hash covers the previous)
        SELECT array_agg(ops.audit_canonical(h.shard::smallint, h.seq + s.o, v_at, s.request_id, NULL, NULL,
                                             'public', s.client_ip, 'GET', p_route, 'public.verify',
                                             '01' || s.gtin || '21' || s.serial, 200::smallint) ORDER BY s.o)
          INTO v_canonical
          FROM ROWS FROM (jsonb_to_recordset(p_scans) AS (gtin char(14), serial text, request_id text,
                                                           client_ip text))
               WITH ORDINALITY AS s(gtin, serial, request_id, client_ip, o);
        v_prev := h.hash;
        FOR i IN 1 .. n LOOP
            v_prev := sha256(v_prev || v_canonical[i]);
            v_hash[i] := v_prev;
        END LOOP;
        WITH k AS (
            SELECT * FROM ROWS FROM (jsonb_to_recordset(p_scans) AS (gtin char(14), serial text, key_id text,
                                                                      tail text, lat numeric, lon numeric,
                                                                      client text, request_id text,
                                                                      client_ip text))
                   WITH ORDINALITY AS k(gtin, serial, key_id, tail, lat, lon, client, request_id, client_ip, ord)
        ), answer AS (
            SELECT k.ord, k.gtin, k.serial, k.lat, k.lon, k.client, m.gtin IS NOT NULL AS found,
                   -- the server knows the tail it issued: no signature check per request
                   coalesce(m.crypto_tail = k.tail AND m.key_id = k.key_id, false) AS authentic,
                   m.status::text AS status, p.product_group::text AS product_group, p.name_kk, p.name_ru,
                   p.manufacturer, p.importer_bin, coalesce(ip.name_ru, ir.name_ru) AS importer_name,
                   recent.scans AS scans_24h, recent.places AS places_24h
              FROM k
              -- LATERAL … LIMIT 1: an index probe per code by construction, never a join reading the table (0015)
              LEFT JOIN LATERAL (SELECT c.gtin, c.status, c.crypto_tail, c.key_id FROM ops.marking_code c
                                  WHERE c.gtin = k.gtin AND c.serial = k.serial LIMIT 1) m ON true
              -- a group pack's code answers with its product's card (0013)
              LEFT JOIN ops.product_pack pk ON pk.gtin = m.gtin
              LEFT JOIN ops.product p ON p.gtin = coalesce(pk.product_gtin, m.gtin)
              LEFT JOIN ops.participant ip ON ip.bin = p.importer_bin
              LEFT JOIN ops.business_register_entry ir ON ir.bin = p.importer_bin
             CROSS JOIN LATERAL (  -- this scan and the latest ones before it, within 24 hours
                   SELECT count(*) AS scans,
                          count(DISTINCT (round(w.lat), round(w.lon)))
                              FILTER (WHERE w.lat IS NOT NULL AND w.lon IS NOT NULL) AS places
                     FROM ((SELECT c.lat, c.lon FROM ops.code_scan c
                             WHERE c.gtin = k.gtin AND c.serial = k.serial
                               AND c.scanned_at > now() - interval '24 hours'
                             ORDER BY c.scanned_at DESC LIMIT {{scan_limit}})
                           UNION ALL SELECT k.lat, k.lon) w
                 ) recent
        ), scan AS (
            INSERT INTO ops.code_scan (gtin, serial, found, authentic, lat, lon, client)
            SELECT a.gtin, a.serial, a.found, a.authentic, round(a.lat, 2), round(a.lon, 2), a.client
              FROM answer a  -- in no particular order: rows are found by key, not by position
        ), audit AS (
            INSERT INTO ops.audit_log (shard, seq, at, request_id, actor_bin, actor_iin, role, client_ip, method,
                                       route, action, object_id, status, prev_hash, hash)
            SELECT h.shard, h.seq + k.ord, v_at, k.request_id, NULL, NULL, 'public', k.client_ip, 'GET', p_route,
                   'public.verify', '01' || k.gtin || '21' || k.serial, 200,
                   CASE WHEN k.ord = 1 THEN h.hash ELSE v_hash[k.ord - 1] END, v_hash[k.ord]
              FROM k  -- seq and the hashes fix each row's place in the chain; the heap order does not
        ), head AS (
            UPDATE ops.audit_chain_head SET seq = h.seq + n, hash = v_prev WHERE shard = h.shard
        )
        SELECT coalesce(json_agg(json_build_array({{answer_fields}}) ORDER BY a.ord), '[]')::text
          INTO v_answers
          FROM answer a;
        RETURN v_answers;
    END
    $$
"""


def function_sql(template: str = VERIFY_BATCH_FUNCTION) -> str:
    """The function's CREATE statement, filled in with 0007's shards and copy-detection window and 0008's
    answer fields (0017 fills in its own version of the template the same way)."""
    batched = revision_module("0007")
    return template.format(audit_shards=batched.AUDIT_SHARDS, scan_limit=batched.SCAN_WINDOW - 1,
                           answer_fields=", ".join(f"a.{f}" for f in revision_module("0008").ANSWER_FIELDS))


def upgrade() -> None:
    op.execute(function_sql())
    op.execute(f"DROP FUNCTION {revision_module('0007').VERIFY_MANY}")


def downgrade() -> None:
    batched = revision_module("0007")
    revision_module("0015").create_verify_many()
    op.execute(f"REVOKE ALL ON FUNCTION {batched.VERIFY_MANY} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {batched.VERIFY_MANY} TO tanba_api")
    document = revision_module("0008").VERIFY_BATCH_FUNCTION  # its settings: search_path and plan_cache_mode
    op.execute(document.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))
