"""Pruning from inside `model.fit`: a Keras callback that reports a metric every epoch and stops
the fit when the study's pruner says so.

    def objective(params, trial):                      # trial: the hpcore.RunningTrial handle
        model = make_model(params)
        model.fit(x, y, validation_data=(xv, yv), epochs=20, verbose=0,
                  callbacks=[PruningCallback(trial, monitor="val_loss")])
        return model.evaluate(xv, yv, verbose=0)[0]

    study = hpcore.Study(space, pruner=hpcore.MedianPruner(warmup_steps=2))
    study.optimize(objective, n_trials=30)

The step of a report is the number of epochs trained so far (1 after the first epoch, as a
Hyperband budget counts epochs), so `warmup_steps`, rungs and `min_resource` are in epochs.
The Keras tuners (`Tuner(..., pruner=...)`) use the same callback on the objective's metric.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import keras
from hpcore.adapters.keras.objective import Objective

from hpcore.errors import TrialPruned
from hpcore.trial import Trial

__all__ = ["AskedTrial", "PruningCallback", "ReportingTrial"]


class ReportingTrial(Protocol):
    """What `PruningCallback` reports to: an objective's `hpcore.RunningTrial`, or `AskedTrial`."""

    def report(self, value: float, step: int) -> None: ...

    def should_prune(self) -> bool: ...


class AskedTrial:
    """A trial from `Study.ask()` as a `ReportingTrial`: its reports and pruning questions go to
    the study (`Study.report`, `Study.should_prune`). The caller tells the trial when it ends."""

    def __init__(self, study: Any, trial: Trial) -> None:
        self.study, self.trial = study, trial

    @property
    def id(self) -> int:
        return self.trial.id

    def report(self, value: float, step: int) -> None:
        self.study.report(self.trial, value, step)

    def should_prune(self) -> bool:
        return self.study.should_prune(self.trial)


class PruningCallback(keras.callbacks.Callback):
    """Reports `monitor` to `trial` at the end of every epoch and stops a fit the pruner prunes.

    trial: the `trial` argument of an objective (`hpcore.RunningTrial`), or anything with
        `report(value, step)` and `should_prune()`.
    monitor: the metric to report, a key of Keras's epoch logs ("val_loss", "val_accuracy"...),
        or a `kt.Objective` (a list objective reports its sum). Its direction must be the
        study's: report a loss to a "minimize" study, an accuracy to a "maximize" one.
    raise_pruned: True (default): a pruned fit raises `hpcore.TrialPruned` as it ends (after
        every callback's epoch end, from `on_train_end`), so the objective stops there and the
        trial ends PRUNED with its last reported value. False: the fit only stops early; the
        caller reads `pruned` and ends the trial itself (the Keras tuners do so).

    The step is the number of epochs trained (`epoch + 1`; a fit with `initial_epoch=3` first
    reports step 4). An epoch whose logs lack a validation metric because Keras did not validate
    then (`validation_freq` > 1) reports nothing; a metric missing otherwise is a `ValueError`
    naming it and the metrics there are. After the fit, `pruned` says whether it was pruned
    and `pruned_epoch` at which epoch (1-based).
    """

    def __init__(self, trial: ReportingTrial, monitor: str | Objective = "val_loss", *,
                 raise_pruned: bool = True) -> None:
        super().__init__()
        if not (callable(getattr(trial, "report", None)) and callable(getattr(trial, "should_prune", None))):
            raise TypeError(f"PruningCallback: trial must have report(value, step) and should_prune() (the trial "
                            f"argument of an objective, hpcore.RunningTrial), got {type(trial).__name__}")
        if not isinstance(monitor, Objective) and not (isinstance(monitor, str) and monitor):
            raise ValueError(f"PruningCallback: monitor must be a metric name or a kt.Objective, got {monitor!r}")
        self.trial = trial
        self.monitor = monitor
        self.raise_pruned = bool(raise_pruned)
        self.pruned = False
        self.pruned_epoch: int | None = None
        self._epochs = self._reported = 0  # in the current fit

    def _names(self) -> list[str]:
        objectives = getattr(self.monitor, "objectives", None)
        if objectives:  # a MultiObjective: the metrics it sums
            return [o.name for o in objectives]
        return [self.monitor.name if isinstance(self.monitor, Objective) else self.monitor]

    def _value(self, logs: Mapping[str, Any]) -> float | None:
        """The monitored value in one epoch's logs; None when Keras did not validate this epoch."""
        try:
            if isinstance(self.monitor, Objective):
                return self.monitor.value_of(logs)
            return float(logs[self.monitor])
        except KeyError:
            validated = any(k.startswith("val_") for k in logs)
            if not validated and all(n.startswith("val_") for n in self._names()):
                return None
            names = self._names()
            hint = "" if validated else " (for validation metrics pass validation_data= or validation_split=)"
            raise ValueError(f"PruningCallback: monitor {names[0] if len(names) == 1 else names!r} is not among "
                             f"the epoch's metrics {sorted(logs)}{hint}") from None

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        self.pruned, self.pruned_epoch = False, None
        self._epochs = self._reported = 0

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        self._epochs += 1
        value = self._value(dict(logs or {}))
        if value is None:
            return
        self.trial.report(value, epoch + 1)
        self._reported += 1
        if self.trial.should_prune():
            self.pruned, self.pruned_epoch = True, epoch + 1
            self.model.stop_training = True

    def on_train_end(self, logs: Mapping[str, Any] | None = None) -> None:
        if self._epochs and not self._reported:  # only when validation never ran (else on_epoch_end raised)
            raise ValueError(f"PruningCallback: the fit ended without a single {self._names()[0]!r} to report: "
                             "pass validation_data= or validation_split= to fit")
        if self.pruned and self.raise_pruned:
            trial_id = getattr(self.trial, "id", None)
            which = "" if trial_id is None else f"trial {trial_id} "
            raise TrialPruned(f"{which}pruned at epoch {self.pruned_epoch}")
