"""The Tanba database, its login roles and the URL each part of the platform connects with.

Four roles, so that no component holds more rights than it needs:
owner (runs migrations, owns ``ops``), api (reads and writes ``ops`` rows, owns nothing),
analytics (dbt and the quality runner: reads ``ops``, builds ``stg``/``int``/``marts``, writes ``dq``),
dashboard (reads ``marts`` and ``dq`` only).
"""

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

ROLES = {
    "owner": "tanba_owner",
    "api": "tanba_api",
    "analytics": "tanba_analytics",
    "dashboard": "tanba_dashboard",
}


@dataclass(frozen=True)
class DatabaseUrls:
    """libpq URLs (``postgresql://``) of the Tanba database, one per role, plus the admin one."""

    admin: str
    owner: str
    api: str
    analytics: str
    dashboard: str
    database: str

    def sqlalchemy(self, role: str, driver: str = "psycopg") -> str:
        return getattr(self, role).replace("postgresql://", f"postgresql+{driver}://", 1)

    def parts(self, role: str) -> dict[str, str | int]:
        url = make_url(getattr(self, role))
        return {
            "host": url.host or "127.0.0.1",
            "port": url.port or 5432,
            "user": url.username or "",
            "password": url.password or "",
            "dbname": url.database or "",
        }


def _load_or_create_credentials(path: Path) -> dict[str, str]:
    creds: dict[str, str] = {}
    if path.exists():
        creds = json.loads(path.read_text())
    changed = False
    for key in ROLES:
        if key not in creds:
            creds[key] = secrets.token_urlsafe(24)
            changed = True
    if changed:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(creds, indent=2))
        os.chmod(tmp, 0o600)
        tmp.replace(path)
    return creds


def database_urls(admin_url: str, database: str, credentials_path: Path) -> DatabaseUrls:
    creds = _load_or_create_credentials(credentials_path)
    base = make_url(admin_url).set(database=database)

    def url_for(key: str) -> str:
        return base.set(username=ROLES[key], password=creds[key]).render_as_string(hide_password=False)

    return DatabaseUrls(
        admin=make_url(admin_url).render_as_string(hide_password=False),
        owner=url_for("owner"),
        api=url_for("api"),
        analytics=url_for("analytics"),
        dashboard=url_for("dashboard"),
        database=database,
    )


def bootstrap(urls: DatabaseUrls) -> bool:
    """Create the roles and the database when missing (idempotent). Returns True if the database was new."""
    creds = {key: make_url(getattr(urls, key)).password for key in ROLES}
    with psycopg.connect(urls.admin, autocommit=True) as conn:
        for key, role in ROLES.items():
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
            verb = "ALTER" if exists else "CREATE"
            conn.execute(
                sql.SQL("{} ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT PASSWORD {}").format(
                    sql.SQL(verb), sql.Identifier(role), sql.Literal(creds[key])
                )
            )
        created = False
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (urls.database,)).fetchone():
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {} ENCODING 'UTF8' TEMPLATE template0").format(
                    sql.Identifier(urls.database), sql.Identifier(ROLES["owner"])
                )
            )
            created = True
    # Nobody but the owner may create objects in public; every role may connect.
    with psycopg.connect(make_url(urls.admin).set(database=urls.database).render_as_string(False),
                         autocommit=True) as conn:
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        conn.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(sql.Identifier(ROLES["owner"])))
        for key in ("api", "analytics", "dashboard"):
            conn.execute(
                sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
                    sql.Identifier(urls.database), sql.Identifier(ROLES[key])
                )
            )
        # dbt creates its own schemas (stg, int) in the analytics role's name.
        conn.execute(
            sql.SQL("GRANT CREATE ON DATABASE {} TO {}").format(
                sql.Identifier(urls.database), sql.Identifier(ROLES["analytics"])
            )
        )
    return created
