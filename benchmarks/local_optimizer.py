"""BO's acquisition local search: scipy L-BFGS-B vs batched projected Adam steps.

    python -m hpcore.benchmarks.local_optimizer [--functions branin,hartmann6] [--trials 100] [--seeds 5]

Runs `BayesianOptimization(local_optimizer=...)` for both settings on the same functions and
seeds, interleaved, and prints the mean log10 regret and the median wall time per trial.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
from hpcore.benchmarks.functions import get_function

import hpcore


def main(argv: list[str] | None = None) -> str:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--functions", default="branin,hartmann6")
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--seeds", type=int, default=5)
    args = ap.parse_args(argv)
    lines = ["| function | local optimizer | log10 regret per seed | mean | ms per trial (median over seeds) |",
             "|---|---|---|---:|---:|"]
    for name in args.functions.split(","):
        fn = get_function(name)
        res: dict[str, tuple[list[float], list[float]]] = {"lbfgsb": ([], []), "adam": ([], [])}
        for seed in range(args.seeds):
            for method, (regs, times) in res.items():
                t0 = time.perf_counter()
                r = hpcore.minimize(fn.params_call, fn.space(), n_trials=args.trials, seed=seed, verbose=False,
                                    strategy=hpcore.BayesianOptimization(local_optimizer=method))
                times.append((time.perf_counter() - t0) / args.trials * 1e3)
                regs.append(float(np.log10(max(r.best_value - fn.optimum_value, 1e-12))))
        for method, (regs, times) in res.items():
            lines.append(f"| {fn.name} | {method} | {' '.join(f'{v:.2f}' for v in regs)} | "
                         f"{np.mean(regs):.2f} | {statistics.median(times):.0f} |")
    text = "\n".join(lines)
    print(text)
    return text


if __name__ == "__main__":
    main()
