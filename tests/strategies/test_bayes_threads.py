"""The whole suggestion runs on one BLAS thread (USER-ASKS 8).

The acquisition search (scipy's L-BFGS-B, small triangular solves) makes thousands of tiny BLAS
calls; with a second BLAS thread each one waits for it, which made n = 50 suggestions slower than
n = 100 ones on a loaded machine (60-180 ms instead of 11-32 ms of local search).
"""

import pytest
from threadpoolctl import ThreadpoolController, threadpool_limits

import hpcore
from hpcore.strategies import bayes


def test_acquisition_search_runs_with_one_blas_thread(monkeypatch):
    blas = ThreadpoolController().select(user_api="blas")
    if not blas.lib_controllers:
        pytest.skip("no BLAS library that threadpoolctl can control")
    seen = []
    real = bayes.maximize_acquisition

    def spy(*args, **kwargs):
        seen.append(max(lib.get_num_threads() for lib in blas.lib_controllers))
        return real(*args, **kwargs)

    monkeypatch.setattr(bayes, "maximize_acquisition", spy)
    space = hpcore.Space({"x": hpcore.Float(0, 1), "y": hpcore.Float(0, 1)})
    with threadpool_limits(2, user_api="blas"):  # as on a 2-core machine, whatever this one has
        before = max(lib.get_num_threads() for lib in blas.lib_controllers)
        hpcore.minimize(lambda p: (p["x"] - 0.3) ** 2 + p["y"], space, strategy="bayes", n_trials=8, seed=0,
                        verbose=False)
        after = max(lib.get_num_threads() for lib in blas.lib_controllers)
    assert seen and set(seen) == {1}
    assert before == after == 2  # restored afterwards
