"""Acquisition functions of a Gaussian posterior, with gradients w.r.t. (μ, σ).

Notation
--------
μ      posterior mean, any shape (broadcast with σ and best)
σ      posterior standard deviation (> 0; floored at 1e-30)
best   incumbent value y*
z      standardised improvement: (y* − μ)/σ when minimising, (μ − y*)/σ when
       maximising; z → −∞ means "no hope of improving"
φ, Φ   standard normal pdf and cdf
h(z)   φ(z) + z Φ(z), so that EI = σ h(z)

Each function returns the value, or with ``return_grad=True`` the tuple
(value, ∂value/∂μ, ∂value/∂σ) with the broadcast shape. Chain to inputs x with
∂a/∂x = ∂a/∂μ ∂μ/∂x + ∂a/∂σ ∂var/∂x / (2σ); :func:`chain_to_inputs` does this.

Stable log h(z) (log-EI for tiny improvements): with x = −z > 0,
    h(z) = φ(z) [1 − √(π/2) x erfcx(x/√2)],
so log h = −z²/2 − ½ log 2π + log1p(−√(π/2) x erfcx(x/√2)) for z ≤ −1; the
bracket suffers cancellation of relative size ε z², so for z < −100 the
asymptotic series  1 − … = u − 3u² + 15u³ − 105u⁴ + 945u⁵,  u = 1/z²,  is used
(truncation error ~1e4 u⁵ relative, < 1e-15 there). Gradients use
d log h/dz = Φ(z)/h(z) = exp(log Φ(z) − log h(z)), stable via ``log_ndtr``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import erfcx, log_ndtr, ndtr

__all__ = [
    "chain_to_inputs",
    "expected_improvement",
    "log_expected_improvement",
    "log_h",
    "log_probability_of_improvement",
    "lower_confidence_bound",
    "upper_confidence_bound",
]

_HALF_LOG_2PI = 0.5 * math.log(2.0 * math.pi)
_SQRT_HALF_PI = math.sqrt(0.5 * math.pi)
_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_STD_FLOOR = 1e-30
_Z_DIRECT = -1.0  # above: h computed directly (no cancellation to speak of)
_Z_ASYMPTOTIC = -100.0  # below: asymptotic series


def _log_phi(z: np.ndarray) -> np.ndarray:
    return -0.5 * z * z - _HALF_LOG_2PI


def log_h(z: np.ndarray | float) -> np.ndarray:
    """log(φ(z) + z Φ(z)) accurate for all finite z; same shape as z."""
    z = np.asarray(z, dtype=np.float64)
    out = np.empty_like(z)
    direct = z > _Z_DIRECT
    asym = z < _Z_ASYMPTOTIC
    mid = ~(direct | asym)
    zd = z[direct]
    out[direct] = np.log(np.exp(_log_phi(zd)) + zd * ndtr(zd))
    x = -z[mid]
    out[mid] = _log_phi(-x) + np.log1p(-_SQRT_HALF_PI * x * erfcx(x * _INV_SQRT2))
    za = z[asym]
    u = 1.0 / (za * za)
    series = u * (1.0 - 3.0 * u * (1.0 - 5.0 * u * (1.0 - 7.0 * u * (1.0 - 9.0 * u))))
    out[asym] = _log_phi(za) + np.log(series)
    return out


def _z_and_sign(mean, std, best, minimize: bool):
    mean = np.asarray(mean, dtype=np.float64)
    std = np.maximum(np.asarray(std, dtype=np.float64), _STD_FLOOR)
    best = np.asarray(best, dtype=np.float64)
    sgn = 1.0 if minimize else -1.0
    z = sgn * (best - mean) / std
    return mean, std, z, sgn


def log_expected_improvement(mean, std, best, minimize: bool = True, return_grad: bool = False):
    """log E[max(improvement over ``best``, 0)] = log σ + log h(z).

    Finite wherever z is finite (down to z ≈ −1e154), unlike log(EI) which
    underflows near z ≈ −38. Shapes broadcast.
    """
    mean, std, z, sgn = _z_and_sign(mean, std, best, minimize)
    lh = log_h(z)
    val = np.log(std) + lh
    if not return_grad:
        return val
    # Φ/h and φ/h via log-space ratios so they stay finite for z ≪ 0.
    phi_ratio = np.exp(log_ndtr(z) - lh)
    pdf_ratio = np.exp(_log_phi(z) - lh)
    dmean = -sgn * phi_ratio / std
    dstd = pdf_ratio / std
    return val, dmean, dstd


def expected_improvement(mean, std, best, minimize: bool = True, return_grad: bool = False):
    """E[max(improvement over ``best``, 0)] = σ h(z); underflows to 0 for z ≲ −38."""
    mean, std, z, sgn = _z_and_sign(mean, std, best, minimize)
    val = std * np.exp(log_h(z))
    if not return_grad:
        return val
    # ∂(σ h(z))/∂μ = −sgn Φ(z) (since h' = Φ), ∂/∂σ = h − z Φ = φ(z).
    return val, -sgn * ndtr(z), np.exp(_log_phi(z))


def log_probability_of_improvement(mean, std, best, minimize: bool = True, return_grad: bool = False):
    """log P(improvement over ``best``) = log Φ(z), stable for z ≪ 0."""
    mean, std, z, sgn = _z_and_sign(mean, std, best, minimize)
    val = log_ndtr(z)
    if not return_grad:
        return val
    ratio = np.exp(_log_phi(z) - val)  # φ/Φ, the inverse Mills ratio
    return val, -sgn * ratio / std, -ratio * z / std


def upper_confidence_bound(mean, std, beta: float, return_grad: bool = False):
    """μ + √β σ (to maximise when maximising the objective)."""
    return _confidence_bound(mean, std, beta, 1.0, return_grad)


def lower_confidence_bound(mean, std, beta: float, return_grad: bool = False):
    """μ − √β σ (to minimise when minimising the objective)."""
    return _confidence_bound(mean, std, beta, -1.0, return_grad)


def _confidence_bound(mean, std, beta, sign, return_grad):
    if not beta >= 0.0:
        raise ValueError("beta must be >= 0")
    mean = np.asarray(mean, dtype=np.float64)
    std = np.asarray(std, dtype=np.float64)
    c = sign * math.sqrt(beta)
    val = mean + c * std
    if not return_grad:
        return val
    shape = val.shape
    return val, np.ones(shape), np.full(shape, c)


def chain_to_inputs(
    dvalue_dmean: np.ndarray,
    dvalue_dstd: np.ndarray,
    dmean_dx: np.ndarray,
    dvar_dx: np.ndarray,
    std: np.ndarray,
) -> np.ndarray:
    """∂a/∂x: (m, d) from ∂a/∂μ, ∂a/∂σ, σ: (m,) and ∂μ/∂x, ∂var/∂x: (m, d).

    Uses ∂σ/∂x = ∂var/∂x / (2σ).
    """
    std = np.maximum(np.asarray(std, dtype=np.float64), _STD_FLOOR)
    dvalue_dmean = np.asarray(dvalue_dmean, dtype=np.float64)
    dvalue_dstd = np.asarray(dvalue_dstd, dtype=np.float64)
    return dvalue_dmean[:, None] * dmean_dx + (dvalue_dstd / (2.0 * std))[:, None] * dvar_dx
