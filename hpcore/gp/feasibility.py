"""Probability that an evaluation succeeds, learnt from which trials failed.

A failed trial says nothing about the objective's value, so it is kept out of the objective's
GP (imputing a value there — zero, or the worst seen — bends the model around a number nobody
measured). It does say something about *where* evaluations fail (too many layers for the
memory, a learning rate that diverges). This module models that with a second GP fitted to
success labels, a least-squares GP classifier, and the acquisition is weighted by its
probability of success:  a(u) + log P(success | u)  for log-EI / log-PI.

Notation
    N       trials with a configuration that finished (COMPLETE with a finite value, or FAILED
            by the objective; interrupted trials are no evidence either way)
    U       (N, D) their encodings in [0, 1]^D
    s       (N,) labels: 1 = succeeded, 0 = failed
    f(u)    GP posterior of the label function: mean μ(u), variance v(u)
    P(u)    Φ((μ(u) − ½) / √v(u)), the probability that the label function is above ½
"""

from __future__ import annotations

import numpy as np

from hpcore.gp import acquisition as acqf
from hpcore.gp.model import GaussianProcess

__all__ = ["FeasibilityModel"]

_THRESHOLD = 0.5


class FeasibilityModel:
    """P(success | u) from success labels; refits warm-started like the objective's GP.

    seed: seeds the hyperparameter restarts. `fit` returns False (and the model is unused)
    while every labelled trial succeeded or every one failed: then there is no boundary to learn.
    """

    def __init__(self, seed: int | None = None) -> None:
        self._gp = GaussianProcess(kernel="matern52", deterministic=False, seed=seed)
        self._threshold = 0.0
        self.active = False

    def fit(self, U: np.ndarray, succeeded: np.ndarray) -> bool:
        """U: (N, D) in [0, 1]; succeeded: (N,) bool. True if the model is now in use. (A space
        that grew is handled by the GP: a different D makes it fit θ afresh.)"""
        s = np.asarray(succeeded, dtype=bool)
        self.active = bool(s.any() and not s.all())
        if self.active:
            self._gp.fit(U, s.astype(float))
            self._threshold = float(self._gp.standardize(_THRESHOLD))
        return self.active

    def log_probability(self, Uq: np.ndarray, return_grad: bool = False):
        """log P(success) at Uq: (m, D) -> (m,) [and its gradient (m, D) w.r.t. Uq]."""
        if not self.active:
            raise RuntimeError("FeasibilityModel.log_probability before a fit with both outcomes")
        out = self._gp.predict_standardized(Uq, return_grad=return_grad)
        std = np.sqrt(out[1])
        if not return_grad:
            return acqf.log_probability_of_improvement(out[0], std, self._threshold, minimize=False)
        v, dm, ds = acqf.log_probability_of_improvement(out[0], std, self._threshold, minimize=False,
                                                        return_grad=True)
        return v, acqf.chain_to_inputs(dm, ds, out[2], out[3], std)
