"""A citizen's app may retry a violation report: with its own id, the retry is answered, not stored twice.

The API role may add reports but not read them (authorities read them in the marts), so whether an id is
taken, and by the same report, is asked through one function that tells only the digest and the time.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

RECEIPT = "ops.violation_report_receipt(uuid)"


def upgrade() -> None:
    # SHA-256 of the report as received (its canonical JSON); null for reports from before this revision
    op.add_column("violation_report", sa.Column("request_sha256", sa.LargeBinary()), schema="ops")
    op.execute(f"""
        CREATE FUNCTION {RECEIPT.replace("(uuid)", "(p_id uuid)")}
        RETURNS TABLE (request_sha256 bytea, reported_at timestamptz)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = ops, pg_temp AS $$
            SELECT r.request_sha256, r.reported_at FROM ops.violation_report r WHERE r.id = p_id
        $$
    """)
    op.execute(f"REVOKE ALL ON FUNCTION {RECEIPT} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {RECEIPT} TO tanba_api")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION {RECEIPT}")
    op.drop_column("violation_report", "request_sha256", schema="ops")
