"""Long lists of keys in bounded pieces: SQLite allows a few thousand parameters per statement."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar

T = TypeVar("T")
SIZE = 500


def chunks(values: Sequence[T], size: int = SIZE) -> Iterable[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
