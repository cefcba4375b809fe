"""Trial records: one evaluation of one configuration at one budget."""

from __future__ import annotations

import bisect
import enum
import math
from collections.abc import ItemsView, Iterator, Mapping, Sequence, ValuesView
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = ["INTERRUPTED", "RESERVED", "Budget", "Incumbent", "IntermediateValues", "Suggestion", "Trial",
           "TrialAlreadyFinished", "TrialState", "best_trial", "comparable_results", "last_report"]

Budget = int | float

#: Prefix of the `error` of a trial that was stopped from outside (Ctrl-C, a process that died)
#: rather than failed by its objective; strategies may run such a configuration again.
INTERRUPTED = "interrupted: "

#: `meta["source"]` of a trial whose id was reserved before its configuration was computed (see
#: `Trial.reserved`); the configuration's own meta replaces it when it is filled in.
RESERVED = "reserved"


class TrialState(str, enum.Enum):
    """Life cycle: WAITING (enqueued) -> RUNNING -> COMPLETE | PRUNED | FAILED.

    PRUNED: stopped early by a pruner's decision (or the objective's own `TrialPruned`): a
    result about its configuration (its `value` is the last value it reported), not a failure.
    """

    WAITING = "WAITING"
    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    PRUNED = "PRUNED"
    FAILED = "FAILED"

    @property
    def finished(self) -> bool:
        return self in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAILED)

    def __str__(self) -> str:
        return self.value


class IntermediateValues(Mapping[int, float]):
    """The values a trial reported, step -> value, in increasing step order; immutable.

    Appending makes a new mapping in O(1) (`appended`) instead of copying the trial's history
    at every report: snapshots share one pair of growing lists and each sees only its first
    `len` entries, so an older snapshot (a `Trial` record taken earlier) never changes. Steps
    are strictly increasing, so a lookup is a binary search. Equal to a dict with the same items.
    """

    __slots__ = ("_steps", "_values", "_n")

    def __init__(self, items: Mapping[int, float] | Sequence[tuple[int, float]] = ()) -> None:
        pairs = sorted(items.items() if isinstance(items, Mapping) else items)
        self._steps: list[int] = [int(s) for s, _ in pairs]
        self._values: list[float] = [float(v) for _, v in pairs]
        self._n = len(self._steps)
        if len(set(self._steps)) != self._n:
            raise ValueError(f"intermediate values with a repeated step: {self._steps}")

    @classmethod
    def _view(cls, steps: list[int], values: list[float], n: int) -> IntermediateValues:
        view = cls.__new__(cls)
        view._steps, view._values, view._n = steps, values, n
        return view

    def appended(self, step: int, value: float) -> IntermediateValues:
        """These values and (step, value), `step` larger than every step here (else ValueError)."""
        if self._n and step <= self._steps[self._n - 1]:
            raise ValueError(f"step {step} is not after the last step {self._steps[self._n - 1]}")
        if self._n == len(self._steps):  # the newest snapshot: grow the shared lists
            steps, values = self._steps, self._values
        else:  # an older snapshot grows a branch of its own
            steps, values = self._steps[:self._n], self._values[:self._n]
        steps.append(step)
        values.append(value)
        return self._view(steps, values, self._n + 1)

    @property
    def last(self) -> tuple[int, float] | None:
        """(largest step, its value), None when empty."""
        return (self._steps[self._n - 1], self._values[self._n - 1]) if self._n else None

    def __getitem__(self, step: int) -> float:
        try:
            i = bisect.bisect_left(self._steps, step, 0, self._n)
        except TypeError:  # not a number: no such step
            raise KeyError(step) from None
        if i == self._n or self._steps[i] != step:
            raise KeyError(step)
        return self._values[i]

    def __iter__(self) -> Iterator[int]:
        return iter(self._steps[:self._n])

    def __len__(self) -> int:
        return self._n

    def values(self) -> ValuesView[float]:
        return _FastValues(self)

    def items(self) -> ItemsView[int, float]:
        return _FastItems(self)

    def __reduce__(self) -> tuple:
        return (IntermediateValues, (list(zip(self._steps[:self._n], self._values[:self._n])),))

    def __repr__(self) -> str:
        return repr(dict(zip(self._steps[:self._n], self._values[:self._n])))


class _FastValues(ValuesView):
    """`IntermediateValues.values()`, iterated straight from the list (not one lookup per step)."""

    _mapping: IntermediateValues

    def __iter__(self) -> Iterator[float]:
        m = self._mapping
        return iter(m._values[:m._n])


class _FastItems(ItemsView):
    """`IntermediateValues.items()`, iterated straight from the lists."""

    _mapping: IntermediateValues

    def __iter__(self) -> Iterator[tuple[int, float]]:
        m = self._mapping
        return zip(m._steps[:m._n], m._values[:m._n])


def last_report(trial: Trial) -> tuple[int, float] | None:
    """(largest reported step, its value) of `trial`, None when it reported nothing."""
    values = trial.intermediate_values
    if isinstance(values, IntermediateValues):
        return values.last
    if not values:
        return None
    step = max(values)
    return step, values[step]


@dataclass(frozen=True)
class Trial:
    """An immutable snapshot of a trial.

    Budget and lineage are fields, never parameters: `budget` is the resource this evaluation
    is asked for (epochs, data fraction...), `previous_budget` what the same configuration
    (`config_id`) already received in an earlier trial, so an objective can continue training
    instead of restarting. `meta` belongs to the strategy (e.g. a Hyperband bracket and rung);
    `user_attrs` to the user (e.g. per-epoch metrics). `intermediate_values` maps each step the
    objective reported (`report(value, step)`, steps ints >= 0, increasing) to its value, NaN and
    ±inf as reported; a PRUNED trial's `value` is its last one. `study` is the identity of the study
    the trial belongs to (`Study.uid`), set on every trial a `Study` hands out so that `tell`
    refuses a trial of another study; None for a record built by hand (not compared, not shown).
    """

    id: int
    params: Mapping[str, Any]
    state: TrialState
    value: float | None = None
    budget: Budget | None = None
    previous_budget: Budget | None = None
    config_id: int | None = None
    created_at: float | None = None
    started_at: float | None = None
    finished_at: float | None = None
    error: str | None = None
    user_attrs: Mapping[str, Any] = field(default_factory=dict)
    meta: Mapping[str, Any] = field(default_factory=dict)
    intermediate_values: Mapping[int, float] = field(default_factory=dict)
    study: str | None = field(default=None, compare=False, repr=False)

    @property
    def duration(self) -> float | None:
        """Seconds between start and finish (None while not finished)."""
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at

    @property
    def ok(self) -> bool:
        """COMPLETE with a finite value."""
        return self.state is TrialState.COMPLETE and self.value is not None and math.isfinite(self.value)

    @property
    def interrupted(self) -> bool:
        """FAILED because it was stopped from outside, not because the objective failed."""
        return self.state is TrialState.FAILED and (self.error or "").startswith(INTERRUPTED)

    @property
    def reserved(self) -> bool:
        """An id taken before its configuration was computed: RUNNING with no parameters while
        the strategy computes them (a GP fit), or FAILED (interrupted) with none if its process
        stopped first or the strategy had nothing left. Strategies never see such a trial."""
        return self.meta.get("source") == RESERVED

    def replace(self, **changes: Any) -> Trial:
        return replace(self, **changes)


class TrialAlreadyFinished(ValueError):
    """A `tell` (or cleanup) found the trial finished already: by this handle, another handle on
    the same study, or another process. A trial is finished once; `trial` is the record as
    stored, whose result stays."""

    def __init__(self, trial: Trial) -> None:
        self.trial = trial
        if trial.state is TrialState.COMPLETE:
            what = f"value {trial.value}"
        elif trial.state is TrialState.PRUNED:
            step = last_report(trial)
            what = f"value {trial.value}" + ("" if step is None else f" reported at step {step[0]}")
        else:
            what = f"error {_last_line(trial.error)!r}"
        super().__init__(f"trial {trial.id} is already {trial.state.value} ({what}); a trial is finished once, "
                         "and the stored result stays")

    def __reduce__(self) -> tuple:
        # Rebuilt from the record, not from the message (the default), so it survives pickling.
        return (type(self), (self.trial,))


def _last_line(text: str | None) -> str:
    lines = (text or "").strip().splitlines()
    return lines[-1][:200] if lines else ""


@dataclass(frozen=True)
class Suggestion:
    """What a strategy proposes: a configuration and, for multi-fidelity strategies, a budget
    and the lineage of the configuration (see `Trial`)."""

    params: Mapping[str, Any]
    budget: Budget | None = None
    previous_budget: Budget | None = None
    config_id: int | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)


def _pruned_result(t: Trial) -> tuple[int, float] | None:
    """(last step, value) of a PRUNED trial whose value is finite, else None. A pruned trial told
    with a value but no report counts at step -1, below every reported step."""
    if t.state is not TrialState.PRUNED or t.value is None or not math.isfinite(t.value):
        return None
    last = last_report(t)
    return (-1 if last is None else last[0]), t.value


def comparable_results(trials: Sequence[Trial]) -> list[Trial]:
    """The trials whose values are compared to find the best (`best_trial`), in their order.

    The COMPLETE trials with a finite value; with budgets, only those at the largest budget
    that has a result (a low-budget value is not comparable with a full-budget one). When no
    trial completed with a finite value, the PRUNED trials with a finite value that reached the
    largest last reported step (their values at that step are comparable with each other, not
    with a trial pruned earlier); empty when there are none either."""
    ok = [t for t in trials if t.ok]
    if not ok:
        pruned = [(t, r[0]) for t in trials if (r := _pruned_result(t)) is not None]
        top_step = max((step for _, step in pruned), default=None)
        return [t for t, step in pruned if step == top_step]
    budgets = [t.budget for t in ok if t.budget is not None]
    if budgets:
        top = max(budgets)
        ok = [t for t in ok if t.budget == top]
    return ok


def best_trial(trials: Sequence[Trial], direction: str) -> Trial | None:
    """The best trial: the lowest (`direction="minimize"`) or highest value among the trials
    of `comparable_results(trials)`.

    Only COMPLETE trials with a finite value count. When some have a budget, only those at the
    largest budget that has a result count (trials without a budget, and results at lower
    budgets, are left out: a low-budget value is not comparable with a full-budget one). So
    full-budget trials are preferred: for Hyperband, as soon as one configuration reached
    `max_budget`, the best is the best at `max_budget` (no trial exceeds it unless added by
    hand with a larger budget). When none reached it (a run stopped early), the best is the
    best at a lower budget; `Result.n_full_budget` says how many reached it.

    A PRUNED trial is never the best while any trial completed with a finite value. When none
    did, the best is the PRUNED trial with the best last value among those pruned at the
    largest last step (the one that got furthest). Ties go to the earliest trial. None when no
    trial counts.
    """
    sign = 1.0 if direction == "minimize" else -1.0
    return min(comparable_results(trials), key=lambda t: sign * t.value, default=None)  # type: ignore[operator]


class Incumbent:
    """`best_trial` of a growing history, kept incrementally: O(1) per trial added.

    Keeps the best trial at each budget (None for trials without one) and the largest budget
    with a result, which is what `best_trial` compares; and, for a history where nothing
    completed, the best PRUNED trial at the largest last step. Relies on a finished trial never
    changing (storages finish a trial once); adding a trial seen before changes nothing.
    """

    def __init__(self, direction: str) -> None:
        self._sign = 1.0 if direction == "minimize" else -1.0
        self._best: dict[Budget | None, Trial] = {}
        self._top: Budget | None = None
        self._seen: set[int] = set()
        self._pruned: tuple[int, Trial] | None = None  # (last step, best pruned trial at the largest one)

    def add(self, trial: Trial) -> None:
        """Count `trial` if it is COMPLETE, or PRUNED, with a finite value (else, or if seen,
        ignore it)."""
        if trial.id in self._seen:
            return
        pruned = _pruned_result(trial)
        if pruned is not None:
            self._seen.add(trial.id)
            step = pruned[0]
            held = self._pruned
            if held is None or step > held[0] or (step == held[0] and self._better(trial, held[1])):
                self._pruned = (step, trial)
            return
        if not trial.ok:
            return
        self._seen.add(trial.id)
        budget = trial.budget
        held = self._best.get(budget)
        if held is None or self._better(trial, held):
            self._best[budget] = trial
        if budget is not None and (self._top is None or budget > self._top):
            self._top = budget

    def _better(self, a: Trial, b: Trial) -> bool:
        ka, kb = self._sign * a.value, self._sign * b.value  # type: ignore[operator]
        return ka < kb or (ka == kb and a.id < b.id)  # ties go to the earliest trial, as in best_trial

    def best(self) -> Trial | None:
        """What `best_trial(trials seen, direction)` returns."""
        if not self._best:
            return None if self._pruned is None else self._pruned[1]
        return self._best.get(self._top) if self._top is not None else self._best.get(None)
