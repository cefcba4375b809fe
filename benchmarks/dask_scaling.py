"""Trials per second of a study on a Dask LocalCluster with 1, 2, ... workers, against the ideal.

    python -m hpcore.benchmarks.dask_scaling [--workers 1,2] [--trials 40] [--seconds 0.2] [--busy]
                                      [--executors dask,dask-client,pool,isolated]

The objective takes `--seconds` per call (sleeping, or with `--busy` spinning the CPU). For each
worker count w a fresh LocalCluster of w single-threaded worker processes runs a warm-up, then
`--trials` trials of a random-search study; the clock covers `optimize` only (not the cluster's
start). Ideal throughput is w / seconds trials per second. Executors: `DaskExecutor` ("dask"),
the plain `client.get_executor()` ("dask-client"), and as single-machine references hpcore's
local process pool ("pool", one loky pool of w workers) and `IsolatedPool` ("isolated", a
one-process pool per worker: what `optimize(n_workers=w)` runs on when given no executor).
Prints a markdown table.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor
from contextlib import contextmanager

import hpcore
from hpcore.execution import IsolatedPool, process_pool

SPACE = hpcore.Space({"x": hpcore.Float(0.0, 1.0), "y": hpcore.Float(0.0, 1.0)})


class Objective:
    """Takes `seconds` per call: sleeping (I/O-like, e.g. a remote job) or spinning (CPU-bound)."""

    def __init__(self, seconds: float, busy: bool) -> None:
        self.seconds, self.busy = seconds, busy

    def __call__(self, params: dict) -> float:
        if self.busy:
            end = time.perf_counter() + self.seconds
            while time.perf_counter() < end:
                pass
        else:
            time.sleep(self.seconds)
        return (params["x"] - 0.3) ** 2 + params["y"]


@contextmanager
def executor(kind: str, workers: int) -> Iterator[Executor]:
    if kind in ("pool", "isolated"):
        pool = process_pool(workers) if kind == "pool" else IsolatedPool(workers)
        try:
            yield pool
        finally:
            pool.shutdown(wait=True)
        return
    import distributed

    with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  silence_logs=40) as cluster, distributed.Client(cluster) as client:
        client.wait_for_workers(workers)
        if kind == "dask":
            with hpcore.DaskExecutor(client) as ex:
                yield ex
        else:
            yield client.get_executor()


def measure(kind: str, workers: int, trials: int, objective: Callable) -> float:
    """Trials per second of one `optimize` run (after a warm-up run on the same executor)."""
    with executor(kind, workers) as ex:
        hpcore.Study(SPACE, strategy="random", seed=1).optimize(objective, n_trials=2 * workers, executor=ex,
                                                                 n_workers=workers, verbose=False)
        study = hpcore.Study(SPACE, strategy="random", seed=0)
        t0 = time.perf_counter()
        r = study.optimize(objective, n_trials=trials, executor=ex, n_workers=workers, verbose=False)
        wall = time.perf_counter() - t0
    assert all(t.state is hpcore.TrialState.COMPLETE for t in r.trials)
    return trials / wall


def main(argv: list[str] | None = None) -> str:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--trials", type=int, default=40)
    ap.add_argument("--seconds", type=float, default=0.2)
    ap.add_argument("--busy", action="store_true", help="spin the CPU instead of sleeping")
    ap.add_argument("--executors", default="dask,dask-client,pool")
    args = ap.parse_args(argv)
    counts = [int(w) for w in args.workers.split(",")]
    kinds = [k for k in args.executors.split(",") if k]
    names = {"dask": "hpcore.DaskExecutor", "dask-client": "client.get_executor()", "pool": "local process pool",
             "isolated": "IsolatedPool"}
    objective = Objective(args.seconds, args.busy)
    title = (f"{args.trials} trials of a {args.seconds} s objective ({'CPU-bound' if args.busy else 'sleeping'}); "
             f"ideal = workers / {args.seconds} s")
    lines = [title, "",
             "| executor | workers | trials/s | ideal trials/s | efficiency | speed-up vs 1 worker |",
             "|---|---:|---:|---:|---:|---:|"]
    for kind in kinds:
        base = None
        for w in counts:
            rate = measure(kind, w, args.trials, objective)
            base = base or (rate if w == 1 else None)
            ideal = w / args.seconds
            speedup = f"{rate / base:.2f}x" if base else "-"
            lines.append(f"| {names.get(kind, kind)} | {w} | {rate:.2f} | {ideal:.2f} | {rate / ideal:.0%} | {speedup} |")
            print(lines[-1], file=sys.stderr)
    table = "\n".join(lines)
    print(table)
    return table


if __name__ == "__main__":
    main()
