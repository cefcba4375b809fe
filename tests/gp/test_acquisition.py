"""Acquisition functions: closed forms vs integration, stability, gradients."""

import numpy as np
import pytest
from scipy import integrate
from scipy.stats import norm

from hpcore.gp import acquisition as acq


def _ei_by_quadrature(mean, std, best, minimize):
    def integrand(f):
        imp = best - f if minimize else f - best
        return max(imp, 0.0) * norm.pdf(f, mean, std)

    # Integrate only over the improving half-line so quad sees a smooth integrand.
    if minimize:
        val, _ = integrate.quad(integrand, mean - 40 * std, best, epsabs=1e-14, epsrel=1e-12, limit=200)
    else:
        val, _ = integrate.quad(integrand, best, mean + 40 * std, epsabs=1e-14, epsrel=1e-12, limit=200)
    return val


@pytest.mark.parametrize("minimize", [True, False])
@pytest.mark.parametrize(
    "mean,std,best", [(0.0, 1.0, 0.0), (0.3, 0.5, -0.2), (-1.0, 2.0, 0.5), (2.0, 0.7, 1.0), (0.0, 0.1, 0.35)]
)
def test_ei_matches_quadrature(mean, std, best, minimize):
    ref = _ei_by_quadrature(mean, std, best, minimize)
    val = acq.expected_improvement(mean, std, best, minimize=minimize)
    assert val == pytest.approx(ref, rel=1e-8, abs=1e-13)


def test_log_ei_equals_log_of_ei_where_representable():
    z = np.linspace(-30.0, 6.0, 4001)
    std = 0.7
    mean = -z * std  # best = 0, minimise: z = (0 − μ)/σ
    ei = acq.expected_improvement(mean, std, 0.0)
    assert np.all(ei > 0)
    np.testing.assert_allclose(
        acq.log_expected_improvement(mean, std, 0.0), np.log(ei), rtol=1e-12, atol=1e-12
    )
    # and φ(z) + zΦ(z) from scipy where no cancellation occurs
    zz = np.linspace(-1.0, 6.0, 101)
    np.testing.assert_allclose(acq.log_h(zz), np.log(norm.pdf(zz) + zz * norm.cdf(zz)), rtol=1e-13)


def test_log_ei_finite_and_monotone_for_very_negative_z():
    z = -np.logspace(np.log10(1.0), 3.0, 20001)[::-1]  # −1e3 … −1, increasing
    lh = acq.log_h(z)
    assert np.all(np.isfinite(lh))
    assert np.all(np.diff(lh) > 0)
    # asymptotics: log h = −z²/2 − ½log 2π − 2 log|z| + log(1 − 3/z²) + O(z⁻⁴)
    zb = z[z < -100]
    approx = -0.5 * zb**2 - 0.5 * np.log(2 * np.pi) - 2 * np.log(-zb) + np.log1p(-3 / zb**2)
    assert np.all(np.abs(lh[z < -100] - approx) <= 20 / zb**4 + 1e-14 * np.abs(approx))
    vals = acq.log_expected_improvement(np.full(3, 1e3), np.ones(3), np.zeros(3))
    assert np.all(np.isfinite(vals))


@pytest.mark.parametrize("z0", [-1.0, -100.0])
def test_log_h_continuous_across_branches(z0):
    eps = 1e-9
    lo, mid, hi = acq.log_h(np.array([z0 - eps, z0, z0 + eps]))
    assert abs(hi - lo) < 1e-6 * max(1.0, abs(z0))
    assert lo < mid < hi or np.isclose(lo, hi, rtol=1e-14)


def test_log_h_against_high_precision():
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 60
    for z in [5.0, 0.3, -0.5, -1.0, -3.0, -7.5, -20.0, -45.0, -99.0, -101.0, -300.0, -1000.0]:
        zm = mpmath.mpf(z)
        ref = mpmath.log(mpmath.npdf(zm) + zm * mpmath.ncdf(zm))
        got = acq.log_h(z)
        assert float(got) == pytest.approx(float(ref), rel=1e-12, abs=1e-12), z


def _fd(fun, x, h):
    return (fun(x + h) - fun(x - h)) / (2 * h)


@pytest.mark.parametrize("minimize", [True, False])
@pytest.mark.parametrize(
    "name", ["expected_improvement", "log_expected_improvement", "log_probability_of_improvement"]
)
def test_improvement_gradients_vs_finite_differences(name, minimize):
    f = getattr(acq, name)
    best = 0.2
    sgn = 1 if minimize else -1
    # z from comfortably positive to deep in the tail (z ≈ −60)
    mean = best - sgn * np.array([1.5, 0.4, 0.0, -0.5, -2.0, -6.0, -15.0, -30.0])
    std = np.array([1.0, 0.3, 0.8, 0.25, 1.2, 0.9, 0.5, 0.5])
    if name == "expected_improvement":
        keep = (best - mean) * sgn / std > -6  # EI itself underflows further out
        mean, std = mean[keep], std[keep]
    val, dm, ds = f(mean, std, best, minimize=minimize, return_grad=True)
    np.testing.assert_allclose(val, f(mean, std, best, minimize=minimize))
    h = 1e-6 * np.maximum(1.0, np.abs(mean))
    fd_m = _fd(lambda m: f(m, std, best, minimize=minimize), mean, h)
    fd_s = _fd(lambda s: f(mean, s, best, minimize=minimize), std, 1e-7 * std)
    np.testing.assert_allclose(dm, fd_m, rtol=1e-5, atol=1e-9)
    np.testing.assert_allclose(ds, fd_s, rtol=1e-5, atol=1e-9)


def test_log_pi_matches_scipy():
    z = np.linspace(-30, 8, 500)
    np.testing.assert_allclose(
        acq.log_probability_of_improvement(-z, 1.0, 0.0), norm.logcdf(z), rtol=1e-12, atol=1e-14
    )
    np.testing.assert_allclose(
        acq.log_probability_of_improvement(z, 1.0, 0.0, minimize=False), norm.logcdf(z)
    )


def test_confidence_bounds():
    mean = np.array([0.0, 1.0, -2.0])
    std = np.array([1.0, 0.5, 2.0])
    u, dm, ds = acq.upper_confidence_bound(mean, std, 4.0, return_grad=True)
    np.testing.assert_allclose(u, mean + 2 * std)
    np.testing.assert_array_equal(dm, 1.0)
    np.testing.assert_array_equal(ds, 2.0)
    lo, dm, ds = acq.lower_confidence_bound(mean, std, 4.0, return_grad=True)
    np.testing.assert_allclose(lo, mean - 2 * std)
    np.testing.assert_array_equal(ds, -2.0)
    with pytest.raises(ValueError):
        acq.upper_confidence_bound(mean, std, -1.0)


def test_zero_std_is_handled():
    v = acq.log_expected_improvement(np.array([0.0, 1.0]), np.array([0.0, 0.0]), 0.5)
    assert np.isfinite(v[0]) and not np.isnan(v[1])
    ei = acq.expected_improvement(np.array([0.0, 1.0]), np.array([0.0, 0.0]), 0.5)
    np.testing.assert_allclose(ei, [0.5, 0.0], atol=1e-12)


def test_scalar_inputs_and_broadcasting():
    assert np.ndim(acq.log_expected_improvement(0.0, 1.0, 0.0)) == 0
    out = acq.log_expected_improvement(np.zeros((2, 3)), 1.0, np.array([0.0, 1.0, 2.0]))
    assert out.shape == (2, 3)
    assert np.all(np.diff(out[0]) > 0)


def test_chain_to_inputs():
    rng = np.random.default_rng(0)
    dm, ds, std = rng.normal(size=4), rng.normal(size=4), rng.uniform(0.1, 1, 4)
    dmean_dx, dvar_dx = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    out = acq.chain_to_inputs(dm, ds, dmean_dx, dvar_dx, std)
    np.testing.assert_allclose(out, dm[:, None] * dmean_dx + ds[:, None] * dvar_dx / (2 * std[:, None]))
