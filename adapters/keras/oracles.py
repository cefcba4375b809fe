"""KerasTuner's oracle objects, mapped onto hpcore strategies.

    oracle = kt.oracles.BayesianOptimizationOracle(objective=kt.Objective("val_accuracy", "max"), max_trials=20)
    tuner = MyTuner(oracle=oracle, hypermodel=build_model, directory="runs", project_name="p")

An oracle here holds the settings of a search (objective, max_trials, seed, the strategy's own
options); the tuner runs that strategy on its study. Once the tuner is made, `tuner.oracle` is
bound to it and reads the study: `oracle.trials`, `oracle.get_best_trials(n)`,
`oracle.get_space()`, `oracle.get_trial(trial_id)`, `oracle.remaining_trials()`.

    RandomSearchOracle          -> strategy "random"
    GridSearchOracle            -> strategy "grid"
    BayesianOptimizationOracle  -> strategy "bayes" (num_initial_points -> n_initial; alpha and
                                   beta are accepted and not used: hpcore's GP fits its noise and
                                   uses log-EI)
    HyperbandOracle             -> strategy "hyperband" (max_epochs, factor, hyperband_iterations)

A custom oracle (a subclass of `Oracle` overriding `populate_space`) is not supported: a tuner
given one raises `NotImplementedError`; write an hpcore `Strategy` instead.
"""

from __future__ import annotations

from typing import Any

from hpcore.adapters.keras.engine.trial import Trial
from hpcore.adapters.keras.hyperparameters import HyperParameters

__all__ = ["BayesianOptimizationOracle", "GridSearchOracle", "HyperbandOracle", "Oracle", "RandomSearchOracle"]


class Oracle:
    """The settings of a search, and (once a tuner is made with it) a view of its trials."""

    #: the hpcore strategy this oracle stands for ("" for the abstract base)
    strategy_name = ""

    def __init__(self, objective: Any = None, max_trials: int | None = None,
                 hyperparameters: HyperParameters | None = None, allow_new_entries: bool = True,
                 tune_new_entries: bool = True, seed: int | None = None, max_retries_per_trial: int = 0,
                 max_consecutive_failed_trials: int | None = None, **kwargs: Any) -> None:
        if kwargs:
            raise TypeError(f"{type(self).__name__} got unexpected arguments {sorted(kwargs)}")
        self.objective = objective
        self.max_trials = max_trials
        self.hyperparameters = hyperparameters
        self.allow_new_entries = allow_new_entries
        self.tune_new_entries = tune_new_entries
        self.seed = seed
        self.max_retries_per_trial = max_retries_per_trial
        self.max_consecutive_failed_trials = max_consecutive_failed_trials
        self._tuner: Any = None

    # -- what the tuner reads --------------------------------------------------------------------
    def strategy_options(self) -> dict[str, Any]:
        """Tuner keyword arguments specific to this oracle's strategy."""
        return {}

    def tuner_settings(self) -> dict[str, Any]:
        """The keyword arguments of `Tuner` this oracle stands for."""
        if type(self).populate_space is not Oracle.populate_space or not self.strategy_name:
            raise NotImplementedError(
                f"{type(self).__name__}: custom oracles are not supported by hpcore; use one of "
                "kt.oracles.RandomSearchOracle, GridSearchOracle, BayesianOptimizationOracle, HyperbandOracle, "
                "or pass an hpcore Strategy as strategy=")
        return {"objective": self.objective, "strategy": self.strategy_name, "max_trials": self.max_trials,
                "seed": self.seed, "hyperparameters": self.hyperparameters,
                "tune_new_entries": self.tune_new_entries, "allow_new_entries": self.allow_new_entries,
                "max_consecutive_failed_trials": self.max_consecutive_failed_trials,
                "max_retries_per_trial": self.max_retries_per_trial, **self.strategy_options()}

    def populate_space(self, trial_id: str) -> dict[str, Any]:
        """KerasTuner's hook for custom oracles (not supported, see the module docstring)."""
        raise NotImplementedError("custom oracles are not supported by hpcore")

    def _bind(self, tuner: Any) -> None:
        """Called by the tuner made with this oracle: from now on the views read its study."""
        self._tuner = tuner
        self.objective = tuner.objective
        self.max_trials = tuner.max_trials

    def _bound(self) -> Any:
        if self._tuner is None:
            raise RuntimeError(f"{type(self).__name__} is not used by a tuner yet: make a Tuner with oracle=it")
        return self._tuner

    # -- views of the search ----------------------------------------------------------------------
    @property
    def trials(self) -> dict[int, Trial]:
        """Every trial of the study, by id (KerasTuner-style `Trial` views)."""
        tuner = self._bound()
        return {t.id: tuner._kt_trial(t) for t in tuner.study.trials}

    def get_trial(self, trial_id: int | str) -> Trial:
        """The trial `trial_id` (an int, or its string as KerasTuner's ids are)."""
        tuner = self._bound()
        return tuner._kt_trial(tuner.study.trials[int(trial_id)])

    def get_best_trials(self, num_trials: int = 1) -> list[Trial]:
        """The best completed trials, best first (as `Tuner.get_best_trials`)."""
        tuner = self._bound()
        return [tuner._kt_trial(t) for t in tuner.get_best_trials(num_trials)]

    def get_space(self) -> HyperParameters:
        """An `HyperParameters` holding the search space known so far, with no values."""
        return HyperParameters.from_trial(self._bound().study.space, {})

    def remaining_trials(self) -> int | None:
        """Trials left before `max_trials` (None without a limit)."""
        tuner = self._bound()
        if tuner.max_trials is None:
            return None
        return max(0, tuner.max_trials - sum(tuner._counted(t) for t in tuner.study.trials))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(objective={self.objective!r}, max_trials={self.max_trials!r})"


class RandomSearchOracle(Oracle):
    """Random search."""

    strategy_name = "random"

    def __init__(self, objective: Any = None, max_trials: int = 10, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(objective=objective, max_trials=max_trials, seed=seed, **kwargs)


class GridSearchOracle(Oracle):
    """Grid search: every combination once; `max_trials=None` runs the whole grid."""

    strategy_name = "grid"

    def __init__(self, objective: Any = None, max_trials: int | None = None, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(objective=objective, max_trials=max_trials, seed=seed, **kwargs)


class BayesianOptimizationOracle(Oracle):
    """Gaussian-process Bayesian optimisation; `alpha` and `beta` are not used (see the module)."""

    strategy_name = "bayes"

    def __init__(self, objective: Any = None, max_trials: int = 10, num_initial_points: int | None = None,
                 alpha: float = 1e-4, beta: float = 2.6, seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(objective=objective, max_trials=max_trials, seed=seed, **kwargs)
        self.num_initial_points = num_initial_points
        self.alpha, self.beta = alpha, beta

    def strategy_options(self) -> dict[str, Any]:
        return {"strategy_kwargs": {"n_initial": int(self.num_initial_points)}} if self.num_initial_points else {}


class HyperbandOracle(Oracle):
    """Hyperband on epochs: budgets up to `max_epochs`, reduction `factor`."""

    strategy_name = "hyperband"

    def __init__(self, objective: Any = None, max_epochs: int = 100, factor: int = 3, hyperband_iterations: int = 1,
                 seed: int | None = None, **kwargs: Any) -> None:
        super().__init__(objective=objective, seed=seed, **kwargs)
        self.max_epochs, self.factor, self.hyperband_iterations = max_epochs, factor, hyperband_iterations

    def strategy_options(self) -> dict[str, Any]:
        return {"max_epochs": self.max_epochs, "factor": self.factor, "hyperband_iterations": self.hyperband_iterations}


#: the oracle class a tuner made without one reports as `tuner.oracle`
ORACLE_OF_STRATEGY: dict[str, type[Oracle]] = {
    c.strategy_name: c for c in (RandomSearchOracle, GridSearchOracle, BayesianOptimizationOracle, HyperbandOracle)
}
