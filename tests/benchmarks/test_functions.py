"""Tests for the synthetic benchmark suite (benchmarks/functions.py)."""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import itertools
import math
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from scipy.optimize import minimize


def _load_functions_module() -> ModuleType:
    """Import benchmarks/functions.py.

    Without a ``tests/__init__.py``, pytest imports this directory as the
    top-level package ``benchmarks``, shadowing the real one; fall back to
    loading the file by path in that case.
    """
    try:
        return importlib.import_module("hpcore.benchmarks.functions")
    except ImportError:
        path = Path(__file__).resolve().parents[2] / "benchmarks" / "functions.py"
        spec = importlib.util.spec_from_file_location("_hpcore_benchmark_functions", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        return module


_bf = _load_functions_module()
FUNCTIONS = _bf.FUNCTIONS
LEARNING_CURVE_MAX_EPOCHS = _bf.LEARNING_CURVE_MAX_EPOCHS
LEARNING_CURVE_PARAMS = _bf.LEARNING_CURVE_PARAMS
MultiFidelityFunction = _bf.MultiFidelityFunction
TestFunction = _bf.TestFunction
branin = _bf.branin
get_function = _bf.get_function
learning_curve = _bf.learning_curve
learning_curve_space = _bf.learning_curve_space
log10_regret = _bf.log10_regret
mixed_branin = _bf.mixed_branin
mixed_conditional = _bf.mixed_conditional
simple_regret = _bf.simple_regret

NAMES = [
    "branin", "six_hump_camel", "hartmann3", "hartmann6",
    "rosenbrock2", "rosenbrock5", "ackley2", "ackley5", "levy1", "levy4",
    "styblinski_tang2", "styblinski_tang5", "griewank2", "griewank4", "rastrigin3", "rastrigin6",
]
# Optima as printed in the literature (VLSE pages), to the printed precision.
LITERATURE = {
    "branin": (0.397887, 1e-6), "six_hump_camel": (-1.0316, 1e-4),
    "hartmann3": (-3.86278, 1e-5), "hartmann6": (-3.32237, 1e-5),
    "styblinski_tang2": (-39.16599 * 2, 1e-3 * 2),  # VLSE rounds the per-dimension value
}


def close_to_optimum(value: float, optimum: float) -> bool:
    return math.isclose(value, optimum, rel_tol=1e-6, abs_tol=1e-9)


@pytest.mark.parametrize("name", NAMES)
def test_value_at_each_optimizer_is_the_optimum(name: str) -> None:
    f = get_function(name)
    assert f.optimizers, "every function documents at least one minimiser"
    for point in f.optimizers:
        assert len(point) == f.dims
        assert np.all(f.lower <= point) and np.all(np.asarray(point) <= f.upper)
        assert close_to_optimum(f(np.array(point)), f.optimum_value), (point, f(np.array(point)))


@pytest.mark.parametrize("name", sorted(LITERATURE))
def test_optimum_matches_literature(name: str) -> None:
    expected, tol = LITERATURE[name]
    assert abs(get_function(name).optimum_value - expected) <= tol


@pytest.mark.parametrize("name", NAMES)
def test_no_random_point_beats_the_optimum(name: str) -> None:
    f = get_function(name)
    rng = np.random.default_rng(12345)
    points = rng.uniform(f.lower, f.upper, size=(1000, f.dims))
    values = np.array([f(p) for p in points])
    assert values.min() >= f.optimum_value - 1e-9
    assert np.all(np.isfinite(values))


@pytest.mark.parametrize("name", NAMES)
def test_optimizers_are_local_minima(name: str) -> None:
    f = get_function(name)
    for point in f.optimizers:
        result = minimize(f, np.array(point), method="L-BFGS-B", bounds=f.bounds)
        assert result.fun >= f.optimum_value - 1e-8


def test_branin_has_three_optimizers_and_hartmann6_value() -> None:
    assert len(branin().optimizers) == 3
    assert get_function("hartmann6").optimum_value == pytest.approx(-3.32237, abs=1e-5)


def test_registry_names() -> None:
    assert get_function("ackley5").dims == 5 and get_function("ackley5").name == "ackley5"
    assert get_function("rosenbrock4").dims == 4
    assert get_function("Hartmann-6").name == "hartmann6"
    assert get_function("hartmann3").dims == 3
    assert get_function("SixHumpCamel").name == "six_hump_camel"
    assert get_function("branin2").name == "branin"
    assert get_function("levy").dims == 2  # default dimension
    assert set(FUNCTIONS) >= {"branin", "hartmann6", "ackley", "rastrigin"}


@pytest.mark.parametrize("bad", ["foo", "hartmann4", "branin3", "rosenbrock1", "ackley0", ""])
def test_registry_rejects_unknown_names(bad: str) -> None:
    with pytest.raises(ValueError) as info:
        get_function(bad)
    if bad in ("foo", ""):
        assert "branin" in str(info.value) and "hartmann6" in str(info.value)


def test_call_forms_agree_and_validate() -> None:
    f = get_function("hartmann3")
    x = np.array([0.1, 0.5, 0.9])
    assert f.params_call({"x0": 0.1, "x1": 0.5, "x2": 0.9, "extra": "ignored"}) == f(x)
    assert f([0.1, 0.5, 0.9]) == f(x)
    with pytest.raises(KeyError, match="x2"):
        f.params_call({"x0": 0.1, "x1": 0.5})
    with pytest.raises(ValueError, match="shape"):
        f(np.zeros(2))
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.dims = 4  # type: ignore[misc]
    assert TestFunction.__test__ is False


def test_space_uses_hpcore_api() -> None:
    hpcore = pytest.importorskip("hpcore")
    if not all(hasattr(hpcore, name) for name in ("Space", "Float", "Int", "Choice", "Bool")):
        pytest.skip("hpcore core API not available yet")
    from collections.abc import Mapping

    spaces = {
        ("x0", "x1", "x2"): get_function("hartmann3").space(),
        tuple(p.name for p in mixed_branin().params): mixed_branin().space(),
        tuple(p.name for p in mixed_conditional().params): mixed_conditional().space(),
        ("log_lr", "width", "dropout"): learning_curve_space(),
    }
    for names, space in spaces.items():
        assert space is not None
        if isinstance(space, Mapping):
            assert tuple(space) == names


# --------------------------------------------------------------------------- mixed


@pytest.mark.parametrize("make", [mixed_branin, mixed_conditional])
def test_mixed_optimum_and_random_search(make) -> None:
    f = make()
    assert close_to_optimum(f.params_call(f.optimum_params), f.optimum_value)
    rng = np.random.default_rng(7)
    values = [f.params_call(f.sample(rng)) for _ in range(1000)]
    assert min(values) >= f.optimum_value - 1e-9


def test_mixed_branin_all_branin_minimisers() -> None:
    f = mixed_branin()
    assert f.optimum_value == pytest.approx(0.397887, abs=1e-6)
    for x0, x1 in branin().optimizers:
        assert close_to_optimum(f({"x0": x0, "x1": x1, "n": 7, "c": "green"}), f.optimum_value)
    # the other categories at their best integer are worse by their offset
    x0, x1 = branin().optimizers[0]
    assert f({"x0": x0, "x1": x1, "n": 2, "c": "red"}) == pytest.approx(f.optimum_value + 0.5)
    assert f({"x0": x0, "x1": x1, "n": 4, "c": "blue"}) == pytest.approx(f.optimum_value + 1.0)


def test_mixed_conditional_samples_only_active_parameters() -> None:
    f = mixed_conditional()
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(200):
        p = f.sample(rng)
        seen.add(p["model"])
        assert ("alpha" in p) == (p["model"] == "linear")
        assert ("depth" in p) == (p["model"] == "tree")
    assert seen == {"linear", "tree"}
    kinds = {p.name: p.kind for p in f.params}
    assert {"float", "int", "choice", "bool"} <= set(kinds.values())
    assert any(p.condition for p in f.params)
    best_linear = {"lr": 0.01, "batchnorm": True, "model": "linear", "alpha": 10.0}
    assert f(best_linear) == pytest.approx(0.3)
    assert f({**f.optimum_params, "alpha": 123.0}) == f.optimum_value  # inactive parameter ignored


# --------------------------------------------------------------------------- multi-fidelity


@pytest.mark.parametrize("name", ["branin", "hartmann6", "rosenbrock3"])
def test_multi_fidelity_exact_at_max_budget(name: str) -> None:
    base = get_function(name)
    mf = MultiFidelityFunction(base, max_budget=81)
    rng = np.random.default_rng(3)
    for x in rng.uniform(base.lower, base.upper, size=(50, base.dims)):
        assert mf(x, 81) == base(x)
        assert mf(x, 27) != base(x)
    assert mf.optimum_value == base.optimum_value
    params = {f"x{i}": v for i, v in enumerate(base.optimizers[0])}
    assert mf.params_call(params, 81) == base.params_call(params)


def test_multi_fidelity_is_deterministic_given_seed() -> None:
    base = get_function("hartmann3")
    a, b = MultiFidelityFunction(base, 27, seed=5), MultiFidelityFunction(base, 27, seed=5)
    c = MultiFidelityFunction(base, 27, seed=6)
    x = np.array([0.2, 0.4, 0.6])
    for budget in (1, 3, 9):
        assert a(x, budget) == b(x, budget) == a(x, budget)
        assert a(x, budget) != c(x, budget)
    assert a(x, 1) != a(x, 3)
    assert a(x, 3) == a(x, 3.0)


def test_multi_fidelity_bias_shrinks_with_budget() -> None:
    base = get_function("hartmann6")
    mf = MultiFidelityFunction(base, max_budget=81, seed=0)
    points = np.random.default_rng(11).uniform(base.lower, base.upper, size=(300, base.dims))
    budgets = [1, 3, 9, 27, 81]
    errors = [np.mean([abs(mf(x, b) - base(x)) for x in points]) for b in budgets]
    assert all(hi > lo for hi, lo in itertools.pairwise(errors)), errors
    assert errors[-1] == 0.0
    # low fidelity is informative but imperfect: positively, not perfectly, rank-correlated
    low = np.array([mf(x, 9) for x in points])
    full = np.array([base(x) for x in points])
    def rank(v):
        return np.argsort(np.argsort(v))

    rho = np.corrcoef(rank(low), rank(full))[0, 1]
    assert 0.3 < rho < 0.999


@pytest.mark.parametrize("budget", [0, -1, 82])
def test_multi_fidelity_rejects_bad_budget(budget: float) -> None:
    mf = MultiFidelityFunction(get_function("branin"), max_budget=81)
    with pytest.raises(ValueError, match="budget"):
        mf(np.array([0.0, 0.0]), budget)


# --------------------------------------------------------------------------- learning curves

GOOD = {"log_lr": -2.5, "width": 256, "dropout": 0.3}
OVERFIT = {"log_lr": -1.0, "width": 1024, "dropout": 0.0}
SLOW = {"log_lr": -4.8, "width": 64, "dropout": 0.5}


def test_learning_curve_shape() -> None:
    epochs = [1, 3, 9, 27, 81]
    good = [learning_curve(GOOD, e) for e in epochs]
    overfit = [learning_curve(OVERFIT, e) for e in epochs]
    slow = [learning_curve(SLOW, e) for e in epochs]
    assert good[0] > good[2] > good[-1]
    assert slow[0] > slow[2] > slow[-1]
    assert overfit[-1] > min(overfit) + 0.05  # error rises after convergence
    assert overfit[1] < slow[1] and overfit[-1] > good[-1]  # early ranking misleads
    assert good[-1] < 0.06 and good[-1] == min(good[-1], overfit[-1], slow[-1])


def test_learning_curve_range_and_determinism() -> None:
    rng = np.random.default_rng(0)
    for _ in range(300):
        params = {p.name: p.sample(rng) for p in LEARNING_CURVE_PARAMS}
        budget = float(rng.uniform(0.5, LEARNING_CURVE_MAX_EPOCHS))
        value = learning_curve(params, budget)
        assert 0.0 <= value <= 1.0
        assert value == learning_curve(params, budget)
    assert learning_curve(GOOD, 5, seed=1) != learning_curve(GOOD, 5, seed=2)
    assert learning_curve(GOOD, 5, noise=0.0) == learning_curve(GOOD, 5, seed=9, noise=0.0)
    with pytest.raises(ValueError, match="budget"):
        learning_curve(GOOD, 0)


# --------------------------------------------------------------------------- regret


def test_simple_regret() -> None:
    regret = simple_regret([5.0, 3.0, 4.0, 1.5, 2.0], optimum=1.0)
    np.testing.assert_array_equal(regret, [4.0, 2.0, 2.0, 0.5, 0.5])
    np.testing.assert_array_equal(simple_regret([np.nan, 3.0, np.nan, 2.0], 1.0)[1:], [2.0, 2.0, 1.0])
    assert np.isnan(simple_regret([np.nan, 3.0], 1.0)[0])
    assert simple_regret([], 0.0).shape == (0,)
    with pytest.raises(ValueError):
        simple_regret(np.zeros((2, 2)), 0.0)


def test_log10_regret_floor() -> None:
    out = log10_regret([2.0, 1.1, 1.0, 1.0], optimum=1.0)
    assert out[0] == pytest.approx(0.0)
    assert out[1] == pytest.approx(-1.0)
    assert out[2] == out[3] == pytest.approx(-12.0)
    assert np.all(np.isfinite(out))
    assert log10_regret([1.0], 1.0, floor=1e-8)[0] == pytest.approx(-8.0)
    with pytest.raises(ValueError, match="floor"):
        log10_regret([1.0], 1.0, floor=0.0)
