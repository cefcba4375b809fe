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
        ({"x": Float(1e-3, 1.0, log="False")}, "parameter 'x': log must be True or False, got 'False'"),
        ({"x": Int(1, 10, log=1)}, "parameter 'x': log must be True or False, got 1"),
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


# -- huge ranges: no dense grid (issue 14) ------------------------------------------------------------

def _peak_bytes(fn) -> int:
    """Peak Python allocation while running fn (tracemalloc: deterministic, no timing)."""
    import tracemalloc

    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _use(space: Space, value: dict) -> None:
    """Everything but the grid: sample, encode, decode, snap, check membership, count."""
    rng = np.random.default_rng(0)
    space.sample(rng)
    U = space.encode_many(space.sample(rng, 50))
    space.decode_many(U), space.snap(U), space.decode(U[0])
    assert space.validate(value) == value
    assert math.isfinite(space.size)


@pytest.mark.parametrize("param, value", [
    (Int(0, 10**7), {"p": 1234567}),
    (Float(0.0, 1.0, step=1e-9), {"p": 0.123456789}),
    (Int(0, 2**31 - 1), {"p": 2**31 - 1}),
    (Int(1, 2**40, log=True), {"p": 2**33}),
])
def test_huge_ranges_are_used_without_building_their_grid(param, value):
    # Before: a dense grid was built in Space() (Int(0, 10**7): 80 MB; Int(0, 2**31 - 1): 16 GiB).
    assert _peak_bytes(lambda: _use(Space({"p": param}), value)) < 2_000_000


def test_huge_ranges_sample_uniformly_and_round_trip():
    space = Space({"seed": Int(0, 2**31 - 1), "f": Float(0.0, 1.0, step=1e-9)})
    assert space.size == float(2**31 * (10**9 + 1))
    configs = space.sample(np.random.default_rng(3), 2000)
    seeds = np.array([c["seed"] for c in configs])
    assert seeds.min() >= 0 and seeds.max() <= 2**31 - 1 and abs(seeds.mean() / 2**31 - 0.5) < 0.02
    assert len(set(seeds)) == 2000
    assert space.decode_many(space.encode_many(configs)) == configs
    assert not space["f"].contains(0.1234567891) and space["f"].contains(0.123456789)
    assert not space["seed"].contains(2**31) and not space["seed"].contains(10**400)


def test_a_grid_too_large_is_an_error_naming_the_parameter_before_any_allocation():
    space = Space({"lr": Float(1e-4, 1e-1, log=True), "seed": Int(0, 2**31 - 1)})

    def grid():
        with pytest.raises(ValueError, match=r"parameter 'seed': has 2,147,483,648 values, more than a grid"):
            space.grid(grid_points=3)

    assert _peak_bytes(grid) < 1_000_000
    with pytest.raises(ValueError, match=r"parameter 'seed': has 2,147,483,648 values"):
        hpcore.GridSearch(grid_points=3).check(space)
    with pytest.raises(ValueError, match="parameter 'lr': needs step= or the grid strategy's grid_points="):
        hpcore.GridSearch().check(Space({"lr": Float(1e-4, 1e-1, log=True)}))
    with pytest.raises(ValueError, match=r"parameter 'lr': grid_points=2,000,000 is more than a grid can hold"):
        Space({"lr": Float(1e-4, 1e-1, log=True)}).grid(grid_points=2_000_000)


def test_size_of_a_huge_conditional_space_is_counted_not_enumerated():
    # Before: the size of a conditional space enumerated its grid (and failed past 1,000,000).
    space = Space({
        "kind": Choice(["a", "b", "c"]),
        "seed": Int(0, 2**31 - 1, condition={"kind": ["a", "b"]}),
        "n": Int(1, 3, condition={"kind": "c"}),
        "deep": Int(1, 5, condition={"n": [2, 3]}),
    })
    assert space.size == 2 * 2**31 + (1 + 2 * 5)


@pytest.mark.parametrize("param, match", [
    (Int(0, 2**53), "values up to 9007199254740992 lie more than 2\\*\\*48 steps of 1 from 0"),
    (Int(0, 10**400), "values up to an integer of 401 digits lie more than 2\\*\\*48 steps"),
    (Float(0.0, 10**400), "high must be a finite number, got an integer of 401 digits"),
    (Float(1e6, 1e6 + 1, step=1e-9), "values up to 1000001.0 lie more than 2\\*\\*48 steps of 1e-09"),
])
def test_ranges_beyond_float_precision_are_errors_naming_the_parameter(param, match):
    with pytest.raises(ValueError, match=f"parameter 'p': {match}"):
        Space({"p": param})


# -- stepped values are low + k*step, rounded and clipped ---------------------------------------------

@pytest.mark.parametrize("param, values", [
    (Float(0.1, 0.7, step=0.2), [0.1, 0.3, 0.5, 0.7]),
    (Float(1.0, 2.312, step=0.656), [1.0, 1.656, 2.312]),
    (Float(0.15, 0.95, step=0.2), [0.15, 0.35, 0.55, 0.75, 0.95]),
    (Float(0.0, 1.0, step=0.3), [0.0, 0.3, 0.6, 0.9]),
    (Float(-0.3, 0.3, step=0.1), [-0.3, -0.2, -0.1, 0.0, 0.1, 0.2, 0.3]),
])
def test_stepped_float_values_are_rounded_to_the_decimals_and_within_the_bounds(param, values):
    # Before: 0.30000000000000004 and 0.7000000000000001 (above high), 2.3120000000000003.
    space = Space({"x": param})
    assert [p["x"] for p in space.grid()] == values
    sampled = {p["x"] for p in space.sample(np.random.default_rng(0), 500)}
    assert sampled == set(values)
    U = np.linspace(0.0, 1.0, 101).reshape(-1, 1)
    assert {p["x"] for p in space.decode_many(U)} == set(values)
    assert {space.decode(u)["x"] for u in U} == set(values)


def test_a_value_with_float_noise_names_its_grid_value():
    space = Space({"x": Float(0.1, 0.7, step=0.2)})
    assert space.validate({"x": 0.1 + 0.2}) == {"x": 0.3}
    assert space.validate({"x": 0.7000000000000001}) == {"x": 0.7}
    with pytest.raises(ValueError, match="parameter 'x': value 0.4 is outside"):
        space.validate({"x": 0.4})


# -- no overflow near the float limits ----------------------------------------------------------------

@pytest.mark.parametrize("param", [
    Float(-1e308, 1e308),
    Float(-1.7e308, 1.7e308),
    Float(-1.7e308, 1.7e308, step=1e307),
    Float(5e-324, 1.7e308, log=True),
    Float(1e-300, 1e300, log=True),
    Int(-2**48, 2**48),
    Int(1, 2**48, log=True),
])
def test_ranges_near_the_float_limits_sample_and_encode_without_overflow(param):
    # Before: Float(-1e308, 1e308) sampled only 1e+308 (high - low overflowed to inf).
    space = Space({"x": param})
    with np.errstate(over="raise", invalid="raise"):
        values = np.array([p["x"] for p in space.sample(np.random.default_rng(1), 400)], dtype=float)
        u = space.encode_many([{"x": v} for v in values])
        snapped = space.snap(np.random.default_rng(2).random((50, 1)))
    assert np.all(np.isfinite(values)) and values.min() >= param.low and values.max() <= param.high
    assert len(set(values)) > min(300, space.size / 2)
    assert np.all((u >= 0.0) & (u <= 1.0)) and np.all(np.isfinite(snapped))
    assert space.decode(np.array([0.0]))["x"] == param.low
    if not param.log and param.step in (None, 1):
        assert 0.3 < np.mean(values > (param.low / 2 + param.high / 2)) < 0.7  # both halves


@pytest.mark.parametrize("param", [Int(0, 10**20, step=10**15), Int(-10**19, 0, step=10**14),
                                   Int(10**15, 10**20, step=10**15, log=True)])
def test_int_values_beyond_int64_decode_the_same_by_either_path(param):
    # Before: the vectorised decode computed low + k*step in int64, which wrapped silently past
    # 2**63 (decode_many gave 8355767778871345152 for Int(0, 10**20, step=10**15)).
    space = Space({"x": param})
    U = np.random.default_rng(3).random((200, 1))
    vectorised = space.decode_many(U)
    assert vectorised == [space.decode(u) for u in U]
    assert all(type(c["x"]) is int and param.low <= c["x"] <= param.high
               and (c["x"] - param.low) % param.step == 0 for c in vectorised)
    assert np.array_equal(space.snap(space.encode_many(vectorised)), space.encode_many(vectorised))
    ends = [{"x": param.low}, {"x": param.low + (param.high - param.low) // param.step * param.step}]
    assert space.decode_many(space.encode_many(ends)) == ends


def test_linear_encoding_of_the_widest_range_is_affine():
    space = Space({"x": Float(-1e308, 1e308)})
    assert space.encode({"x": 0.0})[0] == 0.5 and space.encode({"x": 1e308})[0] == 1.0
    assert space.decode(np.array([0.75]))["x"] == pytest.approx(5e307)


# -- Fixed(nan) -----------------------------------------------------------------------------------------

def test_fixed_nan_survives_a_json_round_trip():
    import json

    space = Space({"x": Float(0, 1), "missing": Fixed(math.nan)})
    again = Space.from_dict(json.loads(json.dumps(space.to_dict())))
    assert again == space and again.diff(space) == [] and hash(again) == hash(space)
    assert again["missing"].contains(math.nan) and not again["missing"].contains(0.0)
    config = again.validate({"x": 0.5, "missing": float("nan")})
    assert math.isnan(config["missing"])
    assert space.key(json.loads(json.dumps(config, allow_nan=True))) == space.key(config)


def test_parameter_equality_keeps_bools_apart_and_ints_equal_to_floats():
    assert Fixed(1) != Fixed(True) and Choice([1, 0]) != Choice([True, False])
    assert Float(0, 1) == Float(0.0, 1.0) and hash(Float(0, 1)) == hash(Float(0.0, 1.0))
    assert Space({"a": Int(1, 3), "b": Bool()}) == Space({"b": Bool(), "a": Int(1, 3)})
    assert hash(Space({"a": Int(1, 3), "b": Bool()})) == hash(Space({"b": Bool(), "a": Int(1, 3)}))
