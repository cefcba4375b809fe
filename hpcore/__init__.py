"""hpcore: hyperparameter optimisation with grid, random, Bayesian (GP) search and Hyperband.

    import hpcore
    space = hpcore.Space({"lr": hpcore.Float(1e-5, 1e-1, log=True), "layers": hpcore.Int(1, 5)})
    result = hpcore.minimize(objective, space, strategy="random", n_trials=100, seed=0)
"""

from hpcore.space import Bool, Choice, Fixed, Float, Int, Parameter, Space
from hpcore.storage import MemoryStorage, SQLiteStorage, Storage
from hpcore.strategies import GridSearch, RandomSearch, Strategy, SuggestContext, make_strategy
from hpcore.strategies.base import lazy_attributes
from hpcore.study import Result, Study, StudyExhausted, TooManyFailures, maximize, minimize
from hpcore.trial import Suggestion, Trial, TrialAlreadyFinished, TrialState

__version__ = "0.1.0"

__all__ = [
    "BayesianOptimization",
    "Bool",
    "Choice",
    "DaskExecutor",
    "Fixed",
    "Float",
    "GridSearch",
    "Hyperband",
    "Int",
    "MemoryStorage",
    "Parameter",
    "RandomSearch",
    "Result",
    "SQLiteStorage",
    "Space",
    "Storage",
    "Strategy",
    "Study",
    "StudyExhausted",
    "SuggestContext",
    "Suggestion",
    "TooManyFailures",
    "Trial",
    "TrialAlreadyFinished",
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
}


__getattr__, __dir__ = lazy_attributes(globals(), _LAZY)
