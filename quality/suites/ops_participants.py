"""Expectations on ops.participant: the participants' identifiers, KATO regions and types."""

import great_expectations as gx
import great_expectations.expectations as gxe
from great_expectations.data_context import AbstractDataContext
from great_expectations.expectations.metadata_types import FailureSeverity

from quality.context import current_reference_entries_sql, whole_table

SUITE = "ops_participants"
SCHEMA = "ops"
TABLE = "participant"
ASSET = f"{SCHEMA}.{TABLE}"

# The check digit of a BIN/IIN: digits 1–11 weighted 1..11, sum mod 11; when that gives 10, weighted
# 3..11,1,2 instead; when that gives 10 again no check digit exists and the number is invalid.
# (Same rule as api/domain/participants/rules.py check_digit.) See quality.context on writing queries.
BAD_CHECK_DIGIT = """
    with digits as (
        select bin, array(select substr(bin, i, 1)::int from generate_series(1, 12) as i) as d
        from {batch}
        where bin ~ '^[0-9]{{12}}$'
    ),
    passes as (
        select
            bin,
            d[12] as given,
            (select sum(d[i] * i) from generate_series(1, 11) as i) % 11 as first_pass,
            (select sum(d[i] * ((i + 1) % 11 + 1)) from generate_series(1, 11) as i) % 11 as second_pass
        from digits
    )
    select bin, given, first_pass, second_pass
    from passes
    where given is distinct from case
        when first_pass <> 10 then first_pass
        when second_pass <> 10 then second_pass
    end
"""

# The fifth digit tells an IIN (0–3: the tens of the birth day) from a BIN (4–6).
INDIVIDUAL_FLAG_CONTRADICTS_NUMBER = """
    select bin, is_individual
    from {batch}
    where is_individual <> (substr(bin, 5, 1) in ('0', '1', '2', '3'))
"""

UNKNOWN_REGION = f"""
    select participant.bin, participant.kato, left(participant.kato, 2) || '0000000' as region_kato
    from {{batch}} as participant
    left join ({current_reference_entries_sql("kato_regions")}) as region
        on region.code = left(participant.kato, 2) || '0000000'
    where region.code is null
"""

UNKNOWN_TYPE = f"""
    select participant.bin, held.type
    from {{batch}} as participant
    cross join lateral unnest(participant.types) as held(type)
    where held.type not in (select code from ({current_reference_entries_sql("participant_types")}) as t)
"""


def build(context: AbstractDataContext) -> gx.ValidationDefinition:
    """The participants suite bound to the whole ops.participant table."""
    suite = context.suites.add(gx.ExpectationSuite(name=SUITE))
    for expectation in (
        gxe.ExpectTableRowCountToBeBetween(
            min_value=1, description="There is at least one participant."
        ),
        gxe.ExpectColumnValuesToNotBeNull(column="bin"),
        gxe.ExpectColumnValuesToMatchRegex(
            column="bin", regex=r"^[0-9]{12}$", description="A BIN or IIN is 12 digits."
        ),
        gxe.UnexpectedRowsExpectation(
            unexpected_rows_query=BAD_CHECK_DIGIT,
            description="Every BIN/IIN has a valid check digit.",
        ),
        gxe.UnexpectedRowsExpectation(
            unexpected_rows_query=INDIVIDUAL_FLAG_CONTRADICTS_NUMBER,
            description="is_individual agrees with the fifth digit of the number (0–3: IIN).",
        ),
        gxe.ExpectColumnValuesToMatchRegex(
            column="kato", regex=r"^[0-9]{9}$", description="A KATO code is 9 digits."
        ),
        gxe.UnexpectedRowsExpectation(
            unexpected_rows_query=UNKNOWN_TYPE,
            description="Every participant type is a current entry of the participant_types directory.",
        ),
        # A warning only: the marts count such participants under the region 'Unknown'.
        gxe.UnexpectedRowsExpectation(
            unexpected_rows_query=UNKNOWN_REGION,
            description="Every participant's KATO region is a current entry of the kato_regions directory.",
            severity=FailureSeverity.WARNING,
        ),
    ):
        suite.add_expectation(expectation)
    batch = whole_table(context, SCHEMA, TABLE)
    return context.validation_definitions.add(gx.ValidationDefinition(name=SUITE, data=batch, suite=suite))
