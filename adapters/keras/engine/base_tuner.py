"""`keras_tuner.engine.base_tuner`: `BaseTuner` is hpcore's `Tuner` (imports Keras)."""

from hpcore.adapters.keras.tuner import Tuner as BaseTuner

__all__ = ["BaseTuner"]
