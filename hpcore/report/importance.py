"""Which parameters matter: a functional-ANOVA decomposition of hpcore's own GP posterior mean,
and the 2-D slice of that mean through the best configuration (the report's contour).

Method. A Gaussian process (`hpcore.gp.model.GaussianProcess`, noise fitted) is fitted to the
study's results in the space's unit-cube encoding; its posterior mean μ stands in for the
objective. The first-order (Sobol) index of parameter p is the share of Var μ that p explains
alone,

    S_p = Var_k( m_k ) · P(p active) / Var μ,    m_k = mean over b of μ(x_b with x_p := v_k),

where x_b are B random base points of the unit cube made valid by `Space.snap` (so a value
follows the space's scale: uniform, or log-uniform on a log scale; conditions respected) and
v_k the values at which p's main effect is read (every category of a choice or boolean, every
value of a small discrete parameter, else 16 equally spaced coordinates). Setting x_p on the
same base points for every k cancels the other parameters' variation out of the differences
between the m_k (an additive function is decomposed exactly). A conditional parameter is read
on the base points where it is active; setting a parent activates or deactivates its children,
whose share of the effect goes to the parent. 1 − Σ_p S_p is left to interactions. This is the
decomposition fANOVA (Hutter, Hoos & Leyton-Brown, ICML 2014) computes on a random forest, here
on hpcore's own model, so it needs no extra dependency.

The same fit gives the report's contour and its recommendation (the fitted result with the best
posterior mean, `hpcore.recommendation.posterior_best_of`), so a report fits one GP. Beyond
`MODEL_POINTS` results it is fitted to the best half of them and a seeded uniform sample of the
rest: the best region, where the recommendation is read, is modelled densely, and the whole
space still constrains the mean. The main effects are averaged over base points drawn from the
space, not from the fitted results, so the denser best region sharpens the model without
weighting the decomposition towards it.

Notation
    n       results the GP is fitted to (finite values at one budget; at most `max_points`)
    D       encoded dimensions of the space;  U (n, D) their encodings, y (n,) their losses
    B       base points of the main effects;  K_p values of parameter p read (at most 16)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from hpcore.space import Bool, Choice, Fixed, Float, Int, Space
from hpcore.trial import Budget, Trial

__all__ = ["Contour", "Importance", "Surrogate", "contour_slice", "fit_surrogate", "first_order_importance"]

#: Fewest results at one budget the model is fitted to; below it there is nothing to decompose.
MIN_RESULTS = 8
#: Most results the GP is fitted to: beyond, the best half and a uniform sample of the rest. The
#: fit is O(n³): 400 points cost half of what 500 did.
MODEL_POINTS = 400
#: Values at which the main effect of a continuous (or large discrete) parameter is read.
N_BINS = 16
#: Model evaluations spent on the main effects, all parameters together (bounds the time).
_EVALUATIONS = 32_768
#: Losses beyond median ± this many interquartile ranges are clipped before the fit, so that a
#: few diverged trials do not make up all of the variance.
CLIP_IQR = 10.0

METHOD = ("first-order functional ANOVA (Sobol indices) of hpcore's Gaussian-process posterior mean, "
          "each main effect averaged over {samples:,} random configurations; GP fitted to {used:,} results{at}")
SUBSET = " (the best {best:,} and a random {sample:,} of the other {rest:,})"


@dataclass(frozen=True)
class Surrogate:
    """hpcore's GP fitted to one budget's results of a study.

    names: the tunable parameters (not `Fixed`), in space order. budget: the budget of the
    results used (None without budgets). n_results: results at that budget; n_used: those
    fitted (the best half and a seeded uniform sample of the rest when there are more than
    `max_points`); n_best: how many of them were taken as the best; n_clipped: losses clipped
    (see `CLIP_IQR`). sign: +1 to minimise, -1 to maximise (losses are sign * value). fitted:
    the fitted trials, in the order given; U: (n_used, D) their encodings, the GP's inputs.
    """

    gp: Any
    space: Space
    names: tuple[str, ...]
    budget: Budget | None
    n_results: int
    n_used: int
    n_clipped: int
    sign: float
    fitted: tuple[Trial, ...] = ()
    U: np.ndarray | None = None
    n_best: int = 0

    def value(self, U: np.ndarray) -> np.ndarray:
        """Posterior mean at U: (m, D), in the objective's own units and sign: (m,)."""
        mean, _ = self.gp.predict(np.atleast_2d(U))
        return self.sign * np.asarray(mean, dtype=float)


@dataclass(frozen=True)
class Importance:
    """First-order importance of each tunable parameter (shares of Var μ, each in [0, 1]),
    the share left to interactions, and the method in words (shown on the page)."""

    shares: Mapping[str, float]
    interactions: float
    method: str


@dataclass(frozen=True)
class Contour:
    """Posterior mean on a grid of two numeric parameters, the others held at `at`.

    x, y: the parameters; xs (nx,), ys (ny,): their grid values; z: (ny, nx) posterior means in
    the objective's units; log_x, log_y: whether the parameter is on a log scale."""

    x: str
    y: str
    xs: list[float]
    ys: list[float]
    z: list[list[float]]
    log_x: bool
    log_y: bool
    at: Mapping[str, Any]


def _training_budget(ok: Sequence[Trial]) -> Budget | None:
    """The largest budget with at least `MIN_RESULTS` results, else the one with the most (None
    when no result has a budget): importance at the budget that matters, when it has data."""
    counts: dict[Budget, int] = {}
    for t in ok:
        if t.budget is not None:
            counts[t.budget] = counts.get(t.budget, 0) + 1
    if not counts:
        return None
    enough = [b for b, n in counts.items() if n >= MIN_RESULTS]
    return max(enough) if enough else max(counts, key=lambda b: (counts[b], b))


def _clipped(y: np.ndarray) -> tuple[np.ndarray, int]:
    med = float(np.median(y))
    q25, q75 = np.percentile(y, [25, 75])
    iqr = float(q75 - q25)
    if not iqr > 0:
        return y, 0
    lo, hi = med - CLIP_IQR * iqr, med + CLIP_IQR * iqr
    return np.clip(y, lo, hi), int(np.sum((y < lo) | (y > hi)))


def _subset(losses: np.ndarray, max_points: int, seed: int) -> tuple[np.ndarray, int]:
    """Indices (sorted) of the results to fit among `losses` (n,), and how many of them are the
    best: all when n <= `max_points`, else the best `max_points // 2` and a seeded uniform
    sample of the others."""
    n = len(losses)
    if n <= max_points:
        return np.arange(n), 0
    n_best = max_points // 2
    order = np.argsort(losses, kind="stable")
    sample = np.random.default_rng(seed).choice(order[n_best:], size=max_points - n_best, replace=False)
    return np.sort(np.concatenate([order[:n_best], sample])), n_best


def fit_surrogate(trials: Sequence[Trial], space: Space, direction: str, *, max_points: int = MODEL_POINTS,
                  seed: int = 0) -> Surrogate | str:
    """Fit the GP to the finite results of `trials` at one budget (see `_training_budget`).

    Returns the `Surrogate`, or a sentence saying why there is none (too few results, no
    tunable parameter, a model that cannot be fitted). `max_points` bounds the O(n³) fit (see
    `_subset`).
    """
    if max_points < 2 * MIN_RESULTS:
        raise ValueError(f"max_points must be at least {2 * MIN_RESULTS}, got {max_points!r}")
    if direction not in ("minimize", "maximize"):
        raise ValueError(f"direction must be 'minimize' or 'maximize', got {direction!r}")
    names = tuple(n for n in space if not isinstance(space[n], Fixed))
    if not names or space.dims == 0:
        return "the space has no tunable parameters"
    ok = [t for t in trials if t.ok and space.covers(t.params)]
    budget = _training_budget(ok)
    if budget is not None:
        ok = [t for t in ok if t.budget == budget]
    at = f" at budget {budget:g}" if budget is not None else ""
    if len(ok) < MIN_RESULTS:
        return f"too few results to model ({len(ok)}{at}; at least {MIN_RESULTS})"
    sign = 1.0 if direction == "minimize" else -1.0
    n_results = len(ok)
    losses = np.array([sign * float(t.value) for t in ok])  # type: ignore[arg-type]
    keep, n_best = _subset(losses, max_points, seed)
    ok = [ok[i] for i in keep]
    y, n_clipped = _clipped(losses[keep])
    if np.ptp(y) == 0.0:
        return f"every result{at} has the same value"
    from hpcore.gp.model import GaussianProcess  # numba kernels: imported only when a report needs them

    try:
        U = space.encode_many([t.params for t in ok])
        gp = GaussianProcess(deterministic=False, seed=seed).fit(U, y)
    except (np.linalg.LinAlgError, ValueError, FloatingPointError, ArithmeticError) as e:
        return f"the Gaussian process could not be fitted ({type(e).__name__}: {e})"
    return Surrogate(gp, space, names, budget, n_results, len(ok), n_clipped, sign, tuple(ok), U, n_best)


def _codes(space: Space, name: str) -> np.ndarray:
    """Encodings (K, width) of the K values at which the main effect of `name` is read: every
    category of a choice or boolean, every value of a discrete parameter with at most `N_BINS`
    of them, else `N_BINS` equally spaced unit-cube coordinates (equal steps on a log scale)."""
    p = space[name]
    if isinstance(p, Choice):
        return np.eye(len(p.values))
    if isinstance(p, Bool):
        return p.encode_values([False, True])
    if math.isfinite(p.size) and p.size <= N_BINS:
        return p.encode_values(np.array(p.grid_values(None), dtype=float))
    return ((np.arange(N_BINS) + 0.5) / N_BINS).reshape(-1, 1)


def _main_effect_share(surrogate: Surrogate, name: str, raw: np.ndarray, total: float) -> float:
    """P(active) · Var_k(m_k) / Var μ, where m_k is the mean of μ over the base points (where
    `name` is active) with `name` set to its k-th value (see the module docstring)."""
    space = surrogate.space
    cols = space.slice(name)
    stacks = []
    for code in _codes(space, name):
        X = raw.copy()
        X[:, cols] = code
        stacks.append(space.snap(X))
    # Where `name` is inactive, snap puts the same constant whatever value was set.
    active = np.any(stacks[0][:, cols] != stacks[-1][:, cols], axis=1)
    if len(stacks) < 2 or not active.any():
        return 0.0
    f = surrogate.value(np.vstack([S[active] for S in stacks])).reshape(len(stacks), int(active.sum()))
    return float(np.clip(active.mean() * f.mean(axis=1).var() / total, 0.0, 1.0))


def first_order_importance(surrogate: Surrogate, *, n_base: int | None = None, n_total: int = 4096,
                           seed: int = 0) -> Importance:
    """First-order importance of every tunable parameter of the surrogate's space (see the
    module docstring). `n_base`: base points per parameter (default: about 32,000 model
    evaluations in all, 64 to 512 points); `n_total`: points for Var μ. Seeded by `seed`."""
    names = surrogate.names
    if n_base is None:
        n_base = int(np.clip(_EVALUATIONS // (N_BINS * len(names)), 64, 512))
    if n_base < 16 or n_total < 64:
        raise ValueError(f"n_base must be at least 16 and n_total at least 64, got {n_base!r} and {n_total!r}")
    space = surrogate.space
    rng = np.random.default_rng(seed)
    total = float(surrogate.value(space.snap(rng.random((n_total, space.dims)))).var())
    at = f" at budget {surrogate.budget:g}" if surrogate.budget is not None else ""
    subset = SUBSET.format(best=surrogate.n_best, sample=surrogate.n_used - surrogate.n_best,
                           rest=surrogate.n_results - surrogate.n_best) if surrogate.n_used < surrogate.n_results else ""
    clipped = f"; {surrogate.n_clipped:,} extreme values clipped" if surrogate.n_clipped else ""
    method = METHOD.format(samples=n_base, used=surrogate.n_used, at=at + subset) + clipped
    if not total > 0:
        return Importance({n: 0.0 for n in names}, 0.0, method + " (the model is flat)")
    raw = rng.random((n_base, space.dims))
    shares = {n: _main_effect_share(surrogate, n, raw, total) for n in names}
    return Importance(shares, float(max(0.0, 1.0 - sum(shares.values()))), method)


def _axis(space: Space, name: str, n: int) -> tuple[np.ndarray, list[float]]:
    """Unit-cube coordinates and values of a grid axis: every value of a small discrete
    parameter, else `n` equally spaced coordinates (equal steps on a log scale)."""
    p = space[name]
    if math.isfinite(p.size) and p.size <= n:
        values = p.grid_values(None)
        return p.encode_values(np.array(values, dtype=float))[:, 0], [float(v) for v in values]
    u = np.linspace(0.0, 1.0, n)
    return u, [float(v) for v in p.decode_values(u)]


def contour_slice(surrogate: Surrogate, at: Mapping[str, Any], x: str, y: str, n: int = 40) -> Contour:
    """The posterior mean over a grid of the numeric parameters `x` and `y` (n × n at most),
    every other parameter held at its value in the configuration `at` (e.g. the best trial's)."""
    space = surrogate.space
    for name in (x, y):
        if name not in space or not isinstance(space[name], (Float, Int)):
            raise ValueError(f"contour parameter {name!r} must be a numeric (Float or Int) parameter of the space")
    ux, xs = _axis(space, x, n)
    uy, ys = _axis(space, y, n)
    base = space.encode(at)
    U = np.tile(base, (len(uy) * len(ux), 1))
    gx, gy = np.meshgrid(ux, uy)
    U[:, space.slice(x)] = gx.reshape(-1, 1)
    U[:, space.slice(y)] = gy.reshape(-1, 1)
    z = surrogate.value(U).reshape(len(uy), len(ux))
    return Contour(x, y, xs, ys, z.tolist(), bool(space[x].log), bool(space[y].log), dict(at))
