"""Scores of benchmark runs (benchmarks/scoring.py): regret, normalised regret and ranks."""

from __future__ import annotations

import math

import pytest
from hpcore.benchmarks import scoring


def rec(method: str, seed: int, best: list[float], optimum: float | None = None, function: str = "f") -> dict:
    return {"method": method, "function": function, "seed": seed, "optimum": optimum, "best": best, "error": ""}


def test_regret_where_the_optimum_is_known() -> None:
    scale = scoring.problem_scales([rec("a", 0, [3.0, 1.5], optimum=1.0)], lambda n: None, lambda n, k: None)["f"]
    assert not scale.normalised
    assert scale.score(rec("a", 0, [3.0, 1.5]), 1) == 2.0 and scale.score(rec("a", 0, [3.0, 1.5]), 2) == 0.5
    assert scale.score(rec("a", 0, [1.0]), 1) == scoring.REGRET_FLOOR  # an exact hit stays finite in log10
    assert math.isnan(scale.score(rec("a", 0, [math.nan, 2.0]), 1))
    assert list(scale.regret_curve(rec("a", 0, [3.0, 1.0]))) == [2.0, scoring.REGRET_FLOOR]


def test_normalised_regret_between_the_reference_and_random_search() -> None:
    records = [rec("hpcore:random", s, [0.9, v]) for s, v in enumerate([0.5, 0.6, 0.7])]
    records += [rec("bayes", 0, [0.9, 0.3]), rec("bayes", 1, [0.9, 0.2])]
    # a stored reference (0.1) below everything found is f_ref; f_rand after 2 = median(0.5, 0.6, 0.7)
    scale = scoring.problem_scales(records, lambda n: 0.1, lambda n, k: None)["f"]
    assert scale.normalised and scale.reference == 0.1 and scale.reference_source == "stored reference"
    assert scale.random[2] == pytest.approx(0.6) and scale.random_source == "hpcore random in this run"
    assert scale.random[1] == pytest.approx(0.9)
    assert scale.score(records[3], 2) == pytest.approx((0.3 - 0.1) / (0.6 - 0.1))
    assert scale.score(records[1], 2) == pytest.approx(1.0)  # the random median scores 1
    # the floor: a method at the reference scores NORMALISED_FLOOR, not 0
    assert scale.score(rec("bayes", 2, [0.1]), 1) == scoring.NORMALISED_FLOOR
    # where f_rand is not above f_ref the score is undefined
    assert math.isnan(scoring.Scale(None, 0.5, "", {1: 0.5}).score(rec("x", 0, [0.7]), 1))


def test_the_reference_is_the_best_found_when_a_run_beats_the_stored_one() -> None:
    records = [rec("hpcore:random", 0, [0.5, 0.4]), rec("bayes", 0, [0.3, 0.05])]
    scale = scoring.problem_scales(records, lambda n: 0.1, lambda n, k: None)["f"]
    assert scale.reference == 0.05 and scale.reference_source == "best found in this run"
    assert scoring.problem_scales(records, lambda n: None, lambda n, k: None)["f"].reference == 0.05


def test_stored_random_medians_without_random_search_in_the_run() -> None:
    records = [rec("bayes", 0, [0.9, 0.3, 0.2])]
    stored = {3: 0.6}
    scale = scoring.problem_scales(records, lambda n: 0.1, lambda n, k: stored.get(k))["f"]
    assert scale.random == {3: 0.6} and scale.random_source == "stored random-search median"
    assert scale.score(records[0], 3) == pytest.approx(0.2)
    assert math.isnan(scale.score(records[0], 2))  # no f_rand stored at 2 evaluations


def test_ranks_by_final_value_where_the_optimum_is_unknown() -> None:
    records = [rec("a", 0, [5.0, 0.3]), rec("b", 0, [5.0, 0.2]), rec("c", 0, [5.0, 0.2]), rec("d", 0, [math.nan]),
               rec("a", 1, [0.1]), rec("b", 1, [0.3]), rec("c", 1, [0.2]), rec("d", 1, [0.4])]
    ranks = scoring.rank_table(records)
    assert ranks[("f", "a")] == pytest.approx((3 + 1) / 2)
    assert ranks[("f", "b")] == pytest.approx((1.5 + 3) / 2)
    assert ranks[("f", "c")] == pytest.approx((1.5 + 2) / 2)
    assert ranks[("f", "d")] == pytest.approx((4 + 4) / 2)


def test_failed_runs_are_left_out() -> None:
    bad = {**rec("a", 0, []), "error": "ValueError: no"}
    assert scoring.problem_scales([bad], lambda n: None, lambda n, k: None) == {}
    assert scoring.rank_table([bad]) == {}
