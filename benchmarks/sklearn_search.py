"""HPSearchCV against RandomizedSearchCV and scikit-optimize's BayesSearchCV on real datasets.

    python -m hpcore.benchmarks.sklearn_search [--datasets digits,breast_cancer] [--trials 12] [--cv 3]
                                        [--methods hpcore-bayes,sklearn-random,skopt-bayes] [--threads 1]

Each method tunes the same pipeline (constant-feature filter + HistGradientBoostingClassifier:
learning_rate (log), max_leaf_nodes, min_samples_leaf, l2_regularization (log), max_iter,
max_features) over the same ranges, with the same number of fits (trials x CV folds), on a
75 % training split; the refitted best model is then scored on the held-out 25 %. Everything runs
sequentially with `--threads` BLAS/OpenMP threads (on a shared machine more threads make timings
meaningless). Prints one markdown table: best CV accuracy, held-out accuracy and wall time. One
seed per method: on these budgets differences of ~0.5 % accuracy are within seed noise.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

PARAMS = ("learning_rate", "max_leaf_nodes", "min_samples_leaf", "l2_regularization", "max_iter", "max_features")


def load(name: str) -> tuple[np.ndarray, np.ndarray]:
    from sklearn import datasets

    loaders = {"digits": datasets.load_digits, "breast_cancer": datasets.load_breast_cancer,
               "wine": datasets.load_wine}
    if name not in loaders:
        raise SystemExit(f"unknown dataset {name!r}; known: {', '.join(loaders)}")
    return loaders[name](return_X_y=True)


def pipeline(seed: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.feature_selection import VarianceThreshold
    from sklearn.pipeline import Pipeline

    return Pipeline([("drop_constant", VarianceThreshold()),
                     ("hgb", HistGradientBoostingClassifier(early_stopping=False, random_state=seed))])


def hpcore_bayes(trials: int, cv: Any, seed: int) -> Any:
    from hpcore.adapters.sklearn import HPSearchCV

    from hpcore import Float, Int

    space = {"hgb__learning_rate": Float(0.01, 0.5, log=True), "hgb__max_leaf_nodes": Int(4, 64),
             "hgb__min_samples_leaf": Int(2, 50), "hgb__l2_regularization": Float(1e-3, 10.0, log=True),
             "hgb__max_iter": Int(10, 60), "hgb__max_features": Float(0.3, 1.0)}
    return HPSearchCV(pipeline(seed), space, strategy="bayes", n_trials=trials, cv=cv, scoring="accuracy",
                      random_state=seed)


def sklearn_random(trials: int, cv: Any, seed: int) -> Any:
    from scipy.stats import loguniform, randint, uniform
    from sklearn.model_selection import RandomizedSearchCV

    dists = {"hgb__learning_rate": loguniform(0.01, 0.5), "hgb__max_leaf_nodes": randint(4, 65),
             "hgb__min_samples_leaf": randint(2, 51), "hgb__l2_regularization": loguniform(1e-3, 10.0),
             "hgb__max_iter": randint(10, 61), "hgb__max_features": uniform(0.3, 0.7)}
    return RandomizedSearchCV(pipeline(seed), dists, n_iter=trials, cv=cv, scoring="accuracy", random_state=seed)


def skopt_bayes(trials: int, cv: Any, seed: int) -> Any:
    from skopt import BayesSearchCV
    from skopt.space import Integer, Real

    space = {"hgb__learning_rate": Real(0.01, 0.5, prior="log-uniform"), "hgb__max_leaf_nodes": Integer(4, 64),
             "hgb__min_samples_leaf": Integer(2, 50), "hgb__l2_regularization": Real(1e-3, 10.0, prior="log-uniform"),
             "hgb__max_iter": Integer(10, 60), "hgb__max_features": Real(0.3, 1.0)}
    return BayesSearchCV(pipeline(seed), space, n_iter=trials, cv=cv, scoring="accuracy", random_state=seed)


METHODS: dict[str, tuple[str, Callable[[int, Any, int], Any]]] = {
    "hpcore-bayes": ("hpcore HPSearchCV (bayes)", hpcore_bayes),
    "sklearn-random": ("sklearn RandomizedSearchCV", sklearn_random),
    "skopt-bayes": ("skopt BayesSearchCV", skopt_bayes),
}


def run(method: str, X: np.ndarray, y: np.ndarray, trials: int, folds: int, seed: int) -> dict[str, Any]:
    from sklearn.model_selection import StratifiedKFold, train_test_split

    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, stratify=y, random_state=seed)
    cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
    search = METHODS[method][1](trials, cv, seed)
    t0 = time.perf_counter()
    search.fit(X_train, y_train)
    wall = time.perf_counter() - t0
    fits = len(search.cv_results_["params"]) * folds
    fit_time = float(np.nansum(search.cv_results_["mean_fit_time"] + search.cv_results_["mean_score_time"])) * folds
    return {"best_cv": float(search.best_score_), "test": float(search.score(X_test, y_test)), "wall": wall,
            "fits": fits, "overhead": wall - fit_time - getattr(search, "refit_time_", 0.0)}


def main(argv: list[str] | None = None) -> str:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", default="digits,breast_cancer")
    ap.add_argument("--trials", type=int, default=12, help="configurations per method (fits = trials x cv)")
    ap.add_argument("--cv", type=int, default=3)
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads per fit")
    args = ap.parse_args(argv)
    from threadpoolctl import threadpool_limits

    methods = [m for m in args.methods.split(",") if m]
    for m in methods:
        if m not in METHODS:
            raise SystemExit(f"unknown method {m!r}; known: {', '.join(METHODS)}")
    if "skopt-bayes" in methods:
        try:
            import skopt  # noqa: F401
        except ImportError:
            print("scikit-optimize not installed: skipped", file=sys.stderr)
            methods.remove("skopt-bayes")
    title = (f"{args.trials} configurations x {args.cv}-fold CV per method, seed {args.seed}, "
             f"{args.threads} thread(s)")
    lines = [title, "",
             "| dataset | method | fits | best CV accuracy | held-out accuracy | wall time (s) | non-fit time (s) |",
             "|---|---|---:|---:|---:|---:|---:|"]
    with threadpool_limits(args.threads):
        for name in args.datasets.split(","):
            X, y = load(name)
            for m in methods:
                try:
                    r = run(m, X, y, args.trials, args.cv, args.seed)
                except Exception as e:
                    lines.append(f"| {name} | {METHODS[m][0]} | - | failed: {type(e).__name__}: {e!s:.60} | | | |")
                    continue
                lines.append(f"| {name} ({len(y)}) | {METHODS[m][0]} | {r['fits']} | {r['best_cv']:.4f} | "
                             f"{r['test']:.4f} | {r['wall']:.1f} | {r['overhead']:.1f} |")
                print(lines[-1], file=sys.stderr)
    table = "\n".join(lines)
    print(table)
    return table


if __name__ == "__main__":
    main()
