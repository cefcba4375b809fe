"""Trial records: one evaluation of one configuration at one budget."""

from __future__ import annotations

import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

__all__ = ["INTERRUPTED", "RESERVED", "Budget", "Incumbent", "Suggestion", "Trial", "TrialAlreadyFinished", "TrialState",
           "best_trial", "comparable_results"]

Budget = int | float

#: Prefix of the `error` of a trial that was stopped from outside (Ctrl-C, a process that died)
#: rather than failed by its objective; strategies may run such a configuration again.
INTERRUPTED = "interrupted: "

#: `meta["source"]` of a trial whose id was reserved before its configuration was computed (see
#: `Trial.reserved`); the configuration's own meta replaces it when it is filled in.
RESERVED = "reserved"


class TrialState(str, enum.Enum):
    """Life cycle: WAITING (enqueued) -> RUNNING -> COMPLETE | FAILED."""

    WAITING = "WAITING"
    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    FAILED = "FAILED"

    @property
    def finished(self) -> bool:
        return self in (TrialState.COMPLETE, TrialState.FAILED)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Trial:
    """An immutable snapshot of a trial.

    Budget and lineage are fields, never parameters: `budget` is the resource this evaluation
    is asked for (epochs, data fraction...), `previous_budget` what the same configuration
    (`config_id`) already received in an earlier trial, so an objective can continue training
    instead of restarting. `meta` belongs to the strategy (e.g. a Hyperband bracket and rung);
    `user_attrs` to the user (e.g. per-epoch metrics). `study` is the identity of the study
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
        what = f"value {trial.value}" if trial.state is TrialState.COMPLETE else f"error {_last_line(trial.error)!r}"
        super().__init__(f"trial {trial.id} is already {trial.state.value} ({what}); a trial is finished once, "
                         "and the stored result stays")


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


def comparable_results(trials: Sequence[Trial]) -> list[Trial]:
    """The trials with a finite value; with budgets, only those at the largest budget that has
    a result (a low-budget value is not comparable with a full-budget one)."""
    ok = [t for t in trials if t.ok]
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
    best at a lower budget; `Result.n_full_budget` says how many reached it. Ties go to the
    earliest trial. None when no trial counts.
    """
    sign = 1.0 if direction == "minimize" else -1.0
    return min(comparable_results(trials), key=lambda t: sign * t.value, default=None)  # type: ignore[operator]


class Incumbent:
    """`best_trial` of a growing history, kept incrementally: O(1) per trial added.

    Keeps the best trial at each budget (None for trials without one) and the largest budget
    with a result, which is what `best_trial` compares. Relies on a finished trial never
    changing (storages finish a trial once); adding a trial seen before changes nothing.
    """

    def __init__(self, direction: str) -> None:
        self._sign = 1.0 if direction == "minimize" else -1.0
        self._best: dict[Budget | None, Trial] = {}
        self._top: Budget | None = None
        self._seen: set[int] = set()

    def add(self, trial: Trial) -> None:
        """Count `trial` if it is COMPLETE with a finite value (else, or if seen, ignore it)."""
        if not trial.ok or trial.id in self._seen:
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
        return self._best.get(self._top) if self._top is not None else self._best.get(None)
