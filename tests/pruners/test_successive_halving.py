"""SuccessiveHalvingPruner (ASHA) against decisions computed by hand."""

from __future__ import annotations

import math

import pytest

from hpcore.pruners import ASHAPruner, SuccessiveHalvingPruner
from hpcore.pruners.successive_halving import reaches_rung, rung_steps, rung_values_of
from tests.pruners.made_trials import complete, failed, pruned, running

# min_resource 1, eta 3: rungs at steps 1, 3, 9, 27...
# Each trial's value at a rung is its report at the first step >= the rung's step:
#   trial  rung 0 (step 1)   rung 1 (step 3)
#   0      4.0               3.0        (complete)
#   1      6.0               5.0        (pruned after rung 1)
#   2      2.0               -          (pruned after rung 0)
#   3      7.0 (at step 2)   -          (complete; it reported steps 0 and 2 only)
#   4      0.1               0.1        (FAILED: left out)
#   5      3.0               1.0        (running)
#   6      nan               -          (complete: NaN left out)
OTHERS = [
    complete(0, {0: 5.0, 1: 4.0, 2: 3.5, 3: 3.0, 4: 2.9}),
    pruned(1, {1: 6.0, 3: 5.0}),
    pruned(2, {1: 2.0}),
    complete(3, {0: 1.0, 2: 7.0}),
    failed(4, {1: 0.1, 3: 0.1}),
    running(5, {1: 3.0, 3: 1.0}),
    complete(6, {1: math.nan}),
]


def decide(pruner, values, direction="minimize", others=OTHERS, stale_copy=True):
    """The decision on running trial 99 that reported `values`; `trials` holds an older copy of
    it (fewer reports), as a study's list may, unless `stale_copy` is False."""
    trial = running(99, values)
    in_list = running(99, dict(list(values.items())[:1])) if stale_copy else trial
    return pruner.prune(trial, [*others, in_list], direction)


@pytest.mark.parametrize(("x", "expected"), [
    # rung 0 values: 4, 6, 2, 7 (finished), 3 (running), x: n = 6, max(1, 6 // 3) = 2 go on,
    # so a trial goes on while fewer than 2 values are strictly better than its own.
    (2.5, False),  # better: 2.0 -> 1
    (3.0, False),  # better: 2.0 (3.0 ties) -> 1
    (3.5, True),   # better: 2.0, 3.0 -> 2
    (0.0, False),
])
def test_rung_0_minimize(x, expected):
    assert decide(SuccessiveHalvingPruner(), {0: 9.0, 1: x}) is expected


@pytest.mark.parametrize(("x", "expected"), [
    (6.5, False),  # maximize: better (higher) than 6.5: 7.0 -> 1 < 2
    (6.0, False),  # 7.0 only (6.0 ties)
    (5.0, True),   # 6.0, 7.0 -> 2
])
def test_rung_0_maximize(x, expected):
    assert decide(SuccessiveHalvingPruner(), {0: 9.0, 1: x}, "maximize") is expected


@pytest.mark.parametrize(("y", "expected"), [
    # rung 1 values: 3.0, 5.0 (finished), 1.0 (running), y: n = 4, max(1, 4 // 3) = 1 goes on.
    (0.5, False),
    (1.0, False),  # ties with the running trial's 1.0
    (2.0, True),   # 1.0 is better
])
def test_rung_1_minimize(y, expected):
    assert decide(SuccessiveHalvingPruner(), {0: 9.0, 1: 2.0, 3: y}) is expected


def test_between_rungs_nothing_is_judged():
    pruner = SuccessiveHalvingPruner()
    assert decide(pruner, {0: 100.0}) is False                 # step 0: below the first rung
    assert decide(pruner, {0: 9.0, 1: 2.0, 2: 100.0}) is False  # step 2: rung 0 was judged at step 1
    assert decide(pruner, {0: 9.0, 1: 2.0, 3: 1.0, 8: 100.0}) is False  # next rung at 9


def test_a_report_that_skips_rungs_is_judged_at_each():
    # Steps 0 then 4: rungs 0 (step 1) and 1 (step 3) are both reached with the value at step 4.
    assert decide(SuccessiveHalvingPruner(), {0: 9.0, 4: 0.5}) is False  # best at both rungs
    assert decide(SuccessiveHalvingPruner(), {0: 9.0, 4: 2.5}) is True   # rung 0 passes (1 better), rung 1: 1.0 better


def test_fewer_values_than_eta_only_the_best_goes_on():
    assert decide(SuccessiveHalvingPruner(), {1: 100.0}, others=[]) is False  # alone: n = 1
    one = [complete(0, {1: 1.0})]
    assert decide(SuccessiveHalvingPruner(), {1: 2.0}, others=one) is True   # n = 2 < 3: 1.0 is better
    assert decide(SuccessiveHalvingPruner(), {1: 1.0}, others=one) is False  # a tie goes on


def test_the_judged_trial_is_not_counted_twice():
    # Rung 0 holds 1, 3, 4, 5 and the trial's own 2.0: n = 5, max(1, 5 // 3) = 1 goes on, and
    # 1.0 is better: pruned. Counting the trial's copy in the list too would make n = 6, two go
    # on, and it would stay.
    four = [complete(i, {1: v}) for i, v in enumerate([1.0, 3.0, 4.0, 5.0])]
    assert decide(SuccessiveHalvingPruner(), {1: 2.0}, others=four, stale_copy=False) is True
    assert decide(SuccessiveHalvingPruner(), {1: 2.0}, others=[*four, running(50, {1: 2.0})]) is False  # n = 6


def test_min_resource_and_min_early_stopping_rate():
    # min_resource 2, eta 2: rungs at 2, 4, 8. Trial 0 has 1.0 at rung 0 (step 2).
    one = [complete(0, {1: 0.5, 2: 1.0})]
    pruner = SuccessiveHalvingPruner(min_resource=2, reduction_factor=2)
    assert decide(pruner, {1: 5.0}, others=one) is False  # step 1: below the first rung
    assert decide(pruner, {1: 5.0, 2: 5.0}, others=one) is True
    # min_early_stopping_rate 1 with min_resource 1, eta 3: first rung at 3.
    late = SuccessiveHalvingPruner(min_early_stopping_rate=1)
    assert decide(late, {0: 9.0, 1: 100.0}) is False
    # its rung 0 (step 3) holds 3.0, 5.0 (finished) and 1.0 (running): 2.0 has 1.0 better, n = 4
    assert decide(late, {0: 9.0, 1: 100.0, 3: 2.0}) is True


def test_rung_helpers():
    assert list(rung_steps(1, 3, 30)) == [1, 3, 9, 27]
    assert list(rung_steps(2, 2, 1)) == []
    assert rung_values_of({0: 5.0, 2: 4.0, 10: 3.0}, 1, 3) == [4.0, 3.0, 3.0]  # steps 2, 10, 10
    assert rung_values_of({}, 1, 3) == []
    assert reaches_rung(1, 0, 1, 3) and reaches_rung(3, 2, 1, 3) and reaches_rung(9, None, 1, 3)
    assert not reaches_rung(2, 1, 1, 3) and not reaches_rung(0, None, 1, 3)
    assert not reaches_rung(9, 3, 1, 3, bound=9)  # the rung at 9 is not below the bound


def test_asha_alias():
    assert ASHAPruner is SuccessiveHalvingPruner
