"""Marking codes and the orders that emit them. (gtin, serial) is unique forever: a code is never issued
twice, not even after it is written off (rows are never deleted).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT = "current_setting('tanba.bin', true)"
ROLE = "current_setting('tanba.role', true)"


def upgrade() -> None:
    op.create_table(
        "code_order",
        sa.Column("id", pg.UUID(), nullable=False),
        sa.Column("owner_bin", sa.CHAR(12), nullable=False),
        sa.Column("gtin", sa.CHAR(14), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("produced", sa.Integer(), server_default="0", nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("key_id", sa.CHAR(4), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("document", sa.LargeBinary(), nullable=True),
        sa.Column("signature", sa.LargeBinary(), nullable=True),
        sa.Column("signer_iin", sa.CHAR(12), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("quantity BETWEEN 1 AND 1000000", name="ck_code_order_quantity"),
        sa.CheckConstraint("status IN ('RECEIVED', 'PROCESSING', 'DONE', 'FAILED')", name="ck_code_order_status"),
        sa.ForeignKeyConstraint(["gtin"], ["ops.product.gtin"], name="fk_code_order_gtin_product"),
        sa.PrimaryKeyConstraint("id", name="pk_code_order"),
        schema="ops",
    )
    op.create_index("ix_code_order_owner_bin", "code_order", ["owner_bin"], schema="ops")
    op.create_index("ix_code_order_status", "code_order", ["status"], schema="ops")
    op.create_table(
        "marking_code",
        sa.Column("gtin", sa.CHAR(14), nullable=False),
        sa.Column("serial", sa.String(20), nullable=False),
        sa.Column("order_id", pg.UUID(), nullable=False),
        sa.Column("owner_bin", sa.CHAR(12), nullable=False),
        sa.Column("key_id", sa.CHAR(4), nullable=False),
        sa.Column("crypto_tail", sa.CHAR(88), nullable=False),
        sa.Column("status", sa.String(16), server_default="EMITTED", nullable=False),
        sa.Column("emitted_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint(
            "status IN ('EMITTED', 'APPLIED', 'INTRODUCED', 'RETIRED', 'WRITTEN_OFF')", name="ck_marking_code_status"
        ),
        sa.PrimaryKeyConstraint("gtin", "serial", name="pk_marking_code"),
        schema="ops",
    )
    op.create_index("ix_marking_code_order_id", "marking_code", ["order_id"], schema="ops")
    # Codes are never deleted: uniqueness of (gtin, serial) must hold forever.
    op.execute("""
        CREATE FUNCTION ops.marking_code_is_never_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'marking codes are never deleted (a code is never issued twice)'
                USING ERRCODE = 'insufficient_privilege';
        END
        $$
    """)
    op.execute("CREATE TRIGGER marking_code_no_delete BEFORE DELETE ON ops.marking_code "
               "FOR EACH ROW EXECUTE FUNCTION ops.marking_code_is_never_deleted()")
    op.execute("CREATE TRIGGER marking_code_no_truncate BEFORE TRUNCATE ON ops.marking_code "
               "FOR EACH STATEMENT EXECUTE FUNCTION ops.marking_code_is_never_deleted()")
    for table in ("code_order", "marking_code"):
        op.execute(f"ALTER TABLE ops.{table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE ops.{table} FORCE ROW LEVEL SECURITY")
        op.execute(
            f"CREATE POLICY tenant ON ops.{table} FOR ALL TO tanba_api "
            f"USING (owner_bin = {TENANT} OR {ROLE} = 'operator') "
            f"WITH CHECK (owner_bin = {TENANT} OR {ROLE} = 'operator')"
        )
        op.execute(f"CREATE POLICY authority_read ON ops.{table} FOR SELECT TO tanba_api USING ({ROLE} = 'authority')")
        op.execute(f"CREATE POLICY analytics_read ON ops.{table} FOR SELECT TO tanba_analytics USING (true)")
        op.execute(f"CREATE POLICY owner_all ON ops.{table} FOR ALL TO tanba_owner USING (true) WITH CHECK (true)")
        op.execute(f"GRANT SELECT, INSERT, UPDATE ON ops.{table} TO tanba_api")
        op.execute(f"GRANT SELECT ON ops.{table} TO tanba_analytics")


def downgrade() -> None:
    op.drop_table("marking_code", schema="ops")
    op.drop_table("code_order", schema="ops")
    op.execute("DROP FUNCTION ops.marking_code_is_never_deleted()")
