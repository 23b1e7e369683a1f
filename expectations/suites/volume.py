"""Volume rules: a source's delivery far below its recent history blocks that source's indicators.

One suite per source, scoped to the source: the gate blocks every indicator
of that source when it fails. The rule reads ``core.delivery_volume_<source>``
(one row per file delivered in the run being validated), built from
``core.fct_delivery_volume``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from expectations.suites import CRITICAL, E, Share, Suite, Thresholds, ThresholdSet


class VolumeThresholds(Thresholds):
    """expectations/thresholds/volume.yml, section volume (the values are there)."""

    section: ClassVar[str] = "volume"
    min_ratio: Share


def suites(t: ThresholdSet, sources: Iterable[str]) -> list[Suite]:
    min_ratio = t[VolumeThresholds].min_ratio
    return [
        Suite(
            f"{name}_delivery_volume",
            f"core.delivery_volume_{name}",
            [
                E.ExpectColumnValuesToBeBetween(
                    column="volume_ratio",
                    min_value=min_ratio,
                    severity=CRITICAL,
                    description=f"each {name} delivery of this run has at least "
                    f"{min_ratio:.0%} of its usual rows",
                ),
            ],
            scope=f"source:{name}",
        )
        for name in sources
    ]
