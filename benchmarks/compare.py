"""Compare hpcore's strategies with each other and with Optuna, scikit-optimize and KerasTuner on
synthetic functions with known optima: one command, a markdown table and PNG plots.

    hpcore bench synthetic --strategies random,grid,bayes,hyperband --functions branin,hartmann6 \\
        --trials 50 --seeds 10 --with optuna,optuna-gp,skopt --out results/
    python -m hpcore.benchmarks.compare ...            (the same)

Every (method, function, seed) is one run, executed in a process pool (`--jobs`, default 2, one
BLAS/numba thread per process). All methods get the same functions, the same seeds (0 .. S-1,
given to each library's own seed argument) and the same budget of `--trials` evaluations.

Methods
    hpcore strategies (`--strategies`): any name `hpcore.strategies.base.STRATEGIES()` knows;
        names not installed yet are skipped with a note. Constructor options follow the name,
        joined by "+": `bayes+thompson_every=0+n_candidates=2048` runs
        `BayesianOptimization(thompson_every=0, n_candidates=2048)` (values are Python literals;
        not for grid and hyperband, which the benchmark configures itself).
      grid       `GridSearch(grid_points=k)`, k = max(2, round(trials ** (1/d))), so the grid has
                 about `trials` points; when it has more, it is visited in a seeded random order
                 (`shuffle=True`), when fewer, the best value is carried to the end of the budget.
      hyperband  on the function's multi-fidelity variant (`MultiFidelityFunction`, budgets 1 to
                 R = 27, eta = 3; biased and noisy below R, exact at R). Its cost is counted in
                 full evaluations: a trial at budget b continuing from b0 costs (b - b0) / R, and
                 only values at the full budget R count for its regret.
    others (`--with`, each skipped with a note when not installed):
      optuna       Optuna TPESampler(seed)
      optuna-gp    Optuna GPSampler(seed) (needs torch)
      skopt        scikit-optimize Optimizer(base_estimator="GP", acq_func="EI", random_state=seed)
      keras-tuner  KerasTuner BayesianOptimizationOracle(seed), driven trial by trial (slow)

Noisy objectives (`--noise s`): every method observes value + s · scale · ε, with scale the
function's sd over 256 uniform points and ε a standard normal drawn per evaluation from the
run's seed (the same sequence for every method); regret stays that of the noiseless values.

Reported, per function and method, over seeds: mean and median simple regret (best value found
minus the known optimum) after the whole budget, mean log10 regret (floored at 1e-12), mean rank
(1 = best final regret among the methods on that function and seed; ties share the mean rank)
and the optimiser's time per suggestion: the median over trials of the seconds spent inside
ask + tell, the objective's own time excluded (model-based libraries fit in `tell` or in `ask`;
both count), averaged over runs. results.json also has each run's total.

Files in `--out`: `summary.md` (the tables), `results.json` (every run's curves),
`regret_trials.png` (median regret vs evaluations, band = quartiles over seeds, one panel per
function) and `regret_time.png` (median regret vs median cumulative wall time).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import importlib.util
import io
import json
import math
import os
import shlex
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import Future, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from hpcore.benchmarks.functions import MultiFidelityFunction, ObservationNoise, TestFunction, get_function

__all__ = ["EXTERNAL", "RunRecord", "Task", "main", "rank_table", "run_task", "summarize"]

#: Hyperband settings for the multi-fidelity variants.
HB_MIN_BUDGET, HB_MAX_BUDGET, HB_ETA = 1, 27, 3
#: Regret below this counts as this (log10 regret of an exact hit stays finite).
REGRET_FLOOR = 1e-12

#: --with name -> (label, python module that must be importable, extra requirement or None)
EXTERNAL: dict[str, tuple[str, str, str | None]] = {
    "optuna": ("optuna TPE", "optuna", None),
    "optuna-gp": ("optuna GP", "optuna", "torch"),
    "skopt": ("skopt GP-EI", "skopt", None),
    "keras-tuner": ("keras-tuner BO", "keras_tuner", None),
}


@dataclass(frozen=True)
class Task:
    method: str  # "hpcore:<strategy>" or an EXTERNAL key
    function: str
    seed: int
    trials: int
    noise: float = 0.0  # observation noise, relative to the function's spread (`ObservationNoise`)


@dataclass
class RunRecord:
    """One run. Curves have one entry per evaluation (full-evaluation equivalent for Hyperband):
    `best[i]` the best objective value after i+1 of them (NaN before the first), `elapsed[i]` the
    wall seconds since the start."""

    method: str
    label: str
    function: str
    seed: int
    optimum: float
    best: list[float] = field(default_factory=list)
    elapsed: list[float] = field(default_factory=list)
    suggest_seconds: float = math.nan  # median ask + tell time per trial
    total_overhead: float = 0.0  # seconds in ask + tell over the whole run
    n_trials: int = 0  # trials really run (Hyperband runs more, cheaper ones)
    note: str = ""
    error: str = ""


def _label(method: str) -> str:
    if method.startswith("hpcore:"):
        return "hpcore " + method.split(":", 1)[1]
    return EXTERNAL[method][0]


# -- one run per method family ----------------------------------------------------------------------------
class _Clock:
    """Collects the curves of one run as evaluations happen."""

    def __init__(self, trials: int) -> None:
        self.trials = trials
        self.start = time.perf_counter()
        self.best = math.inf
        self.curve: list[float] = []
        self.elapsed: list[float] = []
        self.overhead: list[float] = []  # seconds in ask + tell, per trial
        self.n = 0

    def record(self, value: float) -> None:
        if math.isfinite(value):
            self.best = min(self.best, value)
        self.curve.append(self.best if math.isfinite(self.best) else math.nan)
        self.elapsed.append(time.perf_counter() - self.start)

    def pad(self) -> None:
        """Carry the last state to the end of the budget (a grid smaller than the budget)."""
        while len(self.curve) < self.trials:
            self.curve.append(self.curve[-1] if self.curve else math.nan)
            self.elapsed.append(self.elapsed[-1] if self.elapsed else 0.0)


def _grid_strategy(fn: TestFunction, trials: int) -> tuple[Any, str]:
    from hpcore.strategies.grid import GridSearch

    k = max(2, round(trials ** (1 / fn.dims)))
    size = k ** fn.dims
    note = f"grid {k}^{fn.dims} = {size} points"
    if size > trials:
        return GridSearch(grid_points=k, shuffle=True), note + f", {trials} visited in seeded random order"
    return GridSearch(grid_points=k), note


def strategy_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """("bayes", {"thompson_every": 0}) from "bayes+thompson_every=0"; ValueError if malformed."""
    name, *parts = spec.split("+")
    options: dict[str, Any] = {}
    for part in parts:
        key, sep, text = part.partition("=")
        if not sep or not key.isidentifier():
            raise ValueError(f"strategy option {part!r} in {spec!r} is not key=value")
        try:
            options[key] = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            raise ValueError(f"strategy option {part!r} in {spec!r}: {text!r} is not a Python literal") from None
    return name.strip(), options


def _run_hpcore(task: Task, fn: TestFunction, noise: ObservationNoise) -> tuple[_Clock, str]:
    from hpcore.strategies.base import make_strategy
    from hpcore.study import Study, StudyExhausted

    name, options = strategy_spec(task.method.split(":", 1)[1])
    strategy, note = _grid_strategy(fn, task.trials) if name == "grid" else (make_strategy(name, **options), "")
    study = Study(fn.space(), strategy=strategy, seed=task.seed)
    clock = _Clock(task.trials)
    for _ in range(task.trials):
        t0 = time.perf_counter()
        try:
            trial = study.ask()
        except StudyExhausted:
            note += f"; exhausted after {clock.n} trials"
            break
        t1 = time.perf_counter()
        value = fn.params_call(trial.params)
        t2 = time.perf_counter()
        study.tell(trial, noise.observe(value))
        clock.overhead.append((t1 - t0) + (time.perf_counter() - t2))
        clock.n += 1
        clock.record(value)
    clock.pad()
    return clock, note


def _run_hyperband(task: Task, fn: TestFunction, noise: ObservationNoise) -> tuple[_Clock, str]:
    from hpcore.hyperband_plan import hyperband_plan, plan_total_budget
    from hpcore.strategies.base import make_strategy
    from hpcore.study import Study, StudyExhausted

    mf = MultiFidelityFunction(fn, max_budget=HB_MAX_BUDGET, seed=0)  # the same problem for every seed
    per_iteration = plan_total_budget(hyperband_plan(HB_MIN_BUDGET, HB_MAX_BUDGET, HB_ETA), continued=True)
    total = task.trials * HB_MAX_BUDGET
    iterations = math.ceil(total / per_iteration) + 1
    strategy = make_strategy("hyperband", min_budget=HB_MIN_BUDGET, max_budget=HB_MAX_BUDGET, eta=HB_ETA,
                             iterations=iterations)
    study = Study(fn.space(), strategy=strategy, seed=task.seed)
    clock = _Clock(task.trials)
    spent = 0.0
    best_full = math.inf
    steps: list[tuple[float, float, float]] = []  # (cumulative cost, best at full budget, elapsed)
    while spent < total:
        t0 = time.perf_counter()
        try:
            trial = study.ask()
        except StudyExhausted:
            break
        t1 = time.perf_counter()
        value = mf.params_call(trial.params, trial.budget)
        t2 = time.perf_counter()
        study.tell(trial, noise.observe(value))
        clock.overhead.append((t1 - t0) + (time.perf_counter() - t2))
        clock.n += 1
        spent += float(trial.budget) - float(trial.previous_budget or 0)
        if float(trial.budget) >= HB_MAX_BUDGET and math.isfinite(value):
            best_full = min(best_full, value)
        steps.append((spent, best_full, time.perf_counter() - clock.start))
    j = -1
    for k in range(1, task.trials + 1):  # sample the curves at whole full-evaluation equivalents
        while j + 1 < len(steps) and steps[j + 1][0] <= k * HB_MAX_BUDGET + 1e-9:
            j += 1
        clock.curve.append(steps[j][1] if j >= 0 and math.isfinite(steps[j][1]) else math.nan)
        clock.elapsed.append(steps[j][2] if j >= 0 else 0.0)
    note = (f"multi-fidelity variant, budgets {HB_MIN_BUDGET}..{HB_MAX_BUDGET} eta {HB_ETA}; {clock.n} trials "
            f"for {task.trials} full evaluations of budget")
    return clock, note


def _run_optuna(task: Task, fn: TestFunction, noise: ObservationNoise) -> tuple[_Clock, str]:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
        sampler = (optuna.samplers.GPSampler(seed=task.seed) if task.method == "optuna-gp"
                   else optuna.samplers.TPESampler(seed=task.seed))
    study = optuna.create_study(sampler=sampler, direction="minimize")
    names = [f"x{i}" for i in range(fn.dims)]
    clock = _Clock(task.trials)
    for _ in range(task.trials):
        t0 = time.perf_counter()
        trial = study.ask()
        params = {n: trial.suggest_float(n, lo, hi) for n, (lo, hi) in zip(names, fn.bounds)}
        t1 = time.perf_counter()
        value = fn.params_call(params)
        t2 = time.perf_counter()
        study.tell(trial, noise.observe(value))
        clock.overhead.append((t1 - t0) + (time.perf_counter() - t2))
        clock.n += 1
        clock.record(value)
    return clock, ""


def _run_skopt(task: Task, fn: TestFunction, noise: ObservationNoise) -> tuple[_Clock, str]:
    from skopt import Optimizer

    opt = Optimizer([(float(lo), float(hi)) for lo, hi in fn.bounds], base_estimator="GP", acq_func="EI",
                    random_state=task.seed)
    clock = _Clock(task.trials)
    for _ in range(task.trials):
        t0 = time.perf_counter()
        x = opt.ask()
        t1 = time.perf_counter()
        value = fn(np.asarray(x, dtype=float))
        t2 = time.perf_counter()
        opt.tell(x, noise.observe(value))
        clock.overhead.append((t1 - t0) + (time.perf_counter() - t2))
        clock.n += 1
        clock.record(value)
    return clock, ""


def _run_keras_tuner(task: Task, fn: TestFunction, noise: ObservationNoise) -> tuple[_Clock, str]:
    import keras_tuner as kt

    hp = kt.HyperParameters()
    for i, (lo, hi) in enumerate(fn.bounds):
        hp.Float(f"x{i}", float(lo), float(hi))
    oracle = kt.oracles.BayesianOptimizationOracle(objective=kt.Objective("loss", "min"), max_trials=task.trials,
                                                   seed=task.seed, hyperparameters=hp)
    clock = _Clock(task.trials)
    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(io.StringIO()):
        oracle._set_project_dir(tmp, "bench")  # an oracle needs a folder even when driven directly
        for _ in range(task.trials):
            t0 = time.perf_counter()
            trial = oracle.create_trial("bench")
            if trial.status != "RUNNING":
                break
            t1 = time.perf_counter()
            value = fn.params_call(trial.hyperparameters.values)
            t2 = time.perf_counter()
            oracle.update_trial(trial.trial_id, {"loss": noise.observe(value)})
            trial.status = "COMPLETED"
            oracle.end_trial(trial)
            clock.overhead.append((t1 - t0) + (time.perf_counter() - t2))
            clock.n += 1
            clock.record(value)
    clock.pad()
    return clock, ""


def run_task(task: Task) -> dict[str, Any]:
    """Run one (method, function, seed); returns a `RunRecord` as a dict (errors are recorded, not raised)."""
    fn = get_function(task.function)
    rec = RunRecord(task.method, _label(task.method), fn.name, task.seed, fn.optimum_value)
    runners: dict[str, Callable[[Task, TestFunction, ObservationNoise], tuple[_Clock, str]]] = {
        "optuna": _run_optuna, "optuna-gp": _run_optuna, "skopt": _run_skopt, "keras-tuner": _run_keras_tuner,
    }
    try:
        noise = ObservationNoise(fn, task.noise, task.seed)
        if task.method == "hpcore:hyperband":
            clock, note = _run_hyperband(task, fn, noise)
        elif task.method.startswith("hpcore:"):
            clock, note = _run_hpcore(task, fn, noise)
        else:
            clock, note = runners[task.method](task, fn, noise)
    except Exception as e:
        rec.error = f"{type(e).__name__}: {e}"
        return asdict(rec)
    rec.best, rec.elapsed, rec.n_trials, rec.note = clock.curve, clock.elapsed, clock.n, note.strip("; ")
    # The median: the first ask of a process may load compiled (numba) code or import a library.
    rec.suggest_seconds = float(np.median(clock.overhead)) if clock.overhead else math.nan
    rec.total_overhead = float(np.sum(clock.overhead))
    return asdict(rec)


# -- summaries ------------------------------------------------------------------------------------------------------
def _regret(rec: dict[str, Any]) -> np.ndarray:
    r = np.asarray(rec["best"], dtype=float) - rec["optimum"]
    return np.where(np.isnan(r), np.nan, np.maximum(r, REGRET_FLOOR))


def _final(rec: dict[str, Any]) -> float:
    r = _regret(rec)
    return float(r[-1]) if len(r) else math.nan


def rank_table(records: Sequence[dict[str, Any]]) -> dict[tuple[str, str], float]:
    """(function, method) -> mean rank over seeds of the final regret (1 = best; NaN ranks last)."""
    from collections import defaultdict

    by_case: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        if not r["error"]:
            by_case[(r["function"], r["seed"])].append(r)
    ranks: dict[tuple[str, str], list[float]] = defaultdict(list)
    for (function, _), recs in by_case.items():
        finals = np.array([_final(r) for r in recs])
        finals = np.where(np.isnan(finals), np.inf, finals)
        for r, v in zip(recs, finals):
            # Average rank among ties: 1 + (# strictly better) + (# equal others) / 2.
            rank = 1 + np.sum(finals < v) + (np.sum(finals == v) - 1) / 2
            ranks[(function, r["method"])].append(float(rank))
    return {k: float(np.mean(v)) for k, v in ranks.items()}


def _fmt(x: float, digits: int = 3) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    if x != 0 and (abs(x) < 1e-3 or abs(x) >= 1e4):
        return f"{x:.{digits - 1}e}"
    return f"{x:.{digits}g}"


def _log_regret_at(recs: Sequence[dict[str, Any]], k: int) -> float:
    """Mean log10 regret after the first k evaluations (NaN runs left out)."""
    vals = []
    for r in recs:
        reg = _regret(r)
        if len(reg) >= k and math.isfinite(reg[k - 1]):
            vals.append(math.log10(reg[k - 1]))
    return float(np.mean(vals)) if vals else math.nan


def summarize(records: Sequence[dict[str, Any]], methods: Sequence[str], functions: Sequence[str],
              report_at: Sequence[int] = ()) -> str:
    """The markdown tables: one per function, then the overall mean rank. `report_at` adds
    columns with the mean log10 regret after that many evaluations."""
    ranks = rank_table(records)
    lines: list[str] = []
    overall: dict[str, list[float]] = {m: [] for m in methods}
    timing: dict[str, list[float]] = {m: [] for m in methods}
    for function in functions:
        recs_f = [r for r in records if r["function"] == get_function(function).name]
        if not recs_f:
            continue
        name = recs_f[0]["function"]
        lines.append(f"### {name} (optimum {recs_f[0]['optimum']:.6g})\n")
        extra_head = "".join(f"| log10 regret @{k} " for k in report_at)
        lines.append("| method | mean regret | median regret | mean log10 regret " + extra_head + "| mean rank "
                     "| ms / suggestion | runs | notes |")
        lines.append("|---|---:|---:|---:|" + "---:|" * len(report_at) + "---:|---:|---:|---|")
        rows = []
        for m in methods:
            recs = [r for r in recs_f if r["method"] == m]
            ok = [r for r in recs if not r["error"]]
            if not recs:
                continue
            finals = np.array([_final(r) for r in ok]) if ok else np.array([math.nan])
            finite = finals[np.isfinite(finals)]
            mean_r = float(finite.mean()) if finite.size else math.nan
            med_r = float(np.median(finite)) if finite.size else math.nan
            log_r = float(np.mean(np.log10(finite))) if finite.size else math.nan
            ms = float(np.mean([r["suggest_seconds"] for r in ok])) * 1e3 if ok else math.nan
            rank = ranks.get((name, m), math.nan)
            if ok and math.isfinite(rank):
                overall[m].append(rank)
                timing[m].append(ms)
            notes = sorted({r["note"] for r in ok if r["note"]})
            note = notes[0] if notes else ""
            if len(notes) > 1:
                note += f" (+{len(notes) - 1} variants)"
            errors = sorted({r["error"] for r in recs if r["error"]})
            if errors:
                note = "; ".join(filter(None, [note, f"{len(recs) - len(ok)} runs failed: {errors[0]}"]))
            extra = "".join(f"| {_fmt(_log_regret_at(ok, k))} " for k in report_at)
            row = (f"| {_label(m)} | {_fmt(mean_r)} | {_fmt(med_r)} | {_fmt(log_r)} {extra}| {_fmt(rank)} "
                   f"| {_fmt(ms)} | {len(ok)} | {note} |")
            rows.append((rank, row))
        lines.extend(row for _, row in sorted(rows, key=lambda x: (math.isnan(x[0]), x[0])))
        lines.append("")
    lines.append("### overall\n")
    lines.append("| method | mean rank (mean over functions) | ms / suggestion (mean over functions) |")
    lines.append("|---|---:|---:|")
    rows = []
    for m in methods:
        if overall[m]:
            rank = float(np.mean(overall[m]))
            rows.append((rank, f"| {_label(m)} | {_fmt(rank)} | {_fmt(float(np.mean(timing[m])))} |"))
    lines.extend(row for _, row in sorted(rows))
    return "\n".join(lines) + "\n"


# -- plots --------------------------------------------------------------------------------------------------------------
def _style(methods: Sequence[str]) -> dict[str, dict[str, Any]]:
    colours = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown", "tab:pink",
               "tab:gray", "tab:olive", "tab:cyan"]
    return {m: {"color": colours[i % len(colours)], "linestyle": "-" if m.startswith("hpcore:") else "--"}
            for i, m in enumerate(methods)}


def plot_results(records: Sequence[dict[str, Any]], methods: Sequence[str], functions: Sequence[str],
                 out: Path) -> list[Path]:
    """regret_trials.png and regret_time.png (one panel per function)."""
    from hpcore.plots import new_figure, save_figure

    names = [get_function(f).name for f in functions]
    names = [n for n in names if any(r["function"] == n for r in records)]
    if not names:
        return []
    style = _style(methods)
    ncols = min(3, len(names))
    nrows = math.ceil(len(names) / ncols)
    files = []
    for kind in ("trials", "time"):
        fig = new_figure(5.2 * ncols + 0.4, 3.9 * nrows + 0.5)
        axes = fig.subplots(nrows, ncols, squeeze=False)
        for k, name in enumerate(names):
            ax = axes[k // ncols][k % ncols]
            for m in methods:
                recs = [r for r in records if r["function"] == name and r["method"] == m and not r["error"]]
                if not recs:
                    continue
                R = np.vstack([_regret(r) for r in recs])
                with warnings.catch_warnings():  # all-NaN columns before Hyperband's first full-budget result
                    warnings.simplefilter("ignore", RuntimeWarning)
                    q1, med, q3 = np.nanpercentile(R, [25, 50, 75], axis=0)
                    x = (np.arange(1, R.shape[1] + 1) if kind == "trials"
                         else np.nanmedian(np.vstack([r["elapsed"] for r in recs]), axis=0))
                ax.plot(x, med, label=_label(m), linewidth=1.8, **style[m])
                if kind == "trials":
                    ax.fill_between(x, q1, q3, color=style[m]["color"], alpha=0.15, linewidth=0)
            ax.set_yscale("log")
            if kind == "time":
                ax.set_xscale("log")
                ax.set_xlabel("wall time (s, median over seeds)")
            else:
                ax.set_xlabel("evaluations (full-budget equivalents)")
            ax.set_ylabel("simple regret")
            ax.set_title(name)
            ax.grid(alpha=0.3, which="both")
        for k in range(len(names), nrows * ncols):
            axes[k // ncols][k % ncols].set_axis_off()
        handles, labels = axes[0][0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 4), fontsize=9)
        seeds = len({r["seed"] for r in records})
        fig.suptitle(f"simple regret vs evaluations: median over {seeds} seeds, band = quartiles"
                     if kind == "trials" else f"simple regret vs wall time (median over {seeds} seeds)")
        files.append(save_figure(fig, out / f"regret_{kind}.png"))
    return files


# -- driver ---------------------------------------------------------------------------------------------------------------
def _split(text: str) -> list[str]:
    return [s.strip() for s in text.split(",") if s.strip()]


def _available(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _plan(args: argparse.Namespace) -> tuple[list[str], list[str], list[str]]:
    """(methods to run, function names, notes about skipped methods); raises ValueError for unknown names."""
    from hpcore.strategies.base import STRATEGIES, make_strategy

    known = set(STRATEGIES())
    expected = {"random", "grid", "bayes", "hyperband"}
    methods, notes = [], []
    for s in _split(args.strategies):
        name, options = strategy_spec(s)
        if name in known:
            if options:
                if name in ("grid", "hyperband"):
                    raise ValueError(f"{s!r}: the benchmark configures {name} itself; options are not taken")
                try:  # a bad option fails here, not in every worker
                    make_strategy(name, **options)
                except TypeError as e:
                    raise ValueError(f"{s!r}: {e}") from None
            methods.append(f"hpcore:{s}")
        elif name in expected:
            notes.append(f"hpcore {name}: strategy not installed yet, skipped")
        else:
            raise ValueError(f"unknown strategy {name!r}; known: {', '.join(sorted(known))}")
    for w in _split(args.with_ or ""):
        if w not in EXTERNAL:
            raise ValueError(f"unknown --with {w!r}; known: {', '.join(EXTERNAL)}")
        label, module, extra = EXTERNAL[w]
        if not _available(module):
            notes.append(f"{label}: {module} is not installed, skipped")
        elif extra and not _available(extra):
            notes.append(f"{label}: needs {extra}, which is not installed, skipped")
        else:
            methods.append(w)
    functions = _split(args.functions)
    for f in functions:
        get_function(f)  # ValueError listing the known ones
    return methods, functions, notes


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="hpcore bench synthetic", formatter_class=argparse.RawDescriptionHelpFormatter,
        description=__doc__.split("\n\n", 1)[0] + "\n\n" + __doc__.split("\n\n", 2)[2])
    p.add_argument("--strategies", default="random,grid,bayes,hyperband",
                   help="hpcore strategies, comma-separated (default random,grid,bayes,hyperband)")
    p.add_argument("--functions", default="branin,hartmann6",
                   help="test functions from hpcore.benchmarks.functions, comma-separated (default branin,hartmann6)")
    p.add_argument("--trials", type=int, default=50, help="evaluations per run (default 50)")
    p.add_argument("--seeds", type=int, default=10, help="seeds 0..S-1 per method and function (default 10)")
    p.add_argument("--with", dest="with_", default="",
                   help=f"other libraries, comma-separated: {', '.join(EXTERNAL)}")
    p.add_argument("--jobs", type=int, default=2, help="parallel processes (default 2)")
    p.add_argument("--noise", type=float, default=0.0,
                   help="Gaussian observation noise with this sd relative to the function's spread (sd over "
                   "256 uniform points); regret uses the noiseless values (default 0: exact)")
    p.add_argument("--report-at", default="", help="also report mean log10 regret after these numbers of "
                   "evaluations, e.g. 30,100")
    p.add_argument("--out", default="results", help="output folder (default results/)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    return p


def _tasks(methods: Sequence[str], functions: Sequence[str], seeds: int, trials: int,
           noise: float = 0.0) -> list[Task]:
    def cost(t: Task) -> float:  # start the slow runs first, so the pool does not end on one of them
        method = "hpcore:bayes" if t.method.startswith("hpcore:bayes") else t.method
        slow = {"optuna-gp": 4.0, "keras-tuner": 6.0, "skopt": 2.0, "hpcore:bayes": 1.5}.get(method, 0.1)
        return slow * get_function(t.function).dims

    tasks = [Task(m, f, s, trials, noise) for m in methods for f in functions for s in range(seeds)]
    return sorted(tasks, key=cost, reverse=True)


def run_all(tasks: Sequence[Task], jobs: int, progress: bool) -> list[dict[str, Any]]:
    from tqdm.auto import tqdm

    bar = tqdm(total=len(tasks), disable=not progress, unit="run", file=sys.stderr)
    out: list[dict[str, Any]] = []
    try:
        if jobs == 1:
            for t in tasks:
                out.append(run_task(t))
                bar.update(1)
        else:
            from hpcore.execution import process_pool

            with process_pool(jobs) as pool:
                futures: dict[Future, Task] = {pool.submit(run_task, t): t for t in tasks}
                for fut in as_completed(futures):
                    out.append(fut.result())
                    bar.update(1)
    finally:
        bar.close()
    return sorted(out, key=lambda r: (r["function"], r["method"], r["seed"]))


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.trials < 1 or args.seeds < 1 or args.jobs < 1:
        print("hpcore bench synthetic: error: --trials, --seeds and --jobs must be >= 1", file=sys.stderr)
        return 2
    if not (args.noise >= 0 and math.isfinite(args.noise)):
        print(f"hpcore bench synthetic: error: --noise must be finite and >= 0, got {args.noise}", file=sys.stderr)
        return 2
    try:
        methods, functions, notes = _plan(args)
    except ValueError as e:
        print(f"hpcore bench synthetic: error: {e}", file=sys.stderr)
        return 2
    for n in notes:
        print(f"note: {n}", file=sys.stderr)
    if not methods:
        print("hpcore bench synthetic: error: no method to run", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    tasks = _tasks(methods, functions, args.seeds, args.trials, args.noise)
    print(f"{len(tasks)} runs: {len(methods)} methods x {len(functions)} functions x {args.seeds} seeds, "
          f"{args.trials} evaluations each, {args.jobs} processes", file=sys.stderr)
    t0 = time.perf_counter()
    records = run_all(tasks, args.jobs, progress=not args.quiet)
    wall = time.perf_counter() - t0
    command = "hpcore bench synthetic " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    header = (f"## hpcore strategy comparison\n\n`{command}`\n\n{args.trials} evaluations per run, seeds 0..{args.seeds - 1}, "
              f"{len(tasks)} runs in {wall:.0f} s on {args.jobs} processes ({os.cpu_count()} CPUs). Regret = best "
              f"value found - known optimum, after all evaluations; rank 1 = best on a (function, seed); "
              f"ms / suggestion = median optimiser time in ask + tell per trial.\n")
    if args.noise:
        header += (f"\nObservations carry Gaussian noise of sd {args.noise:g} x the function's spread (sd over 256 "
                   f"uniform points); regret is that of the best evaluated point's noiseless value.\n")
    skipped = "".join(f"- {n}\n" for n in notes)
    failed = [r for r in records if r["error"]]
    failures = "".join(f"- {r['label']} on {r['function']} seed {r['seed']} failed: {r['error']}\n" for r in failed)
    report_at = [int(k) for k in _split(args.report_at) if int(k) <= args.trials]
    text = header + "\n" + summarize(records, methods, functions, report_at)
    if skipped or failures:
        text += "\nNotes:\n" + skipped + failures
    (out / "summary.md").write_text(text)
    (out / "results.json").write_text(json.dumps({"command": command, "trials": args.trials, "seeds": args.seeds,
                                                  "noise": args.noise,
                                                  "methods": methods, "functions": functions, "notes": notes,
                                                  "runs": records}, indent=1, allow_nan=True))
    try:
        files = plot_results(records, methods, functions, out)
    except ImportError as e:
        files = []
        text += f"\n(no plots: {e})\n"
    print(text)
    print(f"written: {out / 'summary.md'}, {out / 'results.json'}" + "".join(f", {f}" for f in files))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
