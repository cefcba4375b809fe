"""A trust region for the acquisition search, in the manner of TuRBO (Eriksson et al. 2019).

Notation
    D       encoded dimensions; c: (D,) centre (the best observed point) in [0, 1]^D
    ℓ       (D,) the GP's lengthscales;  w = ℓ / (Π ℓ)^(1/D) their shape, geometric mean 1
    L       side length of the region: the box c ± L·w/2, clipped to the cube

L starts at `LENGTH_INIT`, doubles (up to `LENGTH_MAX`) after `SUCCESS_TOLERANCE` consecutive
model-led trials that improved the best value, halves after `failure_tolerance(D)` consecutive
ones that did not, and starts again at `LENGTH_INIT` once it falls below `LENGTH_MIN`. It is a
pure function of the history (`trust_region_length`), so a resumed study replays it exactly.

Why: with a few dozen evaluations in 8 or more dimensions, expected improvement maximised over
the whole cube keeps choosing far corners where the posterior variance is largest, which is
close to random search; a box around the incumbent that grows on success and shrinks on failure
spends the early budget where the data say the good region is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

__all__ = ["LENGTH_INIT", "LENGTH_MAX", "LENGTH_MIN", "SUCCESS_TOLERANCE", "failure_tolerance",
           "trust_region_box", "trust_region_length"]

LENGTH_INIT = 0.8
LENGTH_MIN = 0.5**7
LENGTH_MAX = 1.6
SUCCESS_TOLERANCE = 3
#: A trial "improves" when its loss is below best − IMPROVEMENT·|best| (relative, as in TuRBO).
IMPROVEMENT = 1e-3


def failure_tolerance(dims: int) -> int:
    """Consecutive failures before the region halves: max(4, D) (TuRBO with batch size 1)."""
    return max(4, int(dims))


def trust_region_length(losses: Sequence[float], model_led: Sequence[bool], dims: int) -> float:
    """L after the history: losses (n,) of the finished trials in trial order, model_led (n,)
    whether each came from the model (design points only set the best value).
    Returns L in (LENGTH_MIN, LENGTH_MAX]."""
    length, successes, failures = LENGTH_INIT, 0, 0
    best = math.inf
    tolerance = failure_tolerance(dims)
    for loss, led in zip(losses, model_led):
        improved = loss < best - IMPROVEMENT * abs(best) if math.isfinite(best) else True
        if led:
            if improved:
                successes, failures = successes + 1, 0
            else:
                successes, failures = 0, failures + 1
            if successes >= SUCCESS_TOLERANCE:
                length, successes = min(LENGTH_MAX, 2.0 * length), 0
            elif failures >= tolerance:
                length, failures = length / 2.0, 0
            if length < LENGTH_MIN:
                length, successes, failures = LENGTH_INIT, 0, 0
        best = min(best, loss)
    return length


def trust_region_box(centre: np.ndarray, lengthscales: np.ndarray, length: float) -> tuple[np.ndarray, np.ndarray]:
    """The region c ± L·w/2 clipped to [0, 1]: (lower, upper), each (D,).
    centre: (D,) in [0, 1]; lengthscales: (D,) > 0."""
    log_ls = np.log(np.asarray(lengthscales, dtype=float))
    shape = np.exp(log_ls - np.mean(log_ls))
    half = 0.5 * length * shape
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)
