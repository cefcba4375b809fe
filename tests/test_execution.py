"""Running trials: parallel workers, dying workers, executors, call conventions."""

import itertools
import os

import pytest

import hpcore
from hpcore import Float, Space, Study, TrialState
from hpcore.execution import InlineExecutor, call_style, parse_value, process_pool
from tests.objectives import (
    dies_when_x_large,
    fails_when_x_large,
    quadratic,
    record_pid_slowly,
    slow_quadratic,
)

SPACE = Space({"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)})


def test_call_style():
    assert call_style(lambda p: 0).budget is False
    assert call_style(lambda p, budget: 0).budget is True
    assert call_style(lambda p, budget=3: 0).budget is False
    assert call_style(lambda p, budget=3: 0, needs_budget=True).budget is True
    assert call_style(lambda p, trial=None: 0).trial is True
    with pytest.raises(TypeError, match="must accept one"):
        call_style(lambda p: 0, needs_budget=True)
    with pytest.raises(TypeError, match="requires 3 arguments"):
        call_style(lambda a, b, c: 0)


def test_call_style_refuses_a_required_budget_when_the_strategy_gives_none():
    def train(params, epochs):
        return 0.0

    with pytest.raises(TypeError, match="requires a budget 'epochs'.*strategy 'grid' gives no budget"):
        call_style(train, needs_budget=False, strategy="grid")
    with pytest.raises(TypeError, match="the strategy gives no budget"):
        call_style(train, needs_budget=False)
    assert call_style(lambda p, budget=None: 0, needs_budget=False).budget is False
    assert call_style(lambda p, *rest: 0, needs_budget=False).budget is False
    assert call_style(train).budget is True  # not knowing the strategy: the signature decides
    assert call_style(train, needs_budget=True).budget is True


def test_parse_value():
    assert parse_value(1) == (1.0, {})
    with pytest.raises(ValueError, match="without a 'value' key"):
        parse_value({"loss": 1})


@pytest.mark.slow
def test_process_pool_runs_trials_in_parallel_and_records_every_one():
    r = hpcore.minimize(record_pid_slowly, SPACE, n_trials=8, n_workers=2, seed=0, verbose=False)
    assert len(r.trials) == 8 and all(t.state is TrialState.COMPLETE for t in r.trials)
    pids = {t.value for t in r.trials}
    assert 1 <= len(pids) <= 2 and os.getpid() not in pids
    spans = sorted((t.started_at, t.finished_at) for t in r.trials)
    assert any(b[0] < a[1] for a, b in itertools.pairwise(spans)), "no two trials ran at the same time"


@pytest.mark.slow
def test_parallel_failures_are_failed_trials(tmp_path):
    study = Study(SPACE, storage=tmp_path / "p.db", name="p", seed=2)
    r = study.optimize(fails_when_x_large, n_trials=10, n_workers=2, verbose=False)
    failed = [t for t in r.trials if t.state is TrialState.FAILED]
    assert failed and all("x too large" in t.error for t in failed)
    assert all(t.params["x"] > 0.5 for t in failed)


@pytest.mark.slow
def test_a_worker_that_dies_leaves_a_failed_trial_and_the_study_goes_on():
    r = hpcore.minimize(dies_when_x_large, SPACE, n_trials=12, n_workers=2, seed=1, verbose=False)
    assert len(r.trials) == 12
    assert all(t.state.finished for t in r.trials)
    died = [t for t in r.trials if t.state is TrialState.FAILED]
    assert died and all("worker" in t.error for t in died)
    assert all(t.state is TrialState.FAILED for t in r.trials if t.params["x"] > 0.7)
    assert all(t.state is TrialState.COMPLETE for t in r.trials if t.params["x"] <= 0.7)  # no collateral failure


@pytest.mark.slow
def test_after_a_worker_dies_a_new_worker_runs_the_remaining_trials():
    # Seed 6 proposes x > 0.7 at trial 2 and again later (which trials depends on the results
    # before them), so a worker dies early and more than once. In one shared pool, the next
    # submit raised BrokenProcessPool and ended the study (the test above passes by luck of
    # timing: its first death is at trial 10).
    r = hpcore.minimize(dies_when_x_large, SPACE, n_trials=16, n_workers=2, seed=6, verbose=False)
    assert len(r.trials) == 16 and all(t.state.finished for t in r.trials)
    deaths = [t.id for t in r.trials if t.params["x"] > 0.7]
    assert deaths[0] == 2 and len(deaths) >= 2
    assert all(r.trials[i].state is TrialState.FAILED and "worker" in r.trials[i].error for i in deaths)
    # Each worker is a pool of its own (IsolatedPool): a trial running beside a dying one completes.
    assert [t.id for t in r.trials if t.state is TrialState.FAILED] == deaths


@pytest.mark.slow
def test_a_broken_executor_of_the_users_own_is_not_replaced(tmp_path):
    from concurrent.futures import BrokenExecutor

    study = Study(SPACE, storage=tmp_path / "b.db", name="b", seed=6)
    with process_pool(2) as pool, pytest.raises(BrokenExecutor):
        study.optimize(dies_when_x_large, n_trials=16, executor=pool, n_workers=2, verbose=False)
    reopened = Study(storage=tmp_path / "b.db", name="b")
    assert reopened.trials and all(t.state.finished for t in reopened.trials)  # storage consistent


@pytest.mark.slow
def test_parallel_results_do_not_depend_on_scheduling():
    a = hpcore.minimize(slow_quadratic, SPACE, n_trials=8, n_workers=2, seed=9, verbose=False)
    b = hpcore.minimize(quadratic, SPACE, n_trials=8, seed=9, verbose=False)
    assert [dict(t.params) for t in a.trials] == [dict(t.params) for t in b.trials]


def native_thread_counts(params):
    """Reports, from inside a worker, the thread limits its native pools run with."""
    import numpy  # noqa: F401 - loads the BLAS that threadpoolctl reports
    from threadpoolctl import threadpool_info

    blas = [lib["num_threads"] for lib in threadpool_info() if lib["user_api"] == "blas"]
    return {"value": params["x"], "blas": max(blas, default=1), "omp": os.environ.get("OMP_NUM_THREADS")}


@pytest.mark.slow
def test_each_worker_runs_one_blas_thread(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    r = hpcore.minimize(native_thread_counts, SPACE, n_trials=4, n_workers=2, seed=0, verbose=False)
    assert all(t.user_attrs["blas"] == 1 and t.user_attrs["omp"] == "1" for t in r.trials), r.trials


def test_a_process_pool_shutdown_with_cancel_futures_stops_running_calls():
    import time

    pool = process_pool(1)
    slow = pool.submit(time.sleep, 30)
    while not slow.running():
        time.sleep(0.01)
    pool.shutdown(wait=True, cancel_futures=True)  # the worker is killed, not awaited
    assert slow.done() and slow.exception() is not None  # not the None that sleep returns


def test_an_objective_that_cannot_reach_the_workers_is_refused_before_any_trial():
    import threading

    lock = threading.Lock()

    def objective(params):
        with lock:
            return params["x"]

    study = Study(SPACE, seed=0)
    with pytest.raises(TypeError, match="the objective '.*objective' cannot be sent to worker processes: .*lock"):
        study.optimize(objective, n_trials=2, n_workers=2, verbose=False)
    assert study.trials == []


@pytest.mark.slow
def test_closures_run_in_worker_processes():
    offset = 0.25
    r = hpcore.minimize(lambda p: p["x"] + offset, SPACE, n_trials=4, n_workers=2, seed=0, verbose=False)
    assert all(t.value >= 0.25 for t in r.trials)


def test_any_executor_is_accepted():
    r = Study(SPACE, seed=0).optimize(quadratic, n_trials=3, executor=InlineExecutor(), verbose=False)
    assert len(r.trials) == 3


@pytest.mark.slow
def test_dask_local_cluster_executor():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        r = Study(SPACE, seed=0).optimize(quadratic, n_trials=8, executor=client.get_executor(), n_workers=2,
                                          verbose=False)
    assert len(r.trials) == 8 and all(t.state is TrialState.COMPLETE for t in r.trials)


def test_executor_worker_count_sets_the_trials_in_flight():
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    class ThreeWorkers(ThreadPoolExecutor):
        n_workers = 3

    lock, running, peak = threading.Lock(), [0], [0]

    def objective(p):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.1)
        with lock:
            running[0] -= 1
        return p["x"]

    with ThreeWorkers(max_workers=3) as ex:
        Study(SPACE, seed=0).optimize(objective, n_trials=9, executor=ex, verbose=False)
    assert peak[0] == 3
