"""Processing of received documents, all-or-nothing (run by the worker, ``tanba worker``).

Each document is processed in one transaction under its sender's tenant, so another participant's codes
are invisible (and reported as not found) exactly as in the API. The codes it names are locked first, the
rules are checked (status moves, ownership, aggregation: one parent, no cycles, one status per pack), and
only a document with no fault changes anything: statuses, parents and history rows, then CHECKED_OK. A
document with faults changes nothing but its own row: CHECKED_NOT_OK with the errors.
"""

import logging
import uuid
from collections.abc import Callable

import psycopg
from psycopg.types.json import Jsonb

from api.domain.documents.reading import (
    Aggregation,
    Application,
    Code,
    Disaggregation,
    Document,
    Reaggregation,
    named_codes,
    read_document,
)
from api.domain.documents.services import stored_errors
from api.faults import Fault, InvalidInput
from warehouse.database import LockSpace

log = logging.getLogger("tanba.documents")
AGGREGATABLE = ("APPLIED", "INTRODUCED")  # a unit is packed once it carries its code
Processor = Callable[[psycopg.Connection, uuid.UUID, str, Document], tuple[list[Fault], int]]


def waiting_documents(conn: psycopg.Connection, limit: int = 100) -> list[uuid.UUID]:
    """Documents not yet processed, oldest first (``conn`` acts as operator)."""
    return [row[0] for row in conn.execute(
        "SELECT id FROM ops.document WHERE status IN ('RECEIVED', 'PROCESSING') ORDER BY received_at LIMIT %s",
        (limit,))]


def process_document(conn: psycopg.Connection, document_id: uuid.UUID) -> str | None:
    """Process one document; returns its new status, or None when another worker has it or it is done."""
    with conn.transaction():
        row = conn.execute(
            "SELECT type, sender_bin, body FROM ops.document WHERE id = %s AND status IN ('RECEIVED', 'PROCESSING') "
            "FOR UPDATE SKIP LOCKED", (document_id,)).fetchone()
        if row is None:
            return None
        document_type, sender, body = row
        # one sender's documents one at a time, oldest first, whatever the number of workers: an AGGREGATION
        # sent after an APPLICATION sees its codes applied
        held = conn.execute("SELECT pg_try_advisory_xact_lock(%s, hashtext(%s))",
                            (int(LockSpace.DOCUMENT_SENDER), sender)).fetchone()
        oldest = conn.execute("SELECT id FROM ops.document WHERE sender_bin = %s AND status IN ('RECEIVED', "
                              "'PROCESSING') ORDER BY received_at, id LIMIT 1", (sender,)).fetchone()
        if not (held and held[0]) or oldest is None or oldest[0] != document_id:
            return None  # another worker has this sender; or an older document of the sender goes first
        conn.execute("SELECT set_config('tanba.bin', %s, true), set_config('tanba.role', 'participant', true)",
                     (sender,))
        faults: list[Fault] = []
        count = 0
        try:
            document = read_document(document_type, bytes(body))
        except InvalidInput as exc:  # the rules changed since it was received
            faults = list(exc.faults)
        else:
            try:
                with conn.transaction():  # a savepoint: a refusal found while applying undoes every change
                    faults = _tail_faults(conn, document)
                    if not faults:
                        faults, count = PROCESSORS[type(document)](conn, document_id, sender, document)
                    if faults:
                        raise _Refused
            except _Refused:
                pass
        status = "CHECKED_NOT_OK" if faults else "CHECKED_OK"
        conn.execute("UPDATE ops.document SET status = %s, errors = %s, codes = %s, processed_at = now() "
                     "WHERE id = %s", (status, Jsonb(stored_errors(faults)) if faults else None,
                                       None if faults else count, document_id))
        log.info("document %s (%s): %s, %d codes, %d errors", document_id, document_type, status, count, len(faults))
        return status


MAX_ATTEMPTS = 3  # processing runs that fail on our side before the document is given up as not processed


def record_failure(conn: psycopg.Connection, document_id: uuid.UUID) -> str | None:
    """A processing run failed on our side (not a refusal: an error of the system). The document stays
    RECEIVED and is tried again; after MAX_ATTEMPTS it is CHECKED_NOT_OK with ``document.processing_failed``,
    so that it no longer holds back its sender's later documents. Returns the new status when it changed."""
    with conn.transaction():
        row = conn.execute("UPDATE ops.document SET attempts = attempts + 1 WHERE id = %s AND status IN "
                           "('RECEIVED', 'PROCESSING') RETURNING attempts", (document_id,)).fetchone()
        if row is None or row[0] < MAX_ATTEMPTS:
            return None
        fault = Fault("document.processing_failed", "document", params={"attempts": row[0]})
        conn.execute("UPDATE ops.document SET status = 'CHECKED_NOT_OK', errors = %s, processed_at = now() "
                     "WHERE id = %s", (Jsonb(stored_errors([fault])), document_id))
        log.error("document %s given up after %d failed processing runs", document_id, row[0])
        return "CHECKED_NOT_OK"


def _tail_faults(conn: psycopg.Connection, document: Document) -> list[Fault]:
    """A code sent with its crypto tail must carry the tail that was issued with it (documents need no tail;
    one that is not the issued one is a copy's or a misread, and is refused, not ignored)."""
    tailed = [(path, index, code) for path, index, code in named_codes(document)
              if code.tail is not None or code.key_id is not None]
    if not tailed:
        return []
    issued = {f"01{g}21{s}": (k, t) for g, s, k, t in conn.execute(
        "SELECT m.gtin, m.serial, m.key_id, m.crypto_tail FROM ops.marking_code m "
        "JOIN unnest(%s::char(14)[], %s::text[]) AS k(gtin, serial) ON m.gtin = k.gtin AND m.serial = k.serial",
        ([c.gtin for _, _, c in tailed], [c.serial for _, _, c in tailed]))}
    return [Fault("code.tail_mismatch", path, index, params={"code": code.key})
            for path, index, code in tailed if code.key in issued and issued[code.key] != (code.key_id, code.tail)]


class _Refused(Exception):
    """Raised inside the savepoint so that a refused document leaves nothing behind."""


def _units(conn: psycopg.Connection, codes: list[Code]) -> dict[str, tuple[str, str | None]]:
    """The sender's units among ``codes``, locked: identification code → (status, parent)."""
    units = [c for c in codes if c.gtin is not None]
    if not units:
        return {}
    rows = conn.execute(
        "SELECT '01' || m.gtin || '21' || m.serial, m.status, m.parent FROM ops.marking_code m "
        "JOIN unnest(%s::char(14)[], %s::text[]) AS k(gtin, serial) ON m.gtin = k.gtin AND m.serial = k.serial "
        "ORDER BY m.gtin, m.serial FOR UPDATE OF m",
        ([c.gtin for c in units], [c.serial for c in units])).fetchall()
    return {key: (status, parent) for key, status, parent in rows}


def _packs(conn: psycopg.Connection, codes: list[Code]) -> dict[str, str | None]:
    """The sender's transport packs among ``codes``, locked: identification code → parent."""
    ssccs = [c.sscc for c in codes if c.sscc is not None]
    if not ssccs:
        return {}
    rows = conn.execute("SELECT '00' || sscc, parent FROM ops.transport_pack WHERE sscc = ANY(%s) ORDER BY sscc "
                        "FOR UPDATE", (ssccs,)).fetchall()
    return dict(rows)


def _events(conn: psycopg.Connection, sender: str, document_id: uuid.UUID, event: str, codes: list[str],
            detail: str | None) -> None:
    """History rows; ``detail`` holds no words (a pack's code, counts), so each reader gets it in its language
    (api.domain.codes.services.history_message)."""
    conn.execute("INSERT INTO ops.code_event (code, owner_bin, event, document_id, detail) "
                 "SELECT c, %s, %s, %s, %s FROM unnest(%s::text[]) AS c", (sender, event, document_id, detail, codes))


def _apply_application(conn: psycopg.Connection, document_id: uuid.UUID, sender: str,
                       document: Document) -> tuple[list[Fault], int]:
    assert isinstance(document, Application)
    found = _units(conn, document.codes)
    faults: list[Fault] = []
    for index, code in enumerate(document.codes):
        if code.key not in found:
            faults.append(Fault("code.not_found", "document.codes", index, params={"code": code.key}))
        elif found[code.key][0] != "EMITTED":
            faults.append(Fault("status.move_refused", "document.codes", index,
                                params={"code": code.key, "from": found[code.key][0], "to": "APPLIED"}))
    if faults:
        return faults, 0
    conn.execute(
        "UPDATE ops.marking_code m SET status = 'APPLIED' FROM unnest(%s::char(14)[], %s::text[]) AS k(gtin, serial) "
        "WHERE m.gtin = k.gtin AND m.serial = k.serial",
        ([c.gtin for c in document.codes], [c.serial for c in document.codes]))
    _events(conn, sender, document_id, "APPLIED", [c.key for c in document.codes], None)
    return [], len(document.codes)


def _ancestors(conn: psycopg.Connection, key: str) -> set[str]:
    """The packs that hold ``key``, up to the outermost (the sender's only: a pack is its owner's)."""
    rows = conn.execute("""
        WITH RECURSIVE up(code, depth) AS (
            SELECT parent, 1 FROM ops.transport_pack WHERE sscc = %s AND parent IS NOT NULL
            UNION ALL
            SELECT t.parent, up.depth + 1 FROM up JOIN ops.transport_pack t ON t.sscc = substr(up.code, 3)
             WHERE t.parent IS NOT NULL AND up.code LIKE '00%%' AND up.depth < 64)
        SELECT code FROM up""", (key[2:],)).fetchall()
    return {r[0] for r in rows}


def _child_faults(conn: psycopg.Connection, document: Aggregation, above: set[str],
                  pack_status: str | None = None, path: str = "document.children") -> list[Fault]:
    """The children must be the sender's, free (no parent), not above the parent, and of one packable status
    (a group pack's own, when the parent is one)."""
    units, packs = _units(conn, document.children), _packs(conn, document.children)
    faults: list[Fault] = []
    statuses: dict[str, int] = {pack_status: -1} if pack_status in AGGREGATABLE else {}
    for index, child in enumerate(document.children):
        if child.key not in units and child.key not in packs:
            faults.append(Fault("code.not_found", path, index, params={"code": child.key}))
            continue
        held_by = units[child.key][1] if child.key in units else packs[child.key]
        if held_by is not None:
            faults.append(Fault("aggregation.child_aggregated", path, index,
                                params={"code": child.key, "parent": held_by}))
        if child.key in above:
            faults.append(Fault("aggregation.cycle", path, index,
                                params={"code": child.key, "parent": document.parent.key}))
        if child.key in units:
            status = units[child.key][0]
            if status not in AGGREGATABLE:
                faults.append(Fault("aggregation.child_status", path, index,
                                    params={"code": child.key, "status": status}))
            else:
                statuses.setdefault(status, index)
    if len(statuses) > 1:
        faults.append(Fault("aggregation.mixed_status", path, max(statuses.values()),
                            params={"statuses": ", ".join(sorted(statuses))}))
    return faults


def _not_empty(conn: psycopg.Connection, parent: Code) -> list[Fault]:
    """A pack that holds codes is not filled again (disaggregate it first)."""
    if held := _held(conn, parent.key):
        return [Fault("aggregation.parent_not_empty", "document.parent",
                      params={"code": parent.key, "count": len(held)})]
    return []


def _group_pack_faults(conn: psycopg.Connection, document: Aggregation, remaining: int | None = None,
                       path: str = "document.children") -> list[Fault]:
    """A group pack (КИГУ) is one of the sender's codes of a group pack GTIN, applied or in circulation, and
    holds units of its product only, at most as many as the pack's card says, all in the pack's status.
    ``remaining``: the units a REAGGREGATION leaves in it (None: a new aggregation, the pack must be empty)."""
    parent = document.parent
    found = _units(conn, [parent])
    if parent.key not in found:
        return [Fault("code.not_found", "document.parent", params={"code": parent.key})]
    pack = _group_pack(conn, parent)
    if pack is None:
        return [Fault("aggregation.not_a_pack", "document.parent", params={"code": parent.key})]
    product_gtin, units = pack
    status = found[parent.key][0]
    faults = _not_empty(conn, parent) if remaining is None else []
    if status not in AGGREGATABLE:
        faults.append(Fault("aggregation.pack_status", "document.parent", params={"code": parent.key,
                                                                                  "status": status}))
    for index, child in enumerate(document.children):
        if (child.gtin is not None and child.gtin != product_gtin) or child.sscc is not None:
            faults.append(Fault("aggregation.child_product", path, index,
                                params={"code": child.key, "gtin": product_gtin}))
    count = len(document.children) + (remaining or 0)
    if count > units:
        faults.append(Fault("aggregation.pack_overfilled", path,
                            params={"code": parent.key, "count": count, "units": units}))
    return faults + _child_faults(conn, document, set(), status, path)


def _group_pack(conn: psycopg.Connection, code: Code) -> tuple[str, int] | None:
    """(product GTIN, units) when ``code`` is a group pack's code."""
    row = conn.execute("SELECT product_gtin, units FROM ops.product_pack WHERE gtin = %s AND level = 'GROUP_PACK'",
                       (code.gtin,)).fetchone()
    return (row[0], row[1]) if row else None


def _apply_aggregation(conn: psycopg.Connection, document_id: uuid.UUID, sender: str,
                       document: Document) -> tuple[list[Fault], int]:
    assert isinstance(document, Aggregation)
    parent = document.parent
    new_pack = False
    if parent.gtin is not None:
        faults = _group_pack_faults(conn, document)
    else:
        new_pack = parent.key not in _packs(conn, [parent])
        faults = [] if new_pack else _not_empty(conn, parent)
        taken = new_pack and conn.execute("SELECT ops.transport_pack_taken(%s)", (parent.sscc,)).fetchone()
        if taken and taken[0]:  # another participant's pack (invisible here)
            faults.append(Fault("aggregation.parent_taken", "document.parent", params={"code": parent.key}))
        faults += _child_faults(conn, document, set() if new_pack else _ancestors(conn, parent.key))
    if faults:
        return faults, 0
    if new_pack:
        try:
            with conn.transaction():
                conn.execute("INSERT INTO ops.transport_pack (sscc, owner_bin, document_id) VALUES (%s, %s, %s)",
                             (parent.sscc, sender, document_id))
        except psycopg.errors.UniqueViolation:  # another participant's pack (invisible here)
            return [Fault("aggregation.parent_taken", "document.parent", params={"code": parent.key})], 0
    _put_in(conn, sender, document_id, parent.key, document.children)
    _events(conn, sender, document_id, "PACK_FORMED", [parent.key], str(len(document.children)))
    return [], len(document.children)


def _put_in(conn: psycopg.Connection, sender: str, document_id: uuid.UUID, parent: str, children: list[Code]) -> None:
    units = [c for c in children if c.gtin is not None]
    conn.execute(
        "UPDATE ops.marking_code m SET parent = %s FROM unnest(%s::char(14)[], %s::text[]) AS k(gtin, serial) "
        "WHERE m.gtin = k.gtin AND m.serial = k.serial",
        (parent, [c.gtin for c in units], [c.serial for c in units]))
    conn.execute("UPDATE ops.transport_pack SET parent = %s WHERE sscc = ANY(%s)",
                 (parent, [c.sscc for c in children if c.sscc is not None]))
    _events(conn, sender, document_id, "AGGREGATED", [c.key for c in children], parent)


def _take_out(conn: psycopg.Connection, sender: str, document_id: uuid.UUID, parent: str, children: list[str]) -> None:
    units = [(k[2:16], k[18:]) for k in children if k.startswith("01")]
    # by primary key only (a condition on parent lets the planner walk the parent index once per child); the
    # children were read as the parent's under the sender's lock, and the count is checked
    changed = conn.execute(
        "UPDATE ops.marking_code m SET parent = NULL FROM unnest(%s::char(14)[], %s::text[]) AS k(gtin, serial) "
        "WHERE m.gtin = k.gtin AND m.serial = k.serial",
        ([g for g, _ in units], [s for _, s in units])).rowcount
    if changed != len(units):
        raise RuntimeError(f"{len(units)} children of {parent} to take out, {changed} found")
    conn.execute("UPDATE ops.transport_pack SET parent = NULL WHERE sscc = ANY(%s) AND parent = %s",
                 ([k[2:] for k in children if k.startswith("00")], parent))
    _events(conn, sender, document_id, "DISAGGREGATED", children, parent)


def _pack_faults(conn: psycopg.Connection, parent: Code) -> list[Fault]:
    """The parent of a DISAGGREGATION or REAGGREGATION is one of the sender's packs (locked): a transport pack,
    or a code of a group pack GTIN."""
    if parent.key not in (_units(conn, [parent]) if parent.gtin is not None else _packs(conn, [parent])):
        return [Fault("code.not_found", "document.parent", params={"code": parent.key})]
    if parent.gtin is not None and _group_pack(conn, parent) is None:
        return [Fault("aggregation.not_a_pack", "document.parent", params={"code": parent.key})]
    return []


def _not_children(codes: list[Code], held: set[str], path: str, parent: str) -> list[Fault]:
    return [Fault("disaggregation.not_a_child", path, index, params={"code": c.key, "parent": parent})
            for index, c in enumerate(codes) if c.key not in held]


def _held(conn: psycopg.Connection, parent: str) -> set[str]:
    return {r[0] for r in conn.execute(
        "SELECT '01' || gtin || '21' || serial FROM ops.marking_code WHERE parent = %(k)s "
        "UNION ALL SELECT '00' || sscc FROM ops.transport_pack WHERE parent = %(k)s", {"k": parent})}


def _apply_disaggregation(conn: psycopg.Connection, document_id: uuid.UUID, sender: str,
                          document: Document) -> tuple[list[Fault], int]:
    assert isinstance(document, Disaggregation)
    parent = document.parent
    if faults := _pack_faults(conn, parent):
        return faults, 0
    held = _held(conn, parent.key)
    if document.children is None:
        children = sorted(held)
        if not children:
            return [Fault("disaggregation.empty", "document.parent", params={"code": parent.key})], 0
    else:
        if faults := _not_children(document.children, held, "document.children", parent.key):
            return faults, 0
        children = [c.key for c in document.children]
    _take_out(conn, sender, document_id, parent.key, children)
    _events(conn, sender, document_id, "PACK_OPENED", [parent.key], f"{len(children)}/{len(held)}")
    return [], len(children)


def _apply_reaggregation(conn: psycopg.Connection, document_id: uuid.UUID, sender: str,
                         document: Document) -> tuple[list[Fault], int]:
    """Take the named codes out of a pack and put the others in, in one step, by the rules of aggregation."""
    assert isinstance(document, Reaggregation)
    parent = document.parent
    if faults := _pack_faults(conn, parent):
        return faults, 0
    held = _held(conn, parent.key)
    faults = _not_children(document.remove, held, "document.remove", parent.key)
    if document.add:
        adding = Aggregation(document.id, parent, document.add)
        if parent.gtin is not None:
            faults += _group_pack_faults(conn, adding, len(held) - len(document.remove), "document.add")
        else:
            faults += _child_faults(conn, adding, _ancestors(conn, parent.key), path="document.add")
    if faults:
        return faults, 0
    if document.remove:
        _take_out(conn, sender, document_id, parent.key, [c.key for c in document.remove])
    if document.add:
        _put_in(conn, sender, document_id, parent.key, document.add)
    _events(conn, sender, document_id, "PACK_CHANGED", [parent.key],
            f"-{len(document.remove)} +{len(document.add)}")
    return [], len(document.add) + len(document.remove)


PROCESSORS: dict[type, Processor] = {
    Application: _apply_application,
    Aggregation: _apply_aggregation,
    Disaggregation: _apply_disaggregation,
    Reaggregation: _apply_reaggregation,
}
