"""Models kept alive between Hyperband rungs, so a promotion skips build, load and re-tracing.

Building a model and tracing its training and evaluation functions costs about a second per
fit on a CPU, more than an epoch of a small MLP. A configuration promoted to the next rung is the
same model trained further, so if the model object from its previous rung is still in memory it
is simply fitted again with `initial_epoch`: no rebuild, no checkpoint load, no re-tracing.

The cache only holds configurations Hyperband may still promote (`retain(live)` after every
trial), within a memory budget estimated from the parameter counts (weights plus two optimizer
slots per weight, as Adam keeps); beyond it the oldest entries go. Checkpoints on disk stay the
source of truth (a resumed search, or an evicted model, loads them).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

__all__ = ["ModelCache"]


def _model_bytes(model: Any) -> int:
    try:
        return int(model.count_params()) * 4 * 3
    except Exception:
        return 0


class ModelCache:
    """(config_id, execution) -> (model, epochs trained), bounded by `max_bytes`."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = int(max_bytes)
        self._items: OrderedDict[tuple[int, int], tuple[Any, int, int]] = OrderedDict()
        self.hits = 0
        self._released = 0

    def __len__(self) -> int:
        return len(self._items)

    @property
    def nbytes(self) -> int:
        return sum(b for _, _, b in self._items.values())

    def put(self, config_id: int, execution: int, model: Any, epoch: int) -> None:
        if self.max_bytes <= 0:
            return
        size = _model_bytes(model)
        if size > self.max_bytes:
            return
        self._items.pop((config_id, execution), None)
        self._items[(config_id, execution)] = (model, int(epoch), size)
        while self.nbytes > self.max_bytes:
            self._released += self._items.popitem(last=False)[1][2]

    def take(self, config_id: int, execution: int, epoch: int) -> tuple[Any, int] | None:
        """(model, epochs it was trained) for this configuration if it holds at most `epoch`
        epochs, removed from the cache (the caller trains it further); else None."""
        item = self._items.pop((config_id, execution), None)
        if item is None:
            return None
        if not 0 < item[1] <= int(epoch):  # stale: dropped
            self._released += item[2]
            return None
        self.hits += 1
        return item[0], item[1]

    def retain(self, live: Iterable[int]) -> None:
        """Drop the models of configurations that can no longer be promoted."""
        live = set(live)
        for key in [k for k in self._items if k[0] not in live]:
            self._released += self._items.pop(key)[2]

    def clear(self) -> None:
        self._released += self.nbytes
        self._items.clear()

    def released(self) -> int:
        """Estimated bytes of the models dropped since the last call (awaiting a collection)."""
        out, self._released = self._released, 0
        return out
