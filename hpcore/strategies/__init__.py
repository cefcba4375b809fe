"""Search strategies on one interface (`Strategy.suggest`)."""

from hpcore.strategies.base import Strategy, SuggestContext, make_strategy, strategy_from_config
from hpcore.strategies.grid import GridSearch
from hpcore.strategies.random import RandomSearch

__all__ = ["GridSearch", "RandomSearch", "Strategy", "SuggestContext", "make_strategy", "strategy_from_config"]
