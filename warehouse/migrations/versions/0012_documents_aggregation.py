"""Signed documents and aggregation (requirements 4, 9, 17): the document register, transport packs (SSCC),
each code's parent, and the append-only history of code events.

A document is stored as received (its exact signed bytes and signature) and processed all-or-nothing by
the worker: RECEIVED → PROCESSING → CHECKED_OK or CHECKED_NOT_OK with its errors (codes and parameters;
the messages are rendered in the reader's language). A code's parent is the parent's identification
code (``00`` + SSCC for a transport pack), so one column serves every level; children are counted by
a partial index that holds aggregated codes only (emission inserts skip it).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT = "current_setting('tanba.bin', true)"
ROLE = "current_setting('tanba.role', true)"
DOCUMENT_STATES = "('RECEIVED', 'PROCESSING', 'CHECKED_OK', 'CHECKED_NOT_OK')"


def _policies(table: str, owner_column: str, api_grants: str) -> None:
    op.execute(f"ALTER TABLE ops.{table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE ops.{table} FORCE ROW LEVEL SECURITY")
    op.execute(f"CREATE POLICY tenant ON ops.{table} FOR ALL TO tanba_api "
               f"USING ({owner_column} = {TENANT} OR {ROLE} = 'operator') "
               f"WITH CHECK ({owner_column} = {TENANT} OR {ROLE} = 'operator')")
    op.execute(f"CREATE POLICY authority_read ON ops.{table} FOR SELECT TO tanba_api USING ({ROLE} = 'authority')")
    op.execute(f"CREATE POLICY analytics_read ON ops.{table} FOR SELECT TO tanba_analytics USING (true)")
    op.execute(f"CREATE POLICY owner_all ON ops.{table} FOR ALL TO tanba_owner USING (true) WITH CHECK (true)")
    op.execute(f"GRANT {api_grants} ON ops.{table} TO tanba_api")
    op.execute(f"GRANT SELECT ON ops.{table} TO tanba_analytics")


def upgrade() -> None:
    op.create_table(
        "document",
        sa.Column("id", pg.UUID(), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("sender_bin", sa.CHAR(12), nullable=False),
        sa.Column("signer_iin", sa.CHAR(12), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=False),  # the exact signed bytes
        sa.Column("signature", sa.LargeBinary(), nullable=False),
        sa.Column("status", sa.String(16), server_default="RECEIVED", nullable=False),
        sa.Column("errors", pg.JSONB(), nullable=True),  # [{code, path, index, params}]
        sa.Column("codes", sa.Integer(), nullable=True),  # codes the document acted on
        sa.Column("attempts", sa.SmallInteger(), server_default="0", nullable=False),  # failed processing runs
        sa.Column("received_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(f"status IN {DOCUMENT_STATES}", name="ck_document_status"),
        sa.PrimaryKeyConstraint("id", name="pk_document"),
        schema="ops",
    )
    op.create_index("ix_document_sender_bin_received_at", "document", ["sender_bin", "received_at"], schema="ops")
    op.create_index("ix_document_waiting", "document", ["received_at"], schema="ops",
                    postgresql_where=sa.text("status IN ('RECEIVED', 'PROCESSING')"))
    _policies("document", "sender_bin", "SELECT, INSERT, UPDATE")

    op.create_table(
        "transport_pack",
        sa.Column("sscc", sa.CHAR(18), nullable=False),
        sa.Column("owner_bin", sa.CHAR(12), nullable=False),
        sa.Column("parent", sa.String(40), nullable=True),
        sa.Column("document_id", pg.UUID(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("sscc ~ '^[0-9]{18}$'", name="ck_transport_pack_sscc_digits"),
        sa.PrimaryKeyConstraint("sscc", name="pk_transport_pack"),
        schema="ops",
    )
    op.create_index("ix_transport_pack_parent", "transport_pack", ["parent"], schema="ops",
                    postgresql_where=sa.text("parent IS NOT NULL"))
    _policies("transport_pack", "owner_bin", "SELECT, INSERT, UPDATE")

    op.add_column("marking_code", sa.Column("parent", sa.String(40), nullable=True), schema="ops")
    op.create_index("ix_marking_code_parent", "marking_code", ["parent"], schema="ops",
                    postgresql_where=sa.text("parent IS NOT NULL"))

    op.create_table(
        "code_event",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("code", sa.String(40), nullable=False),  # identification code: 01…21… or 00 + SSCC
        sa.Column("owner_bin", sa.CHAR(12), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("event", sa.String(24), nullable=False),
        sa.Column("document_id", pg.UUID(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_code_event"),
        schema="ops",
    )
    op.create_index("ix_code_event_code_at", "code_event", ["code", "at"], schema="ops")
    _policies("code_event", "owner_bin", "SELECT, INSERT")
    # History is append-only: no row is changed or removed, not even by the table's owner role.
    op.execute("""
        CREATE FUNCTION ops.code_event_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'code history is append-only' USING ERRCODE = 'insufficient_privilege';
        END
        $$
    """)
    op.execute("CREATE TRIGGER code_event_no_update_delete BEFORE UPDATE OR DELETE ON ops.code_event "
               "FOR EACH ROW EXECUTE FUNCTION ops.code_event_is_append_only()")
    op.execute("CREATE TRIGGER code_event_no_truncate BEFORE TRUNCATE ON ops.code_event "
               "FOR EACH STATEMENT EXECUTE FUNCTION ops.code_event_is_append_only()")
    # What row-level security hides from a sender, and a document must still be refused for: an id that is
    # another participant's document or code order (one id space: a code order is a document), and an SSCC
    # that is another participant's pack. Each answers yes or no, nothing more.
    op.execute("""
        CREATE FUNCTION ops.document_id_in_use(p_id uuid) RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ops, pg_temp AS $$
            SELECT EXISTS (SELECT 1 FROM ops.document WHERE id = p_id)
                OR EXISTS (SELECT 1 FROM ops.code_order WHERE id = p_id)
        $$
    """)
    op.execute("""
        CREATE FUNCTION ops.transport_pack_taken(p_sscc char(18)) RETURNS boolean
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ops, pg_temp AS $$
            SELECT EXISTS (SELECT 1 FROM ops.transport_pack
                            WHERE sscc = p_sscc AND owner_bin IS DISTINCT FROM current_setting('tanba.bin', true))
        $$
    """)
    for function in ("ops.document_id_in_use(uuid)", "ops.transport_pack_taken(char)"):
        op.execute(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {function} TO tanba_api")


def downgrade() -> None:
    op.execute("DROP FUNCTION ops.transport_pack_taken(char)")
    op.execute("DROP FUNCTION ops.document_id_in_use(uuid)")
    op.drop_table("code_event", schema="ops")
    op.execute("DROP FUNCTION ops.code_event_is_append_only()")
    op.drop_index("ix_marking_code_parent", "marking_code", schema="ops")
    op.drop_column("marking_code", "parent", schema="ops")
    op.drop_table("transport_pack", schema="ops")
    op.drop_table("document", schema="ops")
