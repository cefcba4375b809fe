"""Search strategies on one interface (`Strategy.suggest`).

`BayesianOptimization` and `Hyperband` are imported on first access: the Bayesian module loads
numba and SciPy's optimisers, which a grid or random search never needs.
"""

from hpcore.strategies.base import (
    STRATEGIES,
    Strategy,
    SuggestContext,
    import_object,
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


def __getattr__(name: str) -> object:
    """Import a lazily exported class (`_LAZY`) on first access and keep it in the package."""
    if name not in _LAZY:
        raise AttributeError(f"module 'hpcore.strategies' has no attribute {name!r}")
    value = import_object(_LAZY[name])
    globals()[name] = value  # later accesses skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
