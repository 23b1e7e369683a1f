"""The slice registry joins each source's parts; the layers keep to their imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from flows import registry

ROOT = Path(__file__).resolve().parent.parent


def test_every_slice_names_existing_files_and_stages_every_dataset():
    assert registry.check() == []
    assert set(registry.SLICES) == {s.source.name for s in registry.SLICES.values()}


def test_select_refuses_an_unknown_source_with_the_known_ones():
    with pytest.raises(registry.UnknownSourceError, match="nope.*known: dvc"):
        registry.select(["dvc", "nope"])
    assert [s.name for s in registry.select(["docs", "dvc"])] == ["dvc", "docs"]


def test_every_suite_name_is_unique_and_source_scopes_name_a_source():
    from expectations.run import load_thresholds
    from expectations.suites import unique_by_name

    suites = unique_by_name(registry.suites(load_thresholds(registry.threshold_files())))
    scopes = {s.scope for s in suites.values() if s.scope}
    assert scopes == {f"source:{n}" for n in registry.SLICES}


def test_the_nightly_dag_imports_no_simulator_and_no_fault_injector():
    code = (
        "import sys, flows.nightly; "
        "bad = [m for m in sys.modules if m.endswith('.simulator') or m == 'sources.faults']; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_dag_and_its_preflight_load_without_great_expectations_until_a_night_checks():
    """GX takes seconds to import: the flow's modules and the preflight do not load it (a night
    with nothing new never needs it); the rules load it when they are built, with GX's own
    severities."""
    code = (
        "import sys, flows.nightly, flows.preflight; "
        "print('before', 'great_expectations' in sys.modules); "
        "from flows import registry; from expectations.run import load_thresholds; "
        "suites = registry.suites(load_thresholds(registry.threshold_files())); "
        "severities = {str(e.severity) for s in suites for e in s.expectations}; "
        "print('severities', sorted(severities))"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert lines[0] == "before False"
    assert lines[1] == "severities ['FailureSeverity.CRITICAL', 'FailureSeverity.WARNING']"
