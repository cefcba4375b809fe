"""Finite reported values per key (a step, a rung), kept sorted: what a pruner compares a trial
with, built once from the finished trials."""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping, Sequence

__all__ = ["StepValues", "count_better"]


class StepValues:
    """Finite values per int key (a step or a rung index), kept ascending per key.

    Values added are held apart until their key is asked for, then merged: one insertion each
    when few arrived, one sort when many did (a study's first decision takes in its whole
    history at once).
    """

    def __init__(self) -> None:
        self._sorted: dict[int, list[float]] = {}
        self._pending: dict[int, list[float]] = {}

    def add(self, values: Mapping[int, float]) -> None:
        """Take in one trial's values (key -> value); NaN and +-inf are left out (they cannot be
        ranked, and a trial that reports one is pruned at once)."""
        for key, value in values.items():
            if math.isfinite(value):
                self._pending.setdefault(key, []).append(value)

    def sorted_at(self, key: int) -> list[float]:
        """The values at `key`, ascending (the cache's own list: do not change it)."""
        held = self._sorted.setdefault(key, [])
        new = self._pending.pop(key, None)
        if new:
            if 8 * len(new) < len(held):
                for value in new:
                    bisect.insort(held, value)
            else:
                held.extend(new)
                held.sort()
        return held


def count_better(ascending: Sequence[float], value: float, sign: float) -> int:
    """How many of `ascending` are strictly better than `value`: lower for sign +1 (minimize),
    higher for sign -1 (maximize)."""
    if sign > 0:
        return bisect.bisect_left(ascending, value)
    return len(ascending) - bisect.bisect_right(ascending, value)
