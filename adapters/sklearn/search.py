"""`HPSearchCV`: hpcore's strategies behind scikit-learn's search-estimator interface."""

from __future__ import annotations

import copy
import math
import numbers
import os
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
from hpcore.adapters.sklearn._cv import (
    N_SAMPLES,
    CrossValidation,
    PrunedCrossValidation,
    cv_results,
    stratified_order,
)
from hpcore.adapters.sklearn._skopt import ResultSoFar, as_callbacks
from hpcore.adapters.sklearn._space import GridList, space_from_spec
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.exceptions import FitFailedWarning
from sklearn.metrics import check_scoring
from sklearn.model_selection import check_cv
from sklearn.utils import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import _num_samples, check_is_fitted, indexable

from hpcore.space import Space
from hpcore.strategies.base import Strategy, make_strategy
from hpcore.study import Study, TooManyFailures
from hpcore.trial import TrialState

__all__ = ["HPSearchCV"]

SPACE_NAMES = ("space", "search_spaces", "param_distributions", "param_grid")
#: Trials of a random or Bayesian search when neither n_trials nor n_iter is given.
DEFAULT_TRIALS = 50


def _delegates(method: str) -> Callable[[Any], bool]:
    """`available_if` check: the refitted best estimator (else the unfitted one) has `method`."""

    def check(self: HPSearchCV) -> bool:
        if hasattr(self, "best_estimator_"):
            getattr(self.best_estimator_, method)
            return True
        if hasattr(self, "cv_results_") and not self.refit:
            raise AttributeError(f"{method!r} needs refit=True: this HPSearchCV was fitted with refit=False")
        getattr(self.estimator, method)
        return True

    return check


class HPSearchCV(MetaEstimatorMixin, BaseEstimator):
    """Hyperparameter search with cross-validation, driven by an hpcore strategy.

    A drop-in for `GridSearchCV` / `RandomizedSearchCV` / scikit-optimize's `BayesSearchCV`: each
    trial of an hpcore `Study` sets the parameters it proposes on a clone of `estimator`, scores
    it by cross-validation, and the study (direction "maximize": scikit-learn scorers are
    greater-is-better) proposes the next. After `fit` the best configuration is refitted on all
    the data and the search predicts with it.

    Args:
        estimator: any scikit-learn estimator, e.g. a `Pipeline`.
        space: an `hpcore.Space`, or a dict name -> an hpcore parameter (`Float`, `Int`, `Choice`,
            `Bool`, `Fixed`), a list of values (categories), a range tuple in scikit-optimize's
            convention (`(low, high)`: Int for two ints, else Float; `(low, high, "log-uniform")`;
            `(low, high, prior, base)`), a skopt `Real`/`Integer`/`Categorical`, or a
            `scipy.stats` `uniform`/`loguniform`/`randint`; with strategy="grid" also a list of
            such dicts of lists (GridSearchCV's list of grids). Anything else, including a tuple
            that is not a range and other scipy.stats distributions, is a `TypeError` naming the
            key (see `hpcore.adapters.sklearn._space`). Names are those of
            `estimator.get_params()`, so pipeline paths such as "classifier__learning_rate" work.
            `search_spaces=` (BayesSearchCV), `param_distributions=` (RandomizedSearchCV) and
            `param_grid=` (GridSearchCV) are other names for it: give exactly one. Under
            `param_grid=`/`param_distributions=` a tuple is a sequence of values, as in scikit-learn.
        strategy: "bayes" (Gaussian-process), "random", "grid", "hyperband", or an
            `hpcore.Strategy` object. None (default): "grid" with `param_grid=`, "random" with
            `param_distributions=`, else "bayes".
        n_trials: how many trials to run (one trial = one configuration cross-validated at one
            budget); `n_iter` is another name for it (both given and different: `ValueError`).
            For a study resumed from `storage` it counts the stored trials too. None (default)
            runs the whole grid with strategy="grid", one full Hyperband iteration with
            "hyperband", and 50 trials otherwise.
        cv, scoring, refit, n_jobs, error_score, return_train_score: as in `GridSearchCV`, except
            that `n_jobs` is the number of trials run in parallel (worker processes). `scoring`
            may name several metrics (list, tuple, set, dict, or a callable returning a dict):
            then `refit` names the one the search optimises and refits on, and `cv_results_` has
            `mean_test_<name>`/`rank_test_<name>` for each; refit=False or a callable refit
            with several metrics needs a non-adaptive strategy ("grid" or "random"), which
            optimises nothing. `error_score`: "raise", or a number (np.nan by default) shown as
            the scores of a failed fit in `cv_results_`; a failed trial stays FAILED for the
            strategy (it learns nothing from the stand-in score) and is never `best_`.
        random_state: seed of the study (int); None draws one.
        storage: None (in memory) or an SQLite path / hpcore storage; a later `fit` with the same
            storage and `study_name` resumes the study (its data must be the same).
        study_name: name of the study in `storage` (default "HPSearchCV").
        resource: for Hyperband, what the budget controls: "n_samples" (each CV training fold is
            subsampled to budget / n_samples of its samples; test folds stay whole), or the name of
            an integer estimator parameter such as "n_estimators" or "classifier__max_iter".
        min_resources, max_resources, eta: the Hyperband budgets and reduction factor. Defaults:
            max_resources is n_samples of X for "n_samples", else the estimator's current value of
            the parameter; min_resources is max_resources // eta**3 (at least 1; for
            "n_samples" at least 2 samples per class and split).
        verbose: > 0 shows hpcore's progress bar and plan.
        pruner: None (default: every configuration is scored on every split), or what stops a
            hopeless configuration's remaining splits (`hpcore.MedianPruner()`, a name such as
            "median", or a config dict; see `hpcore.pruners`). After split j (0-based) the trial
            reports the mean test score of splits 0..j at step j, and the pruner compares it with
            what other trials had after the same splits. A pruned configuration keeps a row in
            `cv_results_`: `pruned` True, the scores of the splits it ran, NaN for the others,
            a NaN mean (ranked last); it is never `best_`. Not with strategy="hyperband", whose
            budgets already stop configurations early (`ValueError`).

    Attributes after `fit`: `cv_results_` (scikit-learn's keys, one row per trial, plus
    `trial_id`, `n_resources` under Hyperband, `pruned` with a pruner), `best_index_`, `best_score_`,
    `best_params_`, `best_estimator_` and `refit_time_` (refit only), `n_splits_`, `scorer_`,
    `multimetric_`, `classes_`, `n_features_in_`, `study_` (the hpcore `Study`; not pickled),
    `optimizer_results_` (scikit-optimize's: a one-element list holding the `OptimizeResult` of
    the search, minimisation convention: `fun` is minus the best score, `x` follows the sorted
    parameter names), `total_iterations` (the number of trials the search plans).

    `fit(X, y, callback=...)` takes scikit-optimize callbacks (a callable or a list): each is
    called in the main process after every finished trial with the `OptimizeResult` so far
    (`x`, `fun`, `x_iters`, `func_vals` of the completed trials); one returning True stops the
    search. `callback` is therefore never passed on to the estimator's `fit`.
    """

    def __init__(
        self,
        estimator: Any,
        space: Any = None,
        strategy: str | Strategy | None = None,
        n_trials: int | None = None,
        cv: Any = 5,
        scoring: Any = None,
        refit: bool | Callable[[dict], int] = True,
        n_jobs: int | None = None,
        random_state: int | np.random.RandomState | None = None,
        storage: Any = None,
        *,
        search_spaces: Any = None,
        param_distributions: Any = None,
        param_grid: Any = None,
        n_iter: int | None = None,
        study_name: str | None = None,
        resource: str | None = None,
        min_resources: int | None = None,
        max_resources: int | None = None,
        eta: int = 3,
        error_score: float | str = np.nan,
        return_train_score: bool = False,
        verbose: int = 0,
        pruner: Any = None,
    ) -> None:
        self.estimator = estimator
        self.space = space
        self.search_spaces = search_spaces
        self.param_distributions = param_distributions
        self.param_grid = param_grid
        self.n_iter = n_iter
        self.strategy = strategy
        self.n_trials = n_trials
        self.cv = cv
        self.scoring = scoring
        self.refit = refit
        self.n_jobs = n_jobs
        self.random_state = random_state
        self.storage = storage
        self.study_name = study_name
        self.resource = resource
        self.min_resources = min_resources
        self.max_resources = max_resources
        self.eta = eta
        self.error_score = error_score
        self.return_train_score = return_train_score
        self.verbose = verbose
        self.pruner = pruner

    # -- scikit-learn plumbing -----------------------------------------------------------------------
    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.estimator_type = inner.estimator_type
        tags.classifier_tags = copy.deepcopy(inner.classifier_tags)
        tags.regressor_tags = copy.deepcopy(inner.regressor_tags)
        tags.transformer_tags = copy.deepcopy(inner.transformer_tags)
        tags.target_tags = copy.deepcopy(inner.target_tags)
        tags.input_tags.pairwise = inner.input_tags.pairwise
        tags.input_tags.sparse = inner.input_tags.sparse
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        tags.input_tags.categorical = inner.input_tags.categorical
        tags.input_tags.string = inner.input_tags.string
        tags.input_tags.positive_only = inner.input_tags.positive_only
        return tags

    def __getstate__(self) -> dict:
        state = super().__getstate__()
        state.pop("study_", None)  # holds a storage connection; reopen with hpcore.Study(storage=..., name=...)
        return state

    # -- checks ------------------------------------------------------------------------------------------
    def _space_argument(self) -> tuple[str, Any]:
        """(name, value) of the one space given, under whichever of its four names."""
        given = {name: getattr(self, name) for name in SPACE_NAMES if getattr(self, name) is not None}
        if len(given) != 1:
            raise TypeError(f"give the search space as exactly one of {', '.join(SPACE_NAMES)}; got "
                            f"{', '.join(given) or 'none'}")
        return next(iter(given.items()))

    def _space(self) -> tuple[Space, list[dict] | None]:
        """The hpcore Space, and the points of a list of grids (None for any other space)."""
        # A copy: building a Space prepares its parameter objects, and fit must not touch its arguments.
        name, given = self._space_argument()
        # scikit-learn's argument names keep scikit-learn's reading of a tuple (values, not a range)
        space, points = space_from_spec(copy.deepcopy(given),
                                        tuple_is_values=name in ("param_grid", "param_distributions"))
        if points is not None and self._strategy_name() != "grid":
            raise ValueError(f"a list of grid dicts needs strategy='grid', not {self._strategy_name()!r}")
        if len(space) == 0:
            raise ValueError("the space is empty")
        valid = self.estimator.get_params(deep=True)
        unknown = [n for n in space if n not in valid]
        if unknown:
            raise ValueError(f"{unknown} are not parameters of {type(self.estimator).__name__}; "
                             f"valid names: {sorted(valid)}")
        return space, points

    def _strategy_name(self) -> str | Strategy:
        """`strategy`, or when None the one the space's argument name implies: "grid" for
        param_grid=, "random" for param_distributions=, "bayes" otherwise."""
        if self.strategy is not None:
            return self.strategy
        if self.param_grid is not None:
            return "grid"
        return "random" if self.param_distributions is not None else "bayes"

    def _n_trials(self) -> int | None:
        """`n_trials` or its alias `n_iter`; None leaves the count to the strategy."""
        n, alias = self.n_trials, self.n_iter
        if n is not None and alias is not None and n != alias:
            raise ValueError(f"n_trials={n!r} and n_iter={alias!r} disagree: n_iter is another name for n_trials; "
                             "give one")
        n = alias if n is None else n
        if n is not None and (isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1):
            raise ValueError(f"n_trials must be a positive integer, got {n!r}")
        if n is None and not (self._strategy_name() == "grid" or self._is_hyperband()):
            return DEFAULT_TRIALS
        return None if n is None else int(n)

    def _n_workers(self) -> int:
        n = self.n_jobs
        if n is None:
            return 1
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n == 0:
            raise ValueError(f"n_jobs must be a non-zero integer or None, got {n!r}")
        cpus = os.cpu_count() or 1
        return int(n) if n > 0 else max(1, cpus + 1 + int(n))

    def _seed(self) -> int | None:
        rs = self.random_state
        if rs is None:
            return None
        if isinstance(rs, np.random.RandomState):
            return int(rs.randint(2**31 - 1))
        if isinstance(rs, bool) or not isinstance(rs, numbers.Integral) or rs < 0:
            raise ValueError(f"random_state must be a non-negative integer, a RandomState or None, got {rs!r}")
        return int(rs)

    def _is_hyperband(self) -> bool:
        if isinstance(self._strategy_name(), str):
            return self._strategy_name() == "hyperband"
        return bool(getattr(self.strategy, "multi_fidelity", False))

    def _strategy(self, n: int, n_splits: int, n_classes: int, n_trials: int | None,
                  points: list[dict] | None) -> tuple[Strategy, str | None]:
        if not self._is_hyperband():
            if self.resource is not None:
                raise ValueError("resource= needs strategy='hyperband'")
            if points is not None:
                return GridList(points), None
            return make_strategy(self._strategy_name()), None
        if self.resource is None:
            raise ValueError("strategy='hyperband' needs resource='n_samples' or the name of an estimator "
                             "parameter (e.g. 'n_estimators') that the budget sets")
        if isinstance(self.strategy, Strategy):
            return self.strategy, self.resource
        try:
            from hpcore.hyperband_plan import hyperband_plan
            from hpcore.strategies.hyperband import Hyperband
        except ImportError as e:  # pragma: no cover - while the strategy is being written
            raise ValueError(f"strategy='hyperband' is not available: {e}") from e
        eta = self.eta
        if self.resource == N_SAMPLES:
            top = n if self.max_resources is None else self.max_resources
            floor = 2 * n_splits * max(n_classes, 1)
        else:
            params = self.estimator.get_params(deep=True)
            if self.resource not in params:
                raise ValueError(f"resource={self.resource!r} is neither 'n_samples' nor a parameter of "
                                 f"{type(self.estimator).__name__}")
            top = params[self.resource] if self.max_resources is None else self.max_resources
            if isinstance(top, bool) or not isinstance(top, numbers.Integral):
                raise ValueError(f"max_resources is needed: the estimator's {self.resource}={top!r} is not an "
                                 "integer")
            floor = 1
        top = int(top)
        if self.min_resources is None:
            low = min(top, max(floor, top // int(eta) ** 3, 1))
        else:
            low = int(self.min_resources)
        if self.resource == N_SAMPLES and top > n:
            raise ValueError(f"max_resources={top} is larger than the {n} samples of X")
        plan = hyperband_plan(low, top, eta)
        per_iteration = sum(r.n_configs for b in plan for r in b.rungs)
        iterations = 1 if n_trials is None else max(1, math.ceil(n_trials / per_iteration))
        return Hyperband(low, top, eta, iterations=iterations), self.resource

    # -- fit ---------------------------------------------------------------------------------------------
    def _check_error_score(self) -> None:
        e = self.error_score
        if not (e == "raise" or (isinstance(e, numbers.Real) and not isinstance(e, bool))):
            raise ValueError(f"error_score must be 'raise' or a number (np.nan by default), got {e!r}")

    def _scoring(self) -> tuple[Any, list[str] | None, str | None]:
        """(scorer, metric names or None for one scorer, the metric the search optimises)."""
        refit, scoring = self.refit, self.scoring
        if not (isinstance(refit, (bool, str)) or callable(refit)):
            raise TypeError(f"refit must be True, False, a metric name or a callable, got {refit!r}")
        scorer = check_scoring(self.estimator, scoring=scoring)
        if not isinstance(scoring, (list, tuple, set, dict)):
            if isinstance(refit, str):
                raise ValueError(f"refit={refit!r} names a metric, but scoring is one scorer: use refit=True")
            return scorer, None, None
        metrics = list(scoring) if isinstance(scoring, dict) else sorted(scoring)
        if isinstance(refit, str):
            if refit not in metrics:
                raise ValueError(f"refit={refit!r} is not one of the scorers {metrics}")
            return scorer, metrics, refit
        if refit is True:
            raise ValueError(f"with several scorers, refit names the one to optimise and refit on: one of {metrics} "
                             "(or False, or a callable, with strategy 'grid' or 'random')")
        if self._strategy_name() not in ("grid", "random"):
            raise ValueError(f"with several scorers and refit={refit!r}, strategy {self._strategy_name()!r} would not know "
                             f"which metric to optimise: set refit to one of {metrics}")
        return scorer, metrics, metrics[0]  # grid and random search ignore the values

    def fit(self, X: Any, y: Any = None, *, groups: Any = None, callback: Any = None,
            **fit_params: Any) -> HPSearchCV:
        """Run the search on X, y (cross-validated with `groups` if the splitter uses them) and,
        with `refit`, fit the best configuration on all of X, y. `callback`: scikit-optimize
        callbacks (see the class docstring). `fit_params` go to the estimator's `fit`
        (per-sample ones are split with the data)."""
        n_trials = self._n_trials()
        self._check_error_score()
        scorer, metrics, metric = self._scoring()
        callbacks = as_callbacks(callback)
        space, points = self._space()
        workers = self._n_workers()
        seed = self._seed()
        estimator = self.estimator

        X, y, groups = indexable(X, y, groups)
        n = int(_num_samples(X))
        classifier = is_classifier(estimator)
        cv = check_cv(self.cv, y, classifier=classifier)
        splits = [(np.asarray(tr), np.asarray(te)) for tr, te in cv.split(X, y, groups)]
        n_splits = len(splits)
        labels = np.asarray(y) if classifier and y is not None and np.ndim(y) == 1 else None
        n_classes = 0 if labels is None else len(np.unique(labels))
        strategy, resource = self._strategy(n, n_splits, n_classes, n_trials, points)
        if self.pruner is not None and strategy.multi_fidelity:
            raise ValueError(f"pruner= does not go with strategy {strategy.name!r}: its budgets already stop "
                             "configurations early. Prune with strategy 'random', 'bayes' or 'grid'")
        if resource is not None and resource in space:
            raise ValueError(f"{resource!r} is the Hyperband resource: remove it from the space")

        fingerprint = None
        if self.storage is not None:
            import joblib

            fingerprint = joblib.hash((X, y, splits))
        study = Study(space, strategy=strategy, direction="maximize", storage=self.storage,
                      name=self.study_name or "HPSearchCV", seed=seed, pruner=self.pruner)
        finished = [t for t in study.trials if t.state.finished]
        if fingerprint is not None:
            other = [t.id for t in finished if t.user_attrs.get("data", fingerprint) != fingerprint]
            if other:
                raise ValueError(f"study {study.name!r} in this storage ran trials {other[:5]} on other data or "
                                 "CV splits; pass another study_name")
        orders = None
        if resource == N_SAMPLES:
            rng = np.random.default_rng([study.seed, 0x5CF])
            orders = [stratified_order(tr, None if labels is None else labels[tr], rng) for tr, _ in splits]
        # Reporting after each split only with a pruner: an objective that takes `trial` costs a
        # report channel to the workers of n_jobs > 1.
        kind = CrossValidation if study.pruner is None else PrunedCrossValidation
        objective = kind(estimator, X, y, splits, scorer, fit_params, resource=resource, orders=orders,
                         return_train_score=self.return_train_score, fingerprint=fingerprint, metric=metric)
        remaining = None if n_trials is None else max(0, n_trials - len(finished))
        planned = remaining if remaining is not None else strategy.planned_trials(space, study.trials)
        self._total_iterations = None if planned is None else len(finished) + planned
        progress = ResultSoFar(list(space))
        for t in finished:
            progress.add(t)
        if remaining != 0:
            self._optimize(study, objective, remaining, workers, callbacks, progress)

        trials = [t for t in study.trials if t.state.finished]
        self.study_ = study
        self.scorer_ = scorer
        self.multimetric_ = metrics is not None
        self.n_splits_ = n_splits
        self.optimizer_results_ = [progress.result()]
        error_score = math.nan if self.error_score == "raise" else float(self.error_score)
        self.cv_results_ = cv_results(trials, list(space), n_splits, return_train_score=self.return_train_score,
                                      budget_name=resource, metrics=metrics, error_score=error_score,
                                      pruning=study.pruner is not None
                                      or any(t.state is TrialState.PRUNED for t in trials))
        failed = [t for t in trials if t.state is TrialState.FAILED]
        if failed:
            warnings.warn(f"{len(failed)} of {len(trials)} trials failed; their scores are {error_score} in "
                          f"cv_results_. The first error:\n{failed[0].error}", FitFailedWarning, stacklevel=2)
        if not any(t.ok for t in trials):
            raise ValueError(f"no trial of the search completed; the first error:\n"
                             f"{failed[0].error if failed else 'none ran'}")
        self._choose_best(study, metric)
        if self.refit:
            best_est = clone(estimator).set_params(**self.best_params_)
            t0 = time.perf_counter()
            best_est.fit(X, y, **fit_params)
            self.refit_time_ = time.perf_counter() - t0
            self.best_estimator_ = best_est
        return self

    def _optimize(self, study: Study, objective: CrossValidation, n_trials: int | None, workers: int,
                  callbacks: list, progress: ResultSoFar) -> None:
        """Run the trials; skopt-style callbacks see the result after each (True stops)."""

        def report(study: Study, trial: Any) -> None:
            progress.add(trial)
            if callbacks:
                result = progress.result()
                if any([cb(result) for cb in callbacks]):  # a list: every callback is called, as in skopt
                    study.stop()

        raising = self.error_score == "raise"
        try:
            study.optimize(objective, n_trials=n_trials, n_workers=workers, catch=() if raising else (Exception,),
                           callbacks=[report], verbose=self.verbose > 0)
        except TooManyFailures as e:
            raise ValueError(f"every trial of the search failed, so there is no best configuration of "
                             f"{type(self.estimator).__name__}. {e}") from e

    def _choose_best(self, study: Study, metric: str | None) -> None:
        """best_index_, best_params_ and best_score_ as scikit-learn sets them."""
        ids = list(self.cv_results_["trial_id"])
        if callable(self.refit):
            index = self.refit(self.cv_results_)
            if not isinstance(index, numbers.Integral) or not 0 <= index < len(ids):
                raise IndexError(f"refit callable returned {index!r}, not an index of cv_results_ (0..{len(ids) - 1})")
            self.best_index_ = int(index)
        elif self.refit is False and metric is not None:
            return  # several scorers and no refit: scikit-learn names no best either
        else:
            best = study.best_trial  # a COMPLETE trial: a failed one is never best, whatever error_score
            assert best is not None
            self.best_index_ = ids.index(best.id)
            self.best_score_ = float(self.cv_results_[f"mean_test_{metric or 'score'}"][self.best_index_])
        self.best_params_ = dict(self.cv_results_["params"][self.best_index_])

    @property
    def total_iterations(self) -> int | None:
        """The number of trials the search runs (scikit-optimize's name): n_trials, or after `fit`
        the size of the grid or Hyperband plan when n_trials is None."""
        planned = getattr(self, "_total_iterations", None)
        return planned if planned is not None else self._n_trials()

    # -- delegation to the refitted best estimator ---------------------------------------------------------
    def _fitted(self) -> Any:
        check_is_fitted(self)
        if not hasattr(self, "best_estimator_"):
            raise AttributeError("this HPSearchCV was fitted with refit=False: refit to predict")
        return self.best_estimator_

    @available_if(_delegates("predict"))
    def predict(self, X: Any) -> Any:
        return self._fitted().predict(X)

    @available_if(_delegates("predict_proba"))
    def predict_proba(self, X: Any) -> Any:
        return self._fitted().predict_proba(X)

    @available_if(_delegates("predict_log_proba"))
    def predict_log_proba(self, X: Any) -> Any:
        return self._fitted().predict_log_proba(X)

    @available_if(_delegates("decision_function"))
    def decision_function(self, X: Any) -> Any:
        return self._fitted().decision_function(X)

    @available_if(_delegates("transform"))
    def transform(self, X: Any) -> Any:
        return self._fitted().transform(X)

    @available_if(_delegates("transform"))
    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> Any:
        """`fit`, then `transform` X with the refitted best estimator."""
        return self.fit(X, y, **fit_params).transform(X)

    @available_if(_delegates("inverse_transform"))
    def inverse_transform(self, X: Any) -> Any:
        return self._fitted().inverse_transform(X)

    @available_if(_delegates("score_samples"))
    def score_samples(self, X: Any) -> Any:
        return self._fitted().score_samples(X)

    def score(self, X: Any, y: Any = None) -> float:
        """The search's scorer (`scoring`, else the estimator's `score`) on X, y with the refitted
        best estimator."""
        score = self.scorer_(self._fitted(), X, y)
        return float(score[self.refit] if self.multimetric_ and isinstance(self.refit, str) else score)

    @property
    def classes_(self) -> np.ndarray:
        return self._fitted().classes_

    @property
    def n_features_in_(self) -> int:
        return self._fitted().n_features_in_

    @property
    def feature_names_in_(self) -> np.ndarray:
        return self._fitted().feature_names_in_
