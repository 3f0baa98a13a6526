"""A verification is audited as its caller: ``ops.public_verify_batch`` takes each scan's actor (BIN, IIN),
role and HTTP method from the batch document, where 0016 wrote every verification's audit row as an
anonymous public GET. An inspector of an authority who checks a code while signed in is now named in the
audit trail (requirement 23), and a HEAD request is recorded as HEAD.

A scan without these fields (an API process started before this migration, during a rolling restart) is
audited as before: no actor, role ``public``, method ``GET``. Nothing else changes: the same answers, scan
rows and chaining; the canonical text is ``ops.audit_canonical`` of the row as stored, as for every other
audit row, so ``tanba audit verify`` checks these rows unchanged.

The function is 0016's, with the changes below applied to its template (each must apply exactly once).

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-26
"""

from collections.abc import Sequence

from alembic import op

from warehouse.migrate import changed, revision_module

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTOR = "coalesce({0}.role, 'public'), {0}.client_ip, coalesce({0}.method, 'GET')"
CHANGES = (
    # the canonical texts: the scan's actor, role and method
    ("""AS (gtin char(14), serial text, request_id text,
                                                           client_ip text))
               WITH ORDINALITY AS s(gtin, serial, request_id, client_ip, o);""",
     """AS (gtin char(14), serial text, request_id text,
                                                           client_ip text, actor_bin text, actor_iin text,
                                                           role text, method text))
               WITH ORDINALITY AS s(gtin, serial, request_id, client_ip, actor_bin, actor_iin, role, method, o);"""),
    ("s.request_id, NULL, NULL,\n                                             'public', s.client_ip, 'GET', p_route,",
     "s.request_id, s.actor_bin, s.actor_iin,\n                                             "
     + ACTOR.format("s") + ", p_route,"),
    # the rows: the same fields
    ("""client text, request_id text,
                                                                      client_ip text))
                   WITH ORDINALITY AS k(gtin, serial, key_id, tail, lat, lon, client, request_id, client_ip, ord)""",
     """client text, request_id text,
                                                                      client_ip text, actor_bin text,
                                                                      actor_iin text, role text, method text))
                   WITH ORDINALITY AS k(gtin, serial, key_id, tail, lat, lon, client, request_id, client_ip,
                                        actor_bin, actor_iin, role, method, ord)"""),
    ("SELECT h.shard, h.seq + k.ord, v_at, k.request_id, NULL, NULL, 'public', k.client_ip, 'GET', p_route,",
     "SELECT h.shard, h.seq + k.ord, v_at, k.request_id, k.actor_bin, k.actor_iin, " + ACTOR.format("k")
     + ", p_route,"),
)


def template() -> str:
    return changed(revision_module("0016").VERIFY_BATCH_FUNCTION, CHANGES, "0017", "0016")


def upgrade() -> None:
    op.execute(revision_module("0016").function_sql(template()))


def downgrade() -> None:
    op.execute(revision_module("0016").function_sql())
