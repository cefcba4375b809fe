"""What counts as a real number where a user hands one to hpcore: an objective's value
(`hpcore.execution.parse_value`) and a reported intermediate value (`checked_report`)."""

from __future__ import annotations

import decimal
import numbers
from typing import Any

import numpy as np

__all__ = ["MAX_STEP", "checked_report", "describe", "is_real_number"]

#: Steps are stored as SQLite integers (64-bit) and sent to the driver as such.
MAX_STEP = 2**63 - 1


def is_real_number(x: Any) -> bool:
    """Whether `x` is a real number: not a bool, None, text or bytes (which `float()` would
    parse), nor a complex number (whose imaginary part `float()` would drop or refuse)."""
    if x is None or isinstance(x, (bool, np.bool_, str, bytes, bytearray, memoryview)):
        return False
    if isinstance(x, (complex, np.complexfloating)):
        return False
    if isinstance(x, (numbers.Real, decimal.Decimal, np.integer, np.floating)):
        return True
    return hasattr(type(x), "__float__")  # a scalar tensor and the like


def describe(x: Any) -> str:
    """`type value` for an error message, short even for a 400-digit integer."""
    if isinstance(x, int) and x.bit_length() > 128:
        return f"an integer of {x.bit_length()} bits"
    try:
        text = repr(x)
    except Exception:  # a broken __repr__
        text = "<unprintable>"
    return f"{type(x).__name__} {text:.80}"


def real_float(x: Any) -> float:
    """float(x) of a real number x (a one-element NumPy array counts as its element).
    Raises TypeError (with the reason) if x is not a real number (strings, bytes, complex,
    booleans, None), OverflowError if it is too large for a float (``10**400``)."""
    if isinstance(x, np.ndarray) and x.size == 1:
        x = x.reshape(())[()]
    if not is_real_number(x):
        raise TypeError("not a real number")
    try:
        return float(x)
    except OverflowError:
        raise
    except (TypeError, ValueError) as e:
        raise TypeError(f"not a real number ({e})") from None


def checked_report(value: Any, step: Any) -> tuple[float, int]:
    """`report(value, step)`'s arguments as (float, int), checked before anything is stored.

    value: a real number (a Python or NumPy number, an array or tensor holding one); NaN and
        ±inf are kept as given (every pruner then prunes the trial). A bool, None, a string
        (even "0.5") or a complex number is a `TypeError` naming it; an integer too large for a
        float (``10**400``) a `ValueError`.
    step: an integer from 0 to 2**63 - 1 (a NumPy integer too); a bool or a float (even 2.0)
        is a `TypeError`, a negative or too large one a `ValueError`. Whether it follows the
        trial's previous steps is the storage's check.
    """
    if isinstance(step, bool) or not isinstance(step, numbers.Integral):
        raise TypeError(f"report(value, step): step must be an integer >= 0 (epoch, iteration...), got "
                        f"{describe(step)}")
    step = int(step)
    if not 0 <= step <= MAX_STEP:
        raise ValueError(f"report(value, step): step must be an integer from 0 to 2**63 - 1, got {step}")
    try:
        number = real_float(value)
    except OverflowError:
        raise ValueError(f"report(value, step): value {describe(value)} is too large for a float") from None
    except TypeError as e:
        detail = str(e).removeprefix("not a real number")
        raise TypeError(f"report(value, step): value must be a real number, got {describe(value)}{detail}") from None
    return number, step
