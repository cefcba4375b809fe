"""Hyperband runs its whole plan: `minimize` without `n_trials`, the warning when `n_trials`
cuts a bracket short, `Result.n_full_budget`, and the best trial at the full budget."""

from __future__ import annotations

import warnings
from collections import Counter

import pytest

import hpcore
from hpcore import Study
from hpcore.hyperband_plan import hyperband_plan, plan_n_trials
from hpcore.strategies.base import PlanCutShortWarning
from hpcore.strategies.hyperband import Hyperband

SPACE = hpcore.Space({"x": hpcore.Float(0.0, 1.0)})

# Li et al. (JMLR 2018), Table 1 for R = 81, eta = 3, and the same computation for R = 243, done
# by hand: per bracket s, the (r_i, n_i) of its rungs, with n = ceil((s_max + 1) / (s + 1) * eta^s),
# r_i = R * eta^(i - s) and n_i = floor(n * eta^-i).
LI_ET_AL = {
    81: {
        4: [(1, 81), (3, 27), (9, 9), (27, 3), (81, 1)],
        3: [(3, 34), (9, 11), (27, 3), (81, 1)],
        2: [(9, 15), (27, 5), (81, 1)],
        1: [(27, 8), (81, 2)],
        0: [(81, 5)],
    },
    243: {
        5: [(1, 243), (3, 81), (9, 27), (27, 9), (81, 3), (243, 1)],
        4: [(3, 98), (9, 32), (27, 10), (81, 3), (243, 1)],
        3: [(9, 41), (27, 13), (81, 4), (243, 1)],
        2: [(27, 18), (81, 6), (243, 2)],
        1: [(81, 9), (243, 3)],
        0: [(243, 6)],
    },
}


def evaluations_per_budget(table: dict[int, list[tuple[int, int]]]) -> Counter:
    out: Counter = Counter()
    for rungs in table.values():
        for budget, n in rungs:
            out[budget] += n
    return out


def cheap(params: dict, budget: int) -> float:
    """Lower is better; a low budget looks better than it is, so a cut-short run is misled."""
    return (params["x"] - 0.3) ** 2 + budget / 243


def test_the_tables_themselves() -> None:
    # 206 evaluations for R = 81 (143 configurations), 611 for R = 243 (415 configurations).
    assert sum(evaluations_per_budget(LI_ET_AL[81]).values()) == 206
    assert sum(evaluations_per_budget(LI_ET_AL[243]).values()) == 611
    for R, table in LI_ET_AL.items():
        plan = hyperband_plan(1, R, 3)
        assert {b.s: [(r.budget, r.n_configs) for r in b.rungs] for b in plan} == table
        assert plan_n_trials(plan) == sum(b.n_trials for b in plan) == sum(evaluations_per_budget(table).values())


@pytest.mark.parametrize("R", [81, 243])
def test_minimize_without_n_trials_runs_the_whole_plan(R: int) -> None:
    r = hpcore.minimize(cheap, SPACE, strategy=Hyperband(min_budget=1, max_budget=R, eta=3), seed=0,
                        verbose=False)
    assert Counter(t.budget for t in r.trials) == evaluations_per_budget(LI_ET_AL[R])
    assert all(t.ok for t in r.trials)
    assert r.n_full_budget == evaluations_per_budget(LI_ET_AL[R])[R]
    assert r.best_trial.budget == R


def test_maximize_and_study_optimize_without_n_trials_run_the_whole_plan() -> None:
    r = hpcore.maximize(lambda p, budget: -cheap(p, budget), SPACE, strategy=Hyperband(1, 81, 3), seed=1,
                        verbose=False)
    assert len(r.trials) == 206 and r.best_trial.budget == 81
    study = Study(SPACE, strategy=Hyperband(1, 27, 3, iterations=2), seed=0)
    assert len(study.optimize(cheap, verbose=False).trials) == 2 * plan_n_trials(hyperband_plan(1, 27, 3))


def test_a_given_n_trials_that_cuts_a_bracket_short_warns_once() -> None:
    with pytest.warns(PlanCutShortWarning) as caught:
        r = hpcore.minimize(cheap, SPACE, strategy=Hyperband(1, 81, 3), n_trials=100, seed=0, verbose=False)
    assert len(caught) == 1 and len(r.trials) == 100
    message = str(caught[0].message)
    assert "n_trials=100" in message and "206 trials" in message and "bracket 4" in message
    assert caught[0].filename == __file__  # points at the caller, not into hpcore
    assert r.n_full_budget == 0 and r.best_trial.budget == 3  # nothing reached 81: said by the result


@pytest.mark.parametrize("n_trials", [0, 121, 170, 206, 500])
def test_no_warning_when_no_bracket_is_cut(n_trials: int) -> None:
    # 121 and 170 end brackets 4 and 3; 206 and more run the whole plan.
    with warnings.catch_warnings():
        warnings.simplefilter("error", PlanCutShortWarning)
        r = hpcore.minimize(cheap, SPACE, strategy=Hyperband(1, 81, 3), n_trials=n_trials, seed=0,
                            verbose=False)
    assert len(r.trials) == min(n_trials, 206)


def test_the_warning_counts_from_where_a_resumed_study_stands() -> None:
    study = Study(SPACE, strategy=Hyperband(1, 81, 3), seed=0)
    with pytest.warns(PlanCutShortWarning):
        study.optimize(cheap, n_trials=100, verbose=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PlanCutShortWarning)
        study.optimize(cheap, n_trials=21, verbose=False)  # finishes bracket 4: trial 121
    with pytest.warns(PlanCutShortWarning, match="85 still to run"):
        study.optimize(cheap, n_trials=10, verbose=False)


def test_best_trial_prefers_full_budget_trials() -> None:
    # Low budgets give better values here (see `cheap`); the best is still a full-budget trial.
    r = hpcore.minimize(cheap, SPACE, strategy=Hyperband(1, 27, 3), seed=0, verbose=False)
    assert min(t.value for t in r.trials) < r.best_value
    assert r.best_trial.budget == 27 and r.best_trial == r.study.best_trial
    assert r.best_value == min(t.value for t in r.trials if t.budget == 27)


def test_n_full_budget_is_none_without_budgets() -> None:
    r = hpcore.minimize(lambda p: p["x"], SPACE, n_trials=3, seed=0, verbose=False)
    assert r.n_full_budget is None


def test_progress_bar_total_is_the_plan(capsys: pytest.CaptureFixture) -> None:
    hpcore.minimize(cheap, SPACE, strategy=Hyperband(1, 81, 3), seed=0, verbose=True)
    err = capsys.readouterr().err
    assert "206/206" in err and "/100" not in err
    assert "143 configurations, total budget 1902 (1581 with continuation), 206 trials" in err


def test_planned_trials_counts_what_is_left() -> None:
    hb = Hyperband(1, 81, 3, iterations=2)
    study = Study(SPACE, strategy=hb, seed=0)
    assert study.strategy.planned_trials(SPACE, []) == 412
    with pytest.warns(PlanCutShortWarning):
        study.optimize(cheap, n_trials=50, verbose=False)
    assert study.strategy.planned_trials(SPACE, study.trials) == 362
    study.optimize(cheap, verbose=False)
    assert study.strategy.planned_trials(SPACE, study.trials) == 0 and len(study.trials) == 412


def test_a_plain_script_shows_the_warning_once_and_the_plan_total(tmp_path) -> None:
    import subprocess
    import sys

    script = tmp_path / "hb.py"
    script.write_text(
        "import hpcore\n"
        "space = hpcore.Space({'x': hpcore.Float(0.0, 1.0)})\n"
        "f = lambda p, budget: (p['x'] - 0.3) ** 2 + budget / 243\n"
        "r = hpcore.minimize(f, space, strategy=hpcore.Hyperband(1, 81, 3), seed=0)\n"
        "print('whole', len(r.trials), r.n_full_budget, r.best_trial.budget)\n"
        "r = hpcore.minimize(f, space, strategy=hpcore.Hyperband(1, 81, 3), n_trials=100, seed=0, verbose=False)\n"
        "print('cut', len(r.trials), r.n_full_budget, r.best_trial.budget)\n"
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stderr
    ours = [line for line in done.stdout.splitlines() if not line.startswith("hpcore:")]
    assert ours == ["whole 206 10 81", "cut 100 0 3"]
    assert "206/206" in done.stderr
    assert done.stderr.count("PlanCutShortWarning") == 1 and f"{script}:6: PlanCutShortWarning" in done.stderr
