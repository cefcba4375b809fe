"""Plain NumPy reference versions of every routine in :mod:`hpcore.gp.kernels`.

Used by the tests to check the compiled code; written for clarity, not speed
(several functions build (n, n, d) temporaries).

Notation (as in ``kernels``)
----------------------------
X: (n, d) inputs, Xq: (m, d) query inputs, ℓ: (d,) lengthscales, σ²_f signal
variance, Z = X / ℓ, Δ_ijk = Z_ik − Z_jk, s = Δ², r² = Σ_k s_k,
K: (n, n) kernel matrix, α: (n,) = K_y⁻¹ y, W = α αᵀ − K_y⁻¹.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "cross_covariance",
    "cross_covariance_grad",
    "cross_covariance_grad_contract",
    "kernel_matrix",
    "lml_kernel_grad",
    "posterior",
]

_SQRT5 = np.sqrt(5.0)


def _k_and_f(r2: np.ndarray, sf2: float, kernel: str) -> tuple[np.ndarray, np.ndarray]:
    """Kernel value k(r) and radial factor f(r) (see ``kernels`` docstring)."""
    if kernel == "matern52":
        sr = _SQRT5 * np.sqrt(r2)
        e = np.exp(-sr)
        return sf2 * (1.0 + sr + (5.0 / 3.0) * r2) * e, sf2 * (5.0 / 3.0) * (1.0 + sr) * e
    if kernel == "rbf":
        k = sf2 * np.exp(-0.5 * r2)
        return k, k
    raise ValueError(f"unknown kernel {kernel!r}")


def _scaled_diff(X1: np.ndarray, X2: np.ndarray, ls: np.ndarray) -> np.ndarray:
    """Δ: (n1, n2, d) with Δ_ijk = (X1_ik − X2_jk) / ℓ_k."""
    Z1 = np.asarray(X1, dtype=float) / ls
    Z2 = np.asarray(X2, dtype=float) / ls
    return Z1[:, None, :] - Z2[None, :, :]


def cross_covariance(X1, X2, lengthscales, signal_variance, kernel="matern52") -> np.ndarray:
    """K(X1, X2): (n1, n2)."""
    D = _scaled_diff(X1, X2, np.asarray(lengthscales, dtype=float))
    return _k_and_f((D * D).sum(axis=2), float(signal_variance), kernel)[0]


def kernel_matrix(X, lengthscales, signal_variance, kernel="matern52") -> np.ndarray:
    """K(X, X): (n, n)."""
    return cross_covariance(X, X, lengthscales, signal_variance, kernel)


def lml_kernel_grad(X, alpha, K_inv, lengthscales, signal_variance, kernel="matern52"):
    """(½ tr(W ∂K/∂log ℓ_k) for k < d as (d,), ½ tr(W K)) with W = ααᵀ − K_y⁻¹.

    Only the lower triangle of K_inv is trusted, mirroring the compiled version.
    """
    ls = np.asarray(lengthscales, dtype=float)
    sf2 = float(signal_variance)
    K_inv = np.tril(K_inv) + np.tril(K_inv, -1).T
    alpha = np.asarray(alpha, dtype=float)
    W = np.outer(alpha, alpha) - K_inv
    D = _scaled_diff(X, X, ls)
    S = D * D
    K, F = _k_and_f(S.sum(axis=2), sf2, kernel)
    dK = F[:, :, None] * S  # (n, n, d): ∂K/∂log ℓ_k stacked on the last axis
    g_ls = 0.5 * np.einsum("ij,ijk->k", W, dK)
    g_sf2 = 0.5 * float(np.sum(W * K))
    return g_ls, g_sf2


def cross_covariance_grad(Xq, X, lengthscales, signal_variance, kernel="matern52") -> np.ndarray:
    """∂k(xq_i, x_j)/∂xq_i: (m, n, d)."""
    ls = np.asarray(lengthscales, dtype=float)
    D = _scaled_diff(Xq, X, ls)
    F = _k_and_f((D * D).sum(axis=2), float(signal_variance), kernel)[1]
    return -F[:, :, None] * D / ls


def cross_covariance_grad_contract(
    Xq, X, lengthscales, signal_variance, vector_weights, matrix_weights=None, kernel="matern52"
):
    """(Σ_j v_j ∂k_ij/∂xq_i, Σ_j B_ij ∂k_ij/∂xq_i), each (m, d); second is None without B."""
    G = cross_covariance_grad(Xq, X, lengthscales, signal_variance, kernel)
    Gv = np.einsum("j,ijk->ik", np.asarray(vector_weights, dtype=float), G)
    GB = (
        None
        if matrix_weights is None
        else np.einsum("ij,ijk->ik", np.asarray(matrix_weights, dtype=float), G)
    )
    return Gv, GB


def posterior(Xq, X, lengthscales, signal_variance, U, alpha, kernel="matern52", return_grad=False):
    """Latent posterior mean (m,), variance (m,) and optionally their input gradients (m, d),
    from the upper Cholesky factor U of K_y (UᵀU = K_y) and alpha = K_y⁻¹ ỹ, via SciPy solves."""
    from scipy.linalg import solve_triangular

    U = np.triu(np.asarray(U, dtype=float))
    Ks = cross_covariance(Xq, X, lengthscales, signal_variance, kernel)  # (m, n)
    mean = Ks @ alpha
    V = solve_triangular(U, Ks.T, trans="T", lower=False)  # (n, m)
    var = signal_variance - np.sum(V * V, axis=0)
    if not return_grad:
        return mean, var
    B = solve_triangular(U, V, lower=False).T  # (m, n) rows: K_y⁻¹ k*
    G = cross_covariance_grad(Xq, X, lengthscales, signal_variance, kernel)  # (m, n, d)
    return mean, var, np.einsum("mnd,n->md", G, alpha), -2.0 * np.einsum("mnd,mn->md", G, B)
