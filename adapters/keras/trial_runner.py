"""Running one trial: build, (for Hyperband) restore, fit, read the metrics, checkpoint.

A trial is `executions` independent fits of the same configuration; its value is the mean over
executions of each fit's best-epoch objective (KerasTuner's definition). Per-epoch metrics of
every execution are kept for the trial's user attributes.

A loss that becomes NaN stops the fit at the end of that epoch and fails the trial (its
accuracy may still look finite, but the model is broken).

Steps per execution: Keras calls its compiled training step once per batch, from Python, and
for small models that call costs more than the step itself (0.75 s vs 0.4 s of CPU per MNIST
epoch of a 3x256 MLP at batch size 32). Running several batches per call trains on the same
batches in the same order with the same updates (the weights come out bit-identical), only
batch-level callbacks see fewer calls. So with `steps_per_execution="auto"` a model compiled
with the default of 1 runs `AUTO_STEPS` batches per call, unless a callback given to `search`
observes single batches.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import keras
import numpy as np
from hpcore.adapters.keras.checkpoints import CheckpointStore, ensure_built, optimizer_variables
from hpcore.adapters.keras.hypermodel import HyperModel
from hpcore.adapters.keras.hyperparameters import HyperParameters
from hpcore.adapters.keras.model_cache import ModelCache
from hpcore.adapters.keras.objective import Objective
from hpcore.adapters.keras.tensorboard import trial_callbacks

from hpcore.trial import Trial

__all__ = ["AUTO_STEPS", "Duplicate", "ExecutionResult", "TrialResult", "TrialRunner", "observes_batches",
           "result_of_run_trial"]

#: Batches per compiled call with steps_per_execution="auto".
AUTO_STEPS = 32

_BATCH_HOOKS = ("on_batch_begin", "on_batch_end", "on_train_batch_begin", "on_train_batch_end",
                "on_test_batch_begin", "on_test_batch_end")


def observes_batches(callbacks: Sequence[Any]) -> bool:
    """Whether any callback overrides a batch-level hook (then every batch must be seen)."""
    base = keras.callbacks.Callback
    return any(getattr(type(cb), h, None) is not getattr(base, h) for cb in callbacks for h in _BATCH_HOOKS)


class Duplicate(Exception):
    """Raised by the runner's duplicate check: this configuration builds the same model as an
    already completed trial (`trial_id`)."""

    def __init__(self, trial_id: int) -> None:
        super().__init__(trial_id)
        self.trial_id = trial_id


@dataclass
class ExecutionResult:
    """One fit of a trial's configuration."""

    value: float
    best_epoch: int | None  # 1-based
    epochs: list[int]  # 1-based numbers of the epochs this fit trained
    history: dict[str, list[float]]
    resumed_from: int | None  # epochs restored from a checkpoint
    best_weights: list[np.ndarray] | None = None


@dataclass
class TrialResult:
    """All executions of one trial, their mean value, and where the time went (seconds)."""

    value: float
    executions: list[ExecutionResult]
    build_seconds: float = 0.0
    fit_seconds: float = 0.0
    checkpoint_seconds: float = 0.0
    tensorboard_bases: list[str] = field(default_factory=list)
    #: the epoch (1-based) at which the study's pruner stopped the first execution; None when it ran out
    pruned_epoch: int | None = None

    @property
    def epochs_trained(self) -> int:
        return sum(len(e.epochs) for e in self.executions)

    @property
    def epochs_restored(self) -> int:
        return sum(e.resumed_from or 0 for e in self.executions)

    def best_execution(self, objective: Objective) -> ExecutionResult:
        best = self.executions[0]
        for e in self.executions[1:]:
            if objective.better(e.value, best.value):
                best = e
        return best

    def metrics(self, objective: Objective) -> dict[str, float]:
        """Each metric's value at the best epoch, averaged over executions (for HParams)."""
        out: dict[str, list[float]] = {}
        for e in self.executions:
            i = e.epochs.index(e.best_epoch) if e.best_epoch in e.epochs else None
            for k, vals in e.history.items():
                if vals:
                    out.setdefault(k, []).append(vals[i] if i is not None and i < len(vals) else vals[-1])
        return {k: float(np.mean(v)) for k, v in out.items()}


class _Watch(keras.callbacks.Callback):
    """Records every epoch's logs, stops on a NaN loss, and keeps the weights of the best epoch
    in memory when `worth(value)` says this value could rank among the saved best models."""

    def __init__(self, objective: Objective, worth: Callable[[float], bool] | None) -> None:
        super().__init__()
        self.objective = objective
        self.worth = worth
        self.epochs: list[int] = []
        self.history: dict[str, list[float]] = {}
        self.nan_epoch: int | None = None
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.best_weights: list[np.ndarray] | None = None
        #: the `epochs` that `model.fit` was really called with (a user's `HyperModel.fit` may set its own)
        self.fit_epochs: int | None = None

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        epochs = (self.params or {}).get("epochs")
        self.fit_epochs = int(epochs) if isinstance(epochs, (int, np.integer)) else None

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        logs = dict(logs or {})
        self.epochs.append(epoch + 1)
        for k, v in logs.items():
            try:
                self.history.setdefault(k, []).append(float(v))
            except (TypeError, ValueError):
                continue
        loss = logs.get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.nan_epoch = epoch + 1
            self.model.stop_training = True
            return
        try:  # one metric, or a sum of several (a list objective)
            v = self.objective.value_of(logs)
        except (KeyError, TypeError, ValueError):
            return
        if not math.isfinite(v):
            return
        if self.best is None or self.objective.better(v, self.best):
            self.best, self.best_epoch = v, epoch + 1
            if self.worth is not None and self.worth(v):
                self.best_weights = self.model.get_weights()


def _history_of(result: Any) -> tuple[dict[str, list[float]] | None, list[int] | None, float | None]:
    """(per-epoch metrics, epoch numbers, value) from what `HyperModel.fit` returned."""
    if result is None:
        return None, None, None
    if isinstance(result, keras.callbacks.History) or hasattr(result, "history"):
        hist = {k: [float(x) for x in v] for k, v in dict(result.history).items()}
        epochs = [e + 1 for e in getattr(result, "epoch", [])] or None
        return hist, epochs, None
    if isinstance(result, Mapping):
        hist = {}
        for k, v in result.items():
            vals = list(v) if isinstance(v, (list, tuple, np.ndarray)) else [v]
            hist[k] = [float(x) for x in vals]
        return hist, None, None
    try:
        return None, None, float(result)
    except (TypeError, ValueError):
        raise TypeError(f"HyperModel.fit returned {type(result).__name__}; expected a History, a dict of "
                        "metrics or a number") from None


def _execution_of(out: Any, objective: Objective, worth: Callable[[float], bool] | None) -> ExecutionResult:
    """One execution from what a `run_trial` override returned for it: a `History`, a dict of
    metrics or a number (the objective's value)."""
    hist, epochs, value = _history_of(out)
    hist = hist or {}
    best_epoch = None
    if value is None:
        series = objective.series(hist)
        best = objective.best(series)
        if best is None:
            raise ValueError(f"run_trial: the objective {objective.name!r} has no finite value: {series}")
        value, i = best
        if epochs is not None and i < len(epochs):
            best_epoch = epochs[i]
    elif not math.isfinite(value):
        raise ValueError(f"run_trial returned {value}")
    model = getattr(out, "model", None)  # a History knows its model: keep its (final) weights
    weights = model.get_weights() if isinstance(model, keras.Model) and worth is not None and worth(value) else None
    return ExecutionResult(value=float(value), best_epoch=best_epoch, epochs=list(epochs or []),
                           history={k: list(v) for k, v in hist.items()}, resumed_from=None, best_weights=weights)


def result_of_run_trial(out: Any, objective: Objective, worth: Callable[[float], bool] | None) -> TrialResult:
    """A `TrialResult` from what `Tuner.run_trial` returned (KerasTuner's contract): the default
    run's own `TrialResult`, or a `History`, a dict of metrics, a number, or a list of these (one
    per execution; the value is their mean)."""
    if isinstance(out, TrialResult):
        return out
    if out is None:
        raise TypeError("run_trial returned None; return the History of model.fit, a dict of metrics "
                        "or the objective's value")
    executions = [_execution_of(o, objective, worth) for o in (out if isinstance(out, list) else [out])]
    if not executions:
        raise ValueError("run_trial returned an empty list")
    return TrialResult(value=float(np.mean([e.value for e in executions])), executions=executions)


class TrialRunner:
    """Runs the fits of one trial (see the module docstring)."""

    def __init__(self, hypermodel: HyperModel, objective: Objective, executions: int,
                 checkpoints: CheckpointStore | None, max_budget: int | None, seed: int | None,
                 cache: ModelCache | None = None, steps_per_execution: int | str | None = "auto") -> None:
        self.hypermodel = hypermodel
        self.objective = objective
        self.executions = executions
        self.checkpoints = checkpoints
        self.max_budget = max_budget
        self.seed = seed
        self.cache = cache
        if not (steps_per_execution in (None, "auto") or (isinstance(steps_per_execution, int)
                                                            and steps_per_execution >= 1)):
            raise ValueError(f'steps_per_execution must be "auto", None or a positive integer, '
                             f"got {steps_per_execution!r}")
        self.steps_per_execution = steps_per_execution
        self._warned_budget = False
        #: shape of one training example (from the last search's x), saved with the best weights
        self.input_shape: tuple[int, ...] | None = None

    def _seed(self, trial: Trial, execution: int) -> None:
        if self.seed is not None:
            s = np.random.SeedSequence([self.seed, trial.id, execution]).generate_state(1)[0]
            keras.utils.set_random_seed(int(s) % (2**31 - 1))

    def build(self, hp: HyperParameters, x: Any = None) -> Any:
        """`hypermodel.build(hp)`, checked, with its variables and optimizer state created now:
        an optimizer built outside the traced training step makes the first epoch cheaper, and
        weights can be loaded before `fit`."""
        hp._phase = "build"
        model = self.hypermodel.build(hp)
        if not isinstance(model, keras.Model):
            raise TypeError(f"build(hp) must return a keras.Model, got {type(model).__name__}")
        if getattr(model, "optimizer", None) is None:
            raise ValueError("build(hp) must return a compiled model: call model.compile(...) in build")
        if ensure_built(model, x) and model.trainable_variables:
            optimizer_variables(model)
        return model

    def _continued_model(self, trial: Trial, k: int, hp: HyperParameters, x: Any,
                         res: TrialResult) -> tuple[Any, int | None]:
        """For a promoted configuration: its model from the previous rung (kept in memory, else
        rebuilt and loaded from its checkpoint) and the epochs it already trained."""
        prev, cid = trial.previous_budget, trial.config_id
        if not prev or cid is None:
            return None, None
        if self.cache is not None:
            hit = self.cache.take(cid, k, int(prev))
            if hit is not None:
                return hit
        if self.checkpoints is None:
            return None, None
        t = time.perf_counter()
        model = self.build(hp, x)
        res.build_seconds += time.perf_counter() - t
        t = time.perf_counter()
        restored = self.checkpoints.load(cid, k, model, int(prev))
        res.checkpoint_seconds += time.perf_counter() - t
        return model, restored

    def run(self, trial: Trial, hp: HyperParameters, fit_args: Sequence[Any], fit_kwargs: Mapping[str, Any],
            callbacks: Sequence[Any], worth: Callable[[float], bool] | None,
            duplicate_check: Callable[[HyperParameters], int | None] | None = None,
            pruning: Any = None) -> TrialResult:
        """Fit `trial`'s configuration `executions` times. Raises on any failure (the tuner turns it
        into a FAILED trial) and `Duplicate` when `duplicate_check` finds an equivalent trial.

        pruning: a `PruningCallback` (raise_pruned=False) reporting to the study, or None. It
        watches the first execution only (the steps of a second fit would repeat the first's);
        when it prunes, that execution stops and the others are not run (`pruned_epoch`)."""
        res = TrialResult(value=math.nan, executions=[])
        steps = self.steps_per_execution
        if steps == "auto":
            steps = None if observes_batches(callbacks) else AUTO_STEPS
        x = fit_args[0] if fit_args else fit_kwargs.get("x")
        if getattr(x, "shape", None) is not None and len(x.shape) > 1:
            self.input_shape = tuple(int(d) for d in x.shape[1:])
        for k in range(self.executions):
            self._seed(trial, k)
            model, resumed = self._continued_model(trial, k, hp, x, res)
            if model is None:
                t = time.perf_counter()
                model = self.build(hp, x)
                res.build_seconds += time.perf_counter() - t
            if k == 0 and duplicate_check is not None:
                dup = duplicate_check(hp)
                if dup is not None:
                    raise Duplicate(dup)
            if steps is not None and model.steps_per_execution == 1 and model.train_function is None:
                model.steps_per_execution = steps  # same batches, same updates; fewer Python calls
            kwargs = dict(fit_kwargs)
            if trial.budget is not None:  # Hyperband: the budget is the number of epochs
                kwargs["epochs"] = int(trial.budget)
                kwargs["initial_epoch"] = resumed or 0
            cbs, bases = trial_callbacks(callbacks, trial.id, k, self.executions)
            res.tensorboard_bases = bases
            watch = _Watch(self.objective, worth)
            # Not copied with the user's callbacks: it holds the study. After the watch, which sees
            # a NaN loss first (that trial FAILS rather than being pruned).
            kwargs["callbacks"] = cbs + [watch] + ([pruning] if pruning is not None and k == 0 else [])
            hp._phase = "fit"
            t = time.perf_counter()
            try:
                out = self.hypermodel.fit(hp, model, *fit_args, **kwargs)
            finally:
                res.fit_seconds += time.perf_counter() - t
                hp._phase = "build"
            self._check_budget(trial, watch, kwargs)
            ex = self._read(out, watch, kwargs, resumed, model, worth)
            res.executions.append(ex)
            if pruning is not None and k == 0 and pruning.pruned:
                res.pruned_epoch = pruning.pruned_epoch
                break
            if trial.budget is not None and trial.config_id is not None \
                    and (self.max_budget is None or trial.budget < self.max_budget):
                epoch = ex.epochs[-1] if ex.epochs else kwargs["initial_epoch"]
                if self.checkpoints is not None:
                    t = time.perf_counter()
                    self.checkpoints.save(trial.config_id, k, model, epoch)
                    res.checkpoint_seconds += time.perf_counter() - t
                if self.cache is not None:
                    self.cache.put(trial.config_id, k, model, epoch)
            del model
        res.value = float(np.mean([e.value for e in res.executions]))
        return res

    def _check_budget(self, trial: Trial, watch: _Watch, kwargs: Mapping[str, Any]) -> None:
        """Under Hyperband, a `HyperModel.fit` that passes its own `epochs` to `model.fit` breaks the
        budget: fail the trial when nothing was trained (e.g. epochs=1 with initial_epoch=1), warn
        once when it trained another number of epochs than the budget."""
        if trial.budget is None or watch.fit_epochs is None or watch.fit_epochs == int(trial.budget):
            return
        start = int(kwargs.get("initial_epoch", 0) or 0)
        conflict = (f"HyperModel.fit called model.fit with epochs={watch.fit_epochs}, but this Hyperband trial's "
                    f"budget is epochs={int(trial.budget)}" + (f" (continuing from epoch {start})" if start else ""))
        if not watch.epochs:
            raise ValueError(f"{conflict}, so Keras trained no epoch. Under Hyperband pass on the epochs that fit "
                             "receives (model.fit(*args, **kwargs)), or tune epochs with RandomSearch or "
                             "BayesianOptimization")
        if not self._warned_budget:
            self._warned_budget = True
            warnings.warn(f"{conflict}: Hyperband compares configurations at unequal budgets; pass on the "
                          "epochs that fit receives", stacklevel=2)

    def _read(self, out: Any, watch: _Watch, kwargs: Mapping[str, Any], resumed: int | None, model: Any,
              worth: Callable[[float], bool] | None) -> ExecutionResult:
        hist, epochs, value = _history_of(out)
        if watch.epochs:  # the watch saw the epochs: its record is complete, whatever fit returned
            hist, epochs = watch.history, watch.epochs
        hist = hist or {}
        if epochs is None:
            n = max((len(v) for v in hist.values()), default=0)
            start = int(kwargs.get("initial_epoch", 0) or 0)
            epochs = list(range(start + 1, start + n + 1))
        if watch.nan_epoch is not None or any(not math.isfinite(x) for x in hist.get("loss", [])):
            at = watch.nan_epoch or next(e for e, x in zip(epochs, hist["loss"]) if not math.isfinite(x))
            raise FloatingPointError(f"the training loss became {hist.get('loss', ['nan'])[-1]} at epoch {at}")
        best_epoch = None
        if value is None:
            series = self.objective.series(hist)
            best = self.objective.best(series)
            if best is None:
                raise ValueError(f"the objective {self.objective.name!r} has no finite value: {series}")
            value, i = best
            best_epoch = epochs[i] if i < len(epochs) else None
        elif not math.isfinite(value):
            raise ValueError(f"HyperModel.fit returned {value}")
        weights = watch.best_weights if watch.best_epoch == best_epoch else None
        if weights is None and worth is not None and worth(float(value)):
            weights = model.get_weights()  # no per-epoch snapshot matched: keep the final weights
        return ExecutionResult(value=float(value), best_epoch=best_epoch, epochs=list(epochs),
                               history={k: list(v) for k, v in hist.items()}, resumed_from=resumed or None,
                               best_weights=weights)
