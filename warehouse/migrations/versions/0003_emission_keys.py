"""Emission keys: Ed25519 keys that sign the crypto tail of every marking code, private halves stored
encrypted (envelope encryption under the master key), public halves published.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "emission_key",
        sa.Column("key_id", sa.CHAR(4), nullable=False),
        sa.Column("algorithm", sa.String(16), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("wrapped_data_key", sa.LargeBinary(), nullable=False),
        sa.Column("encrypted_private_key", sa.LargeBinary(), nullable=False),
        sa.Column("master_key_id", sa.String(16), nullable=False),
        sa.Column("valid_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("valid_to", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("algorithm = 'Ed25519'", name="ck_emission_key_algorithm"),
        sa.CheckConstraint("length(public_key) = 32", name="ck_emission_key_public_key_length"),
        sa.CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="ck_emission_key_validity"),
        sa.PrimaryKeyConstraint("key_id", name="pk_emission_key"),
        schema="ops",
    )
    # The API signs codes (it reads the wrapped keys); only the owner (the operator's `tanba keys`) adds keys.
    op.execute("GRANT SELECT ON ops.emission_key TO tanba_api")
    op.execute("GRANT SELECT (key_id, algorithm, public_key, valid_from, valid_to, created_at) "
               "ON ops.emission_key TO tanba_analytics")


def downgrade() -> None:
    op.drop_table("emission_key", schema="ops")
