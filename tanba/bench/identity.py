"""Identity benchmark: login throughput, and the cost of the security path (token lookup, row-level
security context, audit row in the same transaction) on a simple read, as a ratio to the same read
without them, measured in one run on this machine.

Run: ``tanba bench identity [--seconds 10] [--connections 32]``. Results go to var/bench/ as JSON.
"""

import asyncio
import base64
import datetime as dt
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psycopg

from tanba.bench.setup import BENCH_DATABASE, PARTICIPANT, bench_pki, prepare_bench_database
from tanba.processes import Service, python_tool, start, stop
from tanba.settings import Settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wrk(url: str, seconds: int, connections: int, headers: dict[str, str],
        script: Path | None = None) -> dict[str, float]:
    """Requests/s, p50, p99 and non-2xx answers of a wrk run (``script``: a Lua file choosing the paths)."""
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    if script is not None:
        args += ["-s", str(script)]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    done = subprocess.run([*args, url], capture_output=True, text=True, errors="replace", check=False)
    if done.returncode != 0:  # say what wrk said (a Lua error, a refused connection), not just its exit status
        raise RuntimeError(f"wrk exited with {done.returncode}: {(done.stderr or done.stdout).strip()[-800:]}")
    out = done.stdout

    def latency(label: str) -> float:
        match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if not match:
            return float("nan")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"requests_per_s": rps, "p50_ms": latency("50"), "p99_ms": latency("99"),
            "non_2xx": float(errors.group(1)) if errors else 0.0}


async def _login_load(api: str, issued: Any, seconds: float, concurrency: int) -> dict[str, float]:
    from tanba.pki import sign_attached

    latencies: list[float] = []
    failures = 0
    deadline = time.monotonic() + seconds

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal failures
        while time.monotonic() < deadline:
            started = time.perf_counter()
            c = (await client.get("/api/v1/auth/challenge")).json()
            signature = sign_attached(issued.certificate, issued.private_key, c["data"].encode(), issued.chain)
            r = await client.post("/api/v1/auth/token",
                                  json={"id": c["id"], "signature": base64.b64encode(signature).decode()})
            if r.status_code == 200:
                latencies.append((time.perf_counter() - started) * 1000)
            else:
                failures += 1

    async with httpx.AsyncClient(base_url=api, timeout=30,
                                 limits=httpx.Limits(max_connections=concurrency)) as client:
        started = time.monotonic()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.monotonic() - started
    latencies.sort()
    return {
        "logins_per_s": len(latencies) / elapsed, "failures": float(failures),
        "p50_ms": statistics.median(latencies) if latencies else float("nan"),
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] if latencies else float("nan"),
    }


def _verifier_limit(pki: Path, issued: Any, seconds: float) -> float:
    """Verifications per second of one core in-process: the ceiling a login worker cannot beat."""
    from api.security.signatures import CmsSignatureVerifier, Purpose
    from api.security.trust import TrustStore
    from tanba.pki import sign_attached

    verifier = CmsSignatureVerifier(TrustStore(pki / "trust", sorted(str(p) for p in (pki / "crl").glob("*.crl"))))
    data = b"benchmark challenge"
    signature = sign_attached(issued.certificate, issued.private_key, data, issued.chain)

    async def loop() -> int:
        count, deadline = 0, time.monotonic() + seconds
        while time.monotonic() < deadline:
            await verifier.verify_attached(signature, data, Purpose.LOGIN)
            count += 1
        return count

    return asyncio.run(loop()) / seconds


def _token(api: str, issued: Any) -> str:
    from tanba.pki import sign_attached

    with httpx.Client(base_url=api) as client:
        c = client.get("/api/v1/auth/challenge").json()
        signature = sign_attached(issued.certificate, issued.private_key, c["data"].encode(), issued.chain)
        response = client.post("/api/v1/auth/token",
                               json={"id": c["id"], "signature": base64.b64encode(signature).decode()})
        return str(response.json()["access_token"])


def run_identity_bench(settings: Settings, seconds: int, connections: int,
                       progress: Callable[[str], None] = print) -> dict[str, Any]:
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is needed for the HTTP load (Debian: apt-get install wrk)")
    from tanba.pki import DevelopmentCA, KeyAlgorithm, demo_iin

    urls = prepare_bench_database(settings, progress)
    pki = bench_pki(settings)
    ca = DevelopmentCA.load(pki)
    issued = ca.issue("БЕНЧМАРК ТЕСТ", demo_iin(42), PARTICIPANT, "ТОО бенчмарк", key=KeyAlgorithm.EC)
    bench_dir = settings.var_dir / "bench"
    api_port, baseline_port = _free_port(), _free_port()
    workers = str(settings.api_workers)
    granian = python_tool("granian")
    env = {**os.environ, "TANBA_DATABASE_URL": urls.admin, "TANBA_DATABASE_NAME": BENCH_DATABASE,
           "TANBA_CREDENTIALS_FILE": str(settings.credentials_path), "TANBA_VAR_DIR": str(bench_dir),
           "TANBA_TRUST_DIR": str(pki / "trust"), "TANBA_PKI_DIR": str(pki),
           "TANBA_RATE_LIMIT_LOGIN_PER_MINUTE": "100000000", "TANBA_RATE_LIMIT_PUBLIC_PER_MINUTE": "100000000",
           "TANBA_BENCH_URL": urls.owner}
    api = Service("bench-api", [granian, "--interface", "asgi", "--port", str(api_port), "--workers", workers,
                                "--loop", "uvloop", "--no-access-log", "api.serve:application"],
                  f"http://127.0.0.1:{api_port}/health")
    baseline = Service("bench-baseline", [granian, "--interface", "asgi", "--port", str(baseline_port), "--workers",
                                          workers, "--loop", "uvloop", "--no-access-log",
                                          "tanba.bench.baseline:application"],
                       f"http://127.0.0.1:{baseline_port}/participants/{PARTICIPANT}")
    results: dict[str, Any] = {"when": dt.datetime.now(dt.UTC).isoformat(), "cores": os.cpu_count(),
                               "api_workers": int(workers), "seconds": seconds, "connections": connections}
    try:
        start(api, bench_dir, env)
        start(baseline, bench_dir, env)
        token = _token(f"http://127.0.0.1:{api_port}", issued)
        secured_url = f"http://127.0.0.1:{api_port}/api/v1/participants/{PARTICIPANT}"
        baseline_url = f"http://127.0.0.1:{baseline_port}/participants/{PARTICIPANT}"
        auth = {"Authorization": f"Bearer {token}"}
        with psycopg.connect(urls.owner) as conn:
            audit_before = conn.execute("SELECT count(*) FROM ops.audit_log").fetchone()[0]  # type: ignore[index]
        progress("  warming up")
        wrk(secured_url, 2, connections, auth)
        wrk(baseline_url, 2, connections, {})
        progress(f"  read with token + RLS + audit ({seconds} s, {connections} connections)")
        results["read_secured"] = wrk(secured_url, seconds, connections, auth)
        progress(f"  the same read without them ({seconds} s)")
        results["read_baseline"] = wrk(baseline_url, seconds, connections, {})
        with psycopg.connect(urls.owner) as conn:
            audit_after = conn.execute("SELECT count(*) FROM ops.audit_log").fetchone()[0]  # type: ignore[index]
        results["audit_rows_written"] = audit_after - audit_before
        results["read_ratio"] = results["read_secured"]["requests_per_s"] / results["read_baseline"]["requests_per_s"]
        progress(f"  logins ({seconds} s, 8 concurrent clients signing with ECDSA P-256)")
        results["login"] = asyncio.run(_login_load(f"http://127.0.0.1:{api_port}", issued, seconds, 8))
    finally:
        stop(api, bench_dir)
        stop(baseline, bench_dir)
    progress("  in-process CMS verification on one core (the login ceiling per worker)")
    results["verify_per_s_one_core"] = _verifier_limit(pki, issued, 3.0)
    results["login_ratio_to_verify_limit"] = results["login"]["logins_per_s"] / (
        results["verify_per_s_one_core"] * int(workers))
    bench_dir.mkdir(parents=True, exist_ok=True)
    out = bench_dir / f"identity-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(results, indent=2))
    results["file"] = str(out)
    return results


def report(results: dict[str, Any]) -> list[str]:
    s, b, login = results["read_secured"], results["read_baseline"], results["login"]

    def row(label: str, r: dict[str, float]) -> str:
        return f"| {label} | {r['requests_per_s']:.0f} | {r['p50_ms']:.1f} | {r['p99_ms']:.1f} |"

    return [
        "| read of a participant card | req/s | p50 ms | p99 ms |",
        "|---|---|---|---|",
        row("with token lookup + RLS + audit row", s),
        row("same read, no security path (baseline)", b),
        f"| ratio secured / baseline | {results['read_ratio']:.2f} | | |",
        "",
        f"logins: {login['logins_per_s']:.0f}/s (p50 {login['p50_ms']:.0f} ms, p99 {login['p99_ms']:.0f} ms, "
        f"{login['failures']:.0f} failures); CMS verification limit {results['verify_per_s_one_core']:.0f}/s per core; "
        f"ratio to {results['api_workers']} cores of verification: {results['login_ratio_to_verify_limit']:.2f}",
        f"audit rows written during the secured read: {results['audit_rows_written']}",
    ]
