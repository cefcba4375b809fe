"""Keras adapter: KerasTuner's interface on hpcore's strategies, storage and speed.

    import hpcore.adapters.keras as kt      # was: import keras_tuner as kt

    def build_model(hp):
        model = keras.Sequential([keras.layers.Dense(hp.Int("units", 32, 512, step=32), activation="relu"),
                                  keras.layers.Dense(10, activation="softmax")])
        model.compile(optimizer=keras.optimizers.Adam(hp.Float("lr", 1e-4, 1e-2, sampling="log")),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return model

    tuner = kt.Hyperband(build_model, objective="val_accuracy", max_epochs=27, directory="runs",
                         project_name="mnist")
    tuner.search(x, y, validation_data=(x_val, y_val))
    best = tuner.get_best_models(1)[0]

`HyperParameters`, `Objective`, `datasets`, `errors`, `oracles` and `engine.hyperparameters` load
without TensorFlow, and so does `kt.SklearnTuner` (scikit-learn estimators, cross-validated);
the Keras tuners (`kt.RandomSearch`, `kt.engine.tuner`...) and `kt.PruningCallback` (report a
metric each epoch from a `model.fit` of one's own, for pruning) import Keras on first use.
KerasTuner's module paths are there too: `kt.tuners.RandomSearch`, `kt.oracles.*Oracle`,
`kt.engine.hyperparameters.HyperParameters`, `kt.engine.trial.Trial`, `kt.errors.FailedTrialError`.
`__version__` is hpcore's.
"""

from __future__ import annotations

import importlib
from typing import Any

from hpcore.adapters.keras import errors, oracles
from hpcore.adapters.keras.hypermodel import HyperModel
from hpcore.adapters.keras.hyperparameters import HyperParameters
from hpcore.adapters.keras.objective import Objective
from hpcore.adapters.keras.oracles import Oracle

from hpcore import __version__

__all__ = [
    "BayesianOptimization",
    "GridSearch",
    "HyperModel",
    "HyperParameters",
    "Hyperband",
    "Objective",
    "Oracle",
    "PruningCallback",
    "RandomSearch",
    "SklearnTuner",
    "Tuner",
    "__version__",
    "engine",
    "errors",
    "oracles",
    "tuners",
]

_TUNERS = ("Tuner", "RandomSearch", "GridSearch", "BayesianOptimization", "Hyperband")


def __getattr__(name: str) -> Any:  # the tuners import Keras (seconds): load them when asked for
    if name in _TUNERS:
        from hpcore.adapters.keras import tuner

        return getattr(tuner, name)
    if name == "PruningCallback":  # a Keras callback: imports Keras
        from hpcore.adapters.keras.pruning import PruningCallback

        return PruningCallback
    if name == "SklearnTuner":  # scikit-learn only: no Keras
        from hpcore.adapters.keras.sklearn_tuner import SklearnTuner

        return SklearnTuner
    if name in ("tuners", "engine"):
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'hpcore.adapters.keras' has no attribute {name!r}")
