"""Two steps in one process, each given the interpreter back at once when it needs it.

The checks run in a thread beside the indicators (``flows/nightly.py``). Both spend most of
their time in DuckDB, which lets go of the interpreter (the GIL) while a query runs, but the
checks also run about a second of Great Expectations' own Python. The indicators' step runs
some 400 short statements a night; after each, its thread asks for the GIL back and, while
the checks' Python holds it, waits for CPython's switch interval (5 ms by default) before it
is handed over. Over a night that wait adds up: on a copy of the scale-8 build, the marts
took 2.61 s alone, 3.37-3.94 s beside the checks with the default interval and 3.06-3.26 s
with 0.1 ms (the checks themselves 1.86-1.99 s either way; ``quick_handoff``).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

HANDOFF_SECONDS = 0.0001  # how long a thread holding the GIL keeps it once another asks


@contextmanager
def quick_handoff(interval: float = HANDOFF_SECONDS) -> Iterator[float]:
    """Within the block, a thread waiting for the GIL gets it after ``interval`` seconds
    (``sys.setswitchinterval``, process-wide) rather than the default; the interval before is
    restored after, whatever happens in the block. Yields the interval it replaced."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(interval)
    try:
        yield before
    finally:
        sys.setswitchinterval(before)
