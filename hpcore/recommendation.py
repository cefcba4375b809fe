"""Noise-aware recommendation: the evaluated configuration with the best GP posterior mean.

Under observation noise the trial with the best *observed* value is, more often than not,
the luckiest draw rather than the best configuration (the winner's curse). A Gaussian
process fitted to every result, with its noise variance fitted too, shrinks each
observation towards what its neighbours say; the configuration whose posterior mean is best
is a better estimate of the true optimum among those evaluated. Only evaluated
configurations are candidates: recommending an untried point would promise a value nobody
has measured.

Notation
    n   results used (COMPLETE trials with a finite value, at the largest budget that has one)
    U   (n, D) their configurations in the space's unit-cube encoding
    y   (n,) their values on a minimisation scale (maximised values are negated)
    μ   (n,) the GP posterior mean at U (latent function, noise excluded)
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from hpcore.space import Space
from hpcore.trial import Trial, best_trial, comparable_results

__all__ = ["posterior_best_of", "posterior_best_trial"]

log = logging.getLogger("hpcore")

#: Fewer distinct results than this and the model has nothing to say: fall back to the best.
_MIN_RESULTS = 4


def posterior_best_trial(trials: Sequence[Trial], space: Space, direction: str, *,
                         max_points: int = 1000, seed: int = 0) -> Trial | None:
    """The trial whose configuration has the best GP posterior mean.

    trials: any trials; only `comparable_results(trials)` are candidates (finite values, at
        the largest budget that has one), as for `best_trial`.
    space: the study's space (configurations are encoded with `Space.encode_many`).
    direction: "minimize" or "maximize".
    max_points: an O(n³) fit is bounded by keeping the `max_points` best observed results
        (the posterior-best is among the observed-best unless the noise is enormous).
    seed: seeds the GP's hyperparameter restarts, so the answer is reproducible.

    Falls back to the observed best (`best_trial`) when there are fewer than 4 results, the
    results are all equal, or the model cannot be fitted (logged).
    """
    if direction not in ("minimize", "maximize"):
        raise ValueError(f"direction must be 'minimize' or 'maximize', got {direction!r}")
    if max_points < _MIN_RESULTS:
        raise ValueError(f"max_points must be at least {_MIN_RESULTS}, got {max_points!r}")
    candidates = comparable_results(trials)
    observed_best = best_trial(candidates, direction)
    if observed_best is None:
        return None
    ok = [t for t in candidates if space.covers(t.params)]
    sign = 1.0 if direction == "minimize" else -1.0
    y = np.array([sign * t.value for t in ok], dtype=float)
    if len(ok) < _MIN_RESULTS or np.ptp(y) == 0.0 or space.dims == 0:
        return observed_best
    if len(ok) > max_points:
        keep = np.argsort(y, kind="stable")[:max_points]
        ok, y = [ok[i] for i in keep], y[keep]
    from hpcore.gp.model import GaussianProcess  # numba kernels: imported only when needed

    try:
        U = space.encode_many([t.params for t in ok])
        gp = GaussianProcess(deterministic=False, seed=seed).fit(U, y)
        mean, _ = gp.predict_standardized(U)
    except (np.linalg.LinAlgError, ValueError, FloatingPointError, ArithmeticError) as e:
        log.warning("recommendation: the GP could not be fitted (%s: %s); using the observed best",
                    type(e).__name__, e)
        return observed_best
    return posterior_best_of(ok, y, mean)


def posterior_best_of(candidates: Sequence[Trial], losses: np.ndarray, mean: np.ndarray) -> Trial:
    """The candidate with the lowest posterior mean: `losses` (n,) are the candidates' observed
    values on a minimisation scale, `mean` (n,) the posterior means there on the same scale (any
    positive affine map of it, e.g. standardised units). Ties (equal means to 12 decimals) go to
    the better observation, then the earlier candidate. Shared with the report, which takes the
    means from the GP it fits for the importance (`hpcore.report.payload.model_section`)."""
    if not len(candidates) or len(candidates) != len(losses) or len(losses) != len(mean):
        raise ValueError(f"posterior_best_of needs as many losses and means as candidates (at least one), got "
                         f"{len(candidates)} candidates, {len(losses)} losses, {len(mean)} means")
    order = np.lexsort((np.arange(len(candidates)), np.asarray(losses), np.round(np.asarray(mean), 12)))
    return candidates[int(order[0])]
