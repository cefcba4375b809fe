"""Bayesian optimisation must not spend its budget next to points it has already evaluated."""

import numpy as np

from benchmarks.functions import get_function
from hpcore.strategies.bayes import BayesianOptimization, _near_duplicate
from hpcore.study import Study


def test_branin_seed_1_does_not_pile_up_on_a_boundary_point():
    # Before the near-duplicate check this run put 73 of its 100 evaluations within 1e-5 of
    # the boundary point (x1 = 10, x2 ≈ 2.97) and ended at regret 1.55 (minimum pairwise
    # distance 3e-8 in the unit cube).
    fn = get_function("branin")
    space = fn.space()
    study = Study(space, strategy=BayesianOptimization(), seed=1)
    U, values = [], []
    for _ in range(100):
        trial = study.ask()
        value = fn.params_call(trial.params)
        study.tell(trial, value)
        U.append(space.encode(trial.params))
        values.append(value)
    U = np.array(U)
    dist = np.sqrt(((U[:, None, :] - U[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(dist, np.inf)
    assert dist.min() > 1e-5
    assert min(values) - fn.optimum_value < 1e-3


def test_near_duplicate_is_measured_in_lengthscales():
    visited = np.array([[0.5, 0.5], [0.1, 0.9]])
    inv_ls = 1.0 / np.array([0.1, 10.0])
    assert _near_duplicate(np.array([0.5 + 5e-5, 0.5]), visited, inv_ls)  # 5e-4 lengthscales
    assert not _near_duplicate(np.array([0.5 + 5e-4, 0.5]), visited, inv_ls)  # 5e-3 lengthscales
    assert _near_duplicate(np.array([0.5, 0.5 + 5e-3]), visited, inv_ls)  # long lengthscale: 5e-4
    assert not _near_duplicate(np.array([0.3, 0.3]), np.empty((0, 2)), inv_ls)
