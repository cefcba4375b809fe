"""hpcore's benchmark suite: 53 problems of nine characters, split once into a tune half and a
report half.

Every problem is a :class:`Problem`: ``name``, ``character``, ``half``, ``dims`` (number of
parameters), ``space()`` (an ``hpcore.Space``), ``params_call(params)`` (the noiseless value,
minimised), ``optimum_value`` (None when unknown) and, for noisy problems, ``noise`` (the sd of
the observation noise relative to the function's spread, as
:class:`~hpcore.benchmarks.functions.ObservationNoise` applies it; regret is measured on the
noiseless value).

Characters (the first five are the Virtual Library of Simulation Experiments' categories, with
its "other" functions placed by their shape, see :data:`CHARACTERS`):

    bowl         convex-like basins, some badly scaled            (Trid, sum of squares...)
    plate        flat, plate-shaped regions                       (Booth, Matyas, Zakharov...)
    valley       long, narrow or flat curved valleys              (Rosenbrock, Dixon-Price, Powell...)
    steep        flat regions with steep drops or ridges          (De Jong 5, Michalewicz...)
    multimodal   many local minima                                (Ackley, Schwefel, Eggholder...)
    mixed        integer, stepped, log-scaled or categorical parameters (function_variants)
    conditional  parameters active only for some parent values    (function_variants)
    noisy        observation noise on a known function
    real         scikit-learn models cross-validated on small data (real_problems), optimum unknown

The split, fixed before any result was seen (:func:`assign_halves`): problems are grouped by
character, each group sorted by (dims, name) and dealt alternately to "tune" and "report"; the
first of a group goes to "tune" for the characters at even positions of the alphabetical list
(bowl, mixed, noisy, real, valley) and to "report" for the others, so that odd-sized groups
do not all favour one half. Defaults are chosen on the tune half only; the report half is
reported separately (``--functions suite:report``).

Real problems are scored by normalised regret (Bayesmark's score):
``(f_best - f_ref) / (f_rand - f_ref)``, with ``f_ref`` the best value known (the stored
reference of :data:`REAL_REFERENCES`, or a better value found in the run) and ``f_rand`` the
median best value of random search at the same budget (from the run when it has random search,
else the stored :data:`REAL_RANDOM_MEDIANS`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hpcore.benchmarks import function_variants as variants
from hpcore.benchmarks.functions import (
    MixedFunction,
    ObservationNoise,
    TestFunction,
    get_function,
    mixed_conditional,
)
from hpcore.benchmarks.real_problems import SklearnProblem, get_real_problem

__all__ = [
    "CHARACTERS",
    "HALVES",
    "REAL_RANDOM_MEDIANS",
    "REAL_REFERENCES",
    "REAL_REFERENCE_CONFIGS",
    "SPLIT",
    "SUITE",
    "Problem",
    "assign_halves",
    "expand_problem_names",
    "get_problem",
    "suite_names",
]

#: character -> what it means (and where the functions come from)
CHARACTERS: dict[str, str] = {
    "bowl": "bowl-shaped (VLSE); Trid and the sum of squares are badly scaled",
    "plate": "plate-shaped (VLSE)",
    "valley": "valley-shaped (VLSE); also Beale's flat curved valley, Powell's singular quartic valley and "
              "Perm's badly scaled polynomial valley (VLSE 'other')",
    "steep": "steep ridges or drops (VLSE); also Goldstein-Price, whose values span 3 to 1e6 (VLSE 'other')",
    "multimodal": "many local minima (VLSE); also Styblinski-Tang's 2^d basins (VLSE 'other')",
    "mixed": "integer, stepped, log-scaled and categorical parameters on published functions",
    "conditional": "conditional parameters as KerasTuner and Optuna users declare them",
    "noisy": "Gaussian observation noise (sd relative to the function's spread), noiseless regret",
    "real": "scikit-learn models, 3-fold cross-validated loss, optimum unknown",
}
HALVES = ("tune", "report")


@dataclass(frozen=True)
class _Entry:
    name: str
    character: str
    make: Callable[[], Any] = field(repr=False)
    noise: float = 0.0


def _fn(name: str) -> Callable[[], TestFunction]:
    return lambda: get_function(name)


def _real(name: str) -> Callable[[], SklearnProblem]:
    return lambda: get_real_problem(name)


#: The suite in a fixed order (the split does not depend on it: see `assign_halves`).
_ENTRIES: tuple[_Entry, ...] = (
    # bowl
    _Entry("bohachevsky", "bowl", _fn("bohachevsky")),
    _Entry("trid6", "bowl", _fn("trid6")),
    _Entry("rotated_hyper_ellipsoid8", "bowl", _fn("rotated_hyper_ellipsoid8")),
    _Entry("trid10", "bowl", _fn("trid10")),
    _Entry("sum_squares20", "bowl", _fn("sum_squares20")),
    # plate
    _Entry("booth", "plate", _fn("booth")),
    _Entry("matyas", "plate", _fn("matyas")),
    _Entry("mccormick", "plate", _fn("mccormick")),
    _Entry("zakharov6", "plate", _fn("zakharov6")),
    _Entry("zakharov10", "plate", _fn("zakharov10")),
    # valley
    _Entry("beale", "valley", _fn("beale")),
    _Entry("three_hump_camel", "valley", _fn("three_hump_camel")),
    _Entry("perm4", "valley", _fn("perm4")),
    _Entry("powell8", "valley", _fn("powell8")),
    _Entry("dixon_price10", "valley", _fn("dixon_price10")),
    _Entry("rosenbrock10", "valley", _fn("rosenbrock10")),
    _Entry("rosenbrock20", "valley", _fn("rosenbrock20")),
    # steep
    _Entry("de_jong5", "steep", _fn("de_jong5")),
    _Entry("goldstein_price", "steep", _fn("goldstein_price")),
    _Entry("michalewicz2", "steep", _fn("michalewicz2")),
    _Entry("michalewicz10", "steep", _fn("michalewicz10")),
    # multimodal
    _Entry("bukin6", "multimodal", _fn("bukin6")),
    _Entry("cross_in_tray", "multimodal", _fn("cross_in_tray")),
    _Entry("drop_wave", "multimodal", _fn("drop_wave")),
    _Entry("eggholder", "multimodal", _fn("eggholder")),
    _Entry("shubert", "multimodal", _fn("shubert")),
    _Entry("schwefel6", "multimodal", _fn("schwefel6")),
    _Entry("ackley10", "multimodal", _fn("ackley10")),
    _Entry("levy10", "multimodal", _fn("levy10")),
    _Entry("styblinski_tang16", "multimodal", _fn("styblinski_tang16")),
    _Entry("ackley20", "multimodal", _fn("ackley20")),
    # mixed
    _Entry("rosenbrock6_int", "mixed", variants.rosenbrock6_int),
    _Entry("styblinski_tang8_int", "mixed", variants.styblinski_tang8_int),
    _Entry("levy10_step", "mixed", variants.levy10_step),
    _Entry("hartmann6_log", "mixed", variants.hartmann6_log),
    _Entry("trid6_mixed", "mixed", variants.trid6_mixed),
    _Entry("ackley5_cat", "mixed", variants.ackley5_cat),
    # conditional
    _Entry("mixed_conditional", "conditional", mixed_conditional),
    _Entry("layers_conditional", "conditional", variants.layers_conditional),
    _Entry("cash_conditional", "conditional", variants.cash_conditional),
    # noisy
    _Entry("drop_wave_noisy", "noisy", _fn("drop_wave"), noise=0.1),
    _Entry("hartmann6_noisy", "noisy", _fn("hartmann6"), noise=0.1),
    _Entry("ackley5_cat_noisy", "noisy", variants.ackley5_cat, noise=0.1),
    _Entry("styblinski_tang10_noisy", "noisy", _fn("styblinski_tang10"), noise=0.05),
    # real
    *(_Entry(name, "real", _real(name)) for name in (
        "tree_friedman1", "forest_friedman3", "gbm_classification", "svm_moons", "elasticnet_diabetes",
        "logreg_classification", "knn_iris", "mlp_friedman2", "cash_classification")),
)


# --------------------------------------------------------------------------- references for real problems

#: Best value found for each real problem by a long random + local search (2,000 random
#: configurations, then 5 x 200 steps of a shrinking-step local search from the 5 best), made by
#: ``python -m hpcore.benchmarks.real_problems --reference`` (seeded: it prints these again).
REAL_REFERENCES: dict[str, float] = {
    "tree_friedman1": 12.15149334696433,
    "forest_friedman3": 2.4963448136765507,
    "gbm_classification": 0.16666666666666666,
    "svm_moons": 0.05333333333333334,
    "elasticnet_diabetes": 2.9472848048598146,
    "logreg_classification": 0.43337045517127226,
    "knn_iris": 0.048961618774478195,
    "mlp_friedman2": 0.012993851231987088,
    "cash_classification": 0.14666666666666664,
}
#: The configuration at which each reference value was found (tests re-evaluate them).
REAL_REFERENCE_CONFIGS: dict[str, dict[str, Any]] = {
    "tree_friedman1": {
        "max_depth": 13, "min_samples_split": 31, "min_samples_leaf": 1, "max_features": 0.7468799232024386,
    },
    "forest_friedman3": {
        "n_estimators": 8, "max_depth": 6, "min_samples_leaf": 3, "max_features": 0.8182673955536566,
        "bootstrap": True,
    },
    "gbm_classification": {
        "n_estimators": 7, "learning_rate": 0.58644457553097, "max_depth": 3, "subsample": 1.0,
    },
    "svm_moons": {"C": 0.43441806580182823, "gamma": 1.261667334439167},
    "elasticnet_diabetes": {"alpha": 2.287671066461278, "l1_ratio": 1.0},
    "logreg_classification": {"C": 0.2399413386296368, "penalty": "l1", "class_weight": None},
    "knn_iris": {"n_neighbors": 8, "weights": "distance", "p": 3.105045600136728},
    "mlp_friedman2": {
        "units": 29, "alpha": 0.09632096071564103, "learning_rate_init": 0.03007153229006731,
        "batch_size": 44,
    },
    "cash_classification": {"model": "svm", "C": 1.5080580384277587, "gamma": 0.039726356470886105},
}
#: Median best value of random search after k evaluations, k = 10, 30, 50, 100, 200, from the
#: same command (the median of the best of k draws from its 2,000 random values).
REAL_RANDOM_MEDIANS: dict[str, dict[int, float]] = {
    "tree_friedman1": {
        10: 14.91825275371462, 30: 13.944028751094214, 50: 13.699377048175734, 100: 13.272984220076594,
        200: 12.536854060489906,
    },
    "forest_friedman3": {
        10: 2.835027595288208, 30: 2.6862724207473523, 50: 2.637486304558545, 100: 2.6022643045985854,
        200: 2.572683505379066,
    },
    "gbm_classification": {
        10: 0.20666666666666667, 30: 0.19666666666666668, 50: 0.19333333333333336, 100: 0.18666666666666668,
        200: 0.18333333333333335,
    },
    "svm_moons": {
        10: 0.07, 30: 0.06333333333333334, 50: 0.06333333333333334, 100: 0.06, 200: 0.06,
    },
    "elasticnet_diabetes": {
        10: 3.020901237761373, 30: 3.0046483305891942, 50: 2.991781610473137, 100: 2.980313735319379,
        200: 2.969794285076396,
    },
    "logreg_classification": {
        10: 0.4455144633436508, 30: 0.4385843941791907, 50: 0.43781686985064927, 100: 0.43473437739758675,
        200: 0.4337113019108932,
    },
    "knn_iris": {
        10: 0.05496598639455782, 30: 0.051894529218413005, 50: 0.051390337690221895,
        100: 0.05101333460553418, 200: 0.050693618378800424,
    },
    "mlp_friedman2": {
        10: 0.04003856229525219, 30: 0.024719593488780625, 50: 0.022579141520166268,
        100: 0.019858357043030316, 200: 0.01829023656454103,
    },
    "cash_classification": {
        10: 0.18000000000000002, 30: 0.17, 50: 0.17, 100: 0.16333333333333333, 200: 0.16,
    },
}


# --------------------------------------------------------------------------- problems

def _dims_of(objective: Any) -> int:
    return objective.dims if isinstance(objective, TestFunction) else len(objective.params)


@dataclass(frozen=True)
class Problem:
    """One problem of the suite: an objective and what the suite knows about it.

    Attributes:
        name: suite name, e.g. ``"trid10"`` or ``"hartmann6_noisy"``.
        character: one of :data:`CHARACTERS`.
        half: ``"tune"`` or ``"report"`` (:data:`SPLIT`).
        objective: a :class:`TestFunction`, :class:`MixedFunction` or :class:`SklearnProblem`.
        noise: sd of the observation noise relative to the objective's spread (0: exact).
    """

    name: str
    character: str
    half: str
    objective: TestFunction | MixedFunction | SklearnProblem
    noise: float = 0.0

    @property
    def dims(self) -> int:
        """Number of parameters."""
        return _dims_of(self.objective)

    @property
    def optimum_value(self) -> float | None:
        """The noiseless global minimum, or None when unknown (real problems)."""
        return self.objective.optimum_value

    @property
    def reference_value(self) -> float | None:
        """The best value known: the optimum, or the stored reference of a real problem."""
        if self.optimum_value is not None:
            return self.optimum_value
        return REAL_REFERENCES.get(self.name)

    def random_median(self, budget: int) -> float | None:
        """Stored median best value of random search after ``budget`` evaluations (real problems
        at the budgets of :data:`REAL_RANDOM_MEDIANS`), else None."""
        return REAL_RANDOM_MEDIANS.get(self.name, {}).get(budget)

    def space(self) -> Any:
        """The search space as an ``hpcore.Space``."""
        return self.objective.space()

    def params_call(self, params: Mapping[str, Any]) -> float:
        """The noiseless value at ``params`` (what regret is measured on)."""
        return float(self.objective.params_call(params))

    def observation_noise(self, seed: int, extra: float = 0.0) -> ObservationNoise:
        """The noise an optimiser observes in a run with ``seed``: this problem's relative sd
        and ``extra`` (a runner's ``--noise``) combined in quadrature."""
        return ObservationNoise(self, math.hypot(self.noise, extra), seed)

    # -- box problems only: what the box-only runners (Hyperband's multi-fidelity view, peers
    # -- that take bounds) need; other problems raise a ValueError naming the problem.
    @property
    def box(self) -> TestFunction | None:
        """The continuous box function behind this problem, or None."""
        return self.objective if isinstance(self.objective, TestFunction) else None

    def _require_box(self) -> TestFunction:
        if self.box is None:
            raise ValueError(f"problem {self.name!r} ({self.character}) is not a continuous box; "
                             "use space() and params_call()")
        return self.box

    @property
    def bounds(self) -> tuple[tuple[float, float], ...]:
        return self._require_box().bounds

    @property
    def lower(self) -> np.ndarray:
        return self._require_box().lower

    @property
    def upper(self) -> np.ndarray:
        return self._require_box().upper

    def __call__(self, x: Sequence[float] | np.ndarray) -> float:
        """The noiseless value at a point ``x`` of shape ``(d,)`` (box problems only)."""
        return self._require_box()(x)


def assign_halves(entries: Iterable[tuple[str, str, int]]) -> dict[str, str]:
    """name -> "tune" | "report" for ``(name, character, dims)`` triples, by the suite's rule:
    within a character, sorted by (dims, name), alternately; the first goes to "tune" for the
    characters at even positions of the sorted list of characters present, to "report" for
    the others."""
    by_character: dict[str, list[tuple[int, str]]] = {}
    for name, character, dims in entries:
        by_character.setdefault(character, []).append((dims, name))
    split: dict[str, str] = {}
    for position, character in enumerate(sorted(by_character)):
        for k, (_, name) in enumerate(sorted(by_character[character])):
            split[name] = HALVES[(k + position) % 2]
    return split


#: name -> (character, dims) of every problem, in the suite's order.
SUITE: dict[str, tuple[str, int]] = {e.name: (e.character, _dims_of(e.make())) for e in _ENTRIES}
#: name -> half, by `assign_halves`.
SPLIT: dict[str, str] = assign_halves((name, c, d) for name, (c, d) in SUITE.items())
_BY_NAME = {e.name: e for e in _ENTRIES}


def suite_names(selector: str = "suite") -> list[str]:
    """The problem names a selector stands for: ``"suite"`` (all), ``"suite:tune"``,
    ``"suite:report"``, or ``"suite:<character>"`` (e.g. ``"suite:real"``), in suite order.

    Raises:
        ValueError: an unknown selector (the message lists the known ones).
    """
    if selector == "suite":
        return list(SUITE)
    prefix, _, which = selector.partition(":")
    if prefix == "suite" and which in HALVES:
        return [n for n in SUITE if SPLIT[n] == which]
    if prefix == "suite" and which in CHARACTERS:
        return [n for n, (c, _) in SUITE.items() if c == which]
    known = ", ".join(["suite", *(f"suite:{h}" for h in HALVES), *(f"suite:{c}" for c in CHARACTERS)])
    raise ValueError(f"unknown suite selector {selector!r}; known: {known}")


def expand_problem_names(items: Iterable[str]) -> list[str]:
    """Problem names for a ``--functions`` list: suite selectors expanded, each name checked
    and made canonical (`get_problem`: ``"Hartmann-6"`` is ``"hartmann6"``), duplicates
    dropped, order kept.

    Raises:
        ValueError: an unknown selector or problem name.
    """
    out: list[str] = []
    for item in items:
        names = suite_names(item) if item == "suite" or item.startswith("suite:") else [item]
        for name in names:
            canonical = get_problem(name).name
            if canonical not in out:
                out.append(canonical)
    return out


def get_problem(name: str) -> Problem | TestFunction:
    """A suite problem by its exact name, else a test function of
    :func:`~hpcore.benchmarks.functions.get_function` (``"branin"``, ``"ackley5"``...).

    Raises:
        ValueError: neither a suite problem nor a test function (the message says both).
    """
    entry = _BY_NAME.get(name)
    if entry is not None:
        return Problem(entry.name, entry.character, SPLIT[entry.name], entry.make(), entry.noise)
    try:
        return get_function(name)
    except ValueError as e:
        raise ValueError(f"{e}; nor is it a problem of the suite (`suite_names()` lists them)") from None
