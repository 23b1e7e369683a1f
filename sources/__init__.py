"""The source systems, one package each; ``SOURCES`` is the registry the flow iterates over.

Each package ``sources/<name>/`` declares ``SOURCE = Source(...)`` in its
``__init__.py`` (constants, connector and simulator beside it); its staging
is ``transforms/staging/stg_<name>.py``, its core tables ``transforms/core/*.sql``,
its rules ``expectations/suites/<name>.py``, its indicators
``transforms/marts/catalogue/<name>.yml``. Every package here with a
``SOURCE`` is registered; the flow never names a source.
"""

from __future__ import annotations

import importlib
import pkgutil

from sources.base import Source


def discover() -> dict[str, Source]:
    found: dict[str, Source] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not info.ispkg:
            continue
        source = getattr(importlib.import_module(f"{__name__}.{info.name}"), "SOURCE", None)
        if isinstance(source, Source):
            found[source.name] = source
    return found


SOURCES: dict[str, Source] = discover()
