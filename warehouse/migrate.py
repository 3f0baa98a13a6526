"""Running the alembic migrations of the ``ops`` and ``dq`` schemas from code (the CLI and the tests)."""

from pathlib import Path
from types import ModuleType

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(owner_url: str) -> Config:
    """owner_url: a SQLAlchemy URL of the owner role (``postgresql+psycopg://…``)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", owner_url.replace("%", "%%"))
    return config


def upgrade(owner_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(owner_url), revision)


def downgrade(owner_url: str, revision: str) -> None:
    command.downgrade(alembic_config(owner_url), revision)


def migrate_to(owner_url: str, revision: str = "head") -> None:
    """Up or down to ``revision``, whichever way it lies: a revision older than the database's is reached by
    downgrading (alembic's ``upgrade`` to an older revision does nothing), ``-N`` and ``base`` go down, ``head``
    and newer revisions up. An unknown revision raises LookupError and changes nothing."""
    if revision.startswith("-") or revision == "base":
        downgrade(owner_url, revision)
        return
    if revision == "head":
        upgrade(owner_url)
        return
    script = ScriptDirectory.from_config(alembic_config("postgresql://"))
    known = {s.revision for s in script.walk_revisions()}
    if revision not in known:
        raise LookupError(f"no migration revision {revision!r} (known: {', '.join(sorted(known))})")
    current = current_revision(owner_url)
    # the database's revision and its ancestors: a downgrade reaches them
    below = {s.revision for s in script.iterate_revisions(current, "base")} if current else set()
    if revision in below:
        downgrade(owner_url, revision)
    else:
        upgrade(owner_url, revision)


def current_revision(owner_url: str) -> str | None:
    engine = create_engine(owner_url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("postgresql://")).get_current_head()


def revision_module(revision: str) -> ModuleType:
    """An earlier revision's module: a downgrade restores what it had replaced from the revision that made it."""
    script = ScriptDirectory.from_config(alembic_config("postgresql://")).get_revision(revision)
    if script is None:
        raise LookupError(f"no migration revision {revision}")
    return script.module


def changed(text: str, changes: tuple[tuple[str, str], ...], revision: str, source: str) -> str:
    """An earlier revision's SQL with ``changes`` (old, new) applied, each exactly once: a revision that no
    longer reads as expected fails loudly instead of installing a half-changed function."""
    for old, new in changes:
        if text.count(old) != 1:
            raise RuntimeError(f"{revision}: {source}'s function no longer reads {old[:60]!r} exactly once")
        text = text.replace(old, new)
    return text
