"""`HyperParameters`: the KerasTuner-style `hp` object, recording a define-by-run search space.

A `build_model(hp)` asks `hp.Int("units", 32, 512, step=32)` and gets a value back. The same call
also *declares* the parameter: the first time a name is seen its definition is recorded (as an
hpcore `Parameter`) and the call returns the parameter's default; later trials find the name in
the study's space, and the call returns the value the strategy chose for this trial.

Conditions: inside `with hp.conditional_scope("model", ["cnn"]):` (or with `parent_name=` /
`parent_values=`) a declaration carries `condition={"model": ["cnn"]}`; nested scopes combine
(all parents must match). A parameter whose condition does not hold is inactive: the call
returns None, as in KerasTuner, and the parameter is absent from the trial's configuration.

Mapping onto hpcore (KerasTuner argument -> core parameter):
    Int(min, max, step, sampling="linear")      -> Int(low, high, step)
    Int(..., sampling="log", step=None or 1)    -> Int(low, high, log=True)
    Int/Float(..., sampling="log", step=k > 1)  -> Choice of the geometric values min*k**j
                                                   (KerasTuner's log step is a multiplier; the core's
                                                   step is additive)
    Float(min, max, step=None|s, "linear"|"log") -> Float(low, high, step, log)
    Choice(values)                              -> Choice(values)   (`ordered` is accepted; the core
                                                   one-hot encodes every choice)
    Boolean()                                   -> Bool()
    Fixed(value), Int/Float with min == max      -> Fixed(value)
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from hpcore.adapters.keras.hp_types import HyperParameter, describe, parameter_of

from hpcore.space import Bool, Choice, Fixed, Float, Int, Parameter, Space

__all__ = ["HyperParameters"]

_SAMPLINGS = ("linear", "log")


def _as_values(parent_values: Any) -> tuple:
    if isinstance(parent_values, (list, tuple, set, frozenset)):
        return tuple(parent_values)
    return (parent_values,)


def _same(a: Any, b: Any) -> bool:
    return isinstance(a, bool) == isinstance(b, bool) and a == b


def _geometric(low: float, high: float, factor: float, integer: bool) -> list:
    if factor <= 1:
        raise ValueError(f"with sampling='log', step is a multiplier and must be > 1, got {factor!r}")
    values, v = [], low
    while v <= high * (1 + 1e-12):
        values.append(round(v) if integer else float(v))
        v *= factor
    return values


class HyperParameters:
    """The `hp` object handed to `build_model(hp)` and `HyperModel.fit(hp, ...)`.

    Use it outside a tuner to build a model with the defaults: `build_model(HyperParameters())`.
    `values` holds the active values chosen so far; `get(name)` one of them.
    """

    def __init__(self) -> None:
        #: every definition known: the study's space first, then new names in declaration order
        self._defs: dict[str, Parameter] = {}
        self._known: frozenset[str] = frozenset()
        self._given: dict[str, Any] = {}  # values proposed by the trial
        self._values: dict[str, Any] = {}  # values handed out (active parameters only)
        self._scopes: list[dict[str, tuple]] = []
        #: names declared or read during `build` and during `fit` (the model depends on no other)
        self.accessed: dict[str, set[str]] = {"build": set(), "fit": set()}
        self._phase = "build"
        # Set by a tuner: declarations that win over build's, and what to do with new names.
        self._overrides: dict[str, Parameter] = {}
        self._tune_new = True
        self._allow_new = True
        # KerasTuner's "tuner/epochs"... of a Hyperband result: shown by `values`/`get`, made from
        # the trial's budget and lineage, never part of the configuration nor seen by `build`
        self._budget_values: dict[str, Any] = {}

    @classmethod
    def from_trial(cls, space: Space | Mapping[str, Parameter], params: Mapping[str, Any]) -> HyperParameters:
        """An `hp` for one trial: known definitions from `space`, values from `params`."""
        hp = cls()
        hp._defs = dict(space.items())
        hp._known = frozenset(hp._defs)
        hp._given = dict(params)
        return hp

    # -- reading ------------------------------------------------------------------------------
    @property
    def values(self) -> dict[str, Any]:
        """Active values: the trial's configuration plus what was declared since. (Reading them
        counts as using every one of them: see `accessed`.)"""
        out = self.all_values()
        self.accessed[self._phase].update(out)
        return {**out, **self._budget_values}

    def all_values(self) -> dict[str, Any]:
        """`values`, without counting as a use (for the tuner's bookkeeping)."""
        return {**self._given, **self._values}

    @property
    def space(self) -> list[HyperParameter]:
        """KerasTuner's view of every known hyperparameter: objects with `.name`, `.default`,
        `.conditions` and `get_config()` (see `hp_types`)."""
        return [describe(n, p) for n, p in self._defs.items()]

    @property
    def definitions(self) -> dict[str, Parameter]:
        """Every known parameter definition (hpcore `Parameter`s), by name."""
        return dict(self._defs)

    def get_config(self) -> dict[str, Any]:
        """KerasTuner's config: `{"space": [{"class_name", "config"}...], "values": {...}}`."""
        return {"space": [{"class_name": type(h).__name__, "config": h.get_config()} for h in self.space],
                "values": self.all_values()}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> HyperParameters:
        """The `HyperParameters` of a `get_config()` dict (KerasTuner's or hpcore's)."""
        space = {c["config"]["name"]: parameter_of(c["class_name"], c["config"]) for c in config.get("space", [])}
        return cls.from_trial(space, dict(config.get("values") or {}))

    def get(self, name: str) -> Any:
        """The value of `name`; None when it is known but inactive. Raises `KeyError` for a name
        that was never declared."""
        self.accessed[self._phase].add(name)
        if name in self._budget_values:
            return self._budget_values[name]
        if name in self._values:
            return self._values[name]
        if name in self._given:
            return self._given[name]
        if name in self._defs:
            return None
        raise KeyError(f"unknown hyperparameter {name!r}; known: {sorted(self._defs)}")

    def __contains__(self, name: object) -> bool:
        return name in self._defs

    def __getitem__(self, name: str) -> Any:
        return self.get(name)

    def is_active(self, name: str) -> bool:
        """Whether `name`'s condition holds for the current values."""
        return name in self._defs and self._condition_holds(self._defs[name].condition)

    def new_definitions(self) -> dict[str, Parameter]:
        """Parameters declared during this trial that the study's space did not have yet."""
        return {n: p for n, p in self._defs.items() if n not in self._known}

    # -- scopes -------------------------------------------------------------------------------
    @contextlib.contextmanager
    def conditional_scope(self, parent_name: str, parent_values: Any) -> Iterator[None]:
        """Parameters declared inside are active only when `parent_name` takes one of
        `parent_values` (a value or a list)."""
        self._scopes.append(self._condition(parent_name, parent_values))
        try:
            yield
        finally:
            self._scopes.pop()

    def _condition(self, parent_name: str, parent_values: Any) -> dict[str, tuple]:
        if parent_name not in self._defs:
            raise ValueError(
                f"conditional scope on {parent_name!r}, which is not declared yet; declare the parent "
                "(e.g. hp.Choice) before the scope"
            )
        values = _as_values(parent_values)
        parent = self._defs[parent_name]
        for v in values:
            if not parent.contains(v):
                raise ValueError(f"conditional scope: {v!r} is not a possible value of {parent_name!r} ({parent!r})")
        return {parent_name: values}

    def _current_condition(self, parent_name: str | None, parent_values: Any) -> dict[str, tuple]:
        cond: dict[str, tuple] = {}
        scopes = list(self._scopes)
        if parent_name is not None:
            if parent_values is None:
                raise ValueError("parent_name= needs parent_values=")
            scopes.append(self._condition(parent_name, parent_values))
        for scope in scopes:
            for parent, values in scope.items():
                if parent in cond:  # nested scopes on one parent: both must hold
                    values = tuple(v for v in cond[parent] if any(_same(v, w) for w in values))
                    if not values:
                        raise ValueError(f"nested conditional scopes on {parent!r} exclude each other")
                cond[parent] = values
        return cond

    def _condition_holds(self, cond: Mapping[str, tuple]) -> bool:
        for parent, values in cond.items():
            if not self.is_active(parent):
                return False
            v = self.get(parent)
            if not any(_same(v, w) for w in values):
                return False
        return True

    # -- declaring ------------------------------------------------------------------------------
    def _declare(self, name: str, param: Parameter, default: Any) -> Any:
        if not isinstance(name, str) or not name:
            raise ValueError(f"hyperparameter names must be non-empty strings, got {name!r}")
        if name in self._overrides:
            param = self._overrides[name]
            if default is not None and not param.contains(default):
                default = None
        else:
            if not self._allow_new and name not in self._defs:
                raise ValueError(f"hyperparameter {name!r} is not among those given to the tuner "
                                 "(allow_new_entries=False)")
            if not self._tune_new:  # every parameter not overridden is fixed to its default
                value = self._default(param) if default is None else default
                if isinstance(param, (Int, Float)):
                    value = param.normalize(value)
                param = Fixed(value, condition=param.condition)
        Space({**self._ancestors(param), name: param})  # validates the definition, naming it
        if name in self._defs and self._defs[name] != param:
            raise ValueError(
                f"hyperparameter {name!r} is declared as {param!r} but was declared before as "
                f"{self._defs[name]!r}; a name keeps one definition for the whole search "
                "(use another name, or overwrite=True to start a new search)"
            )
        self._defs.setdefault(name, param)
        self.accessed[self._phase].add(name)
        if not self._condition_holds(param.condition):
            return None
        if name in self._values:
            return self._values[name]
        if name in self._given:
            value = self._given[name]
        else:
            if default is None:
                default = self._default(param)
            if not param.contains(default):
                raise ValueError(f"hyperparameter {name!r}: default {default!r} is not a value of {param!r}")
            value = default
        value = param.normalize(value)
        self._values[name] = value
        return value

    def _ancestors(self, param: Parameter) -> dict[str, Parameter]:
        out: dict[str, Parameter] = {}
        todo = list(param.condition)
        while todo:
            parent = todo.pop()
            if parent not in out:
                out[parent] = self._defs[parent]
                todo.extend(out[parent].condition)
        return out

    @staticmethod
    def _default(param: Parameter) -> Any:
        if isinstance(param, Fixed):
            return param.value
        if isinstance(param, Choice):
            return param.values[0]
        if isinstance(param, Bool):
            return False
        return param.low  # type: ignore[attr-defined]

    @staticmethod
    def _sampling(sampling: str | None) -> bool:
        s = "linear" if sampling is None else str(sampling).lower()
        if s not in _SAMPLINGS:
            raise ValueError(f"sampling must be one of {_SAMPLINGS}, got {sampling!r} "
                             "('reverse_log' is not supported)")
        return s == "log"

    def Int(
        self,
        name: str,
        min_value: int,
        max_value: int,
        step: int | None = None,
        sampling: str = "linear",
        default: int | None = None,
        parent_name: str | None = None,
        parent_values: Any = None,
    ) -> int | None:
        """An integer in [min_value, max_value] (step 1 unless given; with sampling="log" a step
        > 1 is a multiplier). Returns the trial's value, or None when inactive."""
        cond = self._current_condition(parent_name, parent_values)
        log = self._sampling(sampling)
        if min_value == max_value:
            param: Parameter = Fixed(int(min_value), condition=cond)
        elif log and step is not None and step != 1:
            param = Choice(_geometric(min_value, max_value, step, integer=True), condition=cond)
        else:
            param = Int(min_value, max_value, step=1 if step is None else step, log=log, condition=cond)
        return self._declare(name, param, default)

    def Float(
        self,
        name: str,
        min_value: float,
        max_value: float,
        step: float | None = None,
        sampling: str = "linear",
        default: float | None = None,
        parent_name: str | None = None,
        parent_values: Any = None,
    ) -> float | None:
        """A real number in [min_value, max_value]; sampling="log" for a log scale; `step` makes it
        discrete. Returns the trial's value, or None when inactive."""
        cond = self._current_condition(parent_name, parent_values)
        log = self._sampling(sampling)
        if min_value == max_value:
            param: Parameter = Fixed(float(min_value), condition=cond)
        elif log and step is not None:
            param = Choice(_geometric(float(min_value), float(max_value), step, integer=False), condition=cond)
        else:
            if not (math.isfinite(min_value) and math.isfinite(max_value)):
                raise ValueError(f"hyperparameter {name!r}: bounds must be finite")
            param = Float(float(min_value), float(max_value), log=log, step=step, condition=cond)
        return self._declare(name, param, None if default is None else float(default))

    def Choice(
        self,
        name: str,
        values: Sequence[Any],
        ordered: bool | None = None,
        default: Any = None,
        parent_name: str | None = None,
        parent_values: Any = None,
    ) -> Any:
        """One of `values` (str, int, float or bool). `ordered` is accepted for compatibility;
        every choice is modelled as unordered."""
        cond = self._current_condition(parent_name, parent_values)
        return self._declare(name, Choice(list(values), condition=cond), default)

    def Boolean(
        self, name: str, default: bool = False, parent_name: str | None = None, parent_values: Any = None
    ) -> bool | None:
        """True or False (default False)."""
        cond = self._current_condition(parent_name, parent_values)
        return self._declare(name, Bool(condition=cond), bool(default))

    def Fixed(
        self, name: str, value: Any, parent_name: str | None = None, parent_values: Any = None
    ) -> Any:
        """A constant, recorded with the trial's configuration."""
        cond = self._current_condition(parent_name, parent_values)
        return self._declare(name, Fixed(value, condition=cond), value)

    # -- display --------------------------------------------------------------------------------
    def __repr__(self) -> str:
        return f"HyperParameters(values={self.all_values()!r})"
