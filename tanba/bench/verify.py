"""Verification and streaming benchmarks.

``tanba bench verify``: public verification of random emitted codes with 64 concurrent connections
(wrk), against a minimal Litestar handler doing one primary-key lookup through a psycopg pool (one round
trip; and, for comparison with the records before session 8, the same lookup in psycopg's default
transaction: BEGIN, the lookup, COMMIT), against the same verification with its writes cut out (its
ceiling: what the 2× target would need even if recording a scan cost nothing), and against ``pgbench -S`` on
a pgbench table of the same size, all in one run.

``tanba bench stream``: the API process's memory while streaming every code of a 1,000,000-code order.
"""

import contextlib
import datetime as dt
import json
import os
import random
import re
import resource
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg

from tanba.bench.identity import _free_port, _token, wrk
from tanba.bench.setup import BENCH_DATABASE, PARTICIPANT, bench_pki, prepare_bench_database
from tanba.processes import Service, python_tool, start, stop
from tanba.settings import Settings

WRK_SCRIPT = """
local paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
math.randomseed(os.time())
request = function() return wrk.format("GET", paths[math.random(#paths)]) end
"""


def _servers(settings: Settings, urls: Any, pki: Path) -> tuple[dict[str, str], Service, Service, Path]:
    bench_dir = settings.var_dir / "bench"
    granian = python_tool("granian")
    workers = str(settings.api_workers)
    env = {**os.environ, "TANBA_DATABASE_URL": urls.admin, "TANBA_DATABASE_NAME": BENCH_DATABASE,
           "TANBA_CREDENTIALS_FILE": str(settings.credentials_path), "TANBA_VAR_DIR": str(bench_dir),
           "TANBA_TRUST_DIR": str(pki / "trust"), "TANBA_PKI_DIR": str(pki),
           "TANBA_RATE_LIMIT_LOGIN_PER_MINUTE": "100000000", "TANBA_RATE_LIMIT_PUBLIC_PER_MINUTE": "100000000",
           "TANBA_BENCH_URL": urls.owner}
    api_port, base_port = _free_port(), _free_port()
    api = Service("bench-api", [granian, "--interface", "asgi", "--port", str(api_port), "--workers", workers,
                                "--loop", "uvloop", "--no-access-log", "api.serve:application"],
                  f"http://127.0.0.1:{api_port}/health")
    baseline = Service("bench-baseline", [granian, "--interface", "asgi", "--port", str(base_port), "--workers",
                                          workers, "--loop", "uvloop", "--no-access-log",
                                          "tanba.bench.baseline:application"],
                       f"http://127.0.0.1:{base_port}/participants/{PARTICIPANT}")
    return env, api, baseline, bench_dir


SAMPLE = 100_000
# what each round measures, in this order: the verification's baseline (one lookup, one round trip), the
# verification, and the same lookup in psycopg's default transaction (BEGIN, lookup, COMMIT: the baseline of
# the records before session 8). The one-round-trip baseline comes first so that it is not measured right
# after a verification, whose after-effects (autovacuum of the scans, checkpoint writes) would slow it down;
# the baseline in a transaction, measured right after, may carry some of them. Last, the verification without
# its writes: the same API and function, with the scan, audit and chain-head writes cut out of the function.
MEASURED = ("baseline", "verify", "baseline_in_transaction", "verify_without_writes")
VERIFY_FUNCTION = "ops.public_verify_batch(jsonb, text)"
# the parts of the live batch function that write, each cut from its first marker up to (not including) the
# second: the audit chain shard's lock, canonical texts and hashes; then the scan, audit and chain-head CTEs
WRITES = (("        -- a free audit chain shard", "        WITH k AS ("),
          (", scan AS (", "\n        SELECT coalesce(json_agg("))


def without_writes(definition: str) -> str:
    """The batch function's CREATE statement (``pg_get_functiondef``) with every write cut out: the same
    lookups, joins and copy-detection probe, the same answers; no scan row, audit row or chain-head update."""
    for begin, end in WRITES:
        if (definition.count(begin) != 1 or definition.count(end) != 1
                or definition.index(begin) > definition.index(end)):
            raise RuntimeError(f"{VERIFY_FUNCTION} no longer reads {begin.strip()!r} … {end.strip()!r} once, in "
                               "order: update WRITES in tanba/bench/verify.py to its new text")
        definition = definition[:definition.index(begin)] + definition[definition.index(end):]
    if re.search(r"\b(INSERT|UPDATE|DELETE)\b", definition.split("$function$")[1]):
        raise RuntimeError(f"{VERIFY_FUNCTION} still writes after the cuts: update WRITES in tanba/bench/verify.py")
    return definition


@contextlib.contextmanager
def verification_without_writes(owner_url: str, saved: Path) -> Iterator[None]:
    """The benchmark database's batch function replaced by its variant without writes, and put back after.
    The real definition is kept in ``saved`` meanwhile, so a run killed in between is repaired by the next
    one (``restore_verification``)."""
    with psycopg.connect(owner_url, autocommit=True) as conn:
        definition = str(conn.execute("SELECT pg_get_functiondef(%s::regprocedure)",  # type: ignore[index]
                                      (VERIFY_FUNCTION,)).fetchone()[0])
        saved.write_text(definition)
        conn.execute(without_writes(definition).encode())
        try:
            yield
        finally:
            conn.execute(definition.encode())
            saved.unlink()


def restore_verification(owner_url: str, saved: Path) -> None:
    """Puts back the batch function a killed run left without its writes."""
    if saved.exists():
        with psycopg.connect(owner_url, autocommit=True) as conn:
            conn.execute(saved.read_text().encode())
        saved.unlink()


def _cpu_by_program() -> dict[str, float]:
    """CPU seconds (user + system) used so far by every process of each program on the machine (wrk: the
    finished load generators this process started)."""
    ticks = os.sysconf("SC_CLK_TCK")
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    totals: dict[str, float] = {"wrk": children.ru_utime + children.ru_stime}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        program = text[text.index("(") + 1:text.rindex(")")]
        fields = text[text.rindex(")") + 2:].split()
        totals[program] = totals.get(program, 0.0) + (int(fields[11]) + int(fields[12])) / ticks
    return totals


def _largest_order(urls: Any) -> tuple[str, int] | None:
    with psycopg.connect(urls.owner) as conn:
        row = conn.execute("SELECT id, quantity FROM ops.code_order WHERE status IN ('DONE', 'PROCESSING') "
                           "AND owner_bin = %s ORDER BY quantity DESC LIMIT 1", (PARTICIPANT,)).fetchone()
    return (str(row[0]), int(row[1])) if row else None


def _pgbench(urls: Any, rows: int, seconds: int) -> float:
    """``pgbench -S`` (prepared, 8 clients) on a pgbench table of ``rows`` accounts, in its own database."""
    from warehouse.embedded import find_bindir

    bindir = find_bindir()
    admin = psycopg.conninfo.conninfo_to_dict(urls.admin)
    env = {**os.environ, "PGPASSWORD": str(admin.get("password", ""))}
    base = ["-h", str(admin.get("host", "127.0.0.1")), "-p", str(admin.get("port", 5432)), "-U", str(admin["user"])]
    with psycopg.connect(urls.admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = 'tanba_pgbench'").fetchone():
            conn.execute("CREATE DATABASE tanba_pgbench")
    scale = max(1, rows // 100_000)
    subprocess.run([str(bindir / "pgbench"), *base, "-i", "-q", "-s", str(scale), "tanba_pgbench"], env=env,
                   check=True, capture_output=True)
    out = subprocess.run([str(bindir / "pgbench"), *base, "-S", "-M", "prepared", "-c", "8", "-j", "2", "-T",
                          str(seconds), "tanba_pgbench"], env=env, check=True, capture_output=True, text=True).stdout
    match = re.search(r"tps = ([\d.]+)", out)
    return float(match.group(1)) if match else float("nan")


def _truncate_scans(urls: Any) -> None:
    """Every measurement starts from the same state: the scans of earlier runs (150,000 or more each) would
    make the sampled codes look scanned dozens of times today, and copy detection read their histories."""
    with psycopg.connect(urls.owner) as conn:
        conn.execute("TRUNCATE ops.code_scan")


def _sample_paths(urls: Any, folder: Path) -> tuple[int, dict[str, Path]]:
    """The request paths of each measurement for the same 100,000 random emitted codes (and the table's
    size)."""
    with psycopg.connect(urls.owner) as conn:
        total = int(conn.execute("SELECT count(*) FROM ops.marking_code").fetchone()[0])  # type: ignore[index]
        if total < 100_000:
            raise RuntimeError("the benchmark database has few codes: run `tanba bench emission` first")
        # 100,000 distinct codes: most are scanned once or twice in a run, as on the market (a small sample
        # would make every code look copied, and copy detection read ever longer scan histories)
        percent = min(100.0, 100 * SAMPLE * 1.3 / total)
        sample = conn.execute("SELECT gtin, serial, key_id, crypto_tail FROM ops.marking_code "
                              f"TABLESAMPLE SYSTEM ({percent:.3f}) LIMIT {SAMPLE}").fetchall()
    random.shuffle(sample)
    paths = {name: folder / f"{name}.txt" for name in MEASURED}
    paths["verify"].write_text("".join(
        "/api/v1/public/verify?code=" + urllib.parse.quote(f"01{g}21{s}\x1d91{k}\x1d92{t}", safe="") + "\n"
        for g, s, k, t in sample))
    paths["verify_without_writes"] = paths["verify"]
    for name, route in (("baseline", "/verify"), ("baseline_in_transaction", "/verify-in-transaction")):
        paths[name].write_text("".join(
            f"{route}?gtin={g}&serial={urllib.parse.quote(s, safe='')}\n" for g, s, _, _ in sample))
    return total, paths


def run_verify_bench(settings: Settings, seconds: int, rounds: int = 5,
                     progress: Callable[[str], None] = print) -> dict[str, Any]:
    """``rounds`` alternations of the baseline, the verification and the baseline in a transaction (the
    machine's speed drifts between minutes): the round with the median verify/baseline ratio is the result,
    every round is kept in the file."""
    if rounds < 1:
        raise ValueError("at least one round of verify and baseline is needed")
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is needed for the HTTP load (Debian: apt-get install wrk)")
    urls = prepare_bench_database(settings, progress)
    saved = settings.var_dir / "bench" / "verify-function.sql"
    restore_verification(urls.owner, saved)
    _truncate_scans(urls)
    folder = Path(tempfile.mkdtemp(prefix="tanba-bench-"))
    total, paths = _sample_paths(urls, folder)
    env, api, baseline, bench_dir = _servers(settings, urls, bench_pki(settings))
    results: dict[str, Any] = {"when": dt.datetime.now(dt.UTC).isoformat(), "codes_in_table": total,
                               "connections": 64, "seconds": seconds, "rounds": []}
    try:
        start(api, bench_dir, env)
        start(baseline, bench_dir, env)
        for number in range(1, rounds + 1):
            measured: dict[str, Any] = {}
            for name in MEASURED:
                service = api if name.startswith("verify") else baseline
                script = folder / f"{name}.lua"
                script.write_text(WRK_SCRIPT % paths[name])
                base_url = re.sub(r"(http://127\.0\.0\.1:\d+).*", r"\1", service.url or "")
                progress(f"  round {number}/{rounds}, {name}: warm-up, then {seconds} s with 64 connections")
                with (verification_without_writes(urls.owner, saved) if name == "verify_without_writes"
                      else contextlib.nullcontext()):
                    wrk(base_url, 3, 64, {}, script)
                    if name.startswith("verify"):
                        _truncate_scans(urls)
                    before = _cpu_by_program()
                    measured[name] = wrk(base_url, seconds, 64, {}, script)
                    spent = _cpu_by_program()
                done = measured[name]["requests_per_s"] * seconds
                measured[name]["cpu_us_per_request"] = {
                    program: round((spent.get(program, 0) - before.get(program, 0)) / done * 1e6, 1)
                    for program in ("granian", "postgres", "wrk")}
            measured["ratio"] = measured["verify"]["requests_per_s"] / measured["baseline"]["requests_per_s"]
            measured["ratio_in_transaction"] = (measured["verify"]["requests_per_s"]
                                                / measured["baseline_in_transaction"]["requests_per_s"])
            measured["ratio_without_writes"] = (measured["verify_without_writes"]["requests_per_s"]
                                                / measured["baseline"]["requests_per_s"])
            results["rounds"].append(measured)
    finally:
        stop(api, bench_dir)
        stop(baseline, bench_dir)
    median = sorted(results["rounds"], key=lambda r: r["ratio"])[len(results["rounds"]) // 2]
    results["verify"], results["baseline"] = median["verify"], median["baseline"]
    progress(f"  pgbench -S on {total:,} rows")
    results["pgbench_select_tps"] = _pgbench(urls, total, seconds)
    results["ratio_to_baseline"] = median["ratio"]
    for key in ("ratio_in_transaction", "ratio_without_writes"):
        results[key.replace("ratio", "ratio_to_baseline")] = sorted(
            r[key] for r in results["rounds"])[len(results["rounds"]) // 2]
    results["ratio_to_pgbench"] = results["verify"]["requests_per_s"] / results["pgbench_select_tps"]
    out = bench_dir / f"verify-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(results, indent=2))
    results["file"] = str(out)
    shutil.rmtree(folder, ignore_errors=True)
    return results


def _rss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def _family(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True,
                         check=False).stdout
    return [pid, *(int(p) for p in out.split())]


def run_stream_bench(settings: Settings, progress: Callable[[str], None] = print) -> dict[str, Any]:
    from tanba.pki import DevelopmentCA, KeyAlgorithm, demo_iin

    urls = prepare_bench_database(settings, progress)
    largest = _largest_order(urls)
    if largest is None or largest[1] < 1_000_000:
        raise RuntimeError("no 1,000,000-code order in the benchmark database: run `tanba bench emission` first")
    order_id, quantity = largest
    with psycopg.connect(urls.owner) as conn:
        conn.execute("UPDATE ops.code_order SET status = 'DONE' WHERE id = %s", (order_id,))
    pki = bench_pki(settings)
    issued = DevelopmentCA.load(pki).issue("БЕНЧМАРК", demo_iin(44), PARTICIPANT, "ТОО", key=KeyAlgorithm.EC)
    env, api, _, bench_dir = _servers(settings, urls, pki)
    samples: list[int] = []
    try:
        pid = start(api, bench_dir, env)
        base = re.sub(r"(http://127\.0\.0\.1:\d+).*", r"\1", api.url or "")
        token = _token(base, issued)
        family = _family(pid)
        idle = _rss_kib(family)
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                samples.append(_rss_kib(family))
                time.sleep(0.25)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        started = time.perf_counter()
        received = lines = 0
        with httpx.stream("GET", f"{base}/api/v1/orders/{order_id}/codes?format=csv",
                          headers={"Authorization": f"Bearer {token}"}, timeout=600) as response:
            response.raise_for_status()
            for chunk in response.iter_bytes():
                received += len(chunk)
                lines += chunk.count(b"\n")
                if lines and lines % 200_000 < chunk.count(b"\n"):
                    progress(f"  {lines - 1:,} codes received, API RSS {_rss_kib(family) / 1024:.0f} MiB")
        elapsed = time.perf_counter() - started
        done.set()
        sampler.join()
    finally:
        stop(api, bench_dir)
    results = {
        "when": dt.datetime.now(dt.UTC).isoformat(), "codes": lines - 1, "bytes": received, "seconds": elapsed,
        "codes_per_s": (lines - 1) / elapsed, "rss_idle_mib": idle / 1024, "rss_peak_mib": max(samples) / 1024,
        "rss_last_mib": samples[-1] / 1024, "samples": len(samples), "quantity": quantity,
    }
    out = bench_dir / f"stream-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(results, indent=2))
    results["file"] = str(out)
    return results
