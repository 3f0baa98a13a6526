"""Data quality of the Tanba warehouse: Great Expectations suites kept in code, and their runner."""
