"""Thresholds are typed per rules module; the shipped YAML holds every value; typos are one line."""

from __future__ import annotations

import shutil

import pytest
from conftest import all_suites

from expectations.suites import _SECTIONS, ThresholdsError, load_thresholds
from expectations.suites.dvc import DvcThresholds
from flows import registry


def shipped():
    return registry.threshold_files()


def test_every_section_has_a_model_and_every_model_its_values():
    loaded = load_thresholds(shipped())
    assert loaded.sections() == sorted(_SECTIONS)
    for model in _SECTIONS.values():
        # no default in code: the YAML is the one place a value lives
        assert all(f.is_required() for f in model.model_fields.values()), model


def test_the_shipped_values_reach_the_expectations():
    (rule,) = [
        e
        for e in all_suites()["fct_dossier"].expectations
        if getattr(e, "column", None) == "due_at"
    ]
    assert rule.mostly == load_thresholds(shipped())[DvcThresholds].due_at_mostly


def test_an_override_changes_one_value(tmp_path):
    mine = tmp_path / "quality.yml"
    mine.write_text("dvc:\n  due_at_mostly: 0.5\n")
    t = load_thresholds(shipped(), mine)
    assert t[DvcThresholds].due_at_mostly == 0.5
    assert (
        t[DvcThresholds].received_at_mostly
        == load_thresholds(shipped())[DvcThresholds].received_at_mostly
    )
    (rule,) = [
        e
        for e in all_suites(mine)["fct_dossier"].expectations
        if getattr(e, "column", None) == "due_at"
    ]
    assert rule.mostly == 0.5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "dvc:\n  due_at_mosty: 0.5\n",
            "dvc.due_at_mosty: unknown key (did you mean due_at_mostly?)",
        ),
        ("dvc:\n  nonsense: 0.5\n", "dvc.nonsense: unknown key (known: received_at_mostly, due_at"),
        ("dvc:\n  due_at_mostly: 1.5\n", "dvc.due_at_mostly: 1.5: Input should be less than"),
        ("dvc:\n  due_at_mostly: most\n", "dvc.due_at_mostly: 'most': Input should be a valid"),
        ("dvcc:\n  due_at_mostly: 0.5\n", "unknown thresholds section 'dvcc'; known: "),
        ("- 1\n", "expected sections of 'key: value' lines"),
    ],
)
def test_a_typo_in_the_operators_override_is_one_line(tmp_path, text, expected):
    mine = tmp_path / "quality.yml"
    mine.write_text(text)
    with pytest.raises(ThresholdsError) as caught:
        load_thresholds(shipped(), mine)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{mine}: ") and expected in message, message


def test_an_override_of_a_source_not_in_this_run_says_so(tmp_path):
    mine = tmp_path / "quality.yml"
    mine.write_text("telecom:\n  communes_agree_mostly: 0.5\n")
    with pytest.raises(ThresholdsError, match="'telecom' is not loaded in this run"):
        load_thresholds(registry.threshold_files(registry.select(["dvc"])), mine)


def test_a_typo_or_a_missing_key_in_a_shipped_file_names_it(tmp_path):
    copy = tmp_path / "dvc.yml"
    shutil.copy(registry.SLICES["dvc"].thresholds, copy)
    files = [p for p in shipped() if p.name != "dvc.yml"]
    copy.write_text(copy.read_text().replace("due_at_mostly", "due_at_most"))
    with pytest.raises(ThresholdsError, match=rf"^{copy}: dvc.due_at_most: unknown key"):
        load_thresholds([*files, copy])
    copy.write_text("dvc:\n  received_at_mostly: 0.8\n")
    with pytest.raises(ThresholdsError, match=rf"^{copy}: dvc.due_at_mostly: missing"):
        load_thresholds([*files, copy])


def test_a_section_not_loaded_is_a_clear_error():
    t = load_thresholds([registry.SLICES["tax"].thresholds])
    with pytest.raises(ThresholdsError, match="no thresholds section 'dvc' was loaded"):
        t[DvcThresholds]
