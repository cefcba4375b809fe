"""Study: ask/tell, warm starts, failures, seeding, optimize options."""

import math
import threading

import numpy as np
import pytest

import hpcore
from hpcore import Choice, Float, Int, Space, Study, TrialState
from hpcore.strategies.base import STRATEGIES
from tests.objectives import quadratic

SPACE = Space({"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)})


def test_minimize_and_maximize_find_the_right_end():
    r = hpcore.minimize(quadratic, SPACE, n_trials=60, seed=0, verbose=False)
    assert r.best_value == min(t.value for t in r.trials)
    assert r.best_params == dict(r.best_trial.params) and len(r.trials) == 60
    r = hpcore.maximize(quadratic, SPACE, n_trials=60, seed=0, verbose=False)
    assert r.best_value == max(t.value for t in r.trials)


def test_trial_records_have_the_documented_fields():
    r = hpcore.minimize(quadratic, SPACE, n_trials=3, seed=0, verbose=False)
    t = r.trials[0]
    assert (t.id, t.state, t.budget, t.error) == (0, TrialState.COMPLETE, None, None)
    assert t.duration is not None and t.duration >= 0
    assert set(t.params) == {"x", "y"}


def test_ask_tell_round_trip():
    study = Study(SPACE, seed=1)
    trial = study.ask()
    assert trial.state is TrialState.RUNNING
    done = study.tell(trial, 0.13)
    assert done.state is TrialState.COMPLETE and done.value == 0.13
    assert study.best_value == 0.13
    with pytest.raises(ValueError, match="already COMPLETE"):
        study.tell(trial, 0.2)
    with pytest.raises(ValueError, match="no trial 5"):
        study.tell(5, 0.2)


def test_tell_with_exception_stores_the_traceback():
    study = Study(SPACE, seed=1)
    trial = study.ask()
    try:
        raise RuntimeError("boom")
    except RuntimeError as e:
        t = study.tell(trial, exception=e)
    assert t.state is TrialState.FAILED and "RuntimeError: boom" in t.error and "Traceback" in t.error


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, "0.1x", None, True, [1, 2]])
def test_nan_inf_and_non_numbers_make_a_failed_trial_not_a_best_one(bad):
    study = Study(SPACE, seed=1)
    t = study.tell(study.ask(), bad)
    assert t.state is TrialState.FAILED and t.value is None and "objective returned" in t.error
    assert study.best_trial is None
    study.tell(study.ask(), 1.0)
    assert study.best_value == 1.0


def test_numpy_scalars_and_dict_results_are_accepted():
    study = Study(SPACE, seed=1)
    assert study.tell(study.ask(), np.float32(0.5)).value == 0.5
    t = study.tell(study.ask(), {"value": np.array(0.25), "accuracy": 0.9})
    assert t.value == 0.25 and t.user_attrs == {"accuracy": 0.9}


def test_failing_objective_gives_failed_trials_and_the_study_goes_on():
    def objective(p):
        if p["x"] > 0.5:
            raise ValueError("bad x")
        if p["y"] > 0.8:
            return math.nan
        return p["x"]

    r = hpcore.minimize(objective, SPACE, n_trials=40, seed=3, verbose=False)
    states = [t.state for t in r.trials]
    assert len(r.trials) == 40 and TrialState.FAILED in states and TrialState.COMPLETE in states
    failed = [t for t in r.trials if t.state is TrialState.FAILED]
    assert all(("ValueError: bad x" in t.error) or ("nan" in t.error) for t in failed)
    assert not math.isnan(r.best_value)


def test_all_trials_failing_raises_with_the_first_error():
    def objective(p):
        raise KeyError("missing-thing")

    with pytest.raises(hpcore.TooManyFailures, match="missing-thing"):
        hpcore.minimize(objective, SPACE, n_trials=3, seed=0, verbose=False)


def test_max_failures_guard_and_catch_option():
    calls = []

    def objective(p):
        calls.append(1)
        raise ValueError("x")

    study = Study(SPACE, seed=0)
    with pytest.raises(hpcore.TooManyFailures, match="max_failures=2"):
        study.optimize(objective, n_trials=50, max_failures=2, verbose=False)
    assert len(calls) == 3
    assert all(t.state is TrialState.FAILED for t in study.trials)

    with pytest.raises(ValueError, match="^x$"):
        study.optimize(objective, n_trials=5, catch=(KeyError,), verbose=False)
    assert all(t.state is TrialState.FAILED for t in study.trials)


def test_keyboard_interrupt_leaves_no_running_trial(tmp_path):
    def objective(p):
        if p["x"] > 0.6:
            raise KeyboardInterrupt
        return p["x"]

    db = tmp_path / "s.db"
    study = Study(SPACE, storage=db, name="ki", seed=4)
    with pytest.raises(KeyboardInterrupt):
        study.optimize(objective, n_trials=100, verbose=False)
    states = [t.state for t in study.trials]
    assert TrialState.RUNNING not in states and states[-1] is TrialState.FAILED
    resumed = Study(storage=db, name="ki")
    assert [t.state for t in resumed.trials] == states


def test_add_records_results_without_evaluating_them():
    study = Study(SPACE, seed=0)
    t = study.add({"x": 0.3, "y": 0.1}, 0.0)
    assert t.state is TrialState.COMPLETE and t.meta["source"] == "added"
    calls = []
    study.optimize(lambda p: calls.append(p) or 1.0, n_trials=2, verbose=False)
    assert len(calls) == 2 and study.best_params == {"x": 0.3, "y": 0.1}
    with pytest.raises(ValueError, match="parameter 'x': value 3 is outside"):
        study.add({"x": 3, "y": 0.1}, 0.5)


def test_enqueued_configurations_run_first_in_order():
    study = Study(SPACE, seed=0)
    study.enqueue({"x": 0.11, "y": 0.2})
    study.enqueue({"x": 0.22, "y": 0.2})
    seen = []
    study.optimize(lambda p: seen.append(p["x"]) or 0.0, n_trials=3, verbose=False)
    assert seen[:2] == [0.11, 0.22] and len(seen) == 3


def test_warm_start_and_queue_work_with_every_strategy():
    space = Space({"a": Int(1, 4), "c": Choice(["p", "q"])})
    for name in STRATEGIES():
        if name == "hyperband":
            continue  # needs a budget-taking objective, covered in its own tests
        study = Study(space, strategy=name, seed=0)
        study.add({"a": 1, "c": "p"}, 0.5)
        study.enqueue({"a": 2, "c": "q"})
        r = study.optimize(lambda p: p["a"], n_trials=4, verbose=False)
        params = [dict(t.params) for t in r.trials]
        assert params[1] == {"a": 2, "c": "q"}, name
        assert len({tuple(sorted(p.items())) for p in params}) == len(params), name


def test_grid_search_runs_every_point_once_then_stops():
    space = Space({"a": Int(1, 3), "c": Choice(["x", "y"]), "m": Float(0, 1, step=0.5, condition={"c": "x"})})
    r = hpcore.minimize(lambda p: p["a"], space, strategy="grid", n_trials=100, verbose=False)
    assert len(r.trials) == 3 * (3 + 1) == len({space.key(t.params) for t in r.trials})
    assert hpcore.GridSearch().describe(space) == "grid search over 12 points"


def test_random_search_stops_when_a_finite_space_is_exhausted():
    space = Space({"a": Int(1, 3), "b": Choice(["x", "y"])})
    r = hpcore.minimize(lambda p: p["a"], space, n_trials=50, seed=0, verbose=False)
    assert len(r.trials) == 6 == len({space.key(t.params) for t in r.trials})
    with pytest.raises(hpcore.StudyExhausted):
        r.study.ask()


def test_grid_points_for_continuous_floats():
    space = Space({"lr": Float(1e-4, 1e-2, log=True), "b": hpcore.Bool()})
    r = hpcore.minimize(lambda p: p["lr"], space, strategy=hpcore.GridSearch(grid_points=3), verbose=False)
    assert len(r.trials) == 6 and r.best_value == pytest.approx(1e-4)
    with pytest.raises(ValueError, match="parameter 'lr': needs step="):
        Study(space, strategy="grid")


@pytest.mark.parametrize("name", [s for s in STRATEGIES() if s != "hyperband"])
def test_same_seed_same_configurations_for_every_strategy(name):
    space = Space({"x": Float(0, 1), "n": Int(1, 8), "c": Choice(["a", "b", "c"])})
    strategy = hpcore.GridSearch(grid_points=4, shuffle=True) if name == "grid" else name

    def run(seed):
        r = hpcore.minimize(lambda p: p["x"] + p["n"], space, strategy=strategy, n_trials=12, seed=seed,
                            verbose=False)
        return [dict(t.params) for t in r.trials]

    assert run(7) == run(7)
    assert run(7) != run(8)


def test_seed_zero_is_a_seed_and_none_draws_one():
    assert Study(SPACE, seed=0).seed == 0
    assert isinstance(Study(SPACE).seed, int)


def test_callbacks_and_stop():
    study = Study(SPACE, seed=0)
    seen = []

    def cb(s, t):
        seen.append(t.id)
        if len(seen) == 3:
            s.stop()

    study.optimize(quadratic, n_trials=10, callbacks=[cb], verbose=False)
    assert seen == [0, 1, 2]


def test_timeout_stops_starting_trials():
    import time

    study = Study(SPACE, seed=0)
    t0 = time.monotonic()
    study.optimize(lambda p: time.sleep(0.05) or 0.0, timeout=0.3, verbose=False)
    assert 2 <= len(study.trials) <= 10 and time.monotonic() - t0 < 2


def test_objective_signatures():
    with pytest.raises(TypeError, match="must be callable"):
        Study(SPACE).optimize(3, n_trials=1, verbose=False)
    with pytest.raises(TypeError, match="must accept the parameters"):
        Study(SPACE).optimize(lambda: 1.0, n_trials=1, verbose=False)
    got = {}
    Study(SPACE, seed=0).optimize(lambda p, budget=None: got.setdefault("b", budget) or 1.0, n_trials=1,
                                  verbose=False)
    assert got == {"b": None}  # an optional budget keeps its default without a budget-giving strategy
    Study(SPACE, seed=0).optimize(lambda p, trial: got.setdefault("t", trial.id) or 1.0, n_trials=1, verbose=False)
    assert got["t"] == 0


def test_invalid_arguments():
    with pytest.raises(ValueError, match="direction"):
        Study(SPACE, direction="up")
    with pytest.raises(ValueError, match="seed"):
        Study(SPACE, seed=-1)
    with pytest.raises(ValueError, match="unknown strategy 'nope'"):
        Study(SPACE, strategy="nope")
    with pytest.raises(ValueError, match="n_workers"):
        Study(SPACE).optimize(quadratic, n_trials=1, n_workers=0)
    with pytest.raises(ValueError, match="a new study needs a space"):
        Study()


def test_progress_bar_shows_best_and_is_silenced(capsys):
    hpcore.minimize(quadratic, SPACE, n_trials=5, seed=0, verbose=True)
    err = capsys.readouterr().err
    assert "5/5" in err and "best=" in err
    hpcore.minimize(quadratic, SPACE, n_trials=5, seed=0, verbose=False)
    assert capsys.readouterr().err == ""


def test_ask_tell_from_threads_shares_one_study():
    study = Study(SPACE, seed=0)

    def work():
        for _ in range(20):
            t = study.ask()
            study.tell(t, quadratic(t.params))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(t.id for t in study.trials) == list(range(80))


@pytest.mark.parametrize("name", ["random", "grid", "bayes"])
def test_an_objective_requiring_a_budget_is_refused_by_a_strategy_without_budgets(name):
    space = Space({"x": Float(0.0, 1.0, step=0.25)})
    study = Study(space, strategy=name, seed=0)
    with pytest.raises(TypeError, match=f"strategy {name!r} gives no budget") as e:
        study.optimize(lambda p, budget: p["x"] * budget, n_trials=3, verbose=False)
    assert "'budget'" in str(e.value) and "budget=None" in str(e.value)
    assert study.trials == []  # refused before any trial
    with pytest.raises(TypeError, match="gives no budget"):
        hpcore.minimize(lambda p, budget: p["x"], space, strategy=name, verbose=False)


def test_minimize_without_n_trials_runs_100_random_trials_and_the_whole_grid():
    assert len(hpcore.minimize(quadratic, SPACE, seed=0, verbose=False).trials) == 100
    space = Space({"a": Int(1, 15), "b": Int(1, 10)})  # 150 points
    r = hpcore.minimize(lambda p: p["a"] * p["b"], space, strategy="grid", verbose=False)
    assert len(r.trials) == 150 == len({space.key(t.params) for t in r.trials})
    assert r.n_full_budget is None


def test_progress_bar_total_is_the_grid_size(capsys):
    space = Space({"a": Int(1, 15), "b": Int(1, 10)})
    hpcore.minimize(lambda p: p["a"], space, strategy="grid", verbose=True)
    assert "150/150" in capsys.readouterr().err
    hpcore.minimize(lambda p: p["a"], space, strategy="grid", n_trials=20, verbose=True)
    assert "20/20" in capsys.readouterr().err


def test_best_trial_prefers_the_largest_budget_then_the_best_value():
    from hpcore.trial import Trial, best_trial

    def t(i, value, budget, state=TrialState.COMPLETE):
        return Trial(i, {"x": 0.1 * i}, state, value=value, budget=budget)

    trials = [t(0, 0.0, 1), t(1, 5.0, 9), t(2, 4.0, 9), t(3, None, 27, TrialState.FAILED), t(4, 9.0, None)]
    assert best_trial(trials, "minimize").id == 2  # budget 1 is better, but not comparable
    assert best_trial(trials, "maximize").id == 1
    assert best_trial([t(0, 1.0, None), t(1, 0.5, None)], "minimize").id == 1
    assert best_trial([t(0, None, 3, TrialState.FAILED)], "minimize") is None


def test_a_refused_resume_changes_nothing_and_names_each_difference(tmp_path):
    from hpcore.study import SettingsMismatch

    db = tmp_path / "s.db"
    Study(SPACE, strategy="random", storage=db, name="s", seed=1)
    with pytest.raises(SettingsMismatch) as info:  # the seed differs: switching the strategy is not enough
        Study(SPACE, strategy="grid", storage=db, name="s", seed=2, allow_changes=True)
    assert info.value.problems == {"seed": "stored 1, given 2"}
    assert Study(storage=db, name="s").strategy.name == "random"
    with pytest.raises(ValueError, match="strategy: stored .*random.*grid.* allow_changes=True") as info:
        Study(SPACE, strategy="grid", storage=db, name="s")
    assert set(info.value.problems) == {"strategy"} and str(info.value).count("allow_changes") == 1


def test_random_search_fallback_on_a_space_too_large_to_list():
    """After `max_tries` duplicate draws random search lists what is left, which a space of 2**31
    values cannot do: it keeps drawing instead (issue: huge ranges must never be enumerated)."""
    strategy = hpcore.RandomSearch()
    strategy.max_tries = 0  # go straight to the fallback
    space = Space({"seed": Int(0, 2**31 - 1)})
    r = hpcore.minimize(lambda p: p["seed"] % 7, space, strategy=strategy, n_trials=5, seed=0, verbose=False)
    assert len({t.params["seed"] for t in r.trials}) == 5
