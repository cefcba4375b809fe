"""Translate an ``hpcore.Space`` into each peer library's space, and the peer's values back.

Two families of peers:

- peers with conditions of their own: Optuna (:func:`optuna_suggest`, define-by-run: a
  parameter is suggested only when active; ``step=`` and ``log=`` native), SMAC3
  (:func:`configspace`: ConfigSpace conditions) and KerasTuner
  (:func:`keras_tuner_hyperparameters`: conditional scopes);
- peers with flat spaces: scikit-optimize (:func:`skopt_dimensions`), HEBO
  (:func:`hebo_design`) and BoTorch (:class:`UnitCube`): every parameter is sampled always and
  passed to the objective only when active (:func:`active_config`); what a peer samples for an
  inactive parameter is never used.

Each peer sees a parameter through one :class:`ParamView`, which says what the peer samples:

    float     a Float without step: [low, high], log-uniform when log
    int       an Int with step 1: the integers of [low, high], log-scaled when log
    index     a stepped Float or Int, not log: the index k = 0 .. n-1 of its k-th value
              low + k*step (peers without steps of their own; Optuna's are native)
    category  a Choice or Bool: a string label per value, its str ("linear", "None", "True"),
              or its repr where two values print alike (1 and "1")

A log-scaled stepped parameter (``Float(1e-3, 1, step=1e-3, log=True)``,
``Int(1, 100, step=3, log=True)``) has a native form in no peer: it is seen as float or int over
[low, high] on the log scale and snapped to the nearest value of its grid in log space (hpcore's
own cells). A condition on such a parent is not given to the peer (the child is then sampled
always and dropped when inactive), since the peer's unsnapped value cannot be compared with the
condition's values. `Fixed` parameters have no view: their value is filled in when active.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hpcore.space import Bool, Choice, Fixed, Float, Int, Parameter, Space

__all__ = [
    "ParamView",
    "UnitCube",
    "active_config",
    "configspace",
    "flat_config",
    "hebo_design",
    "keras_tuner_hyperparameters",
    "mapping_config",
    "optuna_suggest",
    "param_views",
    "skopt_dimensions",
    "snap",
]


# -- values on a parameter's own grid -------------------------------------------------------------------------
def snap(p: Parameter, x: float) -> Any:
    """The value of numeric parameter `p` nearest to `x` (clipped to [low, high]; for a stepped or
    integer parameter the nearest grid value, measured in log space when `p.log`)."""
    x = min(max(float(x), float(p.low)), float(p.high))
    if isinstance(p, Float) and p.step is None:
        return x
    # hpcore's own cells: encoding puts a value in its cell, decoding returns the cell's value.
    return p.normalize(p.decode_values(p.encode_values(np.array([x])))[0])


def _size(p: Parameter) -> int:
    return int(p.size)


def _grid_value(p: Parameter, k: int) -> Any:
    """The k-th value low + k*step of a stepped parameter that is not log-scaled (k = 0 .. n-1),
    exact as hpcore has it (the centre of its k-th cell, decoded)."""
    n = _size(p)
    if not 0 <= k < n:
        raise ValueError(f"index {k} is outside 0..{n - 1} for {p!r}")
    return p.normalize(p.decode_values(np.array([[(k + 0.5) / n]]))[0])


def _grid_index(p: Parameter, value: Any) -> int:
    n = _size(p)
    return min(int(math.floor(float(p.encode_values(np.array([float(value)]))[0, 0]) * n)), n - 1)


def _category_values(p: Parameter) -> list[Any]:
    return [False, True] if isinstance(p, Bool) else list(p.values)


# -- one parameter as a peer sees it -------------------------------------------------------------------------------
@dataclass(frozen=True)
class ParamView:
    """How a peer without native steps or categories of hpcore's kinds samples one parameter.

    `kind` is "float", "int", "index" or "category" (module docstring); `low`/`high` are the
    bounds the peer samples within (0 and n-1 for "index"), `log` whether on a log scale,
    `labels` the category labels. `snapped` is True for a log-scaled stepped parameter, whose
    peer value is rounded to the grid by `value`.
    """

    name: str
    param: Parameter
    kind: str
    low: float = 0.0
    high: float = 0.0
    log: bool = False
    labels: tuple[str, ...] = ()
    snapped: bool = False

    def value(self, x: Any) -> Any:
        """The hpcore value for the peer's value `x` (ValueError for a label or index the
        parameter does not have)."""
        if self.kind == "category":
            try:
                return _category_values(self.param)[self.labels.index(str(x))]
            except ValueError:
                raise ValueError(f"parameter {self.name!r}: {x!r} is not one of the labels {self.labels}") from None
        if self.kind == "index":
            return _grid_value(self.param, min(max(int(round(float(x))), 0), int(self.high)))
        return snap(self.param, x)

    def peer_value(self, value: Any) -> Any:
        """The peer's value for hpcore value `value` (for conditions on this parameter)."""
        if self.kind == "category":
            # Choice.index keeps True and 1 apart, as list.index would not
            return self.labels[int(bool(value)) if isinstance(self.param, Bool) else self.param.index(value)]
        if self.kind == "index":
            return _grid_index(self.param, value)
        return int(value) if self.kind == "int" else float(value)


def _labels(values: Sequence[Any]) -> tuple[str, ...]:
    """str of each value where those differ ("linear", "None"), else the repr of each (1 and "1")."""
    plain = tuple(str(v) for v in values)
    return plain if len(set(plain)) == len(plain) else tuple(repr(v) for v in values)


def _view(name: str, p: Parameter) -> ParamView | None:
    if isinstance(p, Fixed):
        return None
    if isinstance(p, (Choice, Bool)):
        return ParamView(name, p, "category", labels=_labels(_category_values(p)))
    if isinstance(p, (Float, Int)):
        stepped = isinstance(p, Float) and p.step is not None or isinstance(p, Int) and p.step != 1
        if stepped and not p.log:
            return ParamView(name, p, "index", 0, _size(p) - 1)
        kind = "int" if isinstance(p, Int) else "float"
        return ParamView(name, p, kind, p.low, p.high, p.log, snapped=stepped)
    raise ValueError(f"parameter {name!r}: no peer translation for {type(p).__name__}")


def param_views(space: Space) -> list[ParamView]:
    """One view per non-Fixed parameter, parents before children (`Space.order`)."""
    return [v for v in (_view(n, space[n]) for n in space.order) if v is not None]


def active_config(space: Space, values: Mapping[str, Any]) -> dict[str, Any]:
    """The configuration the objective receives: from `values` (hpcore values by name, inactive
    ones allowed and dropped) the active parameters, `Fixed` ones filled in, in the space's order.

    Raises:
        ValueError: a parameter that is active has no value (a translation error).
    """
    out: dict[str, Any] = {}
    for name in space.order:
        if not space.is_active(name, out):
            continue
        p = space[name]
        if isinstance(p, Fixed):
            out[name] = p.value
        elif name in values:
            out[name] = values[name]
        else:
            raise ValueError(f"parameter {name!r} is active but the peer gave no value for it")
    return {n: out[n] for n in space if n in out}


def _native_conditions(space: Space, views: Sequence[ParamView]) -> dict[str, list[tuple[ParamView, list[Any]]]]:
    """name -> [(parent view, the parent's peer values that activate it)] for the conditions a
    peer can state itself: those on Fixed parents are decided here (left out when they hold, the
    child never active when not: it is then sampled and dropped), those on snapped parents are
    left to `active_config`."""
    by_name = {v.name: v for v in views}
    out: dict[str, list[tuple[ParamView, list[Any]]]] = {}
    for v in views:
        conds = []
        for parent, values in v.param.condition.items():
            pv = by_name.get(parent)
            if pv is None or pv.snapped:
                continue
            conds.append((pv, [pv.peer_value(x) for x in values]))
        out[v.name] = conds
    return out


# -- Optuna: define-by-run ---------------------------------------------------------------------------------------
def _optuna_value(trial: Any, name: str, p: Parameter) -> Any:
    if isinstance(p, Fixed):
        return p.value
    if isinstance(p, Bool):
        return trial.suggest_categorical(name, [False, True])
    if isinstance(p, Choice):
        return trial.suggest_categorical(name, list(p.values))
    if isinstance(p, Float):
        if p.step is None:
            return trial.suggest_float(name, p.low, p.high, log=p.log)
        if p.log:  # Optuna refuses step with log
            return snap(p, trial.suggest_float(name, p.low, p.high, log=True))
        # Optuna wants high on the grid; canonical(): its low + k*step can differ from the grid
        # value by rounding (0.30000000000000004).
        last = _grid_value(p, _size(p) - 1)
        return p.canonical(trial.suggest_float(name, p.low, last, step=p.step))
    if p.log and p.step != 1:
        return snap(p, trial.suggest_int(name, p.low, p.high, log=True))
    last = p.low + (p.high - p.low) // p.step * p.step
    return trial.suggest_int(name, p.low, last, step=p.step, log=p.log)


def optuna_suggest(trial: Any, space: Space) -> dict[str, Any]:
    """Suggest a configuration through an ``optuna.Trial``: parameters in `Space.order`, each
    only when its conditions hold (so inactive ones are never suggested, nor passed on)."""
    out: dict[str, Any] = {}
    for name in space.order:
        if space.is_active(name, out):
            out[name] = _optuna_value(trial, name, space[name])
    return {n: out[n] for n in space if n in out}


# -- scikit-optimize: flat ------------------------------------------------------------------------------------
def skopt_dimensions(space: Space) -> tuple[list[Any], list[ParamView]]:
    """scikit-optimize dimensions (Real / Integer with a log-uniform prior when log, Categorical of
    labels) and the views that turn a point of them back into values, in the same order."""
    from skopt.space import Categorical, Integer, Real

    views = param_views(space)
    dims: list[Any] = []
    for v in views:
        prior = "log-uniform" if v.log else "uniform"
        if v.kind == "category":
            dims.append(Categorical(list(v.labels), name=v.name))
        elif v.kind == "float":
            dims.append(Real(float(v.low), float(v.high), prior=prior, name=v.name))
        else:
            dims.append(Integer(int(v.low), int(v.high), prior=prior, name=v.name))
    return dims, views


def flat_config(space: Space, views: Sequence[ParamView], point: Sequence[Any]) -> dict[str, Any]:
    """The active configuration of a flat peer's point (one value per view, in `views` order)."""
    if len(point) != len(views):
        raise ValueError(f"expected {len(views)} values, one per parameter, got {len(point)}")
    return active_config(space, {v.name: v.value(x) for v, x in zip(views, point)})


# -- HEBO: flat ---------------------------------------------------------------------------------------------
def hebo_design(space: Space) -> tuple[list[dict[str, Any]], list[ParamView]]:
    """HEBO DesignSpace records (num / pow for log floats, int / pow_int for log ints, int over the
    index of a stepped parameter, cat of labels), JSON-ready, and their views."""
    views = param_views(space)
    records: list[dict[str, Any]] = []
    for v in views:
        if v.kind == "category":
            records.append({"name": v.name, "type": "cat", "categories": list(v.labels)})
        elif v.kind == "float":
            records.append({"name": v.name, "type": "pow" if v.log else "num", "lb": float(v.low),
                            "ub": float(v.high)})
        else:  # HEBO's log integer needs lb >= 1, which an hpcore log Int has (low > 0)
            records.append({"name": v.name, "type": "pow_int" if v.log else "int", "lb": int(v.low),
                            "ub": int(v.high)})
    return records, views


# -- SMAC3: ConfigSpace ---------------------------------------------------------------------------------------
def configspace(space: Space, seed: int) -> tuple[Any, list[ParamView]]:
    """A ``ConfigSpace.ConfigurationSpace`` (Float / Integer with log, Categorical of labels, an
    Integer over the index of a stepped parameter; conditions as EqualsCondition / InCondition,
    several parents joined by AndConjunction) and the views that read a Configuration back."""
    import ConfigSpace as CS  # its Float and Integer would shadow hpcore's here


    views = param_views(space)
    cs = CS.ConfigurationSpace(seed=seed)
    hps: dict[str, Any] = {}
    for v in views:
        if v.kind == "category":
            hps[v.name] = CS.Categorical(v.name, list(v.labels))
        elif v.kind == "float":
            hps[v.name] = CS.Float(v.name, (float(v.low), float(v.high)), log=v.log)
        else:
            hps[v.name] = CS.Integer(v.name, (int(v.low), int(v.high)), log=v.log)
    cs.add(list(hps.values()))
    conditions = []
    for name, conds in _native_conditions(space, views).items():
        parts = [CS.EqualsCondition(hps[name], hps[pv.name], values[0]) if len(values) == 1
                 else CS.InCondition(hps[name], hps[pv.name], values) for pv, values in conds]
        if len(parts) == 1:
            conditions.append(parts[0])
        elif parts:
            conditions.append(CS.AndConjunction(*parts))
    if conditions:
        cs.add(conditions)
    return cs, views


def mapping_config(space: Space, views: Sequence[ParamView], values: Mapping[str, Any]) -> dict[str, Any]:
    """The active configuration from a peer's name -> value mapping that holds the parameters it
    considers active (a ConfigSpace Configuration, KerasTuner's values)."""
    return active_config(space, {v.name: v.value(values[v.name]) for v in views if v.name in values})


# -- KerasTuner: conditional scopes ------------------------------------------------------------------------
def keras_tuner_hyperparameters(space: Space) -> tuple[Any, list[ParamView]]:
    """A ``keras_tuner.HyperParameters`` declaring the space (Float / Int with log sampling, an Int
    over the index of a stepped parameter, Choice of labels), each parameter inside the
    conditional scopes of its parents (nested scopes for several parents: all must hold)."""
    import keras_tuner as kt

    views = param_views(space)
    conditions = _native_conditions(space, views)
    # KerasTuner finds a parent only from inside exactly the scopes it was declared in, so its
    # conditions form a tree: a parameter is declared inside its parent's scopes plus the
    # parent's condition (`chains`, outermost first). With several parents, the deepest chain is
    # kept and a further parent only where it was declared in that same chain; the conditions
    # left out make KerasTuner's weaker than hpcore's, never stronger, so every parameter hpcore
    # finds active has a value and `active_config` drops the others.
    chains: dict[str, list[tuple[ParamView, list[Any]]]] = {}
    hp = kt.HyperParameters()
    for v in views:
        candidates = sorted(([*chains[pv.name], (pv, values)] for pv, values in conditions[v.name]),
                            key=len, reverse=True)
        chain = candidates[0] if candidates else []
        for pv, values in conditions[v.name]:
            if chains[pv.name] == chain and all(pv.name != known.name for known, _ in chain):
                chain = [*chain, (pv, values)]
        chains[v.name] = chain
        with contextlib.ExitStack() as scopes:
            for pv, values in chain:
                scopes.enter_context(hp.conditional_scope(pv.name, values))
            sampling = "log" if v.log else "linear"
            if v.kind == "category":
                hp.Choice(v.name, list(v.labels))
            elif v.kind == "float":
                hp.Float(v.name, float(v.low), float(v.high), sampling=sampling)
            else:
                hp.Int(v.name, int(v.low), int(v.high), sampling=sampling)
    return hp, views


# -- BoTorch: the unit cube -----------------------------------------------------------------------------------
class UnitCube:
    """The flat unit-cube encoding BoTorch optimises over.

    Notation: D columns; a float, int or index view has one column (its position in [low, high],
    on the log scale when log), a Bool one (False below 0.5), a k-way Choice k (one-hot). A point
    u: (D,) in [0, 1]^D decodes to the configuration it rounds to: ints and indices to the nearest
    value, a Choice to the argmax of its block; `decode` also returns that rounded point, which
    is what the model is told was evaluated.
    """

    def __init__(self, space: Space) -> None:
        self.space = space
        self.views = param_views(space)
        self.columns: list[slice] = []
        start = 0
        for v in self.views:
            width = len(v.labels) if v.kind == "category" and not isinstance(v.param, Bool) else 1
            self.columns.append(slice(start, start + width))
            start += width
        self.dims = start

    def _position(self, v: ParamView, x: float) -> float:
        lo, hi = float(v.low), float(v.high)
        if v.log:
            return (math.log(x) - math.log(lo)) / (math.log(hi) - math.log(lo))
        return (x - lo) / (hi - lo)

    def _at(self, v: ParamView, t: float) -> float:
        lo, hi = float(v.low), float(v.high)
        if t <= 0.0 or t >= 1.0:  # the bounds themselves, not exp(log(low)) a few ulps off
            return lo if t <= 0.0 else hi
        return math.exp(math.log(lo) + t * (math.log(hi) - math.log(lo))) if v.log else lo + t * (hi - lo)

    def decode(self, u: Sequence[float]) -> tuple[dict[str, Any], np.ndarray]:
        """u: (D,) -> (the active configuration, the rounded point (D,))."""
        u = np.asarray(u, dtype=float).reshape(-1)
        if u.shape != (self.dims,):
            raise ValueError(f"expected a point of {self.dims} columns, got shape {u.shape}")
        rounded = np.empty(self.dims)
        values: dict[str, Any] = {}
        for v, cols in zip(self.views, self.columns):
            block = u[cols]
            if v.kind == "category":
                k = int(block[0] >= 0.5) if isinstance(v.param, Bool) else int(np.argmax(block))
                values[v.name] = v.value(v.labels[k])
                rounded[cols] = float(k) if isinstance(v.param, Bool) else np.eye(len(v.labels))[k]
            elif v.kind == "index":
                k = int(round(float(block[0]) * v.high))
                values[v.name] = v.value(k)
                rounded[cols] = k / v.high
            else:
                values[v.name] = v.value(self._at(v, float(block[0])))
                rounded[cols] = self._position(v, float(values[v.name]))
        return active_config(self.space, values), rounded
