"""Micro-benchmarks of hpcore's hot paths.

    pytest benchmarks/micro --benchmark-only [--benchmark-columns=min,median,max]

- kernel matrix K(X, X), cross-covariance K(Xq, X) and the log-marginal-likelihood kernel
  gradient (`hpcore.gp.kernels`), at several (n, d);
- the GP after one new point: a scheduled hyperparameter refit vs keeping θ and extending the
  Cholesky factor, and the posterior over a 2,048-candidate acquisition sweep;
- one step of the acquisition's local search: the posterior with input gradients at 5 points
  (fused compiled pass vs BLAS path) and log-EI with its chain rule (compiled vs NumPy);
- one Bayesian-optimisation step (ask + tell, the GP refit included) after n trials in d
  dimensions;
- random and grid search ask + tell with a history already in memory;
- `tell` into SQLite storage.

Parts whose module is not installed yet are skipped. Sizes shrink with `HPCORE_MICRO_TINY=1`.
"""

from __future__ import annotations

import copy
import os

import numpy as np
import pytest

import hpcore

TINY = os.environ.get("HPCORE_MICRO_TINY", "") not in ("", "0")

#: (n, d) of the kernel-matrix and marginal-likelihood-gradient benchmarks.
KERNEL_SIZES = [(20, 2)] if TINY else [(100, 2), (500, 6), (1000, 6), (2000, 10)]
#: (n, d) of the GP update and candidate-sweep benchmarks.
GP_SIZES = [(120, 2)] if TINY else [(200, 6), (1000, 10)]
#: (n trials already told, d parameters) before a timed Bayesian-optimisation step.
BAYES_SIZES = [(8, 2)] if TINY else [(20, 2), (100, 6), (300, 6), (500, 10)]
#: Trials in the study before timing random/grid ask + tell and SQLite tell.
HISTORY = 10 if TINY else 1000
#: Timed rounds of the benchmarks that grow the study as they run.
ROUNDS = 3 if TINY else 200


def _ids(sizes: list[tuple[int, int]]) -> list[str]:
    return [f"n{n}-d{d}" for n, d in sizes]


def _points(n: int, d: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((n, d))


# -- GP kernels ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("n", "d"), KERNEL_SIZES, ids=_ids(KERNEL_SIZES))
def test_kernel_matrix(benchmark, n: int, d: int) -> None:
    kernels = pytest.importorskip("hpcore.gp.kernels")
    X = _points(n, d)
    ls = np.full(d, 0.3)
    kernels.kernel_matrix(X, ls, 1.0)  # compile (or load the numba cache) outside the timing
    K = benchmark(kernels.kernel_matrix, X, ls, 1.0)
    assert K.shape == (n, n)
    assert np.allclose(np.diag(K), 1.0)


@pytest.mark.parametrize(("n", "d"), KERNEL_SIZES, ids=_ids(KERNEL_SIZES))
def test_lml_gradient(benchmark, n: int, d: int) -> None:
    kernels = pytest.importorskip("hpcore.gp.kernels")
    from scipy.linalg import cho_factor, cho_solve

    X = _points(n, d)
    y = np.sin(6 * X).sum(axis=1)
    ls = np.full(d, 0.3)
    K = kernels.kernel_matrix(X, ls, 1.0) + 1e-4 * np.eye(n)
    factor = cho_factor(K, lower=True)
    K_inv = cho_solve(factor, np.eye(n))
    alpha = cho_solve(factor, y)
    kernels.lml_kernel_grad(X, alpha, K_inv, ls, 1.0)
    g_ls, g_sf2 = benchmark(kernels.lml_kernel_grad, X, alpha, K_inv, ls, 1.0)
    assert g_ls.shape == (d,)
    assert np.isfinite(g_ls).all() and np.isfinite(g_sf2)


@pytest.mark.parametrize(("n", "d"), KERNEL_SIZES, ids=_ids(KERNEL_SIZES))
def test_cross_covariance(benchmark, n: int, d: int) -> None:
    kernels = pytest.importorskip("hpcore.gp.kernels")
    X, Xq = _points(n, d), _points(2048, d, seed=1)
    ls = np.full(d, 0.3)
    kernels.cross_covariance(Xq, X, ls, 1.0)
    K = benchmark(kernels.cross_covariance, Xq, X, ls, 1.0)
    assert K.shape == (2048, n)


# -- GP updates ------------------------------------------------------------------------------------------------
def _gp_data(n: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    X = _points(n + 1, d)
    return X, np.sin(6 * X).sum(axis=1)


@pytest.mark.parametrize("update", ["refit", "extend"])
@pytest.mark.parametrize(("n", "d"), GP_SIZES, ids=_ids(GP_SIZES))
def test_gp_fit_after_one_new_point(benchmark, n: int, d: int, update: str) -> None:
    model = pytest.importorskip("hpcore.gp.model")
    X, y = _gp_data(n, d)
    base = model.GaussianProcess(seed=0, noise_floor=1e-6).fit(X[:n], y[:n])

    def setup() -> tuple[tuple, dict]:  # the state right after the last scheduled refit, at n points
        return (copy.deepcopy(base),), {}

    def run(gp) -> None:
        gp.fit(X, y, refit_hyperparameters=True if update == "refit" else None)
        assert gp.last_fit_kind == update

    benchmark.pedantic(run, setup=setup, rounds=2 if TINY else 5, iterations=1)


@pytest.mark.parametrize(("n", "d"), GP_SIZES, ids=_ids(GP_SIZES))
def test_gp_candidate_sweep(benchmark, n: int, d: int) -> None:
    model = pytest.importorskip("hpcore.gp.model")
    X, y = _gp_data(n, d)
    gp = model.GaussianProcess(seed=0, noise_floor=1e-6).fit(X, y)
    Xq = _points(2048, d, seed=2)
    mean, var = benchmark(gp.predict_standardized, Xq)
    assert mean.shape == var.shape == (2048,)


@pytest.mark.parametrize("path", ["fused", "blas"])
@pytest.mark.parametrize(("n", "d"), GP_SIZES, ids=_ids(GP_SIZES))
def test_gp_posterior_with_gradient_5_points(benchmark, monkeypatch, n: int, d: int, path: str) -> None:
    """One step of the acquisition's local search: posterior and its input gradients at 5 points,
    through the fused compiled pass or (forced) the BLAS path."""
    model = pytest.importorskip("hpcore.gp.model")
    X, y = _gp_data(n, d)
    gp = model.GaussianProcess(seed=0, noise_floor=1e-6).fit(X, y)
    if path == "blas":
        monkeypatch.setattr(model, "_FUSED_MAX_M", 0)
    Xq = _points(5, d, seed=3)
    gp.predict_standardized(Xq, return_grad=True)  # compile / prepare outside the timing
    out = benchmark(gp.predict_standardized, Xq, return_grad=True)
    assert out[2].shape == (5, d)


@pytest.mark.parametrize("impl", ["compiled", "numpy"])
def test_log_ei_with_gradient_5_points(benchmark, impl: str) -> None:
    """log-EI and its chain rule to the inputs at 5 points: compiled vs the NumPy reference."""
    acq = pytest.importorskip("hpcore.gp.acquisition")
    kern = pytest.importorskip("hpcore.gp.acquisition_kernels")
    rng = np.random.default_rng(4)
    mean, var = rng.normal(size=5), rng.random(5) + 1e-3
    dmean, dvar = rng.normal(size=(5, 6)), rng.normal(size=(5, 6))

    def numpy_version():
        std = np.sqrt(var)
        _, dm, ds = acq.log_expected_improvement(mean, std, -1.5, return_grad=True)
        return acq.chain_to_inputs(dm, ds, dmean, dvar, std)

    def compiled():
        return kern.log_expected_improvement_and_grad(mean, var, -1.5, dmean, dvar)[1]

    fn = compiled if impl == "compiled" else numpy_version
    fn()
    assert benchmark(fn).shape == (5, 6)


# -- Bayesian optimisation -----------------------------------------------------------------------------------
def _ackley(params: dict) -> float:
    x = np.array([params[k] for k in sorted(params)]) * 4 - 2
    return float(-20 * np.exp(-0.2 * np.sqrt(np.mean(x**2))) - np.exp(np.mean(np.cos(2 * np.pi * x))) + 20 + np.e)


@pytest.mark.parametrize(("n", "d"), BAYES_SIZES, ids=_ids(BAYES_SIZES))
def test_bayes_ask(benchmark, n: int, d: int) -> None:
    from hpcore.strategies.base import STRATEGIES

    if "bayes" not in STRATEGIES():
        pytest.skip("the 'bayes' strategy is not installed yet")
    space = hpcore.Space({f"x{i:02d}": hpcore.Float(0.0, 1.0) for i in range(d)})
    study = hpcore.Study(space, strategy="bayes", seed=0)
    rng = np.random.default_rng(1)
    for _ in range(n):  # warm start: n observations the model must fit
        p = space.sample(rng)
        study.add(p, _ackley(p))

    def step() -> None:  # one suggestion, then its result: the model refits on every new point
        t = study.ask()
        study.tell(t, _ackley(t.params))

    benchmark.pedantic(step, rounds=2 if TINY else 5, iterations=1, warmup_rounds=1)
    assert len(study.trials) > n


# -- random and grid search -----------------------------------------------------------------------------------
def _mixed_space() -> hpcore.Space:
    return hpcore.Space({
        "lr": hpcore.Float(1e-5, 1e-1, log=True),
        "dropout": hpcore.Float(0.0, 0.5),
        "units": hpcore.Int(16, 512),
        "optimizer": hpcore.Choice(["adam", "sgd", "rmsprop"]),
    })


def _grid_space() -> hpcore.Space:  # 20^4 = 160,000 points: never exhausted here
    return hpcore.Space({f"k{i}": hpcore.Int(0, 19) for i in range(4)})


def _ask_tell(benchmark, study: hpcore.Study) -> None:
    def step() -> None:
        t = study.ask()
        study.tell(t, 0.5)

    for _ in range(HISTORY):
        step()
    benchmark.pedantic(step, rounds=ROUNDS, iterations=1, warmup_rounds=1)


def test_random_ask_tell(benchmark) -> None:
    study = hpcore.Study(_mixed_space(), strategy="random", seed=0)
    _ask_tell(benchmark, study)
    assert len(study.trials) > HISTORY


def test_grid_ask_tell(benchmark) -> None:
    study = hpcore.Study(_grid_space(), strategy="grid", seed=0)
    _ask_tell(benchmark, study)
    assert len({tuple(t.params.values()) for t in study.trials}) == len(study.trials)


# -- SQLite storage ---------------------------------------------------------------------------------------------------
def test_sqlite_tell(benchmark, tmp_path) -> None:
    study = hpcore.Study(_mixed_space(), strategy="random", storage=tmp_path / "bench.db", name="bench", seed=0)
    for _ in range(HISTORY):
        study.tell(study.ask(), 0.5)

    def setup() -> tuple[tuple, dict]:
        return (study.ask(),), {}

    benchmark.pedantic(lambda trial: study.tell(trial, 0.5), setup=setup, rounds=ROUNDS, iterations=1)
    assert study.trials[-1].state is hpcore.TrialState.COMPLETE
