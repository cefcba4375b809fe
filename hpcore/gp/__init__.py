"""Gaussian-process mathematics for hpcore: kernels, GP regression, acquisitions.

Pure array code on the unit cube; knows nothing about search spaces.
"""

from .acquisition import (
    expected_improvement,
    log_expected_improvement,
    log_probability_of_improvement,
    lower_confidence_bound,
    upper_confidence_bound,
)
from .model import GaussianProcess, configure_threads

__all__ = [
    "GaussianProcess",
    "configure_threads",
    "expected_improvement",
    "log_expected_improvement",
    "log_probability_of_improvement",
    "lower_confidence_bound",
    "upper_confidence_bound",
]
