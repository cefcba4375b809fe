"""scikit-optimize's view of a search: the `OptimizeResult` its callbacks and
`optimizer_results_` readers expect, kept up to date one trial at a time.

skopt minimises, so `fun` and `func_vals` are minus the scores, and a point `x` lists the values
of the parameters in sorted name order (as `BayesSearchCV` orders its dimensions); a parameter
inactive in a trial is None there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from scipy.optimize import OptimizeResult

from hpcore.trial import Trial

__all__ = ["ResultSoFar", "as_callbacks"]


def as_callbacks(callback: Any) -> list[Callable[[OptimizeResult], Any]]:
    """skopt's `callback` argument (None, a callable, or a list of callables) as a list."""
    if callback is None:
        return []
    callbacks = [callback] if callable(callback) else list(callback) if isinstance(callback, (list, tuple)) else None
    if callbacks is None or not all(callable(c) for c in callbacks):
        raise TypeError(f"callback must be a callable or a list of callables, got {callback!r}")
    return callbacks


class ResultSoFar:
    """The completed trials of a search as an `OptimizeResult`, appended to trial by trial."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = sorted(names)
        self.x_iters: list[list[Any]] = []
        self.func_vals: list[float] = []
        self.best = -1

    def add(self, trial: Trial) -> None:
        """Count `trial` if it completed (a failed trial has no score to report)."""
        if not trial.ok:
            return
        self.x_iters.append([trial.params.get(n) for n in self.names])
        self.func_vals.append(-float(trial.value))
        if self.best < 0 or self.func_vals[-1] < self.func_vals[self.best]:
            self.best = len(self.func_vals) - 1

    def result(self) -> OptimizeResult:
        found = self.best >= 0
        return OptimizeResult(x=list(self.x_iters[self.best]) if found else None,
                              fun=self.func_vals[self.best] if found else None,
                              x_iters=[list(x) for x in self.x_iters], func_vals=list(self.func_vals),
                              names=list(self.names))
