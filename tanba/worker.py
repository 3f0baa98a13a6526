"""The worker (``tanba worker``): processes received documents, and emits the codes of received code orders.

An order is held with a session-level advisory lock while it is worked on, so several workers can run
and an order whose worker died (status PROCESSING, lock released) is taken up again where it stopped:
committed chunks stay, only the missing codes are emitted.
"""

import datetime as dt
import logging
import time
import uuid
from collections.abc import Callable

import psycopg

from api.domain.codes.emission import emit_codes
from api.domain.codes.keys import MasterKey, signing_key
from tanba.settings import Settings
from warehouse.database import Database, resolve_urls
from warehouse.models import EmissionKey

log = logging.getLogger("tanba.worker")
OPERATOR = "SELECT set_config('tanba.role', 'operator', false)"


def _lock_key(order_id: uuid.UUID) -> int:
    return int.from_bytes(order_id.bytes[:8], "big", signed=True)


def _active_key(db: Database, master: MasterKey) -> tuple[str, object]:
    from sqlalchemy import or_, select

    now = dt.datetime.now(dt.UTC)
    with db.session() as session:
        row = session.scalars(
            select(EmissionKey).where(EmissionKey.valid_from <= now,
                                      or_(EmissionKey.valid_to.is_(None), EmissionKey.valid_to > now))
            .order_by(EmissionKey.valid_from.desc()).limit(1)
        ).first()
        if row is None:
            raise RuntimeError("no valid emission key: run `tanba keys create`")
        return row.key_id, signing_key(master, row)


def serial_length(conn: psycopg.Connection, product_group: str) -> int:
    row = conn.execute(
        "SELECT attributes->>'serial_length' FROM ops.reference_entry WHERE directory = 'product_groups' "
        "AND code = %s ORDER BY version DESC LIMIT 1", (product_group,)).fetchone()
    return int(row[0]) if row and row[0] else 13


def work_once(settings: Settings, progress: Callable[[str], None] = log.info) -> uuid.UUID | None:
    """Emit one waiting (or orphaned) order; returns its id, or None when there was nothing to do."""
    urls = resolve_urls(settings, start_embedded=False)
    with psycopg.connect(urls.api, autocommit=True) as lock_conn:
        lock_conn.execute(OPERATOR)
        candidates = lock_conn.execute(
            "SELECT id FROM ops.code_order WHERE status IN ('RECEIVED', 'PROCESSING') ORDER BY created_at LIMIT 50"
        ).fetchall()
        for (order_id,) in candidates:
            locked = lock_conn.execute("SELECT pg_try_advisory_lock(%s)", (_lock_key(order_id),)).fetchone()
            if not (locked and locked[0]):
                continue  # another worker has it
            try:
                _emit_order(settings, urls.api, lock_conn, order_id, progress)
            finally:
                lock_conn.execute("SELECT pg_advisory_unlock(%s)", (_lock_key(order_id),))
            return order_id
    return None


def _emit_order(settings: Settings, api_url: str, conn: psycopg.Connection, order_id: uuid.UUID,
                progress: Callable[[str], None]) -> None:
    order = conn.execute(
        "SELECT o.owner_bin, o.gtin, o.quantity, o.produced, o.status, p.product_group FROM ops.code_order o "
        "LEFT JOIN ops.product_pack pk ON pk.gtin = o.gtin "
        "JOIN ops.product p ON p.gtin = coalesce(pk.product_gtin, o.gtin) WHERE o.id = %s", (order_id,)).fetchone()
    if order is None or order[4] not in ("RECEIVED", "PROCESSING"):
        return
    owner_bin, gtin, quantity, produced, _, group = order
    api_db = Database(url=api_url.replace("postgresql://", "postgresql+psycopg://", 1), pool_size=1)
    try:
        master = MasterKey.load(settings.master_key, settings.development_master_key_file)
        key_id, key = _active_key(api_db, master)
        conn.execute("UPDATE ops.code_order SET status = 'PROCESSING', key_id = %s WHERE id = %s", (key_id, order_id))
        progress(f"order {order_id}: {quantity - produced} of {quantity} codes to emit (key {key_id})")
        emit_codes(api_url, order_id, owner_bin, gtin, quantity - produced, serial_length(conn, group),
                   key, key_id)  # type: ignore[arg-type]
        conn.execute("UPDATE ops.code_order SET status = 'DONE', completed_at = now() WHERE id = %s", (order_id,))
        progress(f"order {order_id}: done")
    except Exception as exc:
        log.exception("order %s failed", order_id)
        conn.execute("UPDATE ops.code_order SET status = 'FAILED', error = %s WHERE id = %s",
                     (f"{type(exc).__name__}: {exc}"[:500], order_id))
    finally:
        api_db.dispose()


def process_documents(settings: Settings, limit: int = 100) -> dict[uuid.UUID, str]:
    """Process the waiting documents (up to ``limit``), each all-or-nothing; returns each one's new status."""
    from api.domain.documents.processing import process_document, record_failure, waiting_documents

    urls = resolve_urls(settings, start_embedded=False)
    outcome: dict[uuid.UUID, str] = {}
    with psycopg.connect(urls.api, autocommit=True) as conn:
        conn.execute(OPERATOR)
        for document_id in waiting_documents(conn, limit):
            try:
                status = process_document(conn, document_id)
            except psycopg.OperationalError:
                raise
            except Exception:  # a fault of ours, not the sender's: retried, then given up (record_failure)
                log.exception("document %s could not be processed", document_id)
                status = record_failure(conn, document_id)
            if status is not None:
                outcome[document_id] = status
    return outcome


def _loop(name: str, work: Callable[[], object], poll_seconds: float) -> None:
    """Run ``work`` until it finds nothing, then wait ``poll_seconds``; a lost database is waited for."""
    while True:
        try:
            if not work():
                time.sleep(poll_seconds)
        except psycopg.OperationalError as exc:
            log.warning("%s: database unavailable (%s); retrying", name, exc)
            time.sleep(5)
        except Exception:  # a fault of ours: logged, and the loop goes on (a dead loop would stop the platform)
            log.exception("%s failed; retrying", name)
            time.sleep(poll_seconds)


def run_forever(settings: Settings, poll_seconds: float = 0.5) -> None:
    """Documents and code orders in two threads: a document never waits behind a million-code emission."""
    import threading

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log.info("worker started: documents and code orders")
    threading.Thread(target=_loop, args=("documents", lambda: process_documents(settings), poll_seconds),
                     name="documents", daemon=True).start()
    _loop("code orders", lambda: work_once(settings), poll_seconds)
