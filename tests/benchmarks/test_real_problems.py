"""The scikit-learn tuning problems (benchmarks/real_problems.py)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hpcore.benchmarks import real_problems
from hpcore.benchmarks.real_problems import REAL_PROBLEMS, get_real_problem, random_search_median

import hpcore

pytest.importorskip("sklearn")


@pytest.mark.parametrize("name", sorted(REAL_PROBLEMS))
def test_evaluations_are_finite_losses_and_deterministic(name: str) -> None:
    problem = get_real_problem(name)
    assert problem.optimum_value is None and problem.dims == len(problem.space())
    configs = problem.space().sample(np.random.default_rng(5), 3)
    values = [problem.params_call(c) for c in configs]
    assert all(math.isfinite(v) and v >= 0 for v in values)
    again = get_real_problem(name)  # a fresh problem: data, folds and model seeds rebuilt
    assert [again.params_call(c) for c in configs] == values


def test_the_data_seed_draws_other_synthetic_data() -> None:
    problem = get_real_problem("svm_moons")
    config = {"C": 10.0, "gamma": 1.0}
    other = dataclasses.replace(problem, data_seed=1)
    assert other.params_call(config) != problem.params_call(config)
    assert dataclasses.replace(problem, fold_seed=1).params_call(config) != problem.params_call(config)


def test_losses_are_what_they_say() -> None:
    from sklearn.datasets import load_iris, make_moons
    from sklearn.model_selection import StratifiedKFold, cross_val_predict, cross_val_score
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.svm import SVC

    folds = StratifiedKFold(3, shuffle=True, random_state=0)
    X, y = make_moons(n_samples=300, noise=0.3, random_state=0)
    accuracy = cross_val_score(SVC(C=3.0, gamma=0.5), X, y, cv=folds).mean()
    assert get_real_problem("svm_moons").params_call({"C": 3.0, "gamma": 0.5}) == pytest.approx(1 - accuracy)
    X, y = load_iris(return_X_y=True)
    model = KNeighborsClassifier(n_neighbors=7, weights="distance", p=1.5)
    proba = cross_val_predict(model, X, y, cv=folds, method="predict_proba")
    # the mean over folds of the Brier score; the folds are of equal size, so the mean over all points
    brier = np.mean(np.sum((proba - np.eye(3)[y]) ** 2, axis=1))
    value = get_real_problem("knn_iris").params_call({"n_neighbors": 7, "weights": "distance", "p": 1.5})
    assert value == pytest.approx(brier, rel=1e-12)


def test_space_kinds_are_declared_as_a_user_would() -> None:
    svm = get_real_problem("svm_moons").space()
    assert all(isinstance(svm[n], hpcore.Float) and svm[n].log for n in ("C", "gamma"))
    gbm = get_real_problem("gbm_classification").space()
    assert isinstance(gbm["n_estimators"], hpcore.Int) and gbm["subsample"].step == 0.1
    cash = get_real_problem("cash_classification").space()
    assert cash["gamma"].condition == {"model": ("svm",)} and isinstance(cash["model"], hpcore.Choice)
    assert isinstance(get_real_problem("knn_iris").space()["weights"], hpcore.Choice)


def test_unknown_problem_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown real problem 'svm'.*svm_moons"):
        get_real_problem("svm")


def test_random_search_median_is_the_median_of_the_best_of_k_draws() -> None:
    values = np.arange(1.0, 1001.0)
    assert random_search_median(values, 1) == 500.0  # the median itself
    # the best of k draws is <= v_(j) with probability 1 - (1 - j/N)^k; the median is where that reaches 1/2
    for k in (10, 30, 100):
        v = random_search_median(values, k)
        j = int(v)
        assert 1 - (1 - j / 1000) ** k >= 0.5 > 1 - (1 - (j - 1) / 1000) ** k
    draws = np.random.default_rng(0).choice(values, size=(20_000, 30)).min(axis=1)
    assert abs(np.median(draws) - random_search_median(values, 30)) <= 1.0
    with pytest.raises(ValueError, match="budget"):
        random_search_median(values, 0)


def test_reference_search_improves_on_its_random_start() -> None:
    problem = get_real_problem("elasticnet_diabetes")
    best, config, values = real_problems.reference_search(problem, n_random=20, n_local=15, starts=2, seed=0)
    assert values.shape == (20,) and best <= values.min() and problem.params_call(config) == best
    assert real_problems.reference_search(problem, 20, 15, 2, seed=0)[0] == best  # seeded


def test_timing_command_prints_a_row_per_problem(capsys: pytest.CaptureFixture[str]) -> None:
    assert real_problems.main(["--timing", "--n", "2", "--problems", "knn_iris,svm_moons"]) == 0
    out = capsys.readouterr().out
    assert "| knn_iris |" in out and "| svm_moons |" in out and "CPU ms / evaluation" in out
    with pytest.raises(SystemExit):
        real_problems.main(["--timing", "--problems", "nosuch"])
