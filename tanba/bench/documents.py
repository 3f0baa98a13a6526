"""Documents benchmark: the published per-document limit (reading.MAX_CODES codes) measured.

For one document of N codes (default the limit) of each type, APPLICATION → AGGREGATION into a new SSCC →
DISAGGREGATION: the format-logical control of its bytes (what the API does before answering 202) and its
processing by the worker (locks, rules, status and parent updates, history rows, one transaction). The
limit of the same machine in the same run: one raw set-based UPDATE of the same N code rows.

Run: ``tanba bench documents [--codes 10000]``. Results go to var/bench/ as JSON.
"""

import json
import secrets
import time
import uuid
from collections.abc import Callable
from typing import Any

import psycopg

from api.domain.codes.gs1 import sscc_check_digit
from api.domain.documents.processing import process_document
from api.domain.documents.reading import read_document
from tanba.bench.setup import PARTICIPANT, prepare_bench_database
from tanba.settings import Settings
from tanba.worker import OPERATOR


def _sscc() -> str:
    body = "0460" + "".join(secrets.choice("0123456789") for _ in range(13))
    return body + str(sscc_check_digit(body))


def run_documents_bench(settings: Settings, codes: int, progress: Callable[[str], None] = print) -> dict[str, Any]:
    urls = prepare_bench_database(settings, progress)
    with psycopg.connect(urls.owner) as conn:
        rows = conn.execute("SELECT gtin, serial FROM ops.marking_code WHERE owner_bin = %s AND status = 'EMITTED' "
                            "AND parent IS NULL LIMIT %s", (PARTICIPANT, codes)).fetchall()
    if len(rows) < codes:
        raise RuntimeError(f"tanba_bench holds {len(rows)} free EMITTED codes of {PARTICIPANT}; "
                           "run `tanba bench emission` first")
    keys = [f"01{g}21{s}" for g, s in rows]
    sscc = _sscc()
    documents: list[tuple[str, dict[str, Any]]] = [
        ("APPLICATION", {"type": "APPLICATION", "id": str(uuid.uuid4()), "codes": keys}),
        ("AGGREGATION", {"type": "AGGREGATION", "id": str(uuid.uuid4()), "parent": "00" + sscc, "children": keys}),
        ("DISAGGREGATION", {"type": "DISAGGREGATION", "id": str(uuid.uuid4()), "parent": "00" + sscc}),
    ]
    measured: dict[str, dict[str, Any]] = {}
    results: dict[str, Any] = {"codes": codes, "documents": measured}
    with psycopg.connect(urls.api, autocommit=True) as conn:
        conn.execute(OPERATOR)
        for document_type, document in documents:
            body = json.dumps(document).encode()
            started = time.perf_counter()
            read_document(document_type, body)
            checked = time.perf_counter() - started
            conn.execute("INSERT INTO ops.document (id, type, sender_bin, body, signature) VALUES (%s, %s, %s, %s, %s)",
                         (document["id"], document_type, PARTICIPANT, body, b"benchmark: not verified here"))
            started = time.perf_counter()
            status = process_document(conn, uuid.UUID(document["id"]))
            processed = time.perf_counter() - started
            measured[document_type] = {
                "bytes": len(body), "check_s": round(checked, 3), "process_s": round(processed, 3), "status": status,
                "codes_per_s": round(codes / (checked + processed)),
            }
            progress(f"  {document_type:15} {len(body) / 1e6:5.2f} MB: control {checked:.2f} s, processing "
                     f"{processed:.2f} s -> {status}")
    with psycopg.connect(urls.owner) as conn:
        started = time.perf_counter()
        conn.execute("UPDATE ops.marking_code m SET parent = NULL FROM unnest(%s::char(14)[], %s::text[]) "
                     "AS k(gtin, serial) WHERE m.gtin = k.gtin AND m.serial = k.serial",
                     ([g for g, _ in rows], [s for _, s in rows]))
        conn.commit()
        raw = time.perf_counter() - started
    results["raw_update_s"] = round(raw, 3)
    slowest = max(d["check_s"] + d["process_s"] for d in measured.values())
    results["ratio_slowest_to_raw_update"] = round(slowest / raw, 1)
    out = settings.var_dir / "bench" / f"documents-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    results["file"] = str(out)
    return results
