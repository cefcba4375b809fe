"""ThresholdPruner against decisions computed by hand."""

from __future__ import annotations

import pytest

from hpcore.pruners import ThresholdPruner
from tests.pruners.made_trials import running


def decide(pruner, values, direction="minimize"):
    trial = running(0, values)
    return pruner.prune(trial, [trial], direction)


@pytest.mark.parametrize("direction", ["minimize", "maximize"])  # bounds ignore the direction
@pytest.mark.parametrize(("value", "expected"), [
    (0.1, True),    # < lower 0.2
    (0.2, False),   # on the bound: goes on
    (5.0, False),
    (10.0, False),
    (10.5, True),   # > upper 10
])
def test_bounds(direction, value, expected):
    assert decide(ThresholdPruner(lower=0.2, upper=10.0), {0: 1.0, 1: value}, direction) is expected


def test_one_sided_and_only_the_latest_report():
    assert decide(ThresholdPruner(upper=1.0), {0: 5.0, 1: 0.5}) is False  # an earlier excursion is past
    assert decide(ThresholdPruner(upper=1.0), {0: -1e9}) is False
    assert decide(ThresholdPruner(lower=0.0), {0: -0.5}) is True
    assert decide(ThresholdPruner(lower=0.0), {0: 1e9}) is False


def test_warmup_and_interval():
    pruner = ThresholdPruner(upper=1.0, warmup_steps=3)
    assert decide(pruner, {2: 5.0}) is False  # step 2 < 3
    assert decide(pruner, {2: 5.0, 3: 5.0}) is True
    every_other = ThresholdPruner(upper=1.0, interval=2)
    assert decide(every_other, {0: 0.0, 1: 5.0}) is False  # step 1 shares window [0, 2) with step 0
    assert decide(every_other, {0: 0.0, 1: 0.0, 2: 5.0}) is True


@pytest.mark.parametrize(("settings", "message"), [
    ({}, "lower or upper"),
    ({"lower": 2.0, "upper": 1.0}, r"lower \(2.0\) must be <= upper \(1.0\)"),
    ({"lower": float("nan")}, "lower must be a finite number"),
    ({"upper": float("inf")}, "upper must be a finite number"),
    ({"upper": "1"}, "upper must be a finite number"),
    ({"upper": True}, "upper must be a finite number"),
    ({"upper": 1.0, "warmup_steps": -1}, "warmup_steps must be an int >= 0"),
    ({"upper": 1.0, "interval": 0}, "interval must be an int >= 1"),
])
def test_invalid_settings(settings, message):
    with pytest.raises(ValueError, match=message):
        ThresholdPruner(**settings)
