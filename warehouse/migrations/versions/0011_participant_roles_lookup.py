"""Whether a BIN is an active participant of a type, for checks that name another company.

A product card may name its importer and its manufacturer by BIN. Row-level security keeps each
participant to its own participant row, so this one function answers the single fact a check needs
(the active participant's types, or null), without opening the row.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTION = "ops.active_participant_types(char)"


def upgrade() -> None:
    op.execute("""
        CREATE FUNCTION ops.active_participant_types(p_bin char(12)) RETURNS varchar(16)[]
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ops, pg_temp AS $$
            SELECT p.types FROM ops.participant p WHERE p.bin = p_bin AND p.state = 'ACTIVE'
        $$
    """)
    op.execute(f"REVOKE ALL ON FUNCTION {FUNCTION} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {FUNCTION} TO tanba_api")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {FUNCTION}")
