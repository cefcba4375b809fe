"""The shared helper behind random search's and Hyperband's "never repeat on a finite space"."""

import numpy as np

from hpcore import Choice, Int, Space
from hpcore.strategies.base import sample_untaken


def test_sample_untaken_picks_the_last_free_configuration_of_a_small_space():
    space = Space({"a": Int(0, 9), "b": Choice(["x", "y"])})
    free = {"a": 7, "b": "y"}
    taken = {space.key(c) for c in space.grid() if c != free}
    assert sample_untaken(space, np.random.default_rng(0), taken, tries=3) == free
    assert sample_untaken(space, np.random.default_rng(0), taken | {space.key(free)}, tries=3) is None


def test_sample_untaken_keeps_drawing_on_a_space_too_large_to_list():
    space = Space({"seed": Int(0, 2**31 - 1)})  # listing it would take 2**31 dicts
    first = space.sample(np.random.default_rng(1))
    got = sample_untaken(space, np.random.default_rng(1), {space.key(first)}, tries=0)
    assert got is not None and got != first and space.validate(got) == got
