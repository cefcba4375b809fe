"""KerasTuner's `BayesianOptimizationOracle` as a peer, driven trial by trial without Keras."""

from __future__ import annotations

import contextlib
import io
import math
import tempfile
from typing import Any

from hpcore.benchmarks.peers import PeerExhausted
from hpcore.benchmarks.peers.spaces import keras_tuner_hyperparameters, mapping_config

__all__ = ["KerasTunerPeer"]


class KerasTunerPeer:
    """The oracle's defaults with `seed`; conditional parameters declared in conditional scopes.
    A non-finite value ends its trial as FAILED."""

    def __init__(self, space: Any, seed: int, trials: int, deadline: float) -> None:
        import keras_tuner as kt

        self.space = space
        hp, self.views = keras_tuner_hyperparameters(space)
        self.oracle = kt.oracles.BayesianOptimizationOracle(
            objective=kt.Objective("loss", "min"), max_trials=trials, seed=seed, hyperparameters=hp)
        self._dir = tempfile.TemporaryDirectory(prefix="hpcore-kt-")
        with contextlib.redirect_stdout(io.StringIO()):  # the oracle prints its progress
            self.oracle._set_project_dir(self._dir.name, "bench")  # an oracle needs a folder even when driven directly
        self._trial: Any = None

    def ask(self) -> dict[str, Any]:
        with contextlib.redirect_stdout(io.StringIO()):
            trial = self.oracle.create_trial("bench")
        if trial.status != "RUNNING":
            raise PeerExhausted(f"KerasTuner's oracle stopped ({trial.status})")
        self._trial = trial
        return mapping_config(self.space, self.views, trial.hyperparameters.values)

    def tell(self, value: float) -> None:
        with contextlib.redirect_stdout(io.StringIO()):
            if math.isfinite(value):
                self.oracle.update_trial(self._trial.trial_id, {"loss": value})
                self._trial.status = "COMPLETED"
            else:
                self._trial.status = "FAILED"
            self.oracle.end_trial(self._trial)

    def close(self) -> None:
        self._dir.cleanup()
