"""Helpers shared by the test fixtures: databases cloned from a migrated template."""

import threading
from collections.abc import Callable
from pathlib import Path

import psycopg
from psycopg import sql

from warehouse.roles import ROLES, DatabaseUrls, bootstrap, database_urls


def clone_database(template: DatabaseUrls, admin_url: str, credentials_path: Path, name: str) -> DatabaseUrls:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {} OWNER {} STRATEGY FILE_COPY").format(
                sql.Identifier(name), sql.Identifier(template.database), sql.Identifier(ROLES["owner"])
            )
        )
    urls = database_urls(admin_url, name, credentials_path)
    bootstrap(urls)  # database-level grants are not copied from the template
    return urls


def drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def outcome_after_release(holder: psycopg.Connection, work: Callable[[], object]) -> dict[str, object]:
    """Runs ``work`` in a thread while ``holder``'s transaction holds locks it needs: it must still be waiting
    after a second; then ``holder`` commits, and the work's outcome is {"ok": its result} or {"error": …}."""
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["ok"] = work()
        except Exception as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(1.0)
    assert thread.is_alive(), f"the work did not wait: {outcome}"
    holder.commit()
    holder.close()
    thread.join(10)
    return outcome
