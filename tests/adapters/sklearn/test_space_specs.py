"""The space arguments scikit-learn and scikit-optimize users write are read as they mean them."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as st
from hpcore.adapters.sklearn import HPSearchCV
from hpcore.adapters.sklearn._space import parameter_from_spec, space_from_spec
from sklearn.datasets import load_iris
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from hpcore import Choice, Float, Int


@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


def test_the_bayessearchcv_tuple_dict_is_ranges_not_choices(iris):
    # The reported misread: the tuples were read as choices among their elements.
    pipe = Pipeline([("classifier", HistGradientBoostingClassifier(max_iter=5, max_leaf_nodes=4))])
    space = {"classifier__learning_rate": (0.0001, 0.1, "log-uniform"),
             "classifier__max_iter": (2, 8)}
    s = HPSearchCV(pipe, space, strategy="random", n_trials=5, cv=2, random_state=0).fit(*iris)
    rates = [p["classifier__learning_rate"] for p in s.cv_results_["params"]]
    iters = [p["classifier__max_iter"] for p in s.cv_results_["params"]]
    assert all(isinstance(r, float) and 0.0001 <= r <= 0.1 for r in rates)
    assert all(isinstance(i, int) and 2 <= i <= 8 for i in iters)
    assert len(set(rates)) == 5 and not set(iters) <= {2, 8}
    assert np.all(np.isfinite(s.cv_results_["mean_test_score"]))


@pytest.mark.parametrize("spec, expected", [
    ((1, 10), Int(1, 10)),
    ((1.0, 10), Float(1.0, 10.0)),
    ((1e-4, 1e-1, "log-uniform"), Float(1e-4, 1e-1, log=True)),
    ((1, 100, "log-uniform"), Int(1, 100, log=True)),
    ((0.1, 1.0, "uniform"), Float(0.1, 1.0)),
    ((1e-4, 1e-1, "log-uniform", 2), Float(1e-4, 1e-1, log=True)),
    (["a", "b", "c"], Choice(["a", "b", "c"])),
    (np.array([0.1, 1.0]), Choice([0.1, 1.0])),
    (st.uniform(0.5, 2.0), Float(0.5, 2.5)),
    (st.loguniform(1e-3, 1e1), Float(1e-3, 1e1, log=True)),
    (st.randint(1, 5), Int(1, 4)),
    (Float(0, 1), Float(0, 1)),
])
def test_each_form_becomes_its_hpcore_parameter(spec, expected):
    assert repr(parameter_from_spec("p", spec)) == repr(expected)


@pytest.mark.parametrize("spec, match", [
    ((0.0001, 0.1, "log"), "prior 'log'"),
    (("a", "b"), "needs numbers"),
    ((1, 2, 3), "prior 3"),
    ((1,), "not a range"),
    ((1e-3, 1.0, "log-uniform", 1), "base"),
    (st.norm(0, 1), "scipy.stats.norm is not supported"),
    (st.loguniform(1e-3, 1.0, loc=1.0), "loc"),
    ("big", "expected an hpcore parameter"),
    ({1, 2}, "expected an hpcore parameter"),
    (3.0, "expected an hpcore parameter"),
])
def test_anything_else_is_a_type_error_naming_the_key(spec, match):
    with pytest.raises(TypeError, match=rf"space\['clf__C'\].*{match}"):
        parameter_from_spec("clf__C", spec)


def test_skopt_dimensions_are_read_when_installed():
    space = pytest.importorskip("skopt.space")
    assert repr(parameter_from_spec("p", space.Real(1e-3, 1.0, prior="log-uniform"))) == repr(
        Float(1e-3, 1.0, log=True))
    assert repr(parameter_from_spec("p", space.Integer(2, 9))) == repr(Int(2, 9))
    assert repr(parameter_from_spec("p", space.Categorical(["x", "y"]))) == repr(Choice(["x", "y"]))
    with pytest.raises(TypeError, match="unequal prior"):
        parameter_from_spec("p", space.Categorical(["x", "y"], prior=[0.9, 0.1]))


def test_skopt_like_objects_are_duck_typed_by_module_and_class():
    Real = type("Real", (), {"__module__": "skopt.space.space"})
    r = Real()
    r.low, r.high, r.prior, r.base = 0.5, 2.0, "uniform", 10
    assert repr(parameter_from_spec("p", r)) == repr(Float(0.5, 2.0))


def test_a_list_of_grids_runs_each_sub_grid_only(iris):
    grids = [{"C": [0.1, 1.0], "solver": ["lbfgs"]},
             {"C": [10.0], "solver": ["liblinear"], "intercept_scaling": [0.5, 2.0]}]
    space, points = space_from_spec(grids)
    assert len(points) == 4 and list(space["C"].values) == [0.1, 1.0, 10.0]
    X, y = iris[0], (iris[1] == 0).astype(int)  # liblinear is binary-only
    s = HPSearchCV(LogisticRegression(max_iter=300), grids, strategy="grid", n_trials=None, cv=2).fit(X, y)
    tried = s.cv_results_["params"]
    assert sorted(map(str, tried)) == sorted(map(str, points))
    assert s.cv_results_["param_intercept_scaling"].mask.tolist() == [True, True, False, False]
    with pytest.raises(ValueError, match="grid"):
        HPSearchCV(LogisticRegression(), grids, strategy="random", n_trials=2, cv=2).fit(X, y)
    assert s.total_iterations == 4


def test_a_study_made_from_a_list_of_grids_reopens_without_its_strategy(tmp_path):
    from hpcore.adapters.sklearn import HPSearchCV
    from sklearn.svm import SVC

    import hpcore

    X, y = load_iris(return_X_y=True)
    db = tmp_path / "grids.db"
    grids = [{"kernel": ["linear"], "C": [0.1, 1.0]}, {"kernel": ["rbf"], "gamma": [1e-3]}]
    HPSearchCV(SVC(), param_grid=grids, strategy="grid", cv=2, storage=str(db), study_name="g").fit(X, y)
    study = hpcore.Study(storage=db, name="g")            # the strategy comes from storage
    assert study.strategy.name == "sklearn_grid_list" and len(study.trials) == 3
