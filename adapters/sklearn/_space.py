"""Reading the search spaces that scikit-learn and scikit-optimize users write, without guessing.

Each value of a space dict becomes one hpcore parameter:

    hpcore parameter (Float, Int, Choice, Bool, Fixed)   as it is
    list, 1-D numpy array                                Choice (categories), as in GridSearchCV
    (low, high)                                          Int if both are ints, else Float
    (low, high, "uniform" | "log-uniform")               the same, log=True for "log-uniform"
    (low, high, prior, base)                             the same; the base of a log-uniform prior
                                                         does not change the distribution
    skopt Real / Integer / Categorical                   Float / Int / Choice (duck-typed: no import)
    scipy.stats uniform / loguniform / randint           Float / Float(log=True) / Int on the support

A tuple is a range (scikit-optimize's convention) under `space=` and `search_spaces=`: a tuple
that is not one of the forms above is a `TypeError` naming the key, never read as categories.
Under `param_grid=` and `param_distributions=` a tuple is a sequence of values, as in
scikit-learn (`{"kernel": ("linear", "rbf")}` from GridSearchCV's documentation). Other scipy.stats distributions
(`norm`, `expon`, `beta`...) are a `TypeError` too: hpcore samples uniformly (or log-uniformly)
within bounds, so a weighted or unbounded distribution has no faithful translation; write the
range you mean as `Float(low, high)`.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from hpcore.space import Choice, Float, Int, Parameter, Space
from hpcore.strategies.base import Strategy, SuggestContext, TakenConfigurations
from hpcore.trial import Suggestion, Trial

__all__ = ["GridList", "parameter_from_spec", "space_from_spec"]

PRIORS = {"uniform": False, "log-uniform": True}
SCIPY_FORMS = "uniform(loc, scale), loguniform(a, b) or randint(low, high)"


def _is_int(x: Any) -> bool:
    return isinstance(x, (numbers.Integral, np.integer)) and not isinstance(x, (bool, np.bool_))


def _is_real(x: Any) -> bool:
    return isinstance(x, (numbers.Real, np.floating)) and not isinstance(x, (bool, np.bool_))


def _range(name: str, low: Any, high: Any, log: bool) -> Parameter:
    if not (_is_real(low) and _is_real(high)):
        raise TypeError(f"space[{name!r}]: a tuple is a range and needs numbers (low, high), got ({low!r}, "
                        f"{high!r}); write categories as a list (with param_grid= or param_distributions=, "
                        "tuples are values)")
    if _is_int(low) and _is_int(high):
        return Int(int(low), int(high), log=log)
    return Float(float(low), float(high), log=log)


def _from_tuple(name: str, spec: tuple) -> Parameter:
    forms = ("a tuple is a range: (low, high), (low, high, 'uniform' | 'log-uniform') or "
             "(low, high, prior, base); write categories as a list (with param_grid= or param_distributions=, tuples are values)")
    if len(spec) not in (2, 3, 4):
        raise TypeError(f"space[{name!r}]: {spec!r} is not a range ({forms})")
    prior = spec[2] if len(spec) >= 3 else "uniform"
    if not isinstance(prior, str) or prior not in PRIORS:
        raise TypeError(f"space[{name!r}]: {spec!r} has prior {prior!r}, not 'uniform' or 'log-uniform' ({forms})")
    if len(spec) == 4 and not (_is_real(spec[3]) and spec[3] > 0 and spec[3] != 1):
        raise TypeError(f"space[{name!r}]: the base of {spec!r} must be a positive number other than 1")
    return _range(name, spec[0], spec[1], PRIORS[prior])


def _skopt_kind(spec: Any) -> str | None:
    """'Real', 'Integer' or 'Categorical' for a scikit-optimize dimension, else None."""
    kind = type(spec).__name__
    if type(spec).__module__.split(".")[0] == "skopt" and kind in ("Real", "Integer", "Categorical"):
        return kind
    return None


def _from_skopt(name: str, spec: Any, kind: str) -> Parameter:
    if kind == "Categorical":
        weights = getattr(spec, "prior", None)
        if weights is not None and not np.allclose(weights, weights[0]):
            raise TypeError(f"space[{name!r}]: Categorical with unequal prior {list(weights)} has no hpcore "
                            "equivalent (choices are drawn uniformly)")
        return Choice(list(spec.categories))
    if spec.prior not in PRIORS:
        raise TypeError(f"space[{name!r}]: {kind} prior {spec.prior!r} is not 'uniform' or 'log-uniform'")
    if kind == "Integer":
        return Int(int(spec.low), int(spec.high), log=PRIORS[spec.prior])
    return Float(float(spec.low), float(spec.high), log=PRIORS[spec.prior])


def _loc(spec: Any) -> float:
    """The `loc` of a frozen scipy.stats distribution (positional after the shapes, or keyword)."""
    shapes = spec.dist.numargs
    return float(spec.kwds.get("loc", spec.args[shapes] if len(spec.args) > shapes else 0.0))


def _from_scipy(name: str, spec: Any) -> Parameter:
    dist = spec.dist.name
    low, high = spec.support()
    if dist == "uniform":
        return Float(float(low), float(high))
    if dist in ("loguniform", "reciprocal"):
        if _loc(spec) != 0.0:
            raise TypeError(f"space[{name!r}]: loguniform with loc={_loc(spec)} is not log-uniform on an interval")
        return Float(float(low), float(high), log=True)
    if dist == "randint":
        return Int(int(low), int(high))
    raise TypeError(f"space[{name!r}]: scipy.stats.{dist} is not supported (hpcore draws uniformly within "
                    f"bounds); use {SCIPY_FORMS}, or an hpcore Float/Int with the bounds you mean")


def parameter_from_spec(name: str, spec: Any, *, tuple_is_values: bool = False) -> Parameter:
    """The hpcore parameter for one value of a space dict (see the module docstring);
    `tuple_is_values` reads a tuple as categories (scikit-learn's convention)."""
    if isinstance(spec, Parameter):
        return spec
    values_types = (list, tuple) if tuple_is_values else list
    if isinstance(spec, values_types) or (isinstance(spec, np.ndarray) and spec.ndim == 1):
        values = spec.tolist() if isinstance(spec, np.ndarray) else spec
        try:
            return Choice(list(values))
        except (TypeError, ValueError) as e:
            raise TypeError(f"space[{name!r}]: {e}") from e
    if isinstance(spec, tuple):
        return _from_tuple(name, spec)
    kind = _skopt_kind(spec)
    if kind is not None:
        return _from_skopt(name, spec, kind)
    if hasattr(spec, "dist") and hasattr(spec, "rvs") and hasattr(spec, "support"):
        return _from_scipy(name, spec)
    raise TypeError(f"space[{name!r}]: expected an hpcore parameter, a list of values, a (low, high[, prior]) "
                    f"range, a skopt dimension or scipy.stats {SCIPY_FORMS}; got {spec!r}")


def _union_choice(name: str, parts: Sequence[Choice]) -> Choice:
    values: list[Any] = []
    for part in parts:
        for v in part.values:
            if not any(type(v) is type(u) and v == u for u in values):
                values.append(v)
    return Choice(values)


def space_from_spec(spec: Any, *, grid_points: int | None = None,
                    tuple_is_values: bool = False) -> tuple[Space, list[dict] | None]:
    """(space, points): an hpcore Space for a space argument, and for a list of grid dicts
    (GridSearchCV's `param_grid=[{...}, {...}]`) the grid points, sub-grid after sub-grid, over
    a space whose parameters are the union of the sub-grids' categories (points is None else)."""
    if isinstance(spec, Space):
        return spec, None
    if isinstance(spec, Mapping):
        return Space({name: parameter_from_spec(name, p, tuple_is_values=tuple_is_values)
                      for name, p in spec.items()}), None
    if isinstance(spec, (list, tuple)) and spec and all(isinstance(g, Mapping) for g in spec):
        points: list[dict] = []
        parts: dict[str, list[Choice]] = {}
        for i, grid in enumerate(spec):
            sub = {}
            for name, p in grid.items():
                param = parameter_from_spec(name, p, tuple_is_values=tuple_is_values)
                if not isinstance(param, Choice):
                    raise TypeError(f"space[{i}][{name!r}]: in a list of grids every value must be a list of "
                                    f"values, got {p!r}")
                sub[name] = param
                parts.setdefault(name, []).append(param)
            points.extend(Space(sub).grid(grid_points) if sub else [{}])
        return Space({name: _union_choice(name, ps) for name, ps in parts.items()}), points
    raise TypeError(f"the space must be an hpcore.Space, a dict name -> values/range/distribution, or a list of "
                    f"such dicts (grid search only), got {type(spec).__name__}")


class GridList(Strategy):
    """The points of a list of grids (GridSearchCV's `param_grid=[{...}, {...}]`), in order.

    Each point holds only the parameters of its own sub-grid; the others keep the estimator's
    values (and are masked in `cv_results_`). Points already in the study are not repeated.
    """

    name = "sklearn_grid_list"

    def __init__(self, points: Sequence[Mapping[str, Any]]) -> None:
        self.points = [dict(p) for p in points]
        self._taken = TakenConfigurations()

    def settings(self) -> dict:
        return {"points": self.points}

    def planned_trials(self, space: Space, trials: Sequence[Trial]) -> int:
        taken = {space.key(t.params) for t in trials}
        return sum(space.key(p) not in taken for p in self.points)

    def describe(self, space: Space) -> str:
        return f"grid search over {len(self.points):,} points of {len(space)} parameters"

    def suggest(self, ctx: SuggestContext) -> Suggestion | None:
        taken = self._taken.of(ctx)
        for p in self.points:
            if ctx.space.key(p) not in taken:
                return Suggestion(dict(p))
        return None
