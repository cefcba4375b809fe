"""scikit-optimize's ask/tell `Optimizer` (GP, EI) as a peer, on a flat space."""

from __future__ import annotations

from typing import Any

from hpcore.benchmarks.peers import WorstSoFar
from hpcore.benchmarks.peers.spaces import flat_config, skopt_dimensions

__all__ = ["SkoptPeer"]


class SkoptPeer:
    """`skopt.Optimizer(base_estimator="GP", acq_func="EI", random_state=seed)` with its default
    initial design (10 random points). Conditional parameters are sampled always and passed
    to the objective only when active."""

    def __init__(self, space: Any, seed: int, trials: int, deadline: float) -> None:
        from skopt import Optimizer

        self.space = space
        dims, self.views = skopt_dimensions(space)
        self.optimizer = Optimizer(dims, base_estimator="GP", acq_func="EI", random_state=seed)
        self._x: list[Any] = []
        self._worst = WorstSoFar()

    def ask(self) -> dict[str, Any]:
        self._x = self.optimizer.ask()
        return flat_config(self.space, self.views, self._x)

    def tell(self, value: float) -> None:
        told = self._worst.told(value)
        if told is not None:
            self.optimizer.tell(self._x, told)

    def close(self) -> None:
        pass
