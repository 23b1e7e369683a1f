"""The rules: Great Expectations suites per table (``suites/``), run inside DuckDB, and the gate."""
