"""hpcore: hyperparameter optimisation with grid, random, Bayesian (GP) search and Hyperband.

    import hpcore
    space = hpcore.Space({"lr": hpcore.Float(1e-5, 1e-1, log=True), "layers": hpcore.Int(1, 5)})
    result = hpcore.minimize(objective, space, strategy="random", n_trials=100, seed=0)
"""

from hpcore.errors import TrialPruned
from hpcore.running_trial import RunningTrial
from hpcore.space import Bool, Choice, Fixed, Float, Int, Parameter, Space
from hpcore.storage import MemoryStorage, SQLiteStorage, Storage
from hpcore.strategies import GridSearch, RandomSearch, Strategy, SuggestContext, make_strategy
from hpcore.strategies.base import lazy_attributes
from hpcore.study import Result, Study, StudyExhausted, TooManyFailures, maximize, minimize
from hpcore.trial import Suggestion, Trial, TrialAlreadyFinished, TrialState

__version__ = "0.1.0"

__all__ = [
    "ASHAPruner",
    "BayesianOptimization",
    "Bool",
    "Choice",
    "DaskExecutor",
    "Fixed",
    "Float",
    "GridSearch",
    "Hyperband",
    "HyperbandPruner",
    "Int",
    "MedianPruner",
    "MemoryStorage",
    "NopPruner",
    "Parameter",
    "PatientPruner",
    "PercentilePruner",
    "Pruner",
    "RandomSearch",
    "Result",
    "RunningTrial",
    "SQLiteStorage",
    "Space",
    "Storage",
    "Strategy",
    "Study",
    "StudyExhausted",
    "SuccessiveHalvingPruner",
    "SuggestContext",
    "Suggestion",
    "ThresholdPruner",
    "TooManyFailures",
    "Trial",
    "TrialAlreadyFinished",
    "TrialPruned",
    "TrialState",
    "make_strategy",
    "maximize",
    "minimize",
]


#: Public names whose modules load heavy dependencies (numba and SciPy's optimisers for the
#: Bayesian strategy, Dask for its executor): imported on first access, so `import hpcore` and a
#: grid or random search stay fast.
_LAZY = {
    "BayesianOptimization": "hpcore.strategies.bayes:BayesianOptimization",
    "DaskExecutor": "hpcore.distributed:DaskExecutor",
    "Hyperband": "hpcore.strategies.hyperband:Hyperband",
    # The pruners need nothing heavy, but a study without one need not load them.
    "ASHAPruner": "hpcore.pruners:ASHAPruner",
    "HyperbandPruner": "hpcore.pruners:HyperbandPruner",
    "MedianPruner": "hpcore.pruners:MedianPruner",
    "NopPruner": "hpcore.pruners:NopPruner",
    "PatientPruner": "hpcore.pruners:PatientPruner",
    "PercentilePruner": "hpcore.pruners:PercentilePruner",
    "Pruner": "hpcore.pruners:Pruner",
    "SuccessiveHalvingPruner": "hpcore.pruners:SuccessiveHalvingPruner",
    "ThresholdPruner": "hpcore.pruners:ThresholdPruner",
}


__getattr__, __dir__ = lazy_attributes(globals(), _LAZY)
