"""How long `hpcore report` takes, and how large its file is, for a study of N trials.

    python -m hpcore.benchmarks.report_build [--trials 10000] [--repeats 3]

Writes a random-search study of N trials (5 parameters: log-scaled float and integer, a float,
a choice and a parameter conditional on it; about 10% of the trials fail) to a temporary
SQLite file, then runs `hpcore report` on it in a fresh process each repeat, as a user would:
the times include starting Python, importing hpcore and its GP (numba's compiled kernels come
from its on-disk cache, warmed by one untimed run), reading the trials, fitting the GP (one
fit gives the importance, the contour and the recommendation) and writing the page. Prints the
median wall time, the median CPU time of the process (user + system: what the machine's other
work does not inflate), the load average and the file's size.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def make_study(path: Path, n: int, seed: int = 0) -> None:
    """A stored random-search study of `n` trials (see the module docstring)."""
    import hpcore

    space = hpcore.Space({
        "lr": hpcore.Float(1e-5, 1e-1, log=True), "units": hpcore.Int(16, 512, log=True),
        "dropout": hpcore.Float(0.0, 0.5), "opt": hpcore.Choice(["adam", "sgd"]),
        "momentum": hpcore.Float(0.0, 0.99, condition={"opt": ["sgd"]}),
    })
    rng = np.random.default_rng(seed)

    def objective(p: dict) -> float:
        if p["dropout"] > 0.45:
            raise RuntimeError("diverged")
        v = (math.log10(p["lr"]) + 3) ** 2 + 0.3 * (math.log2(p["units"]) - 7) ** 2 + p["dropout"]
        return v + (0.5 * (p["momentum"] - 0.9) ** 2 if p["opt"] == "sgd" else 0.0) + 0.05 * rng.standard_normal()

    import logging

    logging.getLogger("hpcore").setLevel(logging.ERROR)  # 1,000 failure lines say nothing here
    study = hpcore.Study(space, strategy="random", storage=path, name="bench", seed=seed)
    study.optimize(objective, n_trials=n, verbose=False)
    study.storage.close()


def _children_cpu() -> float:
    """CPU seconds (user + system) of the finished child processes so far; NaN where the
    platform does not count them (Windows)."""
    try:
        import resource
    except ImportError:
        return math.nan
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hpcore.benchmarks.report_build", description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=10_000, help="trials in the study (default 10000)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of hpcore report (default 3)")
    args = parser.parse_args(argv)
    if args.trials < 1 or args.repeats < 1:
        parser.error("--trials and --repeats must be >= 1")
    hpcore_exe = shutil.which("hpcore") or str(Path(sys.executable).with_name("hpcore"))
    folder = Path(tempfile.mkdtemp(prefix="hpcore-report-bench-"))
    try:
        db = folder / "study.db"
        t = time.perf_counter()
        make_study(db, args.trials)
        print(f"study of {args.trials:,} trials written in {time.perf_counter() - t:.1f} s")
        out = folder / "report.html"
        command = [hpcore_exe, "report", str(db), "-o", str(out)]
        subprocess.run(command, check=True, capture_output=True)  # warms the disk and numba's cache
        times, cpu = [], []
        for _ in range(args.repeats):
            before = _children_cpu()
            t = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            times.append(time.perf_counter() - t)
            cpu.append(_children_cpu() - before)
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"hpcore report: median {statistics.median(times):.2f} s over {args.repeats} runs "
              f"(min {min(times):.2f}, max {max(times):.2f}; CPU {statistics.median(cpu):.2f} s; "
              f"load average {load:.1f}); file {out.stat().st_size / 1e6:.2f} MB")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
