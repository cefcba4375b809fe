"""The integer, stepped, log-scaled, categorical and conditional variants (benchmarks/function_variants.py):
their spaces are what they declare and their optima are what their docstrings prove."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hpcore.benchmarks.function_variants import VARIANTS, log_unit, log_unit_inverse
from hpcore.benchmarks.functions import MixedFunction, ParamSpec, mixed_conditional

import hpcore

ALL = {**VARIANTS, "mixed_conditional": mixed_conditional}


def _some_value(p: hpcore.Parameter) -> object:
    return p.values[0] if isinstance(p, hpcore.Choice) else False if isinstance(p, hpcore.Bool) else p.low


def _neighbours(space: hpcore.Space, params: dict) -> list[dict]:
    """Configurations one grid step, or one other category, away from ``params`` in one
    parameter; a child that the move activates takes its lowest (first) value."""
    out = []
    for name in space.order:
        p = space[name]
        if name not in params:
            continue
        if isinstance(p, hpcore.Choice):
            moves = [v for v in p.values if v != params[name]]
        elif isinstance(p, hpcore.Bool):
            moves = [not params[name]]
        elif isinstance(p, (hpcore.Int, hpcore.Float)) and p.step is not None:
            moves = [p.canonical(v) for v in (params[name] - p.step, params[name] + p.step) if p.low <= v <= p.high]
        else:
            continue
        assert moves, name
        for v in moves:
            moved, config = {**params, name: v}, {}
            for n in space.order:
                if space.is_active(n, config):
                    config[n] = moved.get(n, _some_value(space[n]))
            out.append(space.validate(config))
    return out


@pytest.mark.parametrize("name", sorted(ALL))
def test_value_at_the_optimum_and_no_random_configuration_below_it(name: str) -> None:
    f = ALL[name]()
    assert isinstance(f, MixedFunction) and f.name == name
    space = f.space()
    optimum = space.validate(f.optimum_params)  # a configuration of the space, active parameters only
    assert math.isclose(f.params_call(optimum), f.optimum_value, rel_tol=1e-12, abs_tol=1e-12)
    values = np.array([f.params_call(c) for c in space.sample(np.random.default_rng(7), 20_000)])
    assert np.all(np.isfinite(values)) and values.min() >= f.optimum_value - 1e-9


@pytest.mark.parametrize("name", sorted(ALL))
def test_no_discrete_neighbour_of_the_optimum_is_better(name: str) -> None:
    f = ALL[name]()
    neighbours = _neighbours(f.space(), dict(f.optimum_params))
    assert neighbours or name == "hartmann6_log"  # only it has no discrete parameter
    for config in neighbours:
        assert f.params_call(config) >= f.optimum_value - 1e-12, config


def test_variants_declare_the_kinds_their_names_say() -> None:
    def kinds(name: str) -> list[tuple[str, bool, object]]:
        return [(p.kind, p.log, p.step) for p in ALL[name]().params]

    assert kinds("styblinski_tang8_int") == [("int", False, None)] * 8
    assert kinds("rosenbrock6_int") == [("int", False, None)] * 6
    assert kinds("levy10_step") == [("float", False, 0.5)] * 10
    assert kinds("hartmann6_log") == [("float", True, None)] * 6
    assert kinds("trid6_mixed") == [("int", False, None), ("int", False, 2), ("float", False, 0.5),
                                    ("float", True, None), ("float", False, None), ("int", False, None)]
    assert [p.kind for p in ALL["ackley5_cat"]().params] == ["float"] * 5 + ["choice"]
    layers = {p.name: p for p in ALL["layers_conditional"]().params}
    assert layers["units_2"].condition == {"layers": [3, 4]} and layers["units_2"].log
    assert layers["dropout_0"].step == 0.05 and layers["dropout_0"].condition == {"layers": [1, 2, 3, 4]}
    cash = {p.name: p for p in ALL["cash_conditional"]().params}
    assert cash["gamma"].condition == {"kernel": ["rbf"]} and cash["kernel"].condition == {"model": ["svm"]}


def test_conditional_configurations_hold_only_active_parameters() -> None:
    f = ALL["layers_conditional"]()
    for config in f.space().sample(np.random.default_rng(3), 200):
        layers = config["layers"]
        assert {k for k in config if k.startswith("units_")} == {f"units_{i}" for i in range(layers)}
        f.params_call(config)  # never reads an inactive parameter
    cash = ALL["cash_conditional"]()
    for config in cash.space().sample(np.random.default_rng(4), 200):
        assert ("gamma" in config) == (config.get("kernel") == "rbf")
        cash.params_call(config)


def test_log_unit_is_the_documented_monotone_map() -> None:
    assert log_unit(1e-4, 1e-4, 1.0) == 0.0 and log_unit(1.0, 1e-4, 1.0) == 1.0
    assert log_unit(1e-2, 1e-4, 1.0) == pytest.approx(0.5)
    for u in (0.0, 0.114, 0.5, 1.0):
        assert log_unit(log_unit_inverse(u, 1e-5, 1e-1), 1e-5, 1e-1) == pytest.approx(u, abs=1e-12)


def test_categories_shift_the_function() -> None:
    f = ALL["ackley5_cat"]()
    best = dict(f.optimum_params)
    for level, offset in (("relu", 0.8), ("elu", 0.4), ("selu", 1.5)):
        assert f.params_call({**best, "activation": level}) > offset  # tanh's minimiser is not theirs


def test_stepped_param_spec_samples_its_grid() -> None:
    spec = ParamSpec("d", "float", 0.0, 0.5, step=0.05)
    values = {spec.sample(np.random.default_rng(i)) for i in range(400)}
    assert values == {round(0.05 * k, 12) for k in range(11)}
    assert {ParamSpec("n", "int", 2, 10, step=4).sample(np.random.default_rng(i)) for i in range(100)} == {2, 6, 10}
    with pytest.raises(ValueError, match="log with step"):
        ParamSpec("x", "float", 1.0, 10.0, log=True, step=1.0).sample(np.random.default_rng(0))
