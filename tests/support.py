"""Helpers shared by the test fixtures: databases cloned from a migrated template."""

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
