"""The indicator catalogue is a typed model: a committed JSON Schema for editors, one-line errors."""

from __future__ import annotations

import json

import pytest
import yaml
from conftest import CATALOGUE_FILES
from jsonschema import Draft202012Validator

from transforms.marts.catalogue_schema import MODELINE, SCHEMA_FILE, schema_text
from transforms.marts.indicators import CatalogueError, load_catalogue

ENTRY = {
    "id": "X1",
    "name_vi": "x",
    "name_en": "x",
    "target": 90,
    "comparator": ">=",
    "unit": "percent",
    "source": "dvc",
    "from": "core.fct_dossier",
    "unit_column": "unit_code",
    "date_column": "received_date",
    "numerator": "count(*) filter (where is_online)",
    "denominator": "count(*)",
    "definition": "d",
    "reference": "r",
}


def validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(SCHEMA_FILE.read_text(encoding="utf-8")))


def test_committed_schema_is_what_the_model_gives():
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), (
        f"{SCHEMA_FILE} is stale: run `make schema` (python -m transforms.marts.catalogue_schema)"
    )


@pytest.mark.parametrize("path", CATALOGUE_FILES, ids=lambda p: p.name)
def test_every_catalogue_file_names_the_schema_and_satisfies_it(path):
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == MODELINE
    errors = [e.message for e in validator().iter_errors(yaml.safe_load(text))]
    assert errors == []


def test_schema_flags_what_the_model_refuses():
    v = validator()
    assert v.is_valid([ENTRY])
    assert not v.is_valid([{**ENTRY, "numerater": "1"}])  # a typo: unknown key
    assert not v.is_valid([{**ENTRY, "comparator": "=>"}])
    assert not v.is_valid([{**ENTRY, "periods": ["week"]}])
    assert not v.is_valid([{k: x for k, x in ENTRY.items() if k != "date_column"}])  # flow
    assert v.is_valid([{**ENTRY, "period_join": "stock", "date_column": None}])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"numerater": "1"}, "unknown catalogue key 'numerater'"),
        ({"periods": ["month", "week"]}, "field 'periods.1'"),
        ({"target": "ninety"}, "field 'target'"),
        ({"from": None}, "field 'from'"),
    ],
)
def test_a_typo_is_one_line_naming_file_entry_and_field(tmp_path, change, field):
    path = tmp_path / "mine.yml"
    path.write_text(yaml.safe_dump([ENTRY, {**ENTRY, "id": "X2", **change}]), encoding="utf-8")
    with pytest.raises(CatalogueError) as caught:
        load_catalogue([path])
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: #2 entry X2: {field}"), message


def test_missing_field_and_not_a_list(tmp_path):
    path = tmp_path / "mine.yml"
    path.write_text(yaml.safe_dump([{k: x for k, x in ENTRY.items() if k != "unit"}]))
    with pytest.raises(
        CatalogueError, match=r"mine.yml: #1 entry X1: field 'unit': Field required"
    ):
        load_catalogue([path])
    path.write_text(yaml.safe_dump(ENTRY))
    with pytest.raises(CatalogueError, match="a catalogue file is a list of entries"):
        load_catalogue([path])


def test_yaml_from_is_python_from_():
    (ind,) = [i for i in load_catalogue(CATALOGUE_FILES) if i.id == "T02"]
    assert ind.from_ == "core.fct_dossier"
    assert ind.periods == ("month", "quarter", "year", "ytd")
