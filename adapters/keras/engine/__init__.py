"""KerasTuner's `keras_tuner.engine` paths (`kt.engine.hyperparameters.HyperParameters`,
`kt.engine.tuner.Tuner`, `kt.engine.trial.Trial`...). `tuner` and `base_tuner` import Keras on
first use; the others load without TensorFlow."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["base_tuner", "hypermodel", "hyperparameters", "metrics_tracking", "oracle", "trial", "tuner"]


def __getattr__(name: str) -> ModuleType:
    if name in __all__:  # imported when asked for: `tuner` loads Keras, `oracle` the oracles
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
