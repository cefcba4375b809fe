"""Pruning with Keras: the tuners' `pruner=` and `PruningCallback` in a `model.fit` of one's own.

A pruner of the test's own prunes odd trial ids at epoch 2, whatever the metric, so which trials
stop (and when) is known in advance; one test runs the median rule on real curves.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

pytest.importorskip("tensorflow")

import hpcore.adapters.keras as kt
import keras

import hpcore
from hpcore import TrialState
from tests.odd_trial_pruner import OddTrialsFromStep

pytestmark = pytest.mark.slow

EPOCHS = 4
PRUNE_AT = 2


@pytest.fixture(scope="module")
def data():
    """200 random points in 8 dimensions, binary labels from a linear rule; 150 train, 50 validation."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 8)).astype("float32")
    y = (x @ rng.normal(size=8) > 0).astype("int32")
    return (x[:150], y[:150]), (x[150:], y[150:])


def build(hp):
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(hp.Int("units", 2, 8, step=2), activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(hp.Float("lr", 1e-3, 1e-1, sampling="log")),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_tuner_stops_pruned_fits_and_never_keeps_them_as_best(tmp_path, data):
    (x, y), (xv, yv) = data
    tuner = kt.RandomSearch(build, objective="val_loss", max_trials=4, directory=tmp_path, project_name="p", seed=0,
                            pruner=OddTrialsFromStep(PRUNE_AT))
    tuner.search(x, y, epochs=EPOCHS, validation_data=(xv, yv), verbose=0)
    trials = tuner.study.trials
    assert [t.state for t in trials] == [TrialState.COMPLETE, TrialState.PRUNED] * 2
    for t in trials:
        history = t.user_attrs["history"]["val_loss"]
        if t.state is TrialState.PRUNED:
            assert len(history) == PRUNE_AT  # the fit stopped at the epoch it was pruned
            assert t.user_attrs["pruned_at_epoch"] == PRUNE_AT
            assert t.value == pytest.approx(history[-1])  # the last value reported
        else:
            assert len(history) == EPOCHS
        # every epoch was reported, at step = epochs trained
        assert list(t.intermediate_values) == list(range(1, len(history) + 1))
        assert list(t.intermediate_values.values()) == pytest.approx(history)
    assert {t.id for t in tuner.get_best_trials(4)} == {0, 2}
    assert all(not tuner.best_weights.has(t.id) for t in trials if t.state is TrialState.PRUNED)
    assert [t.status for t in tuner.oracle.trials.values()] == ["COMPLETED", "STOPPED"] * 2
    assert tuner.stats["pruned"] == 2 and tuner.stats["epochs_trained"] == 2 * EPOCHS + 2 * PRUNE_AT


def test_pruned_trial_runs_only_its_first_execution(tmp_path, data):
    (x, y), (xv, yv) = data
    tuner = kt.RandomSearch(build, objective="val_loss", max_trials=2, directory=tmp_path, project_name="p", seed=0,
                            executions_per_trial=2, pruner=OddTrialsFromStep(PRUNE_AT))
    tuner.search(x, y, epochs=EPOCHS, validation_data=(xv, yv), verbose=0)
    complete, pruned = tuner.study.trials
    assert complete.state is TrialState.COMPLETE and len(complete.user_attrs["execution_values"]) == 2
    assert pruned.state is TrialState.PRUNED and len(pruned.user_attrs["execution_values"]) == 1
    # the first execution's epochs are reported, not the second's (its steps would repeat)
    assert list(complete.intermediate_values) == list(range(1, EPOCHS + 1))


def test_median_pruner_on_real_curves_prunes_some_and_prints_them(tmp_path, data, capsys):
    (x, y), (xv, yv) = data
    tuner = kt.BayesianOptimization(build, objective="val_accuracy", max_trials=8, directory=tmp_path,
                                    project_name="p", seed=1, num_initial_points=4,
                                    pruner=hpcore.MedianPruner(min_trials=2))
    tuner.search(x, y, epochs=EPOCHS, validation_data=(xv, yv))
    states = [t.state for t in tuner.study.trials]
    assert len(states) == 8 and TrialState.PRUNED in states and TrialState.COMPLETE in states
    assert tuner.study.pruner.config() == hpcore.MedianPruner(min_trials=2).config()
    out = capsys.readouterr().out
    pruned = next(t for t in tuner.study.trials if t.state is TrialState.PRUNED)
    assert f"PRUNED at epoch {pruned.user_attrs['pruned_at_epoch']}" in out
    assert re.search(r"search done: 8 trials \(0 failed, \d+ pruned\)", out)
    best = tuner.get_best_trials(1)[0]
    assert best.state is TrialState.COMPLETE


def test_a_project_reopened_without_a_pruner_keeps_its_own(tmp_path, data):
    (x, y), (xv, yv) = data
    kw = dict(objective="val_loss", directory=tmp_path, project_name="p", seed=0)
    kt.RandomSearch(build, max_trials=1, pruner=hpcore.ThresholdPruner(upper=10.0), **kw).search(
        x, y, epochs=1, validation_data=(xv, yv), verbose=0)
    again = kt.RandomSearch(build, max_trials=2, **kw)
    assert again.study.pruner.config() == hpcore.ThresholdPruner(upper=10.0).config()


def test_hyperband_tuner_refuses_a_pruner(tmp_path):
    with pytest.raises(ValueError, match="pruner=.*hyperband"):
        kt.Hyperband(build, objective="val_loss", max_epochs=9, directory=tmp_path, project_name="p",
                     pruner=hpcore.MedianPruner())


def test_a_bad_pruner_setting_names_it(tmp_path):
    with pytest.raises(ValueError, match="warmup_steps"):
        kt.RandomSearch(build, objective="val_loss", directory=tmp_path, project_name="p",
                        pruner={"name": "median", "warmup_steps": -1})


# -- PruningCallback in a user's own training -----------------------------------------------------------
def _objective(data, epochs_seen: dict[int, int], monitor: str = "val_loss"):
    (x, y), (xv, yv) = data

    def objective(params, trial):
        model = build(kt.HyperParameters.from_trial(SPACE, params))
        history = keras.callbacks.History()
        try:
            model.fit(x, y, validation_data=(xv, yv), epochs=EPOCHS, verbose=0,
                      callbacks=[history, kt.PruningCallback(trial, monitor=monitor)])
        finally:
            epochs_seen[trial.id] = len(history.epoch)
        return history.history["val_loss"][-1]

    return objective


SPACE = hpcore.Space({"units": hpcore.Int(2, 8, step=2), "lr": hpcore.Float(1e-3, 1e-1, log=True)})


def test_callback_in_users_fit_prunes_the_trial_early(data):
    epochs: dict[int, int] = {}
    study = hpcore.Study(SPACE, strategy="random", seed=0, pruner=OddTrialsFromStep(PRUNE_AT))
    study.optimize(_objective(data, epochs), n_trials=4, verbose=False)
    assert [t.state for t in study.trials] == [TrialState.COMPLETE, TrialState.PRUNED] * 2
    assert epochs == {0: EPOCHS, 1: PRUNE_AT, 2: EPOCHS, 3: PRUNE_AT}
    pruned = study.trials[1]
    assert list(pruned.intermediate_values) == [1, 2]
    assert pruned.value == pruned.intermediate_values[2]
    assert study.best_trial.state is TrialState.COMPLETE


def test_callback_names_a_metric_that_is_not_there(data):
    study = hpcore.Study(SPACE, strategy="random", seed=0, pruner=OddTrialsFromStep(PRUNE_AT))
    with pytest.raises(hpcore.TooManyFailures):
        study.optimize(_objective(data, {}, monitor="val_auc"), n_trials=1, verbose=False)
    (failed,) = study.trials
    assert failed.state is TrialState.FAILED and "'val_auc' is not among the epoch's metrics" in failed.error


def _handle() -> hpcore.RunningTrial:
    """A handle outside any study: its reports stay in it."""
    return hpcore.RunningTrial(hpcore.Trial(id=0, params={}, state=TrialState.RUNNING), None)


def test_callback_without_validation_data_says_so():
    trial = _handle()
    model = build(kt.HyperParameters())
    x = np.zeros((10, 8), dtype="float32")
    with pytest.raises(ValueError, match="val_loss.*validation_data"):
        model.fit(x, np.zeros(10, dtype="int32"), epochs=1, verbose=0, callbacks=[kt.PruningCallback(trial)])


def test_callback_that_only_stops_leaves_the_ending_to_the_caller(data):
    (x, y), (xv, yv) = data
    study = hpcore.Study(SPACE, strategy="random", seed=0, pruner=hpcore.ThresholdPruner(lower=1e9))
    trial = study.ask()
    callback = kt.PruningCallback(kt_asked(study, trial), "val_loss", raise_pruned=False)
    history = build(kt.HyperParameters()).fit(x, y, validation_data=(xv, yv), epochs=EPOCHS, verbose=0,
                                              callbacks=[callback])
    assert callback.pruned and callback.pruned_epoch == 1 and len(history.epoch) == 1
    done = study.tell(trial, state=TrialState.PRUNED)
    assert done.value == history.history["val_loss"][0]


def kt_asked(study, trial):
    from hpcore.adapters.keras.pruning import AskedTrial

    return AskedTrial(study, trial)


def test_callback_refuses_what_cannot_report():
    with pytest.raises(TypeError, match="report"):
        kt.PruningCallback(object())
    with pytest.raises(ValueError, match="monitor"):
        kt.PruningCallback(_handle(), monitor="")

