"""``python -m quality``: validate the warehouse and exit non-zero when a suite fails."""

import sys

from quality.runner import run_quality
from tanba.settings import Settings
from warehouse.database import resolve_urls


def main() -> int:
    settings = Settings()
    report = run_quality(resolve_urls(settings))
    if report.success:
        print(f"quality run {report.run_id}: all {len(report.suites)} suites passed")
        return 0
    print(f"quality run {report.run_id}: failed suites: {', '.join(report.failed_suites)}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
