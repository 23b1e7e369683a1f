"""A failed critical check blocks exactly the indicators that read the table, directly or upstream."""

from __future__ import annotations

from dataclasses import dataclass

from conftest import CATALOGUE_FILES, MODEL_FOLDERS

from expectations.gate import blocked_indicators, failed_critical
from transforms import core
from transforms.marts.indicators import load_catalogue


@dataclass
class R:
    table: str
    expectation: str
    column: str | None
    severity: str
    success: bool
    observed_value: str | None = None
    suite: str = "some_suite"
    scope: str | None = None


def inputs():
    return {i.id: i.inputs for i in load_catalogue(CATALOGUE_FILES)}


def test_failed_rating_staging_blocks_only_satisfaction():
    failed = failed_critical(
        [
            R(
                "stg.dvc_rating",
                "expect_column_values_to_be_in_set",
                "satisfaction",
                "critical",
                False,
                "0.5",
            )
        ]
    )
    blocked = blocked_indicators(inputs(), core.lineage(MODEL_FOLDERS), failed)
    # ratings feed only fct_satisfaction, which only T05 reads (and its 766 reading, T05_766)
    assert set(blocked) == {"T05", "T05_766"}
    assert "stg.dvc_rating" in blocked["T05"] and "observed 0.5" in blocked["T05"]


def test_failed_provision_blocks_t01_and_dossier_indicators_but_a_warning_blocks_nothing():
    warning = [R("core.fct_provision", "expect_x", None, "warning", False)]
    assert blocked_indicators(inputs(), core.lineage(MODEL_FOLDERS), failed_critical(warning)) == {}
    critical = [R("core.fct_provision", "expect_x", None, "critical", False)]
    blocked = blocked_indicators(inputs(), core.lineage(MODEL_FOLDERS), failed_critical(critical))
    assert "T01" in blocked


def test_passing_critical_checks_block_nothing():
    ok = [R("core.fct_dossier", "expect_x", "dossier_id", "critical", True)]
    assert blocked_indicators(inputs(), core.lineage(MODEL_FOLDERS), failed_critical(ok)) == {}


def test_lineage_is_read_from_the_sql():
    lin = core.lineage(MODEL_FOLDERS)
    assert "stg.dvc_dossier" in lin["core.fct_dossier"]
    assert "core.fct_provision" in lin["core.fct_dossier"]
    order = core.build_order(lin)
    assert (
        order.index("core.dim_unit")
        < order.index("core.dim_agency")
        < order.index("core.fct_dossier")
    )


def test_a_source_scoped_rule_blocks_every_indicator_of_that_source_only():
    low = R(
        "core.delivery_volume_dvc",
        "expect_column_values_to_be_between",
        "volume_ratio",
        "critical",
        False,
        "0.1",
        suite="dvc_delivery_volume",
        scope="source:dvc",
    )
    blocked = blocked_indicators(inputs(), core.lineage(MODEL_FOLDERS), failed_critical([low]))
    dvc = {i.id for i in load_catalogue(CATALOGUE_FILES) if i.source == "dvc"}
    assert set(blocked) == dvc
    assert "volume_ratio" in blocked["T02"]
