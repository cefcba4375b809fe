"""`Tuner`: KerasTuner's interface on an hpcore `Study`.

    import hpcore.adapters.keras as kt          # instead of `import keras_tuner as kt`
    tuner = kt.RandomSearch(build_model, objective="val_accuracy", max_trials=10,
                            directory="runs", project_name="mnist")
    tuner.search(x, y, epochs=5, validation_data=(xv, yv))
    model = tuner.get_best_models(1)[0]

What happens underneath:
- the space is discovered by running `build(hp)` once with the defaults when the tuner is made,
  and grows as later trials declare new names (`Study.extend_space`; the trial that discovers a
  name uses its default, and is told with the configuration it really used);
- `directory/project_name/` holds the SQLite study (`study.db`), the weights of the best models
  (`best/`) and Hyperband's checkpoints (`checkpoints/`); making the tuner again resumes, and
  `overwrite=True` deletes these files and starts again;
- with Hyperband the budget is the number of epochs, and a promoted configuration continues
  from its checkpoint (weights and optimizer state) with `initial_epoch`, training only the
  difference; checkpoints of configurations that can no longer be promoted are deleted;
- with `pruner=` (e.g. `hpcore.MedianPruner()`), the objective's metric is reported to the study
  after every epoch (step = epochs trained, `pruning.PruningCallback`) and a fit the pruner
  prunes stops there: the trial ends PRUNED with its last reported value, and is never among
  the best trials or models;
- a trial whose build or fit raises (e.g. `kt.errors.FailedTrialError`), or whose loss becomes
  NaN, is FAILED with its error and the search goes on; `kt.errors.FatalError` fails the trial
  and stops the search, raised from `search`; `search` raises with the first error only if every trial of the call failed;
- between trials the Keras session is cleared, and garbage collection is made cheap (see
  `memory.SessionCleaner`) instead of skipped.
"""

from __future__ import annotations

import inspect
import math
import os
import time
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import keras
from hpcore.adapters.keras.checkpoints import BestWeightsStore, CheckpointStore
from hpcore.adapters.keras.engine.trial import Trial as KerasTrial
from hpcore.adapters.keras.errors import FatalError
from hpcore.adapters.keras.hypermodel import HyperModel, as_hypermodel
from hpcore.adapters.keras.hyperparameters import HyperParameters
from hpcore.adapters.keras.memory import SessionCleaner
from hpcore.adapters.keras.model_cache import ModelCache
from hpcore.adapters.keras.objective import Objective, as_objective
from hpcore.adapters.keras.oracles import ORACLE_OF_STRATEGY, Oracle
from hpcore.adapters.keras.pruning import AskedTrial, PruningCallback
from hpcore.adapters.keras.tensorboard import write_hparams
from hpcore.adapters.keras.trial_runner import Duplicate, TrialResult, TrialRunner, result_of_run_trial
from hpcore.adapters.keras.tuner_base import TunerBase, used_params

from hpcore.strategies.base import Strategy, make_strategy
from hpcore.study import StudyExhausted, TooManyFailures
from hpcore.trial import Trial, TrialState

__all__ = ["BayesianOptimization", "GridSearch", "Hyperband", "RandomSearch", "Tuner"]

#: Consecutive trials that only repeat already evaluated models before the search stops.
_MAX_DUPLICATES = 100


def _fit_parameter_names() -> list[str]:
    return [p for p in inspect.signature(keras.Model.fit).parameters if p != "self"]


class Tuner(TunerBase):
    """Searches the hyperparameters of a Keras model with an hpcore strategy.

    Args:
        hypermodel: a `build_model(hp)` function or a `HyperModel`.
        objective: metric name ("val_accuracy"), or `Objective(name, "max"|"min")`; the direction
            is inferred from the name when not given. Default "val_loss". A list is summed as
            KerasTuner does (each metric with its direction: minimise the sum of those to minimise
            minus those to maximise; see `objective.MultiObjective`); hpcore has no Pareto search.
        strategy: "random", "grid", "bayes", "hyperband", or an hpcore `Strategy` object.
        max_trials: trials in the project (including earlier runs of it). Default 10 for random
            and bayes; unlimited for grid (until the grid is done) and hyperband (its plan).
        max_epochs, min_epochs, factor, hyperband_iterations: Hyperband's budget in epochs
            (max_epochs default 100), and its reduction factor.
        executions_per_trial: fits per trial, averaged (reduces noise).
        directory, project_name: where the project lives (default ./untitled_project).
        overwrite: delete the project's study, weights and checkpoints and start again.
        seed: seeds the strategy and, per trial and execution, Keras's random state
            (`keras.utils.set_random_seed`), so a search can be repeated.
        hyperparameters: an `HyperParameters` whose declarations override those of `build`
            (e.g. `hp.Fixed("learning_rate", 1e-3)`).
        tune_new_entries: False fixes every parameter not in `hyperparameters` to its default.
        allow_new_entries: False makes a build that declares a parameter not in
            `hyperparameters` fail.
        keep_best_models: how many models' weights are kept for `get_best_models` (asking for more
            retrains the others, with a warning).
        gc_every: collect the trials' garbage every this many trials (cheap: see `memory`); a full
            collection runs when memory grew 20% or Hyperband dropped 256 MB of cached models.
        model_cache_mb: Hyperband keeps the models of configurations it may still promote in memory,
            up to about this size, so a promotion continues the live model (no rebuild, reload or
            re-tracing); 0 always reloads from the checkpoint on disk.
        steps_per_execution: batches per compiled Keras call for models compiled with the default
            of 1. "auto": 32 unless a callback passed to `search` has batch-level hooks (the
            training is identical, only faster; see `trial_runner`); None keeps 1.
        strategy_kwargs: options for the strategy made from its name (e.g. {"acquisition": "ucb"}).
        oracle: a `kt.oracles.*Oracle` (KerasTuner's way): its objective, max_trials, seed, strategy
            and strategy options are used, and must not be given here as well. As in KerasTuner,
            `Tuner(oracle, hypermodel)` also works positionally.
        pruner: stops unpromising fits early (`hpcore.MedianPruner(warmup_steps=2)`, a name such as
            "median", or a config dict; see `hpcore.pruners`), judged on the objective's value at
            each epoch (step = epochs trained; with `executions_per_trial` > 1, the first
            execution's). Pruned trials count towards `max_trials` and are never the best.
            Stored with the project: None reopens a project with the pruner it has. Not with
            Hyperband, which stops configurations early by its own plan (`ValueError`).

    `tuner.oracle` (the given oracle, or the one matching `strategy`) reads the study:
    `oracle.trials`, `oracle.get_best_trials(n)`, `oracle.get_space()`.
    """

    def __init__(
        self,
        hypermodel: Any = None,
        objective: Any = None,
        strategy: str | Strategy = "random",
        max_trials: int | None = None,
        max_epochs: int | None = None,
        min_epochs: int = 1,
        factor: int = 3,
        hyperband_iterations: int = 1,
        executions_per_trial: int = 1,
        directory: str | os.PathLike | None = None,
        project_name: str | None = None,
        overwrite: bool = False,
        seed: int | None = None,
        hyperparameters: HyperParameters | None = None,
        tune_new_entries: bool = True,
        allow_new_entries: bool = True,
        keep_best_models: int = 5,
        gc_every: int = 1,
        model_cache_mb: float = 1024,
        steps_per_execution: int | str | None = "auto",
        strategy_kwargs: Mapping[str, Any] | None = None,
        max_consecutive_failed_trials: int | None = None,
        oracle: Oracle | None = None,
        pruner: Any = None,
        **kwargs: Any,
    ) -> None:
        if isinstance(hypermodel, Oracle):  # KerasTuner's positional order: Tuner(oracle, hypermodel)
            oracle, hypermodel, objective = hypermodel, objective, None
        if oracle is not None:
            given = {"objective": objective, "max_trials": max_trials, "seed": seed,
                     "hyperparameters": hyperparameters, "max_epochs": max_epochs, "strategy_kwargs": strategy_kwargs,
                     "strategy": None if strategy == "random" else strategy}
            settings = _settings_of(oracle, given)
            objective, strategy, max_trials, seed = (settings["objective"], settings["strategy"],
                                                     settings["max_trials"], settings["seed"])
            hyperparameters, tune_new_entries, allow_new_entries = (
                settings["hyperparameters"], settings["tune_new_entries"], settings["allow_new_entries"])
            max_epochs = settings.get("max_epochs", max_epochs)
            factor = settings.get("factor", factor)
            hyperband_iterations = settings.get("hyperband_iterations", hyperband_iterations)
            strategy_kwargs = settings.get("strategy_kwargs", strategy_kwargs)
            if max_consecutive_failed_trials is None:
                max_consecutive_failed_trials = settings["max_consecutive_failed_trials"]
            kwargs.setdefault("max_retries_per_trial", settings["max_retries_per_trial"])
        for k in ("max_retries_per_trial", "logger", "tuner_id", "distribution_strategy", "max_model_size"):
            if kwargs.pop(k, None) not in (None, 0):
                warnings.warn(f"Tuner: {k}= is not supported and is ignored", stacklevel=2)
        if kwargs:
            raise TypeError(f"Tuner got unexpected arguments {sorted(kwargs)}")
        if not isinstance(executions_per_trial, int) or executions_per_trial < 1:
            raise ValueError(f"executions_per_trial must be a positive integer, got {executions_per_trial!r}")
        self.hypermodel: HyperModel = as_hypermodel(hypermodel)
        self.objective: Objective = as_objective(objective)
        self.executions_per_trial = executions_per_trial
        self.seed = seed
        self.keep_best_models = int(keep_best_models)
        self.max_consecutive_failed_trials = max_consecutive_failed_trials
        self._overrides = hyperparameters.definitions if hyperparameters is not None else {}
        self._tune_new = bool(tune_new_entries)
        self._allow_new = bool(allow_new_entries)
        self.strategy = self._make_strategy(strategy, max_epochs, min_epochs, factor, hyperband_iterations,
                                            dict(strategy_kwargs or {}))
        self.multi_fidelity = bool(self.strategy.multi_fidelity)
        self.max_epochs: int | None = getattr(self.strategy, "max_budget", None) if self.multi_fidelity else None
        if pruner is not None and self.multi_fidelity:
            raise ValueError(f"pruner= does not go with the {self.strategy.name!r} strategy, which already stops "
                             "configurations early by its plan (and compares them at its budgets). Prune with "
                             "RandomSearch or BayesianOptimization instead, e.g. pruner=hpcore.HyperbandPruner("
                             "min_resource=1, max_resource=max_epochs) for Hyperband's brackets as a pruner")
        self.pruner = pruner
        if max_trials is None and self.strategy.name in ("random", "bayes"):
            max_trials = 10
        self.max_trials = max_trials

        self._set_project(directory, project_name)
        if overwrite:
            self._delete_project_files()
        self.project_dir.mkdir(parents=True, exist_ok=True)
        self.checkpoints = CheckpointStore(self.project_dir)
        self.best_weights = BestWeightsStore(self.project_dir)
        self.study = self._open_study()
        self.cleaner = SessionCleaner(gc_every=gc_every)
        self.model_cache = ModelCache(int(model_cache_mb * 2**20)) if self.multi_fidelity else None
        self.runner = TrialRunner(self.hypermodel, self.objective, executions_per_trial,
                                  self.checkpoints if self.multi_fidelity else None, self.max_epochs, seed,
                                  self.model_cache, steps_per_execution)
        #: timings (seconds) and counters of the searches run by this tuner
        self.stats: dict[str, float] = {
            "trials": 0, "failed": 0, "pruned": 0, "duplicates": 0, "epochs_trained": 0, "epochs_restored": 0,
            "wall_s": 0.0, "fit_s": 0.0, "build_s": 0.0, "checkpoint_s": 0.0, "storage_s": 0.0,
            "clear_session_s": 0.0, "gc_s": 0.0, "gc_collections": 0, "gc_full_collections": 0,
            "gradients_released": 0, "models_continued_in_memory": 0,
        }
        self.oracle: Oracle = oracle if oracle is not None else ORACLE_OF_STRATEGY.get(self.strategy.name, Oracle)()
        self.oracle._bind(self)

    # -- construction -----------------------------------------------------------------------------
    @staticmethod
    def _make_strategy(strategy: str | Strategy, max_epochs: int | None, min_epochs: int, factor: int,
                       iterations: int, options: dict[str, Any]) -> Strategy:
        if isinstance(strategy, Strategy):
            if options:
                raise ValueError("strategy_kwargs= goes with a strategy name, not a strategy object")
            return strategy
        if strategy == "hyperband":
            options = {"min_budget": int(min_epochs), "max_budget": int(max_epochs or 100), "eta": int(factor),
                       "iterations": int(iterations), **options}
        return make_strategy(strategy, **options)

    def _dry_build(self, hp: HyperParameters) -> None:
        try:
            self.hypermodel.build(hp)
        finally:
            keras.backend.clear_session(free_memory=False)

    # -- search ------------------------------------------------------------------------------------
    def _prepare_fit(self, fit_args: tuple, fit_kwargs: dict[str, Any]) -> tuple[tuple, dict[str, Any]]:
        """Name every positional argument after x and y, so epochs/callbacks can be set."""
        kwargs = dict(fit_kwargs)
        if len(fit_args) > 2:
            names = _fit_parameter_names()
            for name, value in zip(names[2:], fit_args[2:]):
                if name in kwargs:
                    raise TypeError(f"search() got multiple values for {name!r}")
                kwargs[name] = value
            fit_args = fit_args[:2]
        return fit_args, kwargs

    def search(self, *fit_args: Any, **fit_kwargs: Any) -> None:
        """Run trials until `max_trials` (counting earlier runs of this project) or the strategy
        is done. Takes exactly what `model.fit` takes; `verbose` here means 0: silent, 1: one line
        per trial (default), 2: also Keras's per-epoch lines. With Hyperband the epochs of each
        trial come from its budget (an `epochs` given here is ignored, with a warning)."""
        verbose = fit_kwargs.pop("verbose", 1)
        verbose = 1 if verbose == "auto" else int(verbose)
        fit_args, fit_kwargs = self._prepare_fit(fit_args, fit_kwargs)
        callbacks = list(fit_kwargs.pop("callbacks", None) or [])
        fit_kwargs["verbose"] = 2 if verbose >= 2 else 0
        if verbose and self._resuming:
            print(self._resume_line(), flush=True)
        self._resuming = False
        if self.multi_fidelity:
            for k in ("epochs", "initial_epoch"):
                if k in fit_kwargs:
                    warnings.warn(
                        f"Hyperband sets each trial's epochs from its budget ({getattr(self.strategy, 'min_budget', 1)}"
                        f" to {self.max_epochs} epochs, see the plan); the {k}={fit_kwargs[k]!r} given to "
                        "search() is ignored. Set max_epochs= on the tuner instead.", stacklevel=2)
                    fit_kwargs.pop(k)
        if verbose and self.multi_fidelity:
            plan = self.strategy.plan() if hasattr(self.strategy, "plan") else self.strategy.describe(self.study.space)
            print(f"Hyperband plan (budget = epochs; a promoted configuration continues from its checkpoint "
                  f"and trains only the difference):\n{plan}", flush=True)
        elif verbose:
            info = self.strategy.describe(self.study.space)
            if info:
                print(f"hpcore: {info}", flush=True)
        self._last_data = (fit_args, {**fit_kwargs, "verbose": 0})  # what get_best_models retrains with
        _Search(self, fit_args, fit_kwargs, callbacks, verbose).run()

    def _resume_line(self) -> str:
        trials = self.study.trials
        done = "" if self.max_trials is None else \
            f", {sum(self._counted(t) for t in trials)} of max_trials={self.max_trials} done"
        return (f"hpcore: resuming the search in {self.project_dir}: {len(trials)} trials from earlier runs"
                f"{done} (overwrite=True starts again)")

    def run_trial(self, trial: KerasTrial, *fit_args: Any, **fit_kwargs: Any) -> Any:
        """Build and train one trial's model(s): `search` calls it once per trial, with what
        `search` was given (`callbacks` included; with Hyperband, `epochs` is the trial's budget).

        Override it as in KerasTuner, e.g. to tune the batch size:

            def run_trial(self, trial, *args, **kwargs):
                kwargs["batch_size"] = trial.hyperparameters.Int("batch_size", 32, 256, step=32)
                return super().run_trial(trial, *args, **kwargs)

        `trial.hyperparameters` is the trial's `hp`. An override may also train by itself and
        return a `History`, a dict of metrics (with the objective), the objective's value, or a list
        of these (one per execution, averaged). Only this default keeps the best epoch's weights,
        continues Hyperband checkpoints and reuses the results of identical models."""
        run = getattr(trial, "_run_default", None)
        if run is None:
            raise RuntimeError("Tuner.run_trial runs a trial given by Tuner.search; call search()")
        return run(fit_args, fit_kwargs)

    _REMADE = ("retrained trials {ids} from their hyperparameters (the weights of only the {k} best are kept; "
               "keep_best_models= keeps more)")

    def _kept_path(self, t: Trial) -> Path:
        return self.best_weights.path(t.id)

    def _kept_model(self, t: Trial) -> Any | None:
        """Trial `t`'s model rebuilt and loaded with the weights of its best epoch, if kept."""
        if not self.best_weights.has(t.id):
            return None
        model = self.runner.build(self._new_hp(self.study.space, t.params))
        self.best_weights.load(t.id, model)
        return model

    def _remade_model(self, t: Trial, data: tuple[tuple, dict[str, Any]]) -> Any:
        """Trial `t`'s model trained again from scratch, with its seed, up to its best epoch (for
        the epochs of that epoch, on the data of the last `search`, through `hypermodel.fit`)."""
        fit_args, fit_kwargs = data
        best = t.user_attrs.get("best_epoch")
        best = best[0] if isinstance(best, list) else best
        epochs = best or t.budget or t.user_attrs.get("fit_epochs") or fit_kwargs.get("epochs", 1)
        hp = self._new_hp(self.study.space, t.params)
        self.runner._seed(t, 0)
        x = fit_args[0] if fit_args else fit_kwargs.get("x")
        model = self.runner.build(hp, x)
        hp._phase = "fit"
        self.hypermodel.fit(hp, model, *fit_args, **{**fit_kwargs, "epochs": int(epochs), "initial_epoch": 0})
        return model


class _Search:
    """One call of `Tuner.search`: asks, runs and tells trials, and keeps the project tidy."""

    def __init__(self, tuner: Tuner, fit_args: tuple, fit_kwargs: dict[str, Any], callbacks: list,
                 verbose: int) -> None:
        self.tuner, self.fit_args, self.fit_kwargs = tuner, fit_args, fit_kwargs
        self.callbacks, self.verbose = callbacks, verbose
        self.study = tuner.study
        self.completed = self.failed = self.pruned = 0
        self.first_error: tuple[str, BaseException | None] | None = None
        self.consecutive_failures = 0
        self.consecutive_duplicates = 0
        self.fit_epochs = fit_kwargs.get("epochs", 1)
        # Names the user's `fit` reads: they select models too, beyond those `build` reads.
        self.fit_names: set[str] = set()
        for t in self.study.trials:
            self.fit_names.update(t.user_attrs.get("fit_params", ()))
        self.best = _BestPerBudget(tuner.objective, self.study.trials)

    # -- trial accounting -----------------------------------------------------------------------
    def _remaining(self) -> float:
        if self.tuner.max_trials is None:
            return math.inf
        return self.tuner.max_trials - sum(self.tuner._counted(t) for t in self.study.trials)

    def run(self) -> None:
        tuner, stats = self.tuner, self.tuner.stats
        t0 = time.perf_counter()
        start = dict(stats)
        tuner.cleaner.start()
        before = tuner.cleaner.stats()
        try:
            while self._remaining() > 0:
                t = time.perf_counter()
                try:
                    trial = self.study.ask()
                except StudyExhausted as e:
                    if self.verbose:
                        print(f"hpcore: {e}; the search is complete", flush=True)
                    break
                finally:
                    stats["storage_s"] += time.perf_counter() - t
                self._run_trial(trial)
                tuner.cleaner.after_trial(tuner.model_cache.released() if tuner.model_cache is not None else 0)
                if self.consecutive_duplicates >= _MAX_DUPLICATES:
                    if self.verbose:
                        print(f"hpcore: the last {_MAX_DUPLICATES} configurations all built models already "
                              "evaluated; the space looks exhausted, stopping", flush=True)
                    break
                n = self.tuner.max_consecutive_failed_trials
                if n is not None and self.consecutive_failures >= n:
                    self._raise_failures(f"{n} consecutive trials failed")
        finally:
            if tuner.model_cache is not None:  # what is left is reloaded from disk by a later search
                stats["models_continued_in_memory"] += tuner.model_cache.hits
                tuner.model_cache.hits = 0
                tuner.model_cache.clear()
            tuner.cleaner.stop()
            for key, value in tuner.cleaner.stats().items():
                stats[key] = stats.get(key, 0) + value - before[key]
            stats["wall_s"] += time.perf_counter() - t0
        if self.verbose:
            self._print_summary(start)
        if self.failed and not (self.completed or self.pruned):
            self._raise_failures(f"all {self.failed} trials failed")

    def _print_summary(self, start: Mapping[str, float]) -> None:
        """One line on what this search did: trials, epochs trained, and with Hyperband the epochs
        that continuation saved (promoted configurations not retrained from scratch)."""
        stats = self.tuner.stats
        d = {k: stats[k] - start.get(k, 0) for k in ("trials", "failed", "pruned", "epochs_trained",
                                                    "epochs_restored", "wall_s", "fit_s")}
        pruned = f", {d['pruned']:.0f} pruned" if self.study.pruner is not None else ""
        line = (f"hpcore: search done: {d['trials']:.0f} trials ({d['failed']:.0f} failed{pruned}), "
                f"{d['epochs_trained']:.0f} epochs trained")
        if self.tuner.multi_fidelity:
            scratch = d["epochs_trained"] + d["epochs_restored"]
            line += (f"; continuation saved {d['epochs_restored']:.0f} of the {scratch:.0f} epochs that "
                     f"retraining promoted configurations from scratch would take")
        line += f"; {d['wall_s']:.1f}s, of which {d['wall_s'] - d['fit_s']:.1f}s outside model.fit"
        print(line, flush=True)

    def _raise_failures(self, what: str) -> None:
        assert self.first_error is not None
        text, exc = self.first_error
        raise TooManyFailures(f"{what}; the first error:\n{text}") from exc

    # -- one trial ----------------------------------------------------------------------------------
    def _worth(self) -> Callable[[float], bool] | None:
        """Whether a value at this trial's budget could rank among the `keep_best_models` best
        (its weights are then kept in memory at its best epoch)."""
        k = self.tuner.keep_best_models
        if k <= 0:
            return None
        ranked = self.tuner.get_best_trials(k)
        if len(ranked) < k:
            return lambda v: True
        kth = self.tuner._rank_key(ranked[-1])
        budget = self._budget
        sign = 1.0 if self.tuner.objective.direction == "minimize" else -1.0
        return lambda v: (-(budget or 0), sign * v) < kth

    def _duplicate_key(self, params: Mapping[str, Any], names: set[str], epochs: Any) -> tuple:
        return (repr(epochs),) + tuple(sorted((n, type(params[n]) is bool, repr(params[n]))
                                              for n in names if n in params))

    def _duplicate_check(self) -> Callable[[HyperParameters], int | None] | None:
        """For single-fidelity strategies: a configuration whose parameters differ from a
        completed trial's only in parameters the model does not read (e.g. units_3 of a 2-layer
        model, in a space without conditions) builds the same model; its result is reused."""
        if self.tuner.multi_fidelity:
            return None
        seen: dict[tuple, int] = {}
        for t in self.study.trials:
            if t.ok and "used_params" in t.user_attrs and "duplicate_of" not in t.user_attrs:
                key = self._duplicate_key(t.params, set(t.user_attrs["used_params"]), t.user_attrs.get("fit_epochs"))
                seen.setdefault(key, t.id)

        def check(hp: HyperParameters) -> int | None:
            names = hp.accessed["build"] | self.fit_names
            return seen.get(self._duplicate_key(hp.all_values(), names, self.fit_epochs))

        return check

    def _run_trial(self, trial: Trial) -> None:
        tuner, study = self.tuner, self.study
        hp = tuner._new_hp(study.space, trial.params)
        self._budget = trial.budget
        started = time.perf_counter()
        try:
            res = self._call_run_trial(trial, hp)
        except Duplicate as d:
            self._tell_duplicate(trial, hp, d.trial_id)
            return
        except KeyboardInterrupt as e:
            tuner._tell_interrupted(trial, e)
            raise
        except FatalError as e:  # KerasTuner's way to stop a search from build/fit/run_trial
            self._tell_failure(trial, e, time.perf_counter() - started)
            raise
        except Exception as e:
            self._tell_failure(trial, e, time.perf_counter() - started)
            return
        self._tell_success(trial, hp, res, time.perf_counter() - started)

    def _call_run_trial(self, trial: Trial, hp: HyperParameters) -> TrialResult:
        """`tuner.run_trial` (the default, or a user's override, which may call the default through
        `super()`), and its result as a `TrialResult`."""
        worth = self._worth()
        kt_trial = KerasTrial(hp, trial.id)
        pruning = None
        if self.study.pruner is not None and not self.tuner.multi_fidelity:
            pruning = PruningCallback(AskedTrial(self.study, trial), monitor=self.tuner.objective, raise_pruned=False)

        def run_default(fit_args: tuple, fit_kwargs: dict[str, Any]) -> TrialResult:
            kwargs = dict(fit_kwargs)
            callbacks = list(kwargs.pop("callbacks", None) or [])
            return self.tuner.runner.run(trial, hp, fit_args, kwargs, callbacks, worth, self._duplicate_check(),
                                         pruning=pruning)

        kt_trial._run_default = run_default  # type: ignore[attr-defined]
        kwargs = {**self.fit_kwargs, "callbacks": list(self.callbacks)}
        if trial.budget is not None:  # what an override that trains by itself needs under Hyperband
            kwargs["epochs"] = int(trial.budget)
        out = self.tuner.run_trial(kt_trial, *self.fit_args, **kwargs)
        return result_of_run_trial(out, self.tuner.objective, worth)

    def _tell_success(self, trial: Trial, hp: HyperParameters, res: TrialResult, seconds: float) -> None:
        tuner, study, stats = self.tuner, self.study, self.tuner.stats
        objective = tuner.objective
        fit_names = hp.accessed["fit"]
        self.fit_names |= fit_names
        attrs: dict[str, Any] = {
            "epochs": [e.epochs for e in res.executions] if len(res.executions) > 1 else res.executions[0].epochs,
            "history": [e.history for e in res.executions] if len(res.executions) > 1 else res.executions[0].history,
            "best_epoch": [e.best_epoch for e in res.executions] if len(res.executions) > 1
            else res.executions[0].best_epoch,
            "execution_values": [e.value for e in res.executions],
            "used_params": sorted(hp.accessed["build"] | fit_names),
            "fit_params": sorted(fit_names),
            "fit_epochs": self.fit_epochs if not tuner.multi_fidelity else trial.budget,
            "epochs_trained": res.epochs_trained,
            "fit_seconds": round(res.fit_seconds, 4),
            "build_seconds": round(res.build_seconds, 4),
        }
        if trial.previous_budget:
            attrs["resumed_from_epoch"] = [e.resumed_from for e in res.executions] if len(res.executions) > 1 \
                else res.executions[0].resumed_from
        if res.pruned_epoch is not None:
            attrs["pruned_at_epoch"] = res.pruned_epoch
        t = time.perf_counter()
        params = used_params(self.study, trial, hp)
        if res.pruned_epoch is not None:  # its value: the last one reported (at the epoch it stopped)
            done = study.tell(trial, state=TrialState.PRUNED, user_attrs=attrs, params=params)
        else:
            done = study.tell(trial, res.value, user_attrs=attrs, params=params)
        stats["storage_s"] += time.perf_counter() - t
        stats["trials"] += 1
        stats["epochs_trained"] += res.epochs_trained
        stats["epochs_restored"] += res.epochs_restored
        stats["fit_s"] += res.fit_seconds
        stats["build_s"] += res.build_seconds
        stats["checkpoint_s"] += res.checkpoint_seconds
        self.best.add(done)
        if done.state in (TrialState.COMPLETE, TrialState.PRUNED):
            if done.state is TrialState.PRUNED:
                self.pruned += 1
                stats["pruned"] += 1
            else:
                self.completed += 1
            self.consecutive_failures = 0
            self.consecutive_duplicates = 0
        else:  # the value was rejected (not finite)
            self._note_failure(done.error or "", None)
        t = time.perf_counter()
        self._keep_best_weights(done, res)
        self._drop_checkpoints()
        stats["checkpoint_s"] += time.perf_counter() - t
        for base in res.tensorboard_bases:
            write_hparams(base, trial.id, done.params, {objective.name: res.value, **res.metrics(objective)})
        if self.verbose:
            self._print(done, res, seconds)

    def _keep_best_weights(self, done: Trial, res: TrialResult) -> None:
        k = self.tuner.keep_best_models
        if k <= 0 or not done.ok:
            return
        keep = {t.id for t in self.tuner.get_best_trials(k)}
        weights = res.best_execution(self.tuner.objective).best_weights
        if done.id in keep and weights is not None:
            self.tuner.best_weights.save(done.id, weights, self.tuner.runner.input_shape)
        self.tuner.best_weights.retain(keep)

    def _drop_checkpoints(self) -> None:
        live_configs = getattr(self.tuner.strategy, "live_configs", None)
        if self.tuner.multi_fidelity and callable(live_configs):
            live = live_configs(self.study)
            self.tuner.checkpoints.retain(live)
            if self.tuner.model_cache is not None:
                self.tuner.model_cache.retain(live)

    def _tell_duplicate(self, trial: Trial, hp: HyperParameters, original: int) -> None:
        src = self.study.trials[original]
        attrs = {k: v for k, v in src.user_attrs.items() if k not in ("fit_seconds", "build_seconds")}
        attrs["duplicate_of"] = original
        self.study.tell(trial, src.value, user_attrs=attrs, params=used_params(self.study, trial, hp))
        self.tuner.stats["duplicates"] += 1
        self.consecutive_duplicates += 1
        if self.verbose:
            print(f"trial {trial.id}: builds the same model as trial {original}; its result is reused", flush=True)

    def _tell_failure(self, trial: Trial, e: BaseException, seconds: float) -> None:
        done = self.study.tell(trial, exception=e)
        self.tuner.stats["failed"] += 1
        self._note_failure(done.error or repr(e), e)
        self._drop_checkpoints()
        if self.verbose:
            print(f"trial {trial.id}: FAILED after {seconds:.1f}s: {type(e).__name__}: {e}", flush=True)

    def _note_failure(self, text: str, e: BaseException | None) -> None:
        self.failed += 1
        self.consecutive_failures += 1
        if self.first_error is None:
            self.first_error = (text, e)

    def _print(self, t: Trial, res: TrialResult, seconds: float) -> None:
        """One line per trial: budget, value, the best so far at the same budget, and the
        parameters the model used (not those a configuration merely carries, e.g. units_3 of a
        1-layer model)."""
        budget = ""
        if t.budget is not None:
            restored = res.executions[0].resumed_from
            budget = f" [{_epochs(t.budget)}" + (f", continued from epoch {restored}]" if restored else "]")
        value = "FAILED" if t.value is None else f"{t.value:.4f}"
        if t.state is TrialState.PRUNED:
            value += f" PRUNED at epoch {t.user_attrs.get('pruned_at_epoch')}"
        best = self.best.at(t.budget)
        best_s = ""
        if best is not None:  # the best at this trial's budget: a value at another budget does not compare
            where = f" at {_epochs(t.budget)}:" if t.budget is not None else ""
            best_s = f" (best{where} {best:.4f})"
        print(f"trial {t.id}{budget}: {self.tuner.objective.name}={value}{best_s} {seconds:.1f}s  "
              f"{_used_params_text(t)}", flush=True)


def _settings_of(oracle: Oracle, given: Mapping[str, Any]) -> dict[str, Any]:
    """The tuner settings an oracle stands for; what is also given to the tuner is refused (one
    place for each setting)."""
    if not isinstance(oracle, Oracle):
        raise TypeError(f"oracle must be one of kt.oracles' oracles, got {oracle!r}")
    twice = sorted(k for k, v in given.items() if v is not None)
    if twice:
        raise ValueError(f"{', '.join(twice)} given to the Tuner and an oracle: give them to "
                         f"{type(oracle).__name__}(...) only")
    return oracle.tuner_settings()


def _epochs(n: Any) -> str:
    return f"{n} epoch" if n == 1 else f"{n} epochs"


def _used_params(t: Trial) -> dict[str, Any]:
    """The parameters the trial's model read, not those its configuration merely carries (all of
    them for a trial that did not record which)."""
    used = t.user_attrs.get("used_params")
    return {k: v for k, v in t.params.items() if used is None or k in used}


def _used_params_text(t: Trial) -> str:
    return ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in _used_params(t).items())


class _BestPerBudget:
    """The best value at each budget, kept as trials finish (no rescan of the history per trial).
    Single-fidelity trials all have budget None."""

    def __init__(self, objective: Objective, trials: list[Trial]) -> None:
        self.objective = objective
        self.best: dict[Any, float] = {}
        for t in trials:
            self.add(t)

    def add(self, t: Trial) -> None:
        if not t.ok or "duplicate_of" in t.user_attrs:
            return
        current = self.best.get(t.budget)
        if current is None or self.objective.better(t.value, current):  # type: ignore[arg-type]
            self.best[t.budget] = t.value  # type: ignore[assignment]

    def at(self, budget: Any) -> float | None:
        return self.best.get(budget)


# -- KerasTuner's class names ------------------------------------------------------------------------
class RandomSearch(Tuner):
    """Random search (`strategy="random"`), KerasTuner's argument names."""

    def __init__(self, hypermodel: Any = None, objective: Any = None, max_trials: int = 10, seed: int | None = None,
                 hyperparameters: HyperParameters | None = None, tune_new_entries: bool = True,
                 allow_new_entries: bool = True, **kwargs: Any) -> None:
        super().__init__(hypermodel, objective, strategy="random", max_trials=max_trials, seed=seed,
                         hyperparameters=hyperparameters, tune_new_entries=tune_new_entries,
                         allow_new_entries=allow_new_entries, **kwargs)


class GridSearch(Tuner):
    """Grid search (`strategy="grid"`): every combination once (floats need a step);
    `max_trials=None` runs the whole grid."""

    def __init__(self, hypermodel: Any = None, objective: Any = None, max_trials: int | None = None,
                 seed: int | None = None, hyperparameters: HyperParameters | None = None,
                 tune_new_entries: bool = True, allow_new_entries: bool = True, **kwargs: Any) -> None:
        super().__init__(hypermodel, objective, strategy="grid", max_trials=max_trials, seed=seed,
                         hyperparameters=hyperparameters, tune_new_entries=tune_new_entries,
                         allow_new_entries=allow_new_entries, **kwargs)


class BayesianOptimization(Tuner):
    """Gaussian-process Bayesian optimisation (`strategy="bayes"`). `num_initial_points` is the
    size of the initial design; `alpha` and `beta` of KerasTuner are accepted and ignored
    (hpcore's GP fits its noise, and uses log-EI by default)."""

    def __init__(self, hypermodel: Any = None, objective: Any = None, max_trials: int = 10,
                 num_initial_points: int | None = None, alpha: float | None = None, beta: float | None = None,
                 seed: int | None = None, hyperparameters: HyperParameters | None = None,
                 tune_new_entries: bool = True, allow_new_entries: bool = True, **kwargs: Any) -> None:
        options = dict(kwargs.pop("strategy_kwargs", None) or {})
        if num_initial_points:
            options["n_initial"] = int(num_initial_points)
        super().__init__(hypermodel, objective, strategy="bayes", max_trials=max_trials, seed=seed,
                         hyperparameters=hyperparameters, tune_new_entries=tune_new_entries,
                         allow_new_entries=allow_new_entries, strategy_kwargs=options, **kwargs)


class Hyperband(Tuner):
    """Hyperband (`strategy="hyperband"`): budgets in epochs from `min_epochs` (default 1) to
    `max_epochs`, reduction `factor`; promoted configurations continue from their checkpoint."""

    def __init__(self, hypermodel: Any = None, objective: Any = None, max_epochs: int = 100, factor: int = 3,
                 hyperband_iterations: int = 1, seed: int | None = None,
                 hyperparameters: HyperParameters | None = None, tune_new_entries: bool = True,
                 allow_new_entries: bool = True, **kwargs: Any) -> None:
        super().__init__(hypermodel, objective, strategy="hyperband", max_epochs=max_epochs, factor=factor,
                         hyperband_iterations=hyperband_iterations, seed=seed, hyperparameters=hyperparameters,
                         tune_new_entries=tune_new_entries, allow_new_entries=allow_new_entries, **kwargs)

