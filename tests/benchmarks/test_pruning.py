"""benchmarks/pruning.py: equal compute for every method, its bookkeeping and its verdicts (not
its figures: those come from the full run in docs/pruning.md)."""

from __future__ import annotations

import math

import pytest
from hpcore.benchmarks import pruning
from hpcore.benchmarks.functions import learning_curve

PROBLEM = pruning.learning_curve_problem()
TOTAL = 3 * PROBLEM.max_steps


def test_step_budget_stops_at_its_total():
    budget = pruning.StepBudget(2)
    assert [budget.take() for _ in range(4)] == [True, True, False, False]
    assert budget.spent == 2


def test_run_bookkeeping():
    run = pruning.Run("m", 0)
    for spent, final in [(10, None), (91, 0.3), (100, None), (181, 0.2)]:
        run.add(spent, final)
    assert run.best_final() == 0.2 and run.best_final(within=100) == 0.3 and math.isnan(run.best_final(50))
    assert run.steps_to(0.3) == 91 and run.steps_to(0.25) == 181 and run.steps_to(0.1) == math.inf


# (bayes runs the same code as random, with a GP fit per trial: seconds, left out)
@pytest.mark.parametrize("method", ["random", "random+asha", "random+hyperband", "hyperband", "optuna-tpe+median"])
def test_every_method_spends_the_same_steps(method):
    if method.startswith("optuna"):
        pytest.importorskip("optuna")
    run = pruning.run_method(method, PROBLEM, seed=0, total=TOTAL)
    assert run.spent[-1] == TOTAL and run.spent == sorted(run.spent)
    if method != "hyperband":  # its first bracket alone needs more than 3 full trainings to reach the end
        assert any(math.isfinite(f) for f in run.final)


def test_hpcore_runs_repeat_with_their_seed_and_finals_are_full_trainings():
    a = pruning.run_method("random+median", PROBLEM, seed=3, total=TOTAL)
    b = pruning.run_method("random+median", PROBLEM, seed=3, total=TOTAL)
    assert (a.spent, a.final) == (b.spent, b.final)
    # the finals are values at the last epoch: no pruned trial's early value gets in
    import hpcore

    study = hpcore.Study(PROBLEM.space(), strategy="random", seed=3)
    full = {round(learning_curve(study.ask().params, PROBLEM.max_steps, seed=3), 12) for _ in range(len(a.final))}
    assert {round(f, 12) for f in a.final if math.isfinite(f)} <= full


def test_unknown_methods_are_refused():
    with pytest.raises(ValueError, match="unknown pruner 'nope'"):
        pruning.run_method("random+nope", PROBLEM, 0, TOTAL)
    with pytest.raises(ValueError, match="unknown method 'grid'"):
        pruning.run_method("grid", PROBLEM, 0, TOTAL)
    with pytest.raises(ValueError, match="Optuna runs with"):
        pruning.run_method("optuna-tpe+patient", PROBLEM, 0, TOTAL)


def _summary(method: str, best: float, to_target: float) -> pruning.Summary:
    return pruning.Summary(method, best, best, best, best, 900, 10, to_target, 3, 3, 1.0)


def test_verdicts_say_plainly_whether_each_target_is_met():
    total = 900
    met = pruning.verdicts([_summary("random", 0.05, 800), _summary("bayes", 0.03, 100),
                            _summary("bayes+median", 0.041, 250), _summary("optuna-tpe+asha", 0.043, 400),
                            _summary("optuna-tpe", 0.02, 100)], total)
    # pruned methods against pruned pairs: plain bayes and plain TPE are not in the comparison
    assert met[0].startswith("- Target 1 (met)") and "bayes+median" in met[0] and "optuna-tpe+asha" in met[0]
    assert met[1].startswith("- Target 2 (met)") and "after 250 steps" in met[1]
    missed = pruning.verdicts([_summary("random", 0.05, 800), _summary("random+asha", 0.045, math.inf),
                               _summary("optuna-tpe+asha", 0.043, 400)], total)
    assert missed[0].startswith("- Target 1 (missed)") and missed[1].startswith("- Target 2 (missed)")
    assert "never" in missed[1]


def test_quick_command_prints_a_table_of_the_methods(capsys):
    pytest.importorskip("optuna")
    text = pruning.main(["--quick", "--methods", "random,random+median,optuna-tpe+median"])
    rows = [line.split("|")[1].strip() for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    assert rows == ["method", "random", "random+median", "optuna-tpe+median"]
    assert "B = 4 x 81 = 324 steps, 2 seeds" in text and "Target 1" in text
