import keras_tuner as kt
from _common import build_model, data, report


class MyTuner(kt.RandomSearch):
    def run_trial(self, trial, *args, **kwargs):
        # tune the batch size, as the KerasTuner guide shows
        kwargs["batch_size"] = trial.hyperparameters.Choice("batch_size", [16, 32, 64])
        return super().run_trial(trial, *args, **kwargs)


x, y, x_val, y_val = data()
tuner = MyTuner(build_model, objective="val_accuracy", max_trials=2, seed=2,
                directory="kt_runs", project_name="batch_size")
tuner.search(x, y, epochs=1, validation_data=(x_val, y_val), verbose=0)
best_hp = tuner.get_best_hyperparameters(1)[0]
report(n_trials=len(tuner.oracle.trials),
       batch_size_tuned=best_hp.get("batch_size") in (16, 32, 64),
       batch_size_in_space="batch_size" in [hp.name for hp in tuner.oracle.get_space().space])
