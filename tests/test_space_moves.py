"""Space.discrete_moves: the one-parameter discrete neighbours of a point."""

import numpy as np

import hpcore
from hpcore.gp.acquisition_optimizer import discrete_local_search


def _space():
    return hpcore.Space({
        "n": hpcore.Int(1, 5),
        "kind": hpcore.Choice(["a", "b", "c"]),
        "lr": hpcore.Float(1e-3, 1.0, log=True),
        "flag": hpcore.Bool(),
        "drop": hpcore.Float(0.0, 0.5, step=0.25, condition={"kind": ["b"]}),
    })


def test_moves_change_one_parameter_each():
    s = _space()
    u = s.encode({"n": 3, "kind": "a", "lr": 0.01, "flag": False})
    moved = [s.decode(v) for v in s.discrete_moves(u)]
    base = s.decode(u)
    expected = [{**base, "n": 2}, {**base, "n": 4}, {**base, "kind": "c"}, {**base, "flag": True}]
    for e in expected:
        assert e in moved
    # the move to "b" activates the conditional child with a valid value
    to_b = [m for m in moved if m["kind"] == "b"]
    assert len(to_b) == 1 and to_b[0]["drop"] in (0.0, 0.25, 0.5)
    assert len(moved) == 5  # n-1, n+1, two other kinds, the other flag; lr never moves
    for m in moved:
        assert m["lr"] == base["lr"]


def test_moves_at_the_ends_and_only_continuous():
    s = _space()
    u = s.encode({"n": 1, "kind": "a", "lr": 0.01, "flag": False})
    ns = {s.decode(v)["n"] for v in s.discrete_moves(u)}
    assert ns == {1, 2}  # no value below the lower bound
    only_float = hpcore.Space({"x": hpcore.Float(0, 1)})
    assert only_float.discrete_moves(np.array([0.3])).shape == (0, 1)


def test_wide_integers_also_jump():
    s = hpcore.Space({"units": hpcore.Int(1, 1000, log=True)})
    u = s.encode({"units": 100})
    values = sorted(s.decode(v)["units"] for v in s.discrete_moves(u))
    assert 99 in values and 101 in values
    assert min(values) < 50 and max(values) > 200  # jumps of 20 % of the log range


def test_local_search_climbs_to_the_best_discrete_point():
    s = hpcore.Space({"a": hpcore.Int(0, 20), "b": hpcore.Choice(["x", "y", "z"])})
    target = s.encode({"a": 13, "b": "z"})

    def acq(U):
        return -np.sum((np.atleast_2d(U) - target) ** 2, axis=1)

    start = s.encode({"a": 2, "b": "x"})[None, :]
    U, v = discrete_local_search(acq, start, s.discrete_moves, max_rounds=50)
    assert s.decode(U[0]) == {"a": 13, "b": "z"}
    assert v[0] == 0.0
