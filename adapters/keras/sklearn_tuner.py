"""`SklearnTuner`: KerasTuner's cross-validated search of scikit-learn estimators (no TensorFlow).

    import hpcore.adapters.keras as kt           # was: import keras_tuner as kt

    def build_model(hp):
        return sklearn.svm.SVC(C=hp.Float("C", 1e-2, 1e2, sampling="log"))

    tuner = kt.SklearnTuner(
        oracle=kt.oracles.BayesianOptimizationOracle(objective=kt.Objective("score", "max"), max_trials=10),
        hypermodel=build_model, scoring=sklearn.metrics.make_scorer(sklearn.metrics.accuracy_score),
        cv=sklearn.model_selection.StratifiedKFold(5), directory="runs", project_name="svc")
    tuner.search(X, y)
    best = tuner.get_best_models(1)[0]

KerasTuner's contract, kept: each trial builds one estimator per split of `cv` (default
`KFold(5, shuffle=True, random_state=1)`), fits it on the training part (with `sample_weight`
when the estimator takes it) and records the mean over splits of `score` (`scoring(model, X, y)`,
or `model.score`) and of every function in `metrics` (`f(y_true, y_pred)`, named by its
`__name__`). The objective is one of these names ("score" when the oracle has none). The model
kept for a trial is the one fitted on the last split, as in KerasTuner; `run_trial`, `save_model`
and `load_model` can be overridden as there.

What differs: the study lives in `directory/project_name/study.db` and the pickled estimators of
the `keep_best_models` best trials in `best/trial_<id>.pickle` (not `trial_<id>/model.pickle`);
`get_best_models` asking for more refits the missing ones on the last split, with a warning.
Under a `HyperbandOracle` an estimator does not see the budget (hpcore never puts `tuner/epochs`
into the `hp` a model reads), so every rung refits the same estimators: a warning says so.
"""

from __future__ import annotations

import inspect
import math
import pickle
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from hpcore.adapters.keras.engine.trial import Trial as KerasTrial
from hpcore.adapters.keras.errors import FatalError
from hpcore.adapters.keras.hypermodel import HyperModel, as_hypermodel
from hpcore.adapters.keras.hyperparameters import HyperParameters
from hpcore.adapters.keras.objective import MultiObjective, Objective, as_objective
from hpcore.adapters.keras.oracles import Oracle
from hpcore.adapters.keras.tuner_base import TunerBase, used_params

from hpcore.strategies.base import make_strategy
from hpcore.study import StudyExhausted, TooManyFailures
from hpcore.trial import Trial, TrialState

__all__ = ["SklearnTuner", "split_data"]

_UNSUPPORTED = ("logger", "tuner_id", "max_model_size", "distribution_strategy")


def split_data(data: Any, indices: np.ndarray) -> Any:
    """The rows `indices` of a NumPy array or a pandas DataFrame/Series."""
    if isinstance(data, np.ndarray):
        return data[indices]
    if hasattr(data, "iloc"):
        return data.iloc[indices]
    raise TypeError(f"SklearnTuner.search: X, y and sample_weight must be NumPy arrays or pandas objects, "
                    f"got {type(data).__name__}")


def _takes_sample_weight(model: Any) -> bool:
    try:
        return "sample_weight" in inspect.signature(model.fit).parameters
    except (TypeError, ValueError):
        return False


def _strategy_of(settings: Mapping[str, Any]) -> Any:
    """The hpcore strategy an oracle's settings stand for."""
    name = settings["strategy"]
    options = dict(settings.get("strategy_kwargs") or {})
    if name == "hyperband":
        options = {"min_budget": 1, "max_budget": int(settings["max_epochs"]), "eta": int(settings["factor"]),
                   "iterations": int(settings["hyperband_iterations"]), **options}
    return make_strategy(name, **options)


class SklearnTuner(TunerBase):
    """Cross-validated search of a scikit-learn estimator (see the module docstring).

    Args:
        oracle: a `kt.oracles.*Oracle` (Random, Grid, Bayesian; Hyperband runs with a warning).
            Its objective names "score" or one of `metrics` (default `Objective("score", "max")`);
            a list is summed as in `Tuner`.
        hypermodel: `build_model(hp)` returning an unfitted estimator, or a `HyperModel`.
        scoring: a scorer `scoring(model, X, y, sample_weight=None)` (e.g. `make_scorer(...)`);
            default the estimator's own `score`.
        metrics: functions `f(y_true, y_pred, sample_weight=None)` recorded per trial.
        cv: a splitter object with `split(X, y, groups)` (e.g. `KFold(3)`).
        directory, project_name, overwrite: the project, as in `Tuner`.
        keep_best_models: how many trials' estimators are kept on disk.
    """

    def __init__(self, oracle: Oracle, hypermodel: Any, scoring: Callable[..., float] | None = None,
                 metrics: Callable[..., float] | Sequence[Callable[..., float]] | None = None, cv: Any = None,
                 directory: Any = None, project_name: str | None = None, overwrite: bool = False,
                 keep_best_models: int = 5, **kwargs: Any) -> None:
        import sklearn.model_selection  # an ImportError here names the missing package

        for k in _UNSUPPORTED:
            if kwargs.pop(k, None) is not None:
                warnings.warn(f"SklearnTuner: {k}= is not supported and is ignored", stacklevel=2)
        if kwargs:
            raise TypeError(f"SklearnTuner got unexpected arguments {sorted(kwargs)}")
        if not isinstance(oracle, Oracle):
            raise TypeError(f"SklearnTuner: oracle must be one of kt.oracles' oracles, got {oracle!r}")
        settings = oracle.tuner_settings()
        if settings.get("max_retries_per_trial") not in (None, 0):  # as Tuner does
            warnings.warn("SklearnTuner: max_retries_per_trial= is not supported and is ignored", stacklevel=2)
        self.hypermodel: HyperModel = as_hypermodel(hypermodel)
        self.scoring = scoring
        metrics = [] if metrics is None else list(metrics) if isinstance(metrics, (list, tuple)) else [metrics]
        for m in metrics:
            if not callable(m) or not getattr(m, "__name__", None):
                raise TypeError(f"SklearnTuner: metrics must be named functions f(y_true, y_pred), got {m!r}")
        self.metrics = metrics
        self.cv = cv if cv is not None else sklearn.model_selection.KFold(5, shuffle=True, random_state=1)
        if not callable(getattr(self.cv, "split", None)):
            raise TypeError(f"SklearnTuner: cv must be a splitter object such as KFold(5), got {cv!r}")
        self.objective: Objective = (Objective("score", "max") if settings["objective"] is None
                                     else as_objective(settings["objective"]))
        self._check_objective_names()
        self.strategy = _strategy_of(settings)
        self.multi_fidelity = bool(self.strategy.multi_fidelity)
        if self.multi_fidelity:
            warnings.warn("SklearnTuner with a HyperbandOracle: an estimator does not see the budget, so every "
                          "rung refits the same estimators; RandomSearchOracle or BayesianOptimizationOracle "
                          "search the same space without the repeats", stacklevel=2)
        self.seed = settings["seed"]
        self.max_trials = settings["max_trials"]
        self.max_consecutive_failed_trials = settings["max_consecutive_failed_trials"]
        hps = settings["hyperparameters"]
        self._overrides = hps.definitions if hps is not None else {}
        self._tune_new, self._allow_new = bool(settings["tune_new_entries"]), bool(settings["allow_new_entries"])
        self.keep_best_models = int(keep_best_models)
        self._set_project(directory, project_name)
        if overwrite:
            self._delete_project_files(("best",))
        self.project_dir.mkdir(parents=True, exist_ok=True)
        self.study = self._open_study()
        self.oracle = oracle
        self.oracle._bind(self)

    def _check_objective_names(self) -> None:
        """With the default `run_trial`, the objective must be among the names it records."""
        if type(self).run_trial is not SklearnTuner.run_trial:
            return  # an override records what it likes
        known = ["score", *(m.__name__ for m in self.metrics)]
        names = [o.name for o in self.objective.objectives] if isinstance(self.objective, MultiObjective) \
            else [self.objective.name]
        for name in names:
            if name not in known:
                raise ValueError(f"SklearnTuner: the objective {name!r} is not recorded by a trial; use "
                                 f"kt.Objective('score', 'max') or the name of one of metrics= ({known})")

    # -- search ------------------------------------------------------------------------------------
    def search(self, X: Any, y: Any, sample_weight: Any = None, groups: Any = None, verbose: int = 1) -> None:
        """Run trials until the oracle's `max_trials` (counting earlier runs of this project) or
        its strategy is done. `groups` goes to `cv.split` (e.g. for `GroupKFold`); `verbose=0`
        prints nothing, 1 a line per trial."""
        self._last_data = (X, y, sample_weight, groups)  # what get_best_models refits on
        completed = failed = consecutive = 0
        first_error: tuple[str, BaseException] | None = None
        while self.max_trials is None or sum(self._counted(t) for t in self.study.trials) < self.max_trials:
            try:
                trial = self.study.ask()
            except StudyExhausted as e:
                if verbose:
                    print(f"hpcore: {e}; the search is complete", flush=True)
                break
            error = self._run_one(trial, X, y, sample_weight, groups, verbose)
            if error is None:
                completed, consecutive = completed + 1, 0
                continue
            failed, consecutive = failed + 1, consecutive + 1
            first_error = first_error or (str(error), error)
            n = self.max_consecutive_failed_trials
            if n is not None and consecutive >= n:
                raise TooManyFailures(f"{n} consecutive trials failed; the first error:\n{first_error[0]}") \
                    from first_error[1]
        if failed and not completed and first_error is not None:
            raise TooManyFailures(f"all {failed} trials failed; the first error:\n{first_error[0]}") from first_error[1]

    def _run_one(self, trial: Trial, X: Any, y: Any, sample_weight: Any, groups: Any,
                 verbose: int) -> BaseException | None:
        """Run and tell one trial; returns the error that failed it (None when it completed)."""
        hp = self._new_hp(self.study.space, trial.params)
        started = time.perf_counter()
        try:
            out = self.run_trial(KerasTrial(hp, trial.id), X, y, sample_weight=sample_weight, groups=groups)
            metrics = self._metrics_of(out)
            value = self.objective.value_of(metrics)
            if not math.isfinite(value):
                raise ValueError(f"the objective {self.objective.name!r} is {value}")
        except KeyboardInterrupt as e:
            self._tell_interrupted(trial, e)
            raise
        except FatalError as e:
            self.study.tell(trial, exception=e)
            raise
        except Exception as e:
            self.study.tell(trial, exception=e)
            if verbose:
                print(f"trial {trial.id}: FAILED: {type(e).__name__}: {e}", flush=True)
            return e
        done = self.study.tell(trial, value, params=used_params(self.study, trial, hp),
                               user_attrs={"history": {k: [v] for k, v in metrics.items()},
                                           "used_params": sorted(hp.accessed["build"])})
        self._retain_best_models()
        if verbose:
            print(f"trial {done.id}: {self.objective.name}={value:.4f} {time.perf_counter() - started:.1f}s  "
                  + ", ".join(f"{k}={v}" for k, v in done.params.items()), flush=True)
        return None if done.state is TrialState.COMPLETE else ValueError(done.error or "rejected")

    @staticmethod
    def _metrics_of(out: Any) -> dict[str, float]:
        """What `run_trial` returned as metric name -> value: a dict, or a number (the score)."""
        if isinstance(out, Mapping):
            return {str(k): float(v) for k, v in out.items()}
        if isinstance(out, (int, float, np.number)) and not isinstance(out, bool):
            return {"score": float(out)}
        raise TypeError(f"SklearnTuner.run_trial returned {type(out).__name__}; expected a dict of metrics "
                        "or a number (the score)")

    def run_trial(self, trial: KerasTrial, X: Any, y: Any, sample_weight: Any = None, groups: Any = None) -> Any:
        """Fit and score `trial`'s estimator on every split of `cv`; returns the mean of "score"
        and of each metric. Saves the estimator of the last split (`save_model`)."""
        values: dict[str, list[float]] = {}
        model = None
        for train, test in self.cv.split(X, y, **({"groups": groups} if groups is not None else {})):
            model = self._fitted(trial.hyperparameters, X, y, sample_weight, train)
            w_test = None if sample_weight is None else split_data(np.asarray(sample_weight), test)
            x_test, y_test = split_data(X, test), split_data(y, test)
            score = model.score(x_test, y_test, sample_weight=w_test) if self.scoring is None \
                else self.scoring(model, x_test, y_test, sample_weight=w_test)
            values.setdefault("score", []).append(float(score))
            if self.metrics:
                predicted = model.predict(x_test)
                for metric in self.metrics:
                    values.setdefault(metric.__name__, []).append(float(metric(y_test, predicted,
                                                                               sample_weight=w_test)))
        if model is None:
            raise ValueError(f"cv={self.cv!r} made no split of the data")
        self.save_model(trial.trial_id, model)
        return {name: float(np.mean(v)) for name, v in values.items()}

    def _fitted(self, hp: HyperParameters, X: Any, y: Any, sample_weight: Any, train: np.ndarray) -> Any:
        """`build(hp)` fitted on the rows `train` (with their sample weights when it takes them)."""
        model = self.hypermodel.build(hp)
        if not callable(getattr(model, "fit", None)):
            raise TypeError(f"build(hp) must return a scikit-learn estimator, got {type(model).__name__}")
        fit_kwargs = {}
        if sample_weight is not None and _takes_sample_weight(model):
            fit_kwargs["sample_weight"] = split_data(np.asarray(sample_weight), train)
        model.fit(split_data(X, train), split_data(y, train), **fit_kwargs)
        return model

    # -- models ------------------------------------------------------------------------------------
    def _model_path(self, trial_id: int | str) -> Path:
        return self.project_dir / "best" / f"trial_{int(trial_id)}.pickle"

    def save_model(self, trial_id: int | str, model: Any, step: int = 0) -> None:
        """Pickle a trial's estimator (pruned to the `keep_best_models` best after the trial)."""
        path = self._model_path(trial_id)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as f:
            pickle.dump(model, f)
        tmp.replace(path)

    def load_model(self, trial: Any) -> Any:
        """The estimator saved for `trial` (a trial view, an hpcore trial, or its id)."""
        tid = getattr(trial, "trial_id", getattr(trial, "id", trial))
        with open(self._model_path(tid), "rb") as f:
            return pickle.load(f)

    def _retain_best_models(self) -> None:
        keep = {t.id for t in self.get_best_trials(self.keep_best_models)} if self.keep_best_models > 0 else set()
        folder = self.project_dir / "best"
        for f in folder.glob("trial_*.pickle") if folder.exists() else ():
            if int(f.stem.removeprefix("trial_")) not in keep:
                f.unlink(missing_ok=True)

    _REMADE = ("refitted trials {ids} on the last cv split (only the {k} best estimators are kept; "
               "keep_best_models= keeps more)")

    def _kept_path(self, t: Trial) -> Path:
        return self._model_path(t.id)

    def _kept_model(self, t: Trial) -> Any | None:
        return self.load_model(t.id) if self._model_path(t.id).exists() else None

    def _remade_model(self, t: Trial, data: tuple[Any, Any, Any, Any]) -> Any:
        """Trial `t`'s estimator rebuilt and fitted on the last split of `cv` (KerasTuner keeps the
        one of that split) of the data of the last `search`."""
        X, y, sample_weight, groups = data
        splits = list(self.cv.split(X, y, **({"groups": groups} if groups is not None else {})))
        return self._fitted(self._new_hp(self.study.space, t.params), X, y, sample_weight, splits[-1][0])
