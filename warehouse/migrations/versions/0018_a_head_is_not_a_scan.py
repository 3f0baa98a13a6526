"""A HEAD request for a verification is audited but is not a scan: it shows the caller nothing of the code, so
it must not count towards copy detection (a link-preview bot or anyone sending HEAD 21 times would otherwise
mark a genuine code "may be copied" for a day). ``ops.public_verify_batch`` records a scan row only for the
scans whose method is not HEAD; every scan is still answered and audited as before (0017).

The function is 0017's, with the changes below applied to its template (each must apply exactly once).

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

from warehouse.migrate import changed, revision_module

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANGES = (
    ("SELECT k.ord, k.gtin, k.serial, k.lat, k.lon, k.client, m.gtin IS NOT NULL AS found,",
     "SELECT k.ord, k.gtin, k.serial, k.lat, k.lon, k.client, k.method, m.gtin IS NOT NULL AS found,"),
    ("FROM answer a  -- in no particular order: rows are found by key, not by position",
     "FROM answer a  -- in no particular order: rows are found by key, not by position\n"
     "             WHERE a.method IS DISTINCT FROM 'HEAD'  -- a HEAD shows nothing of the code: no scan (0018)"),
)


def template() -> str:
    return changed(revision_module("0017").template(), CHANGES, "0018", "0017")


def upgrade() -> None:
    op.execute(revision_module("0016").function_sql(template()))


def downgrade() -> None:
    op.execute(revision_module("0016").function_sql(revision_module("0017").template()))
