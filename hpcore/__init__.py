"""hpcore: hyperparameter optimisation with grid, random, Bayesian (GP) search and Hyperband.

    import hpcore
    space = hpcore.Space({"lr": hpcore.Float(1e-5, 1e-1, log=True), "layers": hpcore.Int(1, 5)})
    result = hpcore.minimize(objective, space, strategy="random", n_trials=100, seed=0)
"""

from hpcore.space import Bool, Choice, Fixed, Float, Int, Parameter, Space
from hpcore.storage import MemoryStorage, SQLiteStorage, Storage
from hpcore.strategies import GridSearch, RandomSearch, Strategy, SuggestContext, make_strategy
from hpcore.study import Result, Study, StudyExhausted, TooManyFailures, maximize, minimize
from hpcore.trial import Suggestion, Trial, TrialState

__version__ = "0.1.0"

__all__ = [
    "Bool",
    "Choice",
    "Fixed",
    "Float",
    "GridSearch",
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
    "TrialState",
    "make_strategy",
    "maximize",
    "minimize",
]


def __getattr__(name: str):  # strategies whose modules load heavier dependencies (numba)
    if name == "BayesianOptimization":
        from hpcore.strategies.bayes import BayesianOptimization

        return BayesianOptimization
    if name == "Hyperband":
        from hpcore.strategies.hyperband import Hyperband

        return Hyperband
    if name == "DaskExecutor":
        from hpcore.distributed import DaskExecutor

        return DaskExecutor
    raise AttributeError(f"module 'hpcore' has no attribute {name!r}")
