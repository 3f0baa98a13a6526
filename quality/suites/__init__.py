"""The expectation suites, one module per asset; each module has ``build(context)``."""

from quality.suites import marts_participants_by_region, ops_participants

# Order of validation: operational data first, then the marts built from it.
SUITES = (ops_participants, marts_participants_by_region)

__all__ = ["SUITES"]
