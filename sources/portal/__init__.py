"""A local replica of the portals the warehouse pulls from, for the embedded default and the tests.

``chiso portal`` serves, from a landing zone's one-stop-system files:

- the provincial integration platform (LGSP): token from app credentials,
  then the dossier list in pages over a window of update times, the shape
  ``sources/dvc/api.py`` reads;
- the national portal's public 766 reporting endpoints, with the figures
  ``sources/national766/figures.py`` computes from the same records.

Faults are switched on by configuration (``Faults``): expired tokens, 401,
429 with ``Retry-After``, 500s, slow pages, a page cut mid-body, a page
repeated, records that arrive between pages, and a shift of one 766 metric.
It is test tooling: the nightly never imports it.
"""
