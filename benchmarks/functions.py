"""Synthetic benchmark problems for hpcore: continuous, mixed and multi-fidelity.

All problems are minimisation problems with known optima, so an optimiser's
progress can be measured as regret (:func:`simple_regret`,
:func:`log10_regret`).

* :class:`TestFunction` -- classic continuous test functions on a box
  (Branin, six-hump camel, Hartmann-3/6, and the any-dimension Rosenbrock,
  Ackley, Levy, Styblinski-Tang, Griewank, Rastrigin), looked up by name with
  :func:`get_function` (``"branin"``, ``"hartmann6"``, ``"ackley5"``...).
  Definitions, domains and optima follow the Virtual Library of Simulation
  Experiments (Surjanovic & Bingham, https://www.sfu.ca/~ssurjano/); the
  optimiser coordinates of the non-separable functions were refined
  numerically to ~1e-9 and the stored optimum is the function value there.
  The registry also holds the 24 further functions of
  :mod:`hpcore.benchmarks.literature_functions` (Booth, Zakharov, Trid,
  Powell, Michalewicz, Eggholder...).
* :class:`MixedFunction` -- float + int + categorical (+ conditional) spaces
  with optima provable by hand (:func:`mixed_branin`, :func:`mixed_conditional`).
* :class:`MultiFidelityFunction` -- a budget-dependent, noisy and biased view
  of a :class:`TestFunction` that is exact at ``max_budget`` (for Hyperband),
  and :func:`learning_curve`, a simulated training run whose validation error
  decays with epochs.

Points are ``np.ndarray`` of shape ``(d,)``; the dict form uses keys
``"x0" .. "x{d-1}"``.  ``hpcore`` is imported only inside the ``space()``
methods, so this module works without the rest of the library.
"""

from __future__ import annotations

import hashlib
import math
import re
import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "FUNCTIONS",
    "LEARNING_CURVE_MAX_EPOCHS",
    "LEARNING_CURVE_PARAMS",
    "MixedFunction",
    "MultiFidelityFunction",
    "ParamSpec",
    "TestFunction",
    "ackley",
    "branin",
    "get_function",
    "griewank",
    "hartmann3",
    "hartmann6",
    "learning_curve",
    "learning_curve_space",
    "levy",
    "log10_regret",
    "mixed_branin",
    "mixed_conditional",
    "rastrigin",
    "rosenbrock",
    "simple_regret",
    "six_hump_camel",
    "styblinski_tang",
]

VLSE = (
    "Surjanovic, S. & Bingham, D., Virtual Library of Simulation Experiments, "
    "https://www.sfu.ca/~ssurjano/"
)


def _x_from_params(params: Mapping[str, Any], dims: int) -> np.ndarray:
    """Collect ``params["x0"] .. params[f"x{dims-1}"]`` into a float array (extra keys are ignored)."""
    missing = [f"x{i}" for i in range(dims) if f"x{i}" not in params]
    if missing:
        raise KeyError(f"missing parameters {missing}; expected keys x0..x{dims - 1}")
    return np.array([float(params[f"x{i}"]) for i in range(dims)])


def _float_space(bounds: Sequence[tuple[float, float]]) -> Any:
    import hpcore  # lazy: the core library is optional for the benchmarks themselves

    return hpcore.Space({f"x{i}": hpcore.Float(lo, hi) for i, (lo, hi) in enumerate(bounds)})


@dataclass(frozen=True)
class TestFunction:
    """A continuous minimisation problem on a box.

    Attributes:
        name: registry name, e.g. ``"branin"`` or ``"ackley5"``.
        dims: dimension ``d``.
        bounds: ``d`` pairs ``(low, high)``.
        optimum_value: global minimum value.
        optimizers: known global minimisers, each a tuple of ``d`` floats.
        source: literature reference for the definition and optimum.
        fn: the function itself, ``(d,) array -> float``.
    """

    __test__ = False  # not a pytest test class despite the name

    name: str
    dims: int
    bounds: tuple[tuple[float, float], ...]
    optimum_value: float
    optimizers: tuple[tuple[float, ...], ...]
    source: str
    fn: Callable[[np.ndarray], float] = field(repr=False, compare=False)

    def __call__(self, x: Sequence[float] | np.ndarray) -> float:
        """Evaluate at a point ``x`` of shape ``(d,)``."""
        x = np.asarray(x, dtype=float)
        if x.shape != (self.dims,):
            raise ValueError(f"{self.name} expects a point of shape ({self.dims},), got {x.shape}")
        return float(self.fn(x))

    def params_call(self, params: Mapping[str, Any]) -> float:
        """Evaluate at ``{"x0": ..., "x1": ...}`` (the form an hpcore objective receives)."""
        return self(_x_from_params(params, self.dims))

    @property
    def lower(self) -> np.ndarray:
        """Lower bounds, shape ``(d,)``."""
        return np.array([lo for lo, _ in self.bounds])

    @property
    def upper(self) -> np.ndarray:
        """Upper bounds, shape ``(d,)``."""
        return np.array([hi for _, hi in self.bounds])

    def space(self) -> Any:
        """The search space as an ``hpcore.Space`` of ``hpcore.Float`` named ``x0..``."""
        return _float_space(self.bounds)


# --------------------------------------------------------------------------- fixed-dimension functions

def _branin(x: np.ndarray) -> float:
    b, c, t = 5.1 / (4 * math.pi**2), 5 / math.pi, 1 / (8 * math.pi)
    return (x[1] - b * x[0] ** 2 + c * x[0] - 6) ** 2 + 10 * (1 - t) * math.cos(x[0]) + 10


def branin() -> TestFunction:
    """Branin-Hoo, 2-d on [-5, 10] x [0, 15]; minimum 0.397887 (= 5/(4 pi)) at three points."""
    return TestFunction(
        "branin", 2, ((-5.0, 10.0), (0.0, 15.0)), 5 / (4 * math.pi),
        ((-math.pi, 12.275), (math.pi, 2.275), (3 * math.pi, 2.475)),
        f"Branin (1972); Dixon & Szego (1978); {VLSE}", _branin,
    )


def _six_hump_camel(x: np.ndarray) -> float:
    x1, x2 = x
    return (4 - 2.1 * x1**2 + x1**4 / 3) * x1**2 + x1 * x2 + (4 * x2**2 - 4) * x2**2


def six_hump_camel() -> TestFunction:
    """Six-hump camel, 2-d on [-3, 3] x [-2, 2]; minimum -1.0316 at +-(0.0898, -0.7127)."""
    p = (0.08984201368301331, -0.7126564032704135)
    return TestFunction(
        "six_hump_camel", 2, ((-3.0, 3.0), (-2.0, 2.0)), -1.0316284534898774,
        (p, (-p[0], -p[1])), f"Dixon & Szego (1978); Molga & Smutnicki (2005); {VLSE}", _six_hump_camel,
    )


_HARTMANN_ALPHA = np.array([1.0, 1.2, 3.0, 3.2])
_HARTMANN3_A = np.array([[3.0, 10, 30], [0.1, 10, 35], [3.0, 10, 30], [0.1, 10, 35]])
_HARTMANN3_P = 1e-4 * np.array([
    [3689, 1170, 2673], [4699, 4387, 7470], [1091, 8732, 5547], [381, 5743, 8828],
])
_HARTMANN6_A = np.array([
    [10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
    [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14],
])
_HARTMANN6_P = 1e-4 * np.array([
    [1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
    [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381],
])


def _hartmann(a: np.ndarray, p: np.ndarray) -> Callable[[np.ndarray], float]:
    return lambda x: -float(_HARTMANN_ALPHA @ np.exp(-(a * (x - p) ** 2).sum(axis=1)))


def hartmann3() -> TestFunction:
    """Hartmann-3 on [0, 1]^3; minimum -3.86278 at (0.114589, 0.555649, 0.852547)."""
    return TestFunction(
        "hartmann3", 3, ((0.0, 1.0),) * 3, -3.862779787332663,
        ((0.11458887133078371, 0.5556488955562107, 0.852546983879289),),
        f"Hartman (1973); Dixon & Szego (1978); {VLSE}", _hartmann(_HARTMANN3_A, _HARTMANN3_P),
    )


def hartmann6() -> TestFunction:
    """Hartmann-6 on [0, 1]^6.

    Minimum -3.32237 at (0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573).
    """
    return TestFunction(
        "hartmann6", 6, ((0.0, 1.0),) * 6, -3.3223680114155147,
        ((0.20168951035025645, 0.15001069428146627, 0.47687397629494105,
          0.2753324280657051, 0.311651616078294, 0.6573005325018642),),
        f"Hartman (1973); Dixon & Szego (1978); {VLSE}", _hartmann(_HARTMANN6_A, _HARTMANN6_P),
    )


# --------------------------------------------------------------------------- any-dimension functions

def _check_dims(name: str, dims: int, minimum: int = 1) -> int:
    if isinstance(dims, bool) or not isinstance(dims, (int, np.integer)) or dims < minimum:
        raise ValueError(f"{name} needs an integer dimension >= {minimum}, got {dims!r}")
    return int(dims)


def rosenbrock(dims: int = 2) -> TestFunction:
    """Rosenbrock valley on [-5, 10]^d (d >= 2); minimum 0 at (1, ..., 1)."""
    d = _check_dims("rosenbrock", dims, 2)
    return TestFunction(
        f"rosenbrock{d}", d, ((-5.0, 10.0),) * d, 0.0, ((1.0,) * d,), f"Rosenbrock (1960); {VLSE}",
        lambda x: float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (x[:-1] - 1) ** 2)),
    )


def _ackley(x: np.ndarray) -> float:
    r = math.sqrt(float(np.mean(x**2)))
    # grouped so that both brackets are exactly 0 at the origin
    return 20 * (1 - math.exp(-0.2 * r)) + (math.e - math.exp(float(np.mean(np.cos(2 * math.pi * x)))))


def ackley(dims: int = 2) -> TestFunction:
    """Ackley (a=20, b=0.2, c=2 pi) on [-32.768, 32.768]^d; minimum 0 at the origin."""
    d = _check_dims("ackley", dims)
    return TestFunction(f"ackley{d}", d, ((-32.768, 32.768),) * d, 0.0, ((0.0,) * d,),
                        f"Ackley (1987); {VLSE}", _ackley)


def _levy(x: np.ndarray) -> float:
    w = 1 + (x - 1) / 4
    head = math.sin(math.pi * w[0]) ** 2
    body = np.sum((w[:-1] - 1) ** 2 * (1 + 10 * np.sin(math.pi * w[:-1] + 1) ** 2))
    tail = (w[-1] - 1) ** 2 * (1 + math.sin(2 * math.pi * w[-1]) ** 2)
    return float(head + body + tail)


def levy(dims: int = 2) -> TestFunction:
    """Levy on [-10, 10]^d; minimum 0 at (1, ..., 1)."""
    d = _check_dims("levy", dims)
    return TestFunction(f"levy{d}", d, ((-10.0, 10.0),) * d, 0.0, ((1.0,) * d,),
                        f"Laguna & Marti (2005); {VLSE}", _levy)


# Minimiser of the 1-d term 0.5*(t^4 - 16 t^2 + 5 t): the negative root of 4 t^3 - 32 t + 5 = 0.
_ST_ARGMIN = -2.903534027771178
_ST_MIN = 0.5 * (_ST_ARGMIN**4 - 16 * _ST_ARGMIN**2 + 5 * _ST_ARGMIN)  # -39.16616570377...


def styblinski_tang(dims: int = 2) -> TestFunction:
    """Styblinski-Tang on [-5, 5]^d; minimum -39.16617 d at x_i = -2.903534.

    (The VLSE page rounds the optimum to -39.16599 d; this is the exact value.)
    """
    d = _check_dims("styblinski_tang", dims)
    return TestFunction(
        f"styblinski_tang{d}", d, ((-5.0, 5.0),) * d, d * _ST_MIN, ((_ST_ARGMIN,) * d,),
        f"Styblinski & Tang (1990); {VLSE}", lambda x: float(0.5 * np.sum(x**4 - 16 * x**2 + 5 * x)),
    )


def griewank(dims: int = 2) -> TestFunction:
    """Griewank on [-600, 600]^d; minimum 0 at the origin."""
    d = _check_dims("griewank", dims)
    scale = np.sqrt(np.arange(1, d + 1))
    return TestFunction(
        f"griewank{d}", d, ((-600.0, 600.0),) * d, 0.0, ((0.0,) * d,), f"Griewank (1981); {VLSE}",
        lambda x: float(np.sum(x**2) / 4000 - np.prod(np.cos(x / scale)) + 1),
    )


def rastrigin(dims: int = 2) -> TestFunction:
    """Rastrigin on [-5.12, 5.12]^d; minimum 0 at the origin."""
    d = _check_dims("rastrigin", dims)
    return TestFunction(
        f"rastrigin{d}", d, ((-5.12, 5.12),) * d, 0.0, ((0.0,) * d,), f"Rastrigin (1974); {VLSE}",
        lambda x: float(10 * d + np.sum(x**2 - 10 * np.cos(2 * math.pi * x))),
    )


# --------------------------------------------------------------------------- registry

#: name -> factory.  Fixed-dimension factories take no argument; the others take ``dims``.
FUNCTIONS: dict[str, Callable[..., TestFunction]] = {
    "branin": branin, "six_hump_camel": six_hump_camel, "hartmann3": hartmann3, "hartmann6": hartmann6,
    "rosenbrock": rosenbrock, "ackley": ackley, "levy": levy, "styblinski_tang": styblinski_tang,
    "griewank": griewank, "rastrigin": rastrigin,
}
_FIXED_DIMS = {"branin": 2, "six_hump_camel": 2, "hartmann3": 3, "hartmann6": 6}
# The further literature functions (Booth, Zakharov, Powell, Michalewicz...) live in their own
# module, which builds on TestFunction above; imported here so that one registry knows them all.
from hpcore.benchmarks.literature_functions import (  # noqa: E402
    LITERATURE_FIXED_DIMS,
    LITERATURE_FUNCTIONS,
)

FUNCTIONS.update(LITERATURE_FUNCTIONS)
_FIXED_DIMS.update(LITERATURE_FIXED_DIMS)


def _normalise(name: str) -> str:
    return re.sub(r"[\s_\-]", "", name.lower())


def get_function(name: str) -> TestFunction:
    """Look up a test function by name, case- and underscore-insensitively.

    Fixed-dimension functions by their name (``"branin"``, ``"hartmann6"``,
    ``"six_hump_camel"``); any-dimension functions with the dimension as a
    suffix (``"ackley5"``, ``"rosenbrock4"``; without a suffix, d = 2).

    Raises:
        ValueError: unknown name (the message lists the known ones) or an
            impossible dimension.
    """
    if not isinstance(name, str):
        raise TypeError(f"function name must be a str, got {type(name).__name__}")
    by_key = {_normalise(k): k for k in FUNCTIONS}
    key = _normalise(name)
    if key in by_key:
        canonical = by_key[key]
        # Without a suffix, each factory's default dimension (2; 4 for Powell, which needs a multiple of 4).
        return FUNCTIONS[canonical]()
    match = re.fullmatch(r"(.*?)(\d+)", key)
    if match and match.group(1) in by_key:
        canonical, dims = by_key[match.group(1)], int(match.group(2))
        if canonical in _FIXED_DIMS:
            if dims != _FIXED_DIMS[canonical]:
                raise ValueError(
                    f"{canonical} is only defined in {_FIXED_DIMS[canonical]} dimensions, not {dims}"
                )
            return FUNCTIONS[canonical]()
        return FUNCTIONS[canonical](dims)
    known = ", ".join(k if k in _FIXED_DIMS else f"{k}<d>" for k in FUNCTIONS)
    raise ValueError(f"unknown test function {name!r}; known: {known}")


# --------------------------------------------------------------------------- mixed spaces

@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a :class:`MixedFunction` space, independent of hpcore.

    ``kind`` is ``"float"``, ``"int"``, ``"choice"`` or ``"bool"``;
    ``condition`` maps a parent name to the parent values that activate it;
    ``step`` makes a float discrete (``low, low + step, ... <= high``) or spaces an int's values.
    """

    name: str
    kind: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple[Any, ...] = ()
    condition: Mapping[str, Sequence[Any]] | None = None
    step: float | None = None

    def to_hpcore(self) -> Any:
        import hpcore

        kwargs: dict[str, Any] = {} if self.condition is None else {"condition": dict(self.condition)}
        if self.kind == "float":
            return hpcore.Float(self.low, self.high, log=self.log, step=self.step, **kwargs)
        if self.kind == "int":
            step = 1 if self.step is None else int(self.step)
            return hpcore.Int(int(self.low), int(self.high), step=step, log=self.log, **kwargs)
        if self.kind == "choice":
            return hpcore.Choice(list(self.choices), **kwargs)
        if self.kind == "bool":
            return hpcore.Bool(**kwargs)
        raise ValueError(f"unknown parameter kind {self.kind!r}")

    def sample(self, rng: np.random.Generator) -> Any:
        """Draw a value uniformly (log-uniformly if ``log``)."""
        if self.step is not None and self.log:
            raise ValueError(f"parameter {self.name!r}: sampling log with step is not implemented here; "
                             "sample from space() instead")
        if self.step is not None:  # uniform over the grid low, low + step, ...
            k = int(rng.integers(int(math.floor((self.high - self.low) / self.step + 1e-9)) + 1))
            value = self.low + k * self.step
            return int(value) if self.kind == "int" else float(round(value, 12))
        if self.kind == "float":
            if self.log:
                return float(math.exp(rng.uniform(math.log(self.low), math.log(self.high))))
            return float(rng.uniform(self.low, self.high))
        if self.kind == "int":
            return int(rng.integers(int(self.low), int(self.high) + 1))
        if self.kind == "choice":
            return self.choices[int(rng.integers(len(self.choices)))]
        if self.kind == "bool":
            return bool(rng.integers(2))
        raise ValueError(f"unknown parameter kind {self.kind!r}")


@dataclass(frozen=True)
class MixedFunction:
    """A minimisation problem over a mixed (and possibly conditional) space.

    ``fn`` takes the parameter dict; inactive conditional parameters may be
    absent (they are never read).  ``optimum_params`` is one global minimiser.
    """

    name: str
    params: tuple[ParamSpec, ...]
    optimum_value: float
    optimum_params: Mapping[str, Any]
    source: str
    fn: Callable[[Mapping[str, Any]], float] = field(repr=False, compare=False)

    def params_call(self, params: Mapping[str, Any]) -> float:
        return float(self.fn(params))

    __call__ = params_call

    def space(self) -> Any:
        """The search space as an ``hpcore.Space`` (conditions as ``condition={parent: [values]}``)."""
        import hpcore

        return hpcore.Space({p.name: p.to_hpcore() for p in self.params})

    def sample(self, rng: np.random.Generator) -> dict[str, Any]:
        """A random configuration containing only the active parameters (parents are listed first)."""
        out: dict[str, Any] = {}
        for p in self.params:
            if p.condition is None or all(out.get(k) in v for k, v in p.condition.items()):
                out[p.name] = p.sample(rng)
        return out


_MIXED_BRANIN_TARGET = {"red": 2, "green": 7, "blue": 4}
_MIXED_BRANIN_OFFSET = {"red": 0.5, "green": 0.0, "blue": 1.0}


def mixed_branin() -> MixedFunction:
    """Branin + integer quadratic + per-category offset (float, int and categorical).

    ``f = branin(x0, x1) + 0.5 * (n - t[c])**2 + o[c]`` with ``x0 in [-5, 10]``,
    ``x1 in [0, 15]``, ``n in {0..10}``, ``c in {red, green, blue}``,
    ``t = {red: 2, green: 7, blue: 4}``, ``o = {red: 0.5, green: 0, blue: 1}``.

    Optimum: every term is >= its own minimum (branin >= 5/(4 pi), the
    quadratic >= 0 with equality at n = t[c], offsets >= 0 with equality only
    for green), so the minimum is ``5/(4 pi) = 0.397887`` at any Branin
    minimiser with ``c = "green", n = 7``.
    """

    def fn(p: Mapping[str, Any]) -> float:
        c = p["c"]
        continuous = _branin(np.array([float(p["x0"]), float(p["x1"])]))
        return continuous + 0.5 * (int(p["n"]) - _MIXED_BRANIN_TARGET[c]) ** 2 + _MIXED_BRANIN_OFFSET[c]

    return MixedFunction(
        "mixed_branin",
        (ParamSpec("x0", "float", -5.0, 10.0), ParamSpec("x1", "float", 0.0, 15.0),
         ParamSpec("n", "int", 0, 10), ParamSpec("c", "choice", choices=("red", "green", "blue"))),
        5 / (4 * math.pi), {"x0": math.pi, "x1": 2.275, "n": 7, "c": "green"},
        "hpcore synthetic (Branin from the Virtual Library of Simulation Experiments)", fn,
    )


def mixed_conditional() -> MixedFunction:
    """A model-selection-like problem with conditional parameters.

    Parameters: ``lr`` (float, log, [1e-4, 1]), ``batchnorm`` (bool),
    ``model`` in {linear, tree}; ``alpha`` (float, log, [1e-3, 1e3]) only if
    ``model == "linear"``; ``depth`` (int, [1, 12]) only if ``model == "tree"``.

    ``f = (log10 lr + 2)^2 + 0.2 [not batchnorm] + g_model`` with
    ``g_linear = 0.3 + 0.25 (log10 alpha - 1)^2`` (min 0.3 at alpha = 10) and
    ``g_tree = 0.1 + 0.05 (depth - 6)^2`` (min 0.1 at depth = 6).

    Optimum: each term is minimised independently, and the tree branch's
    minimum (0.1) is below the linear one (0.3), so the minimum is 0.1 at
    ``lr = 0.01, batchnorm = True, model = "tree", depth = 6``.
    """

    def fn(p: Mapping[str, Any]) -> float:
        value = (math.log10(float(p["lr"])) + 2) ** 2 + (0.0 if p["batchnorm"] else 0.2)
        if p["model"] == "linear":
            return value + 0.3 + 0.25 * (math.log10(float(p["alpha"])) - 1) ** 2
        if p["model"] == "tree":
            return value + 0.1 + 0.05 * (int(p["depth"]) - 6) ** 2
        raise ValueError(f"unknown model {p['model']!r}")

    return MixedFunction(
        "mixed_conditional",
        (ParamSpec("lr", "float", 1e-4, 1.0, log=True), ParamSpec("batchnorm", "bool"),
         ParamSpec("model", "choice", choices=("linear", "tree")),
         ParamSpec("alpha", "float", 1e-3, 1e3, log=True, condition={"model": ["linear"]}),
         ParamSpec("depth", "int", 1, 12, condition={"model": ["tree"]})),
        0.1, {"lr": 0.01, "batchnorm": True, "model": "tree", "depth": 6}, "hpcore synthetic", fn,
    )


# --------------------------------------------------------------------------- multi-fidelity

def _unit_normal(seed: int, *values: float) -> float:
    """A standard normal draw that is a deterministic function of ``seed`` and ``values``."""
    digest = hashlib.blake2b(struct.pack(f"<q{len(values)}d", seed, *values), digest_size=8).digest()
    return float(np.random.default_rng(int.from_bytes(digest, "little")).standard_normal())


def value_scale(fn: Any, rng: np.random.Generator | None = None) -> float:
    """Standard deviation of ``fn`` over 256 uniform points of its box (seeded: ``rng`` or a fixed
    default), the unit in which relative noise and bias are expressed; 1.0 if ``fn`` is constant.

    ``fn`` is a :class:`TestFunction`, or any problem with a ``box`` (its :class:`TestFunction`,
    or None) or without one but with ``space()`` and ``params_call``: those are sampled from
    their space (256 seeded configurations).
    """
    rng = np.random.default_rng([0, 20240611]) if rng is None else rng
    box = fn if isinstance(fn, TestFunction) else getattr(fn, "box", None)
    if box is not None:
        points = rng.uniform(box.lower, box.upper, size=(256, box.dims))
        return float(np.std([box(p) for p in points])) or 1.0
    configs = fn.space().sample(rng, 256)
    return float(np.std([fn.params_call(c) for c in configs])) or 1.0


class ObservationNoise:
    """Gaussian noise added to what an optimiser observes, to benchmark noisy objectives.

    Each observed value is ``value + relative * scale * eps``, with ``scale`` from
    :func:`value_scale` and ``eps`` standard normals drawn in evaluation order from a generator
    seeded by ``seed`` (every method gets the same sequence for a seed). Regret is measured on
    the noiseless ``value``. ``relative = 0`` observes values unchanged.
    """

    def __init__(self, fn: Any, relative: float, seed: int) -> None:
        if not (relative >= 0 and math.isfinite(relative)):
            raise ValueError(f"relative noise must be finite and >= 0, got {relative!r}")
        self.sd = relative * value_scale(fn) if relative > 0 else 0.0
        self._rng = np.random.default_rng([seed, 0x0B5E])

    def observe(self, value: float) -> float:
        """The value the optimiser is told."""
        return value + self.sd * float(self._rng.standard_normal()) if self.sd else value


@dataclass(frozen=True)
class MultiFidelityFunction:
    """A budget-dependent view of a :class:`TestFunction`, exact at ``max_budget``.

    With ``gap = 1 - budget / max_budget`` (0 at full budget)::

        f_b(x) = f(x) + bias * scale * gap**exponent * g(x) + noise * scale * gap**exponent * eps

    where ``g(x) = mean_j cos(3 pi u_j + phi_j)`` on the unit-scaled point
    ``u`` (``phi`` fixed by ``seed``) moves the low-budget minimiser away from
    the true one, ``eps`` is a standard normal that is a deterministic function
    of ``(x, budget, seed)``, and ``scale`` is the standard deviation of ``f``
    over 256 seeded uniform points (so ``bias``/``noise`` are relative).
    ``budget`` must lie in ``(0, max_budget]``.
    """

    base: TestFunction
    max_budget: float
    bias: float = 0.25
    noise: float = 0.05
    exponent: float = 1.0
    seed: int = 0
    scale: float = field(init=False, repr=False)
    phases: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.max_budget > 0:
            raise ValueError(f"max_budget must be > 0, got {self.max_budget!r}")
        if not isinstance(self.base, TestFunction) and getattr(self.base, "box", None) is None:
            raise ValueError(f"problem {getattr(self.base, 'name', self.base)!r} is not a continuous box: "
                             "a multi-fidelity view needs one")
        rng = np.random.default_rng([self.seed, 20240611])
        object.__setattr__(self, "scale", value_scale(self.base, rng))
        object.__setattr__(self, "phases", rng.uniform(0, 2 * math.pi, size=self.base.dims))

    @property
    def name(self) -> str:
        return f"{self.base.name}_mf"

    @property
    def optimum_value(self) -> float:
        """Optimum at full budget (the base function's)."""
        return self.base.optimum_value

    def __call__(self, x: Sequence[float] | np.ndarray, budget: float) -> float:
        """Evaluate ``x`` (shape ``(d,)``) at ``budget`` in ``(0, max_budget]``."""
        if not 0 < budget <= self.max_budget:
            raise ValueError(f"budget must be in (0, {self.max_budget}], got {budget!r}")
        value = self.base(x)
        gap = 1.0 - budget / self.max_budget
        if gap <= 0.0:
            return value
        x = np.asarray(x, dtype=float)
        u = (x - self.base.lower) / (self.base.upper - self.base.lower)
        g = float(np.mean(np.cos(3 * math.pi * u + self.phases)))
        eps = _unit_normal(self.seed, float(budget), *x)
        return value + self.scale * gap**self.exponent * (self.bias * g + self.noise * eps)

    def params_call(self, params: Mapping[str, Any], budget: float) -> float:
        return self(_x_from_params(params, self.base.dims), budget)

    def space(self) -> Any:
        return self.base.space()


# --------------------------------------------------------------------------- simulated learning curves

LEARNING_CURVE_MAX_EPOCHS = 81
#: The learning-curve search space: log10 learning rate, layer width, dropout rate.
LEARNING_CURVE_PARAMS = (
    ParamSpec("log_lr", "float", -5.0, 0.0),
    ParamSpec("width", "int", 16, 1024, log=True),
    ParamSpec("dropout", "float", 0.0, 0.8),
)


def learning_curve_space() -> Any:
    """The ``hpcore.Space`` for :func:`learning_curve` (from :data:`LEARNING_CURVE_PARAMS`)."""
    import hpcore

    return hpcore.Space({p.name: p.to_hpcore() for p in LEARNING_CURVE_PARAMS})


def learning_curve(params: Mapping[str, Any], budget: float, seed: int = 0, noise: float = 0.003) -> float:
    """Simulated validation error (in [0, 1]) after ``budget`` epochs of training.

    ``params``: ``log_lr`` (log10 learning rate, [-5, 0]), ``width`` (units,
    [16, 1024]) and ``dropout`` ([0, 0.8]); see :data:`LEARNING_CURVE_PARAMS`.

    The error starts at 0.9 (chance for 10 classes) and decays as
    ``exp(-k t)`` toward an asymptote that is lowest near ``log_lr = -2.5``,
    ``width = 256``, ``dropout = 0.3``; ``k`` grows with the learning rate
    (large rates converge fast but to a worse asymptote).  Wide networks with
    little dropout overfit: once converged, their error rises linearly with
    further epochs, so early rankings can mislead (what Hyperband must cope
    with).  A small noise term, deterministic in ``(params, budget, seed)``,
    is added.  Budgets beyond :data:`LEARNING_CURVE_MAX_EPOCHS` are allowed.
    """
    if not budget > 0:
        raise ValueError(f"budget (epochs) must be > 0, got {budget!r}")
    log_lr, width, dropout = float(params["log_lr"]), float(params["width"]), float(params["dropout"])
    log_width = math.log2(width)
    asymptote = (0.04 + 0.06 * ((log_lr + 2.5) / 2.5) ** 2 + 0.03 * ((log_width - 8) / 2) ** 2
                 + 0.1 * (dropout - 0.3) ** 2)
    rate = 0.4 * 10 ** (0.5 * (log_lr + 2.5))  # per epoch
    error = asymptote + (0.9 - asymptote) * math.exp(-rate * budget)
    overfit = max(0.0, log_width - 7) * max(0.0, 0.3 - dropout) / 0.3  # 0 .. 3
    converged = 3.0 / rate
    error += 0.0015 * overfit * max(0.0, budget - converged)
    error += noise * _unit_normal(seed, float(budget), log_lr, width, dropout) / math.sqrt(1 + budget)
    return float(min(max(error, 0.0), 1.0))


# --------------------------------------------------------------------------- regret

def simple_regret(values: Sequence[float] | np.ndarray, optimum: float) -> np.ndarray:
    """Best-so-far regret: ``r[t] = min(values[:t+1]) - optimum``, shape ``(n,)``.

    NaN values (failed trials) are skipped; the regret stays NaN until the
    first finite value.
    """
    values = np.asarray(values, dtype=float)
    if values.ndim != 1:
        raise ValueError(f"values must be 1-d, got shape {values.shape}")
    if values.size == 0:
        return values.copy()
    return np.fmin.accumulate(values) - optimum


def log10_regret(values: Sequence[float] | np.ndarray, optimum: float, floor: float = 1e-12) -> np.ndarray:
    """``log10(max(simple_regret, floor))``; the floor keeps log(0) (an exact hit) finite."""
    if not floor > 0:
        raise ValueError(f"floor must be > 0, got {floor!r}")
    regret = simple_regret(values, optimum)
    return np.log10(np.where(np.isnan(regret), np.nan, np.maximum(regret, floor)))
