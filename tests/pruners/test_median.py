"""MedianPruner and PercentilePruner against decisions computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hpcore.pruners import MedianPruner, PercentilePruner
from hpcore.pruners.median import percentile_of_sorted
from tests.pruners.made_trials import complete, failed, pruned, running

#: Finished trials. At step 1 they reported 0.8, 1.6, 2.4, 3.2 (median (1.6 + 2.4) / 2 = 2.0);
#: at step 2 only three did: 0.6, 1.2, 1.8 (median 1.2).
DONE = [
    complete(0, {0: 1.0, 1: 0.8, 2: 0.6}),
    complete(1, {0: 2.0, 1: 1.6, 2: 1.2}),
    complete(2, {0: 3.0, 1: 2.4, 2: 1.8}),
    complete(3, {0: 4.0, 1: 3.2}),
]


def decide(pruner, values, direction="minimize", others=DONE):
    """The pruner's decision on a running trial (id 99) that reported `values`, among `others`."""
    trial = running(99, values)
    return pruner.prune(trial, [*others, trial], direction)


@pytest.mark.parametrize(("values", "expected"), [
    ({0: 2.5, 1: 2.0}, False),  # best min(2.5, 2.0) = 2.0, not > median 2.0: a tie goes on
    ({0: 2.5, 1: 2.1}, True),   # best 2.1 > 2.0
    ({0: 1.9, 1: 2.1}, False),  # best so far counts, not the latest: min(1.9, 2.1) = 1.9 <= 2.0
    ({0: 1.0, 1: 2.1, 2: 1.3}, False),  # step 2: best 1.0 <= median(0.6, 1.2, 1.8) = 1.2
    ({0: 2.5, 1: 2.0, 2: 1.3}, True),   # step 2: best 1.3 > 1.2
    ({0: 5.0}, True),           # step 0: values 1, 2, 3, 4, median 2.5; 5.0 > 2.5
])
def test_median_minimize_by_hand(values, expected):
    assert decide(MedianPruner(min_trials=3), values) is expected


@pytest.mark.parametrize(("values", "expected"), [
    ({0: 1.5, 1: 1.9}, True),   # maximize: best max(1.5, 1.9) = 1.9 < median 2.0
    ({0: 2.2, 1: 1.0}, False),  # best 2.2 >= 2.0
    ({0: 1.0, 1: 2.0}, False),  # a tie goes on
    ({0: 2.6}, False),          # step 0: median 2.5; 2.6 >= 2.5
])
def test_median_maximize_by_hand(values, expected):
    assert decide(MedianPruner(min_trials=3), values, "maximize") is expected


def test_complete_and_pruned_trials_count_running_and_failed_ones_do_not():
    # A running and a failed trial with huge values, and a completed one with NaN at step 1: none
    # of them moves the median at step 1 from 2.0.
    others = [*DONE, running(4, {0: 9.0, 1: 9.0}), failed(5, {0: 9.0, 1: 9.0}), complete(6, {0: 9.0, 1: math.nan})]
    assert decide(MedianPruner(min_trials=3), {0: 2.5, 1: 2.1}, others=others) is True
    assert decide(MedianPruner(min_trials=3), {0: 2.5, 1: 2.0}, others=others) is False
    # A pruned trial counts at the steps it reported: step 1 has 0.8, 1.6, 2.4, 3.2, 9.0, median
    # 2.4, and 2.1 goes on; at step 2 (0.6, 1.2, 1.8) it is absent, the median stays 1.2.
    others = [*DONE, pruned(4, {0: 9.0, 1: 9.0})]
    assert decide(MedianPruner(min_trials=3), {0: 2.5, 1: 2.1}, others=others) is False
    assert decide(MedianPruner(min_trials=3), {0: 2.5, 1: 2.1, 2: 1.3}, others=others) is True


def test_min_trials_counts_the_trials_that_reported_the_step():
    worse = {0: 2.5, 1: 3.0}  # 3.0 > 2.0: pruned whenever judged at step 1
    assert decide(MedianPruner(min_trials=4), worse) is True   # 4 completed trials reported step 1
    assert decide(MedianPruner(min_trials=5), worse) is False  # fewer than 5: goes on
    assert decide(MedianPruner(min_trials=4), {0: 2.5, 1: 2.1, 2: 9.0}) is False  # step 2: 3 < 4
    assert decide(MedianPruner(), {0: 100.0}) is False  # default 5: four trials are not enough
    assert decide(MedianPruner(min_trials=1), {7: 100.0}) is False  # nobody reported step 7


def test_warmup_steps():
    pruner = MedianPruner(warmup_steps=2, min_trials=3)
    assert decide(pruner, {0: 9.0}) is False            # step 0 < 2: not judged
    assert decide(pruner, {0: 9.0, 1: 9.0}) is False    # step 1 < 2
    assert decide(pruner, {0: 9.0, 1: 9.0, 2: 9.0}) is True  # step 2: 9.0 > 1.2


def test_interval():
    pruner = MedianPruner(min_trials=3, interval=2)
    assert decide(pruner, {0: 9.0}) is True              # window [0, 2): its first report, judged
    assert decide(pruner, {0: 0.1, 1: 9.0}) is False     # step 1: same window as step 0
    assert decide(pruner, {0: 0.1, 1: 0.1, 2: 9.0}) is False  # judged at 2: best so far 0.1 <= 1.2
    assert decide(pruner, {1: 9.0, 2: 9.0}) is True      # 1 and 2 in different windows: judged at 2
    # With warm-up 1 the windows are [1, 3), [3, 5): step 2 follows step 1 in the same window.
    assert decide(MedianPruner(min_trials=3, warmup_steps=1, interval=2), {1: 0.1, 2: 9.0}) is False


@pytest.mark.parametrize(("percentile", "direction", "best", "expected"), [
    # step 1 values 0.8, 1.6, 2.4, 3.2; rank h = p/100 * 3 between order statistics
    (25.0, "minimize", 1.5, True),    # h = 0.75: 0.8 + 0.75 * 0.8 = 1.4; 1.5 > 1.4
    (25.0, "minimize", 1.4, False),   # tie
    (25.0, "maximize", 2.5, True),    # counted from the best end: 75th, h = 2.25: 2.4 + 0.25 * 0.8 = 2.6
    (25.0, "maximize", 2.6, False),
    (0.0, "minimize", 0.81, True),    # the best completed value, 0.8
    (0.0, "minimize", 0.8, False),
    (100.0, "minimize", 3.2, False),  # only worse than every completed trial is pruned
    (100.0, "minimize", 3.3, True),
    (100.0, "maximize", 0.79, True),  # maximize: 0th percentile = 0.8
])
def test_percentile_by_hand(percentile, direction, best, expected):
    pruner = PercentilePruner(percentile, min_trials=3)
    assert decide(pruner, {1: best}, direction) is expected


def test_percentile_of_sorted_is_numpy_default():
    rng = np.random.default_rng(0)
    for n in (1, 2, 5, 50):
        values = sorted(rng.normal(size=n))
        for q in (0.0, 12.5, 25.0, 50.0, 90.0, 100.0):
            assert percentile_of_sorted(values, q) == pytest.approx(np.percentile(values, q), abs=1e-12)


def test_median_is_percentile_50():
    rng = np.random.default_rng(1)
    others = [complete(i, {0: float(v)}) for i, v in enumerate(rng.normal(size=9))]
    for v in rng.normal(size=20):
        for direction in ("minimize", "maximize"):
            assert (decide(MedianPruner(), {0: float(v)}, direction, others)
                    == decide(PercentilePruner(50), {0: float(v)}, direction, others))


def test_a_trial_with_no_report_is_not_pruned():
    trial = running(99, {})
    assert MedianPruner(min_trials=1).prune(trial, [*DONE, trial], "minimize") is False
