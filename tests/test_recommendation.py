"""Noise-aware recommendation (USER-ASKS 7): the best posterior mean, not the luckiest draw."""

import numpy as np
import pytest

import hpcore
from hpcore.recommendation import posterior_best_trial
from hpcore.trial import Trial, TrialState

SPACE = hpcore.Space({"x": hpcore.Float(0, 1), "y": hpcore.Float(0, 1)})


def _truth(p) -> float:
    return (p["x"] - 0.3) ** 2 + (p["y"] - 0.6) ** 2


def test_under_noise_the_recommendation_is_truly_better_than_the_observed_best():
    observed, recommended = [], []
    for seed in range(10):
        rng = np.random.default_rng(seed)
        res = hpcore.minimize(lambda p, rng=rng: _truth(p) + 0.05 * rng.standard_normal(), SPACE,
                              strategy="random", n_trials=60, seed=seed, verbose=False)
        observed.append(_truth(res.best_params))
        recommended.append(_truth(res.recommended_params))
    observed, recommended = np.array(observed), np.array(recommended)
    assert np.sum(recommended <= observed) >= 8
    assert recommended.mean() < 0.5 * observed.mean()


def test_without_noise_the_recommendation_is_the_best_observation():
    for seed in range(3):
        study = hpcore.Study(SPACE, strategy="random", seed=seed)
        study.optimize(_truth, n_trials=30, verbose=False)
        assert study.recommended_trial.id == study.best_trial.id


def test_maximize_recommends_the_highest_mean():
    rng = np.random.default_rng(0)
    res = hpcore.maximize(lambda p: -_truth(p) + 0.05 * rng.standard_normal(), SPACE, strategy="random",
                          n_trials=60, seed=3, verbose=False)
    rec = res.recommended_trial
    assert rec is not None and rec.ok
    assert _truth(rec.params) <= np.median([_truth(t.params) for t in res.trials])


def _trial(i, x, value, state=TrialState.COMPLETE, budget=None):
    return Trial(id=i, params={"x": x, "y": 0.5}, state=state, value=value, budget=budget)


def test_few_results_failed_trials_and_empty_histories_fall_back_to_the_best():
    assert posterior_best_trial([], SPACE, "minimize") is None
    few = [_trial(0, 0.1, 3.0), _trial(1, 0.5, 1.0), _trial(2, 0.9, 2.0)]
    assert posterior_best_trial(few, SPACE, "minimize").id == 1
    equal = [_trial(i, i / 10, 1.0) for i in range(6)]
    assert posterior_best_trial(equal, SPACE, "minimize").id == 0
    failed = [_trial(9, 0.3, None, TrialState.FAILED), _trial(10, 0.31, float("nan"), TrialState.COMPLETE)]
    rec = posterior_best_trial(failed + [_trial(i, i / 10, float(i)) for i in range(6)], SPACE, "minimize")
    assert rec.ok and rec.id == 0


def test_only_results_at_the_largest_budget_are_candidates():
    low = [_trial(i, i / 10, 0.0 + i * 1e-3, budget=1) for i in range(6)]
    high = [_trial(10 + i, i / 10, 5.0 - i, budget=9) for i in range(5)]
    rec = posterior_best_trial(low + high, SPACE, "minimize")
    assert rec.budget == 9


def test_is_reproducible_and_checks_its_arguments():
    trials = [_trial(i, x, float((x - 0.4) ** 2) + 0.01 * np.sin(40 * x)) for i, x in
              enumerate(np.linspace(0, 1, 12))]
    assert posterior_best_trial(trials, SPACE, "minimize").id == posterior_best_trial(trials, SPACE, "minimize").id
    with pytest.raises(ValueError, match="direction"):
        posterior_best_trial(trials, SPACE, "down")
    with pytest.raises(ValueError, match="max_points"):
        posterior_best_trial(trials, SPACE, "minimize", max_points=2)
    assert posterior_best_trial(trials, SPACE, "minimize", max_points=5).ok


def test_posterior_best_of_breaks_ties_by_observation_then_order():
    from hpcore.recommendation import posterior_best_of

    ts = [Trial(i, {"x": 0.1 * i, "y": 0.0}, TrialState.COMPLETE, value=v) for i, v in enumerate([0.3, 0.2, 0.2])]
    losses = np.array([0.3, 0.2, 0.2])
    assert posterior_best_of(ts, losses, np.array([0.5, 0.1, 0.4])).id == 1  # the best mean
    assert posterior_best_of(ts, losses, np.array([0.1, 0.1, 0.1])).id == 1  # equal means: better, then earlier
    with pytest.raises(ValueError, match="as many losses and means as candidates"):
        posterior_best_of(ts, losses, np.array([0.1]))
