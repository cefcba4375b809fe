"""Tests for the Hyperband bracket plan (hpcore.hyperband_plan)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from hpcore.hyperband_plan import (
    Bracket,
    Rung,
    _check_rung_budgets,
    format_plan,
    hyperband_plan,
    plan_n_trials,
    plan_total_budget,
)


def table(brackets: tuple[Bracket, ...]) -> list[tuple[int, list[tuple[int, object]]]]:
    """(s, [(n_configs, budget), ...]) per bracket, for comparing with hand-computed plans."""
    return [(b.s, [(r.n_configs, r.budget) for r in b.rungs]) for b in brackets]


def test_r81_eta3_hand_computed_table() -> None:
    assert table(hyperband_plan(1, 81, 3)) == [
        (4, [(81, 1), (27, 3), (9, 9), (3, 27), (1, 81)]),
        (3, [(34, 3), (11, 9), (3, 27), (1, 81)]),
        (2, [(15, 9), (5, 27), (1, 81)]),
        (1, [(8, 27), (2, 81)]),
        (0, [(5, 81)]),
    ]


def test_r81_totals() -> None:
    plan = hyperband_plan(1, 81, 3)
    assert [b.n_configs for b in plan] == [81, 34, 15, 8, 5]
    assert [b.total_budget() for b in plan] == [405, 363, 351, 378, 405]
    # continuation: 81*1 + 27*(3-1) + 9*(9-3) + 3*(27-9) + 1*(81-27)
    assert plan[0].total_budget(continued=True) == 297
    assert plan[-1].total_budget(continued=True) == 405
    assert plan_total_budget(plan) == 1902
    assert plan_total_budget(plan, continued=True) == sum(b.total_budget(True) for b in plan)


def test_r243_eta3_has_six_brackets() -> None:
    # math.log(243, 3) == 4.999..., a float log would give s_max = 4.
    plan = hyperband_plan(1, 243, 3)
    assert [b.s for b in plan] == [5, 4, 3, 2, 1, 0]
    assert [r.budget for r in plan[0].rungs] == [1, 3, 9, 27, 81, 243]
    assert [r.n_configs for r in plan[0].rungs] == [243, 81, 27, 9, 3, 1]
    assert [b.n_configs for b in plan] == [243, 98, 41, 18, 9, 6]


def test_r27_eta3() -> None:
    assert table(hyperband_plan(1, 27, 3)) == [
        (3, [(27, 1), (9, 3), (3, 9), (1, 27)]),
        (2, [(12, 3), (4, 9), (1, 27)]),
        (1, [(6, 9), (2, 27)]),
        (0, [(4, 27)]),
    ]


def test_float_budgets() -> None:
    plan = hyperband_plan(0.1, 1.0, 3)
    assert [b.s for b in plan] == [2, 1, 0]
    assert [[r.n_configs for r in b.rungs] for b in plan] == [[9, 3, 1], [5, 1], [3]]
    for b in plan:
        for r in b.rungs:
            assert isinstance(r.budget, float)
        assert b.rungs[-1].budget == 1.0
    assert [r.budget for r in plan[0].rungs] == pytest.approx([1 / 9, 1 / 3, 1.0], rel=1e-15)
    assert plan[0].total_budget() == pytest.approx(3.0)
    assert plan[0].total_budget(continued=True) == pytest.approx(1 + 3 * (1 / 3 - 1 / 9) + (1 - 1 / 3))


def test_float_budgets_read_as_written_decimals() -> None:
    # In binary 0.1 * 10 > 1.0 and 0.3 * 3 < 0.9; the plan must follow the decimals.
    assert [b.s for b in hyperband_plan(0.1, 1.0, 10)] == [1, 0]
    assert [r.budget for r in hyperband_plan(0.1, 1.0, 10)[0].rungs] == [0.1, 1.0]
    assert [b.s for b in hyperband_plan(0.3, 0.9, 3)] == [1, 0]


def test_mixed_int_float_bounds_give_float_budgets() -> None:
    plan = hyperband_plan(1, 9.0, 3)
    assert [r.budget for r in plan[0].rungs] == [1.0, 3.0, 9.0]
    assert all(isinstance(r.budget, float) for b in plan for r in b.rungs)


def test_non_integer_ratio() -> None:
    # r=2, R=100: 2*27 <= 100 < 2*81 so s_max = 3; budgets 100/27, 100/9, 100/3 rounded half-up.
    plan = hyperband_plan(2, 100, 3)
    assert [b.s for b in plan] == [3, 2, 1, 0]
    assert [r.budget for r in plan[0].rungs] == [4, 11, 33, 100]
    # float version keeps exact values
    fplan = hyperband_plan(0.25, 1.0, 3)
    assert [b.s for b in fplan] == [1, 0]
    assert [r.budget for r in fplan[0].rungs] == pytest.approx([1 / 3, 1.0])


def test_min_equals_max_is_single_bracket() -> None:
    assert table(hyperband_plan(5, 5, 3)) == [(0, [(1, 5)])]


@pytest.mark.parametrize("eta", [2, 3, 4, 5, 7])
def test_integer_budgets_are_valid_for_many_bounds(eta: int) -> None:
    for r in range(1, 8):
        for R in range(r, 400, 7):
            plan = hyperband_plan(r, R, eta)
            s_max = plan[0].s
            assert r * eta**s_max <= R < r * eta ** (s_max + 1)
            assert [b.s for b in plan] == list(range(s_max, -1, -1))
            for b in plan:
                budgets = [rung.budget for rung in b.rungs]
                assert all(type(x) is int for x in budgets)
                assert len(budgets) == b.s + 1
                assert all(lo < hi for lo, hi in itertools.pairwise(budgets)), budgets
                assert r <= budgets[0] and budgets[-1] == R
                counts = [rung.n_configs for rung in b.rungs]
                assert counts[0] == math.ceil((s_max + 1) * eta**b.s / (b.s + 1))
                assert all(c >= 1 for c in counts)
                assert all(c_next == counts[0] // eta ** (i + 1) for i, c_next in enumerate(counts[1:]))


def test_duplicate_rung_guard() -> None:
    with pytest.raises(ValueError, match="repeated budget"):
        _check_rung_budgets([1, 1, 3], 1, 3)
    with pytest.raises(ValueError, match="outside"):
        _check_rung_budgets([1, 3, 10], 1, 9)
    _check_rung_budgets([1, 3, 9], 1, 9)


def test_numpy_and_integral_float_inputs() -> None:
    assert table(hyperband_plan(np.int64(1), np.int64(27), 3)) == table(hyperband_plan(1, 27, 3))
    assert all(type(r.budget) is int for b in hyperband_plan(np.int64(1), np.int64(27)) for r in b.rungs)
    assert table(hyperband_plan(1, 27, 3.0)) == table(hyperband_plan(1, 27, 3))
    assert table(hyperband_plan(np.float64(0.1), 1.0)) == table(hyperband_plan(0.1, 1.0))


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"min_budget": 0, "max_budget": 81}, ValueError, "min_budget"),
        ({"min_budget": -1.0, "max_budget": 81}, ValueError, "min_budget"),
        ({"min_budget": 10, "max_budget": 9}, ValueError, "max_budget"),
        ({"min_budget": 0.5, "max_budget": 0.25}, ValueError, "max_budget"),
        ({"min_budget": 1, "max_budget": 81, "eta": 1}, ValueError, "eta"),
        ({"min_budget": 1, "max_budget": 81, "eta": 0}, ValueError, "eta"),
        ({"min_budget": 1, "max_budget": 81, "eta": 2.5}, ValueError, "eta"),
        ({"min_budget": 1, "max_budget": 81, "eta": "3"}, TypeError, "eta"),
        ({"min_budget": 1, "max_budget": 81, "eta": True}, TypeError, "eta"),
        ({"min_budget": "1", "max_budget": 81}, TypeError, "min_budget"),
        ({"min_budget": 1, "max_budget": None}, TypeError, "max_budget"),
        ({"min_budget": True, "max_budget": 81}, TypeError, "min_budget"),
        ({"min_budget": 1, "max_budget": float("inf")}, ValueError, "max_budget"),
        ({"min_budget": float("nan"), "max_budget": 81}, ValueError, "min_budget"),
    ],
)
def test_invalid_inputs(kwargs: dict, exc: type, match: str) -> None:
    with pytest.raises(exc, match=match):
        hyperband_plan(**kwargs)


def test_dataclasses_are_frozen() -> None:
    rung = Rung(budget=3, n_configs=2)
    with pytest.raises(AttributeError):
        rung.budget = 4  # type: ignore[misc]
    bracket = Bracket(s=0, rungs=(rung,))
    with pytest.raises(AttributeError):
        bracket.s = 1  # type: ignore[misc]
    assert bracket.total_budget() == 6 and bracket.total_budget(continued=True) == 6


def test_format_plan() -> None:
    text = format_plan(hyperband_plan(1, 81, 3))
    lines = text.splitlines()
    assert lines[0].split() == ["bracket", "rung", "configs", "budget", "each", "rung", "total"]
    assert lines[2].split() == ["4", "0", "81", "1", "81"]
    assert any(line.split() == ["3", "0", "34", "3", "102"] for line in lines)
    assert "bracket 4 total: 405 (297 with continuation)" in text
    assert lines[-1] == (
        "one iteration: 5 brackets, 143 configurations, total budget 1902 (1581 with continuation), 206 trials"
    )
    float_text = format_plan(hyperband_plan(0.1, 1.0, 10))
    assert any(line.split() == ["1", "0", "10", "0.1", "1"] for line in float_text.splitlines())


def test_trials_per_bracket_are_the_sum_of_its_rungs() -> None:
    plan = hyperband_plan(1, 81, 3)
    assert [b.n_trials for b in plan] == [121, 49, 21, 10, 5]
    assert plan_n_trials(plan) == 206 and plan_n_trials(hyperband_plan(1, 243, 3)) == 611
    assert plan_n_trials(()) == 0
