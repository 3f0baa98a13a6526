"""The SQL inside the quality suites: how it refers to the batch, and the BIN/IIN check digit rule."""

import random
import re
from types import ModuleType

import psycopg
import pytest

from api.domain.participants.rules import check_digit as reference_check_digit
from quality.suites import SUITES, ops_participants
from warehouse.roles import DatabaseUrls

QUERIES = [
    pytest.param(module, name, id=f"{module.SUITE}.{name}")
    for module in SUITES
    for name, value in vars(module).items()
    if isinstance(value, str) and "{batch}" in value
]




def test_every_suite_has_build_and_names_its_asset() -> None:
    for module in SUITES:
        assert callable(module.build)
        assert tuple(module.ASSET.split(".")) == (module.SCHEMA, module.TABLE)
    assert len({m.SUITE for m in SUITES}) == len(SUITES)


@pytest.mark.parametrize(("module", "name"), QUERIES)
def test_query_aliases_the_batch_as_gx_requires(module: ModuleType, name: str) -> None:
    """GX 1.24 appends ``AS subselect`` to {batch} unless the query has a JOIN; then it must alias it."""
    query = getattr(module, name)
    query.format(batch="t")  # every other brace is doubled
    aliased = re.search(r"\{batch\}\s+as\s+\w+", query, re.IGNORECASE) is not None
    has_join = re.search(r"\bjoin\b", query, re.IGNORECASE) is not None
    assert aliased == has_join, f"{name}: JOIN={has_join} but batch aliased={aliased}"


def test_check_digit_query_flags_exactly_the_invalid_numbers(db_urls: DatabaseUrls) -> None:
    rng = random.Random(20261125)
    prefixes = [f"{rng.randrange(10**11):011d}" for _ in range(400)]
    # a prefix for which no check digit exists (both passes give 10) must flag all ten numbers
    impossible = next(p for p in (f"{n:011d}" for n in range(10**6)) if reference_check_digit(p) is None)
    prefixes.append(impossible)
    numbers = [p + str(last) for p in prefixes for last in range(10)]
    expected_bad = {n for n in numbers if reference_check_digit(n[:11]) != int(n[11])}

    query = ops_participants.BAD_CHECK_DIGIT.format(batch="numbers")
    with psycopg.connect(db_urls.analytics) as conn:
        conn.execute("CREATE TEMPORARY TABLE numbers (bin char(12))")
        with conn.cursor().copy("COPY numbers (bin) FROM STDIN") as copy:
            for number in numbers:
                copy.write_row((number,))
        flagged = {row[0] for row in conn.execute(query)}

    assert flagged == expected_bad
    assert {impossible + str(d) for d in range(10)} <= flagged
