"""Several handles on one study: a trial is finished once, by compare-and-set in the storage,
whichever handle (or process) finishes it; processes racing for trial ids waste no GP fit."""

import os
import subprocess
import sys
import textwrap

import pytest

import hpcore
from hpcore import Float, Space, Study, TrialState
from hpcore.storage import MemoryStorage, SQLiteStorage
from hpcore.strategies.bayes import BayesianOptimization
from hpcore.trial import TrialAlreadyFinished

SPACE = Space({"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)})
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(params=["memory", "sqlite"])
def two_handles(request, tmp_path):
    """Two `Study` objects on one stored study, as two processes (or a driver and a worker) have."""
    storage = MemoryStorage() if request.param == "memory" else str(tmp_path / "s.db")
    a = Study(SPACE, storage=storage, name="shared", seed=0)
    b = Study(storage=storage if request.param == "memory" else SQLiteStorage(storage), name="shared")
    return a, b


def test_a_second_tell_from_another_handle_is_refused_and_the_first_value_stays(two_handles):
    a, b = two_handles
    t = a.ask()
    assert b.trials[t.id].state is TrialState.RUNNING  # b's cache still says RUNNING
    a.tell(t, 1.0)
    with pytest.raises(TrialAlreadyFinished, match="trial 0 is already COMPLETE"):
        b.tell(t.id, 2.0)
    assert b.trials[0].value == 1.0 and a.trials[0].value == 1.0
    assert b._trials[0].state is TrialState.COMPLETE  # the cache was refreshed by the lost race


def test_the_lost_race_error_is_a_value_error_carrying_the_stored_trial(two_handles):
    a, b = two_handles
    t = a.ask()
    b.trials
    a.tell(t, exception="boom")
    with pytest.raises(ValueError) as info:
        b.tell(t.id, 2.0)
    assert isinstance(info.value, TrialAlreadyFinished)
    assert info.value.trial.state is TrialState.FAILED and info.value.trial.error == "boom"


def test_a_tell_after_another_handles_cleanup_does_not_revive_a_failed_trial(two_handles):
    a, b = two_handles
    t = a.ask()
    b.fail_running("the driver gave up on it")
    with pytest.raises(TrialAlreadyFinished, match="already FAILED"):
        a.tell(t, 1.0)
    stored = b.trials[0]
    assert stored.state is TrialState.FAILED and stored.value is None
    assert "the driver gave up on it" in stored.error


def test_another_handle_may_finish_a_trial_it_did_not_ask(two_handles):
    # ask in one process, tell in another: the first handle to finish a RUNNING trial wins.
    a, b = two_handles
    t = a.ask()
    done = b.tell(t.id, 0.25)
    assert done.state is TrialState.COMPLETE and a.trials[0].value == 0.25


def test_tell_params_are_not_changed_on_a_finished_trial(two_handles):
    a, b = two_handles
    t = a.ask()
    b.trials
    a.tell(t, 1.0)
    with pytest.raises(TrialAlreadyFinished):
        b.tell(t.id, 2.0, params={"x": 0.5, "y": 0.5})
    assert a.trials[0].params == t.params


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_finish_trial_is_a_compare_and_set_in_the_storage(kind, tmp_path):
    storage = MemoryStorage() if kind == "memory" else SQLiteStorage(tmp_path / "s.db")
    study = Study(SPACE, storage=storage, name="s", seed=0)
    t = study.ask()
    storage.finish_trial(study._id, t.id, state=TrialState.COMPLETE, value=1.0, finished_at=1.0)
    with pytest.raises(TrialAlreadyFinished):
        storage.finish_trial(study._id, t.id, state=TrialState.COMPLETE, value=2.0, finished_at=2.0)
    version_before = storage.trials_since(study._id, 0)[1]
    with pytest.raises(TrialAlreadyFinished):
        storage.finish_trial(study._id, t.id, state=TrialState.FAILED, error="late", finished_at=3.0)
    trials, version = storage.trials_since(study._id, 0)
    assert trials[0].value == 1.0 and trials[0].state is TrialState.COMPLETE
    assert version == version_before  # a refused write changes nothing, not even the version
    with pytest.raises(ValueError, match="finished state"):
        storage.finish_trial(study._id, t.id, state=TrialState.RUNNING)


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_cleanup_does_not_overwrite_a_trial_finished_while_it_ran(kind, tmp_path):
    storage = MemoryStorage() if kind == "memory" else str(tmp_path / "s.db")
    a = Study(SPACE, storage=storage, name="s", seed=0)
    b = Study(storage=storage, name="s")
    t = a.ask()

    def finishes_first(owner: str) -> bool:
        # The cleanup read the RUNNING trials; the trial completes before it writes.
        a.tell(t, 0.5)
        return True

    assert b._storage.fail_stale(b._id, finishes_first, 0.0) == []
    assert b.trials[0].state is TrialState.COMPLETE and b.trials[0].value == 0.5


#: Each process counts the suggestions its strategy computed from a GP fit; the parent compares
#: the sum with the GP-led trials stored. Design points (before `n_initial` results) are cheap and
#: depend on the trial number, so they are left out of both counts.
_RACER = textwrap.dedent("""
    import os, sys, time
    sys.path.insert(0, {root!r})
    import hpcore
    from hpcore.strategies.bayes import BayesianOptimization

    class Counting(BayesianOptimization):
        fitted = 0

        def suggest(self, ctx):
            sug = super().suggest(ctx)
            if sug is not None and not sug.meta.get("design"):
                Counting.fitted += 1
            return sug

    space = hpcore.Space({{"x": hpcore.Float(0, 1), "y": hpcore.Float(0, 1)}})
    study = hpcore.Study(space, strategy=Counting(n_initial=3), storage={db!r}, name="bo", seed=5)
    while not os.path.exists({go!r}):  # start together, to race for every trial id
        time.sleep(0.01)
    for _ in range({n}):
        t = study.ask()
        study.tell(t, (t.params["x"] - 0.3) ** 2 + (t.params["y"] - 0.6) ** 2)
    print(Counting.fitted)
""")


@pytest.mark.slow
def test_processes_racing_for_trial_ids_waste_no_gp_fit(tmp_path):
    db, go = str(tmp_path / "bo.db"), str(tmp_path / "go")
    Study(SPACE, strategy=BayesianOptimization(n_initial=3), storage=db, name="bo", seed=5)
    script = tmp_path / "racer.py"
    script.write_text(_RACER.format(root=ROOT, db=db, go=go, n=6))
    procs = [subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
             for _ in range(4)]
    (tmp_path / "go").touch()
    counts = []
    for p in procs:
        out, _ = p.communicate(timeout=300)
        assert p.returncode == 0
        counts.append(int(out.split()[-1]))
    trials = Study(storage=db, name="bo").trials
    assert [t.id for t in trials] == list(range(24))
    assert all(t.state is TrialState.COMPLETE for t in trials)
    gp_led = [t for t in trials if not t.meta.get("design")]
    assert len(gp_led) > 10
    assert sum(counts) == len(gp_led), f"{sum(counts)} GP suggestions for {len(gp_led)} GP-led trials"


class _Spy(BayesianOptimization):
    """Bayesian optimisation that counts its suggestions and can act while one is computed."""

    def __init__(self, during=None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.during, self.calls = during, 0

    def suggest(self, ctx):
        self.calls += 1
        if self.during is not None:
            self.during(ctx)
        return super().suggest(ctx)


def test_the_id_is_reserved_before_the_suggestion_and_hidden_from_the_strategy(tmp_path):
    db = str(tmp_path / "s.db")
    seen = []
    spy = _Spy(during=lambda ctx: seen.append((ctx.number, [t.id for t in ctx.trials],
                                               Study(storage=db, name="s").trials)))
    study = Study(SPACE, strategy=spy, storage=db, name="s", seed=0)
    t = study.ask()
    number, shown, stored = seen[0]
    assert number == t.id == 0 and shown == []  # the strategy never sees its own reservation
    assert stored[0].state is TrialState.RUNNING and stored[0].reserved and stored[0].params == {}
    assert not t.reserved and set(t.params) == {"x", "y"}


def test_a_suggestion_that_fails_leaves_its_reserved_id_failed_and_the_study_goes_on():
    def interrupt(ctx):
        if ctx.number == 1:
            raise KeyboardInterrupt

    spy = _Spy(during=interrupt)
    study = Study(SPACE, strategy=spy, seed=0)
    study.tell(study.ask(), 1.0)
    with pytest.raises(KeyboardInterrupt):
        study.ask()
    left = study.trials[1]
    assert left.state is TrialState.FAILED and left.reserved and left.interrupted and left.params == {}
    t = study.ask()
    assert t.id == 2 and set(t.params) == {"x", "y"}
    assert 1 not in {x.id for x in study._context(3).trials}  # strategies skip it


def test_strategies_see_every_unreserved_trial_in_id_order_while_reservations_fill_out_of_order():
    # What a strategy is shown is kept as trials sync (no copy per ask): a reservation filled
    # after a later trial exists goes back to its place by id, in this handle and in another.
    storage = MemoryStorage()
    handles, checked = [], []

    def during(ctx):
        stored = Study(storage=storage, name="s").trials
        assert list(ctx.trials) == [t for t in stored if not t.reserved]
        checked.append(ctx.number)
        if ctx.number == 1:
            handles[1].tell(handles[1].ask(), 0.5)  # trial 2, asked and told while 1 is reserved
        if ctx.number == 4:
            raise KeyboardInterrupt

    a = Study(SPACE, strategy=_Spy(during=during), storage=storage, name="s", seed=0)
    handles += [a, Study(storage=storage, name="s")]
    for _ in range(3):
        a.tell(a.ask(), 1.0)  # trials 0, 1 and 3
    with pytest.raises(KeyboardInterrupt):
        a.ask()  # trial 4 stays reserved (FAILED)
    handles[1].tell(handles[1].ask(), 0.25)  # trial 5
    a.tell(a.ask(), 2.0)  # trial 6
    assert checked == [0, 1, 3, 4, 6]
    for study in handles:
        study._sync()
        assert list(study._context(7).trials) == [t for t in study.trials if not t.reserved]
        assert [t.id for t in study._context(7).trials] == [0, 1, 2, 3, 5, 6]


def test_a_reservation_finished_by_another_handle_during_the_fit_keeps_the_suggestion():
    storage = MemoryStorage()
    other = []
    spy = _Spy(during=lambda ctx: other[0].fail_running("cleanup") if ctx.number == 0 else None)
    study = Study(SPACE, strategy=spy, storage=storage, name="s", seed=0)
    other.append(Study(storage=storage, name="s"))
    t = study.ask()
    assert study.strategy.calls == 1 and t.id == 1 and set(t.params) == {"x", "y"}  # the strategy is a copy
    assert study.trials[0].state is TrialState.FAILED and study.trials[0].reserved


def test_a_nearly_exhausted_finite_space_is_not_reserved():
    from hpcore import Choice

    space = Space({"a": Choice(["p", "q", "r"])})
    study = Study(space, strategy="bayes", seed=0)
    for _ in range(3):
        study.tell(study.ask(), 1.0)
    with pytest.raises(hpcore.StudyExhausted):
        study.ask()
    assert len(study.trials) == 3  # no reserved id left behind
