"""`keras_tuner.engine.hyperparameters`: `HyperParameters`, and the hyperparameter types that
`hp.space` holds (read-only descriptions of hpcore parameters, see `hp_types`)."""

from hpcore.adapters.keras.hp_types import Boolean, Choice, Fixed, Float, HyperParameter, Int
from hpcore.adapters.keras.hyperparameters import HyperParameters

__all__ = ["Boolean", "Choice", "Fixed", "Float", "HyperParameter", "HyperParameters", "Int"]
