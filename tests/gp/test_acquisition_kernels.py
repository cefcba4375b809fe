"""The compiled log-EI against the NumPy reference in hpcore.gp.acquisition."""

import numpy as np
import pytest
from scipy.special import log_ndtr

from hpcore.gp import acquisition as ref
from hpcore.gp import acquisition_kernels as jit


def _z_grid():
    # every branch and both sides of each boundary (−1, −30, −37), far tails included
    return np.concatenate([-np.logspace(-4, 4, 3000), np.linspace(-45.0, 12.0, 6000), np.logspace(-4, 1.5, 500)])


def test_log_h_matches_reference_on_every_branch():
    z = _z_grid()
    got = np.array([jit._log_h(v) for v in z])
    np.testing.assert_allclose(got, ref.log_h(z), rtol=1e-12, atol=1e-12)


def test_log_ndtr_matches_scipy_on_every_branch():
    z = _z_grid()
    got = np.array([jit._log_ndtr(v) for v in z])
    np.testing.assert_allclose(got, log_ndtr(z), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("seed", range(4))
def test_value_and_input_gradient_match_reference(seed):
    rng = np.random.default_rng(seed)
    m, d = 50, 6
    mean = rng.normal(0.0, 2.0, m)
    var = 10.0 ** rng.uniform(-14, 1, m)  # from near-interpolation to wide
    var[:3] = 1e-12  # the model's variance floor
    best = -1.5
    dmean, dvar = rng.normal(size=(m, d)), rng.normal(size=(m, d))
    value, grad = jit.log_expected_improvement_and_grad(mean, var, best, dmean, dvar)
    std = np.sqrt(var)
    r_value, r_dm, r_ds = ref.log_expected_improvement(mean, std, best, minimize=True, return_grad=True)
    np.testing.assert_allclose(value, r_value, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grad, ref.chain_to_inputs(r_dm, r_ds, dmean, dvar, std), rtol=1e-10, atol=1e-300)
    np.testing.assert_array_equal(jit.log_expected_improvement_and_grad(mean, var, best), value)


def test_gradient_vs_finite_differences_through_mean_and_variance():
    # a(x) with mean(x) = c·x, var(x) = exp(w·x): check ∂a/∂x numerically
    rng = np.random.default_rng(7)
    c, w = rng.normal(size=3), rng.normal(size=3)
    X = rng.random((4, 3))

    def a(X):
        return jit.log_expected_improvement_and_grad(X @ c, np.exp(X @ w), 0.3)

    _, grad = jit.log_expected_improvement_and_grad(X @ c, np.exp(X @ w), 0.3, np.tile(c, (4, 1)),
                                                    np.exp(X @ w)[:, None] * w)
    h = 1e-6
    for k in range(3):
        E = np.zeros_like(X)
        E[:, k] = h
        np.testing.assert_allclose(grad[:, k], (a(X + E) - a(X - E)) / (2 * h), rtol=1e-6, atol=1e-8)


def test_shape_errors():
    with pytest.raises(ValueError, match="1-D"):
        jit.log_expected_improvement_and_grad(np.zeros(3), np.ones(4), 0.0)
    with pytest.raises(ValueError, match="shape"):
        jit.log_expected_improvement_and_grad(np.zeros(3), np.ones(3), 0.0, np.zeros((3, 2)), np.zeros((2, 2)))
