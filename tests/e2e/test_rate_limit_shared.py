"""The rate limit shared by API machines: two API servers counting in one real Redis
(``TANBA_RATE_LIMIT_STORAGE=async+redis://…``) hold a client to one limit between them, as a load balancer
spreading a client's requests over machines needs (requirement 22: the design scales out)."""

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.e2e.conftest import free_port, serve, service_env

LIMIT = 6
CODE = "(01)04600000000039(21)RATE"  # any well-formed unit code: verification answers it (unknown) and counts it


@pytest.fixture
def redis(tmp_path) -> Iterator[tuple[str, subprocess.Popen]]:
    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed (Debian: apt-get install redis-server; ./tanba.sh test does it)")
    port = free_port()
    process = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    break
        except OSError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("redis-server did not start") from None
            time.sleep(0.1)
    yield f"async+redis://127.0.0.1:{port}", process
    process.terminate()
    process.wait(10)


def test_two_api_machines_hold_a_client_to_one_limit_in_a_shared_redis(redis, demo_db_urls, admin_url,
                                                                       credentials_path, tmp_path):
    """…and when Redis goes down, each machine counts for itself: verification goes on, still limited."""
    redis_url, redis_process = redis
    servers = []
    try:
        for name in ("a", "b"):
            env = {**service_env(admin_url, demo_db_urls.database, credentials_path, tmp_path / name),
                   "TANBA_RATE_LIMIT_STORAGE": redis_url, "TANBA_RATE_LIMIT_PUBLIC_PER_MINUTE": str(LIMIT)}
            servers.append(serve("api.serve:application", "asgi", env, "/health"))
        bases = [base for _, base in servers]
        answers = []
        for number in range(LIMIT + 2):  # the client's requests alternate between the machines
            r = httpx.get(bases[number % 2] + "/api/v1/public/verify", params={"code": CODE},
                          headers={"Accept-Language": "en"}, timeout=20)
            answers.append(r)
        assert [r.status_code for r in answers] == [200] * LIMIT + [429, 429], [r.text for r in answers]
        refused = answers[LIMIT]
        assert refused.headers["ratelimit-limit"] == str(LIMIT) and refused.headers["ratelimit-remaining"] == "0"
        assert 1 <= int(refused.headers["retry-after"]) <= 60 and refused.json()["status"] == 429
        assert answers[0].json()["found"] is False  # counted requests were answered for real
        # each machine alone would have let LIMIT through: it is the shared count that refused them
        assert {r.url.host + str(r.url.port) for r in answers[:LIMIT]} == {
            httpx.URL(base).host + str(httpx.URL(base).port) for base in bases}

        redis_process.send_signal(signal.SIGSTOP)  # hung: connections open, no answer
        for base in bases:  # each machine's own count starts afresh: LIMIT answers, then 429, none waiting long
            started = time.monotonic()
            codes = [httpx.get(base + "/api/v1/public/verify", params={"code": CODE}, timeout=20).status_code
                     for _ in range(LIMIT + 1)]
            assert codes == [200] * LIMIT + [429] and time.monotonic() - started < 3, codes
        redis_process.send_signal(signal.SIGCONT)
        redis_process.terminate()  # gone: the machines go on counting for themselves
        redis_process.wait(10)
        time.sleep(5)  # rate_limit.SHARED_RETRY_AFTER: they ask the store again, find it gone
        for base in bases:
            r = httpx.get(base + "/api/v1/public/verify", params={"code": CODE}, timeout=20)
            assert r.status_code == 429 and "Traceback" not in r.text, r.text
        logs = "".join(path.read_text(errors="replace") for path in tmp_path.glob("[ab]/*.log"))
        assert logs.count("rate-limit store unavailable") == 2, logs[-3000:]  # once a minute, each machine
        assert "Traceback" not in logs, logs[-3000:]
    finally:
        for process, _ in servers:
            process.terminate()
            process.wait(10)
