import keras_tuner as kt
from _common import build_model, data, report

x, y, x_val, y_val = data()
tuner = kt.RandomSearch(build_model, objective="val_accuracy", max_trials=2, seed=1,
                        directory="kt_runs", project_name="oracle")
tuner.search(x, y, epochs=1, validation_data=(x_val, y_val), verbose=0)

oracle = tuner.oracle
trials = oracle.trials
best = oracle.get_best_trials(1)[0]
report(max_trials=oracle.max_trials,
       n_trials=len(trials),
       statuses=sorted({t.status for t in trials.values()}),
       scores_are_float=all(isinstance(t.score, float) for t in trials.values()),
       best_has_val_accuracy=isinstance(best.metrics.get_best_value("val_accuracy"), float),
       best_values_are_dict=isinstance(best.hyperparameters.values, dict),
       space_has_units_0="units_0" in [hp.name for hp in oracle.get_space().space],
       trial_dir_is_str=isinstance(tuner.get_trial_dir(best.trial_id), str),
       directory=tuner.directory)
