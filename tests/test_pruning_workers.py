"""Pruning from worker processes (issue 17): the report channel between workers and the driver,
`optimize(n_workers=2)` and Dask, a plain script, and a study killed mid-run and resumed.

The driver owns the storage and the pruner; a worker's `trial.report` / `trial.should_prune`
travel to it over `hpcore.report_channel` and back."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import hpcore.report_channel as channel
from hpcore import Float, Space, Study, TrialAlreadyFinished, TrialState
from hpcore.pruners import Pruner
from hpcore.report_channel import ReportChannelLost, ReportClient, ReportServer
from hpcore.storage import MemoryStorage
from hpcore.study_reports import StudyReports

SPACE = Space({"x": Float(0.0, 1.0)})
TIMEOUT = 180  # seconds any script may take: a hang fails the test instead of blocking CI


class PruneFrom(Pruner):
    """Prunes a trial once it reports step `k` or later."""

    name = "prune_from"

    def __init__(self, k: int = 0) -> None:
        self.k = k

    def decide(self, trial, trials, direction, latest, previous):
        return latest >= self.k

    def config(self):
        return {"name": self.name, "k": self.k}


class SeesAnother(Pruner):
    """Prunes a trial once another trial has reported something, and records for each decision
    the other trials it saw RUNNING with reports: the reports of trials running elsewhere must
    reach the driver while they run."""

    name = "sees_another"

    def __init__(self) -> None:
        self.running_seen: list[tuple[int, list[int]]] = []

    def decide(self, trial, trials, direction, latest, previous):
        others = [t for t in trials if t.id != trial.id and t.intermediate_values]
        self.running_seen.append((trial.id, [t.id for t in others if t.state is TrialState.RUNNING]))
        return bool(others)

    def config(self):
        return {"name": self.name}


def waits_for_the_other(params, trial):
    """Reports once, then asks until the pruner says stop (it does once the other trial reported):
    the trial that reports second is pruned seeing the first one running, then the first."""
    trial.report(params["x"], 0)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if trial.should_prune():
            return trial.prune()
        time.sleep(0.01)
    return params["x"]


def server_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name == "hpcore-report-server"]


# -- the channel on its own ------------------------------------------------------------------------------
@pytest.fixture
def served():
    """A study in memory with one running trial, its reports served on loopback."""
    study = Study(SPACE, seed=0, pruner=PruneFrom(k=2))
    trial = study.ask()
    reports = StudyReports(study.storage, 1, study.direction, study.pruner)
    with ReportServer(reports) as server:
        yield study, trial, server


def test_reports_and_decisions_travel_both_ways(served):
    study, trial, server = served
    client = server.client()
    client.report(trial.id, 0, 0.5)
    assert client.should_prune(trial.id) is False
    client.report(trial.id, 2, float("nan"))
    assert client.should_prune(trial.id) is True
    with pytest.raises(ValueError, match="trial 0 reported step 1, but its last reported step is 2"):
        client.report(trial.id, 1, 0.1)
    client.release()
    values = study.trials[0].intermediate_values
    assert list(values) == [0, 2] and values[0] == 0.5


def test_a_trial_the_driver_finished_is_refused_and_told_to_stop(served):
    study, trial, server = served
    client = server.client()
    client.report(trial.id, 0, 0.5)
    study.tell(trial, exception="interrupted: timed out")  # as optimize(timeout=) does to a running trial
    with pytest.raises(TrialAlreadyFinished, match="trial 0 is already FAILED"):
        client.report(trial.id, 1, 0.4)
    assert client.should_prune(trial.id) is True
    assert dict(study.trials[0].intermediate_values) == {0: 0.5}  # nothing written


def test_a_wrong_key_is_turned_away_and_the_server_goes_on(served):
    study, trial, server = served
    intruder = ReportClient(server.address, b"0" * 32)
    with pytest.raises(ReportChannelLost):
        intruder.report(trial.id, 0, 0.0)
    server.client().report(trial.id, 0, 0.25)
    assert dict(study.trials[0].intermediate_values) == {0: 0.25}


def test_a_pruner_that_raises_fails_the_request_with_its_error():
    class Broken(PruneFrom):
        def decide(self, *args):
            raise ZeroDivisionError("bad pruner")

    study = Study(SPACE, seed=0, pruner=Broken())
    trial = study.ask()
    with ReportServer(StudyReports(study.storage, 1, study.direction, study.pruner)) as server:
        client = server.client()
        client.report(trial.id, 0, 1.0)
        with pytest.raises(RuntimeError, match="ZeroDivisionError: bad pruner"):
            client.should_prune(trial.id)


def test_a_worker_whose_driver_is_gone_fails_at_once_instead_of_waiting(monkeypatch):
    server = ReportServer(StudyReports(MemoryStorage(), 1, "minimize", None))
    client = server.client()
    server.close()
    assert server_threads() == []
    assert client.should_prune(0) is False  # no pruner: answered without a round trip
    with pytest.raises(ReportChannelLost, match="cannot reach the driver's report channel"):
        client.report(0, 0, 1.0)
    # A driver that accepts but never answers (stopped, or stuck): the wait is bounded.
    silent = socket.create_server(("127.0.0.1", 0))
    monkeypatch.setattr(channel, "ANSWER_TIMEOUT", 0.3)
    try:
        with pytest.raises(ReportChannelLost, match="did not answer in 0.3 s"):
            ReportClient(silent.getsockname(), b"k" * 32).should_prune(0)
    finally:
        silent.close()


# -- optimize with workers -------------------------------------------------------------------------------
@pytest.fixture
def servers(monkeypatch):
    """Every ReportServer that optimize starts, to check what it leaves behind."""
    made: list[ReportServer] = []

    class Recorded(ReportServer):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            made.append(self)

    monkeypatch.setattr(channel, "ReportServer", Recorded)
    return made


def assert_closed(made: list[ReportServer]) -> None:
    assert len(made) == 1 and server_threads() == []
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(made[0].address, timeout=5).close()


@pytest.mark.slow
def test_workers_prune_and_the_pruner_sees_the_other_running_trial(tmp_path, servers):
    study = Study(SPACE, storage=tmp_path / "s.db", seed=0, pruner=SeesAnother())
    result = study.optimize(waits_for_the_other, n_trials=2, n_workers=2, verbose=False)
    assert [t.state for t in result.trials] == [TrialState.PRUNED] * 2
    assert any(running for _, running in study.pruner.running_seen)
    assert [dict(t.intermediate_values) for t in result.trials] == [{0: t.params["x"]} for t in result.trials]
    assert_closed(servers)


@pytest.mark.slow
def test_dask_workers_prune_through_the_driver(servers):
    pytest.importorskip("distributed")
    from hpcore.distributed import DaskExecutor

    study = Study(SPACE, seed=0, pruner=SeesAnother())
    with DaskExecutor(n_workers=2, processes=True, dashboard_address=None) as ex:
        assert ex.report_host == "127.0.0.1"
        result = study.optimize(waits_for_the_other, n_trials=2, executor=ex, n_workers=2, verbose=False)
    assert [t.state for t in result.trials] == [TrialState.PRUNED] * 2
    assert all(len(t.intermediate_values) == 1 for t in result.trials)
    assert any(running for _, running in study.pruner.running_seen)
    assert_closed(servers)


# -- plain scripts ---------------------------------------------------------------------------------------
PLAIN_SCRIPT = textwrap.dedent("""\
    import json, os, sys
    import hpcore

    def objective(params, trial):
        loss = 1.0
        for step in range(6):
            loss *= 1 - params["x"] / 2
            trial.report(loss, step)
            if trial.should_prune():
                raise hpcore.TrialPruned()
        return loss

    study = hpcore.Study({"x": hpcore.Float(0.0, 1.0)}, storage=sys.argv[1], name="plain", seed=0,
                         pruner=hpcore.ThresholdPruner(upper=0.6))
    result = study.optimize(objective, n_trials=6, n_workers=2, verbose=False)
    print(json.dumps({"driver": os.getpid(), "states": [t.state.value for t in result.trials]}))
    """)


@pytest.mark.slow
def test_a_plain_script_prunes_with_two_workers(tmp_path):
    (tmp_path / "train.py").write_text(PLAIN_SCRIPT)
    r = subprocess.run([sys.executable, "train.py", "s.db"], cwd=tmp_path, capture_output=True, text=True,
                       timeout=TIMEOUT)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout.splitlines()[-1])
    conn = sqlite3.connect(tmp_path / "s.db")
    rows = conn.execute("SELECT number, state, value, owner FROM trials ORDER BY number").fetchall()
    reports = conn.execute("SELECT number, step, value FROM intermediate_values ORDER BY number, step").fetchall()
    conn.close()
    assert [s for _, s, _, _ in rows] == out["states"] and len(rows) == 6
    assert all(owner.split(":")[1] == str(out["driver"]) for *_, owner in rows)  # no worker wrote a trial
    assert {"PRUNED", "COMPLETE"} <= set(out["states"])
    for number, state, value, _ in rows:
        mine = [v for n, _, v in reports if n == number]
        assert mine[-1] == value  # the last report: a pruned trial's value, and here the returned one too
        # A pruned trial stopped at its first report above the bound; a complete one never crossed it.
        assert (state == "PRUNED") == (mine[-1] > 0.6) and all(v <= 0.6 for v in mine[:-1])


KILLED_SCRIPT = textwrap.dedent("""\
    import os, sys, time
    from pathlib import Path
    import hpcore

    here = Path(sys.argv[1])

    def objective(params, trial):
        for step in range(4):
            trial.report(params["x"] + step, step)
            if trial.should_prune():
                return trial.prune()
        if trial.id == 1 and not (here / "resumed").exists():
            (here / "stuck").write_text(str(os.getpid()))
            time.sleep(120)  # the test kills the driver here
        return params["x"]

    study = hpcore.Study({"x": hpcore.Float(0.0, 1.0)}, storage=here / "s.db", name="k", seed=0, pruner="nop")
    study.optimize(objective, n_trials=3, n_workers=2, verbose=False)
    print("DONE", len(study.trials), flush=True)
    """)


@pytest.mark.slow
def test_a_study_killed_mid_run_resumes_with_its_reports_intact(tmp_path):
    (tmp_path / "train.py").write_text(KILLED_SCRIPT)
    proc = subprocess.Popen([sys.executable, "train.py", str(tmp_path)], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + TIMEOUT
    while not (tmp_path / "stuck").exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)

    study = Study(storage=tmp_path / "s.db", name="k")  # the killed trial's process is gone
    stuck = study.trials[1]
    assert stuck.state is TrialState.FAILED and stuck.interrupted
    assert dict(stuck.intermediate_values) == {s: stuck.params["x"] + s for s in range(4)}
    before = [(t.id, t.state, dict(t.intermediate_values)) for t in study.trials]

    (tmp_path / "resumed").touch()
    r = subprocess.run([sys.executable, "train.py", str(tmp_path)], cwd=tmp_path, capture_output=True, text=True,
                       timeout=TIMEOUT)
    assert r.returncode == 0, r.stderr
    after = Study(storage=tmp_path / "s.db", name="k").trials
    assert [(t.id, t.state, dict(t.intermediate_values)) for t in after[:len(before)]] == before
    assert len(after) == len(before) + 3 and r.stdout.strip() == f"DONE {len(after)}"
    assert all(t.state is TrialState.COMPLETE and len(t.intermediate_values) == 4 for t in after[len(before):])
