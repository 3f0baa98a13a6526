"""End-to-end fixtures: the API served by granian over real HTTP against a test database."""

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import clone_database, drop_database
from warehouse.database import Database
from warehouse.roles import DatabaseUrls

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def demo_db_urls(reference_template_urls, admin_url, credentials_path) -> Iterator[DatabaseUrls]:
    """A database with reference data and the demo data set, shared by one test module."""
    from tanba.demo import load_demo
    from tanba.settings import Settings

    name = f"e2e_{uuid.uuid4().hex[:10]}"
    urls = clone_database(reference_template_urls, admin_url, credentials_path, name)
    db = Database.for_role(urls, "api", pool_size=1)
    load_demo(db, Settings().demo_data_dir, progress=lambda _: None)
    db.dispose()
    yield urls
    drop_database(admin_url, name)


def serve(target: str, interface: str, env: dict[str, str], health_path: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    granian = str(Path(sys.executable).parent / "granian")
    log_path = Path(env["TANBA_VAR_DIR"]) / f"server-{port}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [granian, "--interface", interface, "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
         "--no-access-log", target],
        env=env, cwd=ROOT, stdout=log_path.open("ab"), stderr=subprocess.STDOUT,
    )
    print(f"server log: {log_path}")
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(log_path.read_text(errors="replace"))
        try:
            httpx.get(base + health_path, timeout=2)  # any answer means the server is up
            return process, base
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"{target} did not start")


def service_env(admin_url: str, database: str, credentials_path: Path, tmp: Path) -> dict[str, str]:
    return {
        **os.environ, "TANBA_DATABASE_URL": admin_url, "TANBA_DATABASE_NAME": database,
        "TANBA_CREDENTIALS_FILE": str(credentials_path), "TANBA_VAR_DIR": str(tmp),
    }


@pytest.fixture(scope="module")
def api_base(demo_db_urls, admin_url, credentials_path, tmp_path_factory) -> Iterator[str]:
    env = service_env(admin_url, demo_db_urls.database, credentials_path, tmp_path_factory.mktemp("var"))
    process, base = serve("api.serve:application", "asgi", env, "/health")
    yield base
    process.terminate()
    process.wait(10)
