"""The compiled kernels give bit-identical results wherever their temporaries land in memory.

With fast-math reassociation LLVM vectorised the reductions, and whether the vector loop or
its scalar fallback ran was decided at run time by an overlap check on the addresses of the
arrays involved; the two sum in different orders, so identical inputs gave results differing
in the last bits depending on where the allocator had put the kernel's scratch arrays. That
broke "same seed, same suggestions" for the Bayesian strategy now and then (issue: trial 5
differing at 1e-14 between identical seeded runs in one process). Here the allocator's state
is shuffled between calls by keeping compiled allocations of assorted sizes alive.
"""

import numpy as np
from numba import njit

from hpcore.gp import kernels as jk
from hpcore.gp.model import GaussianProcess


@njit
def _allocate(size):
    return np.empty(size)


def _depends_on_placement(compute, n_shuffles: int = 64) -> bool:
    """Whether compute()'s arrays differ in any bit between calls, between which compiled
    allocations of 1-32 doubles are made and kept (moving where the kernels' next ones land)."""
    kept, images = [], set()
    for i in range(n_shuffles):
        kept.append(_allocate(1 + i % 32))
        images.add(b"".join(np.ascontiguousarray(a, dtype=np.float64).tobytes() for a in compute()))
    return len(images) > 1


def _problem(seed: int, n: int, d: int = 5):
    rng = np.random.default_rng(seed)
    X = rng.random((n, d))
    ls = np.exp(rng.normal(-0.5, 0.5, d))
    alpha = rng.standard_normal(n)
    K = jk.kernel_matrix(X, ls, 1.3) + 1e-2 * np.eye(n)
    U = np.asfortranarray(np.linalg.cholesky(K).T)
    return rng, X, ls, alpha, U, np.linalg.inv(K)


# Before the fix about one problem in six showed the dependence within 64 shuffles, so 40
# problems miss it with probability below 1e-3.
PROBLEMS = [(seed, n) for seed in range(10) for n in (5, 9, 23, 40)]


def test_lml_kernel_grad_does_not_depend_on_memory_placement():
    sensitive = []
    for seed, n in PROBLEMS:
        _, X, ls, alpha, _, K_inv = _problem(seed, n)

        def compute():
            g_ls, g_sf2 = jk.lml_kernel_grad(X, alpha, K_inv, ls, 1.3)
            return g_ls, np.array([g_sf2])

        if _depends_on_placement(compute):
            sensitive.append((seed, n))
    assert not sensitive, f"results vary with memory placement for (seed, n) in {sensitive}"


def test_fused_posterior_does_not_depend_on_memory_placement():
    sensitive = []
    for seed, n in PROBLEMS:
        rng, X, ls, alpha, U, _ = _problem(seed, n)
        Xq = rng.random((6, X.shape[1]))
        if _depends_on_placement(lambda: jk.posterior(Xq, X, ls, 1.3, U, alpha, return_grad=True)):
            sensitive.append((seed, n))
    assert not sensitive, f"results vary with memory placement for (seed, n) in {sensitive}"


def test_covariances_do_not_depend_on_memory_placement():
    sensitive = []
    for seed, n in PROBLEMS[::4]:
        rng, X, ls, alpha, _, _ = _problem(seed, n)
        Xq = rng.random((40, X.shape[1]))
        B = rng.standard_normal((40, n))

        def compute():
            return (jk.kernel_matrix(X, ls, 1.3), jk.cross_covariance(Xq, X, ls, 1.3),
                    *jk.cross_covariance_grad_contract(Xq, X, ls, 1.3, alpha, B))

        if _depends_on_placement(compute):
            sensitive.append((seed, n))
    assert not sensitive, f"results vary with memory placement for (seed, n) in {sensitive}"


def test_fitted_hyperparameters_do_not_depend_on_memory_placement():
    """The whole MAP fit (many likelihood gradients, then L-BFGS-B) lands on the same θ bits."""
    sensitive = []
    for seed in range(4):
        rng = np.random.default_rng(seed)
        X = rng.random((12, 4))
        y = np.sin(5 * X[:, 0]) + X[:, 1] ** 2 - X[:, 2] * X[:, 3]
        if _depends_on_placement(lambda: (GaussianProcess(seed=7, noise_floor=1e-10).fit(X, y).theta,),
                                 n_shuffles=16):
            sensitive.append(seed)
    assert not sensitive, f"fitted θ varies with memory placement for seeds {sensitive}"
