"""Pruning in the core (issue 17): the PRUNED state and best-trial rules, the report rules, the
intermediate values in memory and in SQLite (a version-1 file migrated), the objective's
`trial` handle, ask/tell, and pruner settings stored with the study. One process each; the
worker channel is tested in test_pruning_workers.py."""

from __future__ import annotations

import math
import pickle
import sqlite3
import subprocess
import sys

import numpy as np
import pytest

import hpcore
from hpcore import Float, Int, Space, Study, TrialAlreadyFinished, TrialPruned, TrialState
from hpcore.errors import SettingsMismatch
from hpcore.pruners import NopPruner, Pruner
from hpcore.running_trial import RunningTrial
from hpcore.storage import MemoryStorage, SQLiteStorage
from hpcore.trial import Incumbent, IntermediateValues, Trial, best_trial, comparable_results

SPACE = Space({"x": Float(0.0, 1.0)})


class PruneFrom(Pruner):
    """Prunes every trial once it reports step `k` or later; records what it was shown."""

    name = "prune_from"

    def __init__(self, k: int = 2) -> None:
        self.k = k
        self.seen: list[tuple[int, list[tuple[int, str, dict]]]] = []

    def decide(self, trial, trials, direction, latest, previous):
        self.seen.append((trial.id, [(t.id, t.state.value, dict(t.intermediate_values)) for t in trials]))
        return latest >= self.k

    def config(self):
        return {"name": self.name, "k": self.k}


def trained(params, trial):
    """Ten steps of a decaying loss, asking after each whether to stop."""
    loss = 1.0
    for step in range(10):
        loss *= 1 - params["x"] / 2
        trial.report(loss, step)
        if trial.should_prune():
            return trial.prune()
    return loss


@pytest.fixture(params=["memory", "sqlite"])
def storage(request, tmp_path):
    return MemoryStorage() if request.param == "memory" else tmp_path / "s.db"


# -- the state and the best trial ------------------------------------------------------------------------
def _t(i, state, value=None, steps=None, budget=None):
    return Trial(id=i, params={"x": i / 10}, state=state, value=value, budget=budget,
                 intermediate_values=dict(steps or {}))


def test_pruned_is_finished_not_ok_and_its_already_finished_error_pickles():
    t = _t(3, TrialState.PRUNED, 0.5, {0: 0.9, 4: 0.5})
    assert TrialState.PRUNED.finished and not t.ok and not t.interrupted
    e = TrialAlreadyFinished(t)
    assert "trial 3 is already PRUNED (value 0.5 reported at step 4)" in str(e)
    back = pickle.loads(pickle.dumps(e))
    assert str(back) == str(e) and back.trial == t


def test_a_completed_trial_is_best_however_good_a_pruned_one_looks():
    trials = [_t(0, TrialState.PRUNED, 0.01, {5: 0.01}), _t(1, TrialState.COMPLETE, 0.9),
              _t(2, TrialState.FAILED)]
    assert best_trial(trials, "minimize").id == 1
    assert [t.id for t in comparable_results(trials)] == [1]


def test_with_nothing_completed_the_best_is_the_best_pruned_at_the_largest_last_step():
    trials = [_t(0, TrialState.PRUNED, 0.1, {0: 0.3, 1: 0.1}),       # best value, but stopped early
              _t(1, TrialState.PRUNED, 0.6, {0: 0.9, 3: 0.6}),
              _t(2, TrialState.PRUNED, 0.4, {0: 0.8, 3: 0.4}),
              _t(3, TrialState.PRUNED, 0.4, {3: 0.4}),                 # a tie: the earlier trial wins
              _t(4, TrialState.PRUNED, math.nan, {9: math.nan}),       # diverged: not comparable
              _t(5, TrialState.RUNNING, None, {7: 0.0})]               # running: not a result
    assert best_trial(trials, "minimize").id == 2
    assert best_trial(trials, "maximize").id == 1
    assert [t.id for t in comparable_results(trials)] == [1, 2, 3]
    assert best_trial([_t(0, TrialState.PRUNED, None), _t(1, TrialState.FAILED)], "minimize") is None


def test_the_incumbent_agrees_with_best_trial_on_random_histories():
    rng = np.random.default_rng(7)
    states = [TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAILED, TrialState.RUNNING]
    for _ in range(200):
        trials = []
        for i in range(int(rng.integers(1, 12))):
            state = states[int(rng.choice(4, p=[0.15, 0.6, 0.15, 0.1]))]
            last = int(rng.integers(0, 3))
            value = float(rng.integers(0, 4)) if state in (TrialState.COMPLETE, TrialState.PRUNED) else None
            budget = None if rng.random() < 0.5 else int(rng.integers(1, 3))
            trials.append(_t(i, state, value, {last: value} if value is not None else {}, budget))
        for direction in ("minimize", "maximize"):
            inc = Incumbent(direction)
            for t in rng.permutation(len(trials)):
                inc.add(trials[int(t)])
            assert inc.best() == best_trial(trials, direction), trials


def test_intermediate_values_are_snapshots_that_equal_dicts_and_pickle():
    a = IntermediateValues().appended(0, 1.0).appended(2, 0.5)
    b = a.appended(5, 0.25)
    branch = a.appended(3, 0.75)  # a's lists are shared with b: the branch copies them
    assert a == {0: 1.0, 2: 0.5} and b == {0: 1.0, 2: 0.5, 5: 0.25} and branch == {0: 1.0, 2: 0.5, 3: 0.75}
    assert list(b) == [0, 2, 5] and b[5] == 0.25 and 1 not in b and "x" not in b and b.last == (5, 0.25)
    assert list(a.values()) == [1.0, 0.5] and list(b.items()) == [(0, 1.0), (2, 0.5), (5, 0.25)]
    assert pickle.loads(pickle.dumps(b)) == b and len(pickle.dumps(a)) < len(pickle.dumps(b))
    with pytest.raises(ValueError, match="step 2 is not after the last step 5"):
        b.appended(2, 0.0)


# -- the report rules --------------------------------------------------------------------------------
def test_report_rules_name_what_is_wrong(storage):
    study = Study(SPACE, storage=storage, seed=0)
    trial = study.ask()
    study.report(trial, 0.5, 3)
    with pytest.raises(ValueError, match=r"trial 0 reported step 3, but its last reported step is 3"):
        study.report(trial, 0.4, 3)
    with pytest.raises(ValueError, match=r"reported step 1, but its last reported step is 3"):
        study.report(trial, 0.4, 1)
    with pytest.raises(TypeError, match="step must be an integer >= 0 .* got bool True"):
        study.report(trial, 0.4, True)
    with pytest.raises(TypeError, match="step must be an integer >= 0 .* got float 4.0"):
        study.report(trial, 0.4, 4.0)
    with pytest.raises(ValueError, match="step must be an integer from 0 to 2\\*\\*63 - 1, got -1"):
        study.report(trial, 0.4, -1)
    for bad in (True, "0.5", None, 1j):
        with pytest.raises(TypeError, match=f"value must be a real number, got {type(bad).__name__}"):
            study.report(trial, bad, 4)
    with pytest.raises(ValueError, match="too large for a float"):
        study.report(trial, 10**400, 4)
    study.report(trial, np.float32(0.25), np.int64(4))
    study.report(trial, math.inf, 5)
    study.report(trial, math.nan, 6)
    values = study.trials[0].intermediate_values
    assert list(values) == [3, 4, 5, 6] and values[4] == 0.25 and values[5] == math.inf and math.isnan(values[6])
    study.tell(trial, 0.1)
    with pytest.raises(TrialAlreadyFinished, match="trial 0 is already COMPLETE"):
        study.report(trial, 0.1, 7)
    with pytest.raises(RuntimeError, match="trial 0 has ended"):
        study.should_prune(trial)
    waiting = study.enqueue({"x": 0.5})
    with pytest.raises(ValueError, match="trial 1 is WAITING"):
        study.report(waiting, 0.1, 0)
    assert dict(study.trials[0].intermediate_values) == {3: 0.5, 4: 0.25, 5: math.inf, 6: values[6]}


def test_reports_and_pruned_trials_survive_a_reopen_of_the_file(tmp_path):
    db = tmp_path / "s.db"
    study = Study(SPACE, storage=db, name="a", seed=0)
    done, pruned, diverged, killed = (study.ask() for _ in range(4))
    for t, values in ((done, [0.5, 0.3]), (pruned, [0.9, 0.8]), (diverged, [0.7, math.nan]), (killed, [0.6])):
        for step, v in enumerate(values):
            study.report(t, v, step)
    study.tell(done, 0.3)
    assert study.tell(pruned, state=TrialState.PRUNED).value == 0.8  # its last reported value
    assert math.isnan(study.tell(diverged, state="PRUNED").value)
    again = Study(storage=db, name="a")  # `killed` is still RUNNING in the first handle's process
    states = [(t.state, dict(t.intermediate_values)) for t in again.trials]
    assert states[:2] == [(TrialState.COMPLETE, {0: 0.5, 1: 0.3}), (TrialState.PRUNED, {0: 0.9, 1: 0.8})]
    assert states[3] == (TrialState.RUNNING, {0: 0.6})
    assert again.trials[2].state is TrialState.PRUNED and math.isnan(again.trials[2].value)  # SQLite's NULL
    assert again.trials[1].value == 0.8 and again.best_trial.id == 0
    assert again.trials == study.trials


def test_a_reader_in_another_handle_sees_a_running_trials_reports_as_they_come(tmp_path):
    db = tmp_path / "s.db"
    writer = Study(SPACE, storage=db, name="a", seed=0)
    reader = SQLiteStorage(db)
    sid = reader.get_study("a").id
    trial = writer.ask()
    _, version = reader.trials_since(sid, 0)
    writer.report(trial, 0.5, 0)
    changed, version = reader.trials_since(sid, version)
    assert [(t.id, dict(t.intermediate_values)) for t in changed] == [(0, {0: 0.5})]
    writer.report(trial, 0.4, 1)
    changed, _ = reader.trials_since(sid, version)
    assert dict(changed[0].intermediate_values) == {0: 0.5, 1: 0.4}
    reader.close()


# -- a version-1 file -------------------------------------------------------------------------------------
V1_SCHEMA = """
CREATE TABLE studies (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE, direction TEXT NOT NULL,
    space TEXT NOT NULL, strategy TEXT NOT NULL, seed INTEGER NOT NULL, created_at REAL NOT NULL,
    attrs TEXT NOT NULL DEFAULT '{}', version INTEGER NOT NULL DEFAULT 0);
CREATE TABLE trials (study_id INTEGER NOT NULL REFERENCES studies(id), number INTEGER NOT NULL, state TEXT NOT NULL,
    params TEXT NOT NULL, value REAL, budget TEXT, previous_budget TEXT, config_id INTEGER, created_at REAL,
    started_at REAL, finished_at REAL, error TEXT, user_attrs TEXT NOT NULL DEFAULT '{}',
    meta TEXT NOT NULL DEFAULT '{}', owner TEXT, version INTEGER NOT NULL, PRIMARY KEY (study_id, number));
CREATE INDEX trials_by_version ON trials (study_id, version);
CREATE INDEX trials_by_state ON trials (study_id, state);
PRAGMA application_id = 1752195951;
PRAGMA user_version = 1;
INSERT INTO studies VALUES (1, 'old', 'minimize', '{"x": {"type": "float", "low": 0.0, "high": 1.0, "log": false}}',
    '{"name": "random"}', 3, 1.5, '{}', 2);
INSERT INTO trials (study_id, number, state, params, value, user_attrs, meta, version)
    VALUES (1, 0, 'COMPLETE', '{"x": 0.25}', 0.5, '{}', '{}', 1), (1, 1, 'COMPLETE', '{"x": 0.75}', 0.125, '{}', '{}', 2);
"""


def test_a_version_1_file_is_migrated_in_place_and_keeps_its_trials(tmp_path):
    db = tmp_path / "v1.db"
    conn = sqlite3.connect(db)
    conn.executescript(V1_SCHEMA)
    conn.close()
    study = Study(storage=db, name="old")
    assert [(t.id, t.value, dict(t.intermediate_values)) for t in study.trials] == [(0, 0.5, {}), (1, 0.125, {})]
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone() == (2,)
    assert conn.execute("SELECT COUNT(*) FROM intermediate_values").fetchone() == (0,)
    conn.close()
    trial = study.ask()
    study.report(trial, 0.3, 0)
    study.tell(trial, state=TrialState.PRUNED)
    assert dict(Study(storage=db, name="old").trials[2].intermediate_values) == {0: 0.3}


# -- the objective's handle ------------------------------------------------------------------------------
def test_both_ways_of_pruning_keep_the_last_value_and_a_finished_run_completes(storage):
    def raises(params, trial):
        trial.report(0.7, 0)
        trial.report(0.6, 5)
        raise TrialPruned()

    def returns(params, trial):
        trial.report(0.4, 0)
        return trial.prune()

    def completes(params, trial):
        trial.report(0.9, 0)
        trial.set_user_attr("epochs", 1)
        return 0.8

    def before_any_report(params, trial):
        raise TrialPruned("not worth starting")

    study = Study(SPACE, storage=storage, seed=0)
    for objective in (raises, returns, completes, before_any_report):
        study.optimize(objective, n_trials=1, verbose=False, max_failures=0)
    t = study.trials
    assert [(x.state, x.value) for x in t] == [(TrialState.PRUNED, 0.6), (TrialState.PRUNED, 0.4),
                                               (TrialState.COMPLETE, 0.8), (TrialState.PRUNED, None)]
    assert dict(t[0].intermediate_values) == {0: 0.7, 5: 0.6} and t[2].user_attrs == {"epochs": 1}
    assert study.best_trial.id == 2 and t[0].error is None


def test_the_pruner_decides_from_every_trial_and_a_pruned_run_is_no_failure(storage):
    calls = []
    pruner = PruneFrom(k=2)
    study = Study(SPACE, storage=storage, seed=0, pruner=pruner)
    result = study.optimize(trained, n_trials=3, verbose=False, max_failures=0,
                            callbacks=[lambda s, t: calls.append(t.state)])
    assert calls == [TrialState.PRUNED] * 3
    assert [sorted(t.intermediate_values) for t in result.trials] == [[0, 1, 2]] * 3
    seen = study.pruner.seen  # the study's own copy of the pruner
    assert pruner.seen == [] and [tid for tid, _ in seen] == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    last_of_trial_1 = [trials for tid, trials in seen if tid == 1][-1]
    assert last_of_trial_1[0][1] == "PRUNED" and last_of_trial_1[1] == (1, "RUNNING", dict(
        result.trials[1].intermediate_values))
    assert result.best_trial.state is TrialState.PRUNED  # nothing completed


def test_call_styles_with_budget_keyword_only_and_positional_only_trial():
    seen = []

    def keyword_only(params, *, trial):
        seen.append(type(trial).__name__)
        return params["x"]

    def positional_only(params, trial, /):
        seen.append(type(trial).__name__)
        return params["x"]

    def old_style(params, trial=None):  # written for the Trial record: the handle has its fields
        seen.append((trial.id, trial.budget, trial.previous_budget, trial.config_id, sorted(trial.params)))
        return params["x"]

    for objective in (keyword_only, positional_only, old_style):
        hpcore.minimize(objective, SPACE, n_trials=1, seed=0, verbose=False)

    def multi_fidelity(params, budget, trial):
        trial.report(params["n"] / budget, 0)
        if trial.should_prune():
            raise TrialPruned()
        return params["n"] / budget

    hb = hpcore.Hyperband(min_budget=1, max_budget=3, eta=3)
    result = hpcore.minimize(multi_fidelity, {"n": Int(1, 9)}, strategy=hb, seed=0, verbose=False,
                             pruner=PruneFrom(k=0), n_trials=4)
    assert seen == ["RunningTrial", "RunningTrial", (0, None, None, None, ["x"])]
    assert [t.state for t in result.trials] == [TrialState.PRUNED] * 4 and result.trials[0].budget == 1


def test_a_handle_refuses_use_after_its_trial_ended_and_outside_a_study():
    kept = []

    def objective(params, trial):
        kept.append(trial)
        return 1.0

    hpcore.minimize(objective, SPACE, n_trials=1, seed=0, verbose=False)
    for call in (lambda: kept[0].report(0.1, 0), kept[0].should_prune):
        with pytest.raises(RuntimeError, match="trial 0 has ended"):
            call()
    loose = RunningTrial(Trial(id=7, params={}, state=TrialState.RUNNING), reporter=None)
    loose.report(0.5, 0)
    assert loose.intermediate_values == {0: 0.5}
    with pytest.raises(ValueError, match="trial 7 reported step 0, but its last reported step is 0"):
        loose.report(0.5, 0)
    with pytest.raises(RuntimeError, match="trial 7: should_prune\\(\\) needs a study"):
        loose.should_prune()


def test_without_a_pruner_should_prune_reads_nothing_from_the_storage():
    class Counting(MemoryStorage):
        reads = 0

        def trials_since(self, study_id, version):
            Counting.reads += 1
            return super().trials_since(study_id, version)

    study = Study(SPACE, storage=Counting(), seed=0)
    trial = study.ask()
    before = Counting.reads
    for step in range(100):
        study.report(trial, 1.0 / (step + 1), step)
        assert study.should_prune(trial) is False
    assert Counting.reads == before and len(study.trials[0].intermediate_values) == 100


# -- ask and tell -------------------------------------------------------------------------------------------
def test_ask_tell_pruning_sees_other_running_trials():
    study = Study(SPACE, seed=0, pruner=PruneFrom(k=1))
    a, b = study.ask(), study.ask()
    study.report(a, 0.5, 0)
    study.report(b, 0.4, 0)
    assert not study.should_prune(b)
    assert study.pruner.seen[-1] == (1, [(0, "RUNNING", {0: 0.5}), (1, "RUNNING", {0: 0.4})])
    study.report(b, 0.3, 1)
    assert study.should_prune(b)
    assert study.tell(b, state=TrialState.PRUNED).value == 0.3
    assert study.tell(a, 0.2, state=TrialState.COMPLETE).value == 0.2


def test_tell_checks_the_state_it_is_given():
    study = Study(SPACE, seed=0)
    trial = study.ask()
    with pytest.raises(ValueError, match="state must be COMPLETE, PRUNED or FAILED, got 'RUNNING'"):
        study.tell(trial, state="RUNNING")
    with pytest.raises(ValueError, match="cannot be told PRUNED with one"):
        study.tell(trial, state=TrialState.PRUNED, exception=RuntimeError("x"))
    with pytest.raises(ValueError, match="the objective returned str"):
        study.tell(trial, "0.5", state=TrialState.PRUNED)
    assert study.tell(trial, 0.5, state=TrialState.PRUNED).value == 0.5
    other = study.ask()
    assert "told FAILED" in study.tell(other, state=TrialState.FAILED).error


# -- pruner settings on resume ----------------------------------------------------------------------------
def test_pruner_settings_are_stored_and_compared_on_resume(tmp_path):
    db = tmp_path / "s.db"
    Study(SPACE, storage=db, name="a", seed=0, pruner="nop")
    assert isinstance(Study(storage=db, name="a").pruner, NopPruner)  # taken from storage
    with pytest.raises(SettingsMismatch, match=r"pruner: stored \{'name': 'nop'\}, given \{'name': 'prune_from', "
                                               r"'k': 2\} \(pass allow_changes=True to switch pruner\)"):
        Study(storage=db, name="a", pruner=PruneFrom())
    switched = Study(storage=db, name="a", pruner=PruneFrom(), allow_changes=True)
    assert switched.pruner.config() == {"name": "prune_from", "k": 2}
    with pytest.raises(ValueError, match="stored with pruner .*prune_from.* pass the pruner again"):
        Study(storage=db, name="a")  # a pruner class of the user's: no name rebuilds it
    plain = Study(SPACE, storage=db, name="b", seed=0)
    assert plain.pruner is None and Study(storage=db, name="b").pruner is None
    with pytest.raises(ValueError, match="unknown pruner 'middle'"):
        Study(SPACE, storage=db, name="c", pruner="middle")
    assert [r.name for r in SQLiteStorage(db).list_studies()] == ["a", "b"]  # a bad pruner creates no study


# -- hpcore show --------------------------------------------------------------------------------------------
def test_hpcore_show_lists_pruned_trials_their_last_step_and_their_reports(tmp_path):
    db = tmp_path / "s.db"
    study = Study(SPACE, storage=db, name="a", seed=0, pruner="nop")
    a, b, c = study.ask(), study.ask(), study.ask()
    for step in range(25):
        study.report(a, 1.0 - step / 100, step)
    study.tell(a, state=TrialState.PRUNED)
    study.report(b, 0.1, 0)
    study.tell(b, state=TrialState.PRUNED)
    study.tell(c, exception="boom")

    def show(*args):
        r = subprocess.run([sys.executable, "-c", "import sys; from hpcore.cli import main; sys.exit(main())", "show",
                            str(db), *args], capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        return r.stdout

    out = show()
    assert "pruner nop, seed 0" in out and "trials: 3 (2 PRUNED, 1 FAILED)" in out
    assert "best: trial 0, value 0.76 (PRUNED at step 24; no trial completed)" in out
    rows = [line.split()[:4] for line in out.splitlines() if line[:3].strip().isdigit()]
    assert rows == [["0", "PRUNED", "0.76", "24"], ["1", "PRUNED", "0.1", "0"], ["2", "FAILED", "-", "-"]]
    one = show("--trial", "0")
    assert "state:     PRUNED" in one and "intermediate values: 25 reports, steps 0 to 24" in one
    assert "step  0: 1" in one and "... 5 more ..." in one and "step 24: 0.76" in one
