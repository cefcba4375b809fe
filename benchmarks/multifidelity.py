"""Hyperband vs full-budget search at equal total budget, on multi-fidelity problems.

    python -m hpcore.benchmarks.multifidelity [--seeds 10] [--iterations 2] [--problems branin,hartmann6,learning_curve]
                                       [--methods hyperband,hyperband+gp,random,bayes]

Problems (from `benchmarks.functions`): Branin and Hartmann-6 as `MultiFidelityFunction(...,
max_budget=81)` (biased and noisy below the full budget, exact at it), and the simulated
`learning_curve` (81 epochs). Methods: Hyperband (min_budget 1, max_budget 81, eta 3) with random
sampling and with the GP sampler (BOHB-style), and random search and GP Bayesian optimisation
evaluating every configuration at the full budget. The total budget B is that of `--iterations`
Hyperband iterations with continuation (a promoted trial spends budget - previous_budget; one
iteration spends 1581), and the full-budget methods get floor(B / 81) evaluations.

Reported, as mean +- standard error over seeds: the regret of the best value found *at the full
budget* (Hyperband's low-budget values do not count) after a third, two thirds and all of B; and
the fraction of B after which a method's mean regret is no worse than random search's final one.
Methods whose module is missing (the GP strategy) are skipped.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from hpcore.benchmarks.functions import (
    LEARNING_CURVE_MAX_EPOCHS,
    MultiFidelityFunction,
    get_function,
    learning_curve,
    learning_curve_space,
)

MAX_BUDGET = 81
ETA = 3
#: learning_curve's best full-budget error: the asymptote's minimum (0.04) once converged; its
#: noise is +-0.003/sqrt(82), so regrets slightly below 0 are possible.
LEARNING_CURVE_OPTIMUM = 0.04


@dataclass(frozen=True)
class Problem:
    name: str
    space: Any
    fn: Callable[[Mapping[str, Any], float], float]  # (params, budget) -> loss
    optimum: float


def problems() -> dict[str, Problem]:
    out = {}
    for name in ("branin", "hartmann6"):
        mf = MultiFidelityFunction(get_function(name), max_budget=MAX_BUDGET)
        out[name] = Problem(name, mf.space(), mf.params_call, mf.optimum_value)
    assert LEARNING_CURVE_MAX_EPOCHS == MAX_BUDGET
    out["learning_curve"] = Problem("learning_curve", learning_curve_space(), learning_curve,
                                    LEARNING_CURVE_OPTIMUM)
    return out


def gp_available() -> bool:
    try:
        import hpcore.strategies.bayes  # noqa: F401
    except ImportError:
        return False
    return True


def total_budget(iterations: int) -> int:
    """B: the budget `iterations` Hyperband iterations spend with continuation."""
    from hpcore.hyperband_plan import hyperband_plan, plan_total_budget

    return iterations * plan_total_budget(hyperband_plan(1, MAX_BUDGET, ETA), continued=True)


def run_method(method: str, problem: Problem, seed: int, iterations: int) -> np.ndarray:
    """One run; returns (n, 2): cumulative budget spent and the full-budget value (NaN when the
    trial was not at the full budget or failed), in trial order."""
    import hpcore

    if method.startswith("hyperband"):
        strategy = hpcore.Hyperband(1, MAX_BUDGET, ETA, iterations=iterations,
                                    sampler="bayes" if method == "hyperband+gp" else "random")
        study = hpcore.Study(problem.space, strategy=strategy, seed=seed)
        study.optimize(problem.fn, verbose=False)
    else:
        study = hpcore.Study(problem.space, strategy=method, seed=seed)
        study.optimize(lambda params: problem.fn(params, MAX_BUDGET),
                       n_trials=total_budget(iterations) // MAX_BUDGET, verbose=False)
    spent, values = [], []
    cum = 0.0
    for t in study.trials:
        budget = MAX_BUDGET if t.budget is None else t.budget
        cum += budget - (t.previous_budget or 0)
        spent.append(cum)
        values.append(t.value if t.ok and budget == MAX_BUDGET else math.nan)
    return np.column_stack([spent, values])


def best_regret(trace: np.ndarray, budget: float, optimum: float) -> float:
    """Regret of the best full-budget value among the trials finished within `budget` (inf if none)."""
    within = trace[trace[:, 0] <= budget + 1e-9, 1]
    within = within[~np.isnan(within)]
    return float(within.min() - optimum) if within.size else math.inf


def mean_sem(x: np.ndarray) -> str:
    if not np.all(np.isfinite(x)):
        return "—"
    sem = x.std(ddof=1) / math.sqrt(len(x)) if len(x) > 1 else 0.0
    return f"{x.mean():.4g} ± {sem:.2g}"


def main(argv: list[str] | None = None) -> str:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--iterations", type=int, default=2, help="total budget B in Hyperband iterations")
    ap.add_argument("--problems", default="branin,hartmann6,learning_curve")
    ap.add_argument("--methods", default="hyperband,hyperband+gp,random,bayes")
    args = ap.parse_args(argv)
    probs = problems()
    names = [p for p in args.problems.split(",") if p]
    methods = [m for m in args.methods.split(",") if m]
    if not gp_available():
        skipped = [m for m in methods if m in ("hyperband+gp", "bayes")]
        methods = [m for m in methods if m not in skipped]
        if skipped:
            print(f"hpcore.strategies.bayes is not available: skipped {', '.join(skipped)}", file=sys.stderr)
    if "random" not in methods:
        methods.append("random")  # the reference
    B = total_budget(args.iterations)
    grid = np.linspace(0, B, 301)[1:]
    lines = [
        (f"Total budget B = {B} ({args.iterations} Hyperband iteration(s), R = {MAX_BUDGET}, eta = {ETA}; "
         f"full-budget methods: {B // MAX_BUDGET} evaluations); {args.seeds} seeds; mean ± s.e. of the "
         "regret of the best full-budget value."),
        "",
        "| problem | method | regret @ B/3 | regret @ 2B/3 | regret @ B | budget to reach random's final | time (s) |",
        "|---|---|---|---|---|---|---|",
    ]
    verdicts = []
    for name in names:
        prob = probs[name]
        traces: dict[str, list[np.ndarray]] = {}
        seconds: dict[str, float] = {}
        for m in methods:
            t0 = time.perf_counter()
            traces[m] = [run_method(m, prob, seed, args.iterations) for seed in range(args.seeds)]
            seconds[m] = time.perf_counter() - t0
            print(f"{name} {m}: {seconds[m]:.1f} s", file=sys.stderr)
        curves = {m: np.array([[best_regret(tr, b, prob.optimum) for b in grid] for tr in traces[m]])
                  for m in methods}
        target = curves["random"].mean(axis=0)[-1]  # the same reduction as `mean` below: comparable
        reach: dict[str, float] = {}
        for m in methods:
            mean = curves[m].mean(axis=0)
            hit = np.nonzero(mean <= target)[0]
            reach[m] = grid[hit[0]] / B if hit.size else math.inf
            at = [curves[m][:, round(f * len(grid)) - 1] for f in (1 / 3, 2 / 3, 1)]
            lines.append(f"| {name} | {m} | " + " | ".join(mean_sem(a) for a in at)
                         + f" | {'not reached' if math.isinf(reach[m]) else f'{reach[m]:.0%} of B'}"
                         + f" | {seconds[m]:.1f} |")
        if "hyperband" in methods:
            frac = reach["hyperband"]
            share = "never within B" if math.isinf(frac) else f"after {frac:.0%} of B"
            verdicts.append(f"- {name}: Hyperband reaches random search's final mean regret {share} "
                            f"(target <= 33%): {'met' if frac <= 1 / 3 else 'NOT met'}")
        if "hyperband" in methods and "hyperband+gp" in methods:
            hb, gp = curves["hyperband"][:, -1].mean(), curves["hyperband+gp"][:, -1].mean()
            verdicts.append(f"- {name}: Hyperband+GP mean regret at B {gp:.4g} vs Hyperband {hb:.4g}: "
                            f"{'met' if gp < hb else 'NOT met'}")
    out = "\n".join(lines + ["", "Targets:"] + verdicts)
    print(out)
    return out


if __name__ == "__main__":
    main(sys.argv[1:])
