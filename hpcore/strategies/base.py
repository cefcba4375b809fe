"""The strategy interface: propose the next configuration from the study's history.

A strategy derives everything from the trials it is shown (including pending ones), so
resuming a study is replaying its history and nothing else. It never touches storage or
executors. Randomness comes from `SuggestContext.rng`, derived from (study seed, trial id),
so the same seed reproduces the same suggestions whatever the scheduling.
"""

from __future__ import annotations

import importlib
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar

import numpy as np

from hpcore.space import GRID_LIMIT, Space
from hpcore.trial import Budget, Suggestion, Trial, TrialState

__all__ = [
    "STRATEGIES", "PlanCutShortWarning", "Strategy", "SuggestContext", "import_object", "make_strategy",
    "strategy_class", "strategy_from_config",
]


@dataclass(frozen=True)
class SuggestContext:
    """What a strategy sees when asked for a suggestion.

    `trials` holds the study's trials in id order: finished ones, and pending ones (RUNNING or
    WAITING) so parallel workers are not handed the same point. Reserved trials (an id taken
    before its configuration, `Trial.reserved`) are left out, so `trials[i]` need not have id i.
    """

    space: Space
    trials: Sequence[Trial]
    direction: str
    number: int
    seed: int

    def rng(self, *salt: int) -> np.random.Generator:
        """A generator that depends only on (seed, trial id, salt)."""
        return np.random.default_rng([self.seed, self.number, *salt])

    def loss(self, trial: Trial) -> float:
        """The trial's value on a minimisation scale."""
        assert trial.value is not None
        return trial.value if self.direction == "minimize" else -trial.value

    @property
    def completed(self) -> list[Trial]:
        """Trials with a finite value."""
        return [t for t in self.trials if t.ok]

    @property
    def pending(self) -> list[Trial]:
        return [t for t in self.trials if t.state in (TrialState.RUNNING, TrialState.WAITING)]


class Strategy(ABC):
    """A search strategy. Subclasses set `name` and implement `suggest`."""

    name: ClassVar[str] = ""
    #: True when suggestions carry a budget (the objective must accept one).
    multi_fidelity: ClassVar[bool] = False
    #: The full budget of a multi-fidelity strategy, in the objective's unit (None without budgets).
    max_budget: Budget | None = None
    #: True when a suggestion costs a model fit and stays good whatever trials other processes
    #: create while it is computed: the study then reserves the trial id before asking for it,
    #: so processes sharing a study never throw a fit away after losing the race for an id.
    #: False for strategies whose suggestion follows from the exact history (Hyperband's
    #: brackets, a grid's order, random search's "never repeat" on finite spaces), which are
    #: cheap to ask again when another process took the id first.
    reserves_trial_id: ClassVar[bool] = False

    @abstractmethod
    def suggest(self, ctx: SuggestContext) -> Suggestion | None:
        """The next suggestion, or None when the strategy has nothing left to try."""

    def adopt(self, ctx: SuggestContext, trial: Trial) -> Suggestion:
        """Give an enqueued configuration what this strategy attaches to a suggestion (a budget,
        a bracket...). Called when a WAITING trial without a budget is started."""
        return Suggestion(trial.params)

    def settings(self) -> dict[str, Any]:
        """Constructor arguments that define this strategy (stored with the study)."""
        return {}

    def config(self) -> dict[str, Any]:
        return {"name": self.name, **self.settings()}

    def check(self, space: Space) -> None:
        """Raise `ValueError` if this strategy cannot search `space`."""

    def planned_trials(self, space: Space, trials: Sequence[Trial]) -> int | None:
        """How many more trials this strategy proposes before it is done, given the history
        `trials` (what is left of a grid, of a Hyperband plan); None when it has no natural end
        and goes on until stopped (random search, Bayesian optimisation). `minimize` runs this
        many when `n_trials` is left out, and the progress bar shows it as its total."""
        return None

    def cut_short(self, space: Space, trials: Sequence[Trial], n_trials: int) -> str | None:
        """Why stopping after `n_trials` more trials would leave a misleading result (a
        Hyperband bracket whose configurations never reach the full budget), as the text of a
        `PlanCutShortWarning`; None when stopping there is fine."""
        return None

    def describe(self, space: Space) -> str | None:
        """A line or table shown before a run (grid size, Hyperband plan...)."""
        return None

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.settings().items())
        return f"{type(self).__name__}({args})"


class PlanCutShortWarning(UserWarning):
    """`optimize` was given an `n_trials` that stops the strategy's plan in the middle of a
    unit it should finish (a Hyperband bracket): the result is not what the plan would give."""


class TakenConfigurations:
    """Keys (`Space.key`) of every configuration in a history (finished, failed or pending),
    kept incrementally: parameters never change after a trial is created, except when the space
    grows (define-by-run), and then the space object changes and the set is rebuilt."""

    def __init__(self) -> None:
        self._space: Space | None = None
        self._keys: set[tuple] = set()
        self._upto = 0
        self._last: Trial | None = None

    def of(self, ctx: SuggestContext) -> set[tuple]:
        # Rebuild unless ctx.trials extends the list seen last time (a strategy may pass a
        # filtered history, e.g. Hyperband's GP sampler).
        extends = len(ctx.trials) >= self._upto and (
            self._upto == 0 or ctx.trials[self._upto - 1] is self._last
            or (ctx.trials[self._upto - 1].id == getattr(self._last, "id", None)
            and ctx.trials[self._upto - 1].params == self._last.params))
        if ctx.space is not self._space or not extends:
            self._space, self._keys, self._upto = ctx.space, set(), 0
        for t in ctx.trials[self._upto:]:
            self._keys.add(ctx.space.key(t.params))
        self._upto = len(ctx.trials)
        self._last = ctx.trials[-1] if ctx.trials else None
        return self._keys


def sample_untaken(space: Space, rng: np.random.Generator, taken: Set[tuple], tries: int) -> dict[str, Any] | None:
    """A configuration of the finite `space` whose `Space.key` is not in `taken`; None when none is left.

    Draws up to `tries` samples. Then a space of at most `GRID_LIMIT` configurations (nearly
    exhausted) is listed and one of those left picked uniformly; a larger one is too large to
    list, so drawing goes on: the caller has checked that fewer than `space.size` are taken."""
    for _ in range(tries):
        params = space.sample(rng)
        if space.key(params) not in taken:  # type: ignore[arg-type]
            return params  # type: ignore[return-value]
    while space.size > GRID_LIMIT:
        params = space.sample(rng)
        if space.key(params) not in taken:  # type: ignore[arg-type]
            return params  # type: ignore[return-value]
    left = [p for p in space.grid() if space.key(p) not in taken]
    return left[int(rng.integers(len(left)))] if left else None


#: Strategy name -> "module:Class". Classes are imported on first use, so a grid or random user
#: never loads the Bayesian module and, through it, numba and SciPy's optimisers.
_REGISTRY: Mapping[str, str] = MappingProxyType({
    "bayes": "hpcore.strategies.bayes:BayesianOptimization",
    "grid": "hpcore.strategies.grid:GridSearch",
    "hyperband": "hpcore.strategies.hyperband:Hyperband",
    "random": "hpcore.strategies.random:RandomSearch",
})

#: Strategies that adapters make for their own studies: not offered to users by name, but a
#: stored study that uses one must reopen (from the CLI, or a plain `Study(storage=..., name=...)`).
_ADAPTER_REGISTRY: Mapping[str, str] = MappingProxyType({
    "sklearn_grid_list": "hpcore.adapters.sklearn._space:GridList",
})


def import_object(target: str) -> Any:
    """The object named by a `"package.module:Name"` string, importing its module."""
    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"expected 'module:Name', got {target!r}")
    return getattr(importlib.import_module(module_name), attr)


def lazy_attributes(namespace: dict[str, Any], targets: Mapping[str, str]) -> tuple[Any, Any]:
    """A module's `(__getattr__, __dir__)` for names imported on first access.

    namespace: the module's `globals()`; targets: name -> "module:Name". The first access imports
    the object and stores it in the namespace, so later ones skip `__getattr__`."""
    module = namespace["__name__"]

    def __getattr__(name: str) -> object:
        if name not in targets:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        value = import_object(targets[name])
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(targets))

    return __getattr__, __dir__


def STRATEGIES() -> list[str]:
    """Names accepted by `make_strategy` (listed without importing any strategy)."""
    return sorted(_REGISTRY)


def strategy_class(name: str) -> type[Strategy]:
    """The strategy class registered under `name`, imported now; `ValueError` listing the known names."""
    target = _REGISTRY.get(name) or _ADAPTER_REGISTRY.get(name)
    if target is None:
        raise ValueError(f"unknown strategy {name!r}; known: {', '.join(STRATEGIES())}")
    return import_object(target)


def make_strategy(spec: str | Strategy | Mapping[str, Any] | None, **kwargs: Any) -> Strategy:
    """A strategy from an object, a name ("random", "grid", "bayes", "hyperband") or a config dict."""
    if isinstance(spec, Strategy):
        if kwargs:
            raise ValueError("strategy options go to the strategy's constructor, not with a strategy object")
        return spec
    if spec is None:
        spec = "random"
    if isinstance(spec, Mapping):
        return strategy_from_config(spec)
    if not isinstance(spec, str):
        raise TypeError(f"strategy must be a name or a Strategy, got {type(spec).__name__}")
    return strategy_class(spec)(**kwargs)


def strategy_from_config(config: Mapping[str, Any]) -> Strategy:
    """Inverse of `Strategy.config()`."""
    config = dict(config)
    name = config.pop("name", None)
    return make_strategy(name, **config)


def is_finite(space: Space) -> bool:
    return not math.isinf(space.size)
