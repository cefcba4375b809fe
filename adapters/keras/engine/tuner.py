"""`keras_tuner.engine.tuner`: the `Tuner` class (imports Keras)."""

from hpcore.adapters.keras.tuner import Tuner

__all__ = ["Tuner"]
