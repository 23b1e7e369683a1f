"""The rules, one module per source (plus ``core`` for the shared dimensions).

Each module has ``suites(thresholds) -> {suite name: (schema.table, [expectations])}``.
Severity is GX's own: ``critical`` blocks the indicators that depend on the
table (and only those); ``warning`` annotates. Thresholds an operator may
tune live in ``expectations/thresholds/<source>.yml``. Every module in this
package is picked up; adding a source's rules is adding a file.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Sequence

Suite = tuple[str, Sequence]  # (schema.table, expectations)


def all_suites(thresholds: dict) -> dict[str, Suite]:
    """Suite name -> (table, expectations), for every table the pipeline builds."""
    suites: dict[str, Suite] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for name, suite in module.suites(thresholds).items():
            if name in suites:
                raise ValueError(f"suite {name} defined twice")
            suites[name] = suite
    return suites
