"""Studies on a real Dask LocalCluster: executors, and workers that die in the middle of a trial."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures import Future
from pathlib import Path

import pytest

from hpcore import Float, Space, Study, TrialState

distributed = pytest.importorskip("distributed")

from hpcore.distributed import ClusterLost, DaskExecutor, WorkerLost  # noqa: E402 - after the importorskip of distributed

SPACE = Space({"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)})


# -- objectives (module level so worker processes can import them) ------------------------------------
class Logged:
    """Appends "<trial id> <pid>" to a file when it starts, then misbehaves as configured:
    `exit_above`: the worker process exits (like an OOM kill) when x is above it;
    `exit_first`: the worker exits the first time these trial ids start (a marker file per id);
    `sleep_ids`: these trials write their pid to `<dir>/sleep-<id>` and sleep for a minute;
    `raise_above`: the objective raises for x above it."""

    def __init__(self, directory: Path, exit_above: float = 2.0, exit_first: tuple = (), sleep_ids: tuple = (),
                 raise_above: float = 2.0) -> None:
        self.dir = Path(directory)
        self.exit_above, self.exit_first, self.sleep_ids = exit_above, exit_first, sleep_ids
        self.raise_above = raise_above

    def __call__(self, params, trial=None):
        with open(self.dir / "starts.log", "a") as f:
            f.write(f"{trial.id} {os.getpid()}\n")
        if params["x"] > self.exit_above:
            os._exit(1)
        if trial.id in self.exit_first:
            marker = self.dir / f"exited-{trial.id}"
            if not marker.exists():
                marker.touch()
                os._exit(1)
        if trial.id in self.sleep_ids:
            (self.dir / f"sleep-{trial.id}").write_text(str(os.getpid()))
            time.sleep(60)
        if params["x"] > self.raise_above:
            raise RuntimeError("x too large")
        return (params["x"] - 0.3) ** 2 + params["y"]

    def starts(self) -> dict[int, int]:
        """trial id -> how many times its objective started."""
        out: dict[int, int] = {}
        path = self.dir / "starts.log"
        for line in (path.read_text().splitlines() if path.exists() else []):
            tid = int(line.split()[0])
            out[tid] = out.get(tid, 0) + 1
        return out


def worker_pid(params):
    return float(os.getpid())


def add(a, b=0):
    return a + b


def fail(message):
    raise ValueError(message)


# -- fixtures --------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=40) as c:
        yield c


@pytest.fixture
def client(cluster):
    with distributed.Client(cluster) as c:
        c.wait_for_workers(2, timeout=60)  # a previous test may have killed one (its nanny restarts it)
        yield c


def events_left(client) -> list:
    return client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.extensions["events"]._events))


def assert_all_finished(trials, n):
    assert len(trials) == n
    assert all(t.state in (TrialState.COMPLETE, TrialState.FAILED) for t in trials)


# -- tests without a cluster -----------------------------------------------------------------------
def test_arguments_are_checked():
    with pytest.raises(ValueError, match="retries"):
        DaskExecutor("tcp://127.0.0.1:1", retries=-1)
    with pytest.raises(ValueError, match="n_workers"):
        DaskExecutor("tcp://127.0.0.1:1", n_workers=0)
    with pytest.raises(TypeError, match="address must be"):
        DaskExecutor(42)
    with pytest.raises(TypeError, match="only when address is None"):
        DaskExecutor("tcp://127.0.0.1:1", memory_limit="1GB")


def test_the_name_guard_is_found_around_the_calling_line():
    import ast

    from hpcore.distributed import _under_name_guard

    source = ast.parse(
        "import hpcore\n"                             # 1
        "def main():\n"                               # 2
        "    return hpcore.DaskExecutor()\n"          # 3
        "ex = main()\n"                               # 4
        "if __name__ == '__main__':\n"                # 5
        "    ex = hpcore.DaskExecutor(\n"             # 6
        "        n_workers=2)\n"                      # 7
        "try:\n"                                      # 8
        "    if '__main__' == __name__:\n"            # 9
        "        main()\n"                            # 10
        "except RuntimeError:\n"                      # 11
        "    pass\n"                                  # 12
        "if ex:\n"                                    # 13
        "    main()\n")                               # 14
    assert [line for line in range(1, 15) if _under_name_guard(source, line)] == [5, 6, 7, 9, 10]


def test_a_local_cluster_started_from_a_worker_rerunning_the_script_is_refused():
    # What a spawned worker would do in an unguarded script: run its top level as `__mp_main__`.
    code = compile("import hpcore\nhpcore.DaskExecutor(n_workers=1)\n", "/nowhere/user_script.py", "exec")
    with pytest.raises(RuntimeError, match="user_script.py, line 2, .* outside `if __name__"):
        exec(code, {"__name__": "__mp_main__"})


# -- executors ------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_client_get_executor_runs_trials_on_workers_and_the_driver_keeps_the_storage(client, tmp_path):
    study = Study(SPACE, storage=tmp_path / "s.db", name="s", seed=0)
    r = study.optimize(worker_pid, n_trials=6, executor=client.get_executor(), n_workers=2, verbose=False)
    assert_all_finished(r.trials, 6)
    assert all(t.state is TrialState.COMPLETE for t in r.trials)
    workers = set(client.run(os.getpid).values())
    assert {int(t.value) for t in r.trials} <= workers and os.getpid() not in workers
    assert len(Study(storage=tmp_path / "s.db", name="s").trials) == 6


@pytest.mark.slow
def test_dask_executor_wraps_a_client_an_address_or_a_cluster(cluster, client):
    with DaskExecutor(client) as ex:
        assert ex.n_workers == 2 and ex.client is client
        fut = ex.submit(add, 1, b=2)
        assert isinstance(fut, Future) and fut.result(timeout=30) == 3
        assert list(ex.map(add, [1, 2], [10, 20])) == [11, 22]
        with pytest.raises(ValueError, match="boom"):
            ex.submit(fail, "boom").result(timeout=30)
    assert client.status == "running"  # a client it was given stays open
    with DaskExecutor(cluster.scheduler_address, n_workers=2) as ex:
        assert ex.submit(add, 2).result(timeout=30) == 2
        own = ex.client
    assert own.status == "closed"
    with DaskExecutor(cluster) as ex:
        assert ex.n_workers == 2
    with pytest.raises(RuntimeError, match="after shutdown"):
        ex.submit(add, 1)
    assert events_left(client) == []


@pytest.mark.slow
def test_dask_executor_starts_and_closes_its_own_local_cluster():
    with DaskExecutor(n_workers=1, dashboard_address=":0", silence_logs=40) as ex:
        assert ex.n_workers == 1 and ex.submit(worker_pid, {}).result(timeout=30) != os.getpid()
        cluster = ex._cluster
    assert ex.client.status == "closed" and cluster.status.name == "closed"


@pytest.mark.slow
def test_cancelling_a_future_cancels_the_dask_task(client):
    with DaskExecutor(client) as ex:
        fut = ex.submit(time.sleep, 2)
        (key,) = list(ex._pending)
        marker = key.replace("hpcore-sleep-", "hpcore-attempt-") + "-0"
        deadline = time.monotonic() + 30
        while marker not in events_left(client) and time.monotonic() < deadline:
            time.sleep(0.05)  # wait until it runs (a task cancelled as it starts may leave its record)
        assert fut.cancel()
        deadline = time.monotonic() + 30
        while client.run_on_scheduler(lambda dask_scheduler: key in dask_scheduler.tasks) \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not client.run_on_scheduler(lambda dask_scheduler: key in dask_scheduler.tasks)
    time.sleep(1.6)  # the worker thread finishes its sleep (Dask cannot interrupt a running task)
    assert events_left(client) == []


@pytest.mark.slow
def test_a_study_on_dask_executor_matches_the_sequential_study(client):
    with DaskExecutor(client) as ex:
        a = Study(SPACE, seed=3).optimize(worker_pid, n_trials=6, executor=ex, n_workers=ex.n_workers,
                                           verbose=False)
    b = Study(SPACE, seed=3).optimize(worker_pid, n_trials=6, verbose=False)
    assert [dict(t.params) for t in a.trials] == [dict(t.params) for t in b.trials]


# -- dying workers --------------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_worker_that_exits_mid_trial_leaves_one_failed_trial_and_the_study_goes_on(client, tmp_path):
    objective = Logged(tmp_path, exit_above=0.7)
    with DaskExecutor(client) as ex:
        r = Study(SPACE, seed=1).optimize(objective, n_trials=12, executor=ex, n_workers=2, verbose=False)
    assert_all_finished(r.trials, 12)
    died = [t for t in r.trials if t.params["x"] > 0.7]
    assert died, "the seed must produce at least one dying trial"
    for t in died:
        assert t.state is TrialState.FAILED and "WorkerLost" in t.error and "not started again" in t.error
    assert all(t.state is TrialState.COMPLETE for t in r.trials if t.params["x"] <= 0.7)
    assert max(t.id for t in died) < 11  # trials after a death ran
    assert set(objective.starts().values()) == {1}  # no trial's objective ran twice
    assert events_left(client) == []


@pytest.mark.slow
def test_killing_a_worker_process_from_the_driver_fails_that_trial(client, tmp_path):
    objective = Logged(tmp_path, sleep_ids=(2,))
    killed = []

    def killer():
        path = tmp_path / "sleep-2"
        deadline = time.monotonic() + 60
        while not path.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.1)
        pid = int(path.read_text())
        os.kill(pid, signal.SIGKILL)
        killed.append(pid)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    with DaskExecutor(client) as ex:
        t0 = time.monotonic()
        r = Study(SPACE, seed=0).optimize(objective, n_trials=8, executor=ex, n_workers=2, verbose=False)
        elapsed = time.monotonic() - t0
    thread.join(5)
    assert killed and elapsed < 50  # the 60 s sleep was not run again elsewhere
    assert_all_finished(r.trials, 8)
    assert r.trials[2].state is TrialState.FAILED and "WorkerLost" in r.trials[2].error
    assert all(t.state is TrialState.COMPLETE for t in r.trials if t.id != 2)
    assert objective.starts()[2] == 1


@pytest.mark.slow
def test_retries_rerun_a_trial_whose_worker_died_but_not_one_whose_objective_raised(client, tmp_path):
    objective = Logged(tmp_path, exit_first=(1,), raise_above=0.5)
    with DaskExecutor(client, retries=1) as ex:
        r = Study(SPACE, seed=1).optimize(objective, n_trials=6, executor=ex, n_workers=2, verbose=False)
    assert_all_finished(r.trials, 6)
    starts = objective.starts()
    assert starts[1] == 2 and r.trials[1].state is TrialState.COMPLETE  # re-run on a live worker
    raised = [t for t in r.trials if t.params["x"] > 0.5]
    assert raised and all(t.state is TrialState.FAILED and "x too large" in t.error for t in raised)
    assert all(starts[t.id] == 1 for t in r.trials if t.id != 1)
    assert events_left(client) == []


def test_worker_lost_is_a_runtime_error():
    assert issubclass(WorkerLost, RuntimeError)


# -- a cluster that lost all its workers -------------------------------------------------------------------
def test_lost_workers_timeout_is_checked():
    for bad in (0, -1.0, float("nan"), float("inf"), "30", True):
        with pytest.raises(ValueError, match="lost_workers_timeout"):
            DaskExecutor("tcp://127.0.0.1:1", lost_workers_timeout=bad)


def test_cluster_lost_is_a_broken_executor():
    # So that `optimize` stops at the next submit, as for a process pool whose worker died.
    from concurrent.futures import BrokenExecutor

    assert issubclass(ClusterLost, BrokenExecutor)


# Before the watch for a cluster without workers, both parts waited forever: optimize in
# `concurrent.futures.wait`, and the shutdown for the task queued on the empty cluster.
LOST_CLUSTER_SCRIPT = textwrap.dedent("""\
    import os
    import sys
    import threading
    import time
    from pathlib import Path
    from hpcore import Float, Space, Study

    here = Path(sys.argv[1])

    def objective(params):
        (here / "started").touch()
        time.sleep(600)
        return params["x"]

    if __name__ == "__main__":
        import distributed
        from hpcore.distributed import ClusterLost, DaskExecutor

        cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=":0",
                                           silence_logs=50)

        def remove_the_workers():  # once the first trial runs, as a cluster losing its machines would
            while not (here / "started").exists():
                time.sleep(0.05)
            cluster.scale(0)

        threading.Thread(target=remove_the_workers, daemon=True).start()
        study = Study(Space({"x": Float(0.0, 1.0)}), seed=0)
        try:
            with DaskExecutor(cluster, lost_workers_timeout=1) as ex:
                study.optimize(objective, n_trials=3, executor=ex, n_workers=1, verbose=False)
        except ClusterLost as e:
            print("RAISED", e, flush=True)
        for t in study.trials:
            print("TRIAL", t.state.value, t.error, flush=True)
        ex = DaskExecutor(cluster, lost_workers_timeout=1)  # no worker at all now
        queued = ex.submit(abs, -1)
        ex.shutdown(wait=True)
        print("QUEUED", type(queued.exception()).__name__, flush=True)
        cluster.close()
    """)


@pytest.mark.slow
def test_a_cluster_that_lost_all_its_workers_ends_the_run_instead_of_waiting_forever(tmp_path):
    script = tmp_path / "lost.py"
    script.write_text(LOST_CLUSTER_SCRIPT)
    proc = subprocess.run([sys.executable, str(script), str(tmp_path)], cwd=tmp_path, capture_output=True,
                          text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert any(line.startswith("RAISED no Dask worker was connected") and "lost_workers_timeout=1" in line
               for line in lines), proc.stdout + proc.stderr[-3000:]
    trials = [line.split(" ", 2)[1:] for line in lines if line.startswith("TRIAL ")]
    assert trials[0][0] == "FAILED" and "ClusterLost" in trials[0][1]  # the trial that was running
    assert all(state == "FAILED" for state, _ in trials)  # any asked after it: interrupted, none RUNNING
    assert "QUEUED ClusterLost" in lines


@pytest.mark.slow
def test_scaling_benchmark_prints_a_table():
    from hpcore.benchmarks.dask_scaling import main

    table = main(["--workers", "1", "--trials", "3", "--seconds", "0.01", "--executors", "dask"])
    assert "| hpcore.DaskExecutor | 1 |" in table
