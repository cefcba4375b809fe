"""The latency benchmark's measurements run (no timing is asserted: speed is measured in the
benchmark itself, never in tests)."""

import math

import numpy as np
from hpcore.benchmarks import bo_latency
from hpcore.benchmarks.functions import get_function


def test_latency_helpers_run_and_return_positive_times():
    fn = get_function("hartmann6")
    X, y = bo_latency._observations(fn, 30, seed=0)
    times = bo_latency.time_hpcore(fn, X, y, asks=2)
    assert len(times) == 2 and all(t > 0 for t in times)
    assert bo_latency.hpcore_refit_ms(fn, X, y, repeats=1) > 0
    resume = bo_latency.hpcore_resume_ms(fn, X, y)
    assert math.isfinite(resume) and resume > 0


def test_observations_are_seeded():
    fn = get_function("hartmann6")
    a, b = bo_latency._observations(fn, 5, seed=1), bo_latency._observations(fn, 5, seed=1)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
