"""Asynchronous successive halving (ASHA) as a pruner.

Li, Jamieson, Rostamizadeh, Gonina, Ben-Tzur, Hardt, Recht & Talwalkar, "A System for Massively
Parallel Hyperparameter Tuning", MLSys 2020. Rungs sit at increasing steps; a trial that reaches
a rung goes on only if its value there is among the best 1/eta of all values recorded at that
rung so far. Nothing waits for a rung to fill: early trials are judged against the few values
there are, which is what makes it asynchronous.

Notation (integers throughout, so rung steps are exact):
- r = `min_resource`, eta = `reduction_factor`, s = `min_early_stopping_rate`.
- rung k (k = 0, 1, ...) sits at step r_k = r * eta**(s + k).
- a trial's value at rung k: its report at the first step >= r_k (the report that reached the
  rung; a stored report never changes, so neither does this value once it exists).
- values(k): the finite values at rung k of every trial of the group compared (the study, or
  one Hyperband bracket) that is RUNNING, COMPLETE or PRUNED, the judged trial included; FAILED
  trials are left out (their run may have broken before it failed), as are NaN and +-inf.
- A trial whose latest report (step `latest`, previous report at step `previous`) reaches rungs
  k with previous < r_k <= latest is judged at each of them, lowest first; with n = |values(k)|,
  it goes on at rung k if fewer than max(1, n // eta) values in values(k) are strictly better
  than its own (so while n < eta only a trial that is the best so far goes on, and ties go on).
  Each rung is judged once, at the report that reached it: a trial promoted early is not demoted
  later when better ones arrive (ASHA's promotions are final). So `should_prune` should be asked
  after every report, as the study's own helpers do.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from hpcore.pruners.base import check_int, sign_of
from hpcore.pruners.history import CachingPruner
from hpcore.pruners.step_values import StepValues, count_better
from hpcore.trial import Trial, TrialState

__all__ = ["ASHAPruner", "RungValues", "SuccessiveHalvingPruner", "asha_prunes", "reaches_rung", "rung_steps",
           "rung_values_of"]


class SuccessiveHalvingPruner(CachingPruner):
    """Asynchronous successive halving (ASHA, Li et al., MLSys 2020) as a pruner.

    min_resource: the step of the first rung (r >= 1, in the unit of `report`'s step).
    reduction_factor: eta >= 2; rungs are eta times apart, and at each the best 1/eta go on.
    min_early_stopping_rate: s >= 0; the first rung is at r * eta**s (s > 0 lets every trial
      train longer before the first cut).

    A trial is judged at rung k (step r * eta**(s + k)) by the report that reaches it, against
    the values recorded at that rung by the running, completed and pruned trials so far; see the
    module docstring for the exact rule. `ASHAPruner` is the same class.
    """

    name = "successive_halving"

    def __init__(self, min_resource: int = 1, reduction_factor: int = 3, min_early_stopping_rate: int = 0) -> None:
        super().__init__()
        self.min_resource = check_int("min_resource", min_resource, 1)
        self.reduction_factor = check_int("reduction_factor", reduction_factor, 2)
        self.min_early_stopping_rate = check_int("min_early_stopping_rate", min_early_stopping_rate, 0)
        self._first_rung = self.min_resource * self.reduction_factor ** self.min_early_stopping_rate
        self._rungs = RungValues(self._first_rung, self.reduction_factor)

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "min_resource": self.min_resource, "reduction_factor": self.reduction_factor,
                "min_early_stopping_rate": self.min_early_stopping_rate}

    def decide(self, trial: Trial, trials: Sequence[Trial], direction: str, latest: int,
               previous: int | None) -> bool:
        if not reaches_rung(latest, previous, self._first_rung, self.reduction_factor):
            return False  # the usual case, answered without looking at other trials
        unfinished = self._follow(trial, trials)
        return asha_prunes(trial, latest, previous, self._rungs, unfinished, direction)

    def _absorb(self, trial: Trial) -> None:
        if trial.state in (TrialState.COMPLETE, TrialState.PRUNED):
            self._rungs.add(trial.intermediate_values)

    def _forget(self) -> None:
        self._rungs = RungValues(self._first_rung, self.reduction_factor)


#: The name of the paper's algorithm, for users who look for it.
ASHAPruner = SuccessiveHalvingPruner


def asha_prunes(trial: Trial, latest: int, previous: int | None, rungs: RungValues,
                unfinished: Sequence[Trial], direction: str, bound: int | None = None) -> bool:
    """ASHA's decision on `trial` at its report `latest` (module docstring), shared with the
    Hyperband pruner.

    rungs: the rung values of the finished trials of the group; unfinished: the group's trials
    not finished (their rung values are read now; `trial` is taken from the argument, not from
    this list, which may hold an older copy of it); bound: only rungs at steps below it count.
    """
    sign = sign_of(direction)
    own = trial.intermediate_values[latest]  # its value at every rung this report reaches
    running = [t for t in unfinished if t.id != trial.id and t.state is TrialState.RUNNING]
    for k, step in enumerate(rung_steps(rungs.first, rungs.eta, latest)):
        if (previous is not None and step <= previous) or (bound is not None and step >= bound):
            continue
        finished = rungs.sorted_at(k)
        extra = [v for v in (_value_at_rung(t.intermediate_values, step) for t in running)
                 if v is not None and math.isfinite(v)]
        n = len(finished) + len(extra) + 1  # + 1: the judged trial's own value
        better = count_better(finished, own, sign) + sum(1 for v in extra if sign * v < sign * own)
        if better >= max(1, n // rungs.eta):
            return True
    return False


def rung_steps(first: int, eta: int, up_to: int) -> Iterator[int]:
    """The rung steps first * eta**k (k = 0, 1, ...) that are <= `up_to`, ascending."""
    step = first
    while step <= up_to:
        yield step
        step *= eta


def reaches_rung(latest: int, previous: int | None, first: int, eta: int, bound: int | None = None) -> bool:
    """Whether the report at step `latest` (the one before at `previous`) reaches a rung step
    first * eta**k, counting only rungs below `bound` when it is given."""
    top = latest if bound is None else min(latest, bound - 1)
    if top < first:
        return False
    rung = first
    while rung * eta <= top:
        rung *= eta
    return previous is None or rung > previous


def _value_at_rung(values: Mapping[int, float], step: int) -> float | None:
    """The report at the first step >= `step`, None if there is none yet."""
    reached = [s for s in values if s >= step]
    return values[min(reached)] if reached else None


def rung_values_of(values: Mapping[int, float], first: int, eta: int) -> list[float]:
    """A trial's value at each rung it reached (index k: rung k), from its reports."""
    steps = sorted(values)
    if not steps:
        return []
    out = []
    for step in rung_steps(first, eta, steps[-1]):
        out.append(values[steps[bisect.bisect_left(steps, step)]])
    return out


class RungValues:
    """The finite values at each rung (index k) of a set of finished trials, kept sorted."""

    def __init__(self, first: int, eta: int) -> None:
        self.first, self.eta = first, eta
        self._values = StepValues()

    def add(self, values: Mapping[int, float]) -> None:
        """Take in one trial's reports (a mapping step -> value)."""
        self._values.add(dict(enumerate(rung_values_of(values, self.first, self.eta))))

    def sorted_at(self, k: int) -> list[float]:
        """The values at rung k, ascending (the cache's own list)."""
        return self._values.sorted_at(k)
