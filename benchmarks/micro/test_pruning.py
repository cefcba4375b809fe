"""Micro-benchmarks of one pruning decision in a large study.

    pytest benchmarks/micro/test_pruning.py --benchmark-only [--benchmark-columns=min,median,max]

A study of `N_FINISHED` finished trials (complete and pruned) of `N_STEPS` reports each, and a
running trial asking its pruner. Each timed round is what a study does at a report: one more
trial has finished since the last decision (the pruner takes it in, once) and the running trial
asks at a step where the pruner judges (a median step, an ASHA rung). The pruner's first
decision, which takes in the whole history, is made before the timing. Sizes shrink with
`HPCORE_MICRO_TINY=1`.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np
import pytest

from hpcore.pruners import HyperbandPruner, MedianPruner, NopPruner, Pruner, SuccessiveHalvingPruner
from hpcore.trial import Trial, TrialState

TINY = os.environ.get("HPCORE_MICRO_TINY", "") not in ("", "0")

N_FINISHED = 50 if TINY else 5000
N_STEPS = 100
ROUNDS = 3 if TINY else 200

#: name -> (pruner, the step its decision is timed at: one where it judges)
PRUNERS: dict[str, tuple[Callable[[], Pruner], int]] = {
    "median": (lambda: MedianPruner(), 50),
    "asha": (lambda: SuccessiveHalvingPruner(min_resource=1, reduction_factor=3), 27),  # rung 3
    "hyperband": (lambda: HyperbandPruner(1, max_resource=N_STEPS, reduction_factor=3), 27),
    "nop": (lambda: NopPruner(), 50),
}


def _finished(trial_id: int, rng: np.random.Generator) -> Trial:
    """A finished trial with a noisy decaying curve; every third one pruned halfway."""
    steps = N_STEPS if trial_id % 3 else N_STEPS // 2
    curve = np.exp(-rng.uniform(0.01, 0.1) * np.arange(steps)) + rng.normal(0.0, 0.05, steps)
    state = TrialState.PRUNED if trial_id % 3 == 0 else TrialState.COMPLETE
    return Trial(id=trial_id, params={}, state=state, value=float(curve[-1]),
                 intermediate_values={s: float(v) for s, v in enumerate(curve)})


@pytest.mark.parametrize("name", list(PRUNERS))
def test_prune_decision(benchmark, name: str) -> None:
    make, step = PRUNERS[name]
    pruner = make()
    rng = np.random.default_rng(0)
    # The asking trial's id: the first after the history that the Hyperband pruner puts in its
    # bracket 0 (rungs at 1, 3, 9, 27, 81), so every pruner judges it at step 27.
    brackets = HyperbandPruner(1, max_resource=N_STEPS, reduction_factor=3)
    asking_id = next(i for i in range(N_FINISHED, N_FINISHED + 1000) if brackets.bracket_of(i) == 0)
    trials = [_finished(i, rng) for i in range(asking_id)]
    asking = Trial(id=asking_id, params={}, state=TrialState.RUNNING,
                   intermediate_values={s: 0.9 for s in range(step + 1)})
    trials.append(asking)
    pruner.prune(asking, trials, "minimize")  # takes the history in: not timed

    def setup() -> tuple[tuple, dict]:
        trials.append(_finished(len(trials), rng))  # one more finished trial since the last decision
        return (list(trials),), {}

    benchmark.pedantic(lambda listed: pruner.prune(asking, listed, "minimize"), setup=setup, rounds=ROUNDS,
                       iterations=1)
