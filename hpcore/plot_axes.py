"""Axis choices for the PNG plots: readable ticks on log axes, a value range that a few very bad
trials do not set, and the value axis's label.

These are decisions, not drawing: `log_ticks` and `value_window` are pure functions of numbers
(tested without a figure), and `set_log_ticks` / `apply_value_window` put them on a matplotlib
axis. matplotlib is imported only inside the functions that take an axis.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["MAX_TICKS", "ValueWindow", "apply_value_window", "log_ticks", "set_log_ticks", "tick_text",
           "tick_texts", "value_label", "value_window"]

#: Most major tick labels on one axis: more overlap at the figure sizes used.
MAX_TICKS = 8

#: Values this many times their window's spread beyond the best are cut off the value axis.
TAIL_SPREADS = 4.0


# -- log axes -----------------------------------------------------------------------------------------------
def _decade_ticks(low: float, high: float, subs: Sequence[float], every: int = 1) -> list[float]:
    """`sub * 10**k` within [low, high] for every `every`-th decade k."""
    out = []
    for k in range(math.floor(math.log10(low)) - 1, math.ceil(math.log10(high)) + 1):
        if k % every:
            continue
        for s in subs:
            v = s * 10.0 ** k
            if low * (1 - 1e-9) <= v <= high * (1 + 1e-9):
                out.append(float(f"{v:.12g}"))  # 3 * 10**-1 is 0.30000000000000004
    return out


def _linear_ticks(low: float, high: float, integer: bool) -> list[float]:
    """Round-number ticks for a range under a decade, where decade ticks would give one or two."""
    span = high - low
    raw = span / 5
    mag = 10.0 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    if integer:
        step = max(1.0, round(step))
    start = math.ceil(low / step) * step
    return [float(f"{v:.12g}") for v in np.arange(start, high + step * 1e-9, step)]


def _is_power_of_two(x: float) -> bool:
    return x >= 1 and float(x).is_integer() and int(x) & (int(x) - 1) == 0


def log_ticks(low: float, high: float, integer: bool = False, max_ticks: int = MAX_TICKS) -> list[float]:
    """Major tick positions for a log axis over the values `low`..`high` (0 < low < high):
    round numbers within the range, at most `max_ticks` of them, so the labels never overlap.

    Powers of two for an integer range bounded by powers of two (16..512: 16, 32, ..., 512;
    every other power when there are too many); otherwise 1-2-5 per decade, 1-3, every decade,
    then every n-th decade as the range grows; round linear steps for a range under about a
    decade, where decade ticks would leave one or two labels (16..64: 20, 30, ..., 60).
    """
    if not (0 < low < high) or not math.isfinite(high):
        raise ValueError(f"log_ticks needs 0 < low < high, got low={low!r}, high={high!r}")
    if integer and _is_power_of_two(low) and _is_power_of_two(high):
        k0, k1 = round(math.log2(low)), round(math.log2(high))
        every = math.ceil((k1 - k0 + 1) / max_ticks)
        if (k1 - k0) // every >= 2:
            return [2.0 ** k for k in range(k0, k1 + 1, every)]
    ticks: list[float] = []
    for subs in ((1.0, 2.0, 5.0), (1.0, 3.0), (1.0,)):
        ticks = _decade_ticks(low, high, subs)
        if len(ticks) <= max_ticks:
            break
    else:  # many decades: every n-th
        every = math.ceil(math.log10(high / low) / max(max_ticks - 1, 1))
        ticks = _decade_ticks(low, high, (1.0,), every)
    if len(ticks) < 3:
        linear = [t for t in _linear_ticks(low, high, integer) if t > 0]
        if len(linear) > len(ticks):
            ticks = linear[:max_ticks]
    return ticks


def tick_text(value: float, integer: bool = False) -> str:
    """A short label for a tick: "512", "1,024", "0.001", "1e-05"."""
    if integer and abs(value) < 1e6:
        return f"{value:,.0f}"
    return f"{value:g}"


def tick_texts(ticks: Sequence[float], integer: bool = False) -> list[str]:
    """Labels of a log axis's ticks: `tick_text` each, or powers of ten written as such
    ("10^-8" in mathtext) when the ticks are whole decades spanning four or more."""
    exponents = [math.log10(t) for t in ticks]
    decades = not integer and len(ticks) >= 3 and all(abs(e - round(e)) < 1e-9 for e in exponents) \
        and exponents[-1] - exponents[0] >= 4
    if decades:
        return [f"$10^{{{round(e)}}}$" for e in exponents]
    return [tick_text(t, integer) for t in ticks]


def set_log_ticks(axis: Any, low: float, high: float, integer: bool = False, pad: float = 0.0) -> None:
    """Log scale on a matplotlib `axis` (e.g. `ax.xaxis`) for values `low`..`high`, viewed with
    a margin of `pad` (a fraction of the range in log units), labelled at `log_ticks` and with
    unlabelled minor ticks (minor labels are what overlapped: "2x10^1 3x10^1 4x10^1")."""
    from matplotlib.ticker import FixedFormatter, FixedLocator, LogLocator, NullFormatter

    ax = axis.axes
    f = (high / low) ** pad
    if axis is ax.xaxis:
        ax.set_xscale("log")
        ax.set_xlim(low / f, high * f)
    else:
        ax.set_yscale("log")
        ax.set_ylim(low / f, high * f)
    ticks = log_ticks(low, high, integer)
    axis.set_major_locator(FixedLocator(ticks))
    axis.set_major_formatter(FixedFormatter(tick_texts(ticks, integer)))
    axis.set_minor_locator(LogLocator(base=10.0, subs=tuple(range(2, 10))))
    axis.set_minor_formatter(NullFormatter())


# -- the value axis -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ValueWindow:
    """Limits of a value axis: `low`..`high` (log scale when `log`), and how many values lie
    outside (cut off as far worse than the rest)."""

    low: float
    high: float
    outside: int
    log: bool = False


def _far_worse(losses: np.ndarray) -> np.ndarray:
    """Mask of the losses (shape (n,)) far worse than the rest: more than `TAIL_SPREADS` spreads
    beyond the best, the spread being the best's distance to the 90th percentile (taken as an
    observed value, so that with a handful of trials the worst one is not part of it)."""
    out = np.zeros(len(losses), dtype=bool)
    if len(losses) >= 3:
        best = float(losses.min())
        spread = float(np.quantile(losses, 0.9, method="lower")) - best
        if spread > 0:
            out = losses > best + TAIL_SPREADS * spread
    return out


def value_window(values: np.ndarray, direction: str) -> ValueWindow:
    """Axis limits for objective values (shape (n,), any n >= 1) that very bad values do not set.

    Values far worse than the rest (`_far_worse`) are left outside the window and counted. When
    the values are positive and what is kept spans three decades or more (judged in log units,
    where a regret that keeps improving by orders of magnitude is spread evenly), the window is
    on a log scale, so the best-so-far curve stays visible down to the best value.
    """
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if not len(values):
        return ValueWindow(-1.0, 1.0, 0)
    sign = 1.0 if direction == "minimize" else -1.0
    if values.min() > 0:
        logs = np.log10(values)
        kept = values[~_far_worse(sign * logs)]
        if kept.max() / kept.min() >= 1e3:
            f = (kept.max() / kept.min()) ** 0.06
            return ValueWindow(float(kept.min()) / f, float(kept.max()) * f, len(values) - len(kept), log=True)
    kept = values[~_far_worse(sign * values)]
    lo, hi = float(kept.min()), float(kept.max())
    pad = 0.08 * max(hi - lo, abs(hi) * 1e-6, 1e-12)  # room for a star marker at the best value
    return ValueWindow(lo - pad, hi + pad, len(values) - len(kept))


def apply_value_window(ax: Any, window: ValueWindow, axis: str = "y") -> None:
    """Put `window` on `ax`'s value axis ("x" or "y")."""
    target = ax.yaxis if axis == "y" else ax.xaxis
    if window.log:
        set_log_ticks(target, window.low, window.high)
    elif axis == "y":
        ax.set_ylim(window.low, window.high)
    else:
        ax.set_xlim(window.low, window.high)


def value_label(metric: str | None, direction: str) -> str:
    """The value axis's label: the metric's name when known, and which way is better."""
    way = "lower is better" if direction == "minimize" else "higher is better"
    return f"{metric or 'value'} ({way})"
