"""The calls users write for GridSearchCV, RandomizedSearchCV and scikit-optimize's BayesSearchCV
(after their documentation's typical examples), run as written and with only the class name
changed to HPSearchCV. Outcomes are compared, not numbers: the parameters tried lie in the
declared ranges and types, and cv_results_ and best_params_ have the same keys."""

from __future__ import annotations

import importlib.util

import pytest
import scipy.stats as st
from hpcore.adapters.sklearn import HPSearchCV
from sklearn.datasets import load_iris
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

HAVE_SKOPT = importlib.util.find_spec("skopt") is not None

# (peer class, call text with {cls}, {parameter: check of one tried value})
CALLS = [
    ("GridSearchCV", "{cls}(SVC(), param_grid={{'kernel': ('linear', 'rbf'), 'C': [1, 10]}})",
     {"kernel": lambda v: v in ("linear", "rbf"), "C": lambda v: v in (1, 10)}),
    ("GridSearchCV", "{cls}(SVC(), param_grid=[{{'kernel': ['linear'], 'C': [1, 10]}}, "
                     "{{'kernel': ['rbf'], 'C': [1, 10], 'gamma': [0.01, 0.1]}}], cv=3)",
     {"kernel": lambda v: v in ("linear", "rbf"), "C": lambda v: v in (1, 10), "gamma": lambda v: v in (0.01, 0.1)}),
    ("RandomizedSearchCV", "{cls}(LogisticRegression(max_iter=300), {{'C': uniform(loc=0, scale=4), "
                           "'penalty': ['l2', None]}}, n_iter=4, random_state=0, cv=3)",
     {"C": lambda v: isinstance(v, float) and 0 <= v <= 4, "penalty": lambda v: v in ("l2", None)}),
    ("RandomizedSearchCV", "{cls}(SVC(), param_distributions={{'C': loguniform(1e-2, 1e2), "
                           "'gamma': loguniform(1e-3, 1e0)}}, n_iter=4, random_state=0, cv=3)",
     {"C": lambda v: 1e-2 <= v <= 1e2, "gamma": lambda v: 1e-3 <= v <= 1.0}),
    ("BayesSearchCV", "{cls}(SVC(), {{'C': (1e-6, 1e+6, 'log-uniform'), 'gamma': (1e-6, 1e+1, 'log-uniform'), "
                      "'degree': (1, 8), 'kernel': ['linear', 'poly', 'rbf']}}, n_iter=4, cv=3, random_state=0)",
     {"C": lambda v: isinstance(v, float) and 1e-6 <= v <= 1e6, "gamma": lambda v: 1e-6 <= v <= 10,
      "degree": lambda v: isinstance(v, int) and 1 <= v <= 8, "kernel": lambda v: v in ("linear", "poly", "rbf")}),
    ("BayesSearchCV", "{cls}(pipe, search_spaces={{'classifier__learning_rate': (0.0001, 0.1, 'log-uniform'), "
                      "'classifier__max_iter': (2, 10)}}, n_iter=3, cv=2, random_state=0)",
     {"classifier__learning_rate": lambda v: isinstance(v, float) and 1e-4 <= v <= 0.1,
      "classifier__max_iter": lambda v: isinstance(v, int) and 2 <= v <= 10}),
]


def peer(name):
    if name == "BayesSearchCV":
        if not HAVE_SKOPT:
            return None
        from skopt import BayesSearchCV

        return BayesSearchCV
    return {"GridSearchCV": GridSearchCV, "RandomizedSearchCV": RandomizedSearchCV}[name]


def run(cls, text, X, y):
    names = {"SVC": SVC, "LogisticRegression": LogisticRegression, "uniform": st.uniform,
             "loguniform": st.loguniform, "HPSearchCV": HPSearchCV, cls.__name__: cls,
             "pipe": Pipeline([("scale", StandardScaler()),
                               ("classifier", HistGradientBoostingClassifier(max_leaf_nodes=4))])}
    search = eval(text.format(cls=cls.__name__), names)  # the call text as a user writes it
    return search.fit(X, y)


def check_tried(search, checks):
    for params in search.cv_results_["params"]:
        assert set(params) <= set(checks)
        for name, value in params.items():
            assert checks[name](value), f"{name}={value!r} is outside what was declared"


@pytest.mark.parametrize("peer_name, text, checks", CALLS, ids=[f"{c[0]}-{i}" for i, c in enumerate(CALLS)])
def test_the_same_call_with_only_the_class_name_changed(peer_name, text, checks):
    X, y = load_iris(return_X_y=True)
    X, y = X[::2], y[::2]
    ours = run(HPSearchCV, text, X, y)
    check_tried(ours, checks)
    other_cls = peer(peer_name)
    if other_cls is None:
        pytest.skip(f"{peer_name} is not installed: only HPSearchCV's side ran")
    other = run(other_cls, text, X, y)
    check_tried(other, checks)
    assert set(ours.cv_results_) - {"trial_id"} == set(other.cv_results_)
    assert set(ours.best_params_) <= set(checks) and len(ours.cv_results_["params"]) == len(
        other.cv_results_["params"])
    if "param_grid" not in text:  # with a list of grids, best_params_ keys depend on the winning sub-grid
        assert set(ours.best_params_) == set(other.best_params_)


def test_a_positional_grid_with_a_tuple_of_words_is_a_clear_error():
    # Positionally, HPSearchCV cannot tell a GridSearchCV grid from a BayesSearchCV space.
    X, y = load_iris(return_X_y=True)
    with pytest.raises(TypeError, match=r"space\['kernel'\].*param_grid="):
        HPSearchCV(SVC(), {"kernel": ("linear", "rbf"), "C": [1, 10]}).fit(X, y)
