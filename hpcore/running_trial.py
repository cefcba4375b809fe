"""The handle an objective gets as its `trial` argument: what it is evaluating, and the way to
report intermediate values and ask whether to stop.

    def objective(params, trial):
        for epoch in range(100):
            loss = train_one_epoch(...)
            trial.report(loss, step=epoch)     # stored at once, in the driver's storage
            if trial.should_prune():           # the study's pruner decides
                return trial.prune()           # raises hpcore.TrialPruned: the trial is PRUNED
        return loss

The handle talks to a `Reporter`: the study itself when the objective runs in the driver's
process, a connection to the driver (`hpcore.report_channel`) when it runs in a worker process.
The objective's code is the same in both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NoReturn, Protocol

from hpcore.errors import TrialPruned
from hpcore.real_numbers import checked_report
from hpcore.storage.base import step_not_after
from hpcore.trial import Budget, IntermediateValues, Trial

__all__ = ["Reporter", "RunningTrial"]


class Reporter(Protocol):
    """Where a running trial's reports go and its pruning questions are answered."""

    def report(self, trial_id: int, step: int, value: float) -> None:
        """Store `value` at `step` for the trial (checked already: a float, an int >= 0). Raises
        `ValueError` for a step not after the trial's last one, `TrialAlreadyFinished` when
        the trial is finished (e.g. the driver stopped it for its timeout)."""

    def should_prune(self, trial_id: int) -> bool:
        """The pruner's decision for the trial as stored now; True for a trial finished
        meanwhile (the driver gave up on it: its objective should stop)."""

    def release(self) -> None:
        """The trial this reporter served has ended: free what was opened for it."""


class RunningTrial:
    """A trial being evaluated, as its objective sees it.

    The record's fields (`id`, `params`, `budget`, `previous_budget`, `config_id`, `meta`,
    `user_attrs`), its reports so far (`intermediate_values`), and:

    - `report(value, step)`: store an intermediate value at once. `step` is an int >= 0,
      larger than every step reported before (else `ValueError` naming both); `value` a real
      number (a bool, None or a string is a `TypeError`); NaN and ±inf are stored as reported,
      and every pruner (but `NopPruner`) then prunes the trial.
    - `should_prune()`: whether the study's pruner says to stop now (always False without one).
    - `prune()`: raise `hpcore.TrialPruned`, so that `return trial.prune()` ends the trial as
      PRUNED with its last reported value.
    - `set_user_attr(key, value)`: a user attribute stored with the trial when it ends, whatever
      its end (complete, pruned or failed).

    Once the objective has returned (or raised), `report` and `should_prune` raise
    `RuntimeError` naming the trial: the trial is over.
    """

    __slots__ = ("_attrs", "_open", "_record", "_reporter", "_values")

    def __init__(self, record: Trial, reporter: Reporter | None) -> None:
        """record: the trial as started; reporter: None for a handle outside any study (its
        reports are kept in the handle only and `should_prune` raises)."""
        self._record = record
        self._reporter = reporter
        values = record.intermediate_values
        self._values = values if isinstance(values, IntermediateValues) else IntermediateValues(values)
        self._attrs: dict[Any, Any] = {}
        self._open = True

    # -- the record ------------------------------------------------------------------------------
    @property
    def id(self) -> int:
        return self._record.id

    @property
    def params(self) -> Mapping[str, Any]:
        return self._record.params

    @property
    def budget(self) -> Budget | None:
        return self._record.budget

    @property
    def previous_budget(self) -> Budget | None:
        return self._record.previous_budget

    @property
    def config_id(self) -> int | None:
        return self._record.config_id

    @property
    def meta(self) -> Mapping[str, Any]:
        return self._record.meta

    @property
    def user_attrs(self) -> dict[Any, Any]:
        """The trial's user attributes: those it was created with and those set since."""
        return {**self._record.user_attrs, **self._attrs}

    @property
    def record(self) -> Trial:
        """The `Trial` record as the trial started (no reports of this run in it)."""
        return self._record

    @property
    def intermediate_values(self) -> Mapping[int, float]:
        """step -> value of every report so far (a snapshot: later reports do not change it)."""
        return self._values

    # -- reporting -------------------------------------------------------------------------------------
    def report(self, value: Any, step: Any) -> None:
        """Store `value` as the trial's intermediate value at `step` (see the class docstring)."""
        self._check_open("report")
        number, step = checked_report(value, step)
        last = self._values.last
        if last is not None and step <= last[0]:
            raise step_not_after(self.id, step, last[0])
        if self._reporter is not None:
            self._reporter.report(self.id, step, number)
        self._values = self._values.appended(step, number)

    def should_prune(self) -> bool:
        """Whether the study's pruner says this trial should stop now, judged on the values
        reported so far by it and by every other trial of the study (running ones included)."""
        self._check_open("should_prune")
        if self._reporter is None:
            raise RuntimeError(f"trial {self.id}: should_prune() needs a study: this handle was made outside one "
                               "(objectives get theirs from Study.optimize, minimize or maximize)")
        return self._reporter.should_prune(self.id)

    def prune(self) -> NoReturn:
        """End the trial as PRUNED: raises `hpcore.TrialPruned` (`return trial.prune()` reads well)."""
        last = self._values.last
        at = "" if last is None else f" at step {last[0]} (value {last[1]:g})"
        raise TrialPruned(f"trial {self.id} pruned{at}")

    def set_user_attr(self, key: str, value: Any) -> None:
        """Store `value` under `key` in the trial's user attributes when it ends (what JSON cannot
        hold is stored as its repr, with a warning)."""
        self._attrs[key] = value

    # -- the evaluation's side ---------------------------------------------------------------------------
    def _check_open(self, what: str) -> None:
        if not self._open:
            raise RuntimeError(f"trial {self.id} has ended: {what}() is for the objective while it evaluates "
                               "the trial, not after it returned")

    def close(self) -> dict[Any, Any]:
        """End the handle (its objective returned or raised); returns the user attributes it set."""
        self._open = False
        return dict(self._attrs)

    def __repr__(self) -> str:
        state = "running" if self._open else "ended"
        return f"RunningTrial(id={self.id}, params={dict(self.params)!r}, {state}, reports={len(self._values)})"
