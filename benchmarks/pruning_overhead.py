"""Per-report overhead of pruning: `trial.report(value, step)` + `trial.should_prune()`.

    python -m hpcore.benchmarks.pruning_overhead [--reports 10000] [--steps 100]

Runs one study per row until `--reports` reports have been made, each trial reporting a
synthetic learning curve for up to `--steps` steps and asking after each report whether to
stop (a pruned trial stops there). The objective times each report + should_prune pair itself
(`time.perf_counter`, the training step costs nothing), so the figures are what a training loop
pays per step, ask/tell excluded. Rows:

- memory / SQLite: the objective runs in the driver (`optimize` with one worker, no pool);
- worker channel: the objective runs in a worker process (`IsolatedPool(1)`), each report
  travelling to the driver, which owns the storage and the pruner, and back
  (`hpcore.report_channel`), with the driver's storage in memory or SQLite.

Columns: `NopPruner` (stores the report, decides nothing) and `MedianPruner()` (its defaults:
compared with the completed trials' reports at each step). Prints the median and the 90th
percentile in microseconds per report. Targets (issue 17): under 100 µs in memory, under 1 ms
with SQLite.
"""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hpcore
from hpcore.execution import IsolatedPool

SPACE = hpcore.Space({"rate": hpcore.Float(0.001, 0.3, log=True), "floor": hpcore.Float(0.0, 1.0)})


def make_objective(steps: int) -> Callable[..., Any]:
    """A training loop whose loss decays from 1 towards `floor` at `rate` per step; returns the
    final loss and, as the user attribute "us", the microseconds of each report + should_prune."""

    def objective(params: dict[str, float], trial: Any) -> dict[str, Any]:
        spent: list[float] = []
        loss = 1.0
        for step in range(steps):
            loss = params["floor"] + (1.0 - params["floor"]) * math.exp(-params["rate"] * (step + 1))
            t0 = time.perf_counter()
            trial.report(loss, step)
            stop = trial.should_prune()
            spent.append((time.perf_counter() - t0) * 1e6)
            if stop:
                trial.set_user_attr("us", spent)
                return trial.prune()
        return {"value": loss, "us": spent}

    return objective


def per_report(pruner: Any, storage: str | None, worker: bool, reports: int, steps: int) -> list[float]:
    """Microseconds of every report + should_prune of one study, until `reports` were made."""
    study = hpcore.Study(SPACE, strategy="random", storage=storage, name="bench", seed=0, pruner=pruner)
    made: list[float] = []

    def collect(s: hpcore.Study, t: hpcore.Trial) -> None:
        made.extend(t.user_attrs.get("us", []))
        if len(made) >= reports:
            s.stop()

    pool = IsolatedPool(1) if worker else None
    try:
        study.optimize(make_objective(steps), n_trials=10 * reports, executor=pool, n_workers=1, verbose=False,
                       callbacks=[collect])
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    return made[:reports]


def measure(reports: int, steps: int) -> dict[str, dict[str, list[float]]]:
    """Row -> pruner column -> microseconds per report."""
    pruners = {"NopPruner": hpcore.NopPruner, "MedianPruner()": hpcore.MedianPruner}
    rows = {"memory": (False, False), "SQLite": (True, False), "worker channel, memory": (False, True),
            "worker channel, SQLite": (True, True)}
    out: dict[str, dict[str, list[float]]] = {}
    for row, (sqlite, worker) in rows.items():
        out[row] = {}
        for column, make in pruners.items():
            with tempfile.TemporaryDirectory() as d:
                storage = str(Path(d) / "bench.db") if sqlite else None
                out[row][column] = per_report(make(), storage, worker, reports, steps)
    return out


def table(results: dict[str, dict[str, list[float]]]) -> str:
    columns = list(next(iter(results.values())))
    lines = ["| reports go to | " + " | ".join(f"{c}: median (p90) µs" for c in columns) + " |",
             "|---|" + "---:|" * len(columns)]
    for row, by_column in results.items():
        cells = []
        for c in columns:
            us = sorted(by_column[c])
            p90 = us[min(len(us) - 1, int(0.9 * len(us)))]
            cells.append(f"{statistics.median(us):,.0f} ({p90:,.0f})")
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> str:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reports", type=int, default=10_000, help="reports timed per cell (default 10,000)")
    ap.add_argument("--steps", type=int, default=100, help="steps a trial reports at most (default 100)")
    args = ap.parse_args(argv)
    if args.reports < 1 or args.steps < 1:
        ap.error("--reports and --steps must be positive")
    text = table(measure(args.reports, args.steps))
    print(f"report + should_prune per step, {args.reports:,} reports per cell, trials of up to {args.steps} steps, "
          "random search\n")
    print(text)
    return text


if __name__ == "__main__":
    main()
