"""Validates every suite against the database and records one dq.validation_run row per suite."""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from great_expectations.core.expectation_validation_result import (
    ExpectationSuiteValidationResult,
    ExpectationValidationResult,
)
from great_expectations.data_context import AbstractDataContext
from great_expectations.expectations.metadata_types import FailureSeverity

from quality.context import close_context, ephemeral_context
from quality.suites import SUITES
from warehouse.database import Database
from warehouse.models import ValidationRun
from warehouse.roles import DatabaseUrls

# A failed expectation of lower severity is reported but does not fail its suite.
BLOCKING_SEVERITY = FailureSeverity.CRITICAL.value
# Kwargs summarised in dq.validation_run.details: long values (SQL) are cut, GX internals dropped.
_HIDDEN_KWARGS = {"batch_id"}
_KWARG_MAX = 160


@dataclass(frozen=True)
class SuiteOutcome:
    """How one suite fared; ``details`` lists its failed expectations (the dq.validation_run.details)."""

    suite: str
    asset: str
    success: bool
    evaluated: int
    failed: int
    details: list[dict[str, Any]]


@dataclass
class QualityReport:
    """The outcome of one quality run: every suite under one run id."""

    run_id: uuid.UUID
    suites: list[SuiteOutcome] = field(default_factory=list)

    @property
    def success(self) -> bool:
        return all(s.success for s in self.suites)

    @property
    def failed_suites(self) -> list[str]:
        return [s.suite for s in self.suites if not s.success]


def _summarise_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for key, value in kwargs.items():
        if key in _HIDDEN_KWARGS or value is None:
            continue
        if isinstance(value, str):
            text = " ".join(value.split())
            summary[key] = text if len(text) <= _KWARG_MAX else text[: _KWARG_MAX - 1] + "…"
        else:
            summary[key] = value
    return summary


def _jsonable(value: Any) -> Any:
    """Observed values may be numpy scalars, Decimals or dates; keep JSON's own types, stringify the rest."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if hasattr(value, "item"):  # numpy scalar
        return _jsonable(value.item())
    return str(value)


def _failure_detail(result: ExpectationValidationResult) -> dict[str, Any]:
    config = result.expectation_config
    outcome = result.result or {}
    detail: dict[str, Any] = {
        "expectation": config.type if config else None,
        "description": config.description if config else None,
        "severity": _severity(result),
        "kwargs": _summarise_kwargs(dict(config.kwargs)) if config else {},
        "observed_value": _jsonable(outcome.get("observed_value")),
        "unexpected_count": _jsonable(outcome.get("unexpected_count")),
    }
    if "partial_unexpected_list" in outcome:
        detail["unexpected_sample"] = _jsonable(outcome["partial_unexpected_list"][:5])
    if message := _exception_message(result):
        detail["exception"] = message
    return {k: v for k, v in detail.items() if v is not None}


def _exception_message(result: ExpectationValidationResult) -> str | None:
    """The first error raised while evaluating the expectation (GX nests it per metric)."""
    info = result.exception_info or {}
    candidates = [info, *(v for v in info.values() if isinstance(v, dict))]
    for candidate in candidates:
        if candidate.get("raised_exception"):
            return str(candidate.get("exception_message"))[:500]
    return None


def _severity(result: ExpectationValidationResult) -> str:
    config = result.expectation_config
    severity = getattr(config, "severity", None) if config else None
    return str(getattr(severity, "value", severity) or BLOCKING_SEVERITY)


def _outcome(suite: str, asset: str, validation: ExpectationSuiteValidationResult) -> SuiteOutcome:
    failures = [r for r in validation.results if not r.success]
    blocking = [r for r in failures if _severity(r) == BLOCKING_SEVERITY]
    return SuiteOutcome(
        suite=suite,
        asset=asset,
        success=not blocking,
        evaluated=len(validation.results),
        failed=len(failures),
        details=[_failure_detail(r) for r in failures],
    )


def _record(urls: DatabaseUrls, report: QualityReport) -> None:
    database = Database.for_role(urls, "analytics", pool_size=1)
    try:
        with database.session() as session:
            session.add_all(
                ValidationRun(
                    run_id=report.run_id,
                    suite=s.suite,
                    asset=s.asset,
                    success=s.success,
                    evaluated=s.evaluated,
                    failed=s.failed,
                    details=s.details,
                )
                for s in report.suites
            )
    finally:
        database.dispose()


def _validate(context: AbstractDataContext, module: ModuleType) -> SuiteOutcome:
    try:
        validation = module.build(context).run(result_format="SUMMARY")
    except Exception as exc:  # a missing table or a lost connection fails the suite, not the run
        return SuiteOutcome(
            suite=module.SUITE, asset=module.ASSET, success=False, evaluated=0, failed=0,
            details=[{"exception": " ".join(f"{type(exc).__name__}: {exc}".split())[:500]}],
        )
    return _outcome(module.SUITE, module.ASSET, validation)


def _tell(outcome: SuiteOutcome, progress: Callable[[str], None]) -> None:
    verdict = "OK" if outcome.success else "FAILED"
    if outcome.evaluated:
        met = f"{outcome.evaluated - outcome.failed}/{outcome.evaluated} expectations met"
    else:
        met = "could not be validated"
    progress(f"quality {outcome.suite} on {outcome.asset}: {met} ... {verdict}")
    for detail in outcome.details:
        what = detail.get("description") or detail.get("expectation") or "validation"
        seen = detail.get("exception") or detail.get("unexpected_count", detail.get("observed_value"))
        progress(f"  {detail.get('severity', BLOCKING_SEVERITY)}: {what} (observed: {seen})")


def run_quality(urls: DatabaseUrls, progress: Callable[[str], None] = print) -> QualityReport:
    """Validate every suite as the analytics role, record the results in dq, and return them."""
    report = QualityReport(run_id=uuid.uuid4())
    context = ephemeral_context(urls.sqlalchemy("analytics"))
    try:
        for module in SUITES:
            outcome = _validate(context, module)
            report.suites.append(outcome)
            _tell(outcome, progress)
    finally:
        close_context(context)
    _record(urls, report)
    return report
