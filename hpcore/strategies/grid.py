"""Grid search: the Cartesian product of the parameters' values, respecting conditions."""

from __future__ import annotations

from collections.abc import Sequence

from hpcore.boolean_option import boolean_option
from hpcore.space import Space
from hpcore.strategies.base import Strategy, SuggestContext, TakenConfigurations
from hpcore.trial import Suggestion, Trial

__all__ = ["GridSearch"]


class GridSearch(Strategy):
    """Every point of the grid once, in order (or in a seeded random order with `shuffle=True`).

    `Float` parameters without `step` need `grid_points` (evenly spaced, log-spaced for log
    parameters). A parameter with more than `hpcore.space.GRID_LIMIT` values, or a grid of more
    points, is a `ValueError` naming it, raised by `check` before anything is built. Returns None
    when the grid is exhausted. Configurations already in the study
    (added, enqueued, failed or pending) are not repeated.
    """

    name = "grid"

    def __init__(self, grid_points: int | None = None, shuffle: bool = False) -> None:
        if grid_points is not None and (not isinstance(grid_points, int) or grid_points < 1):
            raise ValueError(f"grid_points must be a positive integer, got {grid_points!r}")
        self.grid_points = grid_points
        self.shuffle = boolean_option("shuffle", shuffle)
        self._cache: tuple[Space, list[dict], list[tuple]] | None = None
        self._cache_seed = 0
        self._cursor = 0
        self._taken = TakenConfigurations()

    def settings(self) -> dict:
        s: dict = {}
        if self.grid_points is not None:
            s["grid_points"] = self.grid_points
        if self.shuffle:
            s["shuffle"] = True
        return s

    def points(self, space: Space, seed: int = 0) -> list[dict]:
        """The grid, in the order it is visited."""
        # The seed orders only a shuffled grid: an ordered one is built once, whatever the seed.
        if self._cache is None or self._cache[0] != space or (self.shuffle and self._cache_seed != seed):
            pts = space.grid(self.grid_points)
            if self.shuffle:
                import numpy as np

                order = np.random.default_rng([seed, 0x6772]).permutation(len(pts))
                pts = [pts[i] for i in order]
            self._cache = (space, pts, [space.key(p) for p in pts])
            self._cache_seed = seed
            self._cursor = 0
        return self._cache[1]

    def check(self, space: Space) -> None:
        self.points(space)

    def planned_trials(self, space: Space, trials: Sequence[Trial]) -> int:
        """The grid points not in the study yet: a grid search ends when they are all tried."""
        self.points(space, self._cache_seed)  # any order serves to count; kept for `suggest`
        assert self._cache is not None
        taken = {space.key(t.params) for t in trials}
        return sum(key not in taken for key in self._cache[2])

    def describe(self, space: Space) -> str:
        return f"grid search over {len(self.points(space)):,} points"

    def suggest(self, ctx: SuggestContext) -> Suggestion | None:
        pts = self.points(ctx.space, ctx.seed)
        assert self._cache is not None
        keys = self._cache[2]
        taken = self._taken.of(ctx)
        # The cursor only skips points known to be taken; taken points never become free.
        while self._cursor < len(pts) and keys[self._cursor] in taken:
            self._cursor += 1
        if self._cursor >= len(pts):
            return None
        return Suggestion(dict(pts[self._cursor]))
