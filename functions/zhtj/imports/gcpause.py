"""Pause the cyclic garbage collector while a bulk step allocates many acyclic objects.

Mapping and validating 20,000 rows allocates a few hundred thousand dicts, lists and
strings, none of them in reference cycles; each allocation burst triggers collections
that re-scan everything still alive, costing about a quarter of the import's time
(measured with bench/bench_import_read.py). Reference counting still frees everything;
collection resumes (and catches up) when the step ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
