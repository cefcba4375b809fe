"""Define-by-run: the space grows as build() declares new names, with every strategy."""

from __future__ import annotations

import pytest

pytest.importorskip("tensorflow")

import hpcore.adapters.keras as kt
import keras

import hpcore
from hpcore.space import Choice

pytestmark = pytest.mark.slow


def layered_build(hp, max_layers: int = 4):
    """num_layers Dense layers, each with its own units_i: units_3 exists only in 4-layer models."""
    model = keras.Sequential([keras.Input((784,))])
    for i in range(hp.Int("num_layers", 1, max_layers)):
        model.add(keras.layers.Dense(hp.Choice(f"units_{i}", [4, 8]), activation="relu"))
    model.add(keras.layers.Dense(10, activation="softmax"))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"], run_eagerly=True)
    return model


def check_growth(tuner: kt.Tuner, deepest: int) -> None:
    """Every trial holds the units of each of its layers; the trial that first needed a name got
    its default; the names discovered are in the study's space."""
    trials = [t for t in tuner.study.trials if t.state is hpcore.TrialState.COMPLETE]
    assert trials
    for t in trials:
        assert all(f"units_{i}" in t.params for i in range(t.params["num_layers"]))
    for i in range(1, deepest):
        name = f"units_{i}"
        assert tuner.study.space[name] == Choice([4, 8])
        first = next(t for t in tuner.study.trials if name in t.params)
        assert first.params[name] == 4, f"{name} takes its default in the trial that declares it"


def test_dry_build_declares_the_default_path_only(tmp_path):
    tuner = kt.RandomSearch(layered_build, objective="val_accuracy", directory=tmp_path, project_name="d")
    assert list(tuner.study.space) == ["num_layers", "units_0"]


def test_random_search_grows_the_space(tmp_path, mnist_small):
    (x, y), (xv, yv) = mnist_small
    tuner = kt.RandomSearch(layered_build, objective="val_accuracy", max_trials=8, directory=tmp_path,
                            project_name="r", seed=2)
    tuner.search(x, y, epochs=1, batch_size=100, validation_data=(xv, yv), verbose=0)
    deepest = max(t.params["num_layers"] for t in tuner.study.trials)
    assert deepest == 4, "the seed is chosen so that a 4-layer model appears"
    assert "units_3" in tuner.study.space
    check_growth(tuner, deepest)
    later = [t for t in tuner.study.trials if "units_3" in t.params]
    assert later[0].id > 0  # units_3 appeared later, not in the dry build


def test_grid_search_grows_and_never_trains_the_same_model_twice(tmp_path, mnist_small):
    (x, y), (xv, yv) = mnist_small

    def build(hp):
        return layered_build(hp, max_layers=2)

    tuner = kt.GridSearch(build, objective="val_accuracy", directory=tmp_path, project_name="g")
    tuner.search(x, y, epochs=1, batch_size=100, validation_data=(xv, yv), verbose=0)
    check_growth(tuner, 2)
    trained = [t for t in tuner.study.trials if "duplicate_of" not in t.user_attrs]
    models = [tuple(t.params[f"units_{i}"] for i in range(t.params["num_layers"])) for t in trained]
    # 1 layer: 2 models; 2 layers: 4 models; each trained exactly once
    assert sorted(models) == sorted([(4,), (8,), (4, 4), (4, 8), (8, 4), (8, 8)])
    dups = [t for t in tuner.study.trials if "duplicate_of" in t.user_attrs]
    for t in dups:  # grid points that differ only in units_1 of a 1-layer model reuse the result
        src = tuner.study.trials[t.user_attrs["duplicate_of"]]
        assert t.params["num_layers"] == 1 and t.params["units_0"] == src.params["units_0"]
        assert t.value == src.value
    assert tuner.stats["duplicates"] == len(dups) > 0


def test_bayes_handles_growth(tmp_path, mnist_small):
    pytest.importorskip("hpcore.strategies.bayes")
    (x, y), (xv, yv) = mnist_small
    tuner = kt.BayesianOptimization(layered_build, objective="val_accuracy", max_trials=7, num_initial_points=3,
                                    directory=tmp_path, project_name="b", seed=1)
    tuner.search(x, y, epochs=1, batch_size=100, validation_data=(xv, yv), verbose=0)
    deepest = max(t.params["num_layers"] for t in tuner.study.trials)
    assert deepest >= 2
    check_growth(tuner, deepest)
    assert len(tuner.study.trials) >= 7


def test_hyperband_handles_growth_and_promotes_the_grown_configuration(tmp_path, mnist_small):
    pytest.importorskip("hpcore.strategies.hyperband")
    (x, y), (xv, yv) = mnist_small
    tuner = kt.Hyperband(layered_build, objective="val_accuracy", max_epochs=3, factor=3, directory=tmp_path,
                         project_name="h", seed=4)
    tuner.search(x, y, batch_size=100, validation_data=(xv, yv), verbose=0)
    trials = tuner.study.trials
    deepest = max(t.params["num_layers"] for t in trials)
    assert deepest >= 2
    check_growth(tuner, deepest)
    for t in trials:
        if t.previous_budget is not None:  # a promotion keeps the configuration told by its first rung
            first = next(s for s in trials if s.config_id == t.config_id and s.previous_budget is None)
            assert dict(t.params) == dict(first.params)
