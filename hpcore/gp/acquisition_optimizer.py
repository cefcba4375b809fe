"""Maximising an acquisition function over the unit cube with discrete dimensions.

Notation
    D        encoded dimensions; u: (D,) in [0, 1]^D
    m        candidates;  U: (m, D)
    C        boolean mask (D,) of continuous dimensions (free for gradient steps);
             the others (integers, steps, one-hot choices, booleans) only move by `snap`
    a(U)     acquisition values (m,), larger is better; ∇a: (m, D)
    k        number of local searches

Strategy: evaluate a batch of candidates (a scrambled Sobol sweep plus perturbations of
the best observed points), then refine k of them with L-BFGS-B over their continuous
dimensions: the best candidate, the given seeds (e.g. the best observed points), and the rest
drawn at random with probability proportional to exp(a) (for a = log-EI, proportional to EI),
so the local searches do not all start in the incumbent's basin. All k run at once: the k problems are independent, so minimising the sum of their
objectives over the concatenated (k·|C|) vector has a block-diagonal Hessian and L-BFGS-B
solves all of them in one run with batched model evaluations.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.optimize import minimize

__all__ = ["discrete_local_search", "local_perturbations", "maximize_acquisition"]

AcqFn = Callable[[np.ndarray], np.ndarray]
AcqGradFn = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]


def local_perturbations(centres: np.ndarray, n: int, scale: float, continuous: np.ndarray,
                        rng: np.random.Generator, flip: float = 0.15) -> np.ndarray:
    """n points around each centre: Gaussian steps (sd `scale`) in continuous dimensions and,
    with probability `flip` per dimension, a fresh uniform value in discrete ones (which
    `snap` then turns into a valid value). Returns (len(centres)·n, D) clipped to [0, 1]."""
    if len(centres) == 0 or n == 0:
        return np.empty((0, centres.shape[1] if centres.ndim == 2 else 0))
    P = np.repeat(centres, n, axis=0)
    step = rng.normal(0.0, scale, P.shape)
    P[:, continuous] += step[:, continuous]
    disc = ~continuous
    if disc.any():
        mask = (rng.random(P.shape) < flip) & disc
        P[mask] = rng.random(int(mask.sum()))
    return np.clip(P, 0.0, 1.0)


def maximize_acquisition(
    acq: AcqFn,
    acq_grad: AcqGradFn,
    candidates: np.ndarray,
    continuous: np.ndarray,
    snap: Callable[[np.ndarray], np.ndarray],
    n_local: int = 5,
    maxiter: int = 60,
    seeds: np.ndarray | None = None,
    rng: np.random.Generator | None = None,
    method: str = "adam",
    lower: np.ndarray | None = None,
    upper: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Best points found, sorted by acquisition value (descending), with their values.

    candidates: (m, D) points already snapped; continuous: (D,) bool mask; seeds: (s, D) points
    that always start a local search; rng: draws the other starts (top-k when None).
    method: "adam" (batched projected gradient ascent: one batched model call per step, no
    per-iteration solver overhead) or "lbfgsb" (scipy's L-BFGS-B on the concatenated problem,
    whose fixed cost per iteration dominates for problems this small).
    lower, upper: (D,) bounds of the local searches (default the unit cube), e.g. a trust region.
    Returns (U_best: (r, D), values: (r,)) with the refined local optima first merged with
    the candidate sweep, so a caller can walk down the list to skip duplicates.
    """
    vals = acq(candidates)
    vals = np.where(np.isfinite(vals), vals, -np.inf)
    order = np.argsort(-vals)
    pool_U, pool_v = [candidates], [vals]
    n_cont = int(continuous.sum())
    if n_cont and n_local > 0:
        picks = [int(order[0])]
        rest = n_local - 1 - (0 if seeds is None else len(seeds))
        if rest > 0:
            finite = np.isfinite(vals)
            if rng is not None and finite.sum() > rest:
                w = np.where(finite, np.exp(vals - vals[order[0]]), 0.0)
                w[order[0]] = 0.0
                picks += list(rng.choice(len(vals), size=rest, replace=False, p=w / w.sum())) \
                    if np.count_nonzero(w) >= rest else list(order[1:rest + 1])
            else:
                picks += list(order[1:rest + 1])
        starts = candidates[picks]
        if seeds is not None and len(seeds):
            starts = np.vstack([starts, seeds])
        k = len(starts)
        fixed = starts.copy()

        def unpack(z: np.ndarray) -> np.ndarray:
            U = fixed.copy()
            U[:, continuous] = z.reshape(k, n_cont)
            return U

        def objective(z: np.ndarray) -> tuple[float, np.ndarray]:
            v, g = acq_grad(unpack(z))
            bad = ~np.isfinite(v)
            v = np.where(bad, -1e10, v)
            g = np.where(bad[:, None], 0.0, g)
            return -float(v.sum()), -g[:, continuous].ravel()

        lo = np.tile(np.zeros(n_cont) if lower is None else np.asarray(lower, dtype=float)[continuous], k)
        hi = np.tile(np.ones(n_cont) if upper is None else np.asarray(upper, dtype=float)[continuous], k)
        z0 = np.clip(starts[:, continuous].ravel(), lo, hi)
        if method == "lbfgsb":
            res = minimize(objective, z0, jac=True, method="L-BFGS-B", bounds=list(zip(lo, hi)),
                           options={"maxiter": maxiter, "ftol": 1e-9 * k})
            z = res.x
        else:
            z = _projected_adam(acq_grad, unpack, z0.reshape(k, n_cont), continuous, maxiter,
                                lo.reshape(k, n_cont), hi.reshape(k, n_cont))
        refined = snap(unpack(np.clip(z, lo, hi)))
        pool_U.append(refined)
        pool_v.append(np.where(np.isfinite(v := acq(refined)), v, -np.inf))
    U = np.vstack(pool_U)
    v = np.concatenate(pool_v)
    best = np.argsort(-v, kind="stable")
    return U[best], v[best]


def _projected_adam(acq_grad: AcqGradFn, unpack: Callable[[np.ndarray], np.ndarray], Z: np.ndarray,
                    continuous: np.ndarray, steps: int, lo: np.ndarray | float = 0.0, hi: np.ndarray | float = 1.0,
                    lr: float = 0.02) -> np.ndarray:
    """Batched gradient ascent with Adam steps projected onto [lo, hi] (default [0, 1]), the step size decaying
    tenfold over the run; returns the best point seen by each start (k, |C|)."""
    m = np.zeros_like(Z)
    v = np.zeros_like(Z)
    best_z = Z.copy()
    best_v = np.full(len(Z), -np.inf)
    b1, b2 = 0.9, 0.999
    for t in range(1, steps + 1):
        val, grad = acq_grad(unpack(Z.ravel()))
        val = np.where(np.isfinite(val), val, -np.inf)
        better = val > best_v
        best_v[better], best_z[better] = val[better], Z[better]
        g = np.where(np.isfinite(grad[:, continuous]), grad[:, continuous], 0.0)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        step = lr * 0.1 ** (t / steps)
        Z = np.clip(Z + step * (m / (1 - b1**t)) / (np.sqrt(v / (1 - b2**t)) + 1e-12), lo, hi)
    val = acq_grad(unpack(Z.ravel()))[0]
    better = np.where(np.isfinite(val), val, -np.inf) > best_v
    best_z[better] = Z[better]
    return best_z.ravel()


def discrete_local_search(acq: AcqFn, starts: np.ndarray, moves: Callable[[np.ndarray], np.ndarray],
                          max_rounds: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Greedy hill climbing over discrete moves, which gradient steps cannot make.

    starts: (k, D) snapped points; moves(u: (D,)) -> (r, D) the snapped points one move away
    (`Space.discrete_moves`). Each round evaluates every start's moves in one batched call and
    takes each start's best move if it raises the acquisition; stops after `max_rounds` or when
    no start improves. Returns (points (k, D), their acquisition values (k,)).
    """
    U = np.array(starts, dtype=float)
    vals = acq(U)
    vals = np.where(np.isfinite(vals), vals, -np.inf)
    live = np.ones(len(U), dtype=bool)
    for _ in range(max_rounds):
        idx = np.flatnonzero(live)
        if not len(idx):
            break
        batches = [moves(U[i]) for i in idx]
        sizes = [len(b) for b in batches]
        if not sum(sizes):
            break
        V = acq(np.vstack([b for b in batches if len(b)]))
        V = np.where(np.isfinite(V), V, -np.inf)
        at = 0
        for i, b, r in zip(idx, batches, sizes):
            if r == 0:
                live[i] = False
                continue
            j = int(np.argmax(V[at:at + r]))
            if V[at + j] > vals[i]:
                U[i], vals[i] = b[j], V[at + j]
            else:
                live[i] = False
            at += r
    return U, vals
