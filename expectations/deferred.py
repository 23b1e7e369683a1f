"""Modules Great Expectations imports and the checks never use, loaded only if something uses them.

GX 1.x imports every built-in expectation when it is imported, and one of them (the KL
divergence, ``expect_column_kl_divergence_to_be_less_than``) imports ``altair`` and
``scipy.stats`` at its top for a chart and an entropy computed in its methods. They are a
third of GX's import (1.6-1.7 s of 4.4-4.5 s measured on the 2-core machine) and every
``chiso nightly`` that checks pays it before its flow starts. No suite of ours uses that
expectation.

``defer`` puts a stand-in for each in ``sys.modules`` before GX is imported: ``import altair``
and ``from scipy import stats`` then bind the stand-in, and the first attribute anything reads
from it (``alt.Chart``, ``stats.entropy``, a submodule's import) imports the real module, which
takes the stand-in's place in ``sys.modules``. Nothing changes for a caller but when the module
is loaded. A module already imported, or not installed, is left alone.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types
from typing import Any

UNUSED_BY_THE_CHECKS = ("altair", "scipy.stats")


class Deferred(types.ModuleType):
    """A module's stand-in: imports the module on the first attribute read and hands it over."""

    def __init__(self, name: str, spec: importlib.machinery.ModuleSpec) -> None:
        super().__init__(name)
        self.__spec__ = spec  # not initialising: the import system hands the stand-in out as is
        self.__loader__ = spec.loader
        self._deferred_lock = threading.Lock()

    def __getattr__(self, attribute: str) -> Any:  # only for what the stand-in does not have
        return getattr(self.load(), attribute)

    def load(self) -> types.ModuleType:
        """The real module, imported now if it is not yet (once, whatever the threads)."""
        name = self.__name__
        with self._deferred_lock:
            if sys.modules.get(name) is self:
                del sys.modules[name]
            return importlib.import_module(name)


def defer(*names: str) -> list[str]:
    """Put a stand-in in ``sys.modules`` for each of ``names`` not imported yet; return those."""
    deferred = []
    for name in names:
        if name in sys.modules:
            continue
        try:
            spec = importlib.util.find_spec(name)  # imports the parent package (cheap: scipy)
        except (ImportError, ValueError):
            spec = None
        if spec is None or spec.loader is None:
            continue  # not installed: whoever imports it gets the usual error
        sys.modules[name] = Deferred(name, spec)
        deferred.append(name)
    return deferred
