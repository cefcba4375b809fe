import keras_tuner as kt
from _common import report

hp = kt.HyperParameters()
hp.Choice("kind", ["mlp", "cnn"])
with hp.conditional_scope("kind", ["cnn"]):
    hp.Int("filters", 8, 64, step=8)
hp.Float("learning_rate", 1e-4, 1e-2, sampling="log")
hp.Boolean("batch_norm")
hp.Fixed("seed", 3)

config = hp.get_config()
again = kt.HyperParameters.from_config(config)
report(names=[p.name for p in hp.space],
       types=[type(p).__name__ for p in hp.space],
       config_keys=sorted(config),
       filters_conditions=[c["config"]["name"] for c in hp.space[1].get_config()["conditions"]],
       round_trip_names=[p.name for p in again.space],
       round_trip_values=again.values == hp.values,
       lr_config={k: v for k, v in hp.space[2].get_config().items() if k in ("min_value", "max_value", "sampling")})
