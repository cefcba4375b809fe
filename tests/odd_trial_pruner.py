"""A pruner for adapter tests whose decisions are known in advance."""

from typing import Any

import hpcore


class OddTrialsFromStep(hpcore.Pruner):
    """Prunes trials with an odd id once they have reported step `step` (or a later one)."""

    name = "odd_trials_from_step"

    def __init__(self, step: int) -> None:
        self.step = step

    def decide(self, trial, trials, direction, latest, previous) -> bool:
        return trial.id % 2 == 1 and latest >= self.step

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "step": self.step}
