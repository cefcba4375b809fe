"""SMAC3's BlackBoxFacade as a peer, driven ask/tell.

`BlackBoxFacade` is SMAC3's facade for low-dimensional, expensive black boxes: a Gaussian process
with its own priors, expected improvement maximised by local and random search, and a Sobol
initial design. Everything is SMAC's default but the seed (`Scenario(seed=seed)`, and the
ConfigSpace's own seed) and `deterministic=True` (a problem is evaluated once per
configuration; noise, where a problem has it, is part of what the peer observes). The space
comes from `spaces.configspace`, with conditions as ConfigSpace conditions. SMAC writes its run
history to a folder: a temporary one, removed by `close`.
"""

from __future__ import annotations

import logging
import tempfile
import warnings
from pathlib import Path
from typing import Any

from hpcore.benchmarks.peers import WorstSoFar
from hpcore.benchmarks.peers.spaces import configspace, mapping_config

__all__ = ["SmacPeer"]


def _not_called(config: Any, seed: int = 0) -> float:
    raise RuntimeError("SMAC is driven ask/tell here; its target function is never run")


class SmacPeer:
    """SMAC3 `BlackBoxFacade` with `n_trials` = the budget; a non-finite value is told as the worst
    value seen so far (SMAC's crash cost would be infinite, which its GP cannot fit)."""

    def __init__(self, space: Any, seed: int, trials: int, deadline: float) -> None:
        from smac import BlackBoxFacade, Scenario

        self.space = space
        cs, self.views = configspace(space, seed)
        self._dir = tempfile.TemporaryDirectory(prefix="hpcore-smac-")
        scenario = Scenario(cs, deterministic=True, n_trials=trials, seed=seed,
                            output_directory=Path(self._dir.name) / "smac")
        self.smac = BlackBoxFacade(scenario, target_function=_not_called, overwrite=True,
                                   logging_level=logging.ERROR)
        self._info: Any = None
        self._worst = WorstSoFar()

    def ask(self) -> dict[str, Any]:
        with warnings.catch_warnings():
            # SMAC's local search logs np.mean of an empty list of timings (a debug line); the
            # NumPy warnings that raises say nothing about the optimisation.
            warnings.filterwarnings("ignore", "Mean of empty slice", RuntimeWarning)
            warnings.filterwarnings("ignore", "invalid value encountered in scalar divide", RuntimeWarning)
            self._info = self.smac.ask()
        return mapping_config(self.space, self.views, dict(self._info.config))

    def tell(self, value: float) -> None:
        from smac.runhistory.dataclasses import TrialValue

        told = self._worst.told(value)
        if told is not None:
            self.smac.tell(self._info, TrialValue(cost=told))

    def close(self) -> None:
        self._dir.cleanup()
