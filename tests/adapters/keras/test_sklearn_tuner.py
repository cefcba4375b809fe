"""`SklearnTuner`: KerasTuner's cross-validated search of scikit-learn estimators, without TensorFlow."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

pytest.importorskip("sklearn")

import hpcore.adapters.keras as kt
from sklearn import datasets, linear_model, metrics, model_selection, tree


@pytest.fixture(scope="module")
def digits():
    X, y = datasets.load_digits(return_X_y=True)
    return X[:300], y[:300]


def build_model(hp):
    if hp.Choice("model_type", ["tree", "logistic"]) == "tree":
        return tree.DecisionTreeClassifier(max_depth=hp.Int("max_depth", 2, 8), random_state=0)
    return linear_model.LogisticRegression(C=hp.Float("C", 1e-3, 1.0, sampling="log"), max_iter=200)


def _tuner(tmp_path, oracle, **kwargs):
    return kt.SklearnTuner(oracle=oracle, hypermodel=build_model, directory=tmp_path, project_name="p", **kwargs)


def test_bayesian_oracle_cross_validates_scores_and_metrics(tmp_path, digits):
    X, y = digits
    oracle = kt.oracles.BayesianOptimizationOracle(objective=kt.Objective("score", "max"), max_trials=4, seed=0)
    tuner = _tuner(tmp_path, oracle, scoring=metrics.make_scorer(metrics.accuracy_score),
                   metrics=[metrics.balanced_accuracy_score], cv=model_selection.KFold(3))
    tuner.search(X, y, verbose=0)
    assert len(tuner.oracle.trials) == 4
    best = tuner.oracle.get_best_trials(1)[0]
    assert isinstance(best.score, float) and 0 < best.score <= 1
    assert best.metrics.get_best_value("balanced_accuracy_score") is not None
    assert "model_type" in tuner.get_best_hyperparameters(1)[0].values
    model = tuner.get_best_models(1)[0]
    assert model.predict(X[:5]).shape == (5,)
    # the score is the mean over the 3 splits of the scorer, the kept model the last split's
    hp = tuner.get_best_hyperparameters(1)[0]
    scores = model_selection.cross_val_score(build_model(hp), X, y, cv=model_selection.KFold(3))
    assert best.score == pytest.approx(float(np.mean(scores)))


def test_results_summary_and_space_summary_in_keras_tuner_layout(tmp_path, digits, capsys):
    X, y = digits
    tuner = _tuner(tmp_path, kt.oracles.RandomSearchOracle(objective=kt.Objective("score", "max"), max_trials=2,
                                                          seed=1), cv=model_selection.KFold(2))
    tuner.search(X, y, verbose=0)
    tuner.search_space_summary()
    tuner.results_summary(2)
    out = capsys.readouterr().out
    for line in ("Search space summary", "model_type (Choice)", "Results summary",
                 'Objective(name="score", direction="max")', "Score: "):
        assert line in out


def test_more_best_models_than_kept_are_refitted_with_a_warning(tmp_path, digits):
    X, y = digits
    tuner = _tuner(tmp_path, kt.oracles.RandomSearchOracle(objective=kt.Objective("score", "max"), max_trials=3,
                                                          seed=2), cv=model_selection.KFold(2), keep_best_models=1)
    tuner.search(X, y, verbose=0)
    assert len(list((tmp_path / "p" / "best").glob("*.pickle"))) == 1
    with pytest.warns(UserWarning, match=r"refitted trials \[\d+, \d+\] on the last cv split"):
        models = tuner.get_best_models(3)
    assert len(models) == 3 and all(hasattr(m, "predict") for m in models)
    # a tuner made again (no search in this process) loads the kept one, and cannot refit the others
    again = _tuner(tmp_path, kt.oracles.RandomSearchOracle(objective=kt.Objective("score", "max"), max_trials=3,
                                                          seed=2), cv=model_selection.KFold(2), keep_best_models=1)
    assert again.get_best_models(1)[0].predict(X[:5]).tolist() == models[0].predict(X[:5]).tolist()
    with pytest.raises(FileNotFoundError, match="was not kept.*run search"):
        again.get_best_models(2)


def test_an_objective_not_recorded_is_refused_naming_the_metrics(tmp_path):
    oracle = kt.oracles.RandomSearchOracle(objective=kt.Objective("val_accuracy", "max"), max_trials=2)
    with pytest.raises(ValueError, match="'val_accuracy' is not recorded.*score"):
        _tuner(tmp_path, oracle)


def test_grid_oracle_runs_the_whole_grid_and_a_failed_build_fails_its_trial(tmp_path, digits):
    X, y = digits

    def build(hp):
        depth = hp.Choice("max_depth", [1, 2, 3])
        if depth == 2:
            raise kt.errors.FailedTrialError("depth 2 is not allowed")
        return tree.DecisionTreeClassifier(max_depth=depth, random_state=0)

    tuner = kt.SklearnTuner(oracle=kt.oracles.GridSearchOracle(objective=kt.Objective("score", "max")),
                            hypermodel=build, cv=model_selection.KFold(2), directory=tmp_path, project_name="g")
    tuner.search(X, y, verbose=0)
    by_depth = {t.params["max_depth"]: t for t in tuner.study.trials}
    assert sorted(by_depth) == [1, 2, 3]
    assert not by_depth[2].ok and "depth 2 is not allowed" in by_depth[2].error
    assert by_depth[3].value > by_depth[1].value


def test_sklearn_tuner_does_not_import_tensorflow(tmp_path):
    script = textwrap.dedent(f"""
        import sys
        import hpcore.adapters.keras as kt
        from sklearn import datasets, model_selection, tree
        X, y = datasets.load_digits(return_X_y=True)
        tuner = kt.tuners.SklearnTuner(
            oracle=kt.oracles.RandomSearchOracle(objective=kt.Objective("score", "max"), max_trials=2, seed=0),
            hypermodel=lambda hp: tree.DecisionTreeClassifier(max_depth=hp.Int("d", 1, 4)),
            cv=model_selection.KFold(2), directory={str(tmp_path)!r}, project_name="tf")
        tuner.search(X[:100], y[:100], verbose=0)
        assert len(tuner.oracle.trials) == 2
        print("tensorflow" in sys.modules, "keras" in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "False"]


def test_hyperband_oracle_runs_with_a_warning_that_estimators_ignore_the_budget(tmp_path, digits):
    X, y = digits
    oracle = kt.oracles.HyperbandOracle(objective=kt.Objective("score", "max"), max_epochs=3, factor=3, seed=0)
    with pytest.warns(UserWarning, match="does not see the budget"):
        tuner = _tuner(tmp_path, oracle, cv=model_selection.KFold(2))
    tuner.search(X, y, verbose=0)
    best = tuner.get_best_hyperparameters(1)[0]
    assert best.get("tuner/epochs") == 3
