"""Exact Gaussian-process regression with MAP-fitted ARD hyperparameters.

Notation
--------
n, m   number of training / query points;  d input dimension
X      (n, d) training inputs, expected in [0, 1]^d
y      (n,) targets in original units;  ỹ = (y − μ_y) / s_y standardised targets
Xq     (m, d) query inputs
θ      (d + 2,) log-hyperparameters [log ℓ_1..log ℓ_d, log σ²_f, log σ²_n]
ℓ      (d,) lengthscales;  σ²_f signal variance;  σ²_n noise variance
       (σ²_f and σ²_n live in standardised units: ỹ has unit variance)
K      (n, n) kernel matrix;  K_y = K + (σ²_n + jitter) I = Uᵀ U = L Lᵀ
α      (n,) K_y⁻¹ ỹ
k*     (m, n) cross-covariance K(Xq, X)
V      (n, m) L⁻¹ k*ᵀ;   posterior latent mean k* α, variance σ²_f − Σ V²

Model: ỹ ~ GP(0, k) + N(0, σ²_n). θ maximises
    log p(ỹ | θ) + log prior(θ),
    log p(ỹ | θ) = −½ ỹᵀ α − Σ log U_ii − (n/2) log 2π,
with independent weak priors
    log p(ℓ_k) = −c (ℓ_k²/ℓ₀² + ℓ₀²/ℓ_k²) + const,  c = 0.1, ℓ₀ = 1 (the cube side)
                                           (in log ℓ: symmetric, double-exponential
                                           tails; see _ls_log_prior for why)
    log σ²_f ~ Normal(0, 2)                (ỹ has unit variance)
    σ²_n     ~ Gamma(1.1, rate 20)         (pushes noise small; noisy mode only)
The deterministic mode fixes σ²_n at the noise floor.

Storage convention: the Cholesky factor is kept as the upper factor U of K_y in
Fortran order (what LAPACK returns without copies); L = Uᵀ is its C-order view.
"""

from __future__ import annotations

import contextlib
import copy
import math
import threading
import warnings
from collections.abc import Sequence

import numpy as np
from scipy.linalg import cho_solve, solve_triangular
from scipy.linalg.lapack import dpotrf, dpotri
from scipy.optimize import minimize

from hpcore.boolean_option import boolean_option

from . import kernels as _k

try:  # optional: only used to keep BLAS single-threaded on small matrices
    from threadpoolctl import ThreadpoolController
except ImportError:  # pragma: no cover - depends on the environment
    ThreadpoolController = None

__all__ = ["GaussianProcess", "blas_threads_for", "configure_threads"]

_LOG_2PI = math.log(2.0 * math.pi)

# Box bounds for θ; priors keep the optimum well inside in ordinary use.
_LOG_LS_BOUNDS = (math.log(5e-3), math.log(1e3))
_LOG_SF2_BOUNDS = (math.log(1e-3), math.log(1e3))
_LOG_NOISE_MAX = 0.0  # σ²_n ≤ 1 = total variance of ỹ

_SF2_PRIOR_STD = 2.0
_LS_PRIOR_WEIGHT = 0.1  # c in −c (ℓ²/ℓ₀² + ℓ₀²/ℓ²)
_LS_PRIOR_CENTRE = 1.0  # ℓ₀, in unit-cube widths
_NOISE_GAMMA_SHAPE = 1.1
_NOISE_GAMMA_RATE = 20.0

# Posterior latent variance floor (standardised units); keeps std > 0 for the
# acquisition functions and log-EI.
_VAR_FLOOR = 1e-12

# Query batches up to _FUSED_MAX_M points with m·n² up to _FUSED_MAX_WORK go through the fused
# compiled posterior (kernels.posterior); larger ones through BLAS, whose blocked triangular
# solves win once the work dwarfs the fixed cost of each library call.
_FUSED_MAX_M = 64
_FUSED_MAX_WORK = 10_000_000

# Up to this many training points BLAS runs single-threaded inside GP calls.
# Small LAPACK calls take microseconds while waking a second BLAS thread costs
# far more (milliseconds when the other core is busy), and in the default
# single-threaded policy (see kernels.PARALLEL_MIN_WORK) all sizes are limited.
_BLAS_SINGLE_THREAD_MAX_N = 300 if _k.PARALLEL_MIN_WORK < math.inf else math.inf
_blas_lock = threading.Lock()
_blas_libs: list | None = None


def _blas_controllers() -> list:
    global _blas_libs
    if _blas_libs is None:
        libs = []
        if ThreadpoolController is not None:
            try:
                libs = list(ThreadpoolController().select(user_api="blas").lib_controllers)
            except (OSError, AttributeError, ValueError, RuntimeError):
                libs = []  # introspection failed: run without the tuning
        _blas_libs = libs
    return _blas_libs


def configure_threads(parallel: bool) -> None:
    """Choose the threading policy of GP computations (process-wide).

    parallel=False (default, or HPCORE_GP_PARALLEL unset): compiled kernels run
    serially and BLAS is limited to one thread inside GP calls (restored
    afterwards), which is fastest when trials keep the cores busy.
    parallel=True: large kernel evaluations use numba threads and BLAS keeps
    its own thread count for n > 300; worthwhile only on an otherwise idle
    multi-core machine.
    """
    global _BLAS_SINGLE_THREAD_MAX_N
    if parallel:
        _k.PARALLEL_MIN_WORK = _k.PARALLEL_WORK_THRESHOLD
        _BLAS_SINGLE_THREAD_MAX_N = 300
    else:
        _k.PARALLEL_MIN_WORK = math.inf
        _BLAS_SINGLE_THREAD_MAX_N = math.inf


@contextlib.contextmanager
def blas_threads_for(n: int):
    """Limit BLAS to one thread while working on an n-point GP, if n is small.

    Public for callers that run many small BLAS operations around the GP (the acquisition
    search: scipy's L-BFGS-B and small triangular solves), which are far slower when BLAS
    wakes a second thread for each of them.

    The previous thread counts are restored on exit. Nested or concurrent use
    only ever lowers the count temporarily, so it is safe if not optimal.
    """
    if n > _BLAS_SINGLE_THREAD_MAX_N:
        yield
        return
    with _blas_lock:
        saved = []
        for lib in _blas_controllers():
            k = lib.get_num_threads()
            if k is not None and k > 1:
                lib.set_num_threads(1)
                saved.append((lib, k))
    try:
        yield
    finally:
        with _blas_lock:
            for lib, k in saved:
                lib.set_num_threads(k)


# Warm-start heuristics: a warm refit whose per-point objective worsens by more
# than this many nats looks stuck in a stale basin and triggers restarts.
_BAD_JUMP_PER_POINT = 0.25

# Optimiser budget: tolerances in nats of the total log posterior (see
# _run_lbfgs), iteration caps, and the subset size for multi-start searches.
_TOL_NATS = 0.02
_TOL_MAX = 1e-4
_MAXITER_WARM = 50
_MAXITER_COLD = 200
_RESTART_SUBSET = 256


def _ls_log_prior(log_ls: np.ndarray) -> tuple[float, np.ndarray]:
    """Log prior of the lengthscales, −c Σ (ℓ²/ℓ₀² + ℓ₀²/ℓ²), and its gradient in log ℓ: (d,).

    Why not a log-normal (e.g. the dimension-scaled Normal(√2 + ½ log d, √3) on log ℓ): its
    lower tail is far too light. With a handful of heavy-tailed observations (Hartmann-6 after
    7 points) the MAP fit then sets one or two lengthscales below the spacing of the points
    (ℓ ≈ 0.02) and the others to ~10: every observation becomes independent of the rest, a way
    to model the data as noise without paying the noise prior, and the acquisition turns into
    near-random search. Here ℓ = 0.1 costs 10 nats per dimension (the log-normal: ~7) and
    ℓ = 0.02 costs 250, while ℓ in [0.3, 3] costs under 1: short lengthscales need real evidence
    from many points. The upper tail is as light: a dimension that looks irrelevant after a
    few points stays able to matter (ℓ = 10 costs 10 nats).
    """
    r2 = np.exp(2.0 * log_ls) / _LS_PRIOR_CENTRE**2
    inv = 1.0 / r2
    return -_LS_PRIOR_WEIGHT * float(np.sum(r2 + inv)), -2.0 * _LS_PRIOR_WEIGHT * (r2 - inv)


class GaussianProcess:
    """Zero-mean GP on standardised targets with ARD Matérn-5/2 or RBF kernel.

    Parameters
    ----------
    kernel : "matern52" or "rbf".
    deterministic : if True observations are treated as exact: σ²_n is fixed
        at ``noise_floor`` instead of being fitted.
    noise_floor : lower bound for σ²_n (standardised units). Defaults to 1e-6
        when deterministic, 1e-4 otherwise (a noisy objective rarely has less
        noise than that and the floor keeps K_y well conditioned).
    seed : seed for the random restarts of the hyperparameter search.
    n_restarts : number of random starting points added to the default start
        on a cold fit and on periodic/recovery restarts.
    restart_every : a warm-started fit runs the random restarts again after
        this many consecutive warm fits.
    warm_start : if True a refit starts from the previous optimum.
    refit_min_n, refit_growth : refit schedule of :meth:`fit`. Below
        ``refit_min_n`` points θ is refitted on every call. From there on θ
        is refitted only once the data have grown by the fraction
        ``refit_growth`` since the last refit (every 10 % by default: at
        n = 1000 every 100 new points); in between θ is kept and the Cholesky
        factor is extended by a rank-k block update in O(n² k) instead of an
        O(n³) refit of several likelihood evaluations. ``refit_growth=0``
        refits on every call.

    Fitted attributes
    -----------------
    lengthscales (d,), signal_variance, noise_variance (standardised units),
    theta (d + 2,), y_mean, y_std, last_fit_nfev (objective evaluations in
    the last fit), last_fit_restarted, n_fits (hyperparameter fits so far),
    last_fit_kind ("refit", "extend" when θ was kept and the factor extended,
    "refactor" when θ was kept and K_y factorised afresh).
    """

    def __init__(
        self,
        kernel: str = "matern52",
        deterministic: bool = False,
        noise_floor: float | None = None,
        seed: int | None = None,
        n_restarts: int = 2,
        restart_every: int = 10,
        warm_start: bool = True,
        refit_min_n: int = 100,
        refit_growth: float = 0.1,
    ) -> None:
        _k.kernel_code(kernel)  # validate early
        self.kernel = kernel
        self.deterministic = boolean_option("deterministic", deterministic)
        if noise_floor is None:
            noise_floor = 1e-6 if deterministic else 1e-4
        if not (noise_floor > 0.0 and math.isfinite(noise_floor)):
            raise ValueError("noise_floor must be finite and > 0")
        self.noise_floor = float(noise_floor)
        self.seed = seed
        self.n_restarts = int(n_restarts)
        self.restart_every = int(restart_every)
        self.warm_start = boolean_option("warm_start", warm_start)
        if not (refit_growth >= 0.0 and math.isfinite(refit_growth)):
            raise ValueError("refit_growth must be finite and >= 0")
        self.refit_min_n = int(refit_min_n)
        self.refit_growth = float(refit_growth)
        self._n_at_refit = 0
        self.last_fit_kind: str | None = None
        self._rng = np.random.default_rng(seed)

        self.theta: np.ndarray | None = None
        self._theta_hint: np.ndarray | None = None  # see warm_start_from
        self.n_fits = 0
        self.last_fit_nfev = 0
        self.last_fit_restarted = False
        self._fits_since_restart = 0
        self._prev_obj: float | None = None
        self._X: np.ndarray | None = None
        self._y_std_units: np.ndarray | None = None
        self._work: dict[int, np.ndarray] = {}
        self._factor_source: np.ndarray | None = None
        self._last_factor: tuple | None = None
        self._fused_inputs: tuple | None = None  # scaled inputs for _predict_fused, keyed by (X, U)

    def warm_start_from(self, theta: Sequence[float] | np.ndarray) -> None:
        """Start the next hyperparameter fit from ``theta`` (d + 2,) (log lengthscales, log
        σ²_f, log σ²_n, as in ``self.theta``), e.g. one stored by an earlier process, instead
        of a cold multi-start: the first fit after resuming a study then costs a warm refit
        (README, "Time per suggestion": at n = 1000 about half the time of a cold fit). Used once, only while this model has
        no θ of its own, and only if its length matches the data's d + 2; a non-finite θ
        raises ValueError."""
        th = np.array(theta, dtype=float).ravel()
        if not np.all(np.isfinite(th)):
            raise ValueError("warm_start_from: theta must be finite")
        self._theta_hint = th

    # ------------------------------------------------------------------ #
    # Fitted quantities
    # ------------------------------------------------------------------ #
    @property
    def is_fitted(self) -> bool:
        return self._X is not None

    @property
    def lengthscales(self) -> np.ndarray:
        self._require_fitted()
        return np.exp(self.theta[:-2])

    @property
    def signal_variance(self) -> float:
        self._require_fitted()
        return float(np.exp(self.theta[-2]))

    @property
    def noise_variance(self) -> float:
        """σ²_n in standardised units (multiply by ``y_std**2`` for y units)."""
        self._require_fitted()
        return float(np.exp(self.theta[-1]))

    @property
    def X_train(self) -> np.ndarray:
        self._require_fitted()
        return self._X

    @property
    def y_train_standardized(self) -> np.ndarray:
        self._require_fitted()
        return self._y_std_units

    def _require_fitted(self) -> None:
        if self._X is None:
            raise RuntimeError("GaussianProcess is not fitted; call fit() first")

    # ------------------------------------------------------------------ #
    # Standardisation
    # ------------------------------------------------------------------ #
    def _set_standardization(self, y: np.ndarray) -> None:
        # Divide by max|y| first so mean/std never overflow, even for ±1e308.
        scale = float(np.max(np.abs(y)))
        if scale == 0.0:
            scale = 1.0
        ys = y / scale
        m = float(np.mean(ys))
        s = float(np.std(ys))
        self._y_scale = scale
        self._y_mean_s = m
        if s > 0.0 and math.isfinite(s):
            self._y_std_s = s
        else:
            # Constant targets: use unit std in original units so ỹ = 0.
            self._y_std_s = 1.0 / scale
        self.y_mean = m * scale
        self.y_std = self._y_std_s * scale

    def standardize(self, y: np.ndarray | float) -> np.ndarray:
        """Map targets from original units to the standardised units ỹ."""
        self._require_fitted()
        y = np.asarray(y, dtype=np.float64)
        return (y / self._y_scale - self._y_mean_s) / self._y_std_s

    def unstandardize(self, y_std_units: np.ndarray | float) -> np.ndarray:
        """Inverse of :meth:`standardize`."""
        self._require_fitted()
        return np.asarray(y_std_units, dtype=np.float64) * self.y_std + self.y_mean

    # ------------------------------------------------------------------ #
    # Input validation
    # ------------------------------------------------------------------ #
    @staticmethod
    def _check_X(X, name: str = "X") -> np.ndarray:
        X = np.ascontiguousarray(X, dtype=np.float64)
        if X.ndim != 2:
            raise ValueError(f"{name} must be a 2-D array (n, d); got shape {X.shape}")
        finite = np.isfinite(X)
        if not finite.all():
            warnings.warn(f"{name} contains NaN or infinite entries", RuntimeWarning, stacklevel=3)
        with np.errstate(invalid="ignore"):
            if np.any(X[finite] < -1e-9) or np.any(X[finite] > 1.0 + 1e-9):
                warnings.warn(f"{name} has entries outside [0, 1]", RuntimeWarning, stacklevel=3)
        return X

    @staticmethod
    def _check_y(y, n: int) -> np.ndarray:
        y = np.asarray(y, dtype=np.float64)
        if y.size != n or y.ndim > 2 or (y.ndim == 2 and 1 not in y.shape):
            raise ValueError(f"y must have {n} entries; got shape {y.shape}")
        y = np.ascontiguousarray(y.reshape(n))
        if not np.all(np.isfinite(y)):
            raise ValueError("y must be finite (no NaN or ±inf); clip or drop such values first")
        return y

    # ------------------------------------------------------------------ #
    # Linear algebra
    # ------------------------------------------------------------------ #
    def _factorize(
        self, X: np.ndarray, ls: np.ndarray, sf2: float, sn2: float, work: np.ndarray | None = None
    ) -> tuple[np.ndarray, float]:
        """Upper Cholesky factor U (Fortran order) of K + (σ²_n + jitter) I.

        Jitter starts at 0 and grows ×10 from 1e-10·σ²_f whenever potrf
        fails; at jitter ≈ σ²_f the matrix is safely positive definite, so this
        only raises for non-finite inputs. With ``work`` (a C-contiguous
        (n, n) buffer) the factor is computed in place and only its upper
        (Fortran) triangle is meaningful; without it a fresh, clean array is
        returned.
        """
        n = X.shape[0]
        clean = work is None
        if work is None:
            work = np.zeros((n, n))
        diag = work.reshape(-1)[:: n + 1]
        jitter = 0.0
        for _ in range(14):
            _k.kernel_matrix(X, ls, sf2, self.kernel, lower_only=True, out=work)
            diag += sn2 + jitter
            # work's C-order lower triangle is the upper triangle of the
            # Fortran-order view work.T, so LAPACK factorises it in place.
            U, info = dpotrf(work.T, lower=0, clean=int(clean), overwrite_a=1)
            if info == 0:
                return U, jitter
            if info < 0:
                break
            jitter = 1e-10 * sf2 if jitter == 0.0 else 10.0 * jitter
        raise np.linalg.LinAlgError("Cholesky failed even with large jitter (non-finite inputs?)")

    def _workspace(self, n: int) -> np.ndarray:
        # Reusing one n×n buffer per data size avoids page-faulting ~8 MB per
        # likelihood evaluation at n = 1000 (expensive under virtualisation).
        ws = self._work.get(n)
        if ws is None:
            if len(self._work) >= 2:
                self._work.clear()
            ws = self._work[n] = np.zeros((n, n))
        return ws

    # ------------------------------------------------------------------ #
    # Objective
    # ------------------------------------------------------------------ #
    def _bounds(self, d: int) -> list[tuple[float, float]]:
        lo_n = math.log(self.noise_floor)
        noise_b = (lo_n, lo_n) if self.deterministic else (lo_n, max(lo_n, _LOG_NOISE_MAX))
        return [_LOG_LS_BOUNDS] * d + [_LOG_SF2_BOUNDS, noise_b]

    def _log_prior(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        d = theta.shape[0] - 2
        g = np.zeros_like(theta)
        lp, g[:d] = _ls_log_prior(theta[:d])
        lp += -0.5 * (theta[d] / _SF2_PRIOR_STD) ** 2
        g[d] = -theta[d] / _SF2_PRIOR_STD**2
        if not self.deterministic:
            # Gamma density on σ²_n written in θ = log σ²_n (no Jacobian): mode
            # at (a−1)/b, heavy penalty on noise of order 1.
            sn2 = math.exp(theta[d + 1])
            lp += (_NOISE_GAMMA_SHAPE - 1.0) * theta[d + 1] - _NOISE_GAMMA_RATE * sn2
            g[d + 1] = (_NOISE_GAMMA_SHAPE - 1.0) - _NOISE_GAMMA_RATE * sn2
        return lp, g

    def _lml_and_grad(self, theta: np.ndarray, X: np.ndarray, y: np.ndarray, need_grad: bool = True):
        d = X.shape[1]
        ls = np.exp(theta[:d])
        sf2 = math.exp(theta[d])
        sn2 = math.exp(theta[d + 1])
        n = X.shape[0]
        U, jitter = self._factorize(X, ls, sf2, sn2, self._workspace(n))
        alpha = cho_solve((U, False), y, check_finite=False)
        lml = -0.5 * float(y @ alpha) - float(np.sum(np.log(np.diagonal(U)))) - 0.5 * n * _LOG_2PI
        if not need_grad:
            return lml, None
        if X is self._factor_source:
            # L-BFGS-B normally ends on its last evaluation; keeping this factor
            # (an n² copy) saves refactorising after the fit (an n³/3 potrf).
            # The workspace's other triangle is never written, so U is clean.
            self._last_factor = (theta.copy(), np.array(U, order="F"), alpha, jitter)
        Kinv_F, info = dpotri(U, lower=0, overwrite_c=1)
        if info != 0:
            raise np.linalg.LinAlgError("potri failed")
        # Upper triangle of the Fortran array == lower triangle of its C view.
        Kinv = Kinv_F.T
        g = np.empty(d + 2)
        g[:d], g[d] = _k.lml_kernel_grad(X, alpha, Kinv, ls, sf2, self.kernel)
        tr_w = float(alpha @ alpha - np.sum(np.diagonal(Kinv)))
        g[d + 1] = 0.5 * sn2 * tr_w
        return lml, g

    def log_marginal_likelihood(self, theta: np.ndarray | None = None) -> float:
        """log p(ỹ | θ) of the standardised training targets (no prior).

        theta: (d + 2,) log-hyperparameters; defaults to the fitted ones.
        """
        self._require_fitted()
        th = self.theta if theta is None else np.asarray(theta, dtype=np.float64)
        with blas_threads_for(self._X.shape[0]):
            return self._lml_and_grad(th, self._X, self._y_std_units, need_grad=False)[0]

    def negative_log_posterior(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """The minimised objective −(log p(ỹ|θ) + log prior(θ)) / n and its gradient.

        theta: (d + 2,). Divided by n so optimiser tolerances mean the same
        thing at every data size. In deterministic mode the noise component of
        the gradient is still reported although the optimiser holds it fixed.
        """
        self._require_fitted()
        with blas_threads_for(self._X.shape[0]):
            return self._objective(np.asarray(theta, dtype=np.float64), self._X, self._y_std_units)

    def _objective(self, theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        lml, g = self._lml_and_grad(theta, X, y)
        lp, gp = self._log_prior(theta)
        n = X.shape[0]
        return -(lml + lp) / n, -(g + gp) / n

    # ------------------------------------------------------------------ #
    # Hyperparameter search
    # ------------------------------------------------------------------ #
    def _default_theta(self, d: int) -> np.ndarray:
        bounds = self._bounds(d)
        # Start at moderate lengthscales (≈ half the cube diagonal per √d);
        # the prior median is longer, but from here the gradient is informative.
        th = np.empty(d + 2)
        th[:d] = math.log(0.5 * math.sqrt(d))
        th[d] = 0.0
        th[d + 1] = bounds[d + 1][0] if self.deterministic else math.log(max(1e-3, self.noise_floor))
        return self._clip(th, bounds)

    def _random_theta(self, d: int) -> np.ndarray:
        bounds = self._bounds(d)
        th = np.empty(d + 2)
        # Draw lengthscales a bit shorter than the prior's centre: restarts are meant
        # to explore wiggly explanations that a long-lengthscale start misses.
        th[:d] = self._rng.normal(math.log(0.5 * _LS_PRIOR_CENTRE), 1.0, size=d)
        th[d] = self._rng.normal(0.0, 1.0)
        lo, hi = bounds[d + 1]
        th[d + 1] = self._rng.uniform(lo, hi)
        return self._clip(th, bounds)

    @staticmethod
    def _clip(theta: np.ndarray, bounds) -> np.ndarray:
        lo = np.array([b[0] for b in bounds])
        hi = np.array([b[1] for b in bounds])
        return np.clip(theta, lo, hi)

    def _run_lbfgs(self, theta0: np.ndarray, X: np.ndarray, y: np.ndarray, maxiter: int):
        n, d = X.shape
        # The objective is per point, so tolerances are scaled by 1/n to mean
        # "changes of about _TOL_NATS in the total log posterior": finer
        # hyperparameter precision does not change BO decisions but costs
        # O(n³) evaluations.
        tol = min(_TOL_MAX, _TOL_NATS / n)
        return minimize(
            self._objective,
            theta0,
            args=(X, y),
            jac=True,
            method="L-BFGS-B",
            bounds=self._bounds(d),
            options={"maxiter": maxiter, "ftol": tol, "gtol": tol},
        )

    def _value(self, theta: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
        """Objective value only (one Cholesky, no inverse)."""
        lml, _ = self._lml_and_grad(theta, X, y, need_grad=False)
        return -(lml + self._log_prior(theta)[0]) / X.shape[0]

    def _optimize(self, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        n, d = X.shape
        bounds = self._bounds(d)
        nfev = 0

        def run(theta0, Xr, yr, maxiter):
            nonlocal nfev
            res = self._run_lbfgs(theta0, Xr, yr, maxiter)
            nfev += int(res.nfev)
            ok = np.isfinite(res.fun)
            return (np.array(res.x), float(res.fun)) if ok else (None, math.inf)

        start = self.theta if self.theta is not None and self.theta.shape[0] == d + 2 else None
        if start is None and self._theta_hint is not None and self._theta_hint.shape[0] == d + 2:
            start = self._theta_hint
        self._theta_hint = None
        warm = self.warm_start and start is not None
        best_theta, best_f = None, math.inf
        if warm:
            best_theta, best_f = run(self._clip(start, bounds), X, y, _MAXITER_WARM)
            restart = (
                best_theta is None
                or self._fits_since_restart + 1 >= self.restart_every
                or (self._prev_obj is not None and best_f > self._prev_obj + _BAD_JUMP_PER_POINT)
            )
        else:
            restart = True

        if restart:
            starts = [] if warm else [self._default_theta(d)]
            starts.extend(self._random_theta(d) for _ in range(self.n_restarts))
            # Multi-start on a random subset when n is large: finding the basin
            # needs far fewer points than polishing inside it.
            if n > _RESTART_SUBSET:
                idx = np.sort(self._rng.choice(n, _RESTART_SUBSET, replace=False))
                Xr, yr = np.ascontiguousarray(X[idx]), y[idx]
            else:
                Xr, yr = X, y
            cand_theta, cand_f = None, math.inf
            for th0 in starts:
                th, f = run(th0, Xr, yr, _MAXITER_COLD)
                if f < cand_f:
                    cand_theta, cand_f = th, f
            if cand_theta is not None:
                if Xr is X:
                    if cand_f < best_f:
                        best_theta, best_f = cand_theta, cand_f
                else:
                    # Polish on the full data only if the subset winner is
                    # promising (always on a cold fit: nothing to compare to).
                    promising = best_theta is None
                    if not promising:
                        nfev += 1
                        promising = self._value(cand_theta, X, y) < best_f
                    if promising:
                        th, f = run(cand_theta, X, y, _MAXITER_COLD)
                        if f < best_f:
                            best_theta, best_f = th, f
        if best_theta is None:
            # Every run returned a non-finite objective; fall back to a sane default.
            best_theta = self._default_theta(d)
            best_f = math.inf
        self.last_fit_nfev = nfev
        self.last_fit_restarted = restart
        self._fits_since_restart = 0 if restart else self._fits_since_restart + 1
        self._prev_obj = best_f if math.isfinite(best_f) else None
        self._work.clear()  # the next fit almost always has a different n
        return best_theta

    # ------------------------------------------------------------------ #
    # Fit / condition
    # ------------------------------------------------------------------ #
    def fit(
        self, X: np.ndarray, y: np.ndarray, refit_hyperparameters: bool | None = None
    ) -> GaussianProcess:
        """Fit to X: (n, d) in [0, 1], y: (n,) finite.

        Standardises y, fits θ by MAP (L-BFGS-B on the analytic gradient;
        warm-started from the previous optimum when available) and factorises
        K_y. Rows of X containing NaN/inf are dropped with a warning.

        ``refit_hyperparameters``: None (default) follows the refit schedule
        (see ``refit_min_n``/``refit_growth``): when no refit is due θ is
        kept, y is standardised afresh and, if X starts with the previously
        fitted rows (the usual case: new observations are appended), the
        Cholesky factor is extended by a block update in O(n² k) for k new
        rows, else refactorised once. True always refits θ. False (requires
        a previous fit with the same d) keeps θ **and** the standardisation
        constants and only replaces the data.
        """
        X = self._check_X(X)
        y = self._check_y(y, X.shape[0])
        ok = np.all(np.isfinite(X), axis=1)
        if not ok.all():
            X, y = np.ascontiguousarray(X[ok]), y[ok]
        if X.shape[0] == 0:
            raise ValueError("need at least one observation with finite inputs")
        with blas_threads_for(X.shape[0]):
            return self._fit(X, y, refit_hyperparameters)

    def _refit_due(self, n: int) -> bool:
        """Refit schedule: refit below refit_min_n points, after growth by refit_growth, or if data shrank."""
        if self.refit_growth <= 0.0 or n < self.refit_min_n or n < self._n_at_refit:
            return True
        # Counted in whole points (0.1 * 90 is 9.000000000000002 in floating point).
        return n - self._n_at_refit >= max(1, math.ceil(self.refit_growth * self._n_at_refit - 1e-9))

    def _fit(self, X: np.ndarray, y: np.ndarray, refit_hyperparameters: bool | None) -> GaussianProcess:
        d = X.shape[1]
        same_d = self.theta is not None and self.theta.shape[0] == d + 2 and self._X is not None
        if refit_hyperparameters is False:
            if not same_d:
                raise ValueError("refit_hyperparameters=False needs a previous fit with the same dimension")
            self._update_data(X, self.standardize(y))
            return self
        self._set_standardization(y)
        y_s = (y / self._y_scale - self._y_mean_s) / self._y_std_s
        if refit_hyperparameters is None and same_d and not self._refit_due(X.shape[0]):
            self.last_fit_nfev, self.last_fit_restarted = 0, False
            self._update_data(X, y_s)
            return self
        self._factor_source, self._last_factor = X, None
        try:
            self.theta = self._optimize(X, y_s)
        finally:
            self._factor_source = None
        self.n_fits += 1
        self._n_at_refit = X.shape[0]
        self.last_fit_kind = "refit"
        cached, self._last_factor = self._last_factor, None
        if cached is not None and np.array_equal(cached[0], self.theta):
            self._U, self._alpha, self._jitter = cached[1], cached[2], cached[3]
            self._X, self._y_std_units = X, y_s
            return self
        self._set_data(X, y_s)
        return self

    def _set_data(self, X: np.ndarray, y_s: np.ndarray) -> None:
        d = X.shape[1]
        ls = np.exp(self.theta[:d])
        self._U, self._jitter = self._factorize(X, ls, math.exp(self.theta[d]), math.exp(self.theta[d + 1]))
        self._alpha = cho_solve((self._U, False), y_s, check_finite=False)
        self._X = X
        self._y_std_units = y_s

    def _update_data(self, X: np.ndarray, y_s: np.ndarray) -> None:
        """Install (X, ỹ) with θ unchanged, reusing the current factor where possible.

        The upper Cholesky factor of a leading principal block of K_y is the
        leading block of U, so if the first p rows of X equal the first p
        previously fitted rows, U[:p, :p] is kept and only the k = n − p new
        rows are factorised (see :meth:`_extend_factor`): O(n² k) instead of
        O(n³/3). Otherwise (or if the update fails) K_y is factorised afresh.
        """
        old = self._X
        n = X.shape[0]
        m = min(n, old.shape[0])
        same = np.all(old[:m] == X[:m], axis=1)
        p = m if same.all() else int(np.argmin(same))
        U = None
        if p == n:
            U = self._U if p == old.shape[0] else np.array(self._U[:p, :p], order="F")
        elif 0 < p and n - p <= p:
            U11 = self._U if p == old.shape[0] else np.array(self._U[:p, :p], order="F")
            U = self._extend_factor(U11, X[:p], X[p:])
        if U is None:
            self.last_fit_kind = "refactor"
            self._set_data(X, y_s)
            return
        self.last_fit_kind = "extend"
        self._U = U
        self._alpha = cho_solve((U, False), y_s, check_finite=False)
        self._X = X
        self._y_std_units = y_s

    def _extend_factor(self, U11: np.ndarray, X1: np.ndarray, X2: np.ndarray) -> np.ndarray | None:
        """Upper factor of K_y([X1; X2]) given U11, that of K_y(X1); None if not positive definite.

        U11: (n, n) Fortran-ordered; X1: (n, d); X2: (p, d). With
        U11ᵀ U12 = K12 and U22ᵀ U22 = K22 + (σ²_n + jitter) I − U12ᵀ U12 the
        factor is [[U11, U12], [0, U22]]: O(n² p + n p² + p³), the jitter of
        the current factor reused for the new diagonal.
        """
        n, p = X1.shape[0], X2.shape[0]
        ls = self.lengthscales
        sf2, sn2 = self.signal_variance, self.noise_variance
        K12 = _k.cross_covariance(X1, X2, ls, sf2, self.kernel)  # (n, p)
        K22 = _k.kernel_matrix(X2, ls, sf2, self.kernel)
        K22[np.diag_indices(p)] += sn2 + self._jitter
        U12 = solve_triangular(U11, K12, trans="T", lower=False, check_finite=False)
        U22, info = dpotrf(K22 - U12.T @ U12, lower=0, clean=1)
        if info != 0:
            return None
        U = np.zeros((n + p, n + p), order="F")
        U[:n, :n] = U11
        U[:n, n:] = U12
        U[n:, n:] = U22
        return U

    def condition_on(self, X_new: np.ndarray, y_new: np.ndarray | None = None) -> GaussianProcess:
        """New GP with (X_new, y_new) appended, hyperparameters and
        standardisation unchanged (for pending points / kriging believer).

        X_new: (p, d); y_new: (p,) in original units, or None to use the
        current posterior mean (kriging believer). The Cholesky factor is
        extended by a block update in O(n² p) instead of refactorised; a full
        refactorisation with jitter is the fallback. ``self`` is not modified.
        """
        self._require_fitted()
        X_new = self._check_X(X_new, "X_new")
        d = self._X.shape[1]
        if X_new.shape[1] != d:
            raise ValueError(f"X_new must have {d} columns; got {X_new.shape[1]}")
        if not np.all(np.isfinite(X_new)):
            raise ValueError("X_new must be finite")
        p = X_new.shape[0]
        with blas_threads_for(self._X.shape[0] + p):
            return self._condition_on(X_new, y_new, p)

    def _condition_on(self, X_new: np.ndarray, y_new, p: int) -> GaussianProcess:
        if y_new is None:
            y_new_s = self.predict_standardized(X_new)[0]
        else:
            y_new_s = self.standardize(self._check_y(y_new, p))
        new = copy.copy(self)
        new._rng = copy.deepcopy(self._rng)
        new._work = {}
        if p == 0:
            return new
        X_all = np.ascontiguousarray(np.vstack([self._X, X_new]))
        y_all = np.concatenate([self._y_std_units, y_new_s])
        U = self._extend_factor(self._U, self._X, X_new)
        if U is None:
            new._set_data(X_all, y_all)
        else:
            new._U = U
            new._alpha = cho_solve((U, False), y_all, check_finite=False)
            new._X = X_all
            new._y_std_units = y_all
        return new

    # ------------------------------------------------------------------ #
    # Prediction
    # ------------------------------------------------------------------ #
    def predict_standardized(self, Xq: np.ndarray, return_grad: bool = False):
        """Posterior of the latent function in standardised units.

        Xq: (m, d). Returns mean (m,), variance (m,) and, if ``return_grad``,
        also d mean/d Xq (m, d) and d variance/d Xq (m, d). Variance is
        floored at 1e-12 (its gradient is 0 where the floor is active).
        """
        self._require_fitted()
        Xq = np.ascontiguousarray(Xq, dtype=np.float64)
        if Xq.ndim != 2 or Xq.shape[1] != self._X.shape[1]:
            raise ValueError(f"Xq must have shape (m, {self._X.shape[1]}); got {Xq.shape}")
        if not math.isfinite(float(np.sum(Xq))) and not np.all(np.isfinite(Xq)):
            warnings.warn("Xq contains NaN or infinite entries", RuntimeWarning, stacklevel=2)
        n, m = self._X.shape[0], Xq.shape[0]
        if m <= _FUSED_MAX_M and m * n * n <= _FUSED_MAX_WORK:
            # A few points (an L-BFGS-B step of the acquisition search): one compiled pass
            # (kernels.posterior, no BLAS) instead of five library calls whose fixed costs
            # dominate at this size.
            return self._predict_fused(Xq, return_grad)
        with blas_threads_for(n):
            return self._predict_standardized(Xq, return_grad)

    def _predict_fused(self, Xq: np.ndarray, return_grad: bool):
        # X / ℓ and a C-ordered copy of U (rows contiguous, for the forward substitution) are
        # made once per (X, U) pair, i.e. per fit or factor update, not per call.
        prepared = self._fused_inputs
        if prepared is None or prepared[0] is not self._X or prepared[1] is not self._U:
            inv_ls = 1.0 / self.lengthscales
            prepared = (self._X, self._U, np.ascontiguousarray(self._X * inv_ls), inv_ls,
                        np.ascontiguousarray(self._U))
            self._fused_inputs = prepared
        _, U, Z, inv_ls, U_rows = prepared
        out = _k.posterior_scaled(Xq, Z, inv_ls, self.signal_variance, _k.kernel_code(self.kernel), U, U_rows,
                                  self._alpha, return_grad)
        floored = out[1] < _VAR_FLOOR
        var = np.maximum(out[1], _VAR_FLOOR)
        if not return_grad:
            return out[0], var
        out[3][floored] = 0.0
        return out[0], var, out[2], out[3]

    def _predict_standardized(self, Xq: np.ndarray, return_grad: bool):
        ls, sf2 = self.lengthscales, self.signal_variance
        Ks = _k.cross_covariance(Xq, self._X, ls, sf2, self.kernel)  # (m, n)
        mean = Ks @ self._alpha
        # V = L⁻¹ k*ᵀ via Uᵀ V = k*ᵀ; Ks.T is Fortran-ordered and not needed
        # afterwards, so it is solved in place (no (n, m) copy: 20 MB for a
        # 2500-candidate sweep at n = 1000).
        V = solve_triangular(self._U, Ks.T, trans="T", lower=False, check_finite=False, overwrite_b=True)
        var = sf2 - np.einsum("ij,ij->j", V, V)
        floored = var < _VAR_FLOOR
        var = np.maximum(var, _VAR_FLOOR)
        if not return_grad:
            return mean, var
        # B = K_y⁻¹ k*ᵀ = U⁻¹ V, used as per-query weights for the variance gradient.
        Bt = solve_triangular(self._U, V, lower=False, check_finite=False, overwrite_b=True)  # (n, m)
        dmean, dB = _k.cross_covariance_grad_contract(
            Xq, self._X, ls, sf2, self._alpha, np.ascontiguousarray(Bt.T), self.kernel
        )
        dvar = -2.0 * dB
        dvar[floored] = 0.0
        return mean, var, dmean, dvar

    def sample_posterior(self, Xq: np.ndarray, rng: np.random.Generator, n_samples: int = 1) -> np.ndarray:
        """Joint draws of the latent function at Xq: (m, d), in standardised units: (n_samples, m).

        Uses the full posterior covariance K(Xq, Xq) − VᵀV (V = U⁻ᵀ K(X, Xq)), factorised with a
        jitter that starts at 1e-10·σ²_f and grows ×10 until it is positive definite; O(m³), so
        meant for a few thousand points at most. Used for Thompson sampling.
        """
        self._require_fitted()
        Xq = self._check_X(Xq, "Xq")
        if Xq.shape[1] != self._X.shape[1]:
            raise ValueError(f"Xq must have shape (m, {self._X.shape[1]}); got {Xq.shape}")
        if not np.all(np.isfinite(Xq)):
            raise ValueError("Xq must be finite")
        ls, sf2 = self.lengthscales, self.signal_variance
        with blas_threads_for(self._X.shape[0]):
            Ks = _k.cross_covariance(self._X, Xq, ls, sf2, self.kernel)  # (n, m)
            mean = Ks.T @ self._alpha
            V = solve_triangular(self._U, Ks, trans="T", lower=False, check_finite=False, overwrite_b=True)
            cov = _k.kernel_matrix(Xq, ls, sf2, self.kernel)
            cov -= V.T @ V
            diag = cov.reshape(-1)[:: cov.shape[0] + 1]
            jitter = 1e-10 * sf2
            for _ in range(12):
                diag += jitter
                L, info = dpotrf(cov, lower=1, clean=1, overwrite_a=0)
                if info == 0:
                    break
                diag -= jitter
                jitter *= 10.0
            else:
                raise np.linalg.LinAlgError("posterior covariance is not positive definite")
            z = rng.standard_normal((Xq.shape[0], int(n_samples)))
            return (mean[:, None] + L @ z).T

    def predict(self, Xq: np.ndarray, return_grad: bool = False):
        """Posterior of the latent function in original y units.

        Xq: (m, d). Returns mean (m,), variance (m,) [and their gradients
        w.r.t. Xq, each (m, d), if ``return_grad``]. For astronomically large
        y (|y| ~ 1e300) the variance may overflow to inf in original units;
        use :meth:`predict_standardized` in that regime.
        """
        out = self.predict_standardized(Xq, return_grad)
        s = self.y_std
        mean = out[0] * s + self.y_mean
        var = out[1] * (s * s)
        if not return_grad:
            return mean, var
        return mean, var, out[2] * s, out[3] * (s * s)
