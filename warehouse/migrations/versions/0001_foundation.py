"""Foundation: schemas ops and dq (and marts for dbt), reference data, business register, participants.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql as pg

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NOW = sa.text("now()")


def upgrade() -> None:
    op.execute("CREATE SCHEMA ops")
    op.execute("CREATE SCHEMA dq")
    op.execute("CREATE SCHEMA marts")

    op.create_table(
        "reference_directory",
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("name_kk", sa.Text(), nullable=False),
        sa.Column("name_ru", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("source_version", sa.Text(), nullable=False),
        sa.Column("content_sha256", sa.CHAR(64), nullable=False),
        sa.Column("loaded_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("code", name="pk_reference_directory"),
        schema="ops",
    )
    op.create_table(
        "reference_entry",
        sa.Column("directory", sa.String(64), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name_kk", sa.Text(), nullable=False),
        sa.Column("name_ru", sa.Text(), nullable=False),
        sa.Column("name_en", sa.Text(), nullable=False),
        sa.Column("attributes", pg.JSONB(), server_default=sa.text("'{}'"), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="ck_reference_entry_validity"),
        sa.ForeignKeyConstraint(
            ["directory"], ["ops.reference_directory.code"],
            name="fk_reference_entry_directory_reference_directory",
        ),
        sa.PrimaryKeyConstraint("directory", "code", "version", name="pk_reference_entry"),
        schema="ops",
    )
    op.create_table(
        "register_import",
        sa.Column("id", pg.UUID(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("file_sha256", sa.CHAR(64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("rows_total", sa.Integer(), nullable=False),
        sa.Column("rows_inserted", sa.Integer(), nullable=False),
        sa.Column("rows_updated", sa.Integer(), nullable=False),
        sa.Column("rows_unchanged", sa.Integer(), nullable=False),
        sa.Column("rows_rejected", sa.Integer(), nullable=False),
        sa.Column("rejections", pg.JSONB(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_register_import"),
        schema="ops",
    )
    op.create_table(
        "business_register_entry",
        sa.Column("bin", sa.CHAR(12), nullable=False),
        sa.Column("name_kk", sa.Text(), nullable=True),
        sa.Column("name_ru", sa.Text(), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("registration_date", sa.Date(), nullable=False),
        sa.Column("kato", sa.String(9), nullable=False),
        sa.Column("import_id", pg.UUID(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.CheckConstraint("bin ~ '^[0-9]{12}$'", name="ck_business_register_entry_bin_digits"),
        sa.ForeignKeyConstraint(
            ["import_id"], ["ops.register_import.id"], name="fk_business_register_entry_import_id_register_import"
        ),
        sa.PrimaryKeyConstraint("bin", name="pk_business_register_entry"),
        schema="ops",
    )
    op.create_table(
        "participant",
        sa.Column("bin", sa.CHAR(12), nullable=False),
        sa.Column("is_individual", sa.Boolean(), nullable=False),
        sa.Column("name_kk", sa.Text(), nullable=True),
        sa.Column("name_ru", sa.Text(), nullable=False),
        sa.Column("types", pg.ARRAY(sa.String(32)), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("kato", sa.String(9), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.CheckConstraint("bin ~ '^[0-9]{12}$'", name="ck_participant_bin_digits"),
        sa.CheckConstraint("cardinality(types) > 0", name="ck_participant_has_type"),
        sa.CheckConstraint(
            "state IN ('PENDING', 'ACTIVE', 'SUSPENDED', 'BLOCKED', 'LIQUIDATED')", name="ck_participant_state"
        ),
        sa.PrimaryKeyConstraint("bin", name="pk_participant"),
        schema="ops",
    )
    op.create_table(
        "validation_run",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("run_id", pg.UUID(), nullable=False),
        sa.Column("suite", sa.Text(), nullable=False),
        sa.Column("asset", sa.Text(), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("evaluated", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("details", pg.JSONB(), nullable=False),
        sa.Column("run_at", sa.DateTime(timezone=True), server_default=NOW, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_validation_run"),
        schema="dq",
    )
    op.create_index("ix_validation_run_run_id", "validation_run", ["run_id"], schema="dq")

    # Rights: the API writes rows but owns nothing; analytics reads ops and writes dq and marts;
    # dashboards read marts and dq only.
    op.execute("GRANT USAGE ON SCHEMA ops TO tanba_api, tanba_analytics")
    op.execute("GRANT SELECT ON ALL TABLES IN SCHEMA ops TO tanba_api, tanba_analytics")
    op.execute("GRANT INSERT, UPDATE ON ops.participant, ops.business_register_entry TO tanba_api")
    op.execute("GRANT INSERT ON ops.register_import TO tanba_api")
    op.execute("GRANT USAGE ON SCHEMA dq TO tanba_analytics, tanba_dashboard")
    op.execute("GRANT SELECT, INSERT ON dq.validation_run TO tanba_analytics")
    op.execute("GRANT SELECT ON dq.validation_run TO tanba_dashboard")
    op.execute("GRANT USAGE ON SEQUENCE dq.validation_run_id_seq TO tanba_analytics")
    op.execute("GRANT USAGE, CREATE ON SCHEMA marts TO tanba_analytics")
    op.execute("GRANT USAGE ON SCHEMA marts TO tanba_dashboard")


def downgrade() -> None:
    op.drop_index("ix_validation_run_run_id", table_name="validation_run", schema="dq")
    op.drop_table("validation_run", schema="dq")
    op.drop_table("participant", schema="ops")
    op.drop_table("business_register_entry", schema="ops")
    op.drop_table("register_import", schema="ops")
    op.drop_table("reference_entry", schema="ops")
    op.drop_table("reference_directory", schema="ops")
    op.execute("DROP SCHEMA marts CASCADE")
    op.execute("DROP SCHEMA dq")
    op.execute("DROP SCHEMA ops")
