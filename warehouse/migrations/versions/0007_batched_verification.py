"""Batched public verification: the verifications that arrive together in one API worker are answered,
recorded (one scan row each) and audited (one audit row each, chained on one shard) in one statement.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from warehouse.migrate import revision_module

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AUDIT_SHARDS = 64
SCAN_WINDOW = 100  # the latest scans of a code that copy detection looks at (api: SCAN_WINDOW)
APPEND_MANY = "ops.audit_append_many(text[], text[], text[], text[], text[], text[], text[], text[], text[], int[])"
VERIFY_MANY = (
    "ops.public_verify_many(char[], text[], text[], text[], numeric[], numeric[], text[], text[], text[], text)"
)


VERIFY_MANY_FUNCTION = f"""
        CREATE FUNCTION ops.public_verify_many(p_gtin char(14)[], p_serial text[], p_key_id text[], p_tail text[],
                                               p_lat numeric[], p_lon numeric[], p_client text[],
                                               p_request_id text[], p_client_ip text[], p_route text)
        RETURNS TABLE (ord bigint, found boolean, authentic boolean, status text, product_group text,
                       name_kk text, name_ru text, manufacturer text, importer_bin char(12), importer_name text,
                       scans_24h bigint, places_24h bigint)
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = ops, pg_temp AS $$
        DECLARE
            n int := coalesce(cardinality(p_gtin), 0);
        BEGIN
            -- each request's audit row, in the same transaction as the scan it records
            PERFORM ops.audit_append_many(
                p_request_id, array_fill(NULL::text, ARRAY[n]), array_fill(NULL::text, ARRAY[n]),
                array_fill('public'::text, ARRAY[n]), p_client_ip, array_fill('GET'::text, ARRAY[n]),
                array_fill(p_route, ARRAY[n]), array_fill('public.verify'::text, ARRAY[n]),
                ARRAY(SELECT '01' || g || '21' || s FROM unnest(p_gtin, p_serial) WITH ORDINALITY AS x(g, s, o)
                      ORDER BY o),
                array_fill(200, ARRAY[n]));
            RETURN QUERY
              WITH answer AS (
                SELECT k.ord, k.gtin, k.serial, k.lat, k.lon, k.client, m.gtin IS NOT NULL AS found,
                       -- the server knows the tail it issued: no signature check per request
                       coalesce(m.crypto_tail = k.tail AND m.key_id = k.key_id, false) AS authentic,
                       m.status::text AS status, p.product_group::text AS product_group, p.name_kk, p.name_ru,
                       p.manufacturer, p.importer_bin, coalesce(ip.name_ru, ir.name_ru) AS importer_name,
                       recent.scans, recent.places
                  FROM unnest(p_gtin, p_serial, p_key_id, p_tail, p_lat, p_lon, p_client)
                       WITH ORDINALITY AS k(gtin, serial, key_id, tail, lat, lon, client, ord)
                  LEFT JOIN ops.marking_code m ON m.gtin = k.gtin AND m.serial = k.serial
                  LEFT JOIN ops.product p ON p.gtin = m.gtin
                  LEFT JOIN ops.participant ip ON ip.bin = p.importer_bin
                  LEFT JOIN ops.business_register_entry ir ON ir.bin = p.importer_bin
                 CROSS JOIN LATERAL (  -- this scan and the latest ones before it
                       SELECT count(*) AS scans,
                              count(DISTINCT (round(w.lat), round(w.lon)))
                                  FILTER (WHERE w.lat IS NOT NULL AND w.lon IS NOT NULL) AS places
                         FROM ((SELECT c.lat, c.lon FROM ops.code_scan c
                                 WHERE c.gtin = k.gtin AND c.serial = k.serial
                                   AND c.scanned_at > now() - interval '24 hours'
                                 ORDER BY c.scanned_at DESC LIMIT {SCAN_WINDOW - 1})
                               UNION ALL SELECT k.lat, k.lon) w
                     ) recent
              ), scan AS (
                INSERT INTO ops.code_scan (gtin, serial, found, authentic, lat, lon, client)
                SELECT a.gtin, a.serial, a.found, a.authentic, round(a.lat, 2), round(a.lon, 2), a.client
                  FROM answer a ORDER BY a.ord
              )
              SELECT a.ord, a.found, a.authentic, a.status, a.product_group, a.name_kk, a.name_ru, a.manufacturer,
                     a.importer_bin, a.importer_name, a.scans, a.places
                FROM answer a ORDER BY a.ord;
        END
        $$
"""  # also read by later revisions (0013 joins the pack GTIN's product)


def upgrade() -> None:
    # The public's audit rows (most of them) have no actor: keep them out of the per-participant index; the
    # time index becomes BRIN (the log is appended in time order), a fraction of a btree's upkeep.
    op.drop_index("ix_audit_log_actor_bin_at", "audit_log", schema="ops")
    op.create_index("ix_audit_log_actor_bin_at", "audit_log", ["actor_bin", "at"], schema="ops",
                    postgresql_where=sa.text("actor_bin IS NOT NULL"))
    op.drop_index("ix_audit_log_at", "audit_log", schema="ops")
    op.create_index("ix_audit_log_at", "audit_log", ["at"], schema="ops", postgresql_using="brin")
    # Many audit rows under one shard lock, chained in order: the batch's rows are consecutive in one shard,
    # exactly as if ops.audit_append had been called for each while holding that shard.
    op.execute(f"""
        CREATE FUNCTION ops.audit_append_many(
            p_request_id text[], p_actor_bin text[], p_actor_iin text[], p_role text[], p_client_ip text[],
            p_method text[], p_route text[], p_action text[], p_object_id text[], p_status int[]
        ) RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = ops, pg_temp AS $$
        DECLARE
            h record;
            v_at timestamptz := clock_timestamp();  -- one moment for the batch (one transaction)
            v_canonical bytea[];
            v_hash bytea[];
            v_prev bytea;
            v_shard int;
            n int := coalesce(cardinality(p_request_id), 0);
        BEGIN
            IF n = 0 THEN
                RETURN 0;
            END IF;
            SELECT shard, seq, hash INTO h FROM ops.audit_chain_head
             ORDER BY random() LIMIT 1 FOR UPDATE SKIP LOCKED;
            IF NOT FOUND THEN  -- every shard is busy: queue on one (chosen once, not per row)
                v_shard := floor(random() * {AUDIT_SHARDS})::int;
                SELECT shard, seq, hash INTO h FROM ops.audit_chain_head WHERE shard = v_shard FOR UPDATE;
            END IF;
            -- canonical texts set-based, then the chain (each hash covers the previous one), then one insert
            v_canonical := ARRAY(
                SELECT ops.audit_canonical(h.shard::smallint, h.seq + o, v_at, r, ab, ai, ro, ip, me, rt, ac, ob,
                                           st::smallint)
                  FROM unnest(p_request_id, p_actor_bin, p_actor_iin, p_role, p_client_ip, p_method, p_route,
                              p_action, p_object_id, p_status) WITH ORDINALITY AS x(r, ab, ai, ro, ip, me, rt, ac, ob,
                                                                                  st, o)
                 ORDER BY o);
            v_prev := h.hash;
            FOR i IN 1 .. n LOOP
                v_prev := sha256(v_prev || v_canonical[i]);
                v_hash[i] := v_prev;
            END LOOP;
            INSERT INTO ops.audit_log (shard, seq, at, request_id, actor_bin, actor_iin, role, client_ip, method,
                                       route, action, object_id, status, prev_hash, hash)
            SELECT h.shard, h.seq + o, v_at, r, ab, ai, ro, ip, me, rt, ac, ob, st,
                   CASE WHEN o = 1 THEN h.hash ELSE v_hash[o - 1] END, v_hash[o]
              FROM unnest(p_request_id, p_actor_bin, p_actor_iin, p_role, p_client_ip, p_method, p_route, p_action,
                          p_object_id, p_status) WITH ORDINALITY AS x(r, ab, ai, ro, ip, me, rt, ac, ob, st, o)
             ORDER BY o;
            UPDATE ops.audit_chain_head SET seq = h.seq + n, hash = v_prev WHERE shard = h.shard;
            RETURN h.seq + n;
        END
        $$
    """)
    op.execute(f"REVOKE ALL ON FUNCTION {APPEND_MANY} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {APPEND_MANY} TO tanba_api")
    # One chain-append mechanism: a single row is a batch of one.
    op.execute("""
        CREATE OR REPLACE FUNCTION ops.audit_append(
            p_request_id text, p_actor_bin text, p_actor_iin text, p_role text, p_client_ip text,
            p_method text, p_route text, p_action text, p_object_id text, p_status int
        ) RETURNS bigint LANGUAGE sql SECURITY DEFINER SET search_path = ops, pg_temp AS $$
            SELECT ops.audit_append_many(ARRAY[p_request_id], ARRAY[p_actor_bin], ARRAY[p_actor_iin], ARRAY[p_role],
                                         ARRAY[p_client_ip], ARRAY[p_method], ARRAY[p_route], ARRAY[p_action],
                                         ARRAY[p_object_id], ARRAY[p_status])
        $$
    """)
    # Arrays of one request each, same length; answers come back with their request's position (ord).
    # The gtin array is char(14)[] so the join uses the primary key (a text comparison would not).
    # Copy signals look at a code's latest scans in 24 h only (at most SCAN_WINDOW rows, newest first by
    # index), so a code scanned a million times costs no more to verify than one scanned a hundred times.
    op.execute(VERIFY_MANY_FUNCTION)
    op.execute(f"REVOKE ALL ON FUNCTION {VERIFY_MANY} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {VERIFY_MANY} TO tanba_api")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {VERIFY_MANY}")
    restored = revision_module("0002").AUDIT_APPEND_FUNCTION  # the per-row body of 0002, stand-alone again
    op.execute(restored.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1))
    op.execute(f"DROP FUNCTION {APPEND_MANY}")
    op.drop_index("ix_audit_log_at", "audit_log", schema="ops")
    op.create_index("ix_audit_log_at", "audit_log", ["at"], schema="ops")
    op.drop_index("ix_audit_log_actor_bin_at", "audit_log", schema="ops")
    op.create_index("ix_audit_log_actor_bin_at", "audit_log", ["actor_bin", "at"], schema="ops")
