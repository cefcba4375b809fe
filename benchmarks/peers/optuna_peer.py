"""Optuna's TPESampler and GPSampler as peers: define-by-run, conditions and steps native."""

from __future__ import annotations

import math
import warnings
from typing import Any

from hpcore.benchmarks.peers.spaces import optuna_suggest

__all__ = ["OptunaPeer", "gp", "tpe"]


class OptunaPeer:
    """An Optuna study driven ask/tell; a non-finite value is told as a FAILED trial, which
    Optuna's samplers leave out of their models."""

    def __init__(self, space: Any, sampler: Any) -> None:
        import optuna

        optuna.logging.set_verbosity(optuna.logging.ERROR)
        self.space = space
        self.study = optuna.create_study(sampler=sampler, direction="minimize")
        self._trial: Any = None

    def ask(self) -> dict[str, Any]:
        self._trial = self.study.ask()
        return optuna_suggest(self._trial, self.space)

    def tell(self, value: float) -> None:
        from optuna.trial import TrialState

        if math.isfinite(value):
            self.study.tell(self._trial, value)
        else:
            self.study.tell(self._trial, state=TrialState.FAIL)

    def close(self) -> None:
        pass


def tpe(space: Any, seed: int, trials: int, deadline: float) -> OptunaPeer:
    """Optuna's default sampler, `TPESampler(seed=seed)`."""
    import optuna

    return OptunaPeer(space, optuna.samplers.TPESampler(seed=seed))


def gp(space: Any, seed: int, trials: int, deadline: float) -> OptunaPeer:
    """Optuna's `GPSampler(seed=seed)` with its defaults (needs torch)."""
    import optuna

    with warnings.catch_warnings():  # GPSampler is marked experimental; that is not news to a benchmark
        warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
        return OptunaPeer(space, optuna.samplers.GPSampler(seed=seed))
