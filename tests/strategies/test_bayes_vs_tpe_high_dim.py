"""At 30 evaluations in 8-20 dimensions the GP is at least as good as Optuna's TPE.

A fixed-seed claim over the benchmark suite's noiseless problems of 8 to 20 encoded dimensions,
both halves, 3 seeds each, both methods driven as the benchmark runner drives them (Optuna
through `hpcore.benchmarks.peers`, the same space translation): Bayesian optimisation's best
value after 30 trials must beat TPE's on at least half of the (problem, seed) pairs, and on
the tune half, where the defaults were chosen, on clearly more than half. On the report half
alone the two are even (21 of 30 pairs won on the tune half, 12 of 24 on the report half;
docs/bo_quality.md has the 10-seed figures), so this
test would catch a change that gives up the tune half's lead without gaining there.
"""

import math

import pytest
from hpcore.benchmarks.peers import make_peer
from hpcore.benchmarks.suite import SUITE, get_problem
from scipy.stats import binomtest

import hpcore

pytest.importorskip("optuna")
pytestmark = pytest.mark.slow

PROBLEMS = [name for name in SUITE if 8 <= get_problem(name).space().dims <= 20 and get_problem(name).noise == 0
            and get_problem(name).character != "real"]
SEEDS = range(3)
TRIALS = 30


def _tpe_best(problem, seed: int) -> float:
    peer = make_peer("optuna", problem.space(), seed, TRIALS, math.inf)
    best = math.inf
    for _ in range(TRIALS):
        value = problem.params_call(peer.ask())
        peer.tell(value)
        best = min(best, value)
    return best


def _bayes_best(problem, seed: int) -> float:
    return hpcore.minimize(problem.params_call, problem.space(), strategy="bayes", n_trials=TRIALS, seed=seed,
                           verbose=False).best_value


def test_bayes_at_least_as_good_as_tpe_at_30_in_8_to_20_dims():
    outcomes = {(name, seed): _bayes_best(get_problem(name), seed) < _tpe_best(get_problem(name), seed)
                for name in PROBLEMS for seed in SEEDS}
    tune = [won for (name, _), won in outcomes.items() if get_problem(name).half == "tune"]
    report = [won for (name, _), won in outcomes.items() if get_problem(name).half == "report"]
    assert len(tune) >= 18 and len(report) >= 18
    wins = sum(outcomes.values())
    assert wins >= len(outcomes) / 2, f"bayes won {wins} of {len(outcomes)}: {outcomes}"
    assert binomtest(sum(tune), len(tune), 0.5, alternative="greater").pvalue < 0.05, \
        f"tune half: bayes won {sum(tune)} of {len(tune)}"
