"""Search strategies on one interface (`Strategy.suggest`).

`BayesianOptimization` and `Hyperband` are imported on first access: the Bayesian module loads
numba and SciPy's optimisers, which a grid or random search never needs.
"""

from hpcore.strategies.base import (
    STRATEGIES,
    Strategy,
    SuggestContext,
    lazy_attributes,
    make_strategy,
    strategy_class,
    strategy_from_config,
)
from hpcore.strategies.grid import GridSearch
from hpcore.strategies.random import RandomSearch

__all__ = [
    "STRATEGIES",
    "BayesianOptimization",
    "GridSearch",
    "Hyperband",
    "RandomSearch",
    "Strategy",
    "SuggestContext",
    "make_strategy",
    "strategy_class",
    "strategy_from_config",
]

#: Lazily exported classes -> "module:Class".
_LAZY = {
    "BayesianOptimization": "hpcore.strategies.bayes:BayesianOptimization",
    "Hyperband": "hpcore.strategies.hyperband:Hyperband",
}


__getattr__, __dir__ = lazy_attributes(globals(), _LAZY)
