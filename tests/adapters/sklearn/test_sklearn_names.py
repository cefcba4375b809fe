"""The argument names and attributes scikit-learn and scikit-optimize users already type."""

from __future__ import annotations

import numpy as np
import pytest
from hpcore.adapters.sklearn import HPSearchCV
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from hpcore import Choice, Float


@pytest.fixture(scope="module")
def data():
    X, y = load_breast_cancer(return_X_y=True)
    return X[::3], y[::3]


def pipe():
    return Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression(max_iter=300))])


C = {"clf__C": (1e-3, 1e2, "log-uniform")}


@pytest.mark.parametrize("name", ["search_spaces", "param_distributions", "param_grid"])
def test_space_aliases(data, name):
    space = {"clf__C": [0.1, 1.0]} if name == "param_grid" else C
    s = HPSearchCV(pipe(), **{name: space}, strategy="grid" if name == "param_grid" else "random",
                   n_iter=2 if name != "param_grid" else None, cv=2, random_state=0).fit(*data)
    assert len(s.cv_results_["params"]) == 2 and set(s.best_params_) == {"clf__C"}
    assert s.get_params()[name] == space


def test_n_iter_is_n_trials_and_grid_without_a_count_runs_the_whole_grid(data):
    s = HPSearchCV(pipe(), C, strategy="random", n_iter=3, cv=2, random_state=0).fit(*data)
    assert len(s.cv_results_["params"]) == 3 and s.total_iterations == 3
    same = HPSearchCV(pipe(), C, strategy="random", n_iter=3, n_trials=3, cv=2, random_state=0).fit(*data)
    assert same.cv_results_["params"] == s.cv_results_["params"]
    grid = {"clf__C": [0.01, 0.1, 1.0], "clf__fit_intercept": [True, False]}
    g = HPSearchCV(pipe(), grid, strategy="grid", cv=2).fit(*data)
    assert len(g.cv_results_["params"]) == 6 and g.total_iterations == 6
    assert HPSearchCV(pipe(), C, strategy="random").total_iterations == 50


def test_a_numeric_error_score_fills_the_failed_rows(data):
    space = {"clf__solver": Choice(["lbfgs", "no-such-solver"]), "clf__C": Float(0.01, 10.0, log=True)}
    with pytest.warns(FitFailedWarning, match="scores are 0.0"):
        s = HPSearchCV(pipe(), space, strategy="random", n_trials=6, cv=2, random_state=1,
                       error_score=0).fit(*data)
    r = s.cv_results_
    bad = np.array([p["clf__solver"] == "no-such-solver" for p in r["params"]])
    assert bad.any() and np.all(r["mean_test_score"][bad] == 0.0) and np.all(r["split1_test_score"][bad] == 0.0)
    assert s.best_params_["clf__solver"] == "lbfgs"


def test_fit_callback_is_skopt_style_and_true_stops(data):
    seen = []

    def stop_after_three(res):
        seen.append((len(res.x_iters), res.fun, list(res.x)))
        return len(res.func_vals) >= 3

    s = HPSearchCV(pipe(), C, strategy="random", n_trials=10, cv=2, random_state=0).fit(*data,
                                                                                         callback=[stop_after_three])
    assert len(s.cv_results_["params"]) == 3 and [n for n, _, _ in seen] == [1, 2, 3]
    res = s.optimizer_results_[0]
    assert res.fun == pytest.approx(-s.best_score_) and res.x == [s.best_params_["clf__C"]]
    assert len(res.func_vals) == 3
    with pytest.raises(TypeError, match="callback"):
        HPSearchCV(pipe(), C, strategy="random", n_trials=2, cv=2).fit(*data, callback="stop")


def test_several_scorers_with_refit_by_name(data):
    scoring = {"acc": "accuracy", "auc": "roc_auc"}
    s = HPSearchCV(pipe(), C, strategy="random", n_trials=3, cv=2, random_state=0, scoring=scoring,
                   refit="auc", return_train_score=True).fit(*data)
    r = s.cv_results_
    for name in scoring:
        assert {f"mean_test_{name}", f"rank_test_{name}", f"split1_test_{name}", f"mean_train_{name}"} <= set(r)
    assert "mean_test_score" not in r and s.multimetric_
    assert s.best_score_ == pytest.approx(r["mean_test_auc"].max()) and r["rank_test_auc"][s.best_index_] == 1
    from sklearn.metrics import roc_auc_score

    assert s.score(*data) == pytest.approx(roc_auc_score(data[1], s.predict_proba(data[0])[:, 1]))
    lst = HPSearchCV(pipe(), C, strategy="random", n_trials=2, cv=2, random_state=0,
                     scoring=["accuracy", "f1"], refit=False).fit(*data)
    assert not hasattr(lst, "best_params_") and not hasattr(lst, "best_estimator_")
    assert {"mean_test_accuracy", "mean_test_f1"} <= set(lst.cv_results_)
    picked = HPSearchCV(pipe(), C, strategy="random", n_trials=3, cv=2, random_state=0, scoring=scoring,
                        refit=lambda r: int(np.argmin(r["mean_test_acc"]))).fit(*data)
    assert picked.best_index_ == int(np.argmin(picked.cv_results_["mean_test_acc"])) and hasattr(picked, "predict")
