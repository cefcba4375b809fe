"""`keras_tuner.tuners`: the tuner classes (imports Keras)."""

from hpcore.adapters.keras.tuner import BayesianOptimization, GridSearch, Hyperband, RandomSearch, Tuner

__all__ = ["BayesianOptimization", "GridSearch", "Hyperband", "RandomSearch", "Tuner"]
