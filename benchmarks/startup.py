"""Start-up times of hpcore and Optuna, side by side: import, first trial, first Bayesian ask, --help.

    python -m hpcore.benchmarks.startup [--repeats 7] [--quick]

Every measurement is a fresh `python` process, so nothing is cached in memory; hpcore and
Optuna alternate (the one that goes first swaps every repeat) so machine noise hits both
alike, and the table gives medians over the repeats. Measured:

- `import hpcore` / `import optuna`;
- the first random-search trial from a cold process: import, a study on a 4-parameter space
  (two floats, an int, a choice) in memory, one trial completed through `optimize`, with each
  library's default output (hpcore's progress bar, Optuna's log line);
- the first Bayesian ask with a warm numba cache: a study given 10 results, then one `ask`
  that fits the model (hpcore's Gaussian process; Optuna's GPSampler when PyTorch is installed,
  else its default model-based sampler, TPE), timed alone and from the start of the process;
- `hpcore --help` / `optuna --help` through the installed console scripts.

Times are taken inside each process from its first statement, so they exclude the
interpreter's own start (shown below the table, the same for both); the "whole process"
columns are the wall time of the subprocess. Before measuring, one untimed run of every
snippet warms the disk cache and numba's on-disk cache of compiled kernels (`cache=True`,
kept next to `hpcore/gp/` or in `NUMBA_CACHE_DIR`); `--quick` skips that warm-up except for
numba's and defaults to 3 repeats.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["PROBES", "ROWS", "Probe", "Row", "main", "measure", "run_timed", "table", "timed_snippet"]

LIBRARIES = ("hpcore", "optuna")
#: Results the Bayesian study is given before the timed ask (both libraries start modelling there).
N_GIVEN = 10
_MARK = "STARTUP "

# The same problem for both libraries: (x, y) floats, n an int, kind a choice.
_SPACE_HPCORE = """
space = hpcore.Space({"x": hpcore.Float(-5.0, 10.0), "y": hpcore.Float(0.0, 15.0),
                      "n": hpcore.Int(1, 8), "kind": hpcore.Choice(["a", "b", "c"])})
def f(x, y, n, kind):
    return (x - 1.0) ** 2 + (y - 2.0) ** 2 / 10.0 + n + {"a": 0.0, "b": 1.0, "c": 2.0}[kind]
"""
_SPACE_OPTUNA = """
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
dists = {"x": FloatDistribution(-5.0, 10.0), "y": FloatDistribution(0.0, 15.0),
         "n": IntDistribution(1, 8), "kind": CategoricalDistribution(["a", "b", "c"])}
def f(x, y, n, kind):
    return (x - 1.0) ** 2 + (y - 2.0) ** 2 / 10.0 + n + {"a": 0.0, "b": 1.0, "c": 2.0}[kind]
"""


def _given_results() -> list[tuple[dict, float]]:
    """N_GIVEN fixed configurations and their values, handed to both Bayesian studies."""
    out = []
    for i in range(N_GIVEN):
        x, y, n, kind = -5.0 + 15.0 * ((i * 0.618034) % 1.0), 15.0 * ((i * 0.414214) % 1.0), 1 + i % 8, "abc"[i % 3]
        value = (x - 1.0) ** 2 + (y - 2.0) ** 2 / 10.0 + n + "abc".index(kind)
        out.append(({"x": x, "y": y, "n": n, "kind": kind}, value))
    return out


def timed_snippet(body: str) -> str:
    """Python source that times `body` from its first statement and prints the times as JSON.
    `body` sets `t_ask` (seconds) when it times an ask on its own."""
    return ("import time as _time\n_t0 = _time.perf_counter()\nt_ask = None\n" + textwrap.dedent(body)
            + f"\nimport json as _json\nprint({_MARK!r} + _json.dumps("
            + "{'seconds': _time.perf_counter() - _t0, 'ask': t_ask}))\n")


def _import(library: str) -> list[str]:
    return [sys.executable, "-c", timed_snippet(f"import {library}")]


def _first_random_trial(library: str) -> list[str]:
    if library == "hpcore":
        body = "import hpcore\n" + _SPACE_HPCORE + """
study = hpcore.Study(space, strategy="random", seed=0)
study.optimize(lambda p: f(p["x"], p["y"], p["n"], p["kind"]), n_trials=1)
assert len(study.trials) == 1
"""
    else:
        body = "import optuna\n" + _SPACE_OPTUNA + """
def objective(trial):
    return f(trial.suggest_float("x", -5.0, 10.0), trial.suggest_float("y", 0.0, 15.0),
             trial.suggest_int("n", 1, 8), trial.suggest_categorical("kind", ["a", "b", "c"]))
study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
study.optimize(objective, n_trials=1)
assert len(study.trials) == 1
"""
    return [sys.executable, "-c", timed_snippet(body)]


def optuna_bayes_sampler() -> str:
    """Optuna's sampler in the Bayesian row: GPSampler needs PyTorch, TPE does not."""
    return "GPSampler" if importlib.util.find_spec("torch") is not None else "TPESampler"


def _first_bayes_ask(library: str) -> list[str]:
    given = json.dumps(_given_results())
    if library == "hpcore":
        body = "import hpcore\n" + _SPACE_HPCORE + f"""
study = hpcore.Study(space, strategy=hpcore.BayesianOptimization(n_initial={N_GIVEN}), seed=0)
for params, value in {given}:
    study.add(params, value)
_t1 = _time.perf_counter()
trial = study.ask()
t_ask = _time.perf_counter() - _t1
assert "gp_theta" in trial.meta, "the timed ask did not fit the Gaussian process"
"""
    else:
        sampler = optuna_bayes_sampler()
        body = "import optuna\n" + _SPACE_OPTUNA + f"""
sampler = optuna.samplers.{sampler}(n_startup_trials={N_GIVEN}, seed=0)
study = optuna.create_study(sampler=sampler)
for params, value in {given}:
    study.add_trial(optuna.trial.create_trial(params=params, distributions=dists, value=value))
_t1 = _time.perf_counter()
trial = study.ask(dists)
t_ask = _time.perf_counter() - _t1
"""
    return [sys.executable, "-c", timed_snippet(body)]


def _help(library: str) -> list[str] | None:
    """The installed console script (next to this interpreter, so no shim runs first), or None."""
    here = Path(sys.executable).with_name(library)
    found = str(here) if here.exists() else shutil.which(library)
    return [found, "--help"] if found else None


@dataclass(frozen=True)
class Probe:
    """A program each library runs in one fresh process per repeat."""

    name: str
    command: Callable[[str], list[str] | None]  # library -> argv, or None when it cannot run


@dataclass(frozen=True)
class Row:
    """A row of the table: one time of a probe, and the target hpcore should meet."""

    label: str
    probe: str
    #: "seconds" (in process, from the first statement), "ask" (the timed ask alone) or "whole"
    #: (the wall time of the process, for console scripts)
    field: str
    target: str = "-"
    limit: float | None = None  # seconds, for the "met" column
    vs_optuna: bool = False  # the target also asks for no slower than Optuna


PROBES = (Probe("import", _import), Probe("random", _first_random_trial), Probe("bayes", _first_bayes_ask),
          Probe("help", _help))
ROWS = (
    Row("`import`", "import", "seconds", "<= 0.3 s", 0.3),
    Row("first random-search trial, cold process", "random", "seconds", "<= 0.5 s and <= Optuna", 0.5,
        vs_optuna=True),
    Row(f"first Bayesian ask ({N_GIVEN} results given), warm numba cache", "bayes", "ask", "<= 0.5 s", 0.5),
    Row("process start to that first Bayesian suggestion", "bayes", "seconds"),
    Row("`--help` of the console script", "help", "whole"),
)

Results = dict[tuple[str, str], dict[str, list[float]]]


def run_timed(argv: list[str], cwd: str | None = None, env: dict[str, str] | None = None) -> dict[str, float]:
    """One fresh process: its wall time ("whole") and the times a `timed_snippet` printed in it."""
    t0 = time.perf_counter()
    r = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)[:120]!r} failed with exit code {r.returncode}:\n{r.stderr[-2000:]}")
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith(_MARK)]
    printed = json.loads(lines[-1][len(_MARK):]) if lines else {}
    return {"whole": wall, **{k: v for k, v in printed.items() if v is not None}}


def available_libraries() -> list[str]:
    return [lib for lib in LIBRARIES if importlib.util.find_spec(lib) is not None]


def measure(repeats: int, warm_up: bool = True) -> Results:
    """{(probe, library): {time kind: [seconds per repeat]}} over `repeats` interleaved runs, plus
    ("interpreter start", "python") for `python -c pass`."""
    libraries = available_libraries()
    runs = [(probe.name, lib, argv) for probe in PROBES for lib in libraries
            if (argv := probe.command(lib)) is not None]
    out: Results = {}
    with tempfile.TemporaryDirectory(prefix="hpcore-startup-") as cwd:  # as a user: no checkout in the cwd
        # Untimed: every snippet once, or only hpcore's Bayesian ask, which fills numba's on-disk cache if cold.
        for name, lib, argv in runs:
            if warm_up or (name, lib) == ("bayes", "hpcore"):
                run_timed(argv, cwd)
        for r in range(repeats):
            _record(out, ("interpreter start", "python"), run_timed([sys.executable, "-c", "pass"], cwd))
            for probe in PROBES:
                mine = [run for run in runs if run[0] == probe.name]
                for name, lib, argv in (mine if r % 2 == 0 else mine[::-1]):  # who goes first alternates
                    _record(out, (name, lib), run_timed(argv, cwd))
    return out


def _record(out: Results, key: tuple[str, str], times: dict[str, float]) -> None:
    slot = out.setdefault(key, {})
    for kind, seconds in times.items():
        slot.setdefault(kind, []).append(seconds)


def _median(results: Results, key: tuple[str, str], kind: str) -> float | None:
    times = results.get(key, {}).get(kind)
    return statistics.median(times) if times else None


def _cell(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.3f} s"


def table(results: Results) -> str:
    """The markdown table of medians, with each target and whether hpcore meets it."""
    lines = ["| measurement | hpcore | Optuna | hpcore, whole process | Optuna, whole process | target | met |",
             "|---|---:|---:|---:|---:|---|---|"]
    for row in ROWS:
        ours, theirs = (_median(results, (row.probe, lib), row.field) for lib in LIBRARIES)
        whole = [_median(results, (row.probe, lib), "whole") for lib in LIBRARIES]
        met = "-"
        if row.limit is not None and ours is not None:
            ok = ours <= row.limit and not (row.vs_optuna and theirs is not None and ours > theirs)
            met = "yes" if ok else "**no**"
        inner = ["-", "-"] if row.field == "whole" else [_cell(ours), _cell(theirs)]
        lines.append(f"| {row.label} | {' | '.join(inner)} | {_cell(whole[0])} | {_cell(whole[1])} | "
                     f"{row.target} | {met} |")
    return "\n".join(lines)


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def machine() -> str:
    """One line naming the machine and the versions measured."""
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    return (f"{os.cpu_count()} CPUs, {platform.machine()}, {platform.system()}; Python {platform.python_version()}; "
            f"hpcore {_version('hpcore')}, Optuna {_version('optuna')}, numba {_version('numba')}, "
            f"SciPy {_version('scipy')}; load average {load}")


def main(argv: Sequence[str] | None = None) -> int:
    """Measure and print the table (see the module docstring); returns the exit code."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=None, help="fresh processes per cell (default 7; 3 with --quick)")
    ap.add_argument("--quick", action="store_true", help="no disk-cache warm-up and 3 repeats (a smoke test)")
    args = ap.parse_args(argv)
    repeats = args.repeats if args.repeats is not None else (3 if args.quick else 7)
    if repeats < 1:
        ap.error("--repeats must be >= 1")
    started = time.perf_counter()
    results = measure(repeats, warm_up=not args.quick)
    print(f"start-up, median of {repeats} fresh processes per cell, hpcore and Optuna interleaved")
    print(f"machine: {machine()}")
    if "optuna" in available_libraries():
        print(f"Optuna's Bayesian row uses {optuna_bayes_sampler()}")
    print()
    print(table(results))
    print()
    print(f"interpreter start (`python -c pass`, whole process): "
          f"{_cell(_median(results, ('interpreter start', 'python'), 'whole'))}; "
          f"in-process times start at the first statement; this run took {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
