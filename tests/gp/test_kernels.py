"""Compiled kernels vs the NumPy reference, and derivatives vs finite differences."""

import numpy as np
import pytest

from hpcore.gp import kernels as jk
from hpcore.gp import kernels_ref as rk

KERNELS = ["matern52", "rbf"]
RTOL = 1e-10


@pytest.fixture(params=["serial", "parallel"])
def mode(request, monkeypatch):
    """Run each comparison through both the serial and the prange code paths."""
    if request.param == "parallel":
        monkeypatch.setattr(jk, "PARALLEL_MIN_WORK", 0)
    else:
        monkeypatch.setattr(jk, "PARALLEL_MIN_WORK", float("inf"))
    return request.param


def _data(seed, n=23, m=17, d=4):
    rng = np.random.default_rng(seed)
    X = rng.random((n, d))
    Xq = rng.random((m, d))
    ls = rng.uniform(0.2, 2.0, d)
    sf2 = float(rng.uniform(0.5, 3.0))
    return rng, X, Xq, ls, sf2


def _k_y_inverse(X, ls, sf2, kernel, noise=0.1):
    K = rk.kernel_matrix(X, ls, sf2, kernel) + noise * np.eye(X.shape[0])
    return np.linalg.inv(K)


@pytest.mark.parametrize("kernel", KERNELS)
def test_kernel_matrix_matches_reference(kernel, mode):
    _, X, _, ls, sf2 = _data(0)
    ref = rk.kernel_matrix(X, ls, sf2, kernel)
    K = jk.kernel_matrix(X, ls, sf2, kernel)
    np.testing.assert_allclose(K, ref, rtol=RTOL, atol=0)
    np.testing.assert_array_equal(K, K.T)
    np.testing.assert_array_equal(np.diag(K), sf2)
    lower = jk.kernel_matrix(X, ls, sf2, kernel, lower_only=True)
    np.testing.assert_array_equal(lower, np.tril(K))
    buf = np.full_like(K, 7.0)
    out = jk.kernel_matrix(X, ls, sf2, kernel, lower_only=True, out=buf)
    assert out is buf
    np.testing.assert_array_equal(np.tril(buf), np.tril(K))
    np.testing.assert_array_equal(np.triu(buf, 1), np.triu(np.full_like(K, 7.0), 1))


@pytest.mark.parametrize("kernel", KERNELS)
def test_cross_covariance_matches_reference(kernel, mode):
    _, X, Xq, ls, sf2 = _data(1)
    np.testing.assert_allclose(
        jk.cross_covariance(Xq, X, ls, sf2, kernel), rk.cross_covariance(Xq, X, ls, sf2, kernel), rtol=RTOL
    )


@pytest.mark.parametrize("shape", [(0, 5, 3), (4, 0, 3), (1, 1, 1), (3, 7, 1), (2, 3, 0), (9, 130, 12)])
def test_cross_covariance_edge_shapes_match_reference(shape, mode):
    m, n, d = shape
    rng = np.random.default_rng(m + n + d)
    Xq, X, ls = rng.random((m, d)), rng.random((n, d)), rng.uniform(0.2, 2.0, d)
    for kernel in KERNELS:
        K = jk.cross_covariance(Xq, X, ls, 1.3, kernel)
        assert K.shape == (m, n)
        np.testing.assert_allclose(K, rk.cross_covariance(Xq, X, ls, 1.3, kernel), rtol=RTOL, atol=1e-300)


@pytest.mark.parametrize("kernel", KERNELS)
def test_lml_kernel_grad_matches_reference(kernel, mode):
    rng, X, _, ls, sf2 = _data(2)
    Kinv = _k_y_inverse(X, ls, sf2, kernel)
    alpha = rng.normal(size=X.shape[0])
    # Garbage in the strict upper triangle must be ignored (LAPACK potri output).
    Kinv_lower = np.tril(Kinv) + np.triu(np.full_like(Kinv, 1e3), 1)
    g, g_sf2 = jk.lml_kernel_grad(X, alpha, Kinv_lower, ls, sf2, kernel)
    g_ref, g_sf2_ref = rk.lml_kernel_grad(X, alpha, Kinv, ls, sf2, kernel)
    np.testing.assert_allclose(g, g_ref, rtol=RTOL)
    assert g_sf2 == pytest.approx(g_sf2_ref, rel=RTOL)


@pytest.mark.parametrize("kernel", KERNELS)
def test_cross_covariance_grad_matches_reference(kernel, mode):
    rng, X, Xq, ls, sf2 = _data(3)
    G = jk.cross_covariance_grad(Xq, X, ls, sf2, kernel)
    np.testing.assert_allclose(G, rk.cross_covariance_grad(Xq, X, ls, sf2, kernel), rtol=RTOL, atol=1e-15)
    v = rng.normal(size=X.shape[0])
    B = rng.normal(size=(Xq.shape[0], X.shape[0]))
    Gv, GB = jk.cross_covariance_grad_contract(Xq, X, ls, sf2, v, B, kernel)
    Gv_ref, GB_ref = rk.cross_covariance_grad_contract(Xq, X, ls, sf2, v, B, kernel)
    np.testing.assert_allclose(Gv, Gv_ref, rtol=1e-9, atol=1e-13)
    np.testing.assert_allclose(GB, GB_ref, rtol=1e-9, atol=1e-13)
    Gv_only, none = jk.cross_covariance_grad_contract(Xq, X, ls, sf2, v, None, kernel)
    assert none is None
    np.testing.assert_allclose(Gv_only, Gv, rtol=1e-13, atol=1e-15)


def _lml(X, y, log_ls, log_sf2, kernel, noise):
    K = rk.kernel_matrix(X, np.exp(log_ls), np.exp(log_sf2), kernel) + noise * np.eye(X.shape[0])
    L = np.linalg.cholesky(K)
    a = np.linalg.solve(K, y)
    return -0.5 * y @ a - np.sum(np.log(np.diag(L)))


@pytest.mark.parametrize("kernel", KERNELS)
def test_lml_kernel_grad_vs_finite_differences(kernel):
    _rng, X, _, ls, sf2 = _data(4, n=15, d=3)
    y = np.sin(3 * X[:, 0]) + X[:, 1] ** 2
    noise = 0.05
    Kinv = _k_y_inverse(X, ls, sf2, kernel, noise)
    alpha = Kinv @ y
    g, g_sf2 = jk.lml_kernel_grad(X, alpha, Kinv, ls, sf2, kernel)
    h = 1e-5
    theta = np.append(np.log(ls), np.log(sf2))
    fd = np.empty_like(theta)
    for i in range(theta.size):
        e = np.zeros_like(theta)
        e[i] = h
        fp = _lml(X, y, (theta + e)[:-1], (theta + e)[-1], kernel, noise)
        fm = _lml(X, y, (theta - e)[:-1], (theta - e)[-1], kernel, noise)
        fd[i] = (fp - fm) / (2 * h)
    np.testing.assert_allclose(np.append(g, g_sf2), fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("kernel", KERNELS)
def test_cross_covariance_grad_vs_finite_differences(kernel):
    _, X, Xq, ls, sf2 = _data(5, n=9, m=6, d=3)
    G = jk.cross_covariance_grad(Xq, X, ls, sf2, kernel)
    h = 1e-6
    for k in range(Xq.shape[1]):
        e = np.zeros(Xq.shape[1])
        e[k] = h
        fd = (
            jk.cross_covariance(Xq + e, X, ls, sf2, kernel) - jk.cross_covariance(Xq - e, X, ls, sf2, kernel)
        ) / (2 * h)
        np.testing.assert_allclose(G[:, :, k], fd, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("kernel", KERNELS)
def test_gradient_at_coincident_points_is_zero_and_finite(kernel):
    _, X, _, ls, sf2 = _data(6, n=5, d=3)
    G = jk.cross_covariance_grad(X, X, ls, sf2, kernel)
    assert np.all(np.isfinite(G))
    for i in range(X.shape[0]):
        np.testing.assert_array_equal(G[i, i], 0.0)


def test_large_parallel_sizes_match_reference(monkeypatch):
    monkeypatch.setattr(jk, "PARALLEL_MIN_WORK", jk.PARALLEL_WORK_THRESHOLD)
    rng = np.random.default_rng(7)
    X = rng.random((300, 5))
    Xq = rng.random((250, 5))
    ls = rng.uniform(0.3, 1.5, 5)
    assert 0.5 * 300 * 300 * 5 >= jk.PARALLEL_MIN_WORK  # exercises the opt-in threshold
    for kernel in KERNELS:
        np.testing.assert_allclose(
            jk.kernel_matrix(X, ls, 1.3, kernel), rk.kernel_matrix(X, ls, 1.3, kernel), rtol=RTOL
        )
        np.testing.assert_allclose(
            jk.cross_covariance(Xq, X, ls, 1.3, kernel),
            rk.cross_covariance(Xq, X, ls, 1.3, kernel),
            rtol=RTOL,
        )
        Kinv = _k_y_inverse(X, ls, 1.3, kernel)
        alpha = rng.normal(size=300)
        g, gs = jk.lml_kernel_grad(X, alpha, Kinv, ls, 1.3, kernel)
        g_ref, gs_ref = rk.lml_kernel_grad(X, alpha, Kinv, ls, 1.3, kernel)
        np.testing.assert_allclose(g, g_ref, rtol=1e-9)
        assert gs == pytest.approx(gs_ref, rel=1e-9)


def test_accepts_non_contiguous_and_other_dtypes():
    rng = np.random.default_rng(8)
    X = rng.random((6, 8))[:, ::2]  # non-contiguous view
    ls = np.ones(4, dtype=np.float32)
    np.testing.assert_allclose(
        jk.kernel_matrix(X, ls, 1.0), rk.kernel_matrix(X, ls.astype(float), 1.0), rtol=RTOL
    )
    Xi = (X > 0.5).astype(int)
    np.testing.assert_allclose(
        jk.kernel_matrix(Xi, np.ones(4), 1.0), rk.kernel_matrix(Xi, np.ones(4), 1.0), rtol=RTOL
    )


def test_validation_errors():
    X = np.random.default_rng(9).random((4, 2))
    with pytest.raises(ValueError):
        jk.kernel_matrix(X, np.ones(3), 1.0)
    with pytest.raises(ValueError):
        jk.kernel_matrix(X, np.array([1.0, -1.0]), 1.0)
    with pytest.raises(ValueError):
        jk.kernel_matrix(X, np.ones(2), 0.0)
    with pytest.raises(ValueError):
        jk.kernel_matrix(X[0], np.ones(2), 1.0)
    with pytest.raises(ValueError):
        jk.kernel_matrix(X, np.ones(2), 1.0, kernel="matern32")
    with pytest.raises(ValueError):
        jk.cross_covariance(X, X[:, :1], np.ones(2), 1.0)
    with pytest.raises(ValueError):
        jk.kernel_matrix(X, np.ones(2), 1.0, out=np.empty((4, 4), order="F"))
    with pytest.raises(ValueError):
        jk.cross_covariance_grad_contract(X, X, np.ones(2), 1.0, np.ones(4), np.ones((3, 4)))


def test_parallel_dispatch_guards(monkeypatch):
    calls = []

    def par(x, nch):
        calls.append("par")
        return x

    def ser(x):
        calls.append("ser")
        return x

    monkeypatch.setattr(jk, "PARALLEL_MIN_WORK", 0)
    monkeypatch.setattr(jk.numba, "get_num_threads", lambda: 2)
    monkeypatch.setattr(jk, "_parallel_pid", None)
    assert jk._dispatch(1e9, 100, par, ser, 1) == 1
    # a forked child of a process that already ran a parallel kernel stays serial
    monkeypatch.setattr(jk, "_parallel_pid", -1)
    jk._dispatch(1e9, 100, par, ser, 1)
    # so does a caller that finds another thread inside a parallel kernel
    monkeypatch.setattr(jk, "_parallel_pid", None)
    with jk._parallel_lock:
        jk._dispatch(1e9, 100, par, ser, 1)
    assert calls == ["par", "ser", "ser"]


def _factor(X, ls, sf2, kernel, noise=1e-3):
    """Upper Cholesky factor (Fortran order, garbage below the diagonal as LAPACK may leave it)."""
    from scipy.linalg.lapack import dpotrf

    K = rk.kernel_matrix(X, ls, sf2, kernel) + noise * np.eye(X.shape[0])
    U, info = dpotrf(np.asfortranarray(K), lower=0, clean=0)
    assert info == 0
    return U


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("m", [1, 5, 17])
def test_fused_posterior_matches_reference(kernel, m):
    rng, X, Xq, ls, sf2 = _data(11, n=40, m=m)
    U = _factor(X, ls, sf2, kernel)
    alpha = rng.standard_normal(X.shape[0])
    out = jk.posterior(Xq, X, ls, sf2, U, alpha, kernel, return_grad=True)
    ref = rk.posterior(Xq, X, ls, sf2, U, alpha, kernel, return_grad=True)
    for got, want in zip(out, ref):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    mean, var = jk.posterior(Xq, X, ls, sf2, U, alpha, kernel)
    np.testing.assert_array_equal(mean, out[0])
    np.testing.assert_array_equal(var, out[1])
    # a C-ordered factor (the strict lower triangle ignored) gives the same numbers
    np.testing.assert_allclose(jk.posterior(Xq, X, ls, sf2, np.ascontiguousarray(np.triu(U)), alpha, kernel)[1],
                               var, rtol=1e-12)


@pytest.mark.parametrize("kernel", KERNELS)
def test_fused_posterior_gradients_vs_finite_differences(kernel):
    rng, X, Xq, ls, sf2 = _data(12, n=30, m=3)
    U = _factor(X, ls, sf2, kernel)
    alpha = rng.standard_normal(X.shape[0])
    _, _, dmean, dvar = jk.posterior(Xq, X, ls, sf2, U, alpha, kernel, return_grad=True)
    h = 1e-6
    for k in range(X.shape[1]):
        E = np.zeros_like(Xq)
        E[:, k] = h
        mp, vp = jk.posterior(Xq + E, X, ls, sf2, U, alpha, kernel)
        mm, vm = jk.posterior(Xq - E, X, ls, sf2, U, alpha, kernel)
        np.testing.assert_allclose(dmean[:, k], (mp - mm) / (2 * h), rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(dvar[:, k], (vp - vm) / (2 * h), rtol=1e-5, atol=1e-7)


def test_fused_posterior_validation():
    rng, X, Xq, ls, sf2 = _data(13, n=10, m=2)
    U = _factor(X, ls, sf2, "matern52")
    with pytest.raises(ValueError, match="U must have shape"):
        jk.posterior(Xq, X, ls, sf2, U[:5, :5], np.ones(10))
    with pytest.raises(ValueError, match="same number of columns"):
        jk.posterior(Xq[:, :2], X, ls, sf2, U, np.ones(10))
    with pytest.raises(ValueError, match="alpha"):
        jk.posterior(Xq, X, ls, sf2, U, np.ones(9))
