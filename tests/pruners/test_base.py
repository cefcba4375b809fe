"""What every pruner shares: NaN and no-report rules, directions, configs, make_pruner, copies."""

from __future__ import annotations

import copy
import json
import math
import pickle

import pytest

import hpcore
from hpcore.pruners import (
    PRUNERS,
    HyperbandPruner,
    MedianPruner,
    NopPruner,
    PatientPruner,
    PercentilePruner,
    Pruner,
    SuccessiveHalvingPruner,
    ThresholdPruner,
    make_pruner,
)
from hpcore.pruners.base import in_check_window, latest_steps
from hpcore.trial import IntermediateValues
from tests.pruners.made_trials import complete, running

#: One of each pruner, with settings other than the defaults where there are any.
EXAMPLES = [
    MedianPruner(warmup_steps=2, min_trials=3, interval=2),
    PercentilePruner(25.0, warmup_steps=1, min_trials=2, interval=3),
    SuccessiveHalvingPruner(min_resource=2, reduction_factor=4, min_early_stopping_rate=1),
    HyperbandPruner(1, max_resource=27, reduction_factor=3),
    ThresholdPruner(lower=0.0, upper=10.0, warmup_steps=1, interval=2),
    ThresholdPruner(upper=5),
    PatientPruner(MedianPruner(min_trials=2), patience=3, min_delta=0.01),
    PatientPruner(None, patience=2),
    PatientPruner(PatientPruner(ThresholdPruner(lower=1.0), patience=1), patience=4),
    NopPruner(),
]
JUDGING = [p for p in EXAMPLES if not isinstance(p, NopPruner)]


def _ids(pruners):
    return [repr(p) for p in pruners]


@pytest.mark.parametrize("pruner", EXAMPLES, ids=_ids(EXAMPLES))
def test_config_round_trips_through_json(pruner: Pruner):
    config = pruner.config()
    assert config["name"] in PRUNERS()
    rebuilt = make_pruner(json.loads(json.dumps(config)))
    assert type(rebuilt) is type(pruner) and rebuilt.config() == config
    assert repr(rebuilt) == repr(pruner)


@pytest.mark.parametrize("pruner", EXAMPLES, ids=_ids(EXAMPLES))
def test_copies_and_pickles_keep_the_settings_and_drop_the_cache(pruner: Pruner):
    history = [complete(i, {s: float(i + s) for s in range(10)}) for i in range(8)]
    trial = running(8, {s: 0.5 for s in range(10)})
    decision = pruner.prune(trial, [*history, trial], "minimize")  # fills any cache
    for other in (copy.deepcopy(pruner), pickle.loads(pickle.dumps(pruner)), copy.copy(pruner)):
        assert other.config() == pruner.config()
        # a list of other trials with the same ids: a copy must not answer from the old cache
        assert other.prune(trial, [trial], "minimize") == make_pruner(pruner.config()).prune(trial, [trial], "minimize")
        assert other.prune(trial, [*history, trial], "minimize") == decision


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("direction", ["minimize", "maximize"])
@pytest.mark.parametrize("pruner", JUDGING, ids=_ids(JUDGING))
def test_a_non_finite_latest_report_is_pruned(pruner: Pruner, direction: str, bad: float):
    # at step 0 too, before any warm-up, rung or patience, and with no other trial
    for values in ({0: bad}, {0: 1.0, 1: 1.0, 2: bad}):
        trial = running(0, values)
        assert pruner.prune(trial, [trial], direction) is True


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_the_nop_pruner_never_prunes(bad: float):
    trial = running(0, {0: 1.0, 1: bad})
    assert NopPruner().prune(trial, [trial], "minimize") is False
    assert NopPruner().prune(trial, [trial], "maximize") is False


@pytest.mark.parametrize("pruner", EXAMPLES, ids=_ids(EXAMPLES))
def test_no_report_no_pruning_and_a_bad_direction_is_refused(pruner: Pruner):
    trial = running(0, {})
    assert pruner.prune(trial, [trial], "minimize") is False
    with pytest.raises(ValueError, match="direction must be 'minimize' or 'maximize', got 'min'"):
        pruner.prune(running(0, {0: 1.0}), [], "min")


def test_the_cores_intermediate_values_mapping_is_accepted():
    values = IntermediateValues().appended(0, 3.0).appended(1, 2.0)
    trial = hpcore.Trial(id=5, params={}, state=hpcore.TrialState.RUNNING, intermediate_values=values)
    others = [complete(i, {0: 1.0, 1: 1.0}) for i in range(5)]
    assert MedianPruner().prune(trial, [*others, trial], "minimize") is True  # 2.0 > median 1.0
    assert latest_steps(values) == (1, 0)


def test_make_pruner():
    assert make_pruner(None) is None
    median = MedianPruner()
    assert make_pruner(median) is median
    for name, cls in [("median", MedianPruner), ("asha", SuccessiveHalvingPruner),
                      ("successive_halving", SuccessiveHalvingPruner), ("nop", NopPruner)]:
        assert type(make_pruner(name)) is cls
    assert make_pruner({"name": "median"}).config() == MedianPruner().config()
    assert make_pruner({"name": "hyperband", "max_resource": 81}).config() == HyperbandPruner(
        max_resource=81).config()
    assert make_pruner({"name": "patient", "wrapped": "median", "patience": 2}).config() == PatientPruner(
        MedianPruner(), 2).config()


@pytest.mark.parametrize(("spec", "message"), [
    ("nosuch", "unknown pruner 'nosuch'; known: asha, hyperband, median, nop, patient, percentile"),
    ("percentile", "pruner 'percentile' needs percentile"),
    ("hyperband", "pruner 'hyperband' needs max_resource"),
    ("patient", "pruner 'patient' needs wrapped and patience"),
    ("threshold", "ThresholdPruner needs lower or upper"),
    ({"name": "median", "warmup": 3}, "unknown setting.*'warmup' for pruner 'median'; known: warmup_steps"),
    ({"name": "percentile"}, "pruner 'percentile' needs percentile"),
    ({"warmup_steps": 3}, "a pruner config needs a 'name'"),
    (MedianPruner, "pruner must be a Pruner instance, got the class MedianPruner"),
    (3, "pruner must be None, a Pruner, a name or a config dict, got int"),
])
def test_make_pruner_refuses_with_a_clear_message(spec, message):
    with pytest.raises(ValueError, match=message):
        make_pruner(spec)


@pytest.mark.parametrize(("build", "message"), [
    (lambda: MedianPruner(warmup_steps=-1), "warmup_steps must be an int >= 0, got -1"),
    (lambda: MedianPruner(warmup_steps=True), "warmup_steps must be an int >= 0, got True"),
    (lambda: MedianPruner(min_trials=0), "min_trials must be an int >= 1"),
    (lambda: MedianPruner(interval=0), "interval must be an int >= 1"),
    (lambda: MedianPruner(interval=1.0), "interval must be an int >= 1, got 1.0"),
    (lambda: PercentilePruner(101), r"percentile must be a finite number in \[0, 100\], got 101"),
    (lambda: PercentilePruner(-1), r"percentile must be a finite number in \[0, 100\]"),
    (lambda: PercentilePruner(math.nan), "percentile must be a finite number"),
    (lambda: PercentilePruner("50"), "percentile must be a finite number"),
    (lambda: SuccessiveHalvingPruner(reduction_factor=1), "reduction_factor must be an int >= 2, got 1"),
    (lambda: SuccessiveHalvingPruner(reduction_factor=2.5), "reduction_factor must be an int >= 2"),
    (lambda: SuccessiveHalvingPruner(min_resource=0), "min_resource must be an int >= 1"),
    (lambda: SuccessiveHalvingPruner(min_early_stopping_rate=-1), "min_early_stopping_rate must be an int >= 0"),
    (lambda: HyperbandPruner(max_resource=0), "max_resource must be an int >= 1"),
    (lambda: HyperbandPruner(max_resource=27, reduction_factor=1), "reduction_factor must be an int >= 2"),
])
def test_invalid_settings_name_the_setting(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_latest_steps():
    assert latest_steps({0: 1.0}) == (0, None)
    assert latest_steps({0: 1.0, 3: 1.0, 7: 1.0}) == (7, 3)
    assert latest_steps({7: 1.0, 0: 1.0, 3: 1.0}) == (7, 3)  # the mapping's order is not relied on


@pytest.mark.parametrize(("latest", "previous", "warmup", "interval", "expected"), [
    (0, None, 0, 1, True),
    (1, 0, 0, 1, True),    # every step with interval 1
    (1, 0, 0, 2, False),   # windows [0, 2), [2, 4): 1 shares the window of 0
    (2, 1, 0, 2, True),
    (3, 1, 0, 2, True),    # step 2 was not reported: 3 is the first report in [2, 4)
    (3, 2, 0, 2, False),
    (4, 2, 0, 2, True),
    (1, None, 2, 1, False),  # before the warm-up
    (2, 1, 2, 3, True),      # the first report at or after the warm-up
    (4, 2, 2, 3, False),     # windows [2, 5), [5, 8)
    (5, 4, 2, 3, True),
    (9, 3, 2, 3, True),
])
def test_in_check_window(latest, previous, warmup, interval, expected):
    assert in_check_window(latest, previous, warmup, interval) is expected


def test_public_names():
    for name in ("MedianPruner", "PercentilePruner", "SuccessiveHalvingPruner", "ASHAPruner", "HyperbandPruner",
                 "ThresholdPruner", "PatientPruner", "NopPruner"):
        assert getattr(hpcore, name) is getattr(hpcore.pruners, name)
