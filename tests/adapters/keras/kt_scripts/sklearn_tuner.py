import keras_tuner as kt
from _common import captured, report
from sklearn import datasets, ensemble, linear_model, metrics, model_selection


def build_model(hp):
    model_type = hp.Choice("model_type", ["random_forest", "ridge"])
    if model_type == "random_forest":
        return ensemble.RandomForestClassifier(n_estimators=hp.Int("n_estimators", 5, 20, step=5),
                                               max_depth=hp.Int("max_depth", 2, 6), random_state=0)
    return linear_model.RidgeClassifier(alpha=hp.Float("alpha", 1e-3, 1, sampling="log"))


tuner = kt.tuners.SklearnTuner(
    oracle=kt.oracles.BayesianOptimizationOracle(objective=kt.Objective("score", "max"), max_trials=3, seed=0),
    hypermodel=build_model,
    scoring=metrics.make_scorer(metrics.accuracy_score),
    metrics=[metrics.balanced_accuracy_score],
    cv=model_selection.KFold(3),
    directory="kt_runs",
    project_name="sklearn")

X, y = datasets.load_digits(return_X_y=True)
tuner.search(X[:400], y[:400])

best_model = tuner.get_best_models(num_models=1)[0]
best_hp = tuner.get_best_hyperparameters(1)[0]
best_trial = tuner.oracle.get_best_trials(1)[0]
summary = captured(tuner.results_summary, 3)
report(trials=len(tuner.oracle.trials),
       best_score_is_float=isinstance(best_trial.score, float),
       has_model_type="model_type" in best_hp.values,
       predicts=len(best_model.predict(X[:5])) == 5,
       balanced_accuracy_recorded=best_trial.metrics.get_best_value("balanced_accuracy_score") is not None,
       summary_header=summary[:1] + [line for line in summary if line.startswith("Objective(")])
