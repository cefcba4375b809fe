"""`keras_tuner.engine.hypermodel`: the `HyperModel` class."""

from hpcore.adapters.keras.hypermodel import HyperModel

__all__ = ["HyperModel"]
