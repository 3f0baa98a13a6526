"""Expectations on marts.fct_participants_by_region: its shape, and that it adds up to ops.participant."""

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.data_context import AbstractDataContext

from quality.context import whole_table

SUITE = "marts_participants_by_region"
SCHEMA = "marts"
TABLE = "fct_participants_by_region"
ASSET = f"{SCHEMA}.{TABLE}"

COLUMNS = [
    "region_kato", "region_name_kk", "region_name_ru", "region_name_en", "region_lat", "region_lon",
    "participant_type", "participants_total", "participants_active",
]

# One row per (participant, type) in ops, counted once each: the mart must neither lose nor double them.
TOTAL_DIFFERS_FROM_OPS = """
    select mart.total as mart_total, ops.total as ops_total
    from (select coalesce(sum(participants_total), 0) as total from {batch} as fct) as mart
    cross join (
        select count(*) as total
        from (select distinct bin, unnest(types) from ops.participant) as pairs
    ) as ops
    where mart.total <> ops.total
"""

ACTIVE_DIFFERS_FROM_OPS = """
    select mart.active as mart_active, ops.active as ops_active
    from (select coalesce(sum(participants_active), 0) as active from {batch} as fct) as mart
    cross join (
        select count(*) as active
        from (select distinct bin, unnest(types) from ops.participant where state = 'ACTIVE') as pairs
    ) as ops
    where mart.active <> ops.active
"""


def build(context: AbstractDataContext) -> gx.ValidationDefinition:
    """The suite of the participants-by-region mart bound to the whole table."""
    suite = context.suites.add(gx.ExpectationSuite(name=SUITE))
    for expectation in (
        gxe.ExpectTableColumnsToMatchOrderedList(
            column_list=COLUMNS, description="The columns of the mart's contract, in order."
        ),
        gxe.ExpectCompoundColumnsToBeUnique(
            column_list=["region_kato", "participant_type"],
            description="One row per region and participant type.",
        ),
        gxe.ExpectColumnValuesToMatchRegex(
            column="region_kato", regex=r"^[0-9]{9}$", description="A region is a 9-digit KATO code."
        ),
        gxe.ExpectColumnValuesToBeBetween(column="participants_total", min_value=1),
        gxe.ExpectColumnValuesToBeBetween(column="participants_active", min_value=0),
        gxe.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="participants_total",
            column_B="participants_active",
            or_equal=True,
            description="No more active participants than participants.",
        ),
        # Kazakhstan lies within 40.5–55.5° N and 46.5–87.4° E: a coordinate outside is a typo.
        gxe.ExpectColumnValuesToBeBetween(column="region_lat", min_value=40.0, max_value=56.0),
        gxe.ExpectColumnValuesToBeBetween(column="region_lon", min_value=46.0, max_value=88.0),
        gxe.UnexpectedRowsExpectation(
            unexpected_rows_query=TOTAL_DIFFERS_FROM_OPS,
            description="participants_total adds up to the (participant, type) pairs in ops.participant.",
        ),
        gxe.UnexpectedRowsExpectation(
            unexpected_rows_query=ACTIVE_DIFFERS_FROM_OPS,
            description="participants_active adds up to the active (participant, type) pairs in ops.",
        ),
    ):
        suite.add_expectation(expectation)
    batch = whole_table(context, SCHEMA, TABLE)
    return context.validation_definitions.add(gx.ValidationDefinition(name=SUITE, data=batch, suite=suite))
