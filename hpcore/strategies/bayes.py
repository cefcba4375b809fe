"""Gaussian-process Bayesian optimisation on the space's unit-cube encoding.

Notation
    D       encoded dimensions (`Space.dims`); U: (n, D) observed points in [0, 1]^D
    y       (n,) losses (values on a minimisation scale) of the COMPLETE trials
    P       (p, D) pending points (RUNNING or WAITING trials)
    a(u)    acquisition, larger is better: log-EI (default), log-PI, or −LCB

Each suggestion: encode the finished trials (failed ones are left out of the model but
never proposed again), compress extreme losses (`_tame`) and power-transform them towards
symmetry (`_warp`, Yeo-Johnson), fit the GP (warm-started from the previous fit), condition it on the
pending points with their posterior mean (kriging believer) so parallel workers spread out,
then maximise the acquisition over snapped candidates (integers rounded, one-hot exact,
inactive dimensions constant) and propose the best point not already tried or pending, nor
so close to such a point that the model would learn nothing there (`_duplicate_radius`).
With `thompson_every` > 0 (off by default), while fewer than `thompson_until` results exist,
every `thompson_every`-th trial instead takes the minimiser of a joint posterior draw
(Thompson sampling). Model-led suggestions store the GP's θ in their meta (and the local
model's, when it made them), from which a study resumed in a new process warm-starts its first
fits (`_stored_theta`).
Before `n_initial` results exist the suggestions come from a scrambled Sobol design.
"""

from __future__ import annotations

import inspect
import logging
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.optimize import fminbound
from scipy.stats import qmc, yeojohnson

from hpcore.boolean_option import boolean_option
from hpcore.gp import acquisition as acqf
from hpcore.gp.acquisition_kernels import log_expected_improvement_and_grad
from hpcore.gp.acquisition_optimizer import discrete_local_search, local_perturbations, maximize_acquisition
from hpcore.gp.feasibility import FeasibilityModel
from hpcore.gp.model import GaussianProcess, blas_threads_for
from hpcore.space import Float, Space
from hpcore.strategies.base import Strategy, SuggestContext, TakenConfigurations
from hpcore.strategies.trust_region import trust_region_box, trust_region_length
from hpcore.trial import Suggestion, TrialState

__all__ = ["BayesianOptimization"]

log = logging.getLogger("hpcore")

_ACQUISITIONS = ("ei", "pi", "ucb")
_OUTPUT_TRANSFORMS = ("yeo-johnson", "tame", "none")


class BayesianOptimization(Strategy):
    """GP-based Bayesian optimisation.

    n_initial: space-filling points before the model takes over (default max(5, P + 1) for P
        parameters, far fewer than KerasTuner's 3·P, so a 20-trial budget is mostly model-led).
    acquisition: "ei" (log expected improvement), "pi" (log probability of improvement) or
        "ucb" (lower confidence bound with `beta`).
    kernel: "matern52" or "rbf"; deterministic: pin the noise near zero for exact objectives.
    initial_design: "sobol" or "lhs" (Latin hypercube), scrambled and seeded by the study seed.
    n_candidates: size of the Sobol candidate sweep, rounded to the nearest power of two (default
        128·D within [512, 4096]: 1024 points for D = 6 or 10); n_local: local searches.
    local_optimizer: "lbfgsb" (scipy L-BFGS-B, default) or "adam" (batched projected gradient
        steps: about 3x less time per suggestion, see the README's measurements).
    thompson_every, thompson_until: while fewer than `thompson_until` trials have finished,
        every `thompson_every`-th trial (by number) is a Thompson sample instead of the
        acquisition's maximiser: the minimiser, over a candidate set, of one joint draw from the
        posterior, which explores in proportion to the model's uncertainty. 0 (the default)
        turns it off: with the trust region and the discrete moves, draws every third trial
        made the tune half of the suite worse at 30 evaluations (78 of 135 problem-seed pairs
        better without them) and no better at 100 (62 against 64; `docs/bo_quality.md`); they
        still helped the two noisy problems there. Not used once trials have failed (the draws
        know nothing about where evaluations fail).
    trust_region: search the acquisition's maximum inside a box around the best observed point
        (TuRBO's rules, `hpcore.strategies.trust_region`): its side doubles after 3 model-led
        improvements in a row and halves after max(4, D) trials without one, and starts again
        once it is tiny; when the box holds nothing new, the whole space is searched. On the
        suite's tune half (`docs/bo_quality.md`) it took the mean rank from 3.72 to 3.13 at 30
        evaluations and from 3.54 to 2.95 at 100.
    discrete_search: after the gradient-based search, hill-climb the best candidates over
        discrete moves (`Space.discrete_moves`: the next integer or step, another category, the
        other boolean), which gradient steps cannot make; on the tune half's mixed problems it
        took the mean rank from 3.3 to 2.27 at 100 evaluations.
    local_model: in an all-continuous space, once the trust region has shrunk, fit a second GP
        to the observations in its neighbourhood (the region scaled `LOCAL_REGION` = 8 times
        about its centre, when that holds at least max(8, 2·D) of them but not all) and search
        the region with that model. The global GP fits one lengthscale per dimension, set by
        the largest structure (a bowl); it smooths away ripples and narrow basins near the
        incumbent, and the search then stalls there (Bohachevsky: no gain from 30 to 100
        evaluations). On the suite's tune half it took the mean log10 regret at 100
        evaluations over its 19 continuous problems from −1.74 to −2.06 (103 of 156 decided
        problem-seed pairs better); on spaces with integer, stepped or categorical parameters it
        made 22 of 32 pairs worse, so it is not used there (`docs/bo_quality.md`).
    output_transform: what the GP models. "yeo-johnson" (default): the losses with extreme values
        compressed (`_tame`) and then power-transformed towards symmetry (`_warp`); "tame": only
        compressed; "none": the losses as they are (a single huge loss then flattens the model).
        On the suite's tune half (10 seeds, 100 evaluations) the default won 157 and 161
        problem-seed pairs against 95 and 92 for "tame" and "none" (mean log10 regret −1.52
        against −1.39 and −1.24); at 30 evaluations they are even (`docs/bo_quality.md`).
    learn_from_pruned: pruned trials join failed ones in the feasibility model, so the search
        avoids regions where trials get pruned (their last reports are values at a smaller step,
        not comparable with final values, and never enter the objective's model).
    """

    name = "bayes"
    reserves_trial_id = True  # a suggestion costs a GP fit (see Strategy.reserves_trial_id)

    def __init__(self, n_initial: int | None = None, acquisition: str = "ei", kernel: str = "matern52",
                 deterministic: bool = False, beta: float = 4.0, initial_design: str = "sobol",
                 n_candidates: int | None = None, n_local: int = 5, local_optimizer: str = "lbfgsb",
                 thompson_every: int = 0, thompson_until: int = 50,
                 trust_region: bool = True, discrete_search: bool = True,
                 learn_from_pruned: bool = True, local_model: bool = True,
                 output_transform: str = "yeo-johnson") -> None:
        if acquisition not in _ACQUISITIONS:
            raise ValueError(f"acquisition must be one of {_ACQUISITIONS}, got {acquisition!r}")
        if kernel not in ("matern52", "rbf"):
            raise ValueError(f"kernel must be 'matern52' or 'rbf', got {kernel!r}")
        if initial_design not in ("sobol", "lhs"):
            raise ValueError(f"initial_design must be 'sobol' or 'lhs', got {initial_design!r}")
        if n_initial is not None and (not isinstance(n_initial, int) or n_initial < 1):
            raise ValueError(f"n_initial must be a positive integer, got {n_initial!r}")
        if local_optimizer not in ("lbfgsb", "adam"):
            raise ValueError(f"local_optimizer must be 'lbfgsb' or 'adam', got {local_optimizer!r}")
        if output_transform not in _OUTPUT_TRANSFORMS:
            raise ValueError(f"output_transform must be one of {_OUTPUT_TRANSFORMS}, got {output_transform!r}")
        if not beta >= 0:
            raise ValueError(f"beta must be >= 0, got {beta!r}")
        for name, value in (("thompson_every", thompson_every), ("thompson_until", thompson_until)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
        self.n_initial = n_initial
        self.acquisition = acquisition
        self.kernel = kernel
        self.deterministic = boolean_option("deterministic", deterministic)
        self.beta = float(beta)
        self.initial_design = initial_design
        self.n_candidates = n_candidates
        self.n_local = int(n_local)
        self.local_optimizer = local_optimizer
        self.thompson_every = thompson_every
        self.thompson_until = thompson_until
        self.trust_region = boolean_option("trust_region", trust_region)
        self.discrete_search = boolean_option("discrete_search", discrete_search)
        self.learn_from_pruned = boolean_option("learn_from_pruned", learn_from_pruned)
        self.local_model = boolean_option("local_model", local_model)
        self.output_transform = output_transform
        self._gp: GaussianProcess | None = None
        self._local_gp: GaussianProcess | None = None
        self._gp_dims = -1
        self._design: dict[tuple[int, int], np.ndarray] = {}
        self._taken = TakenConfigurations()
        self._feasibility: FeasibilityModel | None = None

    def settings(self) -> dict[str, Any]:
        # The options that differ from the constructor's defaults (read from its signature, so a
        # changed default needs no second edit here).
        defaults = {name: p.default for name, p in inspect.signature(BayesianOptimization.__init__).parameters.items()
                    if name != "self"}
        return {k: getattr(self, k) for k, v in defaults.items() if getattr(self, k) != v}

    def describe(self, space: Space) -> str:
        return (f"Bayesian optimisation ({self.acquisition}, {self.kernel}) over {space.dims} encoded dimensions, "
                f"{self._n_initial(space)} initial points")

    def _n_initial(self, space: Space) -> int:
        return self.n_initial if self.n_initial is not None else max(5, len(space) + 1)

    # -- the initial design ------------------------------------------------------------------------
    def _design_point(self, space: Space, seed: int, index: int) -> np.ndarray:
        D = space.dims
        size = 1 << max(5, int(index).bit_length())
        key = (seed, D)
        table = self._design.get(key)
        if table is None or len(table) < size:
            if self.initial_design == "sobol":
                table = qmc.Sobol(D, scramble=True, seed=np.random.default_rng([seed, 0x50B])).random(size)
            else:
                table = qmc.LatinHypercube(D, seed=np.random.default_rng([seed, 0x1A5])).random(size)
            self._design = {key: table}
        return table[index]

    # -- suggest -----------------------------------------------------------------------------------
    def suggest(self, ctx: SuggestContext) -> Suggestion | None:
        space = ctx.space
        if space.dims == 0:
            params = space.decode(np.empty(0))
            return None if any(space.key(t.params) == space.key(params) for t in ctx.trials) else Suggestion(params)
        taken = self._taken.of(ctx)
        if len(taken) >= space.size:
            return None
        ok = [t for t in ctx.trials if t.ok and space.covers(t.params)]
        if len(ok) < self._n_initial(space):
            return self._space_filling(ctx, taken, reason=None)
        try:
            # One BLAS thread for the whole suggestion (model fit *and* acquisition search): its
            # many tiny BLAS calls otherwise wait milliseconds each for a second thread.
            with blas_threads_for(len(ok)):
                return self._model_based(ctx, ok, taken)
        except (np.linalg.LinAlgError, ValueError, FloatingPointError, ArithmeticError) as e:
            return self._space_filling(ctx, taken, reason=f"the GP could not be fitted ({type(e).__name__}: {e})")

    def _space_filling(self, ctx: SuggestContext, taken: set, reason: str | None) -> Suggestion | None:
        if reason:
            log.warning("bayes: %s; using a space-filling point for trial %d", reason, ctx.number)
        space = ctx.space
        rng = ctx.rng(0xB0)
        for attempt in range(200):
            u = self._design_point(space, ctx.seed, ctx.number + attempt * 7919) if attempt < 50 \
                else rng.random(space.dims)
            params = space.decode(space.snap(u[None, :])[0])
            if space.key(params) not in taken:
                return Suggestion(params, meta={"design": True})
        return None

    def _model_based(self, ctx: SuggestContext, ok: list, taken: set) -> Suggestion | None:
        space = ctx.space
        D = space.dims
        U = space.encode_many([t.params for t in ok])
        losses = np.array([ctx.loss(t) for t in ok], dtype=float)
        y = self._transform(losses)
        if self._gp is None or self._gp_dims != D:
            # Noise is fitted above a floor low enough (sd 1e-5 of the standardised losses) that
            # an exact objective is resolved close to its optimum; a noisy objective lifts the
            # fitted noise well above it. A floor of 1e-6 held converged Hartmann-6 runs at
            # log10 regret -4.3 and Branin at -5.3 (docs/bo_precision.md).
            self._gp, self._local_gp = self._new_gp(ctx.seed), None
            self._gp_dims = D
            stored = _stored_theta(ctx.trials, D)
            if stored is not None:  # a resumed study: start where the last process's model was
                self._gp.warm_start_from(stored)
        gp = self._gp.fit(U, y)
        theta_meta = {_THETA_KEY: [float(v) for v in gp.theta]}
        pending = [t for t in ctx.trials if t.state in (TrialState.RUNNING, TrialState.WAITING) and t.params
                   and t.id != ctx.number]
        visited = U
        if pending:
            P = space.encode_many([t.params for t in pending])
            gp = gp.condition_on(P)
            visited = np.vstack([U, P])
        box = None
        best = float(gp.standardize(np.min(y)))
        meta = dict(theta_meta)
        thompson = self._thompson_due(ctx, len(ok))  # the draws come from the global model
        if self.trust_region:
            length = trust_region_length(list(losses), [not t.meta.get("design") for t in ok], D)
            centre = U[int(np.argmin(y))]
            box = trust_region_box(centre, gp.lengthscales, length)
            if self.local_model and not thompson and _continuous_mask(space).all():
                local = self._fit_local(ctx, U, losses, centre, gp.lengthscales, length)
                if local is not None:
                    gp, best, meta["local_points"] = local
                    meta[_LOCAL_THETA_KEY] = [float(v) for v in gp.theta]
                    if pending:
                        gp = gp.condition_on(P)
        if thompson:
            params = self._thompson(ctx, gp, U, y, visited, taken)
            if params is not None:
                return Suggestion(params, meta={"thompson": True, **theta_meta})
        acq, acq_grad = self._acquisition(gp, best)
        acq, acq_grad = self._weigh_by_feasibility(ctx, U, acq, acq_grad)

        rng = ctx.rng(0xACF)
        cand_U = self._maximize(space, acq, acq_grad, U, y, rng, box)
        params, near = _first_new(space, cand_U[:256], taken, visited, gp)
        if params is None and box is not None:
            # Everything the region holds was tried (small discrete spaces): search everywhere.
            cand_U = self._maximize(space, acq, acq_grad, U, y, rng, None)
            params, near_global = _first_new(space, cand_U[:256], taken, visited, gp)
            near = near if near is not None else near_global
        if params is None:
            params = near  # every good candidate is next to a visited point: take the best
        if params is not None:
            return Suggestion(params, meta=meta)
        return self._space_filling(ctx, taken, reason="every good candidate was already tried")

    def _transform(self, losses: np.ndarray) -> np.ndarray:
        """The values the GP models for losses: (n,): see `output_transform`."""
        if self.output_transform == "none":
            return losses
        tamed = _tame(losses)
        return tamed if self.output_transform == "tame" else _warp(tamed)

    def _new_gp(self, seed: int) -> GaussianProcess:
        """An unfitted GP with this strategy's kernel and noise settings (the global and the local model)."""
        return GaussianProcess(kernel=self.kernel, deterministic=self.deterministic, seed=seed, noise_floor=_NOISE_FLOOR)

    def _fit_local(self, ctx: SuggestContext, U: np.ndarray, losses: np.ndarray, centre: np.ndarray,
                   lengthscales: np.ndarray, length: float) -> tuple[GaussianProcess, float, int] | None:
        """The local model (see `local_model`): a GP fitted to the observations of U: (n, D) in
        the trust region of side `length` scaled `LOCAL_REGION` times about centre: (D,), with
        their losses: (n,) transformed afresh (their range is not the whole run's). Returns
        (gp, its standardised best loss, the number of points) or None when the neighbourhood
        holds fewer than max(8, 2·D) points or all of them (then it is the global model)."""
        lower, upper = trust_region_box(centre, lengthscales, LOCAL_REGION * length)
        inside = np.all((U >= lower) & (U <= upper), axis=1)
        k = int(inside.sum())
        if k < max(8, 2 * U.shape[1]) or k == len(U):
            return None
        if self._local_gp is None:
            self._local_gp = self._new_gp(ctx.seed)
            stored = _stored_theta(ctx.trials, U.shape[1], _LOCAL_THETA_KEY)
            if stored is not None:  # a resumed study: as the global model (`_stored_theta`)
                self._local_gp.warm_start_from(stored)
        y_local = self._transform(losses[inside])
        gp = self._local_gp.fit(U[inside], y_local)
        return gp, float(gp.standardize(np.min(y_local))), k

    def _maximize(self, space: Space, acq, acq_grad, U: np.ndarray, y: np.ndarray, rng: np.random.Generator,
                  box: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray:
        """Candidates ranked by acquisition value, best first: (r, D) snapped. A Sobol sweep,
        perturbations of the best observed points, then local searches (`maximize_acquisition`)
        and, with `discrete_search`, hill climbing over discrete moves. box: (lower, upper) (D,)
        each, a trust region that holds the sweep, the perturbations and the local searches
        (the best point only among the observed ones); None for the whole cube.
        U: (n, D) observed points, y: (n,) their (transformed) losses."""
        D = space.dims
        continuous = _continuous_mask(space)
        m = self.n_candidates or int(min(4096, max(512, 128 * D)))
        # A power of two keeps the Sobol points balanced; rounding to the nearest one (not up)
        # halves the sweep for D = 5 and 9-11, with no change in regret (README: "Time per suggestion").
        sweep = qmc.Sobol(D, scramble=True, seed=rng).random(1 << max(0, round(math.log2(m))))
        order = np.argsort(y)
        centres = U[order[: min(5, len(order))]]
        local = local_perturbations(centres, max(32, m // 16), 0.05, continuous, rng)
        wide = local_perturbations(centres[:1], max(32, m // 16), 0.2, continuous, rng)
        lower = upper = None
        if box is not None:
            lower, upper = box
            sweep = lower + (upper - lower) * sweep
            local, wide = np.clip(local, lower, upper), np.clip(wide, lower, upper)
            centres = centres[:1]
        candidates = space.snap(np.vstack([sweep, local, wide, centres]))
        cand_U, _ = maximize_acquisition(acq, acq_grad, candidates, continuous, space.snap, n_local=self.n_local,
                                         seeds=centres[:1], rng=rng, method=self.local_optimizer,
                                         lower=lower, upper=upper)
        if self.discrete_search and not continuous.all():
            cand_U = self._refine_discrete(space, acq, cand_U)
        return cand_U

    @staticmethod
    def _refine_discrete(space: Space, acq, ranked: np.ndarray, k: int = 3) -> np.ndarray:
        """Hill-climb the k best distinct candidates of ranked: (r, D) over discrete moves
        (`discrete_local_search`), and return all candidates re-ranked by acquisition value."""
        starts = np.unique(ranked[: 4 * k], axis=0)
        if len(starts) > k:
            starts = starts[np.argsort(-np.where(np.isfinite(v := acq(starts)), v, -np.inf))[:k]]
        climbed, _ = discrete_local_search(acq, starts, space.discrete_moves)
        pool = np.vstack([climbed, ranked[:256]])
        values = acq(pool)
        return pool[np.argsort(-np.where(np.isfinite(values), values, -np.inf), kind="stable")]

    def _thompson_due(self, ctx: SuggestContext, n_ok: int) -> bool:
        if not self.thompson_every or n_ok >= self.thompson_until or ctx.number % self.thompson_every:
            return False
        return not any(t.state is TrialState.FAILED and not t.interrupted for t in ctx.trials)

    def _thompson(self, ctx: SuggestContext, gp: GaussianProcess, U: np.ndarray, y: np.ndarray,
                  visited: np.ndarray, taken: set) -> dict | None:
        """The parameters minimising one posterior draw over 512 Sobol points plus 50
        perturbations of each of the 5 best points (sd 0.05 in the unit cube), snapped; None if
        the draw fails or every candidate was tried. (Drawn over the whole space, not the trust
        region: inside the region the draws did worse at 30 evaluations in 8-20 dimensions.)"""
        space = ctx.space
        rng = ctx.rng(0x75)
        continuous = _continuous_mask(space)
        centres = U[np.argsort(y)[: min(5, len(y))]]
        candidates = space.snap(np.vstack([qmc.Sobol(space.dims, scramble=True, seed=rng).random(512),
                                           local_perturbations(centres, 50, 0.05, continuous, rng), centres]))
        try:
            draw = gp.sample_posterior(candidates, rng)[0]
        except (np.linalg.LinAlgError, ValueError, FloatingPointError):
            return None
        return _first_new(space, candidates[np.argsort(draw)[:256]], taken, visited, gp)[0]

    def _weigh_by_feasibility(self, ctx: SuggestContext, U_ok: np.ndarray, acq, acq_grad):
        """Add log P(success) to the acquisition once some trials failed or were pruned (see
        `gp.feasibility`): such trials stay out of the objective's model (a pruned trial's last
        report is a value at a smaller budget, not comparable with final values) but steer
        suggestions away from where evaluations fail or get pruned, so many pruned trials do not
        draw the model back to their neighbourhood. Interrupted trials are no evidence and do
        not count. With `learn_from_pruned=False` pruned trials are only never proposed again.
        U_ok: (n, D) the encoded successful trials the objective's GP was fitted to."""
        space = ctx.space
        failed = [t for t in ctx.trials if t.params and space.covers(t.params)
                  and ((t.state is TrialState.FAILED and not t.interrupted)
                       or (self.learn_from_pruned and t.state is TrialState.PRUNED))]
        if not failed:
            return acq, acq_grad
        if self._feasibility is None:
            self._feasibility = FeasibilityModel(seed=ctx.seed)
        model = self._feasibility
        U = np.vstack([U_ok, space.encode_many([t.params for t in failed])])
        if not model.fit(U, np.arange(len(U)) < len(U_ok)):
            return acq, acq_grad

        def value(Uq: np.ndarray):
            return acq(Uq) + model.log_probability(Uq)

        def value_and_grad(Uq: np.ndarray):
            v, g = acq_grad(Uq)
            pv, pg = model.log_probability(Uq, return_grad=True)
            return v + pv, g + pg

        return value, value_and_grad

    def _acquisition(self, gp: GaussianProcess, best: float):
        kind, beta = self.acquisition, self.beta
        if kind == "ei":
            # The compiled log-EI (same numbers as acqf.log_expected_improvement + chain_to_inputs).
            def log_ei(Uq: np.ndarray):
                mean, var = gp.predict_standardized(Uq)
                return log_expected_improvement_and_grad(mean, var, best)

            def log_ei_and_grad(Uq: np.ndarray):
                mean, var, dmean, dvar = gp.predict_standardized(Uq, return_grad=True)
                return log_expected_improvement_and_grad(mean, var, best, dmean, dvar)

            return log_ei, log_ei_and_grad

        def value(Uq: np.ndarray, grad: bool = False):
            out = gp.predict_standardized(Uq, return_grad=grad)
            mean, var = out[0], out[1]
            std = np.sqrt(var)
            if kind == "pi":
                res = acqf.log_probability_of_improvement(mean, std, best, minimize=True, return_grad=grad)
            else:
                res = acqf.lower_confidence_bound(mean, std, beta, return_grad=grad)
                res = (-res[0], -res[1], -res[2]) if grad else -res
            if not grad:
                return res
            v, dm, ds = res
            return v, acqf.chain_to_inputs(dm, ds, out[2], out[3], std)

        return (lambda Uq: value(Uq)), (lambda Uq: value(Uq, grad=True))


# The GP's noise floor σ²_n (standardised units): see `_model_based`.
_NOISE_FLOOR = 1e-10
#: The local model's neighbourhood: the trust region scaled this many times about its centre.
#: Chosen on the tune half between 2, 4 and 8 (`docs/bo_quality.md`): 8 lost least where the
#: local model hurt (Perm-4) and changed the fewest runs at 30 evaluations.
LOCAL_REGION = 8.0

# Model-led suggestions carry the GP's fitted θ in their meta under this key, so that a study
# resumed in a new process starts its first fit from it (`GaussianProcess.warm_start_from`)
# instead of a cold multi-start: 0.5-0.7 s at n = 1000 (README, "Time per suggestion").
_THETA_KEY = "gp_theta"
_LOCAL_THETA_KEY = "local_gp_theta"  # the local model's θ, in the trials it suggested


def _stored_theta(trials: Sequence[Any], dims: int, key: str = _THETA_KEY) -> np.ndarray | None:
    """θ: (dims + 2,) from the newest of `trials` (in id order, as `SuggestContext.trials`)
    whose meta holds a finite one of that length under `key`, or None."""
    for t in reversed(trials):
        theta = t.meta.get(key) if t.meta else None
        if isinstance(theta, list) and len(theta) == dims + 2:
            try:
                arr = np.array(theta, dtype=float)
            except (TypeError, ValueError):
                continue
            if np.all(np.isfinite(arr)):
                return arr
    return None


# Candidates closer than r lengthscales (scaled Euclidean distance) to an evaluated or pending
# point count as duplicates, because an evaluation there teaches the model nothing: with the
# Matérn-5/2 kernel the prior variance left at distance r from an observed point is about
# (5/3)·σ²_f·r², below the noise σ²_n once r < σ_n/σ_f (`_duplicate_radius`). Without the check
# an overconfident model can spend most of a budget next to one point (Branin, seed 1: 73 of
# 100 evaluations within 1e-5 of a boundary point at regret 1.5, see
# tests/strategies/test_bayes_near_duplicates.py). The radius is kept within [1e-6, 1e-3]: the
# upper bound is the fixed radius used before, so noisy objectives are treated as then; below
# it, converged runs on exact objectives can refine their last digits (a fixed 1e-3 held them
# at Branin regret ~1e-5: docs/bo_precision.md).
_DUPLICATE_RADIUS_MIN = 1e-6
_DUPLICATE_RADIUS_MAX = 1e-3


def _duplicate_radius(gp: GaussianProcess) -> float:
    """Near-duplicate radius in lengthscales: σ_n / σ_f of the fitted model (both bounded away
    from 0 by the fit's bounds), clipped to [_DUPLICATE_RADIUS_MIN, _DUPLICATE_RADIUS_MAX]."""
    ratio = math.sqrt(gp.noise_variance / gp.signal_variance)
    return min(_DUPLICATE_RADIUS_MAX, max(_DUPLICATE_RADIUS_MIN, ratio))


def _near_duplicate(u: np.ndarray, visited: np.ndarray, inv_ls: np.ndarray, radius: float) -> bool:
    """Whether u: (D,) lies within `radius` lengthscales (inv_ls: (D,) inverse lengthscales) of
    a row of visited: (n, D)."""
    if len(visited) == 0:
        return False
    d2 = np.sum(((visited - u) * inv_ls) ** 2, axis=1)
    return bool(np.min(d2) < radius**2)


def _first_new(space: Space, ranked: np.ndarray, taken: set, visited: np.ndarray,
               gp: GaussianProcess) -> tuple[dict | None, dict | None]:
    """Walk snapped candidates ranked: (r, D), best first. Returns the first configuration that
    is neither taken nor a near-duplicate of a visited (n, D) point (within `_duplicate_radius`
    of gp, in its lengthscales), and the first that is only a near-duplicate (the fallback),
    each None if there is none."""
    inv_ls, radius = 1.0 / gp.lengthscales, _duplicate_radius(gp)
    near = None
    for u in ranked:
        params = space.decode(u)
        if space.key(params) in taken:
            continue
        if not _near_duplicate(u, visited, inv_ls, radius):
            return params, near
        if near is None:
            near = params
    return None, near


def _continuous_mask(space: Space) -> np.ndarray:
    mask = np.zeros(space.dims, dtype=bool)
    for name in space.order:
        p = space[name]
        if isinstance(p, Float) and p.step is None:
            mask[space.slice(name)] = True
    return mask


def _tame(y: np.ndarray) -> np.ndarray:
    """Keep extreme losses from flattening the model: values beyond a robust range (median ±
    20 interquartile ranges) are compressed logarithmically, preserving their order."""
    med = np.median(y)
    q75, q25 = np.percentile(y, [75, 25])
    iqr = q75 - q25
    if not np.isfinite(iqr) or iqr <= 0:
        spread = np.max(np.abs(y - med))
        iqr = spread if np.isfinite(spread) and spread > 0 else 1.0
    hi, lo = med + 20 * iqr, med - 20 * iqr
    out = y.copy()
    over, under = y > hi, y < lo
    out[over] = hi + iqr * np.log1p((y[over] - hi) / iqr)
    out[under] = lo - iqr * np.log1p((lo - y[under]) / iqr)
    return out


def _warp(y: np.ndarray) -> np.ndarray:
    """Yeo-Johnson power transform of the (tamed) losses, λ fitted by maximum likelihood so that
    the transformed values look as Gaussian as a power transform can make them; order-preserving.

    A stationary GP with Gaussian noise assumes roughly symmetric values. Losses rarely are: a
    valley (Rosenbrock, Branin) is right-skewed, with every good point squeezed into a sliver
    near the bottom of the standardised range, below the noise the model can resolve; needle-like
    optima on a plateau (Hartmann, Ackley) are left-skewed, so the first well found dominates
    the variance. The transform (as in HEBO) spreads the good values out in the first case
    (λ < 1, log-like) and shrinks the first well relative to the plateau in the second (λ > 1).
    Returns y unchanged when it is constant or the fit fails.
    """
    with np.errstate(all="ignore"):
        s = float(np.std(y))
        if not (s > 0 and np.isfinite(s)) or len(y) < 3:
            return y
        z = (y - np.mean(y)) / s
        try:
            lam = _yeojohnson_lambda(z)
            out = yeojohnson(z, lam)
        except (ValueError, FloatingPointError, ArithmeticError, RuntimeError):
            return y
    if not (np.isfinite(lam) and np.all(np.isfinite(out))):
        return y
    return np.asarray(out, dtype=float)


def _yeojohnson_neg_llf(lam: float, z: np.ndarray, log1p_abs: np.ndarray, pos: np.ndarray,
                        jacobian: float) -> float:
    """−log-likelihood of the Yeo-Johnson transform with parameter λ of z: (n,), Gaussian
    model of the transformed values: n/2 · log var(ψ(z, λ)) − (λ − 1) Σ sign(z) log1p|z|."""
    psi = np.empty_like(z)
    a = lam * log1p_abs[pos]
    psi[pos] = np.expm1(a) / lam if lam != 0.0 else log1p_abs[pos]
    neg = ~pos
    b = (2.0 - lam) * log1p_abs[neg]
    psi[neg] = -np.expm1(b) / (2.0 - lam) if lam != 2.0 else -log1p_abs[neg]
    var = float(np.var(psi))
    if not (var > 0.0 and math.isfinite(var)):
        return math.inf
    return 0.5 * len(z) * math.log(var) - (lam - 1.0) * jacobian


def _yeojohnson_lambda(z: np.ndarray) -> float:
    """Maximum-likelihood Yeo-Johnson λ for z: (n,) finite, on the overflow-safe interval that
    `scipy.stats.yeojohnson_normmax` uses (same bounded search, same tolerance). scipy's own
    function costs ~2 ms per likelihood evaluation in argument checking, 30 % of a suggestion
    at n = 200; this evaluates the same likelihood in a few microseconds."""
    z = np.asarray(z, dtype=float)
    if np.all(z == 0):
        return 1.0
    eps = np.finfo(float)
    log1p_max = math.log1p(20.0 * float(np.max(np.abs(z))))
    log_eps = math.log(eps.eps)
    lb = ((math.log(eps.tiny) - log_eps) / 2) / log1p_max
    ub = ((math.log(eps.max) + log_eps) / 2) / log1p_max
    if np.all(z < 0):
        lb, ub = 2 - ub, 2 - lb
    elif np.any(z < 0):
        lb, ub = max(2 - ub, lb), min(2 - lb, ub)
    pos = z >= 0
    log1p_abs = np.log1p(np.abs(z))
    jacobian = float(np.sum(np.where(pos, log1p_abs, -log1p_abs)))
    return float(fminbound(_yeojohnson_neg_llf, lb, ub, args=(z, log1p_abs, pos, jacobian), xtol=1.48e-08))
