"""`trial_timeout` counts a trial's own run time, never its worker's start-up.

A new worker is a fresh interpreter that imports hpcore and, while unpickling its first call,
the objective's module: seconds under load. Before, a trial's clock started at its submit, so
`optimize(n_workers=2, trial_timeout=1.0)` on a busy machine timed out every trial while its
worker was still starting.

The scripts import their objectives from a module that sleeps `START_UP` seconds at import in
every process but the driver's: each worker (also the one that replaces a killed worker) then
takes longer to start than the timeout. Elapsed-time bounds are far from the measured times.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any

import pytest

from hpcore import Float, Space, Study, TrialState
from hpcore.errors import TooManyFailures
from hpcore.execution import IsolatedPool, call_style
from hpcore.run import OptimizeRun

#: Seconds any script may take before the test fails (and kills it) instead of waiting.
HARD_TIMEOUT = 120

#: Seconds the objective's module sleeps at import in a worker: more than the timeout.
START_UP = 2.0

OBJECTIVE_MODULE = textwrap.dedent(f"""\
    import json
    import os
    import time

    if os.environ.get("SLOW_START_DRIVER") != str(os.getpid()):
        time.sleep({START_UP})

    def objective(params):
        with open("started.jsonl", "a") as f:  # one short append per call: atomic
            f.write(json.dumps({{"x": params["x"], "at": time.time()}}) + "\\n")
        time.sleep(5.0 if params["x"] > 0.5 else 0.1)
        return params["x"]
    """)

SCRIPT = textwrap.dedent("""\
    import json
    import os
    import sys
    import time

    os.environ["SLOW_START_DRIVER"] = str(os.getpid())
    from slow_start_objective import objective
    from hpcore import Float, Space, Study, TooManyFailures

    study = Study(Space({"x": Float(0.0, 1.0)}), seed=0)
    for x in json.loads(sys.argv[1]):
        study.enqueue({"x": x})
    started = time.monotonic()
    try:
        study.optimize(objective, n_trials=len(json.loads(sys.argv[1])), n_workers=2, trial_timeout=1.0,
                       verbose=False)
    except TooManyFailures:  # every trial failed: the report says how
        pass
    print("REPORT", json.dumps({
        "elapsed": time.monotonic() - started,
        "trials": [[t.params["x"], t.state.value, t.error or "", t.started_at, t.finished_at]
                   for t in study.trials],
    }), flush=True)
    """)


def run_script(tmp_path: Path, xs: list[float]) -> tuple[dict, dict[float, list[float]]]:
    """Run SCRIPT on the enqueued `xs`; return its report and, per x, when its objective started
    (wall-clock seconds, one entry per call)."""
    (tmp_path / "slow_start_objective.py").write_text(OBJECTIVE_MODULE)
    (tmp_path / "script.py").write_text(SCRIPT)
    proc = subprocess.run([sys.executable, "script.py", json.dumps(xs)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=HARD_TIMEOUT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [line for line in proc.stdout.splitlines() if line.startswith("REPORT ")]
    assert len(lines) == 1, proc.stdout + proc.stderr[-3000:]
    started: dict[float, list[float]] = {}
    log = tmp_path / "started.jsonl"
    for line in log.read_text().splitlines() if log.exists() else []:
        call = json.loads(line)
        started.setdefault(call["x"], []).append(call["at"])
    return json.loads(lines[0][len("REPORT "):]), started


@pytest.mark.slow
def test_a_slow_worker_start_up_times_out_no_trial(tmp_path):
    # Trial 0 hangs and is killed; trial 3 then runs on a new worker, which starts slowly too.
    # Before, every trial timed out: [FAILED] * 4, all "timed out after 1 s".
    out, started = run_script(tmp_path, [0.9, 0.1, 0.2, 0.3])
    states = [(state, error[:40]) for _, state, error, _, _ in out["trials"]]
    assert [state for state, _ in states] == ["FAILED", "COMPLETE", "COMPLETE", "COMPLETE"], states
    assert out["trials"][0][2].startswith("timed out after 1 s (trial_timeout=1)")
    assert sorted(started) == [0.1, 0.2, 0.3, 0.9]


@pytest.mark.slow
def test_a_hanging_objective_is_stopped_a_timeout_after_it_started(tmp_path):
    # Before, both trials timed out while their workers were starting: no objective ever ran.
    out, started = run_script(tmp_path, [0.9, 0.8])
    assert sorted(started) == [0.8, 0.9]
    for x, state, error, trial_started, trial_finished in out["trials"]:
        assert state == "FAILED" and error.startswith("timed out after 1 s"), error
        (objective_started,) = started[x]
        # Stopped a second after its objective began (not at its 5 s end, nor before START_UP
        # passed); its stored run time counts from there too.
        assert 0.9 < trial_finished - objective_started < 4.0
        assert 0.9 < trial_finished - trial_started < 4.0
    assert out["elapsed"] < START_UP + 5.0 + 30  # not waiting for the hanging objectives


# -- IsolatedPool.running_since -------------------------------------------------------------------
def _unloadable() -> None:
    raise ImportError("cannot be loaded in the worker")


class LoadsBadly:
    """Pickles in the driver; unpickling it in a worker raises."""

    def __reduce__(self) -> tuple:
        return _unloadable, ()


@pytest.mark.slow
def test_an_isolated_pool_starts_a_call_s_clock_once_its_worker_is_ready():
    pool = IsolatedPool(1)
    try:
        first = pool.submit(abs, -1)
        assert pool.running_since(first) is None  # a fresh interpreter takes far longer than this line
        assert first.result(timeout=60) == 1
        before = time.monotonic()
        second = pool.submit(time.sleep, 0.2)
        since = pool.running_since(second)
        assert since is not None and before <= since <= time.monotonic()  # a started worker: at once
        assert second.result(timeout=60) is None
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@pytest.mark.slow
def test_an_isolated_pool_call_cancelled_or_unloadable_while_its_worker_starts():
    pool = IsolatedPool(1)
    try:
        cancelled = pool.submit(abs, -1)
        assert cancelled.cancel() and cancelled.cancelled()  # not yet handed to the worker
        # A call whose arguments cannot be loaded in its worker fails with the pool's error ...
        broken = pool.submit(abs, LoadsBadly())
        with pytest.raises(Exception, match="un-serialize|unpickl|cannot be loaded"):
            broken.result(timeout=60)
        # ... and the next call gets a new worker.
        assert pool.submit(abs, -3).result(timeout=60) == 3
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@pytest.mark.slow
def test_an_isolated_pool_shutdown_with_wait_lets_a_starting_call_run():
    pool = IsolatedPool(1)
    call = pool.submit(abs, -4)
    pool.shutdown(wait=True)
    assert call.result(timeout=0) == 4


# -- the deadline bookkeeping, on a pool whose start is simulated -----------------------------------
class SlowStartingPool(Executor):
    """One call at a time that never returns: it is 'handed to its worker' `start_up` seconds
    after its submit. Records when (monotonic, wall clock) and when each call was killed."""

    def __init__(self, start_up: float) -> None:
        self.start_up = start_up
        self.since: dict[Future, tuple[float, float]] = {}
        self.killed: dict[Future, float] = {}

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future:
        fut: Future = Future()
        timer = threading.Timer(self.start_up, lambda: self.since.setdefault(fut, (time.monotonic(), time.time())))
        timer.daemon = True
        timer.start()
        return fut

    def running_since(self, future: Future) -> float | None:
        return self.since[future][0] if future in self.since else None

    def kill(self, future: Future) -> bool:
        self.killed[future] = time.monotonic()
        future.set_exception(RuntimeError("killed"))
        return True


def test_a_trial_is_stopped_its_timeout_after_its_call_reached_a_started_worker():
    # Timeout 0.05 s, start-up 0.3 s: before, the trial was killed 0.05 s after its submit.
    study = Study(Space({"x": Float(0.0, 1.0)}), seed=0)
    pool = SlowStartingPool(start_up=0.3)
    objective = lambda params: 0.0  # noqa: E731 (never called: the pool runs nothing)
    run = OptimizeRun(study, objective, call_style(objective), pool, n_trials=1, timeout=None, n_workers=1,
                      catch=(Exception,), max_failures=None, callbacks=[], verbose=False, trial_timeout=0.05)
    with pytest.raises(TooManyFailures, match="timed out after 0.05 s"):
        run.loop()
    ((fut, killed),) = pool.killed.items()
    since, since_wall = pool.since[fut]
    assert killed - since >= 0.05  # never before its own time was up
    (trial,) = study.trials
    assert trial.state is TrialState.FAILED and trial.error.startswith("timed out after 0.05 s")
    # Its stored run time starts where its call reached the worker, not at its submit.
    assert trial.started_at == pytest.approx(since_wall, abs=0.01)
    assert trial.finished_at - trial.started_at >= 0.05
