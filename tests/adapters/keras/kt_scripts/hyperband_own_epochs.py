import keras_tuner as kt
from _common import build_model, data, report


class MyHyperModel(kt.HyperModel):
    def build(self, hp):
        return build_model(hp)

    def fit(self, hp, model, *args, **kwargs):
        kwargs["epochs"] = 1  # the tutorial's own epochs, whatever the tuner asks for
        return model.fit(*args, **kwargs)


x, y, x_val, y_val = data()
tuner = kt.Hyperband(MyHyperModel(), objective="val_accuracy", max_epochs=3, factor=3, seed=6,
                     directory="kt_runs", project_name="own_epochs")
try:
    tuner.search(x, y, validation_data=(x_val, y_val), verbose=0)
    error = None
except Exception as e:
    error = type(e).__name__
trials = tuner.oracle.trials.values()
failed = [t for t in trials if t.status in ("FAILED", "INVALID")]
report(search_error=error,
       some_trials_failed=bool(failed),
       some_trials_completed=any(t.status == "COMPLETED" for t in trials),
       failure_names_the_epochs=any("epochs=1" in (t.message or "") for t in failed))
