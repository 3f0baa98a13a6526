"""Verification of the hash-chained audit log: any edited, deleted, inserted or reordered row breaks a chain."""

from collections.abc import Callable
from dataclasses import dataclass, field

import psycopg

RECOMPUTE = """
    SELECT l.shard, l.seq, l.prev_hash, l.hash,
           sha256(l.prev_hash || ops.audit_canonical(l.shard, l.seq, l.at, l.request_id, l.actor_bin, l.actor_iin,
                  l.role, l.client_ip, l.method, l.route, l.action, l.object_id, l.status)) AS recomputed
      FROM ops.audit_log l
     ORDER BY l.shard, l.seq
"""


@dataclass
class AuditVerification:
    rows: int = 0
    shards: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_audit_log(url: str, progress: Callable[[str], None] | None = None) -> AuditVerification:
    """Walk every shard's chain from its genesis hash to its head (``url``: a role that reads the log)."""
    result = AuditVerification()
    with psycopg.connect(url) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        heads = {r[0]: (r[1], bytes(r[2])) for r in conn.execute(
            "SELECT shard, seq, hash FROM ops.audit_chain_head ORDER BY shard")}
        genesis = {r[0]: bytes(r[1]) for r in conn.execute(
            "SELECT s, sha256(convert_to('tanba-audit-' || s, 'UTF8')) FROM generate_series(0, %s) s",
            (max(heads, default=0),))}
        result.shards = len(heads)
        expected: dict[int, tuple[int, bytes]] = {s: (0, genesis[s]) for s in heads}
        with conn.cursor(name="audit_walk") as cursor:
            cursor.itersize = 10_000
            cursor.execute(RECOMPUTE)
            for shard, seq, prev_hash, stored, recomputed in cursor:
                result.rows += 1
                if progress and result.rows % 100_000 == 0:
                    progress(f"  {result.rows} rows checked")
                if shard not in expected:
                    result.problems.append(f"shard {shard} seq {seq}: shard has no chain head")
                    continue
                last_seq, last_hash = expected[shard]
                if seq != last_seq + 1:
                    result.problems.append(f"shard {shard}: rows {last_seq + 1}..{seq - 1} missing before seq {seq}")
                if bytes(prev_hash) != last_hash:
                    result.problems.append(f"shard {shard} seq {seq}: previous hash does not match the chain "
                                           "(row deleted, inserted or reordered)")
                if bytes(recomputed) != bytes(stored):
                    result.problems.append(f"shard {shard} seq {seq}: content does not match its hash (row edited)")
                expected[shard] = (seq, bytes(stored))
        for shard, (head_seq, head_hash) in heads.items():
            last_seq, last_hash = expected[shard]
            if (last_seq, last_hash) != (head_seq, head_hash):
                result.problems.append(f"shard {shard}: chain ends at seq {last_seq} but its head says {head_seq} "
                                       "(rows deleted at the end, or the head altered)")
    return result
