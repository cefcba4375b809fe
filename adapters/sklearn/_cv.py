"""Cross-validation as an hpcore objective, and the `cv_results_` table built from trials.

Notation
    n           samples of X
    k           CV splits; split j has training indices train_j and test indices test_j
    b           a trial's budget (Hyperband): a value of the estimator parameter named by
                `resource`, or, for resource="n_samples", a number of samples of X

For resource="n_samples", split j trains on the first round(b / n * |train_j|) indices of a fixed
permutation of train_j and is scored on all of test_j: larger budgets see supersets of the
samples smaller ones saw, and every budget is scored on the same test folds. For a classifier the
permutation is interleaved by class, so every prefix keeps the class proportions of the fold.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from hpcore.errors import TrialPruned
from hpcore.trial import Trial, TrialState

__all__ = ["CrossValidation", "PrunedCrossValidation", "cv_results", "stratified_order"]

N_SAMPLES = "n_samples"
SCORE = "score"  # the metric name of a single scorer, as in cv_results_ keys


def stratified_order(indices: np.ndarray, labels: np.ndarray | None, rng: np.random.Generator) -> np.ndarray:
    """A permutation of `indices` whose every prefix has (close to) the class proportions of the
    whole when `labels` (one per index) are given; a uniform permutation otherwise."""
    indices = np.asarray(indices)
    if labels is None:
        return indices[rng.permutation(len(indices))]
    # Each sample's position within its class, spread over (0, 1): sorting by it interleaves the
    # classes at their rates (a sample of a class of size m lands at (r + 0.5) / m).
    key = np.empty(len(indices))
    tie = rng.random(len(indices))
    for c in np.unique(labels):
        where = np.flatnonzero(labels == c)
        rank = rng.permutation(len(where))
        key[where] = (rank + 0.5) / len(where)
    return indices[np.lexsort((tie, key))]


def _slice(value: Any, n: int, idx: np.ndarray) -> Any:
    """`value` restricted to the samples `idx` when it has one entry per sample, else as is."""
    from sklearn.utils import _safe_indexing

    if value is None or np.isscalar(value) or not hasattr(value, "__len__"):
        return value
    try:
        if len(value) != n:
            return value
    except TypeError:
        return value
    return _safe_indexing(value, idx)


class CrossValidation:
    """`objective(params, budget=None)`: the k-fold score of `estimator` with `params`.

    Returns {"value": mean test score, "split_test_scores": [...], "fit_times": [...],
    "score_times": [...], ("split_train_scores": [...])}; the extra keys become the trial's user
    attributes. A fit or score that raises, or a score that is not finite, raises, so the study
    records a FAILED trial.
    """

    def __init__(self, estimator: Any, X: Any, y: Any, splits: Sequence[tuple[np.ndarray, np.ndarray]],
                 scorer: Any, fit_params: Mapping[str, Any], *, resource: str | None = None,
                 orders: Sequence[np.ndarray] | None = None, return_train_score: bool = False,
                 fingerprint: str | None = None, metric: str | None = None) -> None:
        self.estimator = estimator
        self.X, self.y = X, y
        self.splits = list(splits)
        self.scorer = scorer
        self.fit_params = dict(fit_params)
        self.resource = resource
        self.orders = orders
        self.return_train_score = return_train_score
        self.fingerprint = fingerprint
        self.metric = metric  # with several scorers: the one whose mean is the trial's value

    def n_samples(self) -> int:
        from sklearn.utils.validation import _num_samples

        return int(_num_samples(self.X))

    def configure(self, params: Mapping[str, Any], budget: float | None) -> Any:
        """An unfitted clone of the estimator with `params` (and the budget's resource) set."""
        from sklearn.base import clone

        est = clone(self.estimator)
        settings = dict(params)
        if budget is not None and self.resource is not None and self.resource != N_SAMPLES:
            settings[self.resource] = int(budget) if float(budget).is_integer() else budget
        return est.set_params(**settings)

    def __call__(self, params: Mapping[str, Any], budget: float | None = None) -> dict[str, Any]:
        return self.evaluate(params, budget)

    def evaluate(self, params: Mapping[str, Any], budget: float | None = None,
                 after_split: Callable[[int, dict[str, Any]], None] | None = None) -> dict[str, Any]:
        """The result `__call__` returns; `after_split(j, result so far)` is called after each
        split j (0-based) with the result of splits 0..j (its "value" their mean), and may raise
        to stop there."""
        from sklearn.base import clone
        from sklearn.utils.metaestimators import _safe_split

        base = self.configure(params, budget)
        n = self.n_samples()
        tests, trains, fits, scores = [], [], [], []
        for j, (train, test) in enumerate(self.splits):
            if budget is not None and self.resource == N_SAMPLES:
                assert self.orders is not None
                size = max(1, min(len(train), round(float(budget) / n * len(train))))
                train = np.sort(self.orders[j][:size])
            est = clone(base)
            X_train, y_train = _safe_split(est, self.X, self.y, train)
            X_test, y_test = _safe_split(est, self.X, self.y, test, train)
            fit_params = {k: _slice(v, n, train) for k, v in self.fit_params.items()}
            t0 = time.perf_counter()
            est.fit(X_train, y_train, **fit_params)
            t1 = time.perf_counter()
            score = self._score(est, X_test, y_test)
            t2 = time.perf_counter()
            bad = {k: v for k, v in score.items() if not math.isfinite(v)}
            if bad:
                raise ValueError(f"the score on CV split {j} is {bad}")
            tests.append(score)
            fits.append(t1 - t0)
            scores.append(t2 - t1)
            if self.return_train_score:
                trains.append(self._score(est, X_train, y_train))
            if after_split is not None:
                after_split(j, self._result(tests, trains, fits, scores))
        return self._result(tests, trains, fits, scores)

    def _result(self, tests: list[dict[str, float]], trains: list[dict[str, float]], fits: list[float],
                scores: list[float]) -> dict[str, Any]:
        """The objective's result from the splits scored so far (see the class docstring)."""
        key = self.metric or SCORE
        out: dict[str, Any] = {"value": float(np.mean([t[key] for t in tests])),
                               "split_test_scores": [t[key] for t in tests],
                               "fit_times": list(fits), "score_times": list(scores)}
        if self.metric is not None:
            out["split_test_metrics"] = {m: [t[m] for t in tests] for m in tests[0]}
        if self.return_train_score:
            out["split_train_scores"] = [t[key] for t in trains]
            if self.metric is not None:
                out["split_train_metrics"] = {m: [t[m] for t in trains] for m in trains[0]}
        if self.fingerprint is not None:
            out["data"] = self.fingerprint
        return out

    def _score(self, est: Any, X: Any, y: Any) -> dict[str, float]:
        """{metric name: score}, or {"score": score} for one scorer."""
        raw = self.scorer(est, X, y)
        if isinstance(raw, Mapping):
            return {str(k): float(v) for k, v in raw.items()}
        return {SCORE: float(raw)}


class PrunedCrossValidation(CrossValidation):
    """`objective(params, trial)`: `CrossValidation` that reports after every split and stops
    the remaining splits of a configuration the study's pruner prunes.

    After split j (0-based) it reports the mean test score of splits 0..j at step j (the
    optimised metric's, with several scorers). Splits are the same for every trial, so the
    pruner compares means over the same folds. After any split but the last it asks
    `should_prune`; when pruned, the scores and times of the splits run become the trial's user
    attributes (as for a completed trial, shorter) and it ends PRUNED.
    """

    def __call__(self, params: Mapping[str, Any], trial: Any) -> dict[str, Any]:  # type: ignore[override]
        last = len(self.splits) - 1

        def after_split(j: int, so_far: dict[str, Any]) -> None:
            trial.report(so_far["value"], j)
            if j < last and trial.should_prune():
                for key, value in so_far.items():
                    if key != "value":
                        trial.set_user_attr(key, value)
                raise TrialPruned(f"pruned after CV split {j}: mean score {so_far['value']:.6g} over "
                                  f"{j + 1} of {last + 1} splits")

        return self.evaluate(params, None, after_split)


def _masked(values: list[Any], present: list[bool]) -> np.ma.MaskedArray:
    """One `param_<name>` column: numeric dtype when every present value is a number."""
    numbers = [v for v, p in zip(values, present) if p]
    numeric = bool(numbers) and all(
        isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_)) for v in numbers)
    if numeric:
        data = np.array([v if p else 0 for v, p in zip(values, present)])
    else:
        data = np.empty(len(values), dtype=object)
        data[:] = [v if p else None for v, p in zip(values, present)]
    return np.ma.MaskedArray(data, mask=[not p for p in present])


def _rank(scores: np.ndarray) -> np.ndarray:
    """1 for the best score, ties share the smallest rank; NaN scores rank after all others."""
    finite = np.isfinite(scores)
    ranks = np.full(len(scores), int(finite.sum()) + 1, dtype=np.int32)
    ascending = np.sort(scores[finite])
    # rank = 1 + the number of strictly greater scores
    ranks[finite] = 1 + len(ascending) - np.searchsorted(ascending, scores[finite], side="right")
    return ranks


def _mean_std_of_splits_run(times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row of `times` (trials x splits, NaN for a split not run), the mean and std over the
    splits run; NaN for a row that ran none (a failed trial)."""
    ran = np.isfinite(times)
    count = ran.sum(axis=1)
    filled = np.where(ran, times, 0.0)
    mean = np.divide(filled.sum(axis=1), count, out=np.full(len(times), math.nan), where=count > 0)
    squares = np.where(ran, (times - mean[:, None]) ** 2, 0.0)
    std = np.sqrt(np.divide(squares.sum(axis=1), count, out=np.full(len(times), math.nan), where=count > 0))
    return mean, std


def cv_results(trials: Sequence[Trial], names: Sequence[str], n_splits: int, *,
               return_train_score: bool = False, budget_name: str | None = None,
               metrics: Sequence[str] | None = None, error_score: float = math.nan,
               pruning: bool = False) -> dict[str, Any]:
    """The `cv_results_` dict (scikit-learn's keys) of finished trials, one row per trial.

    names: the parameters shown as `param_<name>` columns (absent -> masked).
    budget_name: for Hyperband, the estimator parameter that receives the budget (shown as a
        parameter) or "n_samples"; every row then also has `n_resources` (the budget).
    metrics: the scorer names of a multi-metric search (keys `mean_test_<name>`...); None for
        one scorer (keys `mean_test_score`...).
    A FAILED trial's scores are `error_score` (NaN by default), its times NaN.
    pruning: the search had a pruner: PRUNED trials get rows too, and a `pruned` column (bool)
        says which. A pruned row's `split<j>_test_<metric>` are the scores of the splits it ran
        and NaN for the others, so its mean and std are NaN (a mean over fewer splits is not
        comparable) and it ranks last; its times' means and stds are over the splits it ran.
    """
    shown_states = (TrialState.COMPLETE, TrialState.FAILED) + ((TrialState.PRUNED,) if pruning else ())
    rows = [t for t in trials if t.state in shown_states]
    nan = [math.nan] * n_splits

    def per_split(t: Trial, key: str, metric: str | None = None, fill: float = math.nan) -> np.ndarray:
        scored = t.state in (TrialState.COMPLETE, TrialState.PRUNED)
        values = t.user_attrs.get(key) if scored else None
        if metric is not None and values is not None:
            values = values.get(metric)
        if values is not None and t.state is TrialState.PRUNED and len(values) < n_splits:
            values = list(values) + [math.nan] * (n_splits - len(values))  # the splits it did not run
        if values is None or len(values) != n_splits:
            values = nan if scored else [fill] * n_splits
        return np.asarray(values, dtype=float)

    def table(key: str, metric: str | None = None, fill: float = math.nan) -> np.ndarray:
        return np.array([per_split(t, key, metric, fill) for t in rows]).reshape(len(rows), n_splits)

    fit = table("fit_times")
    score = table("score_times")
    params = []
    for t in rows:
        p = dict(t.params)
        if budget_name is not None and budget_name != N_SAMPLES and t.budget is not None:
            p[budget_name] = t.budget
        params.append(p)
    shown = list(names) + ([budget_name] if budget_name not in (None, N_SAMPLES) else [])

    out: dict[str, Any] = {}
    with np.errstate(invalid="ignore"):
        out["mean_fit_time"], out["std_fit_time"] = _mean_std_of_splits_run(fit)
        out["mean_score_time"], out["std_score_time"] = _mean_std_of_splits_run(score)
        for name in shown:
            out[f"param_{name}"] = _masked([p.get(name) for p in params], [name in p for p in params])
        out["params"] = params
        columns = [(SCORE, None)] if metrics is None else [(m, m) for m in metrics]
        for suffix, metric in columns:
            test = table("split_test_scores" if metric is None else "split_test_metrics", metric, error_score)
            for j in range(n_splits):
                out[f"split{j}_test_{suffix}"] = test[:, j]
            out[f"mean_test_{suffix}"] = test.mean(axis=1)
            out[f"std_test_{suffix}"] = test.std(axis=1)
            out[f"rank_test_{suffix}"] = _rank(out[f"mean_test_{suffix}"])
        if return_train_score:
            for suffix, metric in columns:
                train = table("split_train_scores" if metric is None else "split_train_metrics", metric,
                              error_score)
                for j in range(n_splits):
                    out[f"split{j}_train_{suffix}"] = train[:, j]
                out[f"mean_train_{suffix}"] = train.mean(axis=1)
                out[f"std_train_{suffix}"] = train.std(axis=1)
    if budget_name is not None:
        out["n_resources"] = np.array([t.budget for t in rows])
    if pruning:
        out["pruned"] = np.array([t.state is TrialState.PRUNED for t in rows], dtype=bool)
    out["trial_id"] = np.array([t.id for t in rows], dtype=int)
    return out
