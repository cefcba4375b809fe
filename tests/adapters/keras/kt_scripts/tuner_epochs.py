import keras_tuner as kt
from _common import build_model, data, report

x, y, x_val, y_val = data()
tuner = kt.Hyperband(build_model, objective="val_accuracy", max_epochs=3, factor=3, seed=4,
                     directory="kt_runs", project_name="hyperband")
tuner.search(x, y, validation_data=(x_val, y_val), verbose=0)
best_hps = tuner.get_best_hyperparameters(1)[0]
report(tuner_epochs=best_hps.get("tuner/epochs"),
       keys=sorted(k for k in best_hps.values if k.startswith("tuner/")),
       best_model_predicts=tuner.get_best_models(1)[0].predict(x_val[:3], verbose=0).shape[0] == 3)
