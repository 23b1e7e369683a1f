"""Volume rules: a source's delivery far below its recent history blocks that source's indicators.

Suites named ``source_<name>_...`` are source-scoped: the gate blocks every
indicator of that source when one of their critical checks fails. The rule
reads ``core.delivery_volume`` (one row per file delivered in the run being
validated) built from ``core.fct_delivery_volume``.
"""

from __future__ import annotations

import great_expectations as gx

from sources import SOURCES


def suites(t: dict) -> dict:
    volume = t.get("volume", {})
    return {
        f"source_{name}_volume": (
            f"core.delivery_volume_{name}",
            [
                gx.expectations.ExpectColumnValuesToBeBetween(
                    column="volume_ratio",
                    min_value=volume.get("min_ratio", 0.3),
                    severity="critical",
                    description=f"each {name} delivery of this run has at least "
                    f"{volume.get('min_ratio', 0.3):.0%} of its usual rows",
                ),
            ],
        )
        for name in SOURCES
    }
