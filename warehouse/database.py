"""The one place that opens database connections and sessions, for every role and both I/O styles."""

from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from psycopg_pool import AsyncConnectionPool
from sqlalchemy import Engine, TextClause, create_engine, make_url, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, sessionmaker

from tanba.settings import Settings
from warehouse.batching import Batcher
from warehouse.embedded import EmbeddedPostgres
from warehouse.roles import DatabaseUrls, bootstrap, database_urls


class LockSpace(IntEnum):
    """Spaces of the two-key transaction advisory locks, one per kind of key, all named here so none share
    one. (One-key locks, such as the emission worker's on an order, are a separate space in PostgreSQL.)"""

    VIOLATION_ID = 4_002  # copies of one violation report
    APPLICATION_BIN = 4_003  # a BIN's participant applications
    DOCUMENT_ID = 4_004  # submissions of one document id (a CODE_ORDER is a document: one id space)
    DOCUMENT_SENDER = 4_005  # processing of one sender's documents, one at a time and in the order received


async def hold_until_commit(session: AsyncSession, space: LockSpace, key: str) -> None:
    """Wait for, then hold to the end of the transaction, the lock on ``key`` in ``space``: requests for the
    same key run one after another, so a retry racing its original finds it committed."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:space, hashtext(:key))"),
                          {"space": int(space), "key": key})


def embedded_cluster(settings: Settings) -> EmbeddedPostgres:
    return EmbeddedPostgres(root=settings.var_dir / "postgres", port=settings.embedded_port)


def resolve_urls(settings: Settings, start_embedded: bool = True) -> DatabaseUrls:
    """The URLs of every role; starts the embedded cluster first when no URL is configured."""
    if settings.database_url is None:
        cluster = embedded_cluster(settings)
        if start_embedded:
            cluster.start()
        admin = cluster.superuser_url()
    else:
        admin = settings.database_url
    return database_urls(admin, settings.database_name, settings.credentials_path)


def prepare_database(settings: Settings) -> DatabaseUrls:
    """Start (if embedded), create roles and database when missing, and migrate to the newest schema."""
    from warehouse import migrate

    urls = resolve_urls(settings)
    bootstrap(urls)
    migrate.upgrade(urls.sqlalchemy("owner"))
    return urls


def _set_config(context: Mapping[str, str | None]) -> tuple[TextClause, dict[str, str]]:
    names = sorted(context)
    statement = text("SELECT " + ", ".join(f"set_config(:k{i}, :v{i}, true)" for i in range(len(names))))
    params = {}
    for i, name in enumerate(names):
        params[f"k{i}"] = name
        params[f"v{i}"] = context[name] or ""
    return statement, params


@dataclass
class Database:
    """Engines of one role. Sync sessions serve the CLI and loaders; async sessions serve the API."""

    url: str  # SQLAlchemy URL with the psycopg driver
    pool_size: int = 10
    _engine: Engine | None = field(default=None, repr=False)
    _async_engine: AsyncEngine | None = field(default=None, repr=False)
    _async_maker: async_sessionmaker[AsyncSession] | None = field(default=None, repr=False)
    _raw_pool: AsyncConnectionPool | None = field(default=None, repr=False)
    _batchers: dict[str, Batcher[Any, Any]] = field(default_factory=dict, repr=False)

    @classmethod
    def for_role(cls, urls: DatabaseUrls, role: str, pool_size: int = 10) -> "Database":
        return cls(url=urls.sqlalchemy(role), pool_size=pool_size)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = create_engine(
                self.url, pool_size=self.pool_size, pool_pre_ping=True, connect_args={"connect_timeout": 5}
            )
        return self._engine

    @property
    def async_engine(self) -> AsyncEngine:
        if self._async_engine is None:
            # No pre-ping on the API's hot path (it would cost a round trip per checkout); connections
            # are recycled hourly and a broken one surfaces as a 503 problem, then is replaced.
            self._async_engine = create_async_engine(
                self.url, pool_size=self.pool_size, max_overflow=self.pool_size, pool_recycle=3600,
                connect_args={"connect_timeout": 5},
            )
        return self._async_engine

    @contextmanager
    def session(self, context: Mapping[str, str | None] | None = None) -> Iterator[Session]:
        """A session in one transaction: committed when the block ends, rolled back on error.

        ``context`` sets transaction-local settings (``tanba.bin``, ``tanba.role`` …) that the
        row-level security policies read; they vanish with the transaction, never leak to the next.
        """
        with sessionmaker(self.engine, expire_on_commit=False).begin() as session:
            if context:
                session.execute(*_set_config(context))
            yield session

    @asynccontextmanager
    async def async_session(self, context: Mapping[str, str | None] | None = None) -> AsyncIterator[AsyncSession]:
        if self._async_maker is None:
            self._async_maker = async_sessionmaker(self.async_engine, expire_on_commit=False)
        async with self._async_maker.begin() as session:
            if context:
                await session.execute(*_set_config(context))
            yield session

    async def _pool(self) -> AsyncConnectionPool:
        """A plain psycopg pool in autocommit: the cheapest round trip, for hot statements."""
        if self._raw_pool is None:
            pool = AsyncConnectionPool(
                make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False),
                min_size=1, max_size=self.pool_size, open=False, kwargs={"autocommit": True},
                timeout=5,  # waiting longer for a connection only delays the 503 when the database is down
            )
            await pool.open()
            self._raw_pool = pool
        return self._raw_pool

    async def fetch_one(self, query: str, params: Sequence[object]) -> tuple[object, ...] | None:
        """One statement (its own transaction), first row."""
        async with (await self._pool()).connection() as conn:
            cursor = await conn.execute(query, params)
            return await cursor.fetchone()

    async def fetch_all(self, query: str, params: Sequence[object]) -> list[tuple[object, ...]]:
        """One statement (its own transaction), every row."""
        async with (await self._pool()).connection() as conn:
            cursor = await conn.execute(query, params)
            return await cursor.fetchall()

    def batcher(self, name: str, make: Callable[["Database"], Batcher[Any, Any]]) -> Batcher[Any, Any]:
        """The process's batcher called ``name`` on this database, made on first use."""
        if name not in self._batchers:
            self._batchers[name] = make(self)
        return self._batchers[name]

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()

    async def async_dispose(self) -> None:
        if self._async_engine is not None:
            await self._async_engine.dispose()
        if self._raw_pool is not None:
            await self._raw_pool.close()
