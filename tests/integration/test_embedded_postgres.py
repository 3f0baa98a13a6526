"""The embedded PostgreSQL: created as an unprivileged user, keeps data across restarts, clear errors."""

import socket

import psycopg
import pytest

from warehouse.embedded import EmbeddedPostgres, EmbeddedPostgresError


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_data_survives_a_restart(tmp_path):
    cluster = EmbeddedPostgres(root=tmp_path / "pg", port=_free_port())
    cluster.start()
    try:
        with psycopg.connect(cluster.superuser_url(), autocommit=True) as conn:
            conn.execute("CREATE TABLE kept (x int)")
            conn.execute("INSERT INTO kept VALUES (42)")
            assert conn.execute("SELECT current_setting('listen_addresses')").fetchone() == ("127.0.0.1",)
        assert cluster.stop() is True
        assert not cluster.is_running()
        assert cluster.init() is False  # already initialised: nothing is recreated
        cluster.start()
        with psycopg.connect(cluster.superuser_url()) as conn:
            assert conn.execute("SELECT x FROM kept").fetchone() == (42,)
            user = conn.execute("SELECT usename FROM pg_user WHERE usesuper").fetchone()
        assert user == ("postgres",)
        cluster.start()  # a second start is a no-op
    finally:
        cluster.stop()
    assert cluster.stop() is False


def test_port_in_use_is_reported_with_the_server_log(tmp_path):
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        cluster = EmbeddedPostgres(root=tmp_path / "pg", port=port)
        with pytest.raises(EmbeddedPostgresError, match=rf"did not start \(port {port}\)") as info:
            cluster.start()
    assert "Address already in use" in str(info.value) or "could not" in str(info.value)


def test_missing_binaries_are_explained(tmp_path, monkeypatch):
    from warehouse import embedded

    monkeypatch.setenv("TANBA_PG_BINDIR", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(embedded.glob, "glob", lambda pattern: [])
    with pytest.raises(EmbeddedPostgresError, match="No PostgreSQL server binaries found"):
        embedded.find_bindir()
