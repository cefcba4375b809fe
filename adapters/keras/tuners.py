"""`keras_tuner.tuners`: the tuner classes. The Keras tuners import Keras when first asked for;
`SklearnTuner` does not."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names, for tools; at run time they load when asked for
    from hpcore.adapters.keras.sklearn_tuner import SklearnTuner
    from hpcore.adapters.keras.tuner import BayesianOptimization, GridSearch, Hyperband, RandomSearch, Tuner

__all__ = ["BayesianOptimization", "GridSearch", "Hyperband", "RandomSearch", "SklearnTuner", "Tuner"]


def __getattr__(name: str) -> Any:
    if name == "SklearnTuner":
        from hpcore.adapters.keras.sklearn_tuner import SklearnTuner

        return SklearnTuner
    if name in __all__:
        from hpcore.adapters.keras import tuner

        return getattr(tuner, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
