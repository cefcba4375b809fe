"""Random search: uniform (log-uniform for log parameters) sampling, seeded per trial."""

from __future__ import annotations

import math

from hpcore.space import Space
from hpcore.strategies.base import Strategy, SuggestContext
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
        self._seen: set[tuple] = set()
        self._seen_upto = 0
        self._space: Space | None = None

    def settings(self) -> dict:
        return {} if self.max_tries == 1000 else {"max_tries": self.max_tries}

    def _taken(self, ctx: SuggestContext) -> set[tuple]:
        # Incremental: parameters never change after a trial is created.
        if ctx.space is not self._space or len(ctx.trials) < self._seen_upto:
            self._space, self._seen, self._seen_upto = ctx.space, set(), 0
        for t in ctx.trials[self._seen_upto:]:
            self._seen.add(ctx.space.key(t.params))
        self._seen_upto = len(ctx.trials)
        return self._seen

    def suggest(self, ctx: SuggestContext) -> Suggestion | None:
        rng = ctx.rng()
        size = ctx.space.size
        if math.isinf(size):
            return Suggestion(ctx.space.sample(rng))  # type: ignore[arg-type]
        taken = self._taken(ctx)
        if len(taken) >= size:
            return None
        for _ in range(self.max_tries):
            params = ctx.space.sample(rng)
            if ctx.space.key(params) not in taken:  # type: ignore[arg-type]
                return Suggestion(params)  # type: ignore[arg-type]
        # A nearly exhausted finite space: pick uniformly among what is left.
        left = [p for p in ctx.space.grid() if ctx.space.key(p) not in taken]
        return Suggestion(left[int(rng.integers(len(left)))]) if left else None
