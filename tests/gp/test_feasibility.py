"""The success-probability model that weights the acquisition away from failing regions."""

import numpy as np
import pytest

from hpcore.gp.feasibility import FeasibilityModel


def _data(n=40, seed=0):
    rng = np.random.default_rng(seed)
    U = rng.random((n, 2))
    return U, U[:, 0] < 0.6  # evaluations fail where u0 >= 0.6


def test_probability_is_high_where_trials_succeeded_and_low_where_they_failed():
    U, ok = _data()
    model = FeasibilityModel(seed=0)
    assert model.fit(U, ok)
    p = np.exp(model.log_probability(np.array([[0.2, 0.5], [0.95, 0.5]])))
    assert p[0] > 0.9 and p[1] < 0.1


def test_gradient_matches_finite_differences():
    U, ok = _data()
    model = FeasibilityModel(seed=0)
    model.fit(U, ok)
    Xq = np.random.default_rng(1).random((5, 2))
    _, grad = model.log_probability(Xq, return_grad=True)
    h = 1e-6
    for k in range(2):
        e = np.zeros(2)
        e[k] = h
        fd = (model.log_probability(Xq + e) - model.log_probability(Xq - e)) / (2 * h)
        np.testing.assert_allclose(grad[:, k], fd, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("labels", [np.ones(10, bool), np.zeros(10, bool)])
def test_a_single_outcome_leaves_the_model_unused(labels):
    model = FeasibilityModel(seed=0)
    assert not model.fit(np.random.default_rng(0).random((10, 3)), labels)
    with pytest.raises(RuntimeError):
        model.log_probability(np.zeros((1, 3)))


def test_a_grown_space_is_fitted_afresh():
    U, ok = _data()
    model = FeasibilityModel(seed=0)
    model.fit(U, ok)
    U3 = np.hstack([U, np.full((len(U), 1), 0.5)])  # a parameter added mid-study
    assert model.fit(U3, ok)
    p = np.exp(model.log_probability(np.array([[0.2, 0.5, 0.5], [0.95, 0.5, 0.5]])))
    assert p[0] > 0.9 and p[1] < 0.1
