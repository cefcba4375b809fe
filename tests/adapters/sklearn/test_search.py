"""HPSearchCV against real scikit-learn estimators, splitters and scorers (small data, few trials)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hpcore.adapters.sklearn import HPSearchCV
from hpcore.adapters.sklearn._cv import _rank, cv_results, stratified_order
from sklearn.base import clone, is_classifier
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GroupKFold, KFold, StratifiedKFold, cross_val_score, cross_validate
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from hpcore import Choice, Float, Int, Space, TrialState

try:
    import hpcore.strategies.hyperband  # noqa: F401

    HAVE_HYPERBAND = True
except ImportError:  # pragma: no cover - written by another engineer
    HAVE_HYPERBAND = False
needs_hyperband = pytest.mark.skipif(not HAVE_HYPERBAND, reason="hpcore.strategies.hyperband is not importable yet")
pytestmark = pytest.mark.filterwarnings("error::sklearn.exceptions.FitFailedWarning")  # unless a test expects one


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return X[::2], y[::2]  # 285 samples


def pipe():
    return Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression(max_iter=500))])


SPACE = {"clf__C": Float(1e-3, 1e2, log=True)}


def search(**kw):
    kw = {"strategy": "random", "n_trials": 4, "cv": 3, "random_state": 0, **kw}
    return HPSearchCV(kw.pop("estimator", pipe()), kw.pop("space", SPACE), **kw)


# -- results --------------------------------------------------------------------------------------------
def test_pipeline_paths_results_and_delegation(iris):
    X, y = iris
    s = search().fit(X, y)
    r = s.cv_results_
    keys = {"params", "param_clf__C", "mean_test_score", "std_test_score", "rank_test_score", "mean_fit_time",
            "std_fit_time", "mean_score_time", "std_score_time", "split0_test_score", "split2_test_score"}
    assert keys <= set(r) and "split3_test_score" not in set(r)
    assert isinstance(r["param_clf__C"], np.ma.MaskedArray) and not r["param_clf__C"].mask.any()
    assert len(r["params"]) == 4 and s.n_splits_ == 3
    assert s.best_index_ == int(np.argmax(r["mean_test_score"])) and r["rank_test_score"][s.best_index_] == 1
    assert s.best_score_ == pytest.approx(r["mean_test_score"].max())
    assert s.best_params_ == r["params"][s.best_index_] and set(s.best_params_) == {"clf__C"}
    assert s.best_estimator_.named_steps["clf"].C == s.best_params_["clf__C"]
    assert s.refit_time_ > 0 and list(s.classes_) == [0, 1, 2] and s.n_features_in_ == 4
    np.testing.assert_array_equal(s.predict(X), s.best_estimator_.predict(X))
    np.testing.assert_allclose(s.predict_proba(X), s.best_estimator_.predict_proba(X))
    np.testing.assert_allclose(s.decision_function(X), s.best_estimator_.decision_function(X))
    assert s.score(X, y) == pytest.approx(s.best_estimator_.score(X, y))
    assert not hasattr(s, "transform") and is_classifier(s)
    assert len(s.study_.trials) == 4 and s.study_.direction == "maximize"


def test_scores_equal_sklearn_cross_validation(cancer):
    X, y = cancer
    cv = StratifiedKFold(3, shuffle=True, random_state=1)
    s = search(cv=cv, scoring="roc_auc").fit(X, y)
    for params, mean, split1 in zip(s.cv_results_["params"], s.cv_results_["mean_test_score"],
                                    s.cv_results_["split1_test_score"]):
        ref = cross_val_score(clone(pipe()).set_params(**params), X, y, cv=cv, scoring="roc_auc")
        assert mean == pytest.approx(ref.mean(), rel=1e-12) and split1 == pytest.approx(ref[1], rel=1e-12)


def test_fit_params_are_split_with_the_data_and_groups_reach_the_splitter(iris):
    X, y = iris
    w = np.random.default_rng(0).uniform(0.5, 2.0, len(y))
    groups = np.arange(len(y)) % 5
    s = search(estimator=Ridge(), space={"alpha": Float(0.01, 10.0, log=True)}, cv=GroupKFold(5), n_trials=2,
               scoring="neg_mean_squared_error").fit(X, y, groups=groups, sample_weight=w)
    params = s.cv_results_["params"][0]
    ref = cross_validate(Ridge(**params), X, y, groups=groups, cv=GroupKFold(5), scoring="neg_mean_squared_error",
                         params={"sample_weight": w})
    assert s.cv_results_["mean_test_score"][0] == pytest.approx(ref["test_score"].mean(), rel=1e-12)
    assert s.n_splits_ == 5


def test_train_scores_and_regressors(iris):
    X, y = iris
    s = search(estimator=Ridge(), space={"alpha": Float(0.01, 10.0, log=True)}, return_train_score=True,
               n_trials=2).fit(X, y)
    assert {"split0_train_score", "mean_train_score", "std_train_score"} <= set(s.cv_results_)
    assert np.all(s.cv_results_["mean_train_score"] >= s.cv_results_["mean_test_score"] - 0.05)
    assert not is_classifier(s) and not hasattr(s, "classes_")


def test_bayes_default_strategy_and_reproducible_seed(iris):
    X, y = iris
    a = search(strategy="bayes", n_trials=6).fit(X, y)
    b = search(strategy="bayes", n_trials=6).fit(X, y)
    assert a.cv_results_["params"] == b.cv_results_["params"]
    assert a.study_.strategy.name == "bayes"


def test_conditional_parameters_are_masked_where_inactive(cancer):
    X, y = cancer
    space = {"clf__solver": Choice(["lbfgs", "liblinear"]),
             "clf__C": Float(0.01, 10.0, log=True),
             "clf__intercept_scaling": Float(0.5, 2.0, condition={"clf__solver": "liblinear"})}
    s = search(space=space, n_trials=6, random_state=3).fit(X, y)
    solver = s.cv_results_["param_clf__solver"]
    scaling = s.cv_results_["param_clf__intercept_scaling"]
    liblinear = np.array([v == "liblinear" for v in solver.data])
    assert liblinear.any() and (~liblinear).any(), "the seed must give both solvers"
    np.testing.assert_array_equal(scaling.mask, ~liblinear)
    assert all(("clf__intercept_scaling" in p) == lib for p, lib in zip(s.cv_results_["params"], liblinear))


# -- scikit-learn composition ------------------------------------------------------------------------------
def test_clone_get_set_params_and_no_work_in_init(iris):
    s = search(n_trials=3)
    assert s.get_params()["n_trials"] == 3 and "estimator__clf__C" in s.get_params(deep=True)
    c = clone(s).set_params(n_trials=2, estimator__clf__max_iter=300)
    assert c.n_trials == 2 and c.estimator.named_steps["clf"].max_iter == 300 and s.n_trials == 3
    assert not hasattr(c, "study_")
    HPSearchCV(pipe(), {"no_such_param": Float(0, 1)})  # validated in fit, not __init__
    with pytest.raises(ValueError, match="not parameters of Pipeline"):
        HPSearchCV(pipe(), {"no_such_param": Float(0, 1)}).fit(*iris)


def test_inside_a_pipeline_and_nested_cross_validation(iris):
    X, y = iris
    outer = Pipeline([("scale", StandardScaler()),
                      ("search", search(estimator=LogisticRegression(max_iter=500),
                                        space={"C": Float(0.01, 10.0, log=True)}, n_trials=2))])
    outer.fit(X, y)
    assert outer.score(X, y) > 0.9
    scores = cross_val_score(search(n_trials=2, cv=2), X, y, cv=KFold(2, shuffle=True, random_state=0))
    assert scores.shape == (2,) and np.all(scores > 0.8)


def test_pickle_keeps_the_fitted_search_but_not_the_study(iris):
    X, y = iris
    s = search(n_trials=2).fit(X, y)
    t = pickle.loads(pickle.dumps(s))
    np.testing.assert_array_equal(t.predict(X), s.predict(X))
    assert not hasattr(t, "study_") and t.best_params_ == s.best_params_


def test_refit_false_and_refit_callable(iris):
    X, y = iris
    s = search(refit=False).fit(X, y)
    assert s.best_params_ and not hasattr(s, "best_estimator_") and not hasattr(s, "predict")
    with pytest.raises(AttributeError, match="refit=False"):
        s.score(X, y)
    worst = search(refit=lambda r: int(np.argmin(r["mean_test_score"]))).fit(X, y)
    assert worst.best_index_ == int(np.argmin(worst.cv_results_["mean_test_score"]))
    assert worst.best_params_ == worst.cv_results_["params"][worst.best_index_] and hasattr(worst, "predict")


# -- failures ---------------------------------------------------------------------------------------------
FAILING_SPACE = {"clf__solver": Choice(["lbfgs", "no-such-solver"]), "clf__C": Float(0.01, 10.0, log=True)}


def test_a_fit_that_raises_is_a_failed_trial_with_nan_scores(iris):
    X, y = iris
    with pytest.warns(FitFailedWarning, match=r"(?s)of 8 trials failed.*no-such-solver"):
        s = search(space=FAILING_SPACE, n_trials=8, random_state=1).fit(X, y)
    r = s.cv_results_
    bad = np.array([p["clf__solver"] == "no-such-solver" for p in r["params"]])
    assert bad.any() and (~bad).any()
    assert np.all(np.isnan(r["mean_test_score"][bad])) and np.all(np.isnan(r["split0_test_score"][bad]))
    assert np.all(np.isfinite(r["mean_test_score"][~bad]))
    assert np.all(r["rank_test_score"][bad] == (~bad).sum() + 1)
    assert s.best_params_["clf__solver"] == "lbfgs" and np.isfinite(s.best_score_)
    states = {t.id: t.state for t in s.study_.trials}
    assert all(states[i] is TrialState.FAILED for i in r["trial_id"][bad])


def test_all_trials_failing_raises_clearly_and_error_score_raise_propagates(iris):
    X, y = iris
    space = {"clf__solver": Choice(["no-such-solver"]), "clf__C": Float(0.01, 10.0, log=True)}
    with pytest.raises(ValueError, match=r"every trial of the search failed(.|\n)*no-such-solver"):
        search(space=space, n_trials=2).fit(X, y)
    with pytest.raises(ValueError, match="no-such-solver") as info:
        search(space=space, n_trials=2, error_score="raise").fit(X, y)
    assert "every trial" not in str(info.value)


def test_arguments_are_checked_in_fit(iris):
    X, y = iris
    cases = [
        ({"scoring": ["accuracy", "f1_macro"]}, "refit names the one to optimise"),
        ({"scoring": ["accuracy", "f1_macro"], "refit": "roc"}, "not one of the scorers"),
        ({"scoring": ["accuracy", "f1_macro"], "refit": False, "strategy": "bayes"}, "which metric"),
        ({"refit": "accuracy"}, "one scorer"),
        ({"error_score": "zero"}, "error_score"),
        ({"n_iter": 3}, "disagree"),
        ({"param_grid": {"clf__C": [1.0]}}, "exactly one of"),
        ({"n_trials": 0}, "n_trials"),
        ({"resource": "n_samples"}, "hyperband"),
        ({"n_jobs": 0}, "n_jobs"),
        ({"space": {"clf__C": "big"}}, "hpcore parameter"),
        ({"space": [("clf__C", Float(0, 1))]}, "space must be"),
        ({"random_state": -1}, "random_state"),
    ]
    for kw, match in cases:
        with pytest.raises((ValueError, TypeError), match=match):
            search(**kw).fit(X, y)


def test_space_may_be_a_space_or_lists(iris):
    X, y = iris
    s = search(space=Space({"clf__C": Float(0.1, 1.0)}), n_trials=2).fit(X, y)
    assert set(s.best_params_) == {"clf__C"}
    g = search(space={"clf__C": [0.1, 1.0]}, strategy="grid", n_trials=5).fit(X, y)
    assert sorted(p["clf__C"] for p in g.cv_results_["params"]) == [0.1, 1.0]  # grid exhausted: stops


# -- storage ------------------------------------------------------------------------------------------------
def test_a_study_in_storage_resumes_and_refuses_other_data(iris, tmp_path):
    X, y = iris
    db = tmp_path / "search.db"
    a = search(n_trials=3, storage=db, study_name="lr").fit(X, y)
    b = search(n_trials=5, storage=db, study_name="lr").fit(X, y)
    assert len(b.cv_results_["params"]) == 5 and b.cv_results_["params"][:3] == a.cv_results_["params"]
    np.testing.assert_allclose(b.cv_results_["mean_test_score"][:3], a.cv_results_["mean_test_score"])
    with pytest.raises(ValueError, match="other data"):
        search(n_trials=6, storage=db, study_name="lr").fit(X[:120], y[:120])


# -- parallel -------------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_n_jobs_runs_trials_in_worker_processes_with_the_same_results(cancer):
    X, y = cancer
    space = {**FAILING_SPACE}
    with pytest.warns(FitFailedWarning):
        par = search(space=space, n_trials=6, n_jobs=2, random_state=1).fit(X, y)
    with pytest.warns(FitFailedWarning):
        seq = search(space=space, n_trials=6, random_state=1).fit(X, y)
    assert par.cv_results_["params"] == seq.cv_results_["params"]
    np.testing.assert_allclose(par.cv_results_["mean_test_score"], seq.cv_results_["mean_test_score"])
    assert np.isnan(par.cv_results_["mean_test_score"]).any()


# -- Hyperband --------------------------------------------------------------------------------------------------
def fitted_size(estimator, X, y):
    """A 'scorer' that reports how many samples the fitted KNN model saw."""
    return float(estimator.n_samples_fit_)


@needs_hyperband
def test_hyperband_on_an_estimator_parameter(cancer):
    from sklearn.ensemble import RandomForestClassifier

    X, y = cancer
    s = HPSearchCV(RandomForestClassifier(random_state=0), {"max_depth": Int(2, 6)}, strategy="hyperband",
                   resource="n_estimators", min_resources=2, max_resources=18, eta=3, n_trials=None, cv=2,
                   random_state=0).fit(X, y)
    r = s.cv_results_
    assert set(r["n_resources"]) == {2, 6, 18}
    np.testing.assert_array_equal(r["param_n_estimators"].data, r["n_resources"])
    assert s.best_params_["n_estimators"] == 18 and r["n_resources"][s.best_index_] == 18
    assert s.best_estimator_.n_estimators == 18 and len(s.best_estimator_.estimators_) == 18
    with pytest.raises(ValueError, match="remove it from the space"):
        HPSearchCV(RandomForestClassifier(), {"n_estimators": Int(2, 6)}, strategy="hyperband",
                   resource="n_estimators", max_resources=9).fit(X, y)


@needs_hyperband
def test_hyperband_on_data_subsets(cancer):
    X, y = cancer
    n = len(y)
    s = HPSearchCV(KNeighborsClassifier(), {"n_neighbors": Int(1, 15), "p": Float(1.0, 3.0)}, strategy="hyperband", resource="n_samples",
                   min_resources=30, max_resources=n, eta=3, n_trials=12, cv=3, scoring=fitted_size,
                   random_state=0).fit(X, y)
    r = s.cv_results_
    assert len(r["params"]) == 12 and "param_n_samples" not in r
    train_sizes = [len(tr) for tr, _ in StratifiedKFold(3).split(X, y)]
    for budget, j0 in zip(r["n_resources"], r["split0_test_score"]):
        assert j0 == max(1, round(budget / n * train_sizes[0]))
    assert s.best_estimator_.n_samples_fit_ == n  # refit on all the data


def test_stratified_prefixes_keep_class_proportions():
    rng = np.random.default_rng(0)
    labels = np.array([0] * 80 + [1] * 20)
    order = stratified_order(np.arange(100), labels, rng)
    assert sorted(order) == list(range(100))
    for size in (10, 25, 50):
        assert abs((labels[order[:size]] == 1).mean() - 0.2) <= 1 / size + 1e-9
    plain = stratified_order(np.arange(10), None, np.random.default_rng(0))
    assert sorted(plain) == list(range(10))


def test_rank_and_columns_of_an_empty_or_failed_history():
    np.testing.assert_array_equal(_rank(np.array([0.5, np.nan, 0.9, 0.5])), [2, 4, 1, 2])
    r = cv_results([], ["a"], 2)
    assert r["params"] == [] and r["mean_test_score"].shape == (0,)
