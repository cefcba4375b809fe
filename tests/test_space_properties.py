"""Property-based tests of stepped parameters: every value is low + k*step as a decimal, inside
the bounds, and survives the unit-cube encoding exactly; conditional sizes are counted right."""

from decimal import Decimal

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hpcore import Bool, Choice, Float, Int, Space

# Fixed examples (derandomize) and no example database: the same cases on every run.
PROPERTY = settings(max_examples=150, deadline=None, derandomize=True, database=None)


@st.composite
def stepped_floats(draw: st.DrawFn) -> Float:
    """Float(low, high, step) with decimal low and step and up to 300 values; `high` may fall
    between grid values, or be low + n*step computed in floating point (a hair off either way)."""
    log = draw(st.booleans())
    low_digits = draw(st.integers(0, 4))
    low = draw(st.integers(1 if log else -10**6, 10**6)) / 10**low_digits
    step = draw(st.integers(1, 10**4)) / 10 ** draw(st.integers(0, 6))
    n = draw(st.integers(1, 300))
    fraction = draw(st.one_of(st.just(0.0), st.floats(1e-3, 0.99)))
    return Float(low, low + (n + fraction) * step, log=log, step=step)


@st.composite
def stepped_ints(draw: st.DrawFn) -> Int:
    log = draw(st.booleans())
    low = draw(st.integers(1 if log else -10**6, 10**6))
    step = draw(st.integers(1, 1000))
    return Int(low, low + draw(st.integers(1, 300)) * step + draw(st.integers(0, step - 1)), step=step, log=log)


def _decimal_grid(p: Float) -> list[float]:
    """The grid by exact decimal arithmetic: low + k*step while within a billionth of a step
    of high (the tolerance hpcore documents), clipped to [low, high]."""
    low, step, high = Decimal(repr(p.low)), Decimal(repr(p.step)), Decimal(p.high)
    values, k = [], 0
    while low + k * step <= high + step / 10**9:
        values.append(min(max(float(low + k * step), p.low), p.high))
        k += 1
    return values


def _check_round_trips(space: Space, values: list) -> None:
    configs = [{"x": v} for v in values]
    U = space.encode_many(configs)
    assert np.all((U >= 0.0) & (U <= 1.0))
    assert space.decode_many(U) == configs
    assert [space.decode(u) for u in U] == configs
    assert np.array_equal(space.snap(U), U)
    assert all(space.validate(c) == c for c in configs)
    # Random points decode, by either path, to grid values.
    R = np.random.default_rng(len(values)).random((200, 1))
    decoded = space.decode_many(R)
    assert decoded == [space.decode(u) for u in R]
    assert {c["x"] for c in decoded} <= set(values)


@PROPERTY
@given(stepped_floats())
def test_stepped_float_values_are_decimal_low_plus_k_steps_within_the_bounds(p):
    space = Space({"x": p})
    values = [c["x"] for c in space.grid()]
    assert values == _decimal_grid(p)
    assert all(p.low <= v <= p.high for v in values)
    assert space.size == len(values)
    _check_round_trips(space, values)


@PROPERTY
@given(stepped_ints())
def test_stepped_int_values_are_low_plus_k_steps(p):
    space = Space({"x": p})
    values = [c["x"] for c in space.grid()]
    assert values == list(range(p.low, p.high + 1, p.step))
    assert all(type(v) is int for v in values)
    _check_round_trips(space, values)


@st.composite
def conditional_spaces(draw: st.DrawFn) -> Space:
    """Small spaces whose parameters may depend on earlier Choice, Bool or Int parameters."""
    params: dict = {}
    values_of: dict[str, list] = {}
    for i in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["choice", "bool", "int"]))
        condition = None
        if values_of and draw(st.booleans()):
            parent = draw(st.sampled_from(sorted(values_of)))
            condition = {parent: draw(st.lists(st.sampled_from(values_of[parent]), min_size=1, max_size=2,
                                               unique=True))}
        name = f"p{i}"
        if kind == "choice":
            values_of[name] = list(range(draw(st.integers(1, 4))))
            params[name] = Choice(values_of[name], condition=condition)
        elif kind == "bool":
            values_of[name] = [False, True]
            params[name] = Bool(condition=condition)
        else:
            values_of[name] = list(range(draw(st.integers(2, 4))))
            params[name] = Int(0, values_of[name][-1], condition=condition)
    return Space(params)


@PROPERTY
@given(conditional_spaces())
def test_the_size_of_a_conditional_space_is_the_length_of_its_grid(space):
    assert space.size == len(space.grid())
