"""The source systems: one package each (``sources/<name>/``), the landing zone and the manifest.

A package declares ``SOURCE = Source(...)`` in its ``__init__.py``: the
datasets the system exports, the reader of each (``connector.py``) and the
format constants (``constants.py``). Its simulator (``simulator.py``) writes
the same files for the embedded default and the tests. Nothing here imports
the later layers; the slice registry (``flows/registry.py``) says which
staging, core models, rules and indicators belong to each source.
"""
