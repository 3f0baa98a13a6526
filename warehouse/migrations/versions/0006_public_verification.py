"""Public verification: every scan recorded (for copy detection), citizens' violation reports, and one
function that answers a verification and records its scan in one round trip.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VERIFY_SIGNATURE = "ops.public_verify(char, text, text, text, numeric, numeric, text, text, text, text)"

# One round trip for the public: record the scan, answer with what the public may see of the code.
# (Unused since 0007 batches verifications; dropped by 0008, whose downgrade restores it from here.)
VERIFY_FUNCTION = """
        CREATE FUNCTION ops.public_verify(p_gtin char(14), p_serial text, p_key_id text, p_tail text,
                                          p_lat numeric, p_lon numeric, p_client text,
                                          p_request_id text, p_client_ip text, p_route text)
        RETURNS TABLE (found boolean, authentic boolean, status text, product_group text, name_kk text,
                       name_ru text, manufacturer text, importer_bin char(12), importer_name text,
                       scans_24h bigint, places_24h bigint)
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = ops, pg_temp AS $$
        DECLARE
            c record;
            v_found boolean;
            v_authentic boolean;
        BEGIN
            SELECT m.key_id, m.crypto_tail, m.status, p.product_group, p.name_kk, p.name_ru, p.manufacturer,
                   p.importer_bin, coalesce(ip.name_ru, ir.name_ru) AS importer_name
              INTO c
              FROM ops.marking_code m JOIN ops.product p ON p.gtin = m.gtin
              LEFT JOIN ops.participant ip ON ip.bin = p.importer_bin
              LEFT JOIN ops.business_register_entry ir ON ir.bin = p.importer_bin
             WHERE m.gtin = p_gtin AND m.serial = p_serial;
            v_found := FOUND;
            -- the server knows the tail it issued: no signature check per request
            v_authentic := v_found AND p_tail IS NOT NULL AND c.crypto_tail = p_tail AND c.key_id = p_key_id;
            INSERT INTO ops.code_scan (gtin, serial, found, authentic, lat, lon, client)
            VALUES (p_gtin, p_serial, v_found, v_authentic, round(p_lat, 2), round(p_lon, 2), p_client);
            -- the request's audit row, in the same transaction as the scan it records
            PERFORM ops.audit_append(p_request_id, NULL, NULL, 'public', p_client_ip, 'GET', p_route,
                                     'public.verify', '01' || p_gtin || '21' || p_serial, 200);
            RETURN QUERY
              SELECT v_found, v_authentic, c.status::text, c.product_group::text, c.name_kk, c.name_ru,
                     c.manufacturer, c.importer_bin, c.importer_name, count(*),
                     count(DISTINCT (round(s.lat), round(s.lon)))
                FROM ops.code_scan s
               WHERE s.gtin = p_gtin AND s.serial = p_serial AND s.scanned_at > now() - interval '24 hours';
        END
        $$
    """


def upgrade() -> None:
    op.create_table(
        "code_scan",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("gtin", sa.CHAR(14), nullable=False),
        sa.Column("serial", sa.String(20), nullable=False),
        sa.Column("scanned_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("found", sa.Boolean(), nullable=False),
        sa.Column("authentic", sa.Boolean(), nullable=False),
        sa.Column("lat", sa.Numeric(5, 2), nullable=True),
        sa.Column("lon", sa.Numeric(5, 2), nullable=True),
        sa.Column("client", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_code_scan"),
        schema="ops",
    )
    op.create_index("ix_code_scan_gtin_serial_scanned_at", "code_scan", ["gtin", "serial", "scanned_at"],
                    schema="ops")
    op.create_table(
        "violation_report",
        sa.Column("id", pg.UUID(), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("code", sa.Text(), nullable=True),
        sa.Column("gtin", sa.CHAR(14), nullable=True),
        sa.Column("serial", sa.String(20), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("lat", sa.Numeric(8, 5), nullable=True),
        sa.Column("lon", sa.Numeric(8, 5), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("photo", sa.LargeBinary(), nullable=True),
        sa.Column("photo_type", sa.String(16), nullable=True),
        sa.Column("client_ip", sa.Text(), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_violation_report"),
        schema="ops",
    )
    op.create_index("ix_violation_report_reported_at", "violation_report", ["reported_at"], schema="ops")
    op.execute(VERIFY_FUNCTION)
    op.execute(f"REVOKE ALL ON FUNCTION {VERIFY_SIGNATURE} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {VERIFY_SIGNATURE} TO tanba_api")
    op.execute("GRANT INSERT ON ops.code_scan, ops.violation_report TO tanba_api")
    op.execute("GRANT SELECT ON ops.code_scan, ops.violation_report TO tanba_analytics")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {VERIFY_SIGNATURE}")
    op.drop_table("violation_report", schema="ops")
    op.drop_table("code_scan", schema="ops")
