import keras_tuner as kt
from _common import build_model, data, report

x, y, x_val, y_val = data()
tuner = kt.RandomSearch(build_model, objective=["val_loss", kt.Objective("val_accuracy", "max")], max_trials=2,
                        seed=5, directory="kt_runs", project_name="list_objective")
tuner.search(x, y, epochs=2, validation_data=(x_val, y_val), verbose=0)
best = tuner.oracle.get_best_trials(1)[0]
report(objective_name=tuner.oracle.objective.name,
       objective_direction=tuner.oracle.objective.direction,
       n_trials=len(tuner.oracle.trials),
       best_score_is_float=isinstance(best.score, float),
       score_is_loss_minus_accuracy=bool(abs(best.score - (best.metrics.get_best_value("val_loss")
                                                      - best.metrics.get_best_value("val_accuracy"))) < 0.05))
