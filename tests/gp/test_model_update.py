"""Refit schedule and incremental Cholesky updates of GaussianProcess.fit."""

import numpy as np
import pytest

from hpcore.gp import kernels_ref as rk
from hpcore.gp.model import GaussianProcess


def _data(n, d=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((n, d))
    y = np.sin(3.0 * X).sum(axis=1) + 0.1 * X[:, 0] ** 2
    return X, y


def _fresh_posterior(gp, X, y_s, Xq):
    """Dense NumPy posterior with the GP's θ and jitter: the reference for every update path."""
    ls, sf2 = gp.lengthscales, gp.signal_variance
    Ky = rk.kernel_matrix(X, ls, sf2, gp.kernel) + (gp.noise_variance + gp._jitter) * np.eye(len(X))
    Ks = rk.cross_covariance(Xq, X, ls, sf2, gp.kernel)
    mean = Ks @ np.linalg.solve(Ky, y_s)
    var = sf2 - np.einsum("ij,ji->i", Ks, np.linalg.solve(Ky, Ks.T))
    return np.linalg.cholesky(Ky).T, mean, var


def _assert_factor_close(U, U_dense):
    # NumPy's Cholesky rounds differently from LAPACK's blocked one: compare relative to the largest entry.
    np.testing.assert_allclose(U, U_dense, rtol=0, atol=1e-10 * np.abs(U_dense).max())


@pytest.mark.parametrize("kernel", ["matern52", "rbf"])
@pytest.mark.parametrize("k", [1, 3, 17])
def test_block_extension_equals_fresh_factorisation(kernel, k):
    X, y = _data(60 + k)
    gp = GaussianProcess(kernel=kernel, seed=0, refit_min_n=10, refit_growth=0.5).fit(X[:60], y[:60])
    assert gp.last_fit_kind == "refit"
    theta = gp.theta.copy()
    gp.fit(X, y)
    assert gp.last_fit_kind == "extend" and gp.last_fit_nfev == 0
    np.testing.assert_array_equal(gp.theta, theta)
    U_ref = gp._factorize(X, gp.lengthscales, gp.signal_variance, gp.noise_variance)[0]
    np.testing.assert_allclose(gp._U, U_ref, rtol=0, atol=1e-10)
    # α = K_y⁻¹ ỹ itself is ill-conditioned (small noise), so check it by its residual.
    Ky = U_ref.T @ U_ref
    np.testing.assert_allclose(Ky @ gp._alpha, gp.y_train_standardized, rtol=0, atol=1e-9)
    Xq = np.random.default_rng(1).random((7, X.shape[1]))
    U_dense, mean, var = _fresh_posterior(gp, X, gp.y_train_standardized, Xq)
    _assert_factor_close(gp._U, U_dense)
    m, v = gp.predict_standardized(Xq)
    np.testing.assert_allclose(m, mean, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(v, var, rtol=1e-9, atol=1e-10)


def test_kept_hyperparameters_restandardise_targets():
    X, y = _data(80)
    gp = GaussianProcess(seed=0, refit_min_n=10).fit(X[:70], y[:70])
    y2 = y.copy()
    y2[:5] += 3.0  # earlier targets may change (e.g. outlier taming); inputs are what is reused
    gp.fit(X[:75], y2[:75])
    assert gp.last_fit_kind == "extend"
    np.testing.assert_allclose(gp.y_mean, y2[:75].mean(), rtol=1e-12)
    np.testing.assert_allclose(gp.standardize(y2[:75]), gp.y_train_standardized, rtol=1e-12)


def test_refit_schedule():
    X, y = _data(200)
    gp = GaussianProcess(seed=0, refit_min_n=50, refit_growth=0.1)
    kinds = {}
    for n in range(40, 121):
        gp.fit(X[:n], y[:n])
        kinds[n] = gp.last_fit_kind
    # Every call below refit_min_n refits; from there on only after 10 % growth since the
    # last refit (at 49): 49 → 54 → 60 → 66 → 73 → ...
    assert all(kinds[n] == "refit" for n in range(40, 50))
    refits = [n for n in range(50, 121) if kinds[n] == "refit"]
    assert refits == [54, 60, 66, 73, 81, 90, 99, 109, 120]
    assert all(kinds[n] == "extend" for n in range(50, 121) if n not in refits)
    assert gp.n_fits == 10 + len(refits)


def test_refit_growth_zero_and_explicit_flags():
    X, y = _data(130)
    gp = GaussianProcess(seed=0, refit_min_n=10, refit_growth=0.0).fit(X[:100], y[:100])
    gp.fit(X[:101], y[:101])
    assert gp.last_fit_kind == "refit"
    gp = GaussianProcess(seed=0, refit_min_n=10).fit(X[:100], y[:100])
    gp.fit(X[:101], y[:101], refit_hyperparameters=True)
    assert gp.last_fit_kind == "refit" and gp.n_fits == 2
    mean, std = gp.y_mean, gp.y_std
    gp.fit(X[:102], y[:102] + 5.0, refit_hyperparameters=False)  # keeps θ and standardisation
    assert gp.last_fit_kind == "extend" and (gp.y_mean, gp.y_std) == (mean, std)
    with pytest.raises(ValueError):
        GaussianProcess(refit_growth=-0.1)


def test_reordered_or_shrunk_data():
    X, y = _data(120)
    gp = GaussianProcess(seed=0, refit_min_n=10, refit_growth=0.5).fit(X[:100], y[:100])
    perm = np.r_[0:60, 70:100, 60:70, 100:105]  # rows 60+ moved: prefix of 60 kept, 45 rows new
    gp.fit(X[perm], y[perm])
    assert gp.last_fit_kind == "extend"
    Xq = X[110:]
    U_dense, mean, _ = _fresh_posterior(gp, X[perm], gp.y_train_standardized, Xq)
    _assert_factor_close(gp._U, U_dense)
    np.testing.assert_allclose(gp.predict_standardized(Xq)[0], mean, rtol=1e-9, atol=1e-10)
    gp.fit(X[::-1][:104], y[::-1][:104])  # nothing shared at the front: one fresh factorisation
    assert gp.last_fit_kind == "refactor"
    U_dense, mean, _ = _fresh_posterior(gp, X[::-1][:104], gp.y_train_standardized, Xq)
    _assert_factor_close(gp._U, U_dense)
    gp.fit(X[:90], y[:90])  # fewer points than at the last refit: refit
    assert gp.last_fit_kind == "refit"


def test_schedule_is_deterministic():
    X, y = _data(140)
    runs = []
    for _ in range(2):
        gp = GaussianProcess(seed=4, refit_min_n=60)
        out = []
        for n in range(50, 140, 7):
            gp.fit(X[:n], y[:n])
            out.append((gp.last_fit_kind, gp.theta.copy(), gp.predict(X[-3:])[0]))
        runs.append(out)
    for a, b in zip(*runs):
        assert a[0] == b[0]
        np.testing.assert_array_equal(a[1], b[1])
        np.testing.assert_array_equal(a[2], b[2])


def test_condition_on_after_extension_matches_dense_posterior():
    X, y = _data(90)
    gp = GaussianProcess(seed=0, refit_min_n=10).fit(X[:80], y[:80]).fit(X[:84], y[:84])
    assert gp.last_fit_kind == "extend"
    cond = gp.condition_on(X[84:87])
    assert gp.X_train.shape[0] == 84 and cond.X_train.shape[0] == 87
    y_all = np.concatenate([gp.y_train_standardized, gp.predict_standardized(X[84:87])[0]])
    U_dense, mean, var = _fresh_posterior(cond, X[:87], y_all, X[87:])
    _assert_factor_close(cond._U, U_dense)
    m, v = cond.predict_standardized(X[87:])
    np.testing.assert_allclose(m, mean, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(v, var, rtol=1e-9, atol=1e-10)
