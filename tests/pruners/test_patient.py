"""PatientPruner against decisions computed by hand."""

from __future__ import annotations

import math

import pytest

from hpcore.pruners import MedianPruner, NopPruner, PatientPruner, ThresholdPruner
from hpcore.pruners.patient import stalled
from tests.pruners.made_trials import complete, running


def decide(pruner, values, direction="minimize", others=()):
    trial = running(99, dict(enumerate(values)))
    return pruner.prune(trial, [*others, trial], direction)


@pytest.mark.parametrize(("values", "expected"), [
    # patience 2: the last two reports against the best before them
    ([1.0, 0.9, 0.95, 0.92], True),   # best before 0.9; 0.95, 0.92 not below it: stalled
    ([1.0, 0.9, 0.95, 0.89], False),  # 0.89 < 0.9
    ([1.0, 0.9, 0.9, 0.9], True),     # equal is no improvement
    ([1.0, 0.9], False),              # two reports = patience: nothing before them
    ([1.0, 0.9, 0.95], False),        # before: [1.0]; 0.9 < 1.0 improved
])
def test_patience_alone_minimize(values, expected):
    assert decide(PatientPruner(None, patience=2), values) is expected


@pytest.mark.parametrize(("values", "expected"), [
    ([0.1, 0.5, 0.4, 0.45], True),   # maximize: best before 0.5; 0.4, 0.45 not above
    ([0.1, 0.5, 0.4, 0.51], False),
])
def test_patience_alone_maximize(values, expected):
    assert decide(PatientPruner(None, patience=2), values, "maximize") is expected


def test_min_delta():
    # best before 0.9; with min_delta 0.05 only a value below 0.85 is an improvement
    assert decide(PatientPruner(None, patience=2, min_delta=0.05), [1.0, 0.9, 0.95, 0.89]) is True
    assert decide(PatientPruner(None, patience=2, min_delta=0.05), [1.0, 0.9, 0.95, 0.84]) is False
    assert decide(PatientPruner(None, patience=2, min_delta=0.05), [0.1, 0.5, 0.4, 0.54], "maximize") is True
    assert decide(PatientPruner(None, patience=2, min_delta=0.05), [0.1, 0.5, 0.4, 0.56], "maximize") is False


def test_the_wrapped_pruner_decides_once_stalled():
    both = PatientPruner(ThresholdPruner(upper=0.93), patience=2)
    assert decide(both, [1.0, 0.9, 0.95, 0.92]) is False  # stalled, but 0.92 <= 0.93
    assert decide(both, [1.0, 0.9, 0.95, 0.94]) is True   # stalled and 0.94 > 0.93
    eager = PatientPruner(ThresholdPruner(upper=0.5), patience=2)
    assert decide(eager, [1.0, 0.9, 0.95, 0.89]) is False  # the threshold would prune; not stalled
    assert decide(PatientPruner(NopPruner(), patience=1), [1.0, 2.0]) is False


def test_wrapping_the_median_rule():
    others = [complete(i, {0: 1.0, 1: 1.0, 2: 1.0, 3: 1.0}) for i in range(5)]  # median 1.0 everywhere
    pruner = PatientPruner(MedianPruner(), patience=2)
    assert decide(pruner, [3.0, 2.0, 1.5, 1.2], others=others) is False  # worse than the median, improving
    assert decide(pruner, [3.0, 2.0, 2.5, 2.1], others=others) is True   # worse and stalled
    assert decide(pruner, [3.0, 0.5, 0.6, 0.7], others=others) is False  # stalled, but best 0.5 <= 1.0


def test_nan_before_the_patience_window():
    assert stalled({0: math.nan, 1: 1.0, 2: 1.0}, 2, 0.0, 1.0) is False  # nothing finite before
    assert stalled({0: math.nan, 1: 0.5, 2: 1.0, 3: 1.0}, 2, 0.0, 1.0) is True
    assert stalled({0: 1.0, 1: math.nan, 2: 1.5}, 2, 0.0, 1.0) is True  # NaN is no improvement


def test_steps_are_taken_in_order_whatever_the_mapping_order():
    assert stalled({3: 0.95, 0: 1.0, 2: 0.92, 1: 0.9}, 2, 0.0, 1.0) is True  # as [1.0, 0.9, 0.92, 0.95]


@pytest.mark.parametrize(("settings", "message"), [
    ({"wrapped": None, "patience": 0}, "patience must be an int >= 1"),
    ({"wrapped": None, "patience": 1.5}, "patience must be an int >= 1"),
    ({"wrapped": None, "patience": 2, "min_delta": -0.1}, r"min_delta must be a finite number in \[0, inf\]"),
    ({"wrapped": "nosuch", "patience": 2}, "unknown pruner 'nosuch'"),
    ({"wrapped": 3, "patience": 2}, "pruner must be None, a Pruner"),
])
def test_invalid_settings(settings, message):
    with pytest.raises(ValueError, match=message):
        PatientPruner(**settings)
