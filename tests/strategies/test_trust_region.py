"""The trust region's length is a pure function of the history, following TuRBO's rules."""

import numpy as np
import pytest

from hpcore.strategies.trust_region import (
    LENGTH_INIT,
    LENGTH_MAX,
    LENGTH_MIN,
    SUCCESS_TOLERANCE,
    failure_tolerance,
    trust_region_box,
    trust_region_length,
)


def test_design_points_only_set_the_best():
    # five design points, however good, never move the length
    assert trust_region_length([5.0, 4.0, 3.0, 2.0, 1.0], [False] * 5, 6) == LENGTH_INIT


def test_three_successes_double_the_length():
    losses = [10.0] + [9.0, 8.0, 7.0]  # three model-led improvements in a row
    assert trust_region_length(losses, [False, True, True, True], 6) == 2 * LENGTH_INIT


def test_length_is_capped():
    losses = [100.0 - k for k in range(1 + 3 * SUCCESS_TOLERANCE)]
    assert trust_region_length(losses, [False] + [True] * 3 * SUCCESS_TOLERANCE, 4) == LENGTH_MAX


def test_failures_halve_after_max_4_d():
    d = 6
    n = failure_tolerance(d)
    assert n == 6 and failure_tolerance(2) == 4
    losses = [1.0] + [2.0] * n
    assert trust_region_length(losses, [False] + [True] * n, d) == LENGTH_INIT / 2
    assert trust_region_length(losses[:-1], [False] + [True] * (n - 1), d) == LENGTH_INIT


def test_a_tiny_improvement_is_a_failure():
    # relative improvement below 1e-3 of |best| does not count
    losses = [1.0, 0.9999, 0.9998, 0.9997, 0.9996]
    assert trust_region_length(losses, [False] + [True] * 4, 2) == LENGTH_INIT / 2


def test_collapse_restarts_at_the_initial_length():
    d = 2
    n = failure_tolerance(d)
    halvings = int(np.ceil(np.log2(LENGTH_INIT / LENGTH_MIN)))
    k = n * halvings  # enough failures to fall below the minimum once
    length = trust_region_length([1.0] * (k + 1), [False] + [True] * k, d)
    assert length == LENGTH_INIT
    assert trust_region_length([1.0] * k, [False] + [True] * (k - 1), d) < LENGTH_INIT


def test_box_follows_lengthscale_shape_and_stays_in_cube():
    lo, hi = trust_region_box(np.array([0.5, 0.5]), np.array([0.1, 0.4]), 0.2)
    width = hi - lo
    assert width[1] == pytest.approx(4 * width[0])  # proportional to the lengthscales
    assert np.sqrt(np.prod(width)) == pytest.approx(0.2)  # geometric mean of the sides = L
    lo, hi = trust_region_box(np.array([0.05, 0.95]), np.array([1.0, 1.0]), 0.8)
    np.testing.assert_allclose(lo, [0.0, 0.55])
    np.testing.assert_allclose(hi, [0.45, 1.0])
