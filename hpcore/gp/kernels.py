"""Stationary ARD covariance kernels and their derivatives, compiled with numba.

Notation
--------
n, m   number of training points / query points
d      input dimension
X      (n, d) training inputs, nominally in [0, 1]^d
Xq     (m, d) query inputs
ℓ      (d,) ARD lengthscales, all > 0
σ²_f   signal variance (scalar > 0)
σ²_n   noise variance (scalar > 0)
Z      X / ℓ, (n, d) inputs rescaled by the lengthscales
r²     r²_ij = Σ_k (Z_ik − Z_jk)², the scaled squared distance
s      s_ijk = (Z_ik − Z_jk)², the per-dimension terms of r²
K      (n, n) kernel matrix K_ij = k(x_i, x_j); K_y = K + σ²_n I
α      (n,) K_y⁻¹ y
W      (n, n) α αᵀ − K_y⁻¹

Kernels (``kernel`` argument)
    "matern52":  k(r) = σ²_f (1 + √5 r + 5r²/3) exp(−√5 r)
    "rbf":       k(r) = σ²_f exp(−r²/2)

Both kernels share the identities
    ∂k/∂log ℓ_k      =  f(r) s_k
    ∂k(x, x')/∂x_k   = −f(r) (x_k − x'_k) / ℓ_k²
with f(r) = σ²_f (5/3)(1 + √5 r) exp(−√5 r) for Matérn-5/2 and f(r) = k(r) for
RBF, so one radial factor f serves both the hyperparameter gradient and the
input gradient, and neither needs a division by r (smooth at r = 0).

Log-marginal-likelihood gradient:  ∂L/∂θ_j = ½ tr(W ∂K_y/∂θ_j).

Public wrappers convert inputs to C-contiguous float64, check shapes, and call
the serial compiled loops, or their ``prange`` twins for large work when
parallel mode is enabled (see PARALLEL_MIN_WORK); ``kernels_ref`` holds NumPy
versions of every routine.
"""

from __future__ import annotations

import math
import os
import threading

import numba
import numpy as np
from numba import njit, prange

__all__ = [
    "KERNELS",
    "cross_covariance",
    "cross_covariance_grad",
    "cross_covariance_grad_contract",
    "kernel_code",
    "kernel_matrix",
    "lml_kernel_grad",
    "posterior",
]

MATERN52 = 0
RBF = 1
KERNELS = {"matern52": MATERN52, "rbf": RBF}

# nnan/ninf are left out on purpose: NaNs must propagate so callers can detect
# bad inputs, and exp(-large) must underflow to exactly 0 rather than garbage.
# reassoc is left out so that every sum is taken in the order written, and results are
# bit-identical from run to run: with it LLVM vectorised the reductions behind a run-time
# check that the arrays involved do not overlap, falling back to the scalar loop (another
# summation order) when two scratch arrays lay within a vector's reach of each other, so
# the result depended on where the allocator had put them and seeded studies differed in
# the last bits (tests/gp/test_kernels_placement.py). The hot reductions are instead written
# as element-wise updates, which vectorise without reordering anything: per-point partial
# sums in the likelihood gradient, a column sweep in the posterior's forward substitution.
_FASTMATH = {"nsz", "arcp", "contract", "afn"}
_SQRT5 = math.sqrt(5.0)
_FIVE_THIRDS = 5.0 / 3.0

# Threading policy. The prange loops are off by default: on the 2-core target,
# whose cores are usually busy running trials, a second numba thread that gets
# descheduled stalls the whole region, and numba's OpenMP threads spinning
# next to OpenBLAS's made fits up to ~20x slower in measurements. Opt in with
# hpcore.gp.configure_threads(parallel=True) or HPCORE_GP_PARALLEL=1 on a
# dedicated machine; then work of at least PARALLEL_WORK_THRESHOLD
# pair-dimension operations (rows·cols·d) is split across threads.
PARALLEL_WORK_THRESHOLD = 200_000
PARALLEL_MIN_WORK = PARALLEL_WORK_THRESHOLD if os.environ.get("HPCORE_GP_PARALLEL") == "1" else math.inf


def kernel_code(kernel: str) -> int:
    """Map a kernel name to the integer code the compiled loops branch on."""
    try:
        return KERNELS[kernel]
    except KeyError:
        raise ValueError(f"unknown kernel {kernel!r}; expected one of {sorted(KERNELS)}") from None


# --------------------------------------------------------------------------- #
# Scalar building blocks (inlined by LLVM into the loops below)
# --------------------------------------------------------------------------- #
@njit(cache=True, fastmath=_FASTMATH)
def _k_of_r2(r2: float, sf2: float, kind: int) -> float:
    if kind == MATERN52:
        sr = _SQRT5 * math.sqrt(r2)
        return sf2 * (1.0 + sr + _FIVE_THIRDS * r2) * math.exp(-sr)
    return sf2 * math.exp(-0.5 * r2)


@njit(cache=True, fastmath=_FASTMATH)
def _f_of_r2(r2: float, sf2: float, kind: int) -> float:
    if kind == MATERN52:
        sr = _SQRT5 * math.sqrt(r2)
        return sf2 * _FIVE_THIRDS * (1.0 + sr) * math.exp(-sr)
    return sf2 * math.exp(-0.5 * r2)


@njit(cache=True, fastmath=_FASTMATH)
def _k_and_f_of_r2(r2: float, sf2: float, kind: int):
    if kind == MATERN52:
        sr = _SQRT5 * math.sqrt(r2)
        e = math.exp(-sr)
        return sf2 * (1.0 + sr + _FIVE_THIRDS * r2) * e, sf2 * _FIVE_THIRDS * (1.0 + sr) * e
    k = sf2 * math.exp(-0.5 * r2)
    return k, k


@njit(cache=True, fastmath=_FASTMATH)
def _sqdist(A, i, B, j):
    acc = 0.0
    for k in range(A.shape[1]):
        t = A[i, k] - B[j, k]
        acc += t * t
    return acc


@njit(cache=True)
def _chunk_bounds(c: int, nchunks: int, total: int):
    return c * total // nchunks, (c + 1) * total // nchunks


# Symmetric loops visit "row pairs" (p, n-1-p): row i has i strictly-lower
# entries, so each pair costs n-1 and equal slices of pairs balance the threads.
@njit(cache=True)
def _n_pairs(n: int) -> int:
    return (n + 1) // 2


# --------------------------------------------------------------------------- #
# K(X, X): lower triangle (optionally mirrored)
# --------------------------------------------------------------------------- #
@njit(cache=True, fastmath=_FASTMATH)
def _sym_row(Z, ZT, sf2, kind, out, i, full, r2):
    # r² of row i against the earlier rows, accumulated over contiguous points of
    # ZT (d, n) so the loop vectorises (see _cross_rows).
    for j in range(i):
        r2[j] = 0.0
    for kk in range(Z.shape[1]):
        z = Z[i, kk]
        for j in range(i):
            t = z - ZT[kk, j]
            r2[j] += t * t
    for j in range(i):
        v = _k_of_r2(r2[j], sf2, kind)
        out[i, j] = v
        if full:
            out[j, i] = v
    out[i, i] = sf2


@njit(cache=True, fastmath=_FASTMATH)
def _sym_pairs(Z, ZT, sf2, kind, out, full, p0, p1):
    n = Z.shape[0]
    r2 = np.empty(n)
    for p in range(p0, p1):
        _sym_row(Z, ZT, sf2, kind, out, p, full, r2)
        q = n - 1 - p
        if q != p:
            _sym_row(Z, ZT, sf2, kind, out, q, full, r2)


@njit(cache=True, fastmath=_FASTMATH)
def _sym_jit(Z, ZT, sf2, kind, out, full):
    _sym_pairs(Z, ZT, sf2, kind, out, full, 0, _n_pairs(Z.shape[0]))


@njit(cache=True, fastmath=_FASTMATH, parallel=True)
def _sym_jit_par(Z, ZT, sf2, kind, out, full, nchunks):
    npairs = _n_pairs(Z.shape[0])
    for c in prange(nchunks):
        p0, p1 = _chunk_bounds(c, nchunks, npairs)
        _sym_pairs(Z, ZT, sf2, kind, out, full, p0, p1)


# --------------------------------------------------------------------------- #
# K(X1, X2)
# --------------------------------------------------------------------------- #
@njit(cache=True, fastmath=_FASTMATH)
def _cross_rows(Z1, Z2T, sf2, kind, out, i0, i1):
    # Z2T is (d, n2): the inner loops run over contiguous training points, so
    # r² of a whole row is accumulated with SIMD instructions (about twice as
    # fast as one short d-loop per pair, which matters for the acquisition's
    # candidate sweep: m ≈ 2500 queries × n = 1000 points).
    d, n2 = Z2T.shape
    r2 = np.empty(n2)
    for i in range(i0, i1):
        r2[:] = 0.0
        for kk in range(d):
            z = Z1[i, kk]
            for j in range(n2):
                t = z - Z2T[kk, j]
                r2[j] += t * t
        for j in range(n2):
            out[i, j] = _k_of_r2(r2[j], sf2, kind)


@njit(cache=True, fastmath=_FASTMATH)
def _cross_jit(Z1, Z2T, sf2, kind, out):
    _cross_rows(Z1, Z2T, sf2, kind, out, 0, Z1.shape[0])


@njit(cache=True, fastmath=_FASTMATH, parallel=True)
def _cross_jit_par(Z1, Z2T, sf2, kind, out, nchunks):
    for c in prange(nchunks):
        i0, i1 = _chunk_bounds(c, nchunks, Z1.shape[0])
        _cross_rows(Z1, Z2T, sf2, kind, out, i0, i1)


# --------------------------------------------------------------------------- #
# ½ tr(W ∂K/∂log ℓ_k) for all k and Σ_{i>j} W_ij K_ij in one O(n² d) pass
# --------------------------------------------------------------------------- #
@njit(cache=True, fastmath=_FASTMATH)
def _lsgrad_row(Z, ZT, alpha, Kinv, sf2, kind, i, G, r2, wf):
    # G[k, j] += W_ij f_ij s_ijk (k < d) and G[d, j] += W_ij K_ij for the points j < i:
    # element-wise over contiguous points j (ZT is (d, n)), so the loops vectorise without
    # reordering any sum; each G[k, j] sums over rows i in the fixed order of the pairs.
    d = Z.shape[1]
    ai = alpha[i]
    for j in range(i):
        r2[j] = 0.0
    for kk in range(d):
        z = Z[i, kk]
        for j in range(i):
            t = z - ZT[kk, j]
            r2[j] += t * t
    for j in range(i):
        k, f = _k_and_f_of_r2(r2[j], sf2, kind)
        # W is formed on the fly so no n×n temporary is needed; only the lower
        # triangle of Kinv is read (LAPACK potri fills just one triangle).
        w = ai * alpha[j] - Kinv[i, j]
        G[d, j] += w * k
        wf[j] = w * f
    for kk in range(d):
        z = Z[i, kk]
        for j in range(i):
            t = z - ZT[kk, j]
            G[kk, j] += wf[j] * t * t


@njit(cache=True, fastmath=_FASTMATH)
def _lsgrad_pairs(Z, ZT, alpha, Kinv, sf2, kind, p0, p1, acc):
    # Adds to acc[:d] Σ W_ij f_ij s_ijk and to acc[d] Σ W_ij K_ij over the rows of pairs
    # p0..p1 (j < i): per-point partial sums G, then each row of G summed in point order.
    n, d = Z.shape
    r2 = np.empty(n)
    wf = np.empty(n)
    G = np.zeros((d + 1, n))
    for p in range(p0, p1):
        _lsgrad_row(Z, ZT, alpha, Kinv, sf2, kind, p, G, r2, wf)
        q = n - 1 - p
        if q != p:
            _lsgrad_row(Z, ZT, alpha, Kinv, sf2, kind, q, G, r2, wf)
    for kk in range(d + 1):
        s = 0.0
        for j in range(n):
            s += G[kk, j]
        acc[kk] += s


@njit(cache=True, fastmath=_FASTMATH)
def _lsgrad_jit(Z, ZT, alpha, Kinv, sf2, kind):
    acc = np.zeros(Z.shape[1] + 1)
    _lsgrad_pairs(Z, ZT, alpha, Kinv, sf2, kind, 0, _n_pairs(Z.shape[0]), acc)
    return acc


@njit(cache=True, fastmath=_FASTMATH, parallel=True)
def _lsgrad_jit_par(Z, ZT, alpha, Kinv, sf2, kind, nchunks):
    # One private accumulator row per chunk avoids races; rows are padded to
    # whole 64-byte cache lines (plus one) so threads never share a line.
    width = Z.shape[1] + 1
    stride = (width + 7) // 8 * 8 + 8
    acc = np.zeros((nchunks, stride))
    npairs = _n_pairs(Z.shape[0])
    for c in prange(nchunks):
        p0, p1 = _chunk_bounds(c, nchunks, npairs)
        _lsgrad_pairs(Z, ZT, alpha, Kinv, sf2, kind, p0, p1, acc[c, :width])
    return acc[:, :width].sum(axis=0)


# --------------------------------------------------------------------------- #
# ∂k(xq, x_j)/∂xq: full tensor and weighted contractions over j
# --------------------------------------------------------------------------- #
@njit(cache=True, fastmath=_FASTMATH)
def _xgrad_full_rows(Zq, Z, inv_ls, sf2, kind, out, i0, i1):
    d = Z.shape[1]
    for q in range(i0, i1):
        for j in range(Z.shape[0]):
            f = _f_of_r2(_sqdist(Zq, q, Z, j), sf2, kind)
            for kk in range(d):
                out[q, j, kk] = -f * (Zq[q, kk] - Z[j, kk]) * inv_ls[kk]


@njit(cache=True, fastmath=_FASTMATH)
def _xgrad_full_jit(Zq, Z, inv_ls, sf2, kind, out):
    _xgrad_full_rows(Zq, Z, inv_ls, sf2, kind, out, 0, Zq.shape[0])


@njit(cache=True, fastmath=_FASTMATH, parallel=True)
def _xgrad_full_jit_par(Zq, Z, inv_ls, sf2, kind, out, nchunks):
    for c in prange(nchunks):
        i0, i1 = _chunk_bounds(c, nchunks, Zq.shape[0])
        _xgrad_full_rows(Zq, Z, inv_ls, sf2, kind, out, i0, i1)


@njit(cache=True, fastmath=_FASTMATH)
def _xgrad_contract_rows(Zq, Z, inv_ls, sf2, kind, v, B, has_B, Gv, GB, i0, i1):
    # The radial factor f is computed once per (q, j) and shared by both
    # contractions, so mean and variance gradients cost one pass together.
    d = Z.shape[1]
    for q in range(i0, i1):
        for j in range(Z.shape[0]):
            f = _f_of_r2(_sqdist(Zq, q, Z, j), sf2, kind)
            a = v[j] * f
            if has_B:
                b = B[q, j] * f
                for kk in range(d):
                    t = Zq[q, kk] - Z[j, kk]
                    Gv[q, kk] += a * t
                    GB[q, kk] += b * t
            else:
                for kk in range(d):
                    Gv[q, kk] += a * (Zq[q, kk] - Z[j, kk])
        for kk in range(d):
            Gv[q, kk] *= -inv_ls[kk]
            if has_B:
                GB[q, kk] *= -inv_ls[kk]


@njit(cache=True, fastmath=_FASTMATH)
def _xgrad_contract_jit(Zq, Z, inv_ls, sf2, kind, v, B, has_B, Gv, GB):
    _xgrad_contract_rows(Zq, Z, inv_ls, sf2, kind, v, B, has_B, Gv, GB, 0, Zq.shape[0])


@njit(cache=True, fastmath=_FASTMATH, parallel=True)
def _xgrad_contract_jit_par(Zq, Z, inv_ls, sf2, kind, v, B, has_B, Gv, GB, nchunks):
    for c in prange(nchunks):
        i0, i1 = _chunk_bounds(c, nchunks, Zq.shape[0])
        _xgrad_contract_rows(Zq, Z, inv_ls, sf2, kind, v, B, has_B, Gv, GB, i0, i1)


# --------------------------------------------------------------------------- #
# Validation helpers and public wrappers
# --------------------------------------------------------------------------- #
def _as_matrix(name: str, A) -> np.ndarray:
    A = np.ascontiguousarray(A, dtype=np.float64)
    if A.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n, d); got shape {A.shape}")
    return A


def _as_vector(name: str, v, size: int) -> np.ndarray:
    v = np.ascontiguousarray(v, dtype=np.float64)
    if v.ndim != 1 or v.shape[0] != size:
        raise ValueError(f"{name} must have shape ({size},); got {v.shape}")
    return v


def _check_hyper(lengthscales, signal_variance: float, d: int) -> tuple[np.ndarray, float]:
    ls = _as_vector("lengthscales", lengthscales, d)
    if not np.all(np.isfinite(ls)) or np.any(ls <= 0.0):
        raise ValueError("lengthscales must be finite and > 0")
    sf2 = float(signal_variance)
    if not (math.isfinite(sf2) and sf2 > 0.0):
        raise ValueError("signal_variance must be finite and > 0")
    return ls, sf2


def _nchunks(work: float, units: int) -> int:
    """0 means run serially; otherwise the number of parallel chunks."""
    threads = numba.get_num_threads()
    if threads < 2 or work < PARALLEL_MIN_WORK or units < 2:
        return 0
    # A few chunks per thread smooth out uneven progress without much overhead.
    return int(min(units, 4 * threads))


# Parallel launches are serialised by a non-blocking lock (a concurrent caller
# simply runs the serial loop: numba's workqueue layer aborts on concurrent
# launches) and restricted to the process that made the first one (GNU OpenMP
# aborts in a forked child of a process that already used it).
_parallel_lock = threading.Lock()
_parallel_pid: int | None = None


def _dispatch(work: float, units: int, parallel_fn, serial_fn, *args):
    """Call parallel_fn(*args, nchunks) when worthwhile and safe, else serial_fn(*args)."""
    global _parallel_pid
    nch = _nchunks(work, units)
    pid = os.getpid()
    if nch and _parallel_pid in (None, pid) and _parallel_lock.acquire(blocking=False):
        try:
            _parallel_pid = pid
            return parallel_fn(*args, nch)
        finally:
            _parallel_lock.release()
    return serial_fn(*args)


def kernel_matrix(
    X: np.ndarray,
    lengthscales: np.ndarray,
    signal_variance: float,
    kernel: str = "matern52",
    lower_only: bool = False,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """K(X, X): (n, n) symmetric kernel matrix with σ²_f on the diagonal.

    X: (n, d); lengthscales: (d,). With ``lower_only=True`` only the lower
    triangle (incl. diagonal) is written, which is all a Cholesky needs; the
    strict upper triangle is zero in a new array and left untouched in
    ``out``. ``out``: optional preallocated C-contiguous float64 (n, n)
    buffer, reused to avoid page-faulting a fresh n² allocation per call.
    """
    X = _as_matrix("X", X)
    ls, sf2 = _check_hyper(lengthscales, signal_variance, X.shape[1])
    Z = np.ascontiguousarray(X / ls)
    n = Z.shape[0]
    if out is None:
        out = np.zeros((n, n)) if lower_only else np.empty((n, n))
    elif out.shape != (n, n) or out.dtype != np.float64 or not out.flags.c_contiguous:
        raise ValueError(f"out must be a C-contiguous float64 array of shape ({n}, {n})")
    work = 0.5 * n * n * max(Z.shape[1], 1)
    ZT = np.ascontiguousarray(Z.T)
    _dispatch(work, _n_pairs(n), _sym_jit_par, _sym_jit, Z, ZT, sf2, kernel_code(kernel), out, not lower_only)
    return out


def cross_covariance(
    X1: np.ndarray,
    X2: np.ndarray,
    lengthscales: np.ndarray,
    signal_variance: float,
    kernel: str = "matern52",
) -> np.ndarray:
    """K(X1, X2): (n1, n2) cross-covariance for X1: (n1, d), X2: (n2, d)."""
    X1 = _as_matrix("X1", X1)
    X2 = _as_matrix("X2", X2)
    if X1.shape[1] != X2.shape[1]:
        raise ValueError(f"dimension mismatch: X1 has d={X1.shape[1]}, X2 has d={X2.shape[1]}")
    ls, sf2 = _check_hyper(lengthscales, signal_variance, X1.shape[1])
    Z1 = np.ascontiguousarray(X1 / ls)
    Z2T = np.ascontiguousarray((X2 / ls).T)
    out = np.empty((Z1.shape[0], Z2T.shape[1]))
    work = Z1.shape[0] * Z2T.shape[1] * max(Z1.shape[1], 1)
    _dispatch(work, Z1.shape[0], _cross_jit_par, _cross_jit, Z1, Z2T, sf2, kernel_code(kernel), out)
    return out


def lml_kernel_grad(
    X: np.ndarray,
    alpha: np.ndarray,
    K_inv: np.ndarray,
    lengthscales: np.ndarray,
    signal_variance: float,
    kernel: str = "matern52",
) -> tuple[np.ndarray, float]:
    """Kernel-hyperparameter part of ∂(log marginal likelihood).

    With W = α αᵀ − K_y⁻¹, returns
      g_ls: (d,)  ½ tr(W ∂K/∂log ℓ_k) for every k, and
      g_sf2: float ½ tr(W ∂K/∂log σ²_f) = ½ tr(W K).
    X: (n, d); alpha: (n,) = K_y⁻¹ y; K_inv: (n, n) = K_y⁻¹ of which only the
    lower triangle and diagonal are read. One O(n² d) pass; the d matrices
    ∂K/∂log ℓ_k are never formed. The noise gradient, ½ σ²_n tr(W), is O(n)
    and left to the caller.
    """
    X = _as_matrix("X", X)
    n, d = X.shape
    alpha = _as_vector("alpha", alpha, n)
    K_inv = _as_matrix("K_inv", K_inv)
    if K_inv.shape != (n, n):
        raise ValueError(f"K_inv must have shape ({n}, {n}); got {K_inv.shape}")
    ls, sf2 = _check_hyper(lengthscales, signal_variance, d)
    Z = np.ascontiguousarray(X / ls)
    kind = kernel_code(kernel)
    ZT = np.ascontiguousarray(Z.T)
    acc = _dispatch(
        0.5 * n * n * max(d, 1), _n_pairs(n), _lsgrad_jit_par, _lsgrad_jit, Z, ZT, alpha, K_inv, sf2, kind
    )
    diag_w = alpha * alpha - np.diagonal(K_inv)
    # Off-diagonal terms appear twice in the full trace; the half cancels that.
    g_sf2 = float(acc[d] + 0.5 * sf2 * diag_w.sum())
    return np.array(acc[:d]), g_sf2


def cross_covariance_grad(
    Xq: np.ndarray,
    X: np.ndarray,
    lengthscales: np.ndarray,
    signal_variance: float,
    kernel: str = "matern52",
) -> np.ndarray:
    """∂k(xq_i, x_j)/∂xq_i: (m, n, d) tensor for Xq: (m, d), X: (n, d).

    Memory is m·n·d; prefer :func:`cross_covariance_grad_contract` when the
    tensor is only needed contracted with weights.
    """
    Xq = _as_matrix("Xq", Xq)
    X = _as_matrix("X", X)
    if Xq.shape[1] != X.shape[1]:
        raise ValueError("Xq and X must have the same number of columns")
    ls, sf2 = _check_hyper(lengthscales, signal_variance, X.shape[1])
    Zq = np.ascontiguousarray(Xq / ls)
    Z = np.ascontiguousarray(X / ls)
    inv_ls = 1.0 / ls
    m, n, d = Zq.shape[0], Z.shape[0], Z.shape[1]
    out = np.empty((m, n, d))
    kind = kernel_code(kernel)
    _dispatch(m * n * max(d, 1), m, _xgrad_full_jit_par, _xgrad_full_jit, Zq, Z, inv_ls, sf2, kind, out)
    return out


def cross_covariance_grad_contract(
    Xq: np.ndarray,
    X: np.ndarray,
    lengthscales: np.ndarray,
    signal_variance: float,
    vector_weights: np.ndarray,
    matrix_weights: np.ndarray | None = None,
    kernel: str = "matern52",
) -> tuple[np.ndarray, np.ndarray | None]:
    """Weighted sums of ∂k(xq_i, x_j)/∂xq_i over training points j.

    Returns (Gv, GB), both (m, d):
      Gv[i, k] = Σ_j v_j     ∂k(xq_i, x_j)/∂xq_ik   (v = vector_weights, (n,))
      GB[i, k] = Σ_j B_ij    ∂k(xq_i, x_j)/∂xq_ik   (B = matrix_weights, (m, n))
    GB is None when no matrix weights are given. With v = α this is ∂mean/∂xq;
    with B = K*ᵀ K_y⁻¹ (rows), −2 GB is ∂variance/∂xq. Cost O(m n d), no
    (m, n, d) temporary.
    """
    Xq = _as_matrix("Xq", Xq)
    X = _as_matrix("X", X)
    if Xq.shape[1] != X.shape[1]:
        raise ValueError("Xq and X must have the same number of columns")
    m, n, d = Xq.shape[0], X.shape[0], X.shape[1]
    ls, sf2 = _check_hyper(lengthscales, signal_variance, d)
    v = _as_vector("vector_weights", vector_weights, n)
    has_B = matrix_weights is not None
    if has_B:
        B = _as_matrix("matrix_weights", matrix_weights)
        if B.shape != (m, n):
            raise ValueError(f"matrix_weights must have shape ({m}, {n}); got {B.shape}")
        GB = np.zeros((m, d))
    else:
        B = np.zeros((0, 0))
        GB = np.zeros((0, 0))
    Zq = np.ascontiguousarray(Xq / ls)
    Z = np.ascontiguousarray(X / ls)
    inv_ls = 1.0 / ls
    Gv = np.zeros((m, d))
    kind = kernel_code(kernel)
    work = m * n * max(d, 1)
    args = (Zq, Z, inv_ls, sf2, kind, v, B, has_B, Gv, GB)
    _dispatch(work, m, _xgrad_contract_jit_par, _xgrad_contract_jit, *args)
    return Gv, (GB if has_B else None)


# --------------------------------------------------------------------------- #
# Fused posterior for small query batches (the acquisition's local search)
# --------------------------------------------------------------------------- #
@njit(cache=True, fastmath=_FASTMATH)
def _posterior_jit(Zq, Z, inv_ls, sf2, kind, U, U_rows, alpha, need_grad, mean, var, dmean, dvar):
    m, d = Zq.shape
    n = Z.shape[0]
    v = np.empty(n)
    f = np.empty(n)
    for q in range(m):
        # v = k*: then U⁻ᵀ k*, then U⁻¹ U⁻ᵀ k* = K_y⁻¹ k*. Both substitutions sweep columns
        # (v[i] -= t·U[j, i] for all i at once: element-wise, so it vectorises without
        # reordering a sum): the forward one along rows of U (U_rows, C order), the back one
        # along columns (U, Fortran order).
        acc = 0.0
        for j in range(n):
            k, fj = _k_and_f_of_r2(_sqdist(Zq, q, Z, j), sf2, kind)
            v[j] = k
            f[j] = fj
            acc += k * alpha[j]
        mean[q] = acc
        ss = 0.0
        for j in range(n):
            t = v[j] / U_rows[j, j]
            v[j] = t
            ss += t * t
            # Counted from 0 (not range(j + 1, n)) so that LLVM sees a non-negative index
            # and vectorises the loop.
            for i in range(n - j - 1):
                v[j + 1 + i] -= t * U_rows[j, j + 1 + i]
        var[q] = sf2 - ss
        if not need_grad:
            continue
        for j in range(n - 1, -1, -1):
            b = v[j] / U[j, j]
            v[j] = b
            for i in range(j):
                v[i] -= b * U[i, j]
        for kk in range(d):
            dmean[q, kk] = 0.0
            dvar[q, kk] = 0.0
        for j in range(n):
            a = alpha[j] * f[j]
            b = v[j] * f[j]
            for kk in range(d):
                t = Zq[q, kk] - Z[j, kk]
                dmean[q, kk] += a * t
                dvar[q, kk] += b * t
        for kk in range(d):
            dmean[q, kk] *= -inv_ls[kk]
            dvar[q, kk] *= 2.0 * inv_ls[kk]


def posterior(
    Xq: np.ndarray,
    X: np.ndarray,
    lengthscales: np.ndarray,
    signal_variance: float,
    U: np.ndarray,
    alpha: np.ndarray,
    kernel: str = "matern52",
    return_grad: bool = False,
):
    """Latent GP posterior at a few query points in one compiled pass.

    Xq: (m, d) queries; X: (n, d) training inputs; U: (n, n) upper Cholesky factor of
    K_y = K + σ²_n I (UᵀU = K_y; its strict lower triangle is ignored); alpha: (n,) K_y⁻¹ ỹ.
    Returns mean (m,) = k*α and variance (m,) = σ²_f − |U⁻ᵀ k*|² (not floored), and with
    ``return_grad`` also their input gradients dmean, dvar: (m, d).

    Same numbers as cross-covariance + two triangular solves + gradient contraction (the
    model's batched path), but without the per-call overhead of five library calls: for
    the handful of points an L-BFGS-B step evaluates this is several times faster at
    n ≤ a few hundred. Cost O(m n² + m n d); the triangular solves are not blocked, so
    large batches belong on the BLAS path.
    """
    Xq = _as_matrix("Xq", Xq)
    X = _as_matrix("X", X)
    n, d = X.shape
    if Xq.shape[1] != d:
        raise ValueError("Xq and X must have the same number of columns")
    ls, sf2 = _check_hyper(lengthscales, signal_variance, d)
    U = np.asarray(U, dtype=np.float64)
    if U.shape != (n, n):
        raise ValueError(f"U must have shape ({n}, {n}); got {U.shape}")
    if not U.flags.f_contiguous:
        U = np.asfortranarray(U)
    alpha = _as_vector("alpha", alpha, n)
    inv_ls = 1.0 / ls
    Z = np.ascontiguousarray(X * inv_ls)
    return posterior_scaled(Xq, Z, inv_ls, sf2, kernel_code(kernel), U, np.ascontiguousarray(U), alpha,
                            return_grad)


def posterior_scaled(Xq: np.ndarray, Z: np.ndarray, inv_ls: np.ndarray, sf2: float, kind: int, U: np.ndarray,
                     U_rows: np.ndarray, alpha: np.ndarray, return_grad: bool):
    """:func:`posterior` without argument checks, for a caller that keeps Z = X / ℓ: (n, d)
    C-contiguous, inv_ls = 1/ℓ, the kernel code, U Fortran-ordered, U_rows the same factor
    C-ordered (rows contiguous, for the forward substitution) and alpha contiguous (the GP
    model, once per fit, instead of once per L-BFGS-B step)."""
    m, d = Xq.shape
    mean, var = np.empty(m), np.empty(m)
    dmean = np.empty((m, d) if return_grad else (0, 0))
    dvar = np.empty((m, d) if return_grad else (0, 0))
    _posterior_jit(Xq * inv_ls, Z, inv_ls, sf2, kind, U, U_rows, alpha, bool(return_grad), mean, var, dmean,
                   dvar)
    return (mean, var, dmean, dvar) if return_grad else (mean, var)
