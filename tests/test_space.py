"""Search spaces: validation errors, the unit-cube encoding, sampling and grids."""

import math

import numpy as np
import pytest

import hpcore
from hpcore import Bool, Choice, Fixed, Float, Int, Space
from hpcore.space import INACTIVE


def tutorial_space() -> Space:
    return Space({
        "lr": Float(1e-5, 1e-1, log=True),
        "units": Int(32, 512, step=32),
        "layers": Int(1, 5),
        "optimizer": Choice(["adam", "sgd", "rmsprop"]),
        "momentum": Float(0.0, 0.99, condition={"optimizer": ["sgd"]}),
        "batchnorm": Bool(),
    })


@pytest.mark.parametrize(
    "params, match",
    [
        ({"x": Float(1.0, 1.0)}, "parameter 'x': low must be < high"),
        ({"x": Float(2.0, 1.0)}, "parameter 'x': low must be < high"),
        ({"x": Int(5, 5)}, "parameter 'x': low must be < high"),
        ({"x": Float(0.0, 1.0, log=True)}, "parameter 'x': log=True needs low > 0"),
        ({"x": Int(-1, 10, log=True)}, "parameter 'x': log=True needs low > 0"),
        ({"x": Float(0.0, math.inf)}, "parameter 'x': high must be a finite number"),
        ({"x": Float("a", 1.0)}, "parameter 'x': low must be a finite number"),
        ({"x": Float(0.0, 1.0, step=0)}, "parameter 'x': step must be a positive number"),
        ({"x": Float(0.0, 1.0, step=2.0)}, "parameter 'x': step=2.0 is larger"),
        ({"x": Int(0.5, 10)}, "parameter 'x': Int needs an integer low"),
        ({"x": Choice([])}, "parameter 'x': Choice needs at least one value"),
        ({"x": Choice(["a", "a"])}, "parameter 'x': duplicate values"),
        ({"x": Choice([[1, 2]])}, "parameter 'x': choice values must be"),
        ({"x": Choice("abc")}, "parameter 'x': Choice needs a list"),
        ({"x": Float(0, 1, condition={"y": [1]})}, "parameter 'x': condition names unknown parameter 'y'"),
        ({"o": Choice(["a"]), "x": Float(0, 1, condition={"o": ["b"]})},
         "parameter 'x': condition value 'b' is not a possible value of 'o'"),
        ({"o": Choice(["a"]), "x": Float(0, 1, condition={"o": []})}, "parameter 'x': condition on 'o' lists no"),
        ({"x": Float(0, 1, condition={"x": [0.5]})}, "parameter 'x': condition refers to itself"),
        ({"a": Choice([1, 2], condition={"b": [1]}), "b": Choice([1, 2], condition={"a": [1]})},
         "conditions form a cycle"),
        ({"": Float(0, 1)}, "non-empty strings"),
        ({"x": 3}, "parameter 'x': expected Float"),
    ],
)
def test_invalid_space_raises_value_error_naming_the_parameter(params, match):
    with pytest.raises(ValueError, match=match):
        Space(params)


def test_encode_decode_round_trip_and_dimensions():
    space = tutorial_space()
    assert space.dims == 1 + 1 + 1 + 3 + 1 + 1
    rng = np.random.default_rng(0)
    for _ in range(200):
        p = space.sample(rng)
        assert space.decode(space.encode(p)) == p
        assert space.validate(p) == p


def test_log_parameters_are_encoded_on_a_log_scale():
    space = Space({"lr": Float(1e-4, 1e-2, log=True)})
    assert space.encode({"lr": 1e-3})[0] == pytest.approx(0.5)
    assert space.decode(np.array([0.0]))["lr"] == pytest.approx(1e-4)


def test_integer_cells_have_equal_width_so_sampling_is_uniform():
    space = Space({"n": Int(1, 5)})
    u = space.encode_many([{"n": v} for v in range(1, 6)])[:, 0]
    assert np.allclose(u, [0.1, 0.3, 0.5, 0.7, 0.9])
    counts = np.bincount([p["n"] for p in space.sample(np.random.default_rng(1), 50_000)], minlength=6)[1:]
    assert np.all(np.abs(counts / 50_000 - 0.2) < 0.01)


def test_stepped_parameters_decode_to_the_grid():
    space = Space({"units": Int(32, 512, step=32), "f": Float(0.0, 1.0, step=0.25)})
    for p in space.sample(np.random.default_rng(2), 500):
        assert p["units"] % 32 == 0 and 32 <= p["units"] <= 512
        assert p["f"] in (0.0, 0.25, 0.5, 0.75, 1.0)


def test_choices_are_one_hot_not_ordinal():
    space = Space({"c": Choice(["a", "b", "c"])})
    assert space.encode({"c": "b"}).tolist() == [0.0, 1.0, 0.0]
    assert space.decode(np.array([0.1, 0.2, 0.9])) == {"c": "c"}


def test_booleans_and_numbers_stay_apart_in_choices():
    space = Space({"c": Choice([1, True, 0, False])})
    assert space.encode({"c": True}).argmax() == 1
    assert space.encode({"c": 0}).argmax() == 2
    assert space.validate({"c": False}) == {"c": False}


def test_inactive_parameters_are_absent_and_encoded_as_a_constant():
    space = tutorial_space()
    p = {"lr": 1e-3, "units": 64, "layers": 2, "optimizer": "adam", "batchnorm": False}
    u = space.encode(p)
    assert u[space.slice("momentum")].tolist() == [INACTIVE]
    decoded = space.decode(u)
    assert "momentum" not in decoded
    sgd = dict(p, optimizer="sgd", momentum=0.9)
    assert space.decode(space.encode(sgd))["momentum"] == pytest.approx(0.9)


def test_snap_equals_encode_of_decode():
    space = tutorial_space()
    U = np.random.default_rng(4).random((300, space.dims))
    assert np.allclose(space.snap(U), space.encode_many(space.decode_many(U)))


def test_validate_fills_fixed_drops_inactive_and_names_bad_parameters():
    space = Space({
        "opt": Choice(["adam", "sgd"]),
        "momentum": Float(0, 1, condition={"opt": "sgd"}),
        "seed": Fixed(7),
    })
    assert space.validate({"opt": "adam", "momentum": 0.5}) == {"opt": "adam", "seed": 7}
    with pytest.raises(ValueError, match="parameter 'momentum' is missing"):
        space.validate({"opt": "sgd"})
    with pytest.raises(ValueError, match="parameter 'momentum': value 2 is outside"):
        space.validate({"opt": "sgd", "momentum": 2})
    with pytest.raises(ValueError, match=r"unknown parameter\(s\) \['zzz'\]"):
        space.validate({"opt": "sgd", "momentum": 0.1, "zzz": 1})


def test_grid_respects_conditions_without_duplicates():
    space = Space({
        "opt": Choice(["adam", "sgd"]),
        "momentum": Float(0, 0.9, step=0.45, condition={"opt": ["sgd"]}),
        "layers": Int(1, 3),
        "bn": Bool(),
    })
    grid = space.grid()
    keys = [space.key(p) for p in grid]
    assert len(keys) == len(set(keys)) == (1 + 3) * 3 * 2
    assert space.size == len(grid)
    assert all("momentum" not in p for p in grid if p["opt"] == "adam")


def test_grid_of_continuous_float_needs_grid_points():
    space = Space({"lr": Float(1e-4, 1e-1, log=True)})
    with pytest.raises(ValueError, match="parameter 'lr': needs step= or the grid strategy's grid_points="):
        space.grid()
    pts = [p["lr"] for p in space.grid(grid_points=4)]
    assert pts == pytest.approx([1e-4, 1e-3, 1e-2, 1e-1])


def test_continuous_space_size_is_infinite():
    assert math.isinf(tutorial_space().size)
    assert Space({"a": Int(1, 4), "b": Bool()}).size == 8


def test_serialisation_round_trip_and_diff():
    space = tutorial_space()
    again = Space.from_dict(space.to_dict())
    assert again == space and again.dims == space.dims
    other = space.extend({"dropout": Float(0.0, 0.5)})
    assert space.diff(other) == ["+ dropout: Float(low=0.0, high=0.5)"]
    with pytest.raises(ValueError, match="parameter 'lr': already defined"):
        space.extend({"lr": Float(0.0, 1.0)})


def test_public_names_exist():
    for name in ("Space", "Float", "Int", "Choice", "Bool", "Fixed", "Study", "minimize", "maximize",
                 "RandomSearch", "GridSearch", "Trial", "TrialState"):
        assert hasattr(hpcore, name)


def test_scalar_and_vectorised_decoding_agree():
    space = tutorial_space().extend({"seed": Fixed(3), "f": Float(0.1, 10.0, log=True, step=0.1)})
    U = np.random.default_rng(5).random((500, space.dims))
    assert [space.decode(u) for u in U] == space.decode_many(U)


def test_log_bounds_decode_exactly():
    space = Space({"lr": Float(1e-4, 0.5, log=True)})
    assert space.decode(np.array([1.0]))["lr"] == 0.5 and space.decode(np.array([0.0]))["lr"] == 1e-4
    assert [p["lr"] for p in space.decode_many(np.array([[0.0], [1.0]]))] == [1e-4, 0.5]


def test_membership_is_by_parameter_name():
    space = Space({"lr": Float(1e-4, 1.0, log=True), "units": Int(8, 64)})
    assert "lr" in space and "units" in space
    assert "momentum" not in space and 3 not in space and None not in space
    assert {"lr", "units", "x"} - set(n for n in ["lr", "units", "x"] if n in space) == {"x"}


def test_covers_is_true_when_every_name_is_a_parameter():
    space = Space({"lr": Float(1e-4, 1e-1, log=True), "units": Int(8, 64)})
    assert space.covers({"lr": 0.01, "units": 16})
    assert space.covers({"lr": 0.01})  # a subset: an inactive or not yet discovered parameter
    assert space.covers({})
    assert not space.covers({"lr": 0.01, "dropout": 0.2})  # a name the space does not have
    assert "lr" in space and "dropout" not in space
