"""Real tuning problems: scikit-learn models cross-validated on small seeded data sets.

In the spirit of Bayesmark (which tunes scikit-learn models on toy data and scores optimisers
between random search and the best value found), each :class:`SklearnProblem` minimises a
3-fold cross-validated loss (fixed folds, fixed model seed) of one model family on one data set:

    problem                model                            data                    loss
    tree_friedman1         DecisionTreeRegressor            make_friedman1          MSE
    forest_friedman3       RandomForestRegressor, 2-8 trees make_friedman3          100 x MSE
    gbm_classification     GradientBoosting, 2-8 trees      make_classification     1 - accuracy
    svm_moons              SVC (log C, log gamma)           make_moons              1 - accuracy
    elasticnet_diabetes    ElasticNet                       diabetes, degree 2      MSE / 1000
    logreg_classification  LogisticRegression               make_classification     log loss
    knn_iris               KNeighborsClassifier             iris                    Brier score
    mlp_friedman2          MLPRegressor, 10 epochs          make_friedman2          1 - R^2
    cash_classification    one of k-NN, SVC, tree           make_classification     1 - accuracy

What synthetic functions lack, these have: plateaus (accuracy moves in steps of 1/n), discrete
steps (tree depths, neighbour counts), flat directions and some noise-like roughness. Their
optimum is unknown: they are scored by normalised regret (:mod:`hpcore.benchmarks.suite`).

Every evaluation is deterministic (data, folds and model seeds are fixed) and runs on one
thread; the data are small so that one evaluation takes milliseconds (``python -m
hpcore.benchmarks.real_problems --timing`` measures the median per problem). scikit-learn is
imported only when a problem's data are first needed.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
from hpcore.benchmarks.functions import ParamSpec

__all__ = [
    "RANDOM_MEDIAN_BUDGETS",
    "REAL_PROBLEMS",
    "SklearnProblem",
    "get_real_problem",
    "main",
    "median_evaluation_ms",
    "random_search_median",
    "reference_search",
]

# --------------------------------------------------------------------------- data

def _dataset(name: str, seed: int) -> tuple[np.ndarray, np.ndarray, bool]:
    """(X, y, is_classification) of a named data set; synthetic ones drawn with ``seed``."""
    from sklearn import datasets

    if name == "friedman1":
        X, y = datasets.make_friedman1(n_samples=240, n_features=10, noise=1.0, random_state=seed)
        return X, y, False
    if name == "friedman2_standardised":
        # Inputs span 0..6300 and the target 0..1700: standardised once here, so that a network
        # at its default scales can learn (what a user's pipeline would do, without a scaler
        # refitted per fold).
        X, y = datasets.make_friedman2(n_samples=240, noise=30.0, random_state=seed)
        return (X - X.mean(axis=0)) / X.std(axis=0), (y - y.mean()) / y.std(), False
    if name == "friedman3":
        X, y = datasets.make_friedman3(n_samples=240, noise=0.1, random_state=seed)
        return X, y, False
    if name == "moons":
        X, y = datasets.make_moons(n_samples=300, noise=0.3, random_state=seed)
        return X, y, True
    if name == "classification":
        X, y = datasets.make_classification(n_samples=300, n_features=12, n_informative=5, n_redundant=3,
                                            flip_y=0.05, weights=[0.65, 0.35], random_state=seed)
        return X, y, True
    if name == "diabetes_quadratic":
        # the 10 features, their squares and products (65), standardised: a linear model on them
        # has many weights for alpha and the l1 ratio to shrink, so both matter
        from sklearn.preprocessing import PolynomialFeatures

        X, y = datasets.load_diabetes(return_X_y=True)
        X = PolynomialFeatures(2, include_bias=False).fit_transform(X)
        return (X - X.mean(axis=0)) / X.std(axis=0), y, False
    if name == "iris":
        X, y = datasets.load_iris(return_X_y=True)
        return X, y, True
    raise ValueError(f"unknown data set {name!r}")


def _loss(kind: str, model: Any, X: np.ndarray, y: np.ndarray) -> float:
    """The held-out loss of a fitted model: lower is better."""
    if kind == "error":
        return float(np.mean(model.predict(X) != y))
    if kind == "brier":  # multi-class Brier score: mean squared distance of the probabilities to one-hot
        one_hot = (model.classes_[None, :] == y[:, None]).astype(float)
        return float(np.mean(np.sum((model.predict_proba(X) - one_hot) ** 2, axis=1)))
    if kind == "nll":
        p = np.clip(model.predict_proba(X)[np.arange(len(y)), np.searchsorted(model.classes_, y)], 1e-15, 1.0)
        return float(-np.mean(np.log(p)))
    if kind in ("mse", "mse_x100", "mse_per_1000"):
        mse = float(np.mean((model.predict(X) - y) ** 2))
        return mse * {"mse": 1.0, "mse_x100": 100.0, "mse_per_1000": 1e-3}[kind]
    if kind == "one_minus_r2":
        residual = float(np.sum((model.predict(X) - y) ** 2))
        return residual / float(np.sum((y - y.mean()) ** 2))
    raise ValueError(f"unknown loss {kind!r}")


@dataclass(frozen=True)
class _Folds:
    X: np.ndarray
    y: np.ndarray
    splits: tuple[tuple[np.ndarray, np.ndarray], ...]


# --------------------------------------------------------------------------- the problem

@dataclass(frozen=True)
class SklearnProblem:
    """A scikit-learn model's hyperparameters, scored by k-fold cross-validation (minimised).

    Attributes:
        name: registry name, e.g. ``"svm_moons"``.
        params: the search space, as :class:`~hpcore.benchmarks.functions.ParamSpec`.
        dataset: data set name (``"friedman1"``, ``"moons"``, ``"diabetes"``, ``"iris"``...).
        make_model: ``params -> unfitted estimator`` (a module-level function).
        loss: ``"error"`` (1 - accuracy), ``"nll"`` (log loss), ``"brier"`` (multi-class Brier
            score: squared distance of the predicted probabilities to the one-hot truth), ``"mse"``, ``"mse_x100"``,
            ``"mse_per_1000"`` (mean squared error, rescaled) or ``"one_minus_r2"``
            (residual / total sum of squares on the held-out fold).
        description: model and loss in words.
        data_seed: seed of the synthetic data set; fold_seed: seed of the fold shuffle.
        folds: number of folds (stratified for classification).
    """

    name: str
    params: tuple[ParamSpec, ...]
    dataset: str
    make_model: Callable[[Mapping[str, Any]], Any] = field(repr=False, compare=False)
    loss: str
    description: str
    data_seed: int = 0
    fold_seed: int = 0
    folds: int = 3

    #: Unknown for real problems; they are scored against a reference value instead.
    optimum_value = None

    @property
    def dims(self) -> int:
        """Number of parameters."""
        return len(self.params)

    def space(self) -> Any:
        """The search space as an ``hpcore.Space``."""
        import hpcore

        return hpcore.Space({p.name: p.to_hpcore() for p in self.params})

    @cached_property
    def _folds(self) -> _Folds:
        from sklearn.model_selection import KFold, StratifiedKFold

        X, y, classification = _dataset(self.dataset, self.data_seed)
        splitter = (StratifiedKFold if classification else KFold)(self.folds, shuffle=True,
                                                                  random_state=self.fold_seed)
        return _Folds(X, y, tuple(splitter.split(X, y)))

    @cached_property
    def _threads(self) -> Any:
        """A thread-pool controller made once, after the model's modules are loaded (it sees
        only libraries loaded before it; `threadpool_limits` would rescan them, ~8 ms a call)."""
        from threadpoolctl import ThreadpoolController

        return ThreadpoolController()

    def params_call(self, params: Mapping[str, Any]) -> float:
        """Mean held-out loss over the folds for the configuration ``params``."""
        from sklearn.exceptions import ConvergenceWarning

        data = self._folds
        models = [self.make_model(params) for _ in data.splits]  # imports the model's modules first
        losses = []
        # One thread: the suite runs thousands of these side by side, and BLAS or OpenMP threads
        # on data this small cost more than they save. An under-converged fit (few MLP or solver
        # iterations) is a legitimate poor configuration, scored by its loss, so its
        # ConvergenceWarning is not shown; nothing else is filtered.
        with self._threads.limit(limits=1), warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=ConvergenceWarning)
            for model, (train, test) in zip(models, data.splits):
                model.fit(data.X[train], data.y[train])
                losses.append(_loss(self.loss, model, data.X[test], data.y[test]))
        return float(np.mean(losses))

    __call__ = params_call


# --------------------------------------------------------------------------- the models

def _tree(p: Mapping[str, Any]) -> Any:
    from sklearn.tree import DecisionTreeRegressor

    return DecisionTreeRegressor(max_depth=int(p["max_depth"]), min_samples_split=int(p["min_samples_split"]),
                                 min_samples_leaf=int(p["min_samples_leaf"]),
                                 max_features=float(p["max_features"]), random_state=0)


def _forest(p: Mapping[str, Any]) -> Any:
    from sklearn.ensemble import RandomForestRegressor

    return RandomForestRegressor(n_estimators=int(p["n_estimators"]), max_depth=int(p["max_depth"]),
                                 min_samples_leaf=int(p["min_samples_leaf"]),
                                 max_features=float(p["max_features"]), bootstrap=bool(p["bootstrap"]),
                                 random_state=0, n_jobs=1)


def _gbm(p: Mapping[str, Any]) -> Any:
    from sklearn.ensemble import GradientBoostingClassifier

    return GradientBoostingClassifier(n_estimators=int(p["n_estimators"]), learning_rate=float(p["learning_rate"]),
                                      max_depth=int(p["max_depth"]), subsample=float(p["subsample"]),
                                      random_state=0)


def _svm(p: Mapping[str, Any]) -> Any:
    from sklearn.svm import SVC

    return SVC(C=float(p["C"]), gamma=float(p["gamma"]))


def _elasticnet(p: Mapping[str, Any]) -> Any:
    from sklearn.linear_model import ElasticNet

    return ElasticNet(alpha=float(p["alpha"]), l1_ratio=float(p["l1_ratio"]), max_iter=2000)


def _logreg(p: Mapping[str, Any]) -> Any:
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=float(p["C"]), l1_ratio=1.0 if p["penalty"] == "l1" else 0.0,
                              class_weight=p["class_weight"], solver="liblinear", random_state=0)


def _knn(p: Mapping[str, Any]) -> Any:
    from sklearn.neighbors import KNeighborsClassifier

    return KNeighborsClassifier(n_neighbors=int(p["n_neighbors"]), weights=p["weights"], p=float(p["p"]))


def _mlp(p: Mapping[str, Any]) -> Any:
    from sklearn.neural_network import MLPRegressor

    # 10 epochs: each minibatch costs ~0.2 ms of scikit-learn overhead, so epochs x batches
    # sets the time of an evaluation
    return MLPRegressor(hidden_layer_sizes=(int(p["units"]),), alpha=float(p["alpha"]),
                        learning_rate_init=float(p["learning_rate_init"]), batch_size=int(p["batch_size"]),
                        max_iter=10, random_state=0)


def _cash(p: Mapping[str, Any]) -> Any:
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC
    from sklearn.tree import DecisionTreeClassifier

    if p["model"] == "knn":
        return make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=int(p["n_neighbors"])))
    if p["model"] == "svm":
        return make_pipeline(StandardScaler(), SVC(C=float(p["C"]), gamma=float(p["gamma"])))
    if p["model"] == "tree":
        return DecisionTreeClassifier(max_depth=int(p["max_depth"]), min_samples_leaf=int(p["min_samples_leaf"]),
                                      random_state=0)
    raise ValueError(f"unknown model {p['model']!r}")


def _problems() -> dict[str, SklearnProblem]:
    f, i, c, b = "float", "int", "choice", "bool"
    knn, svm, tree = {"model": ["knn"]}, {"model": ["svm"]}, {"model": ["tree"]}
    problems = [
        SklearnProblem("tree_friedman1", (ParamSpec("max_depth", i, 1, 20),
                                          ParamSpec("min_samples_split", i, 2, 64, log=True),
                                          ParamSpec("min_samples_leaf", i, 1, 32, log=True),
                                          ParamSpec("max_features", f, 0.1, 1.0)),
                       "friedman1", _tree, "mse", "decision tree regressor on make_friedman1 (240 x 10), MSE"),
        SklearnProblem("forest_friedman3", (ParamSpec("n_estimators", i, 2, 8),
                                            ParamSpec("max_depth", i, 2, 16),
                                            ParamSpec("min_samples_leaf", i, 1, 16, log=True),
                                            ParamSpec("max_features", f, 0.2, 1.0), ParamSpec("bootstrap", b)),
                       "friedman3", _forest, "mse_x100",
                       "random forest (2-8 trees) on make_friedman3 (240 x 4), 100 x MSE"),
        SklearnProblem("gbm_classification", (ParamSpec("n_estimators", i, 2, 8),
                                              ParamSpec("learning_rate", f, 0.01, 1.0, log=True),
                                              ParamSpec("max_depth", i, 1, 4),
                                              ParamSpec("subsample", f, 0.5, 1.0, step=0.1)),
                       "classification", _gbm, "error",
                       "gradient boosting (2-8 trees) on make_classification (300 x 12), 1 - accuracy"),
        SklearnProblem("svm_moons", (ParamSpec("C", f, 1e-2, 1e3, log=True), ParamSpec("gamma", f, 1e-3, 1e2, log=True)),
                       "moons", _svm, "error", "RBF SVM on make_moons (300, noise 0.3), 1 - accuracy"),
        SklearnProblem("elasticnet_diabetes", (ParamSpec("alpha", f, 1e-4, 10.0, log=True),
                                               ParamSpec("l1_ratio", f, 0.0, 1.0)),
                       "diabetes_quadratic", _elasticnet, "mse_per_1000",
                       "elastic net on diabetes with degree-2 features (442 x 65), MSE / 1000"),
        SklearnProblem("logreg_classification", (ParamSpec("C", f, 1e-4, 1e3, log=True),
                                                 ParamSpec("penalty", c, choices=("l1", "l2")),
                                                 ParamSpec("class_weight", c, choices=(None, "balanced"))),
                       "classification", _logreg, "nll",
                       "logistic regression (liblinear) on make_classification (300 x 12), log loss"),
        SklearnProblem("knn_iris", (ParamSpec("n_neighbors", i, 1, 60), ParamSpec("weights", c, choices=("uniform", "distance")),
                                    ParamSpec("p", f, 1.0, 4.0)),
                       "iris", _knn, "brier", "k nearest neighbours (Minkowski p) on iris (150 x 4), Brier score"),
        SklearnProblem("mlp_friedman2", (ParamSpec("units", i, 2, 32, log=True), ParamSpec("alpha", f, 1e-6, 1e-1, log=True),
                                         ParamSpec("learning_rate_init", f, 1e-4, 1.0, log=True),
                                         ParamSpec("batch_size", i, 40, 160, log=True)),
                       "friedman2_standardised", _mlp, "one_minus_r2",
                       "one-hidden-layer MLP (10 epochs of Adam) on make_friedman2 (240 x 4), 1 - R^2"),
        SklearnProblem("cash_classification", (ParamSpec("model", c, choices=("knn", "svm", "tree")),
                                               ParamSpec("n_neighbors", i, 1, 50, log=True, condition=knn),
                                               ParamSpec("C", f, 1e-2, 1e3, log=True, condition=svm),
                                               ParamSpec("gamma", f, 1e-4, 1e1, log=True, condition=svm),
                                               ParamSpec("max_depth", i, 1, 16, condition=tree),
                                               ParamSpec("min_samples_leaf", i, 1, 32, log=True, condition=tree)),
                       "classification", _cash, "error",
                       "model choice (k-NN, RBF SVM or tree) and its parameters on make_classification, "
                       "1 - accuracy"),
    ]
    return {p.name: p for p in problems}


#: name -> problem (data loaded on first evaluation).
REAL_PROBLEMS: dict[str, SklearnProblem] = _problems()


def get_real_problem(name: str) -> SklearnProblem:
    """A fresh :class:`SklearnProblem` by name (its data not loaded yet).

    Raises:
        ValueError: unknown name (the message lists the known ones).
    """
    if name not in REAL_PROBLEMS:
        raise ValueError(f"unknown real problem {name!r}; known: {', '.join(REAL_PROBLEMS)}")
    return _problems()[name]


# --------------------------------------------------------------------------- measurements

def median_evaluation_ms(problem: SklearnProblem, n: int = 30, seed: int = 0) -> tuple[float, float]:
    """(wall, CPU) median milliseconds of one evaluation over ``n`` random configurations (the
    data are loaded, and one evaluation run, before timing). On a busy machine the wall time
    grows with the load and the CPU time does not; on an idle one they agree."""
    configs = problem.space().sample(np.random.default_rng(seed), n)
    problem.params_call(configs[0])
    wall, cpu = [], []
    for config in configs:
        t0, c0 = time.perf_counter(), time.process_time()
        problem.params_call(config)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return float(np.median(wall)) * 1e3, float(np.median(cpu)) * 1e3


#: Budgets at which `reference_search` reports random search's median best value.
RANDOM_MEDIAN_BUDGETS = (10, 30, 50, 100, 200)


def random_search_median(values: Sequence[float] | np.ndarray, budget: int) -> float:
    """The median of the best of ``budget`` draws from the empirical distribution of
    ``values`` (random search's median best value after ``budget`` evaluations): the smallest
    sorted value ``v_(j)`` with ``1 - (1 - j / N)^budget >= 1/2``."""
    v = np.sort(np.asarray(values, dtype=float))
    if v.size == 0 or budget < 1:
        raise ValueError(f"need values and a budget >= 1, got {v.size} values and budget {budget!r}")
    j = math.ceil(v.size * (1 - 0.5 ** (1 / budget)))
    return float(v[max(j, 1) - 1])


def reference_search(problem: SklearnProblem, n_random: int = 2000, n_local: int = 200, starts: int = 5,
                     seed: int = 0) -> tuple[float, dict[str, Any], np.ndarray]:
    """A long method-neutral search for a problem's best value: ``n_random`` random
    configurations, then from each of the ``starts`` best a local search of ``n_local`` steps
    (a Gaussian step in the unit-cube encoding, sd shrinking geometrically from 0.2 to 0.02,
    kept when it improves). Returns (best value, its configuration, the random values
    (n_random,))."""
    space = problem.space()
    rng = np.random.default_rng([seed, 2718])
    configs = space.sample(rng, n_random)
    values = np.array([problem.params_call(c) for c in configs])
    best, best_config = float(values.min()), configs[int(np.argmin(values))]
    for i in np.argsort(values, kind="stable")[:starts]:
        config, f = configs[i], float(values[i])
        u = space.encode(config)
        for t in range(n_local):
            sd = 0.2 * 0.1 ** (t / max(n_local - 1, 1))
            candidate = space.decode(np.clip(u + rng.normal(0.0, sd, size=u.shape), 0.0, 1.0))
            v = problem.params_call(candidate)
            if v < f:
                config, f, u = candidate, v, space.encode(candidate)
        if f < best:
            best, best_config = f, config
    return best, best_config, values


def _print_references(names: Sequence[str], n_random: int, n_local: int) -> None:
    references, configs, medians = {}, {}, {}
    for name in names:
        t0 = time.perf_counter()
        references[name], configs[name], values = reference_search(get_real_problem(name), n_random, n_local)
        medians[name] = {k: random_search_median(values, k) for k in RANDOM_MEDIAN_BUDGETS}
        print(f"# {name}: {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    print("REAL_REFERENCES: dict[str, float] = {")
    for name, v in references.items():
        print(f"    {name!r}: {v!r},")
    print("}\nREAL_REFERENCE_CONFIGS: dict[str, dict[str, Any]] = {")
    for name, c in configs.items():
        print(f"    {name!r}: {c!r},")
    print("}\nREAL_RANDOM_MEDIANS: dict[str, dict[int, float]] = {")
    for name, m in medians.items():
        print(f"    {name!r}: {{{', '.join(f'{k}: {v!r}' for k, v in m.items())}}},")
    print("}")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m hpcore.benchmarks.real_problems --timing``: the median milliseconds per
    evaluation of each real problem, as a markdown table; ``--reference``: the long reference
    search, printed as the ``REAL_REFERENCES`` and ``REAL_RANDOM_MEDIANS`` of
    :mod:`hpcore.benchmarks.suite`."""
    parser = argparse.ArgumentParser(prog="python -m hpcore.benchmarks.real_problems", description=main.__doc__)
    parser.add_argument("--timing", action="store_true", help="time each problem's evaluations")
    parser.add_argument("--reference", action="store_true", help="run the long reference search")
    parser.add_argument("--n", type=int, default=30, help="random configurations per problem for --timing "
                        "(default 30)")
    parser.add_argument("--random", type=int, default=2000, help="random configurations for --reference "
                        "(default 2000)")
    parser.add_argument("--local", type=int, default=200, help="local-search steps from each of the 5 best "
                        "for --reference (default 200)")
    parser.add_argument("--problems", default=",".join(REAL_PROBLEMS), help="comma-separated names (default all)")
    args = parser.parse_args(argv)
    if not (args.timing or args.reference):
        parser.print_help()
        return 0
    if min(args.n, args.random) < 1 or args.local < 0:
        parser.error("--n and --random must be >= 1, --local >= 0")
    names = [s.strip() for s in args.problems.split(",") if s.strip()]
    for name in names:
        try:
            get_real_problem(name)  # before any work
        except ValueError as e:
            parser.error(str(e))
    if args.reference:
        _print_references(names, args.random, args.local)
        return 0
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else math.nan
    print(f"median over {args.n} random configurations; load average {load:.1f} on {os.cpu_count()} CPUs\n")
    print("| problem | model and loss | wall ms / evaluation | CPU ms / evaluation |\n|---|---|---:|---:|")
    for name in names:
        problem = get_real_problem(name)
        wall, cpu = median_evaluation_ms(problem, args.n)
        print(f"| {name} | {problem.description} | {wall:.1f} | {cpu:.1f} |")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
