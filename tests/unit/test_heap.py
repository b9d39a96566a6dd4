"""The collector is set once a flow-running process's start-up is over, and only once."""

from __future__ import annotations

import subprocess
import sys

from fulfil.heap import YOUNG_OBJECTS

PROBE = """
import gc
from fulfil import heap
before = gc.get_freeze_count()
heap.settle()
first = gc.get_freeze_count()
later = [[n] for n in range(5_000)]  # what the run makes afterwards is not frozen by a second call
heap.settle()
print(before, first, gc.get_freeze_count(), gc.get_threshold()[0])
"""


def test_start_up_objects_are_frozen_once_and_young_collections_are_rarer():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True).stdout
    before, first, second, young = map(int, out.split())
    assert before == 0
    assert first > 1_000  # the imported modules' objects
    assert second == first
    assert young == YOUNG_OBJECTS > 700  # Python's default young generation
