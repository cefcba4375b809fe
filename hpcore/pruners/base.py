"""The pruner interface: decide from a study's reported values whether a running trial stops.

A pruner answers one question, `prune(trial, trials, direction)`: should the running `trial`,
whose latest report is at step `max(trial.intermediate_values)`, end now as PRUNED? `trials`
holds every trial of the study in id order (any state; running ones with the reports they made
so far; `trial` itself among them). The answer is a pure function of these three, so resuming a
study is replaying its history, as for strategies. Pruners may cache what they computed from
finished trials, keyed by trial id (a finished trial never changes), so a decision does not
rescan every report of a large study (`hpcore.pruners.history`).

Rules every pruner here shares (in `Pruner.prune`):
- a trial that has reported nothing yet is never pruned (there is nothing to judge);
- a trial whose latest report is NaN or +-inf is always pruned (a run that diverged is
  hopeless), without consulting the pruner's own rule; `NopPruner` is the one exception;
- `direction` is "minimize" or "maximize", else `ValueError`.

Steps are ints >= 0 in the user's unit (epochs, boosting rounds, batches...): "step s" below is
the step a trial passed to `report(value, step)`.
"""

from __future__ import annotations

import importlib
import inspect
import math
import numbers
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, ClassVar

from hpcore.trial import Trial

__all__ = ["PRUNERS", "NopPruner", "Pruner", "best_finite", "check_int", "check_real", "in_check_window",
           "latest_steps", "make_pruner", "sign_of"]

#: Names `make_pruner` accepts -> "module:Class", imported on first use.
_REGISTRY = {
    "nop": "hpcore.pruners.base:NopPruner",
    "median": "hpcore.pruners.median:MedianPruner",
    "percentile": "hpcore.pruners.median:PercentilePruner",
    "successive_halving": "hpcore.pruners.successive_halving:SuccessiveHalvingPruner",
    "asha": "hpcore.pruners.successive_halving:SuccessiveHalvingPruner",
    "hyperband": "hpcore.pruners.hyperband:HyperbandPruner",
    "threshold": "hpcore.pruners.threshold:ThresholdPruner",
    "patient": "hpcore.pruners.patient:PatientPruner",
}

class Pruner(ABC):
    """Decides whether a running trial stops early.

    A pruner of one's own subclasses this, sets `name` and implements `decide` (its rule, as a
    pure function of its arguments) and `config`; it is passed to a study as an instance
    (`make_pruner` knows the names of the pruners here only). `prune` applies the shared rules
    (module docstring) before `decide`.
    """

    name: ClassVar[str] = ""

    def prune(self, trial: Trial, trials: Sequence[Trial], direction: str) -> bool:
        """True if `trial` should end now as PRUNED.

        trial: the running trial; its latest report is `max(trial.intermediate_values)`.
        trials: every trial of the study in id order, any state, `trial` among them.
        direction: "minimize" or "maximize".
        """
        sign_of(direction)  # refuses a bad direction before anything else
        values = trial.intermediate_values
        if not values:
            return False
        latest, previous = latest_steps(values)
        if not math.isfinite(values[latest]):
            return True
        return self.decide(trial, trials, direction, latest, previous)

    @abstractmethod
    def decide(self, trial: Trial, trials: Sequence[Trial], direction: str, latest: int,
               previous: int | None) -> bool:
        """The pruner's own rule, called by `prune` once the latest report is known finite.

        latest: the trial's latest step (`max(trial.intermediate_values)`); previous: the step
        reported before it, None when `latest` is the first report.
        """

    @abstractmethod
    def config(self) -> dict[str, Any]:
        """The settings as a JSON-serialisable dict with "name"; `make_pruner(config)` rebuilds
        an equivalent pruner (without its cache)."""

    def __repr__(self) -> str:
        settings = {k: v for k, v in self.config().items() if k != "name"}
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in settings.items())})"


class NopPruner(Pruner):
    """Never prunes, not even a trial whose report is NaN: reports are recorded (for learning
    curves, or a baseline run) and every trial runs to its end."""

    name = "nop"

    def prune(self, trial: Trial, trials: Sequence[Trial], direction: str) -> bool:
        sign_of(direction)
        return False

    def decide(self, trial: Trial, trials: Sequence[Trial], direction: str, latest: int,
               previous: int | None) -> bool:
        return False

    def config(self) -> dict[str, Any]:
        return {"name": self.name}


def PRUNERS() -> list[str]:
    """Names `make_pruner` accepts (listed without importing any pruner)."""
    return sorted(_REGISTRY)


def make_pruner(spec: None | str | Pruner | Mapping[str, Any]) -> Pruner | None:
    """The pruner a study uses, from what a user gave as `pruner=`.

    None gives None (the study then skips pruning entirely); a `Pruner` is returned as it is; a
    name ("median", "asha"...) gives that pruner with its default settings; a config dict (as
    `Pruner.config()` returns) rebuilds a pruner. Names whose pruner has settings without a
    default ("percentile", "hyperband", "patient") need a config dict; `ValueError` says which.
    """
    if spec is None or isinstance(spec, Pruner):
        return spec
    if isinstance(spec, type) and issubclass(spec, Pruner):
        raise ValueError(f"pruner must be a Pruner instance, got the class {spec.__name__}; "
                         f"pass {spec.__name__}(...)")
    if isinstance(spec, str):
        cls = _pruner_class(spec)
        missing = _required_settings(cls)
        if missing:
            raise ValueError(f"pruner {spec!r} needs {' and '.join(missing)}: pass a config such as "
                             f"{{'name': {spec!r}, {', '.join(f'{m!r}: ...' for m in missing)}}} "
                             f"or {cls.__name__}(...)")
        return cls()
    if isinstance(spec, Mapping):
        settings = dict(spec)
        name = settings.pop("name", None)
        if not isinstance(name, str):
            raise ValueError(f"a pruner config needs a 'name' (one of {', '.join(PRUNERS())}), got {spec!r}")
        cls = _pruner_class(name)
        known = _settings(cls)
        unknown = sorted(set(settings) - set(known))
        if unknown:
            raise ValueError(f"unknown setting(s) {', '.join(map(repr, unknown))} for pruner {name!r}; "
                             f"known: {', '.join(known)}")
        missing = [m for m in _required_settings(cls) if m not in settings]
        if missing:
            raise ValueError(f"pruner {name!r} needs {' and '.join(missing)}")
        return cls(**settings)
    raise ValueError(f"pruner must be None, a Pruner, a name or a config dict, got {type(spec).__name__}")


def _pruner_class(name: str) -> type[Pruner]:
    target = _REGISTRY.get(name)
    if target is None:
        raise ValueError(f"unknown pruner {name!r}; known: {', '.join(PRUNERS())}")
    module, attr = target.split(":")
    return getattr(importlib.import_module(module), attr)


def _parameters(cls: type[Pruner]) -> list[inspect.Parameter]:
    """The constructor's named settings (no `self`, no `*args`/`**kwargs`)."""
    named = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    return [p for p in inspect.signature(cls.__init__).parameters.values() if p.name != "self" and p.kind in named]


def _settings(cls: type[Pruner]) -> list[str]:
    return [p.name for p in _parameters(cls)]


def _required_settings(cls: type[Pruner]) -> list[str]:
    return [p.name for p in _parameters(cls) if p.default is inspect.Parameter.empty]


# -- helpers shared by the pruners ------------------------------------------------------------------------
def sign_of(direction: str) -> float:
    """+1.0 for "minimize", -1.0 for "maximize": `sign * value` is a loss (lower is better)."""
    if direction == "minimize":
        return 1.0
    if direction == "maximize":
        return -1.0
    raise ValueError(f"direction must be 'minimize' or 'maximize', got {direction!r}")


def latest_steps(values: Mapping[int, float]) -> tuple[int, int | None]:
    """(the largest step in `values`, the largest before it or None); `values` not empty.

    The mapping's order is not relied on (steps are unique keys)."""
    steps = list(values)
    latest = max(steps)
    if steps[-1] == latest:  # the usual order, reports in step order
        steps.pop()
    else:
        steps.remove(latest)
    return latest, (max(steps) if steps else None)


def best_finite(values: Iterable[float], sign: float) -> float | None:
    """The best of `values` not NaN (lowest for sign +1, highest for sign -1), None if none is."""
    values = list(values)
    if math.isnan(sum(values)):  # a NaN among them (or both infinities): leave NaN out
        values = [v for v in values if not math.isnan(v)]
        if not values:
            return None
    return min(values) if sign > 0 else max(values)


def in_check_window(latest: int, previous: int | None, warmup_steps: int, interval: int) -> bool:
    """Whether a pruner with `warmup_steps` and `interval` judges a trial at its report `latest`.

    Steps before `warmup_steps` are never judged. From there, steps fall into windows of
    `interval` steps ([w, w + interval), [w + interval, w + 2 interval), ... with w =
    `warmup_steps`), and a trial is judged at the first step it reported in each window. With a
    report at every step that is every `interval`-th step from `warmup_steps` on; with sparser
    reports no window is skipped just because its first step was not reported.
    """
    if latest < warmup_steps:
        return False
    if previous is None or previous < warmup_steps:
        return True
    return (latest - warmup_steps) // interval != (previous - warmup_steps) // interval


def check_int(setting: str, value: Any, minimum: int) -> int:
    """`value` as an int >= `minimum`, else `ValueError` naming `setting` (bools refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{setting} must be an int >= {minimum}, got {value!r}")
    return int(value)


def check_real(setting: str, value: Any, low: float = -math.inf, high: float = math.inf) -> float:
    """`value` as a finite real number in [low, high], else `ValueError` naming `setting`."""
    if (isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value)
            or not low <= value <= high):
        where = "" if (low, high) == (-math.inf, math.inf) else f" in [{low:g}, {high:g}]"
        raise ValueError(f"{setting} must be a finite number{where}, got {value!r}")
    return value
