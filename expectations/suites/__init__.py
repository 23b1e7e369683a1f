"""The rules, one module per table family: each names a table and its expectations.

Severity is GX's own: ``critical`` blocks the indicators that depend on the
table (and only those); ``warning`` annotates. Thresholds that an operator
may tune live in ``expectations/thresholds.yml``.
"""

from __future__ import annotations

from collections.abc import Sequence

from expectations.suites import core, dvc

Suite = tuple[str, Sequence]  # (schema.table, expectations)


def all_suites(thresholds: dict) -> dict[str, Suite]:
    """Suite name -> (table, expectations), for every table the pipeline builds."""
    return {**dvc.suites(thresholds), **core.suites(thresholds)}
