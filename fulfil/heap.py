"""The garbage collector, set for a process that starts heavy and then works in big batches.

A flow-running process holds ~190,000 objects the collector tracks from its imports (Prefect,
SQLAlchemy, pandas, Jinja) and its services before it takes in a single row. The collector walks
every one of them on each full collection (0.15 s here), and a big import's allocations set one
off again and again: at 15,000 rows the collector took 3.0 s of a 21 s intake. Frozen once
start-up is over, and collected less eagerly (a young generation of 10,000 objects, not 700), it
took 0.4 s, with the same peak memory (218 MB for `fulfil intake` on 15,000 rows, as before)."""

from __future__ import annotations

import gc

# 20,000 was as fast, but the garbage of the run's trace phase (a Prefect client a part) then
# piled up: 255 MB at 15,000 rows instead of 218.
YOUNG_OBJECTS = 10_000
_settled = False


def settle() -> None:
    """Call when the process's modules and services are loaded; once a process (later calls are
    no-ops, so a test run that builds services many times freezes only what came first)."""
    global _settled
    if _settled:
        return
    _settled = True
    gc.collect()  # what start-up left as garbage is freed, not frozen
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_OBJECTS, older, oldest)
