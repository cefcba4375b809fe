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

`HyperParameters`, `Objective` and `datasets` load without TensorFlow; the tuners import Keras
on first use.
"""

from __future__ import annotations

from typing import Any

from hpcore.adapters.keras.hypermodel import HyperModel
from hpcore.adapters.keras.hyperparameters import HyperParameters
from hpcore.adapters.keras.objective import Objective

__all__ = [
    "BayesianOptimization",
    "GridSearch",
    "HyperModel",
    "HyperParameters",
    "Hyperband",
    "Objective",
    "RandomSearch",
    "Tuner",
]

_TUNERS = ("Tuner", "RandomSearch", "GridSearch", "BayesianOptimization", "Hyperband")


def __getattr__(name: str) -> Any:  # the tuners import Keras (seconds): load them when asked for
    if name in _TUNERS:
        from hpcore.adapters.keras import tuner

        return getattr(tuner, name)
    raise AttributeError(f"module 'hpcore.adapters.keras' has no attribute {name!r}")
