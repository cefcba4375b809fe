"""Parameter importance (functional ANOVA of hpcore's GP posterior mean) on functions whose
importances are known, and the contour slice through the best configuration."""

from __future__ import annotations

import numpy as np
import pytest

import hpcore
from hpcore.report.importance import MIN_RESULTS, contour_slice, first_order_importance, fit_surrogate
from hpcore.trial import Trial, TrialState


def _trials(space: hpcore.Space, f, n: int, seed: int = 0, budget=None) -> list[Trial]:
    configs = space.sample(np.random.default_rng(seed), n)
    return [Trial(i, c, TrialState.COMPLETE, value=float(f(c)), budget=budget) for i, c in enumerate(configs)]


LINEAR = hpcore.Space({"x1": hpcore.Float(0, 1), "x2": hpcore.Float(0, 1), "x3": hpcore.Float(0, 1)})


def test_linear_function_importances_match_their_variances():
    """f = 10 x1 + x2 + 0 x3 on the unit cube: Var = (100 + 1) / 12, so x1 explains 100/101,
    x2 1/101 and x3 nothing (read at 16 levels, each share is (1 - 1/256) of that)."""
    trials = _trials(LINEAR, lambda p: 10 * p["x1"] + p["x2"] + 0 * p["x3"], 60)
    surrogate = fit_surrogate(trials, LINEAR, "minimize", seed=0)
    imp = first_order_importance(surrogate, seed=0)
    s = imp.shares
    assert s["x1"] == pytest.approx(100 / 101 * (1 - 1 / 256), abs=0.03)
    assert s["x2"] == pytest.approx(1 / 101 * (1 - 1 / 256), rel=0.2)
    assert s["x3"] < 1e-3
    assert s["x1"] > 50 * s["x2"] > 50 * s["x3"]
    assert "functional ANOVA" in imp.method and "60 results" in imp.method


def test_maximising_gives_the_same_importances():
    f = lambda p: 10 * p["x1"] + p["x2"]  # noqa: E731
    trials = _trials(LINEAR, f, 40)
    neg = [t.replace(value=-t.value) for t in trials]
    a = first_order_importance(fit_surrogate(trials, LINEAR, "minimize"), seed=0).shares
    b = first_order_importance(fit_surrogate(neg, LINEAR, "maximize"), seed=0).shares
    assert a == pytest.approx(b, abs=1e-6)


def test_log_scale_and_choices_are_decomposed_on_their_own_scale():
    """An effect linear in log10(lr) is a main effect of lr read on the log scale, and a choice's
    effect is the variance between its categories: log10 lr is uniform on [-4, 0] (variance
    16/12 = 4/3) and the choice is ±1 (variance 1), so lr explains 4/7 and the choice 3/7."""
    space = hpcore.Space({"lr": hpcore.Float(1e-4, 1.0, log=True), "kind": hpcore.Choice(["a", "b"]),
                          "noise": hpcore.Int(1, 5)})
    trials = _trials(space, lambda p: np.log10(p["lr"]) + (1.0 if p["kind"] == "a" else -1.0), 80)
    s = first_order_importance(fit_surrogate(trials, space, "minimize"), seed=0).shares
    assert s["lr"] == pytest.approx(4 / 7, abs=0.05)
    assert s["kind"] == pytest.approx(3 / 7, abs=0.05)
    assert s["noise"] < 0.01


def test_a_conditional_parameter_counts_only_where_it_is_active():
    """`m` matters (±1.5) only when opt = "sgd" (half the configurations); its share is that of
    the variance it explains there, weighted by how often it is active."""
    space = hpcore.Space({"opt": hpcore.Choice(["adam", "sgd"]),
                          "m": hpcore.Float(0, 1, condition={"opt": ["sgd"]}),
                          "x": hpcore.Float(0, 1)})
    f = lambda p: 3.0 * (p["m"] - 0.5) if p["opt"] == "sgd" else 0.0  # noqa: E731
    trials = _trials(space, f, 80)
    s = first_order_importance(fit_surrogate(trials, space, "minimize"), seed=0).shares
    assert s["m"] > 0.6 and s["x"] < 0.02 and s["opt"] < 0.1


def test_too_few_results_and_flat_results_say_why():
    few = _trials(LINEAR, lambda p: p["x1"], MIN_RESULTS - 1)
    assert "too few results" in fit_surrogate(few, LINEAR, "minimize")
    flat = _trials(LINEAR, lambda p: 1.0, 20)
    assert "same value" in fit_surrogate(flat, LINEAR, "minimize")
    assert "no tunable" in fit_surrogate(flat, hpcore.Space({"k": hpcore.Fixed(3)}), "minimize")
    with pytest.raises(ValueError, match="direction"):
        fit_surrogate(flat, LINEAR, "up")


def test_multi_fidelity_uses_the_largest_budget_with_enough_results():
    f = lambda p: p["x1"]  # noqa: E731
    trials = _trials(LINEAR, f, 30, budget=1) + [t.replace(id=t.id + 100) for t in _trials(LINEAR, f, 5, budget=9)]
    assert fit_surrogate(trials, LINEAR, "minimize").budget == 1  # 5 at budget 9 are too few
    more = trials + [t.replace(id=t.id + 200) for t in _trials(LINEAR, f, MIN_RESULTS, seed=1, budget=9)]
    surrogate = fit_surrogate(more, LINEAR, "minimize")
    assert surrogate.budget == 9 and surrogate.n_results == MIN_RESULTS + 5


def test_contour_is_the_posterior_mean_through_the_given_configuration():
    space = hpcore.Space({"a": hpcore.Float(1e-3, 1.0, log=True), "b": hpcore.Int(1, 6), "c": hpcore.Float(0, 1)})
    f = lambda p: np.log10(p["a"]) + 0.5 * p["b"] + 2 * p["c"]  # noqa: E731
    trials = _trials(space, f, 60)
    surrogate = fit_surrogate(trials, space, "maximize")
    at = {"a": 0.1, "b": 3, "c": 0.25}
    c = contour_slice(surrogate, at, "a", "b", n=20)
    assert c.xs[0] == pytest.approx(1e-3) and c.xs[-1] == pytest.approx(1.0) and c.log_x and not c.log_y
    assert c.ys == [1, 2, 3, 4, 5, 6]  # every value of a small integer range
    z = np.array(c.z)
    assert z.shape == (6, 20)
    truth = np.array([[f({"a": x, "b": y, "c": 0.25}) for x in c.xs] for y in c.ys])
    assert np.abs(z - truth).max() < 0.15  # the objective's own units and sign (maximised)
    with pytest.raises(ValueError, match="numeric"):
        contour_slice(surrogate, at, "a", "nope")


def test_many_results_fit_the_best_half_and_a_uniform_sample_of_the_rest():
    trials = _trials(LINEAR, lambda p: 10 * p["x1"] + p["x2"], 1000)
    surrogate = fit_surrogate(trials, LINEAR, "minimize", max_points=100, seed=3)
    assert (surrogate.n_results, surrogate.n_used, surrogate.n_best) == (1000, 100, 50)
    ranked = sorted(trials, key=lambda t: t.value)
    fitted = {t.id for t in surrogate.fitted}
    assert {t.id for t in ranked[:50]} <= fitted  # the best half: where the recommendation is read
    rest = [k for k, t in enumerate(ranked) if t.id in fitted and k >= 50]
    assert len(rest) == 50 and 300 < np.median(rest) < 700  # the others spread over the ranks 50..999
    assert surrogate.U.shape == (100, 3)
    imp = first_order_importance(surrogate, seed=0)
    assert "(the best 50 and a random 50 of the other 950)" in imp.method
    assert imp.shares["x1"] == pytest.approx(100 / 101, abs=0.05)  # the decomposition is still the space's
    with pytest.raises(ValueError, match="max_points"):
        fit_surrogate(trials, LINEAR, "minimize", max_points=10)
