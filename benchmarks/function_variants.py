"""Test functions behind the parameter kinds users declare: integers, steps, log scales,
categories and conditions, each with an optimum known by construction.

Each factory returns a :class:`~hpcore.benchmarks.functions.MixedFunction` whose docstring
proves its optimum. The continuous parts are published functions (Styblinski-Tang, Rosenbrock,
Levy, Hartmann-6, Trid, Ackley, Branin, six-hump camel); a parameter declared ``log=True`` maps
onto the function's domain through the fixed monotone transform :func:`log_unit` (affine in
``log(value)``), so the minimiser is known in the declared units; integer and stepped parameters
are laid out so that the published minimiser lies on their grid; categorical and conditional
parameters add terms whose minimum is attained on the grid too.

    integers      styblinski_tang8_int, rosenbrock6_int
    steps         levy10_step
    log scales    hartmann6_log
    all of these  trid6_mixed
    categories    ackley5_cat (a categorical whose levels shift the function and its minimiser)
    conditions    layers_conditional (KerasTuner's "number of layers, then units per layer"),
                  cash_conditional (Optuna's "model choice, then that model's parameters",
                  nested two levels deep)
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from hpcore.benchmarks.functions import (
    _HARTMANN6_A,
    _HARTMANN6_P,
    VLSE,
    MixedFunction,
    ParamSpec,
    _ackley,
    _branin,
    _hartmann,
    _levy,
    _six_hump_camel,
    hartmann6,
    six_hump_camel,
)

__all__ = [
    "VARIANTS",
    "ackley5_cat",
    "cash_conditional",
    "hartmann6_log",
    "layers_conditional",
    "levy10_step",
    "log_unit",
    "log_unit_inverse",
    "rosenbrock6_int",
    "styblinski_tang8_int",
    "trid6_mixed",
]


def log_unit(value: float, low: float, high: float) -> float:
    """The position of ``value`` in ``[low, high]`` on a log scale: 0 at ``low``, 1 at ``high``,
    affine in ``log(value)`` (the fixed monotone transform of every log-declared parameter)."""
    return (math.log(value) - math.log(low)) / (math.log(high) - math.log(low))


def log_unit_inverse(u: float, low: float, high: float) -> float:
    """The value whose :func:`log_unit` is ``u``."""
    return float(math.exp(math.log(low) + u * (math.log(high) - math.log(low))))


def _xs(params: Mapping[str, Any], dims: int) -> np.ndarray:
    return np.array([float(params[f"x{i}"]) for i in range(dims)])


# --------------------------------------------------------------------------- integers and steps

def styblinski_tang8_int() -> MixedFunction:
    """Styblinski-Tang in 8 integer parameters ``x_i in {-5, ..., 5}``.

    Optimum: the function is a sum of ``g(t) = (t^4 - 16 t^2 + 5 t) / 2``, one per coordinate;
    over the integers g is least at t = -3 (g(-3) = -39, g(-2) = -29, g(3) = -24, g(-4) = 10),
    so the minimum is -39 * 8 = -312 at x_i = -3 (the continuous minimiser -2.9035 rounds there).
    """
    dims = 8

    def fn(p: Mapping[str, Any]) -> float:
        x = _xs(p, dims)
        return float(0.5 * np.sum(x**4 - 16 * x**2 + 5 * x))

    return MixedFunction(
        "styblinski_tang8_int", tuple(ParamSpec(f"x{i}", "int", -5, 5) for i in range(dims)), -312.0,
        {f"x{i}": -3 for i in range(dims)}, f"Styblinski & Tang (1990) on integers; {VLSE}", fn,
    )


def rosenbrock6_int() -> MixedFunction:
    """Rosenbrock in 6 integer parameters ``x_i in {-5, ..., 10}``.

    Optimum: every term of ``sum 100 (x_{i+1} - x_i^2)^2 + (x_i - 1)^2`` is >= 0, and all vanish
    only at x = (1, ..., 1), an integer point: the minimum is 0 there.
    """
    dims = 6

    def fn(p: Mapping[str, Any]) -> float:
        x = _xs(p, dims)
        return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (x[:-1] - 1) ** 2))

    return MixedFunction(
        "rosenbrock6_int", tuple(ParamSpec(f"x{i}", "int", -5, 10) for i in range(dims)), 0.0,
        {f"x{i}": 1 for i in range(dims)}, f"Rosenbrock (1960) on integers; {VLSE}", fn,
    )


def levy10_step() -> MixedFunction:
    """Levy in 10 stepped parameters ``x_i in {-10, -9.5, ..., 10}`` (``Float(step=0.5)``).

    Optimum: Levy is >= 0 everywhere with its only zero at x = (1, ..., 1), which lies on the
    grid (-10 + 22 * 0.5 = 1): the minimum is 0 there.
    """
    dims = 10
    return MixedFunction(
        "levy10_step", tuple(ParamSpec(f"x{i}", "float", -10.0, 10.0, step=0.5) for i in range(dims)), 0.0,
        {f"x{i}": 1.0 for i in range(dims)}, f"Laguna & Marti (2005) on a 0.5 grid; {VLSE}",
        lambda p: _levy(_xs(p, dims)),
    )


# --------------------------------------------------------------------------- log scales

_H6_LOW, _H6_HIGH = 1e-4, 1.0


def hartmann6_log() -> MixedFunction:
    """Hartmann-6 in 6 parameters declared ``Float(1e-4, 1, log=True)``, each mapped onto
    Hartmann's [0, 1] by ``u = log_unit(value, 1e-4, 1)``.

    Optimum: the map is a bijection of [1e-4, 1] onto [0, 1], so the minimum is Hartmann-6's,
    -3.32237, at ``value_i = log_unit_inverse(u*_i)`` with u* Hartmann-6's minimiser.
    """
    dims = 6
    base = _hartmann(_HARTMANN6_A, _HARTMANN6_P)
    reference = hartmann6()

    def fn(p: Mapping[str, Any]) -> float:
        return float(base(np.array([log_unit(float(p[f"x{i}"]), _H6_LOW, _H6_HIGH) for i in range(dims)])))

    optimum = {f"x{i}": log_unit_inverse(u, _H6_LOW, _H6_HIGH) for i, u in enumerate(reference.optimizers[0])}
    return MixedFunction(
        "hartmann6_log", tuple(ParamSpec(f"x{i}", "float", _H6_LOW, _H6_HIGH, log=True) for i in range(dims)),
        reference.optimum_value, optimum, f"Hartman (1973) on log-scaled parameters; {VLSE}", fn,
    )


# --------------------------------------------------------------------------- all kinds at once

_TRID6_SCALE = (1.0, 1e4)  # x3 is declared on this log scale and mapped onto [-36, 36]


def trid6_mixed() -> MixedFunction:
    """Trid-6 (domain [-36, 36]^6) with one parameter of each kind a user declares:
    ``x0`` Int, ``x1`` Int(step=2), ``x2`` Float(step=0.5), ``scale`` Float(1, 1e4, log=True)
    standing for x3 through ``x3 = -36 + 72 log_unit(scale, 1, 1e4)``, ``x4`` Float, ``x5`` Int.

    Optimum: Trid-6's minimiser is x_i = i (7 - i) = (6, 10, 12, 12, 10, 6), which lies on every
    grid (10 = -36 + 23 * 2, 12 = -36 + 96 * 0.5) and x3 = 12 at ``scale = 10^(8/3)``: the
    minimum is Trid-6's, -50.
    """
    lo, hi = _TRID6_SCALE

    def x_of(p: Mapping[str, Any]) -> np.ndarray:
        x3 = -36.0 + 72.0 * log_unit(float(p["scale"]), lo, hi)
        return np.array([float(p["x0"]), float(p["x1"]), float(p["x2"]), x3, float(p["x4"]), float(p["x5"])])

    def fn(p: Mapping[str, Any]) -> float:
        x = x_of(p)
        return float(np.sum((x - 1) ** 2) - np.sum(x[1:] * x[:-1]))

    params = (
        ParamSpec("x0", "int", -36, 36), ParamSpec("x1", "int", -36, 36, step=2),
        ParamSpec("x2", "float", -36.0, 36.0, step=0.5), ParamSpec("scale", "float", lo, hi, log=True),
        ParamSpec("x4", "float", -36.0, 36.0), ParamSpec("x5", "int", -36, 36),
    )
    optimum = {"x0": 6, "x1": 10, "x2": 12.0, "scale": log_unit_inverse(48 / 72, lo, hi), "x4": 10.0, "x5": 6}
    return MixedFunction("trid6_mixed", params, -50.0, optimum, f"Trid-6 with mixed parameter kinds; {VLSE}", fn)


# --------------------------------------------------------------------------- categories

#: activation -> (shift of Ackley's minimiser, offset added to the function)
_ACKLEY5_LEVELS: dict[str, tuple[tuple[float, ...], float]] = {
    "relu": ((0.0, 0.0, 0.0, 0.0, 0.0), 0.8),
    "tanh": ((12.0, -8.0, 4.0, -16.0, 8.0), 0.0),
    "elu": ((-20.0, 10.0, -4.0, 6.0, -12.0), 0.4),
    "selu": ((24.0, 24.0, -24.0, -24.0, 0.0), 1.5),
}


def ackley5_cat() -> MixedFunction:
    """Ackley-5 on [-32.768, 32.768]^5 and a categorical ``activation`` whose levels shift it:
    ``f = ackley(x - s[activation]) + o[activation]`` (shifts and offsets in ``_ACKLEY5_LEVELS``).

    Optimum: Ackley is >= 0 on all of R^5 with its only zero at the origin, so each level's
    minimum is its offset, reached at x = s[level] (inside the box); the least offset is
    tanh's, 0: the minimum is 0 at activation = "tanh", x = (12, -8, 4, -16, 8). The other
    levels leave local basins of depth 0.4 to 1.5 elsewhere.
    """
    dims = 5
    shifts = {k: np.array(s) for k, (s, _) in _ACKLEY5_LEVELS.items()}

    def fn(p: Mapping[str, Any]) -> float:
        level = p["activation"]
        return float(_ackley(_xs(p, dims) - shifts[level]) + _ACKLEY5_LEVELS[level][1])

    params = (*(ParamSpec(f"x{i}", "float", -32.768, 32.768) for i in range(dims)),
              ParamSpec("activation", "choice", choices=tuple(_ACKLEY5_LEVELS)))
    best = {f"x{i}": v for i, v in enumerate(_ACKLEY5_LEVELS["tanh"][0])}
    return MixedFunction("ackley5_cat", params, 0.0, {**best, "activation": "tanh"},
                         f"Ackley (1987), shifted per category; {VLSE}", fn)


# --------------------------------------------------------------------------- conditions

_LAYER_DEPTH_COST = (0.9, 0.35, 0.0, 0.1)  # for 1..4 layers
_LAYER_UNITS_LOG2 = (7, 6, 5, 5)  # best units per layer: 128, 64, 32, 32
_LAYER_DROPOUT = (0.2, 0.1, 0.0, 0.3)
_LAYER_COST = 0.05  # every layer costs at least this
_LR, _WD = (1e-5, 1e-1), (1e-6, 1e-2)
_BRANIN_MIN = 5 / (4 * math.pi)


def layers_conditional() -> MixedFunction:
    """A network as KerasTuner users declare one: ``layers`` Int(1, 4), then per layer i < layers
    ``units_i`` Int(8, 512, log=True) and ``dropout_i`` Float(0, 0.5, step=0.05) (conditional
    on ``layers``), and two log-scaled ``lr`` in [1e-5, 1e-1] and ``weight_decay`` in [1e-6, 1e-2].

    ``f = (branin(x0, x1) - 5/(4 pi)) / 50 + c[layers] + sum_{i < layers} (0.05
    + 0.1 (log2 units_i - t_i)^2 + 2 (dropout_i - d_i)^2)`` with ``x0 = -5 + 15 log_unit(lr)``,
    ``x1 = 15 log_unit(weight_decay)``, ``c = (0.9, 0.35, 0, 0.1)``, ``t = (7, 6, 5, 5)``,
    ``d = (0.2, 0.1, 0, 0.3)``.

    Optimum: the Branin term is >= 0 with equality at Branin's three minimisers (all inside the
    box); for a given ``layers = L`` each layer's term is >= 0.05 with equality at its targets
    (on the grids: units 128, 64, 32; dropout 0.2, 0.1, 0); so the minimum is
    min_L (c[L] + 0.05 L) = min(0.95, 0.45, 0.15, 0.30) = 0.15 at three layers.
    """

    def fn(p: Mapping[str, Any]) -> float:
        x0 = -5.0 + 15.0 * log_unit(float(p["lr"]), *_LR)
        x1 = 15.0 * log_unit(float(p["weight_decay"]), *_WD)
        layers = int(p["layers"])
        value = (_branin(np.array([x0, x1])) - _BRANIN_MIN) / 50 + _LAYER_DEPTH_COST[layers - 1]
        for i in range(layers):
            value += (_LAYER_COST + 0.1 * (math.log2(int(p[f"units_{i}"])) - _LAYER_UNITS_LOG2[i]) ** 2
                      + 2 * (float(p[f"dropout_{i}"]) - _LAYER_DROPOUT[i]) ** 2)
        return float(value)

    params: list[ParamSpec] = [ParamSpec("lr", "float", *_LR, log=True),
                               ParamSpec("weight_decay", "float", *_WD, log=True), ParamSpec("layers", "int", 1, 4)]
    for i in range(4):
        active = {"layers": list(range(i + 1, 5))}
        params += [ParamSpec(f"units_{i}", "int", 8, 512, log=True, condition=active),
                   ParamSpec(f"dropout_{i}", "float", 0.0, 0.5, step=0.05, condition=active)]
    optimum: dict[str, Any] = {
        "lr": log_unit_inverse((math.pi + 5) / 15, *_LR), "weight_decay": log_unit_inverse(2.275 / 15, *_WD),
        "layers": 3,
    }
    for i in range(3):
        optimum |= {f"units_{i}": 2 ** _LAYER_UNITS_LOG2[i], f"dropout_{i}": _LAYER_DROPOUT[i]}
    return MixedFunction("layers_conditional", tuple(params), 0.15, optimum,
                         f"hpcore synthetic (Branin from {VLSE})", fn)


_CASH_OFFSETS = {"rbf": 1.5, "poly": 0.9, "forest": 0.6, "linear": 0.8}


def cash_conditional() -> MixedFunction:
    """Model selection as Optuna users write it: ``model`` in {svm, forest, linear}, then that
    model's parameters, nested two levels deep for the SVM's kernel.

    * svm: ``C`` Float(1e-3, 1e3, log), ``kernel`` in {rbf, poly}; rbf: ``gamma``
      Float(1e-4, 10, log), value ``1.5 + camel(log10 C, -2 + 4 log_unit(gamma))`` (six-hump
      camel, minimum -1.0316); poly: ``degree`` Int(2, 5), value
      ``0.9 + 0.25 (log10 C - 1)^2 + 0.2 (degree - 3)^2``.
    * forest: ``n_estimators`` Int(10, 500, log), ``max_depth`` Int(2, 32, log),
      ``max_features`` Float(0.1, 1, step=0.05), ``bootstrap`` Bool; value ``0.6 + 0.1
      (log2 n_estimators - 7)^2 + 0.1 (log2 max_depth - 3)^2 + 2 (max_features - 0.35)^2
      + 0.15 [not bootstrap]``.
    * linear: ``alpha`` Float(1e-6, 1, log), ``l1_ratio`` Float(0, 1, step=0.1); value
      ``0.8 + 0.25 (log10 alpha + 3)^2 + (l1_ratio - 0.3)^2``.

    Optimum: each branch is its offset plus terms >= their minimum, attained on the grids
    (n_estimators 128, max_depth 8, max_features 0.35, degree 3, l1_ratio 0.3), and the camel's
    minimisers (+-0.0898, -+0.7127) lie inside its mapped box [-3, 3] x [-2, 2]; so the branch
    minima are 0.46837 (rbf), 0.9 (poly), 0.6 (forest), 0.8 (linear), and the minimum is
    1.5 - 1.0316284534898774 at model = svm, kernel = rbf.
    """

    def fn(p: Mapping[str, Any]) -> float:
        model = p["model"]
        if model == "svm":
            log_c = math.log10(float(p["C"]))
            if p["kernel"] == "rbf":
                x2 = -2.0 + 4.0 * log_unit(float(p["gamma"]), 1e-4, 10.0)
                return _CASH_OFFSETS["rbf"] + _six_hump_camel(np.array([log_c, x2]))
            return _CASH_OFFSETS["poly"] + 0.25 * (log_c - 1) ** 2 + 0.2 * (int(p["degree"]) - 3) ** 2
        if model == "forest":
            return (_CASH_OFFSETS["forest"] + 0.1 * (math.log2(int(p["n_estimators"])) - 7) ** 2
                    + 0.1 * (math.log2(int(p["max_depth"])) - 3) ** 2
                    + 2 * (float(p["max_features"]) - 0.35) ** 2 + (0.0 if p["bootstrap"] else 0.15))
        if model == "linear":
            return (_CASH_OFFSETS["linear"] + 0.25 * (math.log10(float(p["alpha"])) + 3) ** 2
                    + (float(p["l1_ratio"]) - 0.3) ** 2)
        raise ValueError(f"unknown model {model!r}")

    svm, forest, linear = {"model": ["svm"]}, {"model": ["forest"]}, {"model": ["linear"]}
    params = (
        ParamSpec("model", "choice", choices=("svm", "forest", "linear")),
        ParamSpec("C", "float", 1e-3, 1e3, log=True, condition=svm),
        ParamSpec("kernel", "choice", choices=("rbf", "poly"), condition=svm),
        ParamSpec("gamma", "float", 1e-4, 10.0, log=True, condition={"kernel": ["rbf"]}),
        ParamSpec("degree", "int", 2, 5, condition={"kernel": ["poly"]}),
        ParamSpec("n_estimators", "int", 10, 500, log=True, condition=forest),
        ParamSpec("max_depth", "int", 2, 32, log=True, condition=forest),
        ParamSpec("max_features", "float", 0.1, 1.0, step=0.05, condition=forest),
        ParamSpec("bootstrap", "bool", condition=forest),
        ParamSpec("alpha", "float", 1e-6, 1.0, log=True, condition=linear),
        ParamSpec("l1_ratio", "float", 0.0, 1.0, step=0.1, condition=linear),
    )
    camel = six_hump_camel()
    c_star, x2_star = camel.optimizers[0]
    optimum = {"model": "svm", "kernel": "rbf", "C": 10.0**c_star,
               "gamma": log_unit_inverse((x2_star + 2.0) / 4.0, 1e-4, 10.0)}
    return MixedFunction("cash_conditional", params, _CASH_OFFSETS["rbf"] + camel.optimum_value, optimum,
                         f"hpcore synthetic (six-hump camel from {VLSE})", fn)


#: name -> factory of every variant above.
VARIANTS = {
    f.__name__: f
    for f in (styblinski_tang8_int, rosenbrock6_int, levy10_step, hartmann6_log, trid6_mixed, ackley5_cat,
              layers_conditional, cash_conditional)
}
