"""Compare hpcore's strategies with each other and with Optuna, scikit-optimize and KerasTuner on
synthetic functions with known optima and on hpcore's benchmark suite: one command, a markdown
table and PNG plots.

    hpcore bench synthetic --strategies random,grid,bayes,hyperband --functions branin,hartmann6 \\
        --trials 50 --seeds 10 --with optuna,optuna-gp,skopt --out results/
    python -m hpcore.benchmarks.compare ...            (the same)

Every (method, function, seed) is one run, executed in a process pool (`--jobs`, default 2, one
BLAS/numba thread per process). All methods get the same functions, the same seeds (0 .. S-1,
given to each library's own seed argument) and the same budget of `--trials` evaluations.

Problems (`--functions`, comma-separated): test functions of `hpcore.benchmarks.functions`
(`branin`, `ackley5`...), problems of the suite `hpcore.benchmarks.suite` by name, and the
selectors `suite` (all 53), `suite:tune` and `suite:report` (its two halves) and
`suite:<character>` (`suite:real`, `suite:mixed`...). Suite problems may be mixed, conditional,
noisy (their own observation noise) or real scikit-learn problems whose optimum is unknown.

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
    others (`--with`, each skipped with a note when not installed; `hpcore.benchmarks.peers`):
      optuna       Optuna TPESampler(seed)
      optuna-gp    Optuna GPSampler(seed) (needs torch)
      skopt        scikit-optimize Optimizer(base_estimator="GP", acq_func="EI", random_state=seed)
      keras-tuner  KerasTuner BayesianOptimizationOracle(seed), driven trial by trial (slow)
      botorch      BoTorch's standard loop: SingleTaskGP, qLogNoisyExpectedImprovement,
                   optimize_acqf(q=1, num_restarts=10, raw_samples=512), 2·D+2 Sobol points first
      smac         SMAC3 BlackBoxFacade, its defaults, Scenario(seed=seed), ask/tell
      hebo         HEBO with its defaults, in a virtual environment of its own
                   ($HPCORE_HEBO_PYTHON or /work/peers-venv/hebo/bin/python), over JSON lines
    Every peer gets the problem's own space, translated into its native one
    (`hpcore.benchmarks.peers.spaces`): log, step, integer, categorical and conditional
    parameters included; inactive parameters never reach the objective.

Time cap (`--time-cap SECONDS`, default 600; 0 for none): a peer's run that has taken that much
wall time (its objective's time included) asks for no further suggestion; one in progress in
this process finishes, HEBO's worker is stopped at the deadline even within a suggestion. Its
curve carries its best value to the end of the budget, and the run is marked "capped at k
evaluations" in the notes column and listed below the tables. hpcore's own runs are not capped.

Noisy objectives (`--noise s`): every method observes value + s · scale · ε, with scale the
function's sd over 256 uniform points and ε a standard normal drawn per evaluation from the
run's seed (the same sequence for every method); regret stays that of the noiseless values.

Reported, per function and method, over seeds: mean and median simple regret (best value found
minus the known optimum) after the whole budget, mean log10 regret (floored at 1e-12), mean rank
(1 = best final regret among the methods on that function and seed; ties share the mean rank)
and the optimiser's time per suggestion: the median over trials of the seconds spent inside
ask + tell, the objective's own time excluded (model-based libraries fit in `tell` or in `ask`;
both count), averaged over runs. results.json also has each run's total. Where the optimum is
unknown (real problems), regret is replaced by Bayesmark's normalised regret (best - f_ref) /
(f_rand - f_ref), floored at 1e-3 (`hpcore.benchmarks.scoring`), and ranks are by final value.
With suite problems, the overall table gives the mean rank over all problems and over each half
of the suite's split, and a second table the mean rank per character. With `--report-at`, a
table gives the mean rank after each of those budgets (ranks of the best value found so far).
After each budget (those of `--report-at` and the whole budget), two more tables: the mean over
problems of the per-problem mean log10 (normalised) regret (over the problems every method has
a score on), and head to head, for each hpcore strategy but random search against every other
method, the (problem, seed) pairs won : lost on the best value found so far (ties within 1e-9
relative left out) with a one-sided sign test's p-value, over all problems and over each half.
With peers (`--with`), a list names, for each hpcore strategy and budget, the problems where the
best peer's mean log10 (normalised) regret is lower by more than 0.5.

`--summarize a.json,b.json --out DIR` runs nothing: it writes DIR/summary.md from the runs of
earlier commands merged (a fast method's runs from one command, a slow peer's from another:
seeded runs are the same whichever command made them), with `--report-at` as given and, with
`--trials k`, every run cut to its first k evaluations.

Files in `--out`: `summary.md` (the tables), `results.json` (every run's curves),
`regret_trials.png` (median regret vs evaluations, band = quartiles over seeds, one panel per
function) and `regret_time.png` (median regret vs median cumulative wall time); `--no-plots`
leaves the plots out (53 panels take a minute to draw).
"""

from __future__ import annotations

import argparse
import ast
import importlib.util
import json
import math
import os
import shlex
import sys
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from hpcore.benchmarks import scoring
from hpcore.benchmarks.functions import MultiFidelityFunction, ObservationNoise, TestFunction
from hpcore.benchmarks.suite import CHARACTERS, Problem, expand_problem_names, get_problem

__all__ = ["EXTERNAL", "RunRecord", "Task", "main", "rank_table", "run_task", "summarize"]

#: Hyperband settings for the multi-fidelity variants.
HB_MIN_BUDGET, HB_MAX_BUDGET, HB_ETA = 1, 27, 3
#: Regret below this counts as this (log10 regret of an exact hit stays finite).
REGRET_FLOOR = scoring.REGRET_FLOOR

#: --with name -> (label, python module that must be importable, extra requirement or None)
EXTERNAL: dict[str, tuple[str, str, str | None]] = {
    "optuna": ("optuna TPE", "optuna", None),
    "optuna-gp": ("optuna GP", "optuna", "torch"),
    "skopt": ("skopt GP-EI", "skopt", None),
    "keras-tuner": ("keras-tuner BO", "keras_tuner", None),
    "botorch": ("BoTorch qLogNEI", "botorch", None),
    "smac": ("SMAC3 BlackBox", "smac", None),
    "hebo": ("HEBO", "hebo", None),  # looked for in HEBO's own environment (`_missing`)
}
#: Default --time-cap: seconds of wall time per peer run.
DEFAULT_TIME_CAP = 600.0


@dataclass(frozen=True)
class Task:
    method: str  # "hpcore:<strategy>" or an EXTERNAL key
    function: str
    seed: int
    trials: int
    noise: float = 0.0  # observation noise, relative to the function's spread (`ObservationNoise`)
    time_cap: float | None = DEFAULT_TIME_CAP  # wall seconds per peer run (None: no cap)


@dataclass
class RunRecord:
    """One run. Curves have one entry per evaluation (full-evaluation equivalent for Hyperband):
    `best[i]` the best objective value after i+1 of them (NaN before the first), `elapsed[i]` the
    wall seconds since the start."""

    method: str
    label: str
    function: str
    seed: int
    optimum: float | None  # None: unknown (real problems), scored by normalised regret
    best: list[float] = field(default_factory=list)
    elapsed: list[float] = field(default_factory=list)
    suggest_seconds: float = math.nan  # median ask + tell time per trial
    total_overhead: float = 0.0  # seconds in ask + tell over the whole run
    n_trials: int = 0  # trials really run (Hyperband runs more, cheaper ones)
    note: str = ""
    error: str = ""
    capped_at: int | None = None  # evaluations done when the time cap stopped the run, else None


def _label(method: str) -> str:
    if method.startswith("hpcore:"):
        return "hpcore " + method.split(":", 1)[1]
    return EXTERNAL[method][0]


# -- one run per method family ----------------------------------------------------------------------------
class _Clock:
    """Collects the curves of one run as evaluations happen, and keeps its time cap: `deadline`
    is the `time.perf_counter()` time `time_cap` seconds after the start (inf without a cap);
    `capped_at` the number of evaluations done when the cap stopped the run, else None."""

    def __init__(self, trials: int, time_cap: float | None = None) -> None:
        self.trials = trials
        self.start = time.perf_counter()
        self.deadline = self.start + time_cap if time_cap is not None else math.inf
        self.capped_at: int | None = None
        self.best = math.inf
        self.curve: list[float] = []
        self.elapsed: list[float] = []
        self.overhead: list[float] = []  # seconds in ask + tell, per trial
        self.n = 0

    def out_of_time(self) -> bool:
        """True once the deadline has passed; marks the run capped at the evaluations done."""
        if time.perf_counter() >= self.deadline:
            self.capped_at = self.n
        return self.capped_at is not None

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


def _run_peer(task: Task, fn: Problem | TestFunction, noise: ObservationNoise) -> tuple[_Clock, str]:
    """One run of another library (an `EXTERNAL` name) through `hpcore.benchmarks.peers`: ask,
    evaluate the active parameters, tell the observed value; stops at the time cap."""
    from hpcore.benchmarks.peers import PeerExhausted, PeerTimeout, make_peer

    clock = _Clock(task.trials, task.time_cap)
    note = ""
    peer = None
    try:
        peer = make_peer(task.method, fn.space(), seed=task.seed, trials=task.trials, deadline=clock.deadline)
        while clock.n < task.trials and not clock.out_of_time():
            t0 = time.perf_counter()
            try:
                params = peer.ask()
            except PeerExhausted as e:
                note = f"exhausted after {clock.n} trials ({e})"
                break
            t1 = time.perf_counter()
            value = fn.params_call(params)
            t2 = time.perf_counter()
            try:
                peer.tell(noise.observe(value))
            finally:  # an evaluation counts even when the peer is not told in time
                clock.overhead.append((t1 - t0) + (time.perf_counter() - t2))
                clock.n += 1
                clock.record(value)
    except PeerTimeout:  # a peer in another process did not answer by the deadline
        clock.capped_at = clock.n
    finally:
        if peer is not None:
            peer.close()
    if clock.capped_at is not None:
        note = f"capped at {clock.capped_at} evaluations ({task.time_cap:g} s)"
    clock.pad()  # a capped or exhausted run carries its best value to the end of the budget
    return clock, note


def run_task(task: Task) -> dict[str, Any]:
    """Run one (method, function, seed); returns a `RunRecord` as a dict (errors are recorded, not raised)."""
    fn = get_problem(task.function)
    rec = RunRecord(task.method, _label(task.method), fn.name, task.seed, fn.optimum_value)
    runners: dict[str, Callable[[Task, Any, ObservationNoise], tuple[_Clock, str]]] = {
        name: _run_peer for name in EXTERNAL}
    try:
        # a noisy suite problem brings its own noise; --noise adds to it (in quadrature)
        noise = (fn.observation_noise(task.seed, task.noise) if isinstance(fn, Problem)
                 else ObservationNoise(fn, task.noise, task.seed))
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
    rec.capped_at = clock.capped_at
    # The median: the first ask of a process may load compiled (numba) code or import a library.
    rec.suggest_seconds = float(np.median(clock.overhead)) if clock.overhead else math.nan
    rec.total_overhead = float(np.sum(clock.overhead))
    return asdict(rec)


# -- summaries ------------------------------------------------------------------------------------------------------
#: (function, method) -> mean rank over seeds of the final result (`scoring.rank_table`).
rank_table = scoring.rank_table


def _problems(names: Sequence[str]) -> dict[str, Problem | TestFunction]:
    """name -> problem, looked up once per summary (a suite lookup builds the objective)."""
    out: dict[str, Problem | TestFunction] = {}
    for n in names:
        if n not in out:
            out[n] = get_problem(n)
    return out


def _scales(records: Sequence[dict[str, Any]]) -> dict[str, scoring.Scale]:
    problems = _problems([r["function"] for r in records])

    def reference(name: str) -> float | None:
        p = problems[name]
        return p.reference_value if isinstance(p, Problem) else None

    def random_median(name: str, k: int) -> float | None:
        p = problems[name]
        return p.random_median(k) if isinstance(p, Problem) else None

    return scoring.problem_scales(records, reference, random_median)


def _fmt(x: float | None, digits: int = 3) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    if x != 0 and (abs(x) < 1e-3 or abs(x) >= 1e4):
        return f"{x:.{digits - 1}e}"
    return f"{x:.{digits}g}"


def _mean_log_score_at(recs: Sequence[dict[str, Any]], scale: scoring.Scale, k: int) -> float:
    """Mean log10 (normalised) regret after the first k evaluations (NaN runs left out)."""
    vals = [math.log10(v) for r in recs if math.isfinite(v := scale.score(r, k))]
    return float(np.mean(vals)) if vals else math.nan


def _heading(name: str, scale: scoring.Scale, trials: int) -> str:
    if not scale.normalised:
        return f"### {name} (optimum {_fmt(scale.optimum, 6)})\n"
    rand = scale.random.get(trials)
    return (f"### {name} (optimum unknown: normalised regret)\n\n"
            f"Normalised regret = (best - f_ref) / (f_rand - f_ref), floored at {scoring.NORMALISED_FLOOR:g}: "
            f"0 is the reference, 1 random search's median. f_ref = {_fmt(scale.reference, 6)} "
            f"({scale.reference_source or 'none'}), f_rand = {_fmt(rand, 6)} after {trials} evaluations "
            f"({scale.random_source or 'unknown: add --strategies random'}).\n")


def summarize(records: Sequence[dict[str, Any]], methods: Sequence[str], functions: Sequence[str],
              report_at: Sequence[int] = ()) -> str:
    """The markdown tables: one per function, then the overall mean rank (over all problems and,
    for suite problems, over each half and each character). `report_at` adds columns with the
    mean log10 (normalised) regret after that many evaluations."""
    ranks = rank_table(records)
    scales = _scales(records)
    problems = _problems(functions)
    lines: list[str] = []
    overall: dict[str, dict[str, float]] = {m: {} for m in methods}  # method -> problem -> rank
    timing: dict[str, list[float]] = {m: [] for m in methods}
    for function in functions:
        name = problems[function].name
        recs_f = [r for r in records if r["function"] == name]
        if not recs_f:
            continue
        scale = scales.get(name, scoring.Scale(recs_f[0]["optimum"]))  # every run failed: no scale
        trials = max(len(r["best"]) for r in recs_f)
        word = "normalised regret" if scale.normalised else "regret"
        lines.append(_heading(name, scale, trials))
        extra_head = "".join(f"| log10 {word} @{k} " for k in report_at)
        lines.append(f"| method | mean {word} | median {word} | mean log10 {word} " + extra_head + "| mean rank "
                     "| ms / suggestion | runs | notes |")
        lines.append("|---|---:|---:|---:|" + "---:|" * len(report_at) + "---:|---:|---:|---|")
        rows = []
        for m in methods:
            recs = [r for r in recs_f if r["method"] == m]
            ok = [r for r in recs if not r["error"]]
            if not recs:
                continue
            finals = np.array([scale.score(r, len(r["best"])) for r in ok]) if ok else np.array([math.nan])
            finite = finals[np.isfinite(finals)]
            mean_r = float(finite.mean()) if finite.size else math.nan
            med_r = float(np.median(finite)) if finite.size else math.nan
            log_r = float(np.mean(np.log10(finite))) if finite.size else math.nan
            ms = float(np.mean([r["suggest_seconds"] for r in ok])) * 1e3 if ok else math.nan
            rank = ranks.get((name, m), math.nan)
            if ok and math.isfinite(rank):
                overall[m][name] = rank
                timing[m].append(ms)
            notes = sorted({r["note"] for r in ok if r["note"]})
            note = notes[0] if notes else ""
            if len(notes) > 1:
                note += f" (+{len(notes) - 1} variants)"
            errors = sorted({r["error"] for r in recs if r["error"]})
            if errors:
                note = "; ".join(filter(None, [note, f"{len(recs) - len(ok)} runs failed: {errors[0]}"]))
            extra = "".join(f"| {_fmt(_mean_log_score_at(ok, scale, k))} " for k in report_at)
            row = (f"| {_label(m)} | {_fmt(mean_r)} | {_fmt(med_r)} | {_fmt(log_r)} {extra}| {_fmt(rank)} "
                   f"| {_fmt(ms)} | {len(ok)} | {note} |")
            rows.append((rank, row))
        lines.extend(row for _, row in sorted(rows, key=lambda x: (math.isnan(x[0]), x[0])))
        lines.append("")
    suite = {p.name: p for p in problems.values() if isinstance(p, Problem)}
    lines.extend(_overall(methods, overall, timing, suite))
    every = sorted({n for m in methods for n in overall[m]})
    budgets = sorted({k for k in report_at} | {max(len(r["best"]) for r in records)}) if records else []
    if report_at:
        lines.extend(_ranks_at(records, methods, every, suite, budgets))
    lines.extend(_mean_log_scores(records, methods, scales, every, suite, budgets))
    lines.extend(_head_to_head(records, methods, every, suite, budgets))
    lines.extend(_gaps(records, methods, scales, every, budgets))
    return "\n".join(lines) + "\n"


def _ranks_at(records: Sequence[dict[str, Any]], methods: Sequence[str], every: Sequence[str],
              suite: dict[str, Problem], budgets: Sequence[int]) -> list[str]:
    """Mean rank over problems after each budget in `budgets`, over all problems and, for suite
    problems, over each half: ranks of the best values after k evaluations of every run."""
    groups = _groups(every, suite)
    tables = {k: rank_table(records, k) for k in budgets}
    per_method = {k: {m: {f: r for (f, mm), r in tables[k].items() if mm == m} for m in methods} for k in budgets}
    head = " | ".join(f"{g} ({len(names)}) @{k}" for k in budgets for g, names in groups)
    lines = ["", "### mean rank after each budget\n",
             "Ranks of the best value found after k evaluations, on each (problem, seed) among all methods, "
             "averaged over seeds and then over problems.\n",
             f"| method | {head} |", "|---|" + "---:|" * (len(budgets) * len(groups))]
    last = budgets[-1]
    order = sorted((m for m in methods if per_method[last][m]),
                   key=lambda m: (math.isnan(r := _mean_rank(per_method[last][m], every)), r))
    for m in order:
        cells = [_fmt(_mean_rank(per_method[k][m], names)) for k in budgets for _, names in groups]
        lines.append(f"| {_label(m)} | " + " | ".join(cells) + " |")
    return lines


def _ran(records: Sequence[dict[str, Any]], methods: Sequence[str]) -> list[str]:
    """The methods, in their order, that have at least one run without error."""
    ok = {r["method"] for r in records if not r["error"]}
    return [m for m in methods if m in ok]


def _runs_by_case(records: Sequence[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """(function, method) -> its runs without error."""
    runs: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in records:
        if not r["error"]:
            runs.setdefault((r["function"], r["method"]), []).append(r)
    return runs


def _groups(every: Sequence[str], suite: dict[str, Problem]) -> list[tuple[str, list[str]]]:
    """("all", every problem), then each half of the suite that has problems here."""
    halves = {h: [n for n in every if n in suite and suite[n].half == h] for h in ("tune", "report")}
    return [("all", list(every))] + [(f"{h} half", names) for h, names in halves.items() if names]


def _mean_log_scores(records: Sequence[dict[str, Any]], methods: Sequence[str], scales: dict[str, scoring.Scale],
                     every: Sequence[str], suite: dict[str, Problem], budgets: Sequence[int]) -> list[str]:
    """Mean over problems of each problem's mean log10 (normalised) regret after k evaluations
    (the "log10 regret @k" columns above), over the problems on which every listed method has a
    finite score, so that all rows average the same problems."""
    ran = _ran(records, methods)
    if not ran or not budgets:
        return []
    runs = _runs_by_case(records)
    score = {(k, m, n): _mean_log_score_at(runs.get((n, m), []), scales[n], k)
             for k in budgets for m in ran for n in every if n in scales}
    groups = _groups(every, suite)
    common = {(k, g): [n for n in names if all(math.isfinite(score.get((k, m, n), math.nan)) for m in ran)]
              for k in budgets for g, names in groups}
    head = " | ".join(f"{g} ({len(common[(k, g)])}) @{k}" for k in budgets for g, _ in groups)
    lines = ["", "### mean log10 regret over problems after each budget\n",
             "Each problem's mean log10 (normalised) regret after k evaluations, averaged over the problems "
             "on which every method has one (their number in brackets).\n",
             f"| method | {head} |", "|---|" + "---:|" * (len(budgets) * len(groups))]
    means = {(k, g, m): float(np.mean([score[(k, m, n)] for n in common[(k, g)]])) if common[(k, g)] else math.nan
             for k in budgets for g, _ in groups for m in ran}
    last = budgets[-1]
    for m in sorted(ran, key=lambda m: (math.isnan(v := means[(last, "all", m)]), v)):
        cells = [_fmt(means[(k, g, m)]) for k in budgets for g, _ in groups]
        lines.append(f"| {_label(m)} | " + " | ".join(cells) + " |")
    return lines


#: Two best values closer than this, relative to the larger in magnitude, are a tie in the
#: head-to-head counts (not a win for either).
TIE_RELATIVE = 1e-9
_TIE_TEXT = f"{TIE_RELATIVE:.0e}".replace("e-0", "e-")  # "1e-9"


def head_to_head(records: Sequence[Mapping[str, Any]], a: str, b: str, k: int,
                 functions: Sequence[str] | None = None) -> tuple[int, int, int]:
    """(wins, losses, ties) of method `a` against method `b`: over every (problem, seed) that both
    ran without error, whether a's best value after k evaluations is lower than b's, higher, or
    equal within TIE_RELATIVE. As the ranks, it compares regrets floored at REGRET_FLOOR where the
    optimum is known (two exact hits tie), best values where not (`scoring.ranked_value`); a run
    with no value yet loses to one with a value. `functions` restricts the problems (by name)."""
    best: dict[tuple[str, str, int], float] = {}
    for r in records:
        if not r["error"] and r["method"] in (a, b) and (functions is None or r["function"] in functions):
            best[(r["method"], r["function"], r["seed"])] = scoring.ranked_value(r, k)
    wins = losses = ties = 0
    for (m, function, seed), va in best.items():
        if m != a or (vb := best.get((b, function, seed))) is None:
            continue
        va = math.inf if math.isnan(va) else va
        vb = math.inf if math.isnan(vb) else vb
        if va == vb or (math.isfinite(va) and math.isfinite(vb)
                        and abs(va - vb) <= TIE_RELATIVE * max(abs(va), abs(vb))):
            ties += 1
        elif va < vb:
            wins += 1
        else:
            losses += 1
    return wins, losses, ties


def sign_test(wins: int, losses: int) -> float:
    """One-sided sign test: the probability of at least `wins` wins in wins + losses fair coin
    tosses (ties left out); small when the first method is better more often than chance allows."""
    n = wins + losses
    if n == 0:
        return 1.0
    from scipy.stats import binom
    return float(binom.sf(wins - 1, n, 0.5))


def _head_to_head(records: Sequence[dict[str, Any]], methods: Sequence[str], every: Sequence[str],
                  suite: dict[str, Problem], budgets: Sequence[int]) -> list[str]:
    """For each hpcore method (random search excepted) against every other method: wins : losses
    over (problem, seed) pairs after each budget, with the one-sided sign test's p-value."""
    ran = _ran(records, methods)
    ours = [m for m in ran if m.startswith("hpcore:") and m != scoring.RANDOM_METHOD]
    if not ours or len(ran) < 2 or not budgets:
        return []
    groups = _groups(every, suite)
    head = " | ".join(f"{g} ({len(names)}) @{k}" for k in budgets for g, names in groups)
    lines = ["", "### head to head after each budget\n",
             "Pairs (problem, seed) on which the first method's best value after k evaluations is lower : "
             f"higher than the second's (ties within {_TIE_TEXT} relative left out), and the one-sided "
             "sign test's p-value that the first wins this often by chance.\n",
             f"| methods | {head} |", "|---|" + "---:|" * (len(budgets) * len(groups))]
    for m in ours:
        for other in ran:
            if other == m:
                continue
            cells = []
            for k in budgets:
                for _, names in groups:
                    w, lo, _ties = head_to_head(records, m, other, k, names)
                    cells.append(f"{w} : {lo} (p {_fmt(sign_test(w, lo), 2)})")
            lines.append(f"| {_label(m)} vs {_label(other)} | " + " | ".join(cells) + " |")
    return lines


#: A problem on which another method's mean log10 (normalised) regret is lower than an hpcore
#: method's by more than this is listed under "largest gaps".
GAP_LISTED = 0.5


def _gaps(records: Sequence[dict[str, Any]], methods: Sequence[str], scales: dict[str, scoring.Scale],
          every: Sequence[str], budgets: Sequence[int]) -> list[str]:
    """For each hpcore method and budget, the problems where the best other library (`--with`)
    has a mean log10 (normalised) regret lower by more than GAP_LISTED; nothing without peers."""
    ours = [m for m in methods if m.startswith("hpcore:") and m != scoring.RANDOM_METHOD]
    peers = [m for m in methods if not m.startswith("hpcore:")]
    if not ours or not peers:
        return []
    lines = ["", f"### where a peer is ahead by more than {GAP_LISTED} in mean log10 regret\n"]
    runs = _runs_by_case(records)
    for m in ours:
        for k in budgets:
            listed = []
            for name in every:
                scale = scales.get(name)
                if scale is None:
                    continue
                score = {x: _mean_log_score_at(runs.get((name, x), []), scale, k) for x in [m, *peers]}
                finite = {x: v for x, v in score.items() if x != m and math.isfinite(v)}
                if not finite or not math.isfinite(score[m]):
                    continue
                best_peer = min(finite, key=finite.get)
                if score[m] - finite[best_peer] > GAP_LISTED:
                    listed.append(f"{name} ({_fmt(score[m])} against {_label(best_peer)} {_fmt(finite[best_peer])})")
            lines.append(f"- {_label(m)} @{k}: " + ("; ".join(listed) if listed else "none"))
    return lines


def _mean_rank(ranks: dict[str, float], names: Sequence[str]) -> float:
    values = [ranks[n] for n in names if n in ranks]
    return float(np.mean(values)) if values else math.nan


def _overall(methods: Sequence[str], overall: dict[str, dict[str, float]], timing: dict[str, list[float]],
             suite: dict[str, Problem]) -> list[str]:
    """The overall tables: mean rank over problems; with suite problems also over each half
    and, in a second table, over each character."""
    lines = ["### overall\n"]
    ran = [m for m in methods if overall[m]]
    if not suite:
        lines += ["| method | mean rank (mean over functions) | ms / suggestion (mean over functions) |", "|---|---:|---:|"]
        rows = [(_mean_rank(overall[m], list(overall[m])),
                 f"| {_label(m)} | {_fmt(_mean_rank(overall[m], list(overall[m])))} "
                 f"| {_fmt(float(np.mean(timing[m])))} |") for m in ran]
        return lines + [row for _, row in sorted(rows)]
    every = sorted({n for m in ran for n in overall[m]})
    halves = {h: [n for n in every if n in suite and suite[n].half == h] for h in ("tune", "report")}
    lines.append("Mean rank over problems (each a mean over seeds). The halves are the suite's fixed split "
                 "(`hpcore.benchmarks.suite.SPLIT`): defaults are chosen on the tune half; the report half "
                 "checks them.\n")
    lines += [f"| method | mean rank, all {len(every)} | tune half ({len(halves['tune'])}) "
              f"| report half ({len(halves['report'])}) | ms / suggestion (mean over functions) |",
              "|---|---:|---:|---:|---:|"]
    ran.sort(key=lambda m: (math.isnan(r := _mean_rank(overall[m], every)), r))
    for m in ran:
        lines.append(f"| {_label(m)} | {_fmt(_mean_rank(overall[m], every))} "
                     f"| {_fmt(_mean_rank(overall[m], halves['tune']))} "
                     f"| {_fmt(_mean_rank(overall[m], halves['report']))} | {_fmt(float(np.mean(timing[m])))} |")
    characters: dict[str, list[str]] = {}
    for n in every:
        if n in suite:
            characters.setdefault(suite[n].character, []).append(n)
    order = [c for c in CHARACTERS if c in characters]
    lines += ["", "### mean rank by character\n",
              "| method | " + " | ".join(f"{c} ({len(characters[c])})" for c in order) + " |",
              "|---|" + "---:|" * len(order)]
    for m in ran:
        lines.append(f"| {_label(m)} | " + " | ".join(_fmt(_mean_rank(overall[m], characters[c])) for c in order)
                     + " |")
    return lines


# -- plots --------------------------------------------------------------------------------------------------------------
def _style(methods: Sequence[str]) -> dict[str, dict[str, Any]]:
    colours = ["tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown", "tab:pink",
               "tab:gray", "tab:olive", "tab:cyan"]
    return {m: {"color": colours[i % len(colours)], "linestyle": "-" if m.startswith("hpcore:") else "--"}
            for i, m in enumerate(methods)}


def plot_results(records: Sequence[dict[str, Any]], methods: Sequence[str], functions: Sequence[str],
                 out: Path) -> list[Path]:
    """regret_trials.png and regret_time.png (one panel per function; where the optimum is
    unknown, the regret is measured from the reference f_ref and the panel says so)."""
    from hpcore.plot_axes import set_log_ticks
    from hpcore.plots import legend_below, new_figure, save_figure

    names = [p.name for p in _problems(functions).values()]
    names = [n for n in names if any(r["function"] == n for r in records)]
    if not names:
        return []
    scales = _scales(records)
    style = _style(methods)
    ncols = min(3 if len(names) <= 12 else 6, len(names))  # a whole suite: six panels a row
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
                R = np.vstack([scales[name].regret_curve(r) for r in recs])
                with warnings.catch_warnings():  # all-NaN columns before Hyperband's first full-budget result
                    warnings.simplefilter("ignore", RuntimeWarning)
                    q1, med, q3 = np.nanpercentile(R, [25, 50, 75], axis=0)
                    x = (np.arange(1, R.shape[1] + 1) if kind == "trials"
                         else np.nanmedian(np.vstack([r["elapsed"] for r in recs]), axis=0))
                ax.plot(x, med, label=_label(m), linewidth=1.8, **style[m])
                if kind == "trials":
                    ax.fill_between(x, q1, q3, color=style[m]["color"], alpha=0.15, linewidth=0)
            ax.set_yscale("log")
            if ax.lines:  # a few round labels per log axis, minor ticks unlabelled
                set_log_ticks(ax.yaxis, *ax.get_ylim())
            if kind == "time":
                ax.set_xscale("log")
                if ax.lines:
                    set_log_ticks(ax.xaxis, *ax.get_xlim())
                ax.set_xlabel("wall time (s, median over seeds)")
            else:
                ax.set_xlabel("evaluations (full-budget equivalents)")
            unknown = name in scales and scales[name].normalised
            ax.set_ylabel("best - f_ref (optimum unknown)" if unknown else "simple regret")
            ax.set_title(name)
            ax.grid(alpha=0.3, which="major")
            ax.grid(alpha=0.08, which="minor")
        for k in range(len(names), nrows * ncols):
            axes[k // ncols][k % ncols].set_axis_off()
        handles, labels = axes[0][0].get_legend_handles_labels()
        legend_below(fig, handles, labels)
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


def _missing(peer: str) -> str | None:
    """Why the `EXTERNAL` peer cannot run here, or None when it can. HEBO is looked for in its own
    environment, the others in this one."""
    label, module, extra = EXTERNAL[peer]
    if peer == "hebo":
        from hpcore.benchmarks.peers.hebo_runner import hebo_missing

        return hebo_missing()
    if not _available(module):
        return f"{module} is not installed"
    if extra and not _available(extra):
        return f"needs {extra}, which is not installed"
    return None


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
        missing = _missing(w)
        if missing:
            notes.append(f"{EXTERNAL[w][0]}: {missing}, skipped")
        else:
            methods.append(w)
    functions = expand_problem_names(_split(args.functions))  # suite selectors expanded; ValueError if unknown
    return methods, functions, notes


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="hpcore bench synthetic", formatter_class=argparse.RawDescriptionHelpFormatter,
        description=__doc__.split("\n\n", 1)[0] + "\n\n" + __doc__.split("\n\n", 2)[2])
    p.add_argument("--strategies", default="random,grid,bayes,hyperband",
                   help="hpcore strategies, comma-separated (default random,grid,bayes,hyperband)")
    p.add_argument("--functions", default=None,
                   help="problems, comma-separated: test functions from hpcore.benchmarks.functions, problems of "
                   "hpcore.benchmarks.suite, or the selectors suite, suite:tune, suite:report, suite:<character> "
                   "(default branin,hartmann6; with --summarize: keep only the runs of these problems, default all)")
    p.add_argument("--trials", type=int, default=None, help="evaluations per run (default 50; with --summarize: "
                   "cut every run to this many)")
    p.add_argument("--seeds", type=int, default=None, help="seeds 0..S-1 per method and function (default 10; with "
                   "--summarize: keep only the runs of these seeds, default all)")
    p.add_argument("--first-seed", type=int, default=0, metavar="A",
                   help="run (with --summarize: keep) seeds A..A+S-1 instead, to add seeds to an earlier "
                   "command's runs and merge them with --summarize (default 0)")
    p.add_argument("--with", dest="with_", default="",
                   help=f"other libraries, comma-separated: {', '.join(EXTERNAL)}")
    p.add_argument("--jobs", type=int, default=2, help="parallel processes (default 2)")
    p.add_argument("--noise", type=float, default=0.0,
                   help="Gaussian observation noise with this sd relative to the function's spread (sd over "
                   "256 uniform points); regret uses the noiseless values (default 0: exact)")
    p.add_argument("--time-cap", type=float, default=DEFAULT_TIME_CAP, metavar="SECONDS",
                   help=f"wall seconds per run of another library (--with); a capped run keeps its best value "
                   f"to the end of the budget and is marked in the notes; 0 for no cap (default {DEFAULT_TIME_CAP:g})")
    p.add_argument("--report-at", default="", help="also report mean log10 regret after these numbers of "
                   "evaluations, e.g. 30,100")
    p.add_argument("--out", default="results", help="output folder (default results/)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--no-plots", action="store_true", help="no PNG plots (a whole suite's take a minute to draw)")
    p.add_argument("--summarize", default="", metavar="FILES",
                   help="run nothing: write summary.md in --out from these results.json files, comma-separated "
                   "(runs of several commands merged: the same seeds give the same runs; --report-at applies)")
    return p


def resummarize(files: Sequence[str], out: Path, report_at: Sequence[int], trials: int | None = None,
                seeds: Sequence[int] | None = None, functions: Sequence[str] | None = None) -> Path:
    """summary.md in `out` from one or more results.json files, their runs merged (a method,
    problem and seed present in several files is taken from the first), each cut to its first
    `trials` evaluations when given (a strategy's suggestions do not depend on the budget, so
    the first 30 of a 100-evaluation run are a 30-evaluation run), and only the runs of `seeds`
    kept when given (so that methods run with different numbers of seeds are ranked on the
    seeds they share), and only the runs of the problems `functions` when given (to rank methods
    on the problems they all ran). Returns its path."""
    keep = None if functions is None else set(functions)
    runs: dict[tuple[str, str, int], dict[str, Any]] = {}
    methods: list[str] = []
    problems: list[str] = []
    commands: list[str] = []
    for f in files:
        data = json.loads(Path(f).read_text())
        commands.append(data.get("command", f))
        for r in data["runs"]:
            if (seeds is None or r["seed"] in seeds) and (keep is None or r["function"] in keep):
                runs.setdefault((r["method"], r["function"], r["seed"]), r)
        methods += [m for m in data.get("methods", []) if m not in methods]
        problems += [fn for fn in data.get("functions", []) if fn not in problems and (keep is None or fn in keep)]
    for r in runs.values():  # files without the lists
        if r["method"] not in methods:
            methods.append(r["method"])
        if r["function"] not in problems:
            problems.append(r["function"])
    if not runs:
        raise ValueError("no runs" + (f" of seeds {min(seeds)}..{max(seeds)}" if seeds else "")
                         + (" of the problems asked" if keep is not None else ""))
    records = sorted(runs.values(), key=lambda r: (r["function"], r["method"], r["seed"]))
    if trials is not None:
        records = [{**r, "best": r["best"][:trials], "elapsed": r["elapsed"][:trials]} for r in records]
    trials = max(len(r["best"]) for r in records)
    header = ("## hpcore strategy comparison (merged results)\n\n" + "".join(f"- `{c}`\n" for c in commands)
              + f"\n{len(records)} runs" + (f" (seeds {min(seeds)}..{max(seeds)} only)" if seeds else "")
              + (f" (only the {len(problems)} problem{'s' if len(problems) != 1 else ''} asked)" if keep is not None else "")
              + "; ranks are among all methods of these commands on each (problem, seed).\n")
    text = header + "\n" + summarize(records, methods, problems, [k for k in report_at if k <= trials])
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.md").write_text(text)
    return out / "summary.md"


def _tasks(methods: Sequence[str], functions: Sequence[str], seeds: int, trials: int,
           noise: float = 0.0, time_cap: float | None = DEFAULT_TIME_CAP, first_seed: int = 0) -> list[Task]:
    dims = {f: get_problem(f).dims for f in functions}

    def cost(t: Task) -> float:  # start the slow runs first, so the pool does not end on one of them
        method = "hpcore:bayes" if t.method.startswith("hpcore:bayes") else t.method
        slow = {"optuna-gp": 4.0, "keras-tuner": 6.0, "skopt": 2.0, "hpcore:bayes": 1.5, "botorch": 8.0,
                "smac": 10.0, "hebo": 12.0}.get(method, 0.1)
        return slow * dims[t.function]

    tasks = [Task(m, f, s, trials, noise, time_cap) for m in methods for f in functions
             for s in range(first_seed, first_seed + seeds)]
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
    if args.first_seed < 0 or (args.seeds is not None and args.seeds < 1):
        print(f"hpcore bench synthetic: error: --first-seed must be >= 0 and --seeds >= 1, got {args.first_seed} "
              f"and {args.seeds}", file=sys.stderr)
        return 2
    if args.summarize:
        if args.first_seed and args.seeds is None:
            print("hpcore bench synthetic: error: --summarize keeps seeds A..A+S-1: --first-seed needs --seeds",
                  file=sys.stderr)
            return 2
        try:
            seeds = None if args.seeds is None else range(args.first_seed, args.first_seed + args.seeds)
            functions = None if args.functions is None else expand_problem_names(_split(args.functions))
            path = resummarize(_split(args.summarize), Path(args.out), [int(k) for k in _split(args.report_at)],
                               args.trials, seeds, functions)
        except (OSError, ValueError, KeyError) as e:
            print(f"hpcore bench synthetic: error: --summarize: {e}", file=sys.stderr)
            return 2
        print(f"written: {path}")
        return 0
    args.trials = 50 if args.trials is None else args.trials
    args.seeds = 10 if args.seeds is None else args.seeds
    args.functions = "branin,hartmann6" if args.functions is None else args.functions
    if args.trials < 1 or args.jobs < 1:
        print("hpcore bench synthetic: error: --trials and --jobs must be >= 1", file=sys.stderr)
        return 2
    if not (args.noise >= 0 and math.isfinite(args.noise)):
        print(f"hpcore bench synthetic: error: --noise must be finite and >= 0, got {args.noise}", file=sys.stderr)
        return 2
    if not (args.time_cap >= 0 and math.isfinite(args.time_cap)):
        print(f"hpcore bench synthetic: error: --time-cap must be finite and >= 0 seconds (0: no cap), got "
              f"{args.time_cap}", file=sys.stderr)
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
    time_cap = args.time_cap or None
    tasks = _tasks(methods, functions, args.seeds, args.trials, args.noise, time_cap, args.first_seed)
    print(f"{len(tasks)} runs: {len(methods)} methods x {len(functions)} functions x {args.seeds} seeds, "
          f"{args.trials} evaluations each, {args.jobs} processes", file=sys.stderr)
    t0 = time.perf_counter()
    records = run_all(tasks, args.jobs, progress=not args.quiet)
    wall = time.perf_counter() - t0
    command = "hpcore bench synthetic " + " ".join(shlex.quote(a) for a in (argv if argv is not None else sys.argv[1:]))
    header = (f"## hpcore strategy comparison\n\n`{command}`\n\n{args.trials} evaluations per run, seeds {args.first_seed}.."
              f"{args.first_seed + args.seeds - 1}, "
              f"{len(tasks)} runs in {wall:.0f} s on {args.jobs} processes ({os.cpu_count()} CPUs). Regret = best "
              f"value found - known optimum, after all evaluations; rank 1 = best on a (function, seed); "
              f"ms / suggestion = median optimiser time in ask + tell per trial.\n")
    if args.noise:
        header += (f"\nObservations carry Gaussian noise of sd {args.noise:g} x the function's spread (sd over 256 "
                   f"uniform points); regret is that of the best evaluated point's noiseless value.\n")
    problems = _problems(functions)
    noisy = [n for n, p in problems.items() if isinstance(p, Problem) and p.noise]
    if noisy:
        header += (f"\n{', '.join(noisy)}: observations carry their problem's own Gaussian noise (sd relative to "
                   f"the function's spread, combined in quadrature with --noise); regret uses the noiseless "
                   f"values.\n")
    if any(p.optimum_value is None for p in problems.values()):
        header += ("\nWhere the optimum is unknown (real problems), regret is replaced by the normalised regret "
                   "(best - f_ref) / (f_rand - f_ref) of Bayesmark, its table says from where f_ref and f_rand "
                   "come; ranks are by final value.\n")
    skipped = "".join(f"- {n}\n" for n in notes)
    failed = [r for r in records if r["error"]]
    failures = "".join(f"- {r['label']} on {r['function']} seed {r['seed']} failed: {r['error']}\n" for r in failed)
    capped = "".join(f"- {r['label']} on {r['function']} seed {r['seed']}: capped at {r['capped_at']} of "
                     f"{args.trials} evaluations by the time cap ({args.time_cap:g} s); its curve keeps its best "
                     f"value to the end\n" for r in records if r.get("capped_at") is not None)
    report_at = [int(k) for k in _split(args.report_at) if int(k) <= args.trials]
    text = header + "\n" + summarize(records, methods, functions, report_at)
    if skipped or failures or capped:
        text += "\nNotes:\n" + skipped + failures + capped
    (out / "summary.md").write_text(text)
    (out / "results.json").write_text(json.dumps({"command": command, "trials": args.trials, "seeds": args.seeds,
                                                  "first_seed": args.first_seed,
                                                  "noise": args.noise, "time_cap": time_cap,
                                                  "methods": methods, "functions": functions, "notes": notes,
                                                  "runs": records}, indent=1, allow_nan=True))
    try:
        files = [] if args.no_plots else plot_results(records, methods, functions, out)
    except ImportError as e:
        files = []
        text += f"\n(no plots: {e})\n"
    print(text)
    print(f"written: {out / 'summary.md'}, {out / 'results.json'}" + "".join(f", {f}" for f in files))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
