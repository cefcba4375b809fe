"""Stopping trials that run too long: `optimize(timeout=...)`, `trial_timeout=` and Ctrl-C.

What a user sees from a script runs in a real interpreter in a subprocess, with a hard
subprocess timeout, so a run that hangs fails the test instead of blocking CI. Objectives that
must be stopped sleep for ten minutes: a run that waited for them would hit that timeout, so
the bounds on elapsed times below are far from the times measured (about two seconds).
Objectives write their worker's pid to a file so that the tests can check the workers are gone.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from hpcore import Float, Space, Study, TrialState
from hpcore.execution import InlineExecutor, IsolatedPool
from hpcore.trial import INTERRUPTED
from tests.objectives import dies_when_x_large

#: Seconds any script may take before the test fails (and kills it) instead of waiting.
HARD_TIMEOUT = 120

SPACE = Space({"x": Float(0.0, 1.0)})

# The objective of every script: x > 0.5 sleeps for ten minutes; x = 0.25 waits until the
# worker of the sleeping trial is dead (so it is running when that worker is killed); other
# values return after `quick` seconds. Each call writes its pid to pid-<trial id>.
PRELUDE = textwrap.dedent("""\
    import json
    import os
    import sys
    import time
    from pathlib import Path
    from hpcore import Float, Space, Study

    here = Path(sys.argv[1])
    quick = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0

    def alive(pid):
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except FileNotFoundError:
            return False

    def objective(params, trial):
        (here / f"pid-{trial.id}").write_text(str(os.getpid()))
        if params["x"] > 0.5:
            time.sleep(600)
        if params["x"] == 0.25:
            sleeper = here / "pid-0"
            while not sleeper.exists() or alive(int(sleeper.read_text())):
                time.sleep(0.02)
            return params["x"]
        time.sleep(quick)
        return params["x"]

    def report(study, started):
        pids = {int(p.name[4:]): int(p.read_text()) for p in here.glob("pid-*")}
        print("REPORT", json.dumps({
            "driver": os.getpid(),
            "elapsed": time.monotonic() - started,
            "trials": [[t.state.value, t.error or ""] for t in study.trials],
            "pids": {str(k): v for k, v in pids.items()},
            "alive": sorted(k for k, pid in pids.items() if alive(pid)),
        }), flush=True)

    study = Study(Space({"x": Float(0.0, 1.0)}), seed=0)
    """)


def run(tmp_path: Path, body: str, *args: str) -> dict:
    """Run PRELUDE + `body` as a plain script and return what its `report` printed."""
    script = tmp_path / "script.py"
    script.write_text(PRELUDE + textwrap.dedent(body))
    proc = subprocess.run([sys.executable, str(script), str(tmp_path), *args], cwd=tmp_path, capture_output=True,
                          text=True, timeout=HARD_TIMEOUT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return parse_report(proc.stdout, proc.stderr)


def parse_report(stdout: str, stderr: str) -> dict:
    lines = [line for line in stdout.splitlines() if line.startswith("REPORT ")]
    assert len(lines) == 1, stdout + stderr[-3000:]
    return json.loads(lines[0][len("REPORT "):])


def alive(pid: int) -> bool:
    """Whether process `pid` runs (a zombie, dead but not yet reaped, does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to see processes")


# -- timeout= ----------------------------------------------------------------------------------------
@pytest.mark.slow
def test_the_study_timeout_stops_the_trials_running_in_worker_processes(tmp_path):
    # Before, optimize went on waiting for the ten-minute trials (still running after 70 s).
    out = run(tmp_path, """\
        for x in (0.9, 0.8):
            study.enqueue({"x": x})
        started = time.monotonic()
        study.optimize(objective, n_trials=3, timeout=2, n_workers=2, verbose=False)
        report(study, started)
        """)
    assert out["elapsed"] < 60
    assert len(out["trials"]) == 2  # the third never started
    for state, error in out["trials"]:
        assert state == "FAILED" and error.startswith(INTERRUPTED + "timed out"), error
    assert out["alive"] == []  # their workers were stopped before optimize returned


def test_the_study_timeout_does_not_wait_for_a_running_call_of_an_executor():
    # Before, the loop waited without a bound for one of the calls to finish.
    release = threading.Event()

    def objective(params):
        release.wait(60)
        return 1.0

    study = Study(SPACE, seed=0)
    with ThreadPoolExecutor(1) as pool:
        try:
            r = study.optimize(objective, n_trials=3, timeout=0.2, executor=pool, verbose=False)
        finally:
            release.set()
    assert len(r.trials) == 1 and r.trials[0].state is TrialState.FAILED
    assert r.trials[0].interrupted and "timed out" in r.trials[0].error
    assert "timeout=0.2" in r.trials[0].error


def test_an_inline_study_timeout_lets_the_running_trial_finish_and_starts_no_other():
    r = Study(SPACE, seed=0).optimize(lambda p: time.sleep(0.3) or 1.0, n_trials=5, timeout=0.1, verbose=False)
    assert [t.state for t in r.trials] == [TrialState.COMPLETE]


# -- trial_timeout= -------------------------------------------------------------------------------------
@pytest.mark.slow
def test_trial_timeout_stops_an_inline_trial_and_the_next_one_gets_a_new_worker(tmp_path):
    out = run(tmp_path, """\
        for x in (0.9, 0.1, 0.2):
            study.enqueue({"x": x})
        started = time.monotonic()
        study.optimize(objective, n_trials=3, trial_timeout=3, verbose=False)
        report(study, started)
        """)
    (state0, error0), *rest = out["trials"]
    assert state0 == "FAILED" and error0.startswith("timed out after 3 s"), error0
    assert rest == [["COMPLETE", ""], ["COMPLETE", ""]]
    pids = out["pids"]
    assert pids["0"] != out["driver"] and pids["1"] != pids["0"] and pids["2"] == pids["1"]
    assert out["alive"] == [] and out["elapsed"] < 60


@pytest.mark.slow
def test_trial_timeout_with_workers_stops_only_the_trial_over_time(tmp_path):
    # Trial 2 (x = 0.25) is running, in the other worker, when trial 0's worker is killed: it
    # waits for that. A pool in which killing one worker broke the others would fail it.
    out = run(tmp_path, """\
        for x in (0.9, 0.1, 0.25):
            study.enqueue({"x": x})
        started = time.monotonic()
        study.optimize(objective, n_trials=3, n_workers=2, trial_timeout=4, verbose=False)
        report(study, started)
        """, "1.5")
    (state0, error0), *rest = out["trials"]
    assert state0 == "FAILED" and error0.startswith("timed out after 4 s"), error0
    assert rest == [["COMPLETE", ""], ["COMPLETE", ""]]
    assert out["pids"]["2"] == out["pids"]["1"] != out["pids"]["0"]
    assert out["alive"] == [] and out["elapsed"] < 60


@pytest.mark.slow
def test_with_trial_timeout_a_worker_that_dies_fails_only_its_own_trial():
    r = Study(SPACE, seed=0).optimize(dies_when_x_large, n_trials=8, n_workers=2, trial_timeout=60, verbose=False)
    died = [t for t in r.trials if t.params["x"] > 0.7]
    assert died, "the seed must produce a dying trial"
    assert all(t.state is TrialState.FAILED and "the worker running this trial failed" in t.error for t in died)
    assert all(t.state is TrialState.COMPLETE for t in r.trials if t.params["x"] <= 0.7)


def test_an_isolated_pool_kills_one_call_and_refuses_more_calls_than_workers():
    pool = IsolatedPool(1)
    try:
        slow = pool.submit(time.sleep, 60)
        with pytest.raises(RuntimeError, match="all 1 workers .* are busy"):
            pool.submit(abs, -1)
        assert pool.kill(slow) and slow.done() and slow.exception() is not None
        assert pool.submit(abs, -2).result(timeout=60) == 2  # a new worker
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def test_trial_timeout_is_checked():
    study = Study(SPACE, seed=0)
    for bad in (0, -1.0, float("nan"), float("inf"), "10", True):
        with pytest.raises(ValueError, match="trial_timeout"):
            study.optimize(lambda p: 1.0, n_trials=1, trial_timeout=bad, verbose=False)
    with pytest.raises(ValueError, match="trial_timeout .*executor"):
        study.optimize(lambda p: 1.0, n_trials=1, trial_timeout=5, executor=InlineExecutor(), verbose=False)
    assert study.trials == []


# -- Ctrl-C ------------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("extra", ["", ", trial_timeout=300"], ids=["pool", "trial_timeout"])
def test_ctrl_c_stops_the_running_trials_at_once(tmp_path, extra):
    script = tmp_path / "script.py"
    script.write_text(PRELUDE + textwrap.dedent(f"""\
        study.enqueue({{"x": 0.9}})
        study.enqueue({{"x": 0.8}})
        started = time.monotonic()
        try:
            study.optimize(objective, n_trials=4, n_workers=2, verbose=False{extra})
        except KeyboardInterrupt:
            report(study, started)
        """))
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path)], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + HARD_TIMEOUT
        while len(list(tmp_path.glob("pid-*"))) < 2:  # both trials are inside the objective
            assert time.monotonic() < deadline and proc.poll() is None, "the trials never started"
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGINT)
        interrupted = time.monotonic()
        stdout, stderr = proc.communicate(timeout=HARD_TIMEOUT)
        took = time.monotonic() - interrupted
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    out = parse_report(stdout, stderr)
    assert took < 60
    assert [state for state, _ in out["trials"]] == ["FAILED", "FAILED"]
    assert all(error == INTERRUPTED + "KeyboardInterrupt" for _, error in out["trials"])
    assert out["alive"] == []
