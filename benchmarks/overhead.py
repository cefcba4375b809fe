"""Per-trial overhead of ask + tell with random search: hpcore vs Optuna, side by side.

    python -m hpcore.benchmarks.overhead [--trials 300] [--repeats 5]
    python -m hpcore.benchmarks.overhead --long 20000

Measures, in one run and interleaved so machine noise hits both alike, the wall time of
`ask` + `tell` per trial (objective cost excluded: it returns a constant) on a 4-parameter
space (log float, float, int, categorical), in memory and with SQLite storage. Prints a
markdown table of medians over repeats and the throughput ratio.

`--long N` measures instead whether the cost per trial stays flat as a study grows: one
`Study.optimize` run of N random-search trials (the objective returns a constant), in memory
and with SQLite, timed per trial by a callback, and prints trials/s over the first 1,000 trials
and over the last 1,000 (trials N-1,000 to N) and their ratio. The target is a ratio of at least
0.8 (what is done per trial must not grow with the number of trials stored).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import hpcore

SPACE = hpcore.Space({
    "lr": hpcore.Float(1e-5, 1e-1, log=True),
    "dropout": hpcore.Float(0.0, 0.5),
    "units": hpcore.Int(16, 512),
    "optimizer": hpcore.Choice(["adam", "sgd", "rmsprop"]),
})


def hpcore_run(n: int, storage: str | None) -> float:
    """Seconds per trial of hpcore ask + tell."""
    study = hpcore.Study(SPACE, strategy="random", storage=storage, name="bench", seed=0)
    t0 = time.perf_counter()
    for _ in range(n):
        trial = study.ask()
        study.tell(trial, 0.5)
    return (time.perf_counter() - t0) / n


def optuna_run(n: int, storage: str | None) -> float:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0), storage=storage)
    t0 = time.perf_counter()
    for _ in range(n):
        trial = study.ask()
        trial.suggest_float("lr", 1e-5, 1e-1, log=True)
        trial.suggest_float("dropout", 0.0, 0.5)
        trial.suggest_int("units", 16, 512)
        trial.suggest_categorical("optimizer", ["adam", "sgd", "rmsprop"])
        study.tell(trial, 0.5)
    return (time.perf_counter() - t0) / n


def measure(trials: int, repeats: int, with_optuna: bool) -> dict[str, list[float]]:
    runs: dict[str, Callable[[str], float]] = {
        "hpcore, memory": lambda d: hpcore_run(trials, None),
        "hpcore, SQLite": lambda d: hpcore_run(trials, str(Path(d) / "h.db")),
    }
    if with_optuna:
        runs["Optuna RandomSampler, memory"] = lambda d: optuna_run(trials, None)
        runs["Optuna RandomSampler, SQLite"] = lambda d: optuna_run(trials, f"sqlite:///{Path(d) / 'o.db'}")
    out: dict[str, list[float]] = {k: [] for k in runs}
    for _ in range(repeats):
        for name, fn in runs.items():  # interleaved: noise hits every row alike
            with tempfile.TemporaryDirectory() as d:
                out[name].append(fn(d))
    return out


def long_run(n: int, storage: str | None) -> list[float]:
    """`perf_counter` times at the start and after each of `n` trials of one `optimize` run."""
    study = hpcore.Study(SPACE, strategy="random", storage=storage, name="long", seed=0)
    stamps = [time.perf_counter()]
    study.optimize(lambda p: 0.5, n_trials=n, verbose=False, callbacks=[lambda s, t: stamps.append(time.perf_counter())])
    return stamps


def window_rate(stamps: list[float], first: int, last: int) -> float:
    """Trials per second over trials [first, last) of a run timed by `long_run`."""
    return (last - first) / (stamps[last] - stamps[first])


def long_table(n: int) -> str:
    """Trials/s over the first and the last 1,000 trials of an n-trial study, memory and SQLite."""
    if n < 2000:
        raise ValueError("--long needs at least 2000 trials (two windows of 1,000)")
    lines = [f"| setup | trials/s, trials 0-1,000 | trials/s, trials {n - 1000:,}-{n:,} | last / first |",
             "|---|---:|---:|---:|"]
    for kind in ("memory", "SQLite"):
        with tempfile.TemporaryDirectory() as d:
            stamps = long_run(n, None if kind == "memory" else str(Path(d) / "long.db"))
        first, last = window_rate(stamps, 0, 1000), window_rate(stamps, n - 1000, n)
        lines.append(f"| hpcore, {kind} | {first:,.0f} | {last:,.0f} | {last / first:.2f} |")
    return "\n".join(lines)


def table(results: dict[str, list[float]]) -> str:
    med = {k: statistics.median(v) for k, v in results.items()}
    lines = ["| setup | median per trial | trials/s |", "|---|---:|---:|"]
    for k, v in med.items():
        lines.append(f"| {k} | {v * 1e6:,.0f} µs | {1 / v:,.0f} |")
    for kind in ("memory", "SQLite"):
        ours, theirs = med.get(f"hpcore, {kind}"), med.get(f"Optuna RandomSampler, {kind}")
        if ours and theirs:
            lines.append(f"| **throughput ratio, {kind}** | **{theirs / ours:,.1f}x Optuna** | |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> str:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--no-optuna", action="store_true")
    ap.add_argument("--long", type=int, metavar="N", default=None,
                    help="instead: trials/s over the first and the last 1,000 of N trials (flat cost per trial)")
    args = ap.parse_args(argv)
    if args.long is not None:
        if args.long < 2000:
            ap.error("--long needs at least 2000 trials (two windows of 1,000)")
        text = long_table(args.long)
        print(f"cost per trial as a study grows: random search, 4 parameters, one optimize run of {args.long:,} "
              "trials\n")
        print(text)
        return text
    try:
        import optuna  # noqa: F401

        with_optuna = not args.no_optuna
    except ImportError:
        with_optuna = False
    text = table(measure(args.trials, args.repeats, with_optuna))
    print(f"ask+tell overhead, random search, 4 parameters, {args.trials} trials x {args.repeats} repeats\n")
    print(text)
    return text


if __name__ == "__main__":
    main()
