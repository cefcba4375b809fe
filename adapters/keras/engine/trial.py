"""KerasTuner's `Trial` as a read-only view of an hpcore trial (what `tuner.oracle.trials` holds),
and the object handed to a `Tuner.run_trial` override.

    trial.trial_id, trial.hyperparameters (.values, .get), trial.score, trial.status,
    trial.metrics.get_best_value("val_loss"), trial.summary()

As in KerasTuner, a trial's metrics are those of the best epoch of the objective, averaged over
executions (one value per metric); `get_history(name)` gives that value in a list.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hpcore.adapters.keras.hyperparameters import HyperParameters

__all__ = ["MetricsTracker", "Trial", "TrialStatus", "best_epoch_metrics"]


class TrialStatus:
    """KerasTuner's status strings. hpcore's COMPLETE is "COMPLETED", every failure is "FAILED"
    (KerasTuner says "INVALID" for errors other than `FailedTrialError`), WAITING is "IDLE",
    PRUNED (stopped early by a pruner) is "STOPPED"."""

    RUNNING = "RUNNING"
    IDLE = "IDLE"
    INVALID = "INVALID"
    STOPPED = "STOPPED"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"


_STATUS = {"COMPLETE": TrialStatus.COMPLETED, "FAILED": TrialStatus.FAILED, "RUNNING": TrialStatus.RUNNING,
           "WAITING": TrialStatus.IDLE, "PRUNED": TrialStatus.STOPPED}


def _as_list(x: Any) -> list:
    return list(x) if isinstance(x, list) else [x]


def best_epoch_metrics(user_attrs: Mapping[str, Any]) -> dict[str, float]:
    """Each metric at the objective's best epoch, averaged over executions, from a trial's
    `history`, `epochs` and `best_epoch` user attributes (empty when they are missing)."""
    hist = user_attrs.get("history")
    if not hist:
        return {}
    histories, epochs, bests = _as_list(hist), _as_list(user_attrs.get("epochs")), _as_list(user_attrs.get("best_epoch"))
    sums: dict[str, list[float]] = {}
    for k, h in enumerate(histories):
        ep = epochs[k] if k < len(epochs) and isinstance(epochs[k], list) else []
        best = bests[k] if k < len(bests) else None
        i = ep.index(best) if best in ep else None
        for name, vals in h.items():
            if vals:
                sums.setdefault(name, []).append(vals[i] if i is not None and i < len(vals) else vals[-1])
    return {name: sum(v) / len(v) for name, v in sums.items()}


class MetricsTracker:
    """The metrics of one trial: one value each (see the module docstring)."""

    def __init__(self, values: Mapping[str, float]) -> None:
        self._values = dict(values)

    @property
    def metrics(self) -> dict[str, float]:
        """Metric name -> value."""
        return dict(self._values)

    def exists(self, name: str) -> bool:
        return name in self._values

    def get_best_value(self, name: str) -> float | None:
        """The metric's value (None when the trial has no such metric)."""
        return self._values.get(name)

    def get_last_value(self, name: str) -> float | None:
        return self._values.get(name)

    def get_history(self, name: str) -> list[float]:
        return [self._values[name]] if name in self._values else []


class Trial:
    """A trial as KerasTuner shows it (see the module docstring)."""

    def __init__(self, hyperparameters: HyperParameters, trial_id: int, status: str = TrialStatus.RUNNING,
                 score: float | None = None, metrics: Mapping[str, float] | None = None,
                 message: str | None = None, best_step: int | None = None) -> None:
        self.hyperparameters = hyperparameters
        self.trial_id = trial_id
        self.status = status
        self.score = score
        self.metrics = MetricsTracker(metrics or {})
        self.message = message
        self.best_step = best_step

    @classmethod
    def from_core(cls, trial: Any, hyperparameters: HyperParameters, objective_name: str) -> Trial:
        """The view of an hpcore `Trial` (`hyperparameters` holds its values)."""
        metrics = best_epoch_metrics(trial.user_attrs)
        if trial.value is not None:
            metrics[objective_name] = float(trial.value)  # the trial's value is the objective's
        best = trial.user_attrs.get("best_epoch")
        return cls(hyperparameters, trial.id, _STATUS.get(str(trial.state), str(trial.state)),
                   score=trial.value, metrics=metrics, message=trial.error,
                   best_step=best - 1 if isinstance(best, int) else None)

    def display_hyperparameters(self) -> None:
        values = self.hyperparameters.all_values()
        if not values:
            print("default configuration")
        for name, value in values.items():
            print(f"{name}:", value)

    def summary(self) -> None:
        """Print the trial as KerasTuner's `results_summary` does."""
        print(f"Trial {self.trial_id} summary")
        print("Hyperparameters:")
        self.display_hyperparameters()
        if self.score is not None:
            print(f"Score: {self.score}")
        if self.message is not None:
            print(self.message)

    def __repr__(self) -> str:
        return f"Trial(trial_id={self.trial_id!r}, status={self.status!r}, score={self.score!r})"
