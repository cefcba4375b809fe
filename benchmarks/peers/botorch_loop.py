"""BoTorch's standard Bayesian-optimisation loop as a peer.

The loop of BoTorch's closed-loop tutorials, one point at a time:

    initial design   2·D + 2 scrambled Sobol points of the unit cube (D = encoded columns,
                     `UnitCube`), as 2·(d + 1) in those tutorials; at most the budget
    model            SingleTaskGP(X, Y) with the installed version's defaults (its priors and
                     its Standardize outcome transform; X is already in the unit cube, so no
                     input transform), fitted by fit_gpytorch_mll on the exact marginal likelihood
    acquisition      qLogNoisyExpectedImprovement(model, X_baseline=X), default sampler
    optimiser        optimize_acqf(q=1, num_restarts=10, raw_samples=512) over [0, 1]^D

Mixed spaces: the acquisition is optimised over the relaxed cube, then integers, steps and Bools
are rounded and each Choice's one-hot block is decoded by its argmax (not BoTorch's mixed
optimiser); the model is told the rounded point, which is what was evaluated. Conditional
parameters are flattened: every column is always there and inactive ones are not passed on.

BoTorch maximises, so Y = -value. Each suggestion seeds torch from (seed, number of points so far)
inside `torch.random.fork_rng`, so a run is reproducible and leaves the global generator as it was.

Notation: n points told so far; X: (n, D) rounded points in [0, 1]^D; Y: (n, 1).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hpcore.benchmarks.peers import WorstSoFar
from hpcore.benchmarks.peers.spaces import UnitCube

__all__ = ["NUM_RESTARTS", "RAW_SAMPLES", "BoTorchLoop"]

NUM_RESTARTS = 10
RAW_SAMPLES = 512


class BoTorchLoop:
    """Ask/tell over BoTorch's standard loop (module docstring)."""

    def __init__(self, space: Any, seed: int, trials: int, deadline: float) -> None:
        import torch

        self.cube = UnitCube(space)
        self.seed = seed
        self.n_initial = min(trials, 2 * self.cube.dims + 2)
        self._sobol = torch.quasirandom.SobolEngine(self.cube.dims, scramble=True, seed=seed)
        self._asked = 0
        self._X: list[np.ndarray] = []
        self._Y: list[float] = []
        self._pending: np.ndarray | None = None
        self._worst = WorstSoFar()

    def ask(self) -> dict[str, Any]:
        if self._asked < self.n_initial or not self._X:  # also while no finite value has come back
            import torch

            u = self._sobol.draw(1, dtype=torch.double).numpy().reshape(-1)
        else:
            u = self._next()
        self._asked += 1
        config, self._pending = self.cube.decode(u)
        return config

    def tell(self, value: float) -> None:
        told = self._worst.told(value)
        if told is not None and self._pending is not None:
            self._X.append(self._pending)
            self._Y.append(-told)
        self._pending = None

    def close(self) -> None:
        pass

    def _next(self) -> np.ndarray:
        import torch
        from botorch.acquisition.logei import qLogNoisyExpectedImprovement
        from botorch.fit import fit_gpytorch_mll
        from botorch.models import SingleTaskGP
        from botorch.optim import optimize_acqf
        from gpytorch.mlls import ExactMarginalLogLikelihood

        X = torch.tensor(np.array(self._X), dtype=torch.double)
        Y = torch.tensor(self._Y, dtype=torch.double).unsqueeze(-1)
        bounds = torch.stack([torch.zeros(self.cube.dims, dtype=torch.double),
                              torch.ones(self.cube.dims, dtype=torch.double)])
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(np.random.SeedSequence([self.seed, len(self._X)]).generate_state(1)[0]))
            model = SingleTaskGP(X, Y)
            fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
            acquisition = qLogNoisyExpectedImprovement(model, X_baseline=X)
            candidate, _ = optimize_acqf(acquisition, bounds=bounds, q=1, num_restarts=NUM_RESTARTS,
                                         raw_samples=RAW_SAMPLES)
        return candidate.detach().numpy().reshape(-1)
