"""Memory of Bayesian optimisation: state O(n·D + n²), nothing kept per ask (issue 3)."""

import gc
import pickle
import tracemalloc

import numpy as np

import hpcore
from hpcore.strategies.base import SuggestContext
from hpcore.strategies.bayes import BayesianOptimization

SPACE = hpcore.Space({f"x{i}": hpcore.Float(0, 1) for i in range(6)})


def _history(n: int) -> list[hpcore.Trial]:
    study = hpcore.Study(SPACE, strategy="random", seed=0)
    study.optimize(lambda p: float(np.sum((np.array(list(p.values())) - 0.3) ** 2)), n_trials=n, verbose=False)
    return study.trials


def _ctx(trials: list[hpcore.Trial]) -> SuggestContext:
    return SuggestContext(space=SPACE, trials=trials, direction="minimize", number=len(trials), seed=0)


def test_repeated_asks_keep_no_memory():
    strategy = BayesianOptimization()
    ctx = _ctx(_history(40))
    for _ in range(10):  # warm up: numba compilation, caches, the first fits
        strategy.suggest(ctx)
    gc.collect()
    tracemalloc.start()
    try:
        strategy.suggest(ctx)
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(150):
            strategy.suggest(ctx)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert after - before < 256 * 1024, f"{(after - before) / 1024:.0f} KiB kept over 150 asks"


def test_state_grows_no_faster_than_the_gp_needs():
    sizes = {}
    for n in (40, 160):
        strategy = BayesianOptimization()
        history = _history(n)
        for k in range(n - 10, n + 1):  # a few asks as the history grows, as in a study
            strategy.suggest(_ctx(history[:k]))
        sizes[n] = len(pickle.dumps(strategy))
    D = SPACE.dims
    for n, size in sizes.items():
        # a few n x n matrices (Cholesky factor, caches) and n x D inputs, plus a fixed part
        assert size < 8 * (4 * n * n + 8 * n * D) + 128 * 1024, (n, size)
