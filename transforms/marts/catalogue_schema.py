"""The JSON Schema of the indicator catalogue, generated from the model (``Indicator``).

    python -m transforms.marts.catalogue_schema      (= make schema)

rewrites ``catalogue/catalogue.schema.json``; ``tests/test_catalogue_schema.py``
fails while the committed file differs from what the model gives. Editors
(the YAML language server) read it through the first line of each catalogue
file: ``# yaml-language-server: $schema=./catalogue.schema.json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from transforms.marts.indicators import Indicator

SCHEMA_FILE = Path(__file__).with_name("catalogue") / "catalogue.schema.json"
MODELINE = "# yaml-language-server: $schema=./catalogue.schema.json"


def catalogue_schema() -> dict[str, Any]:
    """A catalogue file (a list of indicators) as JSON Schema, YAML names (``from``)."""
    schema = TypeAdapter(list[Indicator]).json_schema(by_alias=True)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "chiso indicator catalogue (one file per source)",
        "description": "Generated from transforms/marts/indicators.py (Indicator) by "
        "`python -m transforms.marts.catalogue_schema`; do not edit.",
        **schema,
    }


def schema_text() -> str:
    return json.dumps(catalogue_schema(), indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    SCHEMA_FILE.write_text(schema_text(), encoding="utf-8")
    print(f"wrote {SCHEMA_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
