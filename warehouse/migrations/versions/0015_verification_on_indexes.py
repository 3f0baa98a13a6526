"""Verification keeps to its indexes whatever the statistics say, and is never JIT-compiled:
``ops.public_verify_many`` runs with ``enable_seqscan = off``, ``enable_hashjoin = off``,
``enable_mergejoin = off`` and ``jit = off``.

Its plan is generic and kept per connection (0008: ``plan_cache_mode = force_generic_plan``). Planned while
``ops.code_scan`` (or ``ops.marking_code``) was small and freshly analysed — a new deployment, or the
benchmark's emptied scan table — the plan read the table from end to end for every code, and kept doing so
while the table grew by a hundred thousand scans a minute, until the next analysis: verification fell from
~10,000 to ~1,000 requests a second, with PostgreSQL spending ~1.1 ms a verification. Every statement of the
function is a lookup by key, for which a sequential scan is never the right plan at any table size that
matters. Nor is a hash or merge join, nor a nested loop the wrong way round: with sequential scans off, a
small analysed ``ops.marking_code`` was still read through its whole primary key index (no index condition),
hash-joined or as the outer side of a loop, the same end-to-end read under another name. So the code is now
looked up in a LATERAL subquery with LIMIT 1 (the key names one row), which the planner cannot flatten
into a join: it is an index probe per code, by construction.

Measured: with ``ops.code_scan`` analysed at 30 rows, 2,649 → 1,540 → 1,201 → 976 requests a second in four
5-second runs as the table grew to 32,000 scans; with this migration, 8,695 / 8,602 / 8,972 / 8,676 as it grew
to 176,000.

``jit = off`` goes with it: a plan with a disabled node costs over ``jit_above_cost``, and LLVM then compiled
the statement for every batch (~1 ms each; seen at 1,250 requests a second with ``llvm::`` on top of
PostgreSQL's profile, before this setting was added). A statement of a few index probes gains nothing
from JIT. The audit append that verification calls chooses its chain shard by reading all 64 heads, a
sequential scan by nature: ``ops.audit_append_many`` sets ``enable_seqscan = on`` for itself.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

from warehouse.migrate import revision_module

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


CODE_JOIN = "LEFT JOIN ops.marking_code m ON m.gtin = k.gtin AND m.serial = k.serial"
CODE_PROBE = ("LEFT JOIN LATERAL (SELECT c.gtin, c.status, c.crypto_tail, c.key_id FROM ops.marking_code c "
              "WHERE c.gtin = k.gtin AND c.serial = k.serial LIMIT 1) m ON true")


def _verify_many_of_0013() -> str:
    body = revision_module("0007").VERIFY_MANY_FUNCTION
    group_packs = revision_module("0013")
    return body.replace(group_packs.PRODUCT_OF_CODE, group_packs.PRODUCT_OF_CODE_OR_PACK)


def create_verify_many() -> None:
    """``ops.public_verify_many`` as this revision leaves it (also 0016's downgrade, which re-creates it)."""
    batched = revision_module("0007")
    body = _verify_many_of_0013()
    assert CODE_JOIN in body
    revision_module("0013")._verify_many(body.replace(CODE_JOIN, CODE_PROBE))  # replaced, plan cache mode kept
    for setting in ("enable_seqscan", "enable_hashjoin", "enable_mergejoin", "jit"):
        op.execute(f"ALTER FUNCTION {batched.VERIFY_MANY} SET {setting} = off")


def upgrade() -> None:
    batched = revision_module("0007")
    create_verify_many()
    op.execute(f"ALTER FUNCTION {batched.APPEND_MANY} SET enable_seqscan = on")


def downgrade() -> None:
    batched = revision_module("0007")
    op.execute(f"ALTER FUNCTION {batched.APPEND_MANY} RESET enable_seqscan")
    for setting in ("jit", "enable_mergejoin", "enable_hashjoin", "enable_seqscan"):
        op.execute(f"ALTER FUNCTION {batched.VERIFY_MANY} RESET {setting}")
    revision_module("0013")._verify_many(_verify_many_of_0013())
