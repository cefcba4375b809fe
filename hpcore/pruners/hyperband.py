"""Hyperband as a pruner: several asynchronous successive-halving brackets side by side.

Hyperband (Li, Jamieson, DeSalvo, Rostamizadeh & Talwalkar, JMLR 18(185), 2018) hedges over how
early to cut: its brackets range from cutting at the smallest resource to running everything
to the largest. As a pruner, in the manner of ASHA (Li et al., MLSys 2020), each bracket is a
`SuccessiveHalvingPruner` of its own and trials are compared only within their bracket.

Notation (integers throughout):
- r = `min_resource`, R = `max_resource`, eta = `reduction_factor`.
- s_max: the largest integer with r * eta**s_max <= R; brackets b = 0 .. s_max.
- bracket b: ASHA with first rung at r * eta**b, rungs r * eta**(b + k) below R (a cut at R
  itself would save nothing: the trial has done its training). Bracket 0 cuts earliest;
  bracket s_max cuts at most once.
- n_b = ceil((s_max + 1) / (s_max - b + 1) * eta**(s_max - b)): the number of configurations
  Hyperband starts in the bracket with s_max - b halvings (81, 34, 15, 8, 5 for r=1, R=81,
  eta=3, as in the paper's table); brackets get trials in these proportions.
- T = sum n_b. Trial id i goes to the bracket of p = (i * a) mod T, where a is the first
  integer >= round(T / golden ratio) that is coprime with T: bracket b takes the p in
  [n_0 + ... + n_(b-1), n_0 + ... + n_b). Multiplying by a coprime a permutes 0..T-1, so every
  T consecutive ids give bracket b exactly n_b trials, and the golden-ratio step spreads them
  (the first trials do not all land in bracket 0). A bracket depends only on the id, so a
  resumed study puts every trial back where it was.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from typing import Any

from hpcore.pruners.base import check_int
from hpcore.pruners.history import CachingPruner
from hpcore.pruners.successive_halving import RungValues, asha_prunes, reaches_rung
from hpcore.trial import Trial, TrialState

__all__ = ["HyperbandPruner", "bracket_sizes"]

_GOLDEN = (1 + 5 ** 0.5) / 2


class HyperbandPruner(CachingPruner):
    """Hyperband (Li et al., JMLR 2018) as a pruner: ASHA brackets, a trial's bracket from its id.

    min_resource: r >= 1, the step of the most aggressive bracket's first rung (unit of `report`).
    max_resource: R >= r, the step a trial reaches when it trains to the end (e.g. the last
      epoch); no bracket cuts at R or beyond.
    reduction_factor: eta >= 2, as for `SuccessiveHalvingPruner`.

    `bracket_of(trial_id)` and `sizes` tell how trials are spread (see the module docstring).
    """

    name = "hyperband"

    def __init__(self, min_resource: int = 1, *, max_resource: int, reduction_factor: int = 3) -> None:
        super().__init__()
        self.min_resource = check_int("min_resource", min_resource, 1)
        self.max_resource = check_int("max_resource", max_resource, 1)
        if self.max_resource < self.min_resource:
            raise ValueError(f"max_resource must be >= min_resource ({self.min_resource}), got {max_resource!r}")
        self.reduction_factor = check_int("reduction_factor", reduction_factor, 2)
        #: n_b per bracket b (index b); see the module docstring.
        self.sizes = bracket_sizes(self.min_resource, self.max_resource, self.reduction_factor)
        self._ends = [sum(self.sizes[:b + 1]) for b in range(len(self.sizes))]
        total = self._ends[-1]
        step = max(1, round(total / _GOLDEN))
        while math.gcd(step, total) != 1:
            step += 1
        self._step = step
        self._forget()

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "min_resource": self.min_resource, "max_resource": self.max_resource,
                "reduction_factor": self.reduction_factor}

    def bracket_of(self, trial_id: int) -> int:
        """The bracket b (0 = earliest cuts) of the trial with id `trial_id`."""
        p = (trial_id * self._step) % self._ends[-1]
        return bisect.bisect_right(self._ends, p)

    def first_rung(self, bracket: int) -> int:
        """The step of bracket `bracket`'s first rung: r * eta**b."""
        return self.min_resource * self.reduction_factor ** bracket

    def decide(self, trial: Trial, trials: Sequence[Trial], direction: str, latest: int,
               previous: int | None) -> bool:
        b = self.bracket_of(trial.id)
        if not reaches_rung(latest, previous, self.first_rung(b), self.reduction_factor, bound=self.max_resource):
            return False
        unfinished = [t for t in self._follow(trial, trials) if self.bracket_of(t.id) == b]
        return asha_prunes(trial, latest, previous, self._rungs[b], unfinished, direction, bound=self.max_resource)

    def _absorb(self, trial: Trial) -> None:
        if trial.state in (TrialState.COMPLETE, TrialState.PRUNED):
            self._rungs[self.bracket_of(trial.id)].add(trial.intermediate_values)

    def _forget(self) -> None:
        self._rungs = [RungValues(self.first_rung(b), self.reduction_factor) for b in range(len(self.sizes))]


def bracket_sizes(min_resource: int, max_resource: int, eta: int) -> list[int]:
    """n_b for b = 0 .. s_max (module docstring), in integers: no floating-point logarithm."""
    s_max = 0
    while min_resource * eta ** (s_max + 1) <= max_resource:
        s_max += 1
    sizes = []
    for b in range(s_max + 1):
        halvings = s_max - b
        sizes.append(-(-(s_max + 1) * eta ** halvings // (halvings + 1)))  # ceil division
    return sizes
