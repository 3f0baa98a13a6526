"""The analytics pipeline: build and test the dbt project in-process, then run the quality suites."""

import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from warehouse.roles import DatabaseUrls

# dbt result statuses, as the operator reads them.
_VERDICTS = {
    "success": "OK",
    "pass": "OK",
    "no-op": "NO-OP",
    "warn": "WARN",
    "fail": "FAIL",
    "error": "ERROR",
    "runtime error": "ERROR",
    "skipped": "SKIP",
    "partial success": "PARTIAL",
}
_FAILED = {"FAIL", "ERROR", "SKIP", "PARTIAL"}


@dataclass
class _BuildProgress:
    """Turns dbt's structured events into one progress line per finished node, and keeps the failures."""

    progress: Callable[[str], None]
    positions: dict[str, tuple[int, int]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    # dbt runs nodes in several threads and calls back from each: one line at a time.
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, event: Any) -> None:
        with self._lock:
            self._handle(event)

    def _handle(self, event: Any) -> None:
        name = event.info.name
        data = event.data
        if name in {"LogStartLine", "LogNodeNoOpResult", "SkippingDetails"}:
            self.positions[data.node_info.unique_id] = (data.index, data.total)
        elif name == "NodeFinished":
            node, result = data.node_info, data.run_result
            verdict = _VERDICTS.get(result.status, result.status.upper())
            if verdict == "FAIL" and result.num_failures:
                verdict = f"FAIL {result.num_failures}"
            self._line(node.unique_id, node.resource_type, node.node_name, verdict, result.execution_time)
            if verdict == "SKIP":
                self.skipped.append(node.node_name)
            elif verdict.split()[0] in _FAILED:
                what = f"{node.resource_type} {node.node_name}: {verdict}"
                message = _one_line(result.message or "")
                self.failures.append(f"{what}: {message}" if message else what)
        elif event.info.level == "error" and name not in {"RunResultError", "RunResultFailure"}:
            self.errors.append(event.info.msg)

    def _line(self, unique_id: str, kind: str, node: str, verdict: str, seconds: float | None) -> None:
        index, total = self.positions.get(unique_id, (0, 0))
        where = f"[{index}/{total}] " if total else ""
        took = f" ({seconds:.2f}s)" if seconds else ""
        self.progress(f"{where}{kind} {node} ... {verdict}{took}")


@contextmanager
def _dbt_environment(urls: DatabaseUrls) -> Iterator[None]:
    """The variables profiles.yml reads, set for the duration of the build and restored after."""
    values = {f"TANBA_DBT_{key.upper()}": str(value) for key, value in urls.parts("analytics").items()}
    values["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_dbt_build(
    urls: DatabaseUrls, dbt_project_dir: Path, work_dir: Path, progress: Callable[[str], None]
) -> list[str]:
    """``dbt build`` in this process, as the analytics role; returns what failed (empty: all passed).

    dbt's own output, its target/ and its logs go under ``work_dir``, never into the source tree.
    """
    from dbt.cli.main import dbtRunner  # imported here: dbt is heavy and only the pipeline needs it

    tracker = _BuildProgress(progress)
    args = [
        "build",
        "--project-dir", str(dbt_project_dir),
        "--profiles-dir", str(dbt_project_dir),
        "--target-path", str(work_dir / "target"),
        "--log-path", str(work_dir / "logs"),
        "--log-level", "none",  # the console is ours; dbt.log under work_dir keeps the details
        "--log-level-file", "debug",
        "--no-use-colors",
        "--no-version-check",
    ]
    with _dbt_environment(urls):
        result = dbtRunner(callbacks=[tracker]).invoke(args)
    if result.success:
        return []
    problems = list(tracker.failures)
    if tracker.skipped:
        problems.append(f"skipped because of it: {', '.join(tracker.skipped)}")
    if result.exception is not None:  # dbt stopped before or between nodes (connection, parsing …)
        problems.append(f"dbt: {type(result.exception).__name__}: {_one_line(str(result.exception))}")
    elif not problems:
        log = work_dir / "logs" / "dbt.log"
        problems = [_one_line(e) for e in tracker.errors] or [f"dbt build failed (see {log})"]
    return problems


def _one_line(text: str) -> str:
    return " ".join(text.split())


def run_pipeline(
    urls: DatabaseUrls,
    dbt_project_dir: Path,
    progress: Callable[[str], None] = print,
    work_dir: Path | None = None,
) -> bool:
    """Build the warehouse (dbt build: models and their tests), then validate it (quality suites).

    Returns True when every step passed; otherwise says through ``progress`` which step and which
    nodes or suites failed. ``work_dir`` keeps dbt's target/ and logs/ (e.g. ``var/dbt``); when
    None, a temporary folder is used and removed afterwards.
    """
    if work_dir is None:
        with tempfile.TemporaryDirectory(prefix="tanba-dbt-") as tmp:
            return run_pipeline(urls, dbt_project_dir, progress, Path(tmp))

    progress("dbt build ...")
    failures = run_dbt_build(urls, dbt_project_dir, work_dir, progress)
    if failures:
        progress("pipeline failed at step dbt build:")
        for failure in failures:
            progress(f"  {failure}")
        return False

    from quality.runner import run_quality  # Great Expectations takes seconds to import

    progress("quality suites ...")
    try:
        report = run_quality(urls, progress)
    except Exception as exc:  # e.g. the database went away between the steps: report, don't crash
        progress(f"pipeline failed at step quality: {type(exc).__name__}: {_one_line(str(exc))}")
        return False
    if not report.success:
        progress(f"pipeline failed at step quality: suites {', '.join(report.failed_suites)} "
                 f"(dq.validation_run, run_id {report.run_id})")
        return False
    progress("pipeline passed: warehouse built and validated")
    return True
