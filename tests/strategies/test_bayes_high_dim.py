"""At 30 evaluations in 8-20 dimensions the GP is clearly better than random search.

A fixed-seed statistical claim over the benchmark suite's tune-half problems of 8 to 20
encoded dimensions, 3 seeds each: Bayesian optimisation's best value after 30 trials beats
random search's on the same problem and seed in a one-sided sign test at the 1 % level.
"""

import pytest
from hpcore.benchmarks.suite import get_problem
from scipy.stats import binomtest

import hpcore

pytestmark = pytest.mark.slow

PROBLEMS = ["rotated_hyper_ellipsoid8", "styblinski_tang8_int", "levy10", "dixon_price10", "michalewicz10",
            "ackley20", "rosenbrock20", "sum_squares20"]
SEEDS = range(3)


def _best(strategy: str, problem, seed: int) -> float:
    result = hpcore.minimize(problem.params_call, problem.space(), strategy=strategy, n_trials=30, seed=seed,
                             verbose=False)
    return result.best_value


def test_bayes_beats_random_at_30_in_8_to_20_dims():
    wins = 0
    for name in PROBLEMS:
        problem = get_problem(name)
        assert problem.half == "tune" and 8 <= problem.space().dims <= 20
        for seed in SEEDS:
            wins += _best("bayes", problem, seed) < _best("random", problem, seed)
    n = len(PROBLEMS) * len(SEEDS)
    assert binomtest(wins, n, 0.5, alternative="greater").pvalue < 0.01, f"bayes won {wins} of {n}"
