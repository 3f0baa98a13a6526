"""Read-only queries of the marts and the data-quality results that the dashboards show.

Only ``marts`` and ``dq`` are read, through the read-only ``tanba_dashboard`` role, in read-only
transactions. A mart that dbt has not built yet is a normal state of a fresh installation, reported
as :class:`MartNotBuilt`; a database that cannot be reached is :class:`DataSourceUnavailable`.
"""

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pandas as pd
import psycopg
from psycopg import errors as pg_errors
from sqlalchemy import Connection, Engine, TextClause, text
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from warehouse.database import Database

PARTICIPANT_COLUMNS = (
    "region_kato",
    "region_name_kk",
    "region_name_ru",
    "region_name_en",
    "region_lat",
    "region_lon",
    "participant_type",
    "participants_total",
    "participants_active",
)

PARTICIPANTS_BY_REGION = text(
    f"SELECT {', '.join(PARTICIPANT_COLUMNS)} FROM marts.fct_participants_by_region "
    "ORDER BY region_kato, participant_type"
)

# Bounds each dashboard transaction, so a slow query cannot hold a web worker indefinitely.
SET_STATEMENT_TIMEOUT = text("SELECT set_config('statement_timeout', :timeout, true)")

# The suites of the newest run (a run is the set of rows sharing one run_id).
LATEST_VALIDATION_RUN = text(
    """
    SELECT run_id, suite, asset, success, evaluated, failed, run_at
    FROM dq.validation_run
    WHERE run_id = (SELECT run_id FROM dq.validation_run ORDER BY run_at DESC, id DESC LIMIT 1)
    ORDER BY suite, asset
    """
)


class MartNotBuilt(LookupError):
    """The table does not exist yet: the pipeline (dbt) has not built it."""


class DataSourceUnavailable(RuntimeError):
    """The database could not be reached or did not answer in time."""


@dataclass(frozen=True)
class SuiteResult:
    suite: str
    asset: str
    success: bool
    evaluated: int
    failed: int


@dataclass(frozen=True)
class ValidationRun:
    """The newest data-quality run: when it finished and how each suite fared."""

    run_id: uuid.UUID
    run_at: dt.datetime
    suites: tuple[SuiteResult, ...]

    @property
    def success(self) -> bool:
        return all(s.success for s in self.suites)

    @property
    def failed_suites(self) -> tuple[SuiteResult, ...]:
        return tuple(s for s in self.suites if not s.success)


class MartReader:
    """The dashboards' read access to the warehouse: one engine (and pool) per app."""

    def __init__(self, dashboard_db_url: str, pool_size: int = 5, statement_timeout: str = "15s") -> None:
        self._database = Database(url=dashboard_db_url, pool_size=pool_size)
        self._statement_timeout = statement_timeout

    @property
    def engine(self) -> Engine:
        return self._database.engine

    def dispose(self) -> None:
        self._database.dispose()

    @contextmanager
    def _connection(self, table: str) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                # BEGIN READ ONLY: a second guard beside the role's grants.
                conn.execution_options(postgresql_readonly=True)
                conn.execute(SET_STATEMENT_TIMEOUT, {"timeout": self._statement_timeout})
                yield conn
        except (SQLAlchemyError, pd.errors.DatabaseError) as exc:
            cause = _driver_error(exc)
            if isinstance(cause, pg_errors.UndefinedTable):
                raise MartNotBuilt(table) from exc
            if isinstance(cause, psycopg.OperationalError):  # refused, gone, timed out
                raise DataSourceUnavailable(str(cause)) from exc
            raise

    def _frame(self, query: TextClause, table: str) -> pd.DataFrame:
        with self._connection(table) as conn:
            return pd.read_sql(query, conn)

    def participants_by_region(self) -> pd.DataFrame:
        """One row per KATO region and participant type (columns: :data:`PARTICIPANT_COLUMNS`)."""
        return self._frame(PARTICIPANTS_BY_REGION, "marts.fct_participants_by_region")

    def latest_validation_run(self) -> ValidationRun | None:
        """The newest data-quality run, or None when the quality runner has never run."""
        try:
            with self._connection("dq.validation_run") as conn:
                rows = conn.execute(LATEST_VALIDATION_RUN).all()
        except MartNotBuilt:
            return None
        if not rows:
            return None
        return ValidationRun(
            run_id=rows[0].run_id,
            run_at=max(r.run_at for r in rows),
            suites=tuple(
                SuiteResult(suite=r.suite, asset=r.asset, success=r.success, evaluated=r.evaluated, failed=r.failed)
                for r in rows
            ),
        )


def _driver_error(exc: BaseException) -> BaseException | None:
    """The psycopg error under a SQLAlchemy error, or under the pandas error that wraps one."""
    current: BaseException | None = exc
    while current is not None:
        if isinstance(current, DBAPIError):
            return current.orig
        current = current.__cause__
    return None
