"""Rules for the population database extract and the adults table (T11's denominator)."""

from __future__ import annotations

from typing import ClassVar

from expectations.suites import CRITICAL, WARNING, Count, E, Share, Suite, Thresholds, ThresholdSet
from sources.population import constants as c


class PopulationThresholds(Thresholds):
    """expectations/thresholds/population.yml, section population (the values are there)."""

    section: ClassVar[str] = "population"
    commune_adults_min: Count
    commune_adults_max: Count
    complete_bands_mostly: Share


def suites(t: ThresholdSet) -> list[Suite]:
    pop = t[PopulationThresholds]
    return [
        Suite(
            "stg_population_age_band",
            "stg.population_age_band",
            [
                E.ExpectColumnValuesToNotBeNull(column="unit_code", severity=CRITICAL),
                E.ExpectColumnValuesToNotBeNull(column="snapshot_date", severity=CRITICAL),
                E.ExpectColumnValuesToBeInSet(
                    column="age_band", value_set=list(c.AGE_BANDS), severity=CRITICAL
                ),
                E.ExpectColumnValuesToBeBetween(
                    column="residents", min_value=0, max_value=c.MAX_BAND_COUNT, severity=CRITICAL
                ),
                E.ExpectColumnValuesToBeUnique(
                    column="_row_hash", severity=CRITICAL, description="no row is staged twice"
                ),
            ],
        ),
        Suite(
            "fct_population",
            "core.fct_population",
            [
                E.ExpectCompoundColumnsToBeUnique(
                    column_list=["unit_code", "snapshot_date"], severity=CRITICAL
                ),
                E.ExpectColumnValuesToNotBeNull(column="valid_from", severity=CRITICAL),
                E.ExpectTableRowCountToBeBetween(min_value=1, severity=CRITICAL),
                E.ExpectColumnValuesToBeBetween(
                    column="adults",
                    min_value=pop.commune_adults_min,
                    max_value=pop.commune_adults_max,
                    severity=CRITICAL,
                    description="a commune has a plausible number of adults",
                ),
                E.ExpectColumnValuesToBeBetween(
                    column="n_bands",
                    min_value=len(c.AGE_BANDS),
                    max_value=len(c.AGE_BANDS),
                    mostly=pop.complete_bands_mostly,
                    severity=WARNING,
                    description="every commune reports every age band",
                ),
            ],
        ),
    ]
