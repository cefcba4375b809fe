"""Interleaved Thompson sampling in Bayesian optimisation, and the GP's posterior draws."""

import numpy as np
import pytest

from hpcore import Float, Space, Study
from hpcore.gp.model import GaussianProcess
from hpcore.strategies.bayes import BayesianOptimization


def _quadratic(p):
    return sum((v - 0.3) ** 2 for v in p.values())


def _space():
    return Space({f"x{i}": Float(0, 1) for i in range(3)})


def test_every_third_trial_is_a_thompson_sample_until_the_threshold():
    study = Study(_space(), strategy=BayesianOptimization(thompson_every=3, thompson_until=20), seed=0)
    study.optimize(_quadratic, n_trials=30, verbose=False)
    thompson = [t.id for t in study.trials if t.meta.get("thompson")]
    # model-led from trial 5 (max(5, P + 1) = 5 initial points); numbers divisible by 3 before 20 results
    assert thompson == [n for n in range(5, 20) if n % 3 == 0]
    assert study.best_value < 1e-3


def test_thompson_sampling_can_be_turned_off():
    study = Study(_space(), strategy=BayesianOptimization(thompson_every=0), seed=0)
    study.optimize(_quadratic, n_trials=15, verbose=False)
    assert not any(t.meta.get("thompson") for t in study.trials)


def test_no_thompson_samples_once_trials_have_failed():
    def objective(p):
        if p["x0"] > 0.8:
            raise RuntimeError("out of memory")
        return _quadratic(p)

    study = Study(_space(), strategy=BayesianOptimization(thompson_every=2), seed=3)
    study.optimize(objective, n_trials=25, verbose=False)
    failed = [t.id for t in study.trials if t.state.name == "FAILED"]
    assert failed, "the test needs a failure"
    assert not any(t.meta.get("thompson") for t in study.trials if t.id > failed[0])


@pytest.mark.parametrize("kwargs", [{"thompson_every": -1}, {"thompson_until": 2.5}, {"thompson_every": True}])
def test_invalid_thompson_settings_raise(kwargs):
    with pytest.raises(ValueError, match="thompson"):
        BayesianOptimization(**kwargs)


def test_posterior_draws_match_the_posterior_mean_and_variance():
    rng = np.random.default_rng(0)
    X = rng.random((30, 2))
    gp = GaussianProcess(seed=0).fit(X, np.sin(5 * X[:, 0]) + X[:, 1])
    Xq = np.vstack([rng.random((40, 2)), X[:3]])  # training points too (tiny variance)
    draws = gp.sample_posterior(Xq, np.random.default_rng(1), n_samples=4000)
    assert draws.shape == (4000, 43)
    mean, var = gp.predict_standardized(Xq)
    se = np.sqrt(var / 4000)
    assert np.all(np.abs(draws.mean(0) - mean) < 5 * se + 1e-6)
    np.testing.assert_allclose(draws[:, :40].var(0), var[:40], rtol=0.15)
    # joint, not independent: nearby points move together
    near = np.array([[0.5, 0.5], [0.5, 0.51]])
    d = gp.sample_posterior(near, np.random.default_rng(2), n_samples=2000)
    assert np.corrcoef(d.T)[0, 1] > 0.9
    np.testing.assert_array_equal(gp.sample_posterior(Xq, np.random.default_rng(5)),
                                  gp.sample_posterior(Xq, np.random.default_rng(5)))


def test_posterior_draws_reject_bad_queries():
    gp = GaussianProcess(seed=0).fit(np.random.default_rng(0).random((10, 2)), np.arange(10.0))
    with pytest.raises(ValueError):
        gp.sample_posterior(np.ones((3, 3)), np.random.default_rng(0))
    with pytest.raises(ValueError):
        gp.sample_posterior(np.array([[np.nan, 0.5]]), np.random.default_rng(0))
