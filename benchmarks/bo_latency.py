"""Time per suggestion of Bayesian optimisation: hpcore vs scikit-optimize vs Optuna's GPSampler.

    python -m hpcore.benchmarks.bo_latency [--n 50,100,200,500,1000] [--dims 6,10] [--asks 5]
                                    [--with skopt,optuna] [--skopt-max-n 500] [--optuna-max-n 1000]
                                    [--blas-threads K]
    python -m hpcore.benchmarks.bo_latency --schedule-check

For each n and d: n random observations of Hartmann-6 (d = 6) or Ackley-10 (d = 10) are given to
each library, then `asks` suggestions are timed, each followed by telling its value (so
every library refits on every new point, as in a real run). Reported: the median time per
suggestion (ask + tell). Libraries are run side by side in one process, interleaved per n,
so machine noise hits all of them alike. "hpcore CPU" is the median CPU time of the same
asks (all threads of the process; on a loaded machine wall time exceeds it by the waits), and
the CPU speed-up compares it with the peers' CPU times measured the same way.

hpcore refits its GP hyperparameters on every ask below 100 observations and afterwards only
once the data have grown by 10 % (in between it extends the Cholesky factor), so from
n = 100 on the median ask does not include a refit. The column "hpcore θ refit" is the time
of one warm-started hyperparameter refit at that n (paid on one ask in 0.1·n), measured on
the model directly. "hpcore first ask" is the first of the timed asks: a cold hyperparameter
fit on all n observations (given with `Study.add`, so no stored θ to start from). "first ask
after resume" is the first ask of a study reopened from SQLite whose last trial was model-led:
its stored θ warm-starts the fit (`GaussianProcess.warm_start_from`). Also
reports hpcore's first ask including numba compilation, cold (empty cache) and warm (cache
filled), measured in fresh subprocesses, and the load average.

--schedule-check compares the refit schedule with refitting on every point: held-out
predictive quality of the GP along n = 100..400 on Hartmann-6 and Ackley-10.

--blas-threads K runs everything (all libraries) with at most K BLAS/OpenMP threads
(threadpoolctl) and K torch threads; by default each library keeps its own threading.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from hpcore.benchmarks.functions import get_function
from hpcore.benchmarks.startup import run_timed, timed_snippet


def _observations(fn, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    lo, hi = np.array(fn.lower), np.array(fn.upper)
    X = lo + rng.random((n, fn.dims)) * (hi - lo)
    return X, np.array([fn(x) for x in X])


def _hpcore_study(fn, X: np.ndarray, y: np.ndarray, **storage: Any):
    """A seeded BO study holding the observations X: (n, d), y: (n,) as added results
    (`storage`: the Study's storage and name, or nothing for memory)."""
    import hpcore

    study = hpcore.Study(fn.space(), strategy="bayes", seed=0, **storage)
    for x, v in zip(X, y):
        study.add({f"x{i}": float(xi) for i, xi in enumerate(x)}, float(v))
    return study


def time_hpcore(fn, X: np.ndarray, y: np.ndarray, asks: int, cpu: list[float] | None = None) -> list[float]:
    study = _hpcore_study(fn, X, y)
    times = []
    for _ in range(asks):
        t0, c0 = time.perf_counter(), time.process_time()
        trial = study.ask()
        study.tell(trial, fn.params_call(trial.params))
        times.append(time.perf_counter() - t0)
        if cpu is not None:  # CPU seconds of all threads of the process (spinning BLAS workers count)
            cpu.append(time.process_time() - c0)
    return times


def hpcore_resume_ms(fn, X: np.ndarray, y: np.ndarray) -> float:
    """ms of the first ask of a study resumed from SQLite with n = len(X) results, the last of
    them model-led (so its trial stores the fitted θ, as in a study interrupted mid-run)."""
    import hpcore

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "resume.db"
        study = _hpcore_study(fn, X[:-1], y[:-1], storage=db, name="r")
        trial = study.ask()
        study.tell(trial, fn.params_call(trial.params))
        resumed = hpcore.Study(storage=db, name="r")  # a new strategy object, as in a new process
        t0 = time.perf_counter()
        trial = resumed.ask()
        elapsed = time.perf_counter() - t0
        resumed.tell(trial, fn.params_call(trial.params))
    return elapsed * 1e3


def hpcore_refit_ms(fn, X: np.ndarray, y: np.ndarray, repeats: int = 3) -> float:
    """Median ms of a warm-started hyperparameter refit after one new point, at n = len(X)."""
    from hpcore.gp import GaussianProcess
    from hpcore.strategies.bayes import _NOISE_FLOOR

    space = fn.space()
    U = space.encode_many([{f"x{i}": float(xi) for i, xi in enumerate(x)} for x in X])
    times = []
    for _ in range(repeats):
        gp = GaussianProcess(seed=0, noise_floor=_NOISE_FLOOR).fit(U[:-1], y[:-1])  # as the strategy builds it
        t0 = time.perf_counter()
        gp.fit(U, y, refit_hyperparameters=True)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def schedule_check(n_max: int = 400, n_test: int = 500) -> str:
    """Mean held-out NLPD and RMSE over n = 100, 105, ..., n_max of the default GP (refit
    schedule) and of one refitted on every new point (refit_growth=0), same data and seed."""
    from hpcore.gp import GaussianProcess

    lines = ["| function | NLPD, schedule | NLPD, refit always | RMSE, schedule | RMSE, refit always "
             "| θ fits, schedule | refit always |", "|---|---:|---:|---:|---:|---:|---:|"]
    for name in ("hartmann6", "ackley10"):
        fn = get_function(name)
        lo, hi = np.array(fn.lower), np.array(fn.upper)
        rng = np.random.default_rng(0)
        U, Ut = rng.random((n_max, fn.dims)), rng.random((n_test, fn.dims))
        y = np.array([fn(lo + u * (hi - lo)) for u in U])
        yt = np.array([fn(lo + u * (hi - lo)) for u in Ut])
        gps = [GaussianProcess(seed=0, noise_floor=1e-6), GaussianProcess(seed=0, noise_floor=1e-6, refit_growth=0.0)]
        scores = []
        for n in range(90, n_max + 1, 5):
            row = []
            for gp in gps:
                gp.fit(U[:n], y[:n])
                mean, var = gp.predict(Ut)
                var = var + gp.noise_variance * gp.y_std**2
                row += [np.mean(0.5 * np.log(2 * np.pi * var) + 0.5 * (yt - mean) ** 2 / var),
                        np.sqrt(np.mean((yt - mean) ** 2))]
            if n >= 100:
                scores.append(row)
        m = np.mean(scores, axis=0)
        lines.append(f"| {fn.name if hasattr(fn, 'name') else name} | {m[0]:.3f} | {m[2]:.3f} | {m[1]:.4f} | "
                     f"{m[3]:.4f} | {gps[0].n_fits} | {gps[1].n_fits} |")
    text = "\n".join(lines)
    print(text)
    return text


def time_skopt(fn, X: np.ndarray, y: np.ndarray, asks: int, cpu: list[float] | None = None) -> list[float]:
    from skopt import Optimizer

    opt = Optimizer(list(zip(fn.lower, fn.upper)), base_estimator="GP", acq_func="EI", n_initial_points=1,
                    random_state=0)
    opt.tell([list(map(float, x)) for x in X], [float(v) for v in y])
    times = []
    for _ in range(asks):
        t0, c0 = time.perf_counter(), time.process_time()
        x = opt.ask()
        opt.tell(x, float(fn(np.array(x))))
        times.append(time.perf_counter() - t0)
        if cpu is not None:
            cpu.append(time.process_time() - c0)
    return times


def time_optuna(fn, X: np.ndarray, y: np.ndarray, asks: int, cpu: list[float] | None = None) -> list[float]:
    import optuna
    from optuna.distributions import FloatDistribution

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dists = {f"x{i}": FloatDistribution(lo, hi) for i, (lo, hi) in enumerate(zip(fn.lower, fn.upper))}
    study = optuna.create_study(sampler=optuna.samplers.GPSampler(seed=0))
    study.add_trials([
        optuna.trial.create_trial(params={f"x{i}": float(v) for i, v in enumerate(x)}, distributions=dists,
                                  value=float(v))
        for x, v in zip(X, y)
    ])
    times = []
    for _ in range(asks):
        t0, c0 = time.perf_counter(), time.process_time()
        trial = study.ask(dists)
        study.tell(trial, float(fn(np.array([trial.params[f"x{i}"] for i in range(fn.dims)]))))
        times.append(time.perf_counter() - t0)
        if cpu is not None:
            cpu.append(time.process_time() - c0)
    return times


_FIRST_ASK = """
import numpy as np
import hpcore
from hpcore.benchmarks.functions import get_function
fn = get_function("hartmann6")
study = hpcore.Study(fn.space(), strategy="bayes", seed=0)
rng = np.random.default_rng(0)
for x in rng.random((20, 6)):
    study.add({f"x{i}": float(v) for i, v in enumerate(x)}, float(fn(x)))
_t1 = _time.perf_counter()
study.ask()
t_ask = _time.perf_counter() - _t1
"""


def first_ask(cold: bool, threads: int = 0) -> float:
    """Seconds of the first ask in a fresh process started in an empty folder (which holds numba's
    cache too when cold, so it starts empty)."""
    env = dict(os.environ)
    if threads > 0:
        env.update({v: str(threads) for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")})
    with tempfile.TemporaryDirectory(prefix="hpcore-first-ask-") as cwd:
        if cold:
            env["NUMBA_CACHE_DIR"] = cwd
        return run_timed([sys.executable, "-c", timed_snippet(_FIRST_ASK)], cwd, env)["ask"]


def main(argv: list[str] | None = None) -> str:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", default="50,100,200,500,1000")
    ap.add_argument("--dims", default="6,10")
    ap.add_argument("--asks", type=int, default=5)
    ap.add_argument("--with", dest="peers", default="skopt,optuna")
    ap.add_argument("--skopt-max-n", type=int, default=500, help="skip skopt above this n (it takes minutes)")
    ap.add_argument("--optuna-max-n", type=int, default=1000)
    ap.add_argument("--blas-threads", type=int, default=0, help="limit BLAS/OpenMP/torch threads of every library (0: no limit)")
    ap.add_argument("--schedule-check", action="store_true", help="held-out quality of the refit schedule, then exit")
    args = ap.parse_args(argv)
    if args.schedule_check:
        return schedule_check()
    if args.blas_threads > 0:
        return _limited(args)
    return _run(args)


def _limited(args: argparse.Namespace) -> str:
    # threadpoolctl only sees libraries already loaded: load every BLAS first (scipy's and
    # numpy's OpenBLAS are two libraries), and torch's intra-op pool for Optuna's GPSampler.
    import scipy.linalg  # noqa: F401
    import scipy.optimize  # noqa: F401
    from threadpoolctl import threadpool_limits

    for mod in ("sklearn.gaussian_process", "torch"):
        try:
            __import__(mod)
        except ImportError:
            pass
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(args.blas_threads)
    with threadpool_limits(args.blas_threads):
        return _run(args)


def _run(args: argparse.Namespace) -> str:
    ns = [int(v) for v in args.n.split(",")]
    dims = [int(v) for v in args.dims.split(",")]
    peers = [p for p in args.peers.split(",") if p]
    runners = {"hpcore": time_hpcore}
    limits = {"hpcore": max(ns)}
    if "skopt" in peers:
        try:
            import skopt  # noqa: F401

            runners["scikit-optimize GP-EI"], limits["scikit-optimize GP-EI"] = time_skopt, args.skopt_max_n
        except ImportError:
            print("scikit-optimize not installed: skipped", file=sys.stderr)
    if "optuna" in peers:
        try:
            import optuna  # noqa: F401
            import torch  # noqa: F401

            runners["Optuna GPSampler"], limits["Optuna GPSampler"] = time_optuna, args.optuna_max_n
        except ImportError:
            print("optuna or torch not installed: Optuna GPSampler skipped", file=sys.stderr)

    load0 = os.getloadavg()[0]
    lines = ["| d | n | " + " | ".join(f"{k} (ms)" for k in runners)
             + " | speed-up vs fastest peer | hpcore CPU (ms) | CPU speed-up vs fastest peer | hpcore θ refit (ms)"
             " | hpcore first ask (ms) | hpcore first ask after resume (ms) |",
             "|---|---:|" + "---:|" * len(runners) + "---:|---:|---:|---:|---:|---:|"]
    for d in dims:
        fn = get_function("hartmann6" if d == 6 else f"ackley{d}")
        for n in ns:
            X, y = _observations(fn, n, seed=n)
            med, cpu, first = {}, {}, math.nan
            for name, run in runners.items():
                if n > limits[name]:
                    continue
                run(fn, X[:20], y[:20], 1)  # warm-up: imports and compilation are not per-suggestion costs
                cpu[name] = []
                times = run(fn, X, y, args.asks, cpu=cpu[name])
                med[name] = statistics.median(times) * 1e3
                if name == "hpcore":  # a cold hyperparameter fit on all n points, as after resuming a study
                    first = times[0] * 1e3
                cpu[name] = statistics.median(cpu[name]) * 1e3
            cells = [f"{med[k]:,.1f}" if k in med else "—" for k in runners]
            peer = [v for k, v in med.items() if k != "hpcore"]
            ratio = f"{min(peer) / med['hpcore']:,.0f}x" if peer else "—"
            refit = hpcore_refit_ms(fn, X, y)
            resume = hpcore_resume_ms(fn, X, y)
            peer_cpu = [v for k, v in cpu.items() if k != "hpcore"]
            cpu_ratio = f"{min(peer_cpu) / cpu['hpcore']:,.0f}x" if peer_cpu else "—"
            lines.append(f"| {d} | {n} | " + " | ".join(cells)
                         + f" | {ratio} | {cpu['hpcore']:,.0f} | {cpu_ratio} | {refit:,.0f} | {first:,.0f} | {resume:,.0f} |")
            print(lines[-1], file=sys.stderr, flush=True)
    cold, warm = first_ask(cold=True, threads=args.blas_threads), first_ask(cold=False, threads=args.blas_threads)
    text = "\n".join(lines) + (
        f"\n\nFirst ask in a fresh process (numba compilation included): cold cache {cold:.2f} s, "
        f"warm cache {warm:.2f} s. Load average (1 min) {load0:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end, on {os.cpu_count()} CPUs."
    )
    print(text)
    return text


if __name__ == "__main__":
    main()
