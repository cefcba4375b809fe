"""Random search: uniform (log-uniform for log parameters) sampling, seeded per trial."""

from __future__ import annotations

import math

from hpcore.strategies.base import Strategy, SuggestContext, TakenConfigurations, sample_untaken
from hpcore.trial import Suggestion

__all__ = ["RandomSearch"]


class RandomSearch(Strategy):
    """Independent uniform samples of the space.

    On a finite space it never repeats a configuration (observed, failed or pending) and returns
    None once every configuration has been tried. Trial k's configuration depends only on
    (seed, k) and, on finite spaces, on which configurations were already taken.
    """

    name = "random"

    def __init__(self, max_tries: int = 1000) -> None:
        self.max_tries = int(max_tries)
        self._taken = TakenConfigurations()

    def settings(self) -> dict:
        return {} if self.max_tries == 1000 else {"max_tries": self.max_tries}

    def suggest(self, ctx: SuggestContext) -> Suggestion | None:
        rng = ctx.rng()
        size = ctx.space.size
        if math.isinf(size):
            return Suggestion(ctx.space.sample(rng))  # type: ignore[arg-type]
        taken = self._taken.of(ctx)
        if len(taken) >= size:
            return None
        params = sample_untaken(ctx.space, rng, taken, self.max_tries)
        return None if params is None else Suggestion(params)
