"""Grid search builds its grid once per space: `check`, `planned_trials` and `suggest` share it."""

import pytest

import hpcore
from hpcore import Int, Space
from hpcore.strategies.grid import GridSearch


def _counting_grid(monkeypatch) -> list:
    calls: list = []
    real = Space.grid

    def grid(self, grid_points=None):
        calls.append(grid_points)
        return real(self, grid_points)

    monkeypatch.setattr(Space, "grid", grid)
    return calls


def test_an_ordered_grid_is_built_once_whatever_the_seed(monkeypatch):
    # Before: `check` built it with seed 0 and the first suggestion again with the study's seed.
    calls = _counting_grid(monkeypatch)
    space = Space({"a": Int(0, 9), "b": Int(0, 4)})
    r = hpcore.minimize(lambda p: p["a"] + p["b"], space, strategy=GridSearch(), seed=7, verbose=False)
    assert len(r.trials) == 50 and len(calls) == 1


def test_a_shuffled_grid_follows_the_seed():
    space = Space({"a": Int(0, 99)})
    g = GridSearch(shuffle=True)
    first = [p["a"] for p in g.points(space, seed=1)]
    assert [p["a"] for p in g.points(space, seed=2)] != first
    assert [p["a"] for p in g.points(space, seed=1)] == first
    assert sorted(first) == list(range(100))
    assert g.planned_trials(space, []) == 100


def test_shuffle_takes_only_a_boolean():
    with pytest.raises(ValueError, match="shuffle must be True or False, got 'yes'"):
        GridSearch(shuffle="yes")
