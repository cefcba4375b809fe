"""The median stopping rule and its general form, the percentile rule.

Median stopping (Golovin, Solnik, Moitra, Kochanski, Karro & Sculley, "Google Vizier: A Service
for Black-Box Optimization", KDD 2017, section 3.2.1): stop a trial at step s when its best
value so far is strictly worse than the median of the other trials' values at step s.

Notation (a decision on a trial T at its latest step s, direction "minimize"; "maximize" mirrors
every comparison):
- others(s): the values reported at step s by the COMPLETE and PRUNED trials (the finished
  trials that were not failures); NaN and +-inf left out (NaN cannot be ranked, an infinite
  neighbour makes the interpolated percentile undefined, and either got its own trial pruned at
  once). A pruned trial counts at the steps it reached: counting only trials that ran to the
  end would compare every new trial with the survivors of earlier cuts, so the rule would grow
  stricter as the study grows. Running trials do not count: their reports are still coming
  and they may yet be pruned, so the reference would depend on what happens to run at the
  same time. FAILED trials do not count: their run may have broken before it failed.
- best(T): the lowest finite value T reported at any step <= s (NaN left out).
- q(p): the p-th percentile of others(s), linearly interpolated between order statistics (as
  `numpy.percentile`'s default); p is measured from the best end, so for "maximize" it is the
  (100 - p)-th percentile of the values.
T is pruned when best(T) > q(p) (maximize: best(T) < q(p)): ties go on. For the other trials only
their value at step s counts (as in Optuna's MedianPruner); Vizier's rule takes the median of
their running averages up to step s instead, a smoother reference that lags behind the curves.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from hpcore.pruners.base import best_finite, check_int, check_real, in_check_window, sign_of
from hpcore.pruners.history import CachingPruner
from hpcore.pruners.step_values import StepValues
from hpcore.trial import Trial, TrialState

__all__ = ["MedianPruner", "PercentilePruner", "percentile_of_sorted"]


class PercentilePruner(CachingPruner):
    """Prunes a trial whose best value so far is worse than the `percentile`-th best of what
    the finished trials (COMPLETE or PRUNED) reported at the same step.

    percentile: in [0, 100], counted from the best end: 25 keeps trials in the best quarter at
      every judged step, 50 is the median rule, 100 prunes only a trial worse than every
      finished one.
    warmup_steps: steps (in the unit of `report`) before which no trial is judged: a trial is
      judged at step s only if s >= warmup_steps.
    min_trials: how many finished (COMPLETE or PRUNED) trials must have a finite value at step s
      for the trial to be judged there; with fewer, it goes on. Counts only trials that
      reported exactly step s.
    interval: judge a trial once per `interval` steps (the first step it reports in each window
      of `interval` steps after the warm-up; see `hpcore.pruners.base.in_check_window`).

    Cost: each finished trial's reports are taken in once (kept sorted per step); a decision
    then costs O(log n) plus a pass over the judged trial's own reports.
    """

    name = "percentile"

    def __init__(self, percentile: float, warmup_steps: int = 0, min_trials: int = 5,
                 interval: int = 1) -> None:
        super().__init__()
        self.percentile = check_real("percentile", percentile, 0.0, 100.0)
        self.warmup_steps = check_int("warmup_steps", warmup_steps, 0)
        self.min_trials = check_int("min_trials", min_trials, 1)
        self.interval = check_int("interval", interval, 1)
        self._values = StepValues()

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "percentile": self.percentile, **self._common_config()}

    def _common_config(self) -> dict[str, Any]:
        return {"warmup_steps": self.warmup_steps, "min_trials": self.min_trials, "interval": self.interval}

    def decide(self, trial: Trial, trials: Sequence[Trial], direction: str, latest: int,
               previous: int | None) -> bool:
        sign = sign_of(direction)
        if not in_check_window(latest, previous, self.warmup_steps, self.interval):
            return False
        self._follow(trial, trials)
        others = self._values.sorted_at(latest)
        if len(others) < self.min_trials:
            return False
        q = self.percentile if sign > 0 else 100.0 - self.percentile
        reference = percentile_of_sorted(others, q)
        best = best_finite(trial.intermediate_values.values(), sign)  # not None: the latest is finite
        return sign * best > sign * reference  # type: ignore[operator]

    def _absorb(self, trial: Trial) -> None:
        if trial.state in (TrialState.COMPLETE, TrialState.PRUNED):
            self._values.add(trial.intermediate_values)

    def _forget(self) -> None:
        self._values = StepValues()


class MedianPruner(PercentilePruner):
    """The median stopping rule (Golovin et al., KDD 2017): `PercentilePruner` at 50.

    Prunes a trial at step s when its best value so far is strictly worse than the median of
    the values finished trials (COMPLETE or PRUNED) reported at step s, once `min_trials` of
    them did and from
    `warmup_steps` on, every `interval` steps. See `PercentilePruner` for the settings.
    """

    name = "median"

    def __init__(self, warmup_steps: int = 0, min_trials: int = 5, interval: int = 1) -> None:
        super().__init__(50.0, warmup_steps=warmup_steps, min_trials=min_trials, interval=interval)

    def config(self) -> dict[str, Any]:
        return {"name": self.name, **self._common_config()}


def percentile_of_sorted(values: Sequence[float], q: float) -> float:
    """The q-th percentile (q in [0, 100]) of ascending finite `values` (not empty), linearly
    interpolated between the order statistics at ranks floor(h) and ceil(h), h = q/100 (n - 1):
    `numpy.percentile(values, q)` with its default method."""
    h = q / 100.0 * (len(values) - 1)
    lo = math.floor(h)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (h - lo) * (values[hi] - values[lo])
