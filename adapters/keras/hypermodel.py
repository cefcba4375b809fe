"""`HyperModel`: what a tuner builds and trains, once per trial.

Subclass it and override `build(hp)`; override `fit(hp, model, *args, **kwargs)` to tune what
`model.fit` receives (batch size, augmentation...). A plain `build_model(hp)` function is
wrapped by `as_hypermodel`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hpcore.adapters.keras.hyperparameters import HyperParameters

__all__ = ["HyperModel", "as_hypermodel"]


class HyperModel:
    """Builds a compiled Keras model from an `hp` and trains it.

    `fit` receives exactly what the user gave `Tuner.search(...)`, with `epochs`, `callbacks`
    (the tuner's own added) and, when a Hyperband trial continues a configuration,
    `initial_epoch`. It returns the `History` of `model.fit`, or a dict of metric values, or a
    single number (then the objective's value).
    """

    def __init__(self, name: str | None = None, tunable: bool = True) -> None:
        self.name = name
        self.tunable = tunable

    def build(self, hp: HyperParameters) -> Any:
        """Return a compiled `keras.Model` for the hyperparameters `hp`."""
        raise NotImplementedError("override HyperModel.build(hp), or pass a build_model(hp) function")

    def fit(self, hp: HyperParameters, model: Any, *args: Any, **kwargs: Any) -> Any:
        """Train `model`; by default `model.fit(*args, **kwargs)`."""
        return model.fit(*args, **kwargs)


class _FunctionHyperModel(HyperModel):
    def __init__(self, build_fn: Callable[[HyperParameters], Any]) -> None:
        super().__init__(name=getattr(build_fn, "__name__", None))
        self._build_fn = build_fn

    def build(self, hp: HyperParameters) -> Any:
        return self._build_fn(hp)


class _DuckHyperModel(HyperModel):
    """Any object with `build(hp)` (and optionally `fit`), e.g. a KerasTuner HyperModel."""

    def __init__(self, obj: Any) -> None:
        super().__init__(name=getattr(obj, "name", None))
        self._obj = obj

    def build(self, hp: HyperParameters) -> Any:
        return self._obj.build(hp)

    def fit(self, hp: HyperParameters, model: Any, *args: Any, **kwargs: Any) -> Any:
        fit = getattr(self._obj, "fit", None)
        return fit(hp, model, *args, **kwargs) if callable(fit) else model.fit(*args, **kwargs)


def as_hypermodel(hypermodel: Any) -> HyperModel:
    """A `HyperModel` from a HyperModel, a `build_model(hp)` function, or an object with `build`."""
    if isinstance(hypermodel, HyperModel):
        return hypermodel
    if hypermodel is None:
        raise ValueError("a tuner needs a hypermodel: a build_model(hp) function or a HyperModel")
    if callable(getattr(hypermodel, "build", None)):
        return _DuckHyperModel(hypermodel)
    if callable(hypermodel):
        return _FunctionHyperModel(hypermodel)
    raise TypeError(f"hypermodel must be a function build_model(hp) or a HyperModel, got {hypermodel!r}")
