"""Shared fixtures: one real PostgreSQL cluster per test session, a migrated template database, and
fresh databases cloned from it, so every data test runs the real migrations on a real server."""

import os
import shutil
import socket
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tanba.settings import Settings
from tests.support import clone_database, drop_database
from warehouse import migrate
from warehouse.embedded import EmbeddedPostgres
from warehouse.roles import DatabaseUrls, bootstrap, database_urls

TEMPLATE = "tanba_template"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[EmbeddedPostgres]:
    """A PostgreSQL cluster for the test session, in its own temporary folder (outside pytest's numbered
    folders, which another pytest run on the machine may rotate away while this one runs)."""
    root = Path(os.environ.get("TANBA_TEST_PG_ROOT") or tempfile.mkdtemp(prefix="tanba-test-pg-"))
    cluster = EmbeddedPostgres(root=root, port=_free_port())
    cluster.start()
    yield cluster
    cluster.stop()
    if not os.environ.get("TANBA_TEST_PG_ROOT"):
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def admin_url(pg_cluster: EmbeddedPostgres) -> str:
    return pg_cluster.superuser_url()


@pytest.fixture(scope="session")
def credentials_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("creds") / "credentials.json"


@pytest.fixture(scope="session")
def template_urls(admin_url: str, credentials_path: Path) -> DatabaseUrls:
    """A database migrated to head, used as the template of every test database."""
    urls = database_urls(admin_url, TEMPLATE, credentials_path)
    bootstrap(urls)
    migrate.upgrade(urls.sqlalchemy("owner"))
    return urls


@pytest.fixture
def db_urls(template_urls: DatabaseUrls, admin_url: str, credentials_path: Path) -> Iterator[DatabaseUrls]:
    """A fresh, migrated, empty database for one test."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    urls = clone_database(template_urls, admin_url, credentials_path, name)
    yield urls
    drop_database(admin_url, name)


@pytest.fixture
def settings(tmp_path: Path, admin_url: str, db_urls: DatabaseUrls, credentials_path: Path) -> Settings:
    """Settings that point at the test's fresh database through the production code path (a URL)."""
    return Settings(
        database_url=admin_url,
        database_name=db_urls.database,
        credentials_file=credentials_path,
        var_dir=tmp_path / "var",
    )


@pytest.fixture(scope="session")
def reference_template_urls(template_urls: DatabaseUrls, admin_url: str, credentials_path: Path) -> DatabaseUrls:
    """The migrated template plus the repository's reference data."""
    from warehouse.database import Database
    from warehouse.reference.loader import load_reference_data

    urls = clone_database(template_urls, admin_url, credentials_path, "tanba_template_ref")
    db = Database.for_role(urls, "owner", pool_size=1)
    with db.session() as session:
        load_reference_data(session, Settings().reference_data_dir)
    db.dispose()
    return urls


@pytest.fixture
def ref_db_urls(
    reference_template_urls: DatabaseUrls, admin_url: str, credentials_path: Path
) -> Iterator[DatabaseUrls]:
    """A fresh database with the schema and the reference data, for one test."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    urls = clone_database(reference_template_urls, admin_url, credentials_path, name)
    yield urls
    drop_database(admin_url, name)
