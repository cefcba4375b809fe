"""Cached decisions equal uncached ones: a pruner that keeps what it derived from finished trials
decides, at every report of a simulated parallel study, as a fresh pruner and as a plain
recomputation from all reports do. And the trial follower under those caches."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hpcore.pruners import (
    HyperbandPruner,
    MedianPruner,
    PatientPruner,
    PercentilePruner,
    SuccessiveHalvingPruner,
)
from hpcore.pruners.history import TrialFollower
from hpcore.trial import Trial, TrialState
from tests.pruners.made_trials import complete, failed, made, pruned, running


def median_reference(pruner: PercentilePruner, trial: Trial, trials: list[Trial], direction: str) -> bool:
    """PercentilePruner's rule from scratch: every complete or pruned trial's reports, numpy's percentile."""
    values = trial.intermediate_values
    steps = sorted(values)
    s = steps[-1]
    if not math.isfinite(values[s]):
        return True
    previous = steps[-2] if len(steps) > 1 else None
    w, k = pruner.warmup_steps, pruner.interval
    if s < w or (previous is not None and previous >= w and (s - w) // k == (previous - w) // k):
        return False
    others = [t.intermediate_values[s] for t in trials
              if t.state in (TrialState.COMPLETE, TrialState.PRUNED) and s in t.intermediate_values
              and math.isfinite(t.intermediate_values[s])]
    if len(others) < pruner.min_trials:
        return False
    if direction == "minimize":
        return np.nanmin(list(values.values())) > np.percentile(others, pruner.percentile)
    return np.nanmax(list(values.values())) < np.percentile(others, 100 - pruner.percentile)


def asha_reference(pruner: SuccessiveHalvingPruner, trial: Trial, trials: list[Trial], direction: str) -> bool:
    """ASHA's rule from scratch: rung values of every other running, complete or pruned trial."""
    values = trial.intermediate_values
    steps = sorted(values)
    s = steps[-1]
    if not math.isfinite(values[s]):
        return True
    previous = steps[-2] if len(steps) > 1 else -1
    sign = 1.0 if direction == "minimize" else -1.0
    rung = pruner.min_resource * pruner.reduction_factor ** pruner.min_early_stopping_rate
    while rung <= s:
        if rung > previous:
            competing = [sign * values[s]]
            for t in trials:
                if t.id == trial.id or t.state not in (TrialState.RUNNING, TrialState.COMPLETE, TrialState.PRUNED):
                    continue
                reached = [step for step in t.intermediate_values if step >= rung]
                if reached and math.isfinite(v := t.intermediate_values[min(reached)]):
                    competing.append(sign * v)
            better = sum(1 for v in competing if v < sign * values[s])
            if better >= max(1, len(competing) // pruner.reduction_factor):
                return True
        rung *= pruner.reduction_factor
    return False


def simulate(make, direction, reference=None, *, n_trials=300, n_steps=12, n_parallel=4, seed=0,
             check_every=5):
    """Run a simulated study: `n_parallel` trials at a time report noisy decaying curves (some
    steps skipped, a few NaN), ask one long-lived pruner after every report, and compare its
    decision, every `check_every` reports, with a fresh pruner's and `reference`'s.
    Returns the counts of trials by final state."""
    rng = np.random.default_rng(seed)
    pruner = make()
    trials: list[Trial] = []
    active: list[int] = []
    level = rng.uniform(0.5, 2.0, n_trials)
    rate = rng.uniform(0.05, 0.5, n_trials)
    reports = 0
    while len(trials) < n_trials or active:
        while len(active) < n_parallel and len(trials) < n_trials:
            active.append(len(trials))
            trials.append(running(len(trials), {}))
        i = active[int(rng.integers(len(active)))]
        values = dict(trials[i].intermediate_values)
        step = max(values) + 1 + int(rng.random() < 0.2) if values else int(rng.random() < 0.2)
        value = float(level[i] * math.exp(-rate[i] * step) + 0.05 * rng.normal())
        values[step] = math.nan if rng.random() < 0.003 else value
        trial = running(i, values)
        trials[i] = trial
        snapshot = list(trials)
        decision = pruner.prune(trial, snapshot, direction)
        if reports % check_every == 0:
            assert decision == make().prune(trial, snapshot, direction), (i, step)
            if reference is not None:
                assert decision == reference(pruner, trial, snapshot, direction), (i, step)
        reports += 1
        if decision:
            trials[i] = pruned(i, values)
        elif rng.random() < 0.01:
            trials[i] = failed(i, values)
        elif step >= n_steps - 1:
            trials[i] = complete(i, values)
        else:
            continue
        active.remove(i)
    states = [t.state for t in trials]
    return {state: states.count(state) for state in TrialState}


CASES = [
    (lambda: MedianPruner(min_trials=3), median_reference),
    (lambda: PercentilePruner(30.0, warmup_steps=2, min_trials=5, interval=3), median_reference),
    (lambda: SuccessiveHalvingPruner(min_resource=1, reduction_factor=2), asha_reference),
    (lambda: SuccessiveHalvingPruner(min_resource=2, reduction_factor=3, min_early_stopping_rate=1), asha_reference),
    (lambda: HyperbandPruner(1, max_resource=11, reduction_factor=2), None),
    (lambda: PatientPruner(MedianPruner(min_trials=3), patience=2), None),
]


@pytest.mark.parametrize("direction", ["minimize", "maximize"])
@pytest.mark.parametrize(("make", "reference"), CASES, ids=[repr(make()) for make, _ in CASES])
def test_cached_decisions_equal_uncached_ones(make, reference, direction):
    counts = simulate(make, direction, reference)
    # The history is one where the pruner had decisions to make both ways.
    assert counts[TrialState.PRUNED] >= 20 and counts[TrialState.COMPLETE] >= 5, counts


def test_follower_hands_each_finished_trial_over_once():
    follower = TrialFollower()
    trials = [complete(0, {}), running(1, {}), made(2, TrialState.WAITING, {})]
    first = follower.update(trials)
    assert [t.id for t in first.finished] == [0] and [t.id for t in first.unfinished] == [1, 2]
    trials[1] = pruned(1, {0: 1.0})
    trials.append(running(3, {}))
    second = follower.update(trials)
    assert not second.restarted
    assert [t.id for t in second.finished] == [1] and [t.id for t in second.unfinished] == [2, 3]
    assert follower.update(list(trials)).finished == []  # a new list with the same trials: nothing new


def test_follower_starts_over_on_a_list_that_does_not_continue():
    follower = TrialFollower()
    follower.update([complete(0, {}), complete(1, {})])
    shorter = follower.update([complete(0, {})])
    assert shorter.restarted and [t.id for t in shorter.finished] == [0]
    other = follower.update([complete(5, {}), complete(6, {})])  # same length as before, other ids
    assert other.restarted and [t.id for t in other.finished] == [5, 6]
    study = follower.update([complete(5, {}), complete(6, {})], study="another study")
    assert study.restarted and [t.id for t in study.finished] == [5, 6]


def test_a_pruner_reused_for_another_study_does_not_mix_them():
    pruner = MedianPruner(min_trials=1)
    first = [complete(0, {0: 10.0})]
    trial = running(1, {0: 5.0})
    assert pruner.prune(trial, [*first, trial], "minimize") is False  # 5.0 <= 10.0
    second = [complete(0, {0: 1.0})]  # same ids and length, another history
    assert pruner.prune(trial, [*second, trial], "minimize") is False  # list looks continued...
    # ...so the trials carry their study's identity, and a pruner sees the change from it.
    other = [Trial(id=0, params={}, state=TrialState.COMPLETE, value=1.0, intermediate_values={0: 1.0}, study="b")]
    trial_b = Trial(id=1, params={}, state=TrialState.RUNNING, intermediate_values={0: 5.0}, study="b")
    assert pruner.prune(trial_b, [*other, trial_b], "minimize") is True  # 5.0 > 1.0


class CountingList(list):
    """A list that counts the items read by index (what a pruner looks at in the history)."""

    reads = 0

    def __getitem__(self, index):
        CountingList.reads += 1
        return super().__getitem__(index)


@pytest.mark.parametrize("make", [lambda: MedianPruner(), lambda: SuccessiveHalvingPruner(),
                                  lambda: HyperbandPruner(1, max_resource=30)])
def test_a_decision_reads_only_the_new_and_unfinished_trials(make):
    pruner = make()
    history = [complete(i, {s: 1.0 for s in range(10)}) for i in range(2000)]
    asking = running(2000, {0: 0.5, 1: 0.5})  # step 1: judged by the median rule, rung 0 of ASHA
    trials = [*history, asking]
    pruner.prune(asking, CountingList(trials), "minimize")  # the first decision reads everything
    absorbed = []
    pruner._absorb = lambda t, absorb=pruner._absorb: (absorbed.append(t.id), absorb(t))
    for k in range(3):
        trials.append(complete(2001 + k, {s: 1.0 for s in range(10)}))
        listed = CountingList(trials)
        CountingList.reads = 0
        pruner.prune(asking, listed, "minimize")
        assert CountingList.reads <= 6  # a few (the previous end, the open trial, the new one), not 2,000
    assert absorbed == [2001, 2002, 2003]  # each finished trial taken in once
