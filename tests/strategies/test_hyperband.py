"""Tests for the Hyperband strategy (hpcore.strategies.hyperband) on real studies."""

from __future__ import annotations

import sys
from collections import Counter, defaultdict

import pytest

import hpcore
from hpcore import Study, StudyExhausted, TrialState
from hpcore.hyperband_plan import format_plan, hyperband_plan
from hpcore.strategies.base import PlanCutShortWarning, make_strategy, strategy_from_config
from hpcore.strategies.hyperband import Hyperband

SPACE = hpcore.Space({"x": hpcore.Float(0.0, 1.0), "y": hpcore.Float(0.0, 1.0)})


def objective(params: dict, budget: float) -> float:
    """Module level, so worker processes can import it. Best at x = 0.3; more budget, less noise."""
    return (params["x"] - 0.3) ** 2 + 0.1 * params["y"] / budget


def key(t: hpcore.Trial) -> tuple:
    """(iteration, bracket, rung) of a trial made by Hyperband."""
    return t.meta["iteration"], t.meta["bracket"], t.meta["rung"]


def by_rung(trials: list[hpcore.Trial]) -> dict[tuple, list[hpcore.Trial]]:
    out: dict[tuple, list[hpcore.Trial]] = defaultdict(list)
    for t in trials:
        if "rung" in t.meta:
            out[key(t)].append(t)
    return out


def run(strategy: Hyperband, direction: str = "minimize", seed: int = 0, **kw) -> Study:
    study = Study(SPACE, strategy=strategy, direction=direction, seed=seed, **kw)
    study.optimize(objective, verbose=False)
    return study


def assert_top_k_promoted(study: Study) -> None:
    """Synchronous rule: rung i+1 holds exactly the best min(n_{i+1}, |OK|) configurations of rung i."""
    rungs = by_rung(study.trials)
    sign = 1 if study.direction == "minimize" else -1
    for b in study.strategy.brackets:
        for i in range(len(b.rungs) - 1):
            ok = sorted((t for t in rungs[(0, b.s, i)] if t.ok), key=lambda t: sign * t.value)
            expected = {t.config_id for t in ok[:b.rungs[i + 1].n_configs]}
            assert {t.config_id for t in rungs[(0, b.s, i + 1)]} == expected, (b.s, i)


# -- plan and description ------------------------------------------------------------------------
def test_plan_is_the_plan_module_table_and_is_printed_before_the_run(capsys: pytest.CaptureFixture) -> None:
    hb = Hyperband(1, 81, 3)
    assert hb.plan() == format_plan(hyperband_plan(1, 81, 3))
    assert hb.brackets == hyperband_plan(1, 81, 3)
    assert "2 iterations: total budget 3804 (3162 with continuation), 412 trials" in Hyperband(iterations=2).plan()
    assert hb.plan() in hb.describe(SPACE)
    Study(SPACE, strategy=Hyperband(1, 9, 3), seed=0).optimize(objective, verbose=True)
    err = capsys.readouterr().err
    assert "hpcore: Hyperband, budget 1 to 9" in err and format_plan(hyperband_plan(1, 9, 3)) in err


def test_settings_round_trip_and_registry() -> None:
    hb = Hyperband(1, 27, 3, iterations=2, asynchronous=False)
    assert hb.settings() == {"min_budget": 1, "max_budget": 27, "eta": 3, "iterations": 2,
                             "asynchronous": False, "sampler": "random", "random_fraction": 1 / 3}
    again = strategy_from_config(hb.config())
    assert isinstance(again, Hyperband) and again.settings() == hb.settings()
    assert isinstance(make_strategy("hyperband", max_budget=9), Hyperband)
    assert hpcore.Hyperband is Hyperband
    assert Hyperband.multi_fidelity and Hyperband.name == "hyperband"


# -- synchronous Hyperband ------------------------------------------------------------------------
def test_one_worker_traffic_matches_the_plan_and_promotes_the_top_k() -> None:
    study = run(Hyperband(1, 81, 3))
    trials = study.trials
    # (bracket, rung) blocks in the order they ran, each with its budget and size.
    blocks: list[list] = []
    for t in trials:
        if not blocks or blocks[-1][0] != key(t):
            blocks.append([key(t), t.budget, 0])
        blocks[-1][2] += 1
    expected = [[(0, b.s, i), r.budget, r.n_configs] for b in hyperband_plan(1, 81, 3)
                for i, r in enumerate(b.rungs)]
    assert blocks == expected  # also: every rung is finished before the next one starts
    assert [b[1:] for b in blocks[:5]] == [[1, 81], [3, 27], [9, 9], [27, 3], [81, 1]]
    assert all(t.state is TrialState.COMPLETE for t in trials) and len(trials) == 206
    assert_top_k_promoted(study)
    with pytest.raises(StudyExhausted):
        study.ask()


def test_maximize_promotes_the_highest() -> None:
    study = run(Hyperband(1, 27, 3), direction="maximize")
    assert_top_k_promoted(study)
    rungs = by_rung(study.trials)
    first, second = rungs[(0, 3, 0)], rungs[(0, 3, 1)]
    worst_promoted = min(t.value for t in first if t.config_id in {u.config_id for u in second})
    assert worst_promoted >= sorted((t.value for t in first), reverse=True)[len(second) - 1]
    assert study.best_trial.budget == 27 and study.best_value == max(t.value for t in study.trials if t.budget == 27)


def test_promotion_continues_a_configuration() -> None:
    trials = run(Hyperband(1, 27, 3)).trials
    new = [t for t in trials if t.meta["rung"] == 0]
    assert all(t.previous_budget is None for t in new)
    assert [t.config_id for t in new] == list(range(len(new)))  # one new id per new configuration
    first_trial = {t.config_id: t for t in new}
    last_budget: dict[int, object] = {}
    for t in trials:
        if t.meta["rung"] > 0:
            assert t.previous_budget == last_budget[t.config_id]
            assert t.params == first_trial[t.config_id].params
            assert t.meta["bracket"] == first_trial[t.config_id].meta["bracket"]
            assert "budget" not in t.params
        last_budget[t.config_id] = t.budget
    counts = Counter((t.config_id, t.budget) for t in trials)
    assert max(counts.values()) == 1


def test_budget_spent_with_continuation_matches_the_plan() -> None:
    trials = run(Hyperband(1, 81, 3)).trials
    spent = sum(t.budget - (t.previous_budget or 0) for t in trials)
    assert spent == sum(b.total_budget(continued=True) for b in hyperband_plan(1, 81, 3)) == 1581


def test_failed_configurations_are_dropped_without_blocking() -> None:
    def flaky(params: dict, budget: int) -> float:
        if (params["x"] > 0.35 and budget >= 3) or params["y"] > 0.3:
            raise RuntimeError("diverged")
        return objective(params, budget)

    study = Study(SPACE, strategy=Hyperband(1, 27, 3), seed=1)
    study.optimize(flaky, verbose=False)
    trials = study.trials
    assert any(t.state is TrialState.FAILED for t in trials)
    rungs = by_rung(trials)
    short = 0
    for b in study.strategy.brackets:
        for i in range(len(b.rungs) - 1):
            ok = sorted((t for t in rungs[(0, b.s, i)] if t.ok), key=lambda t: t.value)
            up = rungs[(0, b.s, i + 1)]
            assert len(up) == min(b.rungs[i + 1].n_configs, len(ok))  # fewer only when too few OK
            assert {t.config_id for t in up} == {t.config_id for t in ok[:len(up)]}
            short += len(up) < b.rungs[i + 1].n_configs
    assert short > 0  # rungs that lost more configurations than they promote still go on
    for b in study.strategy.brackets:  # a failure is a verdict: its configuration is not retried
        assert len(rungs[(0, b.s, 0)]) == b.n_configs
    with pytest.raises(StudyExhausted):
        study.ask()


# -- resume ----------------------------------------------------------------------------------------
def complete_set(trials: list[hpcore.Trial]) -> set[tuple]:
    return {(t.config_id, tuple(sorted(t.params.items())), t.budget, t.previous_budget, t.value,
             tuple(sorted(t.meta.items())))
            for t in trials if t.state is TrialState.COMPLETE}


@pytest.mark.parametrize("kill_at", [5, 30, 45, 61])
def test_resume_from_sqlite_mid_bracket_equals_an_uninterrupted_run(tmp_path, kill_at: int) -> None:
    reference = run(Hyperband(1, 27, 3), seed=7).trials
    path = tmp_path / "hb.db"
    calls = 0

    def interrupted(params: dict, budget: int) -> float:
        nonlocal calls
        calls += 1
        if calls == kill_at:
            raise KeyboardInterrupt
        return objective(params, budget)

    study = Study(SPACE, strategy=Hyperband(1, 27, 3), storage=path, name="hb", seed=7)
    with pytest.raises(KeyboardInterrupt):
        study.optimize(interrupted, verbose=False)
    assert len(study.trials) == kill_at and study.trials[-1].state is TrialState.FAILED
    study.storage.close()

    resumed = Study(storage=path, name="hb")  # space, strategy and seed from storage
    assert isinstance(resumed.strategy, Hyperband)
    resumed.optimize(objective, verbose=False)
    trials = resumed.trials
    assert len(trials) == len(reference) + 1  # the interrupted trial, issued again
    redo = trials[kill_at]
    lost = trials[kill_at - 1]
    assert (redo.params, redo.budget, redo.config_id, redo.meta) == (lost.params, lost.budget, lost.config_id, lost.meta)
    assert complete_set(trials) == complete_set(reference)
    resumed.storage.close()


def test_trial_left_running_by_a_dead_process_is_issued_again() -> None:
    study = Study(SPACE, strategy=Hyperband(1, 9, 3), seed=3)
    for _ in range(4):
        t = study.ask()
        study.tell(t, objective(t.params, t.budget))
    abandoned = study.ask()
    study.fail_running()  # what reopening does for a process that died
    again = study.ask()
    assert (again.params, again.config_id, again.budget, again.meta) == \
        (abandoned.params, abandoned.config_id, abandoned.budget, abandoned.meta)


def test_resume_with_changed_settings_is_refused_with_a_diff(tmp_path) -> None:
    path = tmp_path / "hb.db"
    study = Study(SPACE, strategy=Hyperband(1, 9, 3), storage=path, name="hb", seed=0)
    with pytest.warns(PlanCutShortWarning):  # stopped mid-bracket on purpose
        study.optimize(objective, n_trials=5, verbose=False)
    study.storage.close()
    with pytest.raises(ValueError, match="max_budget") as err:
        Study(SPACE, strategy=Hyperband(1, 27, 3), storage=path, name="hb")
    assert "'max_budget': 9" in str(err.value) and "'max_budget': 27" in str(err.value)
    # Extending the number of iterations on purpose continues the same study.
    more = Study(SPACE, strategy=Hyperband(1, 9, 3, iterations=2), storage=path, name="hb", allow_changes=True)
    more.optimize(objective, verbose=False)
    once = len(run(Hyperband(1, 9, 3)).trials)
    assert len(more.trials) == 2 * once
    assert Counter(t.meta["iteration"] for t in more.trials) == {0: once, 1: once}
    more.storage.close()


# -- asynchronous (ASHA) --------------------------------------------------------------------------
def optimize_until_done(study: Study, **kw) -> None:
    # Until the core retries a strategy that had nothing to give while trials were pending, one
    # `optimize` call may stop before the last promotions; the next call makes them.
    while True:
        n = len(study.trials)
        study.optimize(objective, verbose=False, **kw)
        if len(study.trials) == n:
            return


@pytest.mark.slow
def test_asha_with_parallel_workers() -> None:
    study = Study(SPACE, strategy=Hyperband(1, 27, 3), seed=5)
    optimize_until_done(study, n_workers=2)
    trials = study.trials
    assert all(t.state is TrialState.COMPLETE for t in trials)
    pairs = Counter((t.config_id, t.budget) for t in trials)
    assert max(pairs.values()) == 1
    rungs = by_rung(trials)
    # Promotions started while the bottom rung of the first bracket was still being filled.
    assert min(t.id for t in rungs[(0, 3, 1)]) < max(t.id for t in rungs[(0, 3, 0)])
    for b in study.strategy.brackets:
        for i, r in enumerate(b.rungs):
            assert len(rungs[(0, b.s, i)]) == r.n_configs
    # New configurations depend on (seed, bracket, slot), not on the scheduling.
    sequential = run(Hyperband(1, 27, 3), seed=5).trials
    assert {(key(t), t.meta["slot"], tuple(t.params.items())) for t in trials if t.meta["rung"] == 0} == \
        {(key(t), t.meta["slot"], tuple(t.params.items())) for t in sequential if t.meta["rung"] == 0}


def ask_tell(study: Study, t: hpcore.Trial) -> None:
    study.tell(t, objective(t.params, t.budget))


def test_asha_promotes_as_soon_as_a_rung_has_enough_results() -> None:
    study = Study(SPACE, strategy=Hyperband(1, 9, 3), seed=2)
    first = [study.ask() for _ in range(4)]  # 4 in flight of the 9 of rung 0
    for t in first[:3]:
        ask_tell(study, t)
    promoted = study.ask()  # one still pending: ASHA
    best = min((study.trials[t.id] for t in first[:3]), key=lambda t: t.value)
    assert promoted.config_id == best.config_id and promoted.budget == 3 and promoted.previous_budget == 1
    assert study.ask().meta["rung"] == 0  # floor(3/3) = 1 promotion only


def test_pending_trials_never_idle_a_worker() -> None:
    for mode in (None, False):
        study = Study(SPACE, strategy=Hyperband(1, 9, 3, asynchronous=mode), seed=2)
        pending = [study.ask() for _ in range(9)]  # the whole bottom rung of bracket 2
        nxt = study.ask()
        assert (nxt.meta["bracket"], nxt.meta["rung"], nxt.budget) == (1, 0, 3)
        for t in pending[:3]:
            ask_tell(study, t)
        after = study.ask()
        # ASHA promotes from the incomplete rung; synchronous promotions wait for the rung.
        assert (after.meta["bracket"], after.meta["rung"]) == ((2, 1) if mode is None else (1, 0))


def test_asynchronous_true_with_one_worker_promotes_early() -> None:
    study = Study(SPACE, strategy=Hyperband(1, 9, 3, asynchronous=True), seed=0)
    budgets = []
    for _ in range(4):
        t = study.ask()
        budgets.append(t.budget)
        ask_tell(study, t)
    assert budgets == [1, 1, 1, 3]


def test_one_worker_ask_tell_is_synchronous_hyperband() -> None:
    study = Study(SPACE, strategy=Hyperband(1, 27, 3), seed=0)
    while True:
        try:
            t = study.ask()
        except StudyExhausted:
            break
        ask_tell(study, t)
    reference = run(Hyperband(1, 27, 3), seed=0)
    assert complete_set(study.trials) == complete_set(reference.trials)


# -- live configurations ------------------------------------------------------------------------
def test_live_configs() -> None:
    hb = Hyperband(1, 9, 3)
    study = Study(SPACE, strategy=hb, direction="maximize", seed=0)
    rung0 = [study.ask() for _ in range(9)]
    assert hb.live_configs(study) == {t.config_id for t in rung0}  # all pending
    values = dict(zip((t.config_id for t in rung0), range(9)))  # maximize: ids 8, 7, 6 best
    for t in rung0[:5]:
        study.tell(t, values[t.config_id])
    # 4 still pending; of the 5 results only the best 3 can still be promoted (3 slots).
    assert hb.live_configs(study) == {t.config_id for t in rung0[2:]}
    assert hb.live_configs(study.trials, direction="minimize") == {t.config_id for t in rung0[:3] + rung0[5:]}
    for t in rung0[5:]:
        study.tell(t, values[t.config_id])
    assert hb.live_configs(study) == {t.config_id for t in rung0[6:]}
    promoted = [study.ask() for _ in range(3)]
    assert {t.config_id for t in promoted} == {t.config_id for t in rung0[6:]}
    for t in promoted:
        study.tell(t, values[t.config_id])
    assert hb.live_configs(study) == {rung0[8].config_id}
    top = study.ask()
    assert top.budget == 9 and hb.live_configs(study) == set()  # nothing above the top rung
    study.tell(top, 1.0)
    assert hb.live_configs(study) == set()


# -- iterations, exhaustion, float budgets, enqueue ---------------------------------------------
def test_iterations_then_exhaustion() -> None:
    once = run(Hyperband(1, 9, 3)).trials
    study = run(Hyperband(1, 9, 3, iterations=3))
    trials = study.trials
    assert len(trials) == 3 * len(once)
    assert [t.meta["iteration"] for t in trials] == sorted(t.meta["iteration"] for t in trials)
    assert len({t.config_id for t in trials}) == 3 * len({t.config_id for t in once})
    with pytest.raises(StudyExhausted):
        study.ask()
    assert study.optimize(objective, verbose=False).trials == trials  # nothing more to run


def test_finite_space_is_not_repeated_and_ends() -> None:
    small = hpcore.Space({"x": hpcore.Choice([0.1, 0.2, 0.3, 0.4, 0.5]), "y": hpcore.Fixed(0.5)})
    study = Study(small, strategy=Hyperband(1, 9, 3), seed=0)
    study.optimize(objective, verbose=False)
    new = [t for t in study.trials if t.meta["rung"] == 0]
    assert sorted(t.params["x"] for t in new) == [0.1, 0.2, 0.3, 0.4, 0.5]
    rungs = by_rung(study.trials)
    assert len(rungs[(0, 2, 1)]) == 3 and len(rungs[(0, 2, 2)]) == 1  # the first bracket still halves


def test_float_budgets() -> None:
    seen = []

    def obj(params: dict, budget: float) -> float:
        seen.append(budget)
        return objective(params, budget)

    Study(SPACE, strategy=Hyperband(0.1, 1.0, eta=10), seed=0).optimize(obj, verbose=False)
    assert all(isinstance(b, float) for b in seen)
    assert Counter(seen) == {0.1: 10, 1.0: 3}
    assert all(isinstance(r.budget, int) for b in Hyperband(1, 27).brackets for r in b.rungs)


def test_enqueued_configurations_take_bottom_rung_slots() -> None:
    study = Study(SPACE, strategy=Hyperband(1, 9, 3), seed=0)
    study.enqueue({"x": 0.3, "y": 0.0})
    study.enqueue({"x": 0.9, "y": 0.0})
    study.optimize(objective, verbose=False)
    trials = study.trials
    first, second = trials[0], trials[1]
    assert (first.budget, first.config_id, first.meta["rung"], first.meta["bracket"]) == (1, 0, 0, 2)
    assert first.meta["source"] == "enqueued" and first.previous_budget is None
    assert second.config_id == 1 and first.meta["slot"] != second.meta["slot"]
    rungs = by_rung(trials)
    assert len(rungs[(0, 2, 0)]) == 9  # the enqueued configurations are two of the bracket's nine
    assert first.config_id in {t.config_id for t in rungs[(0, 2, 2)]}  # x = 0.3 is the optimum: promoted to the top
    # Results added from elsewhere (warm start) are not part of any bracket and block nothing.
    warm = Study(SPACE, strategy=Hyperband(1, 9, 3), seed=0)
    warm.add({"x": 0.3, "y": 0.0}, 0.0, budget=9)
    warm.optimize(objective, verbose=False)
    assert len(warm.trials) == len(trials) + 1 and warm.best_value == 0.0
    # Mid-run, an enqueued configuration joins the first bracket that still takes new ones...
    study2 = Study(SPACE, strategy=Hyperband(1, 9, 3), seed=0)
    with pytest.warns(PlanCutShortWarning):
        study2.optimize(objective, n_trials=10, verbose=False)  # bracket 2 is promoting
    study2.enqueue({"x": 0.5, "y": 0.5})
    t = study2.ask()
    assert (t.meta["bracket"], t.meta["rung"], t.budget) == (1, 0, 3)
    # ...and after the last slot it is evaluated at the full budget, outside the plan.
    done = run(Hyperband(1, 9, 3))
    done.enqueue({"x": 0.5, "y": 0.5})
    extra = done.ask()
    assert extra.budget == 9 and extra.meta.get("outside_plan") is True


# -- model-based sampling -----------------------------------------------------------------------
def test_bayes_sampler_without_the_gp_module_fails_at_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "hpcore.strategies.bayes", None)  # makes the import fail
    with pytest.raises(ImportError, match="sampler='random'"):
        Hyperband(sampler="bayes")


def test_bayes_sampler_draws_new_configurations_from_the_model() -> None:
    pytest.importorskip("hpcore.strategies.bayes")
    hb = Hyperband(1, 9, 3, sampler="bayes", random_fraction=0.0)
    assert hb.min_points(SPACE) == SPACE.dims + 2 == 4
    near_model = near_random = 0
    for seed in range(6):
        study = Study(SPACE, strategy=hb, seed=seed)
        study.optimize(objective, verbose=False)
        trials = study.trials
        assert all(t.state is TrialState.COMPLETE for t in trials)
        new = [t.params["x"] for t in trials if t.meta["rung"] == 0]
        plain = [t.params["x"] for t in run(Hyperband(1, 9, 3), seed=seed).trials if t.meta["rung"] == 0]
        # Random until d + 2 results exist at one budget, then the model (same slots, same seed)...
        assert new[:4] == plain[:4] and all(a != b for a, b in zip(new[4:], plain[4:]))
        near = sum(abs(x - 0.3) < 0.1 for x in new[4:])
        near_random_seed = sum(abs(x - 0.3) < 0.1 for x in plain[4:])
        assert near > near_random_seed, seed
        near_model += near
        near_random += near_random_seed
    # ...which draws near the optimum x = 0.3: a uniform draw lands within 0.1 with p = 0.2, so
    # 30 of the 78 model-led draws would happen by chance with probability below 1e-4 (the
    # model also spends draws on the unexplored edges, which is what EI should do).
    assert near_model >= 30 and near_random < 0.5 * near_model


# -- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("kwargs", "error"), [
    ({"min_budget": 0}, ValueError),
    ({"min_budget": -1}, ValueError),
    ({"min_budget": 10, "max_budget": 9}, ValueError),
    ({"eta": 1}, ValueError),
    ({"eta": 2.5}, ValueError),
    ({"max_budget": "81"}, TypeError),
    ({"min_budget": None}, TypeError),
    ({"max_budget": float("inf")}, ValueError),
    ({"iterations": 0}, ValueError),
    ({"asynchronous": "yes"}, TypeError),
    ({"sampler": "tpe"}, ValueError),
    ({"random_fraction": 1.5}, ValueError),
])
def test_invalid_arguments(kwargs: dict, error: type) -> None:
    with pytest.raises(error):
        Hyperband(**kwargs)


def test_objective_without_a_budget_is_refused() -> None:
    study = Study(SPACE, strategy=Hyperband(1, 9, 3), seed=0)
    with pytest.raises(TypeError, match="budget"):
        study.optimize(lambda params: params["x"], verbose=False)
    assert study.trials == []
