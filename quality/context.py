"""The ephemeral Great Expectations context the suites are built in, and its one PostgreSQL data source.

Writing an ``UnexpectedRowsExpectation`` query (GX 1.24 substitutes ``{batch}`` with a subquery):
- a query that contains the word JOIN must alias the batch itself: ``from {batch} as participant``;
- a query without JOIN must leave it bare: ``from {batch}`` (GX appends ``AS subselect``);
- literal braces are doubled (``'^[0-9]{{12}}$'``), since the query goes through ``str.format``.
tests/unit/test_quality_suites.py checks the first two rules for every suite.
"""

import logging
import os

import great_expectations as gx
from great_expectations.core.batch_definition import BatchDefinition
from great_expectations.data_context import AbstractDataContext
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.datasource.fluent import SQLDatasource

DATASOURCE = "tanba"


def ephemeral_context(connection_string: str) -> AbstractDataContext:
    """A context kept in memory only, reading the database through ``connection_string``.

    ``connection_string`` is a SQLAlchemy URL with the psycopg driver (``postgresql+psycopg://``).
    """
    # Usage statistics and progress bars are off: the runner runs unattended and offline.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    # GX's INFO lines are internals (one module forces its logger to INFO); keep warnings and errors.
    for name in ("great_expectations", "great_expectations.data_context.types.base"):
        logging.getLogger(name).setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    context.data_sources.add_postgres(name=DATASOURCE, connection_string=connection_string)
    return context


def close_context(context: AbstractDataContext) -> None:
    """Release the data source's pooled connections now (GX drops them only when garbage-collected)."""
    source = context.data_sources.get(DATASOURCE)
    if isinstance(source, SQLDatasource):
        source.get_execution_engine().engine.dispose()
        source.get_engine().dispose()


def whole_table(context: AbstractDataContext, schema: str, table: str) -> BatchDefinition:
    """A batch of every row of ``schema.table``, as an asset named after the table."""
    source = context.data_sources.get(DATASOURCE)
    if not isinstance(source, SQLDatasource):
        raise TypeError(f"data source {DATASOURCE!r} is not SQL: build it with ephemeral_context()")
    asset = source.add_table_asset(name=f"{schema}.{table}", table_name=table, schema_name=schema)
    return asset.add_batch_definition_whole_table("all_rows")


def current_reference_entries_sql(directory: str) -> str:
    """SQL of today's entries of a reference directory: the latest version of each code, if valid now.

    The same rule as warehouse/reference/queries.py and the dbt macro current_reference_entries.
    """
    return f"""
        select latest.*
        from (
            select distinct on (code) *
            from ops.reference_entry
            where directory = '{directory}'
            order by code, version desc
        ) as latest
        where latest.valid_from <= current_date
          and (latest.valid_to is null or latest.valid_to > current_date)
    """
