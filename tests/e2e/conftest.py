"""End-to-end fixtures: the API served by granian over real HTTP against a test database."""

import datetime as dt
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from tanba.pki import DevelopmentCA, KeyAlgorithm, self_signed
from tests.e2e.identity_support import (
    AUTHORITY_BIN,
    OPERATOR_BIN,
    PARTICIPANT_A,
    PARTICIPANT_B,
    PENDING_PARTICIPANT,
    Person,
    crl_env,
    person,
)
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


# --- identity: a test CA, people with certificates, an API that trusts the CA --------------------------
NOW = dt.datetime.now(dt.UTC)


@pytest.fixture(scope="module")
def ca(tmp_path_factory):
    return DevelopmentCA.create(tmp_path_factory.mktemp("pki") / "ca")


@pytest.fixture(scope="module")
def people(ca, tmp_path_factory):
    other_ca = DevelopmentCA.create(tmp_path_factory.mktemp("other") / "ca")
    p = {
        "a": person(ca, 1, PARTICIPANT_A),
        "a_ec": person(ca, 2, PARTICIPANT_A, key=KeyAlgorithm.EC),
        "b": person(ca, 3, PARTICIPANT_B),
        "pending": person(ca, 4, PENDING_PARTICIPANT),
        "operator": person(ca, 5, OPERATOR_BIN, "Оператор"),
        "authority": person(ca, 6, AUTHORITY_BIN, "Комитет госдоходов"),
        "expired": person(ca, 7, PARTICIPANT_A, not_before=NOW - dt.timedelta(days=30),
                          not_after=NOW - dt.timedelta(days=1)),
        "not_yet": person(ca, 8, PARTICIPANT_A, not_before=NOW + dt.timedelta(days=1),
                          not_after=NOW + dt.timedelta(days=30)),
        "revoked": person(ca, 9, PARTICIPANT_A),
        "wrong_usage": person(ca, 10, PARTICIPANT_A, key_usage={"key_encipherment"}),
        "no_client_auth": person(ca, 11, PARTICIPANT_A, extended_key_usage=[]),
        "unknown_ca": person(other_ca, 12, PARTICIPANT_A),
        "newcomer": person(ca, 13, "200740012347", "ТОО «Новичок»"),
        "liquidated": person(ca, 14, "090640012348", "ТОО «Старая Торговля»"),
        "stranger": person(ca, 15, "210340012344", "ТОО «Нет в реестре»"),
    }
    ca.revoke(p["revoked"].issued.certificate.serial_number)
    ca.crl()

    forged = self_signed("ТЕСТОВ ПОДДЕЛКА", p["a"].iin, PARTICIPANT_A, "ТОО подделка")
    p["self_signed"] = Person(forged, p["a"].iin, PARTICIPANT_A)
    return p


@pytest.fixture(scope="module")
def prepared_db(demo_db_urls):
    with psycopg.connect(demo_db_urls.api) as conn:
        conn.execute("SELECT set_config('tanba.role', 'operator', false)")
        conn.execute("INSERT INTO ops.role_grant (bin, role, granted_by) VALUES (%s, 'operator', 'test'), "
                     "(%s, 'authority', 'test')", (OPERATOR_BIN, AUTHORITY_BIN))
        conn.execute(
            "INSERT INTO ops.business_register_entry (bin, name_ru, status, registration_date, kato, import_id) "
            "SELECT '200740012347', 'ТОО «Новичок»', 'ACTIVE', '2020-07-01', '750000000', id "
            "FROM ops.register_import LIMIT 1")
    return demo_db_urls


@pytest.fixture(scope="module")
def api(prepared_db, admin_url, credentials_path, tmp_path_factory, ca, people):
    env = {**service_env(admin_url, prepared_db.database, credentials_path, tmp_path_factory.mktemp("var")),
           **crl_env(ca), "TANBA_RATE_LIMIT_LOGIN_PER_MINUTE": "100000"}
    process, base = serve("api.serve:application", "asgi", env, "/health")
    with httpx.Client(base_url=base, timeout=20) as client:
        yield client
    process.terminate()
    process.wait(10)


