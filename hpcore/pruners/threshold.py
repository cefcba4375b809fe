"""Pruning on fixed bounds: stop a trial whose reported value leaves [lower, upper]."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hpcore.pruners.base import Pruner, check_int, check_real, in_check_window
from hpcore.trial import Trial

__all__ = ["ThresholdPruner"]


class ThresholdPruner(Pruner):
    """Prunes a trial whose latest report is below `lower` or above `upper`, whatever the
    direction (a loss that went above 10, an accuracy still under 0.2 at epoch 5).

    lower, upper: finite bounds in the unit of the reported values; either may be None (no
      bound on that side), not both; lower <= upper. A value equal to a bound goes on.
    warmup_steps, interval: as for `MedianPruner`: no judgement before step `warmup_steps`,
      then once per window of `interval` steps.
    Like every pruner, it prunes a NaN or infinite report at once, whatever the bounds.
    """

    name = "threshold"

    def __init__(self, lower: float | None = None, upper: float | None = None, warmup_steps: int = 0,
                 interval: int = 1) -> None:
        if lower is None and upper is None:
            raise ValueError("ThresholdPruner needs lower or upper (or both); with neither it would never prune")
        self.lower = None if lower is None else check_real("lower", lower)
        self.upper = None if upper is None else check_real("upper", upper)
        if self.lower is not None and self.upper is not None and self.lower > self.upper:
            raise ValueError(f"lower ({lower!r}) must be <= upper ({upper!r})")
        self.warmup_steps = check_int("warmup_steps", warmup_steps, 0)
        self.interval = check_int("interval", interval, 1)

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "lower": self.lower, "upper": self.upper, "warmup_steps": self.warmup_steps,
                "interval": self.interval}

    def decide(self, trial: Trial, trials: Sequence[Trial], direction: str, latest: int,
               previous: int | None) -> bool:
        if not in_check_window(latest, previous, self.warmup_steps, self.interval):
            return False
        value = trial.intermediate_values[latest]
        return (self.lower is not None and value < self.lower) or (self.upper is not None and value > self.upper)
