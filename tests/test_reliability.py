"""Results are stored as given or refused loudly: the trial told is the one meant, a value is a
real number, user attributes never cost the value, no trial is left RUNNING, the incumbent is
kept incrementally, and `optimize` checks its arguments before it starts."""

import decimal
import fractions
import math
import os
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hpcore
import hpcore.study
from hpcore import Float, Space, Study, TrialState
from hpcore.trial import Incumbent, Trial, best_trial

SPACE = Space({"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)})
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(params=["memory", "sqlite"])
def storage(request, tmp_path):
    return None if request.param == "memory" else str(tmp_path / "s.db")


# -- the trial told is the trial meant --------------------------------------------------------------
def test_a_trial_of_another_study_is_refused(storage):
    a = Study(SPACE, storage=storage, name="a", seed=0)
    b = Study(SPACE, storage=storage, name="b", seed=1)
    ta, tb = a.ask(), b.ask()
    assert ta.id == tb.id == 0
    with pytest.raises(ValueError, match=r"trial 0 belongs to another study .*not to study 'b'"):
        b.tell(ta, 123.0)
    assert b.trials[0].state is TrialState.RUNNING and a.trials[0].state is TrialState.RUNNING
    b.tell(tb, 1.0)
    assert b.trials[0].value == 1.0


def test_a_trial_of_a_study_of_the_same_name_elsewhere_is_refused(tmp_path):
    a = Study(SPACE, storage=str(tmp_path / "a.db"), name="s", seed=0)
    b = Study(SPACE, storage=str(tmp_path / "b.db"), name="s", seed=0)
    ta, _ = a.ask(), b.ask()
    with pytest.raises(ValueError, match="belongs to another study"):
        b.tell(ta, 1.0)


def test_trials_from_every_route_carry_their_study(tmp_path):
    db = str(tmp_path / "s.db")
    a = Study(SPACE, storage=db, name="s", seed=0)
    a.enqueue({"x": 0.5, "y": 0.5})
    asked = a.ask()
    told = a.tell(asked, 1.0)
    added = a.add({"x": 0.1, "y": 0.1}, 2.0)
    again = Study(storage=db, name="s")
    for t in (asked, told, added, *a.trials, *again.trials, again.best_trial):
        assert t.study == a.uid == again.uid
    again.tell(again.ask(), 0.5)  # another handle of the same study tells its own and a's trials
    t = a.ask()
    assert again.tell(t, 0.25).value == 0.25


@pytest.mark.parametrize("bad", [True, False, np.bool_(True), 1.0, "1", None, [1]])
def test_trial_ids_that_are_not_integers_are_refused(bad):
    study = Study(SPACE, seed=0)
    study.ask(), study.ask()
    with pytest.raises(TypeError, match="a Trial or an integer trial id"):
        study.tell(bad, 1.0)
    assert all(t.state is TrialState.RUNNING for t in study.trials)


def test_numpy_integer_ids_are_trial_ids():
    study = Study(SPACE, seed=0)
    study.ask(), study.ask()
    assert study.tell(np.int64(1), 1.0).id == 1


# -- values are real numbers ----------------------------------------------------------------------
@pytest.mark.parametrize("bad", ["0.5", b"0.25", bytearray(b"1"), np.str_("0.5"), np.array("0.5"), 1 + 2j,
                                 np.complex128(1.0), object()])
def test_strings_and_other_non_numbers_make_a_failed_trial(bad, storage):
    study = Study(SPACE, storage=storage, name="s", seed=0)
    t = study.tell(study.ask(), bad)
    assert t.state is TrialState.FAILED and t.value is None and "expected a real number" in t.error
    with pytest.raises(ValueError, match="expected a real number"):
        study.add({"x": 0.1, "y": 0.1}, bad)
    assert len(study.trials) == 1


def test_an_objective_returning_a_string_gives_failed_trials():
    study = Study(SPACE, seed=0)
    with pytest.raises(hpcore.TooManyFailures):
        study.optimize(lambda p: "0.5", n_trials=2, verbose=False)
    with pytest.raises(hpcore.TooManyFailures, match="bytes b'0.25', expected a real number"):
        study.optimize(lambda p: {"value": b"0.25"}, n_trials=1, verbose=False)
    assert [t.state for t in study.trials] == [TrialState.FAILED] * 3
    assert all("expected a real number" in t.error for t in study.trials)


@pytest.mark.parametrize("good, expected", [
    (np.float32(0.5), 0.5), (np.int64(3), 3.0), (np.array(0.25), 0.25), (np.array([0.75]), 0.75), (7, 7.0),
    (fractions.Fraction(1, 4), 0.25), (decimal.Decimal("0.125"), 0.125), (np.float16(2.0), 2.0),
])
def test_real_numbers_of_every_kind_are_values(good, expected):
    study = Study(SPACE, seed=0)
    t = study.tell(study.ask(), good)
    assert t.state is TrialState.COMPLETE and t.value == expected and type(t.value) is float
    assert study.add({"x": 0.1, "y": 0.1}, good).value == expected


def test_an_integer_too_large_for_a_float_is_a_failed_trial(storage):
    study = Study(SPACE, storage=storage, name="s", seed=0)
    t = study.tell(study.ask(), 10**400)
    assert t.state is TrialState.FAILED and "too large for a float" in t.error
    t = study.tell(study.ask(), fractions.Fraction(10**400, 3))
    assert t.state is TrialState.FAILED
    with pytest.raises(ValueError, match="too large for a float"):
        study.add({"x": 0.1, "y": 0.1}, 10**400)
    with pytest.raises(hpcore.TooManyFailures, match="too large for a float"):
        study.optimize(lambda p: {"value": 10**5000}, n_trials=1, verbose=False)
    assert [t.state for t in study.trials] == [TrialState.FAILED] * 3
    if storage:
        assert [t.state for t in Study(storage=storage, name="s").trials] == [TrialState.FAILED] * 3


# -- user attributes never cost the value ---------------------------------------------------------
def test_attributes_json_cannot_hold_are_stored_as_their_repr_and_the_value_is_kept(storage):
    study = Study(SPACE, storage=storage, name="s", seed=0)

    class Model:
        def __repr__(self) -> str:
            return "Model(layers=3)"

    with pytest.warns(UserWarning, match="'model'"):
        study.optimize(lambda p: {"value": p["x"], "model": Model(), "loss": [0.5, 0.25]}, n_trials=1,
                       verbose=False)
    t = study.trials[0]
    assert t.state is TrialState.COMPLETE and t.value == t.params["x"]
    assert t.user_attrs == {"model": "Model(layers=3)", "loss": [0.5, 0.25]}
    if storage:
        assert Study(storage=storage, name="s").trials[0].user_attrs == t.user_attrs


_UNPICKLABLE = textwrap.dedent("""
    import sys, threading
    sys.path.insert(0, {root!r})
    import hpcore

    space = hpcore.Space({{"x": hpcore.Float(0, 1)}})
    study = hpcore.Study(space, storage={db!r}, name="s", seed=0)
    study.optimize(lambda p: {{"value": p["x"], "lock": threading.Lock()}}, n_trials=2, n_workers=2, verbose=False)
""")


@pytest.mark.slow
def test_an_attribute_that_cannot_travel_from_a_worker_costs_no_value(tmp_path):
    db = str(tmp_path / "s.db")
    script = tmp_path / "unpicklable.py"
    script.write_text(_UNPICKLABLE.format(root=ROOT, db=db))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    trials = Study(storage=db, name="s").trials
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 2
    assert all(t.value == t.params["x"] and "lock" in t.user_attrs["lock"] for t in trials)


def test_tuple_keys_circular_values_and_told_attributes_are_kept_as_far_as_possible(storage):
    study = Study(SPACE, storage=storage, name="s", seed=0)
    loop: list = []
    loop.append(loop)
    with pytest.warns(UserWarning) as caught:
        t = study.tell(study.ask(), 1.0, user_attrs={(1, 2): "pair", "curve": {(3, 4): 1}, "loop": loop,
                                                     "ok": (1, np.float64(2.5), np.arange(2)), 7: "seven"})
    text = " ".join(str(w.message) for w in caught)
    assert "(1, 2)" in text and "'curve'" in text and "'loop'" in text and "'ok'" not in text
    assert len(caught) == 1  # one warning per trial, naming every key
    assert t.state is TrialState.COMPLETE and t.value == 1.0
    attrs = dict(t.user_attrs)
    assert attrs["ok"] == [1, 2.5, [0, 1]] and attrs["7"] == "seven" and attrs["(1, 2)"] == "pair"
    assert attrs["curve"] == "{(3, 4): 1}" and attrs["loop"] == "[[...]]"
    if storage:
        assert Study(storage=storage, name="s").trials[0].user_attrs == attrs


def test_nan_and_inf_attributes_round_trip(storage):
    study = Study(SPACE, storage=storage, name="s", seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # NaN is storable: no warning
        study.tell(study.ask(), {"value": 1.0, "val_loss": math.nan, "curve": [np.inf, -1.0]})
    trials = Study(storage=storage, name="s").trials if storage else study.trials
    attrs = trials[0].user_attrs
    assert math.isnan(attrs["val_loss"]) and attrs["curve"] == [math.inf, -1.0]


def test_unstorable_attributes_of_added_and_enqueued_trials_are_kept_as_repr(storage):
    study = Study(SPACE, storage=storage, name="s", seed=0)
    with pytest.warns(UserWarning, match="'source'"):
        t = study.add({"x": 0.1, "y": 0.1}, 0.5, user_attrs={"source": object()})
    assert t.value == 0.5 and t.user_attrs["source"].startswith("<object object")
    with pytest.warns(UserWarning, match="'fn'"):
        w = study.enqueue({"x": 0.2, "y": 0.2}, user_attrs={"fn": len})
    assert w.user_attrs == {"fn": "<built-in function len>"}


# -- nothing is left RUNNING ------------------------------------------------------------------------
_EXITING = textwrap.dedent("""
    import sys
    sys.path.insert(0, {root!r})
    import hpcore

    def objective(p):
        if p["x"] > 0.5:
            {stop}
        return p["x"]

    space = hpcore.Space({{"x": hpcore.Float(0, 1)}})
    study = hpcore.Study(space, storage={db!r}, name="s", seed=0)
    study.optimize(objective, n_trials=6, n_workers=2, verbose=False)
""")


@pytest.mark.slow
@pytest.mark.parametrize("stop, expected", [("sys.exit(3)", "SystemExit"),
                                             ("raise KeyboardInterrupt", "KeyboardInterrupt")])
def test_sys_exit_or_keyboard_interrupt_in_a_worker_fails_its_trial(tmp_path, stop, expected):
    db = str(tmp_path / "s.db")
    script = tmp_path / "exiting.py"
    script.write_text(_EXITING.format(root=ROOT, db=db, stop=stop))
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0  # the objective's exit stops the run, as it does inline
    storage = hpcore.SQLiteStorage(db)
    trials, _ = storage.trials_since(storage.get_study("s").id, 0)  # as stored, before any cleanup
    assert trials and not any(t.state is TrialState.RUNNING for t in trials), proc.stderr
    exited = [t for t in trials if t.params["x"] > 0.5]
    assert exited and all(t.state is TrialState.FAILED for t in exited)
    assert any(expected in (t.error or "") for t in exited)


# -- the incumbent ---------------------------------------------------------------------------------
_results = st.lists(
    st.tuples(
        st.sampled_from([TrialState.COMPLETE, TrialState.COMPLETE, TrialState.FAILED, TrialState.RUNNING]),
        st.one_of(st.integers(-3, 3).map(float), st.sampled_from([math.nan, math.inf, -math.inf, -0.0])),
        st.one_of(st.none(), st.sampled_from([1, 3, 3.0, 9])),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(_results, st.sampled_from(["minimize", "maximize"]), st.randoms(use_true_random=False))
def test_the_incumbent_kept_incrementally_equals_best_trial_of_the_whole_list(results, direction, rnd):
    trials = [Trial(id=i, params={}, state=s, value=None if s is not TrialState.COMPLETE else v, budget=b)
              for i, (s, v, b) in enumerate(results)]
    order = list(trials)
    rnd.shuffle(order)  # trials finish in any order
    inc = Incumbent(direction)
    seen = []
    for t in order:
        inc.add(t)
        inc.add(t)  # a trial seen twice (synced again) counts once
        seen.append(t)
        expected = best_trial(sorted(seen, key=lambda t: t.id), direction)
        assert inc.best() == expected
        assert (inc.best() is None) == (expected is None) and getattr(inc.best(), "id", None) == \
            getattr(expected, "id", None)


def test_optimize_never_scans_the_history_per_trial(monkeypatch):
    calls = []

    def counting(trials, direction):
        calls.append(len(trials))
        return best_trial(trials, direction)

    monkeypatch.setattr(hpcore.study, "best_trial", counting, raising=False)
    study = Study(SPACE, seed=0)
    result = study.optimize(lambda p: p["x"], n_trials=30, verbose=False)
    assert calls == []
    assert result.best_trial == best_trial(study.trials, "minimize") == study.best_trial


# -- optimize checks its arguments ----------------------------------------------------------------
@pytest.mark.parametrize("kwargs, named", [
    ({"timeout": "10"}, "timeout"), ({"timeout": -1}, "timeout"), ({"timeout": math.nan}, "timeout"),
    ({"timeout": True}, "timeout"),
    ({"n_trials": "5"}, "n_trials"), ({"n_trials": 2.0}, "n_trials"), ({"n_trials": True}, "n_trials"),
    ({"n_trials": -1}, "n_trials"),
    ({"n_workers": True}, "n_workers"), ({"n_workers": "2"}, "n_workers"), ({"n_workers": 0}, "n_workers"),
    ({"catch": "ValueError"}, "catch"), ({"catch": ValueError("x")}, "catch"), ({"catch": [ValueError, int]}, "catch"),
    ({"max_failures": "3"}, "max_failures"), ({"max_failures": -1}, "max_failures"),
    ({"max_failures": 1.5}, "max_failures"),
    ({"callbacks": print}, "callbacks"), ({"callbacks": [print, 3]}, "callbacks"), ({"callbacks": 3}, "callbacks"),
    ({"executor": "dask"}, "executor"),
])
def test_optimize_arguments_are_checked_before_anything_runs(kwargs, named):
    study = Study(SPACE, seed=0)
    ran = []
    with pytest.raises((TypeError, ValueError), match=rf"\b{named}\b"):
        study.optimize(lambda p: ran.append(p) or 1.0, **{"n_trials": 2, **kwargs}, verbose=False)
    assert ran == [] and study.trials == []


def test_valid_optimize_arguments_of_every_accepted_kind():
    study = Study(SPACE, seed=0)
    r = study.optimize(lambda p: p["x"], n_trials=np.int64(2), timeout=np.float64(60), n_workers=1,
                       catch=[ValueError, KeyError], max_failures=np.int32(0), callbacks=(lambda s, t: None,),
                       verbose=False)
    assert len(r.trials) == 2
    study.optimize(lambda p: p["x"], n_trials=1, timeout=math.inf, catch=ValueError, verbose=False)
    assert len(study.trials) == 3


def _python_calls(fn) -> int:
    """How many Python function calls `fn()` makes (a count, not a time: deterministic)."""
    calls = 0

    def profiler(frame, event, arg):
        nonlocal calls
        if event == "call":
            calls += 1

    sys.setprofile(profiler)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return calls


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_the_work_per_trial_does_not_grow_with_the_study(kind, tmp_path):
    storage = None if kind == "memory" else str(tmp_path / "s.db")
    study = Study(SPACE, storage=storage, name="s", seed=0)

    def hundred() -> None:
        study.optimize(lambda p: p["x"], n_trials=100, verbose=False)

    hundred()
    small = _python_calls(hundred)  # trials 100-200
    study.optimize(lambda p: p["x"], n_trials=1300, verbose=False)
    large = _python_calls(hundred)  # trials 1,500-1,600
    assert large < 1.05 * small, f"{small} calls per 100 trials at 100 trials, {large} at 1,500"


def test_the_sqlite_queries_of_ask_and_tell_use_indexes(tmp_path):
    study = Study(SPACE, storage=str(tmp_path / "s.db"), name="s", seed=0)
    study.optimize(lambda p: p["x"], n_trials=20, verbose=False)
    conn = study.storage._conn
    statements: list[str] = []
    conn.set_trace_callback(statements.append)
    try:
        study.tell(study.ask(), 0.5)
    finally:
        conn.set_trace_callback(None)
    queries = [q for q in statements if q.split()[0].upper() in ("SELECT", "UPDATE", "INSERT")]
    assert len(queries) >= 4
    for q in queries:
        plan = " / ".join(row[-1] for row in conn.execute("EXPLAIN QUERY PLAN " + q))
        assert "SCAN" not in plan, f"{q}: {plan}"
