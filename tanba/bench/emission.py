"""Emission benchmark: one order of N codes (default 1,000,000) end to end — serials, Ed25519 tails, COPY —
against the machine's raw Ed25519 signing rate measured in the same run.

Run: ``tanba bench emission [--count 1000000]``. Results go to var/bench/ as JSON.
"""

import datetime as dt
import json
import os
import time
import uuid
from collections.abc import Callable
from typing import Any

import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from api.domain.codes.emission import emit_codes
from tanba.bench.setup import PARTICIPANT, prepare_bench_database
from tanba.settings import Settings

GTIN = "04600000000015"


def signing_rate(seconds: float = 2.0) -> float:
    """Raw Ed25519 signatures per second on one core (cryptography/OpenSSL), on identification codes."""
    key = Ed25519PrivateKey.generate()
    data = f"01{GTIN}21ABCDEFGHIJKLM".encode()
    count, deadline = 0, time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        for _ in range(1000):
            key.sign(data)
        count += 1000
    return count / seconds


def run_emission_bench(settings: Settings, count: int, progress: Callable[[str], None] = print) -> dict[str, Any]:
    urls = prepare_bench_database(settings, progress)
    with psycopg.connect(urls.owner) as conn:
        conn.execute("INSERT INTO ops.product (gtin, owner_bin, product_group, tnved, name_kk, name_ru, manufacturer, "
                     "country) VALUES (%s, %s, 'shoes', '6403', 'Аяқ киім', 'Обувь', 'ТОО', 'KZ') "
                     "ON CONFLICT DO NOTHING", (GTIN, PARTICIPANT))
        before = conn.execute("SELECT count(*) FROM ops.marking_code").fetchone()[0]  # type: ignore[index]
    cores = os.cpu_count() or 1
    progress("  raw Ed25519 signing rate, one core")
    sign_rate = signing_rate()
    order_id = uuid.uuid4()
    with psycopg.connect(urls.owner) as conn:
        conn.execute("INSERT INTO ops.code_order (id, owner_bin, gtin, quantity, status, key_id) VALUES "
                     "(%s, %s, %s, %s, 'PROCESSING', 'BNCH')", (order_id, PARTICIPANT, GTIN, count))
    key = Ed25519PrivateKey.generate()
    marks = {count * k // 10 for k in range(1, 11)}

    def report(done: int, total: int) -> None:
        if any(done >= m > done - 25_000 for m in marks):
            progress(f"  {done:,} / {total:,} codes ({time.perf_counter() - started:.1f} s)")

    progress(f"  emitting {count:,} codes with {cores} worker processes")
    started = time.perf_counter()
    result = emit_codes(urls.api, order_id, PARTICIPANT, GTIN, count, 13, key, "BNCH", progress=report)
    elapsed = time.perf_counter() - started
    with psycopg.connect(urls.owner) as conn:
        stored = conn.execute("SELECT count(*) FROM ops.marking_code WHERE order_id = %s",
                              (order_id,)).fetchone()[0]  # type: ignore[index]
        after = conn.execute("SELECT count(*) FROM ops.marking_code").fetchone()[0]  # type: ignore[index]
    results = {
        "when": dt.datetime.now(dt.UTC).isoformat(), "cores": cores, "count": count, "seconds": elapsed,
        "codes_per_s": count / elapsed, "stored": stored, "table_rows_before": before, "table_rows_after": after,
        "retried_chunks": result.retried_chunks, "ed25519_sign_per_s_one_core": sign_rate,
        "ratio_to_signing_limit": (count / elapsed) / (sign_rate * cores),
    }
    out = settings.var_dir / "bench" / f"emission-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    results["file"] = str(out)
    return results
