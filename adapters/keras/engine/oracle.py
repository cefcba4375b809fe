"""`keras_tuner.engine.oracle`: `Oracle` and `Objective`."""

from hpcore.adapters.keras.objective import Objective
from hpcore.adapters.keras.oracles import Oracle

__all__ = ["Objective", "Oracle"]
