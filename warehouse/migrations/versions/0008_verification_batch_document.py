"""A verification batch travels as one JSON document each way, and its statement keeps one cached plan.

The API sends the batch as one jsonb array of scans and reads one JSON array of answers: decoding and
encoding happen in C on both sides, where ten arrays in and twelve typed columns out cost the API worker
several microseconds per verification in Python. ``ops.public_verify_many`` stays the one place that
answers, records and audits (0007); the new function only unpacks and packs around it.

The single-scan ``ops.public_verify`` of 0006, unused since 0007, is dropped (the downgrade restores it).

Every call of ``ops.public_verify_many`` used to be planned anew (a custom plan for its array arguments,
~0.4 ms): its plans are now generic, planned once per connection.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

from warehouse.migrate import revision_module

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VERIFY_MANY = (
    "ops.public_verify_many(char[], text[], text[], text[], numeric[], numeric[], text[], text[], text[], text)"
)
VERIFY_BATCH = "ops.public_verify_batch(jsonb, text)"
VERIFY_ONE = "ops.public_verify(char, text, text, text, numeric, numeric, text, text, text, text)"  # 0006
# The answer of one verification, in this order (api.domain.codes.verification.Answer reads it by position).
ANSWER_FIELDS = ("found", "authentic", "status", "product_group", "name_kk", "name_ru", "manufacturer",
                 "importer_bin", "importer_name", "scans_24h", "places_24h")


VERIFY_BATCH_FUNCTION = f"""
        CREATE FUNCTION ops.public_verify_batch(p_scans jsonb, p_route text) RETURNS text
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = ops, pg_temp SET plan_cache_mode = force_generic_plan
        AS $$
        DECLARE
            v_gtin char(14)[]; v_serial text[]; v_key_id text[]; v_tail text[]; v_lat numeric[]; v_lon numeric[];
            v_client text[]; v_request_id text[]; v_client_ip text[];
            v_answers text;
        BEGIN
            IF jsonb_typeof(p_scans) IS DISTINCT FROM 'array' THEN
                RAISE EXCEPTION 'public_verify_batch: a JSON array of scans is expected' USING ERRCODE = '22023';
            END IF;
            SELECT array_agg(s.gtin ORDER BY s.ord), array_agg(s.serial ORDER BY s.ord),
                   array_agg(s.key_id ORDER BY s.ord), array_agg(s.tail ORDER BY s.ord),
                   array_agg(s.lat ORDER BY s.ord), array_agg(s.lon ORDER BY s.ord),
                   array_agg(s.client ORDER BY s.ord), array_agg(s.request_id ORDER BY s.ord),
                   array_agg(s.client_ip ORDER BY s.ord)
              INTO v_gtin, v_serial, v_key_id, v_tail, v_lat, v_lon, v_client, v_request_id, v_client_ip
              FROM ROWS FROM (jsonb_to_recordset(p_scans) AS (gtin char(14), serial text, key_id text, tail text,
                                                               lat numeric, lon numeric, client text,
                                                               request_id text, client_ip text))
                   WITH ORDINALITY AS s(gtin, serial, key_id, tail, lat, lon, client, request_id, client_ip, ord);
            SELECT coalesce(json_agg(json_build_array({", ".join(f"v.{f}" for f in ANSWER_FIELDS)})
                                     ORDER BY v.ord), '[]')::text
              INTO v_answers
              FROM ops.public_verify_many(v_gtin, v_serial, v_key_id, v_tail, v_lat, v_lon, v_client, v_request_id,
                                          v_client_ip, p_route) AS v;
            RETURN v_answers;
        END
        $$
"""  # also read by 0016's downgrade


def upgrade() -> None:
    op.execute(f"DROP FUNCTION {VERIFY_ONE}")  # one scan per statement: unused since 0007
    op.execute(f"ALTER FUNCTION {VERIFY_MANY} SET plan_cache_mode = force_generic_plan")
    op.execute(VERIFY_BATCH_FUNCTION)
    op.execute(f"REVOKE ALL ON FUNCTION {VERIFY_BATCH} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {VERIFY_BATCH} TO tanba_api")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {VERIFY_BATCH}")
    op.execute(f"ALTER FUNCTION {VERIFY_MANY} RESET plan_cache_mode")
    single = revision_module("0006")
    op.execute(single.VERIFY_FUNCTION)
    op.execute(f"REVOKE ALL ON FUNCTION {single.VERIFY_SIGNATURE} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {single.VERIFY_SIGNATURE} TO tanba_api")
