"""HyperbandPruner: its brackets, how trials are spread over them, and decisions by hand."""

from __future__ import annotations

from collections import Counter

import pytest

from hpcore.hyperband_plan import hyperband_plan
from hpcore.pruners import HyperbandPruner
from hpcore.pruners.hyperband import bracket_sizes
from tests.pruners.made_trials import complete, pruned, running


def test_bracket_sizes_are_the_papers():
    # Li et al. (JMLR 2018), R = 81, eta = 3: 81, 34, 15, 8, 5 configurations.
    assert bracket_sizes(1, 81, 3) == [81, 34, 15, 8, 5]
    # s_max = 5 for R = 243 (where a floating-point log(243, 3) gives 4.999...)
    assert bracket_sizes(1, 243, 3) == [243, 98, 41, 18, 9, 6]
    assert bracket_sizes(1, 100, 3) == [81, 34, 15, 8, 5]  # 81 <= 100 < 243
    assert bracket_sizes(5, 5, 3) == [1]


@pytest.mark.parametrize(("r", "R", "eta"), [(1, 81, 3), (1, 243, 3), (2, 64, 2), (1, 1000, 10)])
def test_bracket_sizes_match_the_strategys_plan(r, R, eta):
    plan = hyperband_plan(r, R, eta)  # most exploratory bracket first, as bracket 0 here
    assert bracket_sizes(r, R, eta) == [b.n_configs for b in plan]


@pytest.mark.parametrize(("r", "R", "eta"), [(1, 81, 3), (1, 9, 3), (1, 16, 2)])
def test_every_cycle_of_ids_fills_the_brackets_exactly(r, R, eta):
    pruner = HyperbandPruner(r, max_resource=R, reduction_factor=eta)
    total = sum(pruner.sizes)
    for start in (0, total, 5 * total):
        counts = Counter(pruner.bracket_of(i) for i in range(start, start + total))
        assert [counts[b] for b in range(len(pruner.sizes))] == pruner.sizes


def test_the_first_ids_are_spread_over_brackets():
    # r = 1, R = 9, eta = 3: sizes 9, 5, 3 (T = 17), step a = round(17 / 1.618) = 11 (coprime with
    # 17); id i goes to the bracket of 11 i mod 17 in [0, 9) -> 0, [9, 14) -> 1, [14, 17) -> 2:
    # p = 0, 11, 5, 16, 10, 4, 15, 9, 3
    pruner = HyperbandPruner(1, max_resource=9, reduction_factor=3)
    assert [pruner.bracket_of(i) for i in range(9)] == [0, 1, 0, 2, 1, 0, 2, 1, 0]


# r = 1, R = 9, eta = 3. Bracket 0 (ids 0, 2, 5, 8): rungs at steps 1 and 3. Bracket 1 (ids 1, 4,
# 7): one rung, at 3. Bracket 2 (ids 3, 6): its first rung would be 9 = R, so it never prunes.
OTHERS = [
    complete(0, {1: 1.0, 3: 1.0, 9: 1.0}),   # bracket 0
    complete(1, {1: 0.1, 3: 0.1, 9: 0.1}),   # bracket 1
    pruned(2, {1: 2.0}),                     # bracket 0
]


def decide(values, trial_id, direction="minimize", others=OTHERS):
    pruner = HyperbandPruner(1, max_resource=9, reduction_factor=3)
    trial = running(trial_id, values)
    return pruner.prune(trial, [*others, trial], direction)


def test_trials_are_compared_within_their_bracket():
    # Trial 5 (bracket 0) at rung 0: 1.0, 2.0 and its 0.5: n = 3, one goes on; none better: stays.
    # Trial 1's 0.1 (bracket 1) does not count; with it, 0.1 would be better and 0.5 pruned.
    assert decide({1: 0.5}, 5) is False
    assert decide({1: 1.5}, 5) is True  # 1.0 is better
    assert decide({1: 0.5}, 5, "maximize") is True  # 1.0 and 2.0 are better, n = 3: one goes on


def test_each_bracket_has_its_own_rungs():
    # Trial 4 (bracket 1): step 1 is no rung of bracket 1.
    assert decide({1: 5.0}, 4) is False
    # at its rung (step 3): trial 1's 0.1 and its own: n = 2, one goes on, 0.1 is better
    assert decide({1: 5.0, 3: 0.5}, 4) is True
    assert decide({1: 5.0, 3: 0.05}, 4) is False
    # Trial 3 (bracket 2): nothing below R = 9, never judged
    # even beside a better trial of its bracket (6) that would prune it at any rung
    others = [*OTHERS, complete(6, {1: 0.0, 3: 0.0, 9: 0.0})]
    for values in ({1: 100.0}, {1: 100.0, 3: 100.0}, {1: 100.0, 3: 100.0, 9: 100.0}):
        assert decide(values, 3, others=others) is False


def test_no_cut_at_max_resource():
    # Trial 8 (bracket 0) at step 3: rung 1 holds trial 0's 1.0 (trial 2 never got there): 5.0 is pruned.
    assert decide({1: 0.5, 3: 5.0}, 8) is True
    # A report at R itself (step 9, after rung 1 at step 3) is not judged: the training is done
    # (successive halving alone would judge it at its rung at step 9).
    assert decide({1: 0.5, 3: 0.5, 9: 5.0}, 8) is False
    # From step 2 to step 9 the trial passes rung 1 (step 3): judged there, with 5.0.
    assert decide({1: 0.5, 2: 0.5, 9: 5.0}, 8) is True


def test_max_resource_is_required_and_checked():
    with pytest.raises(TypeError, match="max_resource"):
        HyperbandPruner()  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="max_resource must be >= min_resource"):
        HyperbandPruner(10, max_resource=5)
