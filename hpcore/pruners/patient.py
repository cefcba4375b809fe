"""Patience: prune only a trial that has stopped improving.

Learning curves are noisy and often flat for a while before they drop again; a pruner that
judges a single report can stop a run in such a pause. The patient pruner lets another pruner
decide only once the trial has gone `patience` reports without improving (in the manner of
early stopping on a validation loss, e.g. Keras's `EarlyStopping(patience=...)`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from hpcore.pruners.base import Pruner, check_int, check_real, make_pruner, sign_of
from hpcore.trial import Trial

__all__ = ["PatientPruner", "stalled"]


class PatientPruner(Pruner):
    """Prunes when `wrapped` says so and the trial has not improved in its last `patience`
    reports; with `wrapped=None`, on the lack of improvement alone.

    wrapped: the pruner consulted once the trial stalls (a Pruner, a name or a config, as
      `make_pruner` takes), or None.
    patience: int >= 1, a number of reports (not of step units): the trial stalls when none of
      its last `patience` reports is better than the best value it reported before them by more
      than `min_delta`. A trial with `patience` reports or fewer never stalls. (Optuna's
      `PatientPruner(patience=p)` corresponds to `patience=p + 1` here.)
    min_delta: float >= 0, in the unit of the reported values: smaller gains do not count as
      improvement.
    Like every pruner, it prunes a NaN or infinite report at once, without asking `wrapped`.
    """

    name = "patient"

    def __init__(self, wrapped: Pruner | str | Mapping[str, Any] | None, patience: int,
                 min_delta: float = 0.0) -> None:
        self.wrapped = make_pruner(wrapped)
        self.patience = check_int("patience", patience, 1)
        self.min_delta = check_real("min_delta", min_delta, 0.0)

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "wrapped": None if self.wrapped is None else self.wrapped.config(),
                "patience": self.patience, "min_delta": self.min_delta}

    def __repr__(self) -> str:
        return f"PatientPruner({self.wrapped!r}, patience={self.patience!r}, min_delta={self.min_delta!r})"

    def decide(self, trial: Trial, trials: Sequence[Trial], direction: str, latest: int,
               previous: int | None) -> bool:
        if not stalled(trial.intermediate_values, self.patience, self.min_delta, sign_of(direction)):
            return False
        return True if self.wrapped is None else self.wrapped.prune(trial, trials, direction)


def stalled(values: Mapping[int, float], patience: int, min_delta: float, sign: float) -> bool:
    """Whether none of the last `patience` reports (by step) of `values` improves on the best
    finite one before them by more than `min_delta`; sign +1 minimises, -1 maximises. False when
    there are `patience` reports or fewer, or none before the last `patience` is finite."""
    if len(values) <= patience:
        return False
    losses = [sign * values[step] for step in sorted(values)]
    before = [v for v in losses[:-patience] if not math.isnan(v)]
    if not before:
        return False
    target = min(before) - min_delta
    return not any(v < target for v in losses[-patience:])
