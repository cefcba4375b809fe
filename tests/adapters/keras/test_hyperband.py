"""Hyperband on Keras: the budget is epochs, a promoted configuration continues from its saved
weights and optimizer state (USER-ASKS 11), checkpoints of dropped configurations are deleted,
the plan is printed (10) and an `epochs` given to search() is warned about (12)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("tensorflow")
pytest.importorskip("hpcore.strategies.hyperband")

import hpcore.adapters.keras as kt
import keras

from tests.adapters.keras.conftest import tiny_build

pytestmark = pytest.mark.slow

STEPS_PER_EPOCH = 3  # 300 training digits, batch_size=100


class Recorder(kt.HyperModel):
    """Records, for every fit, the state the model starts from and ends in."""

    def __init__(self):
        super().__init__()
        self.fits: list[dict] = []

    def build(self, hp):
        return tiny_build(hp)

    def fit(self, hp, model, *args, **kwargs):
        start = {"iterations": int(model.optimizer.iterations), "kernel": model.layers[0].kernel.numpy().copy(),
                 "initial_epoch": kwargs["initial_epoch"], "epochs": kwargs["epochs"]}
        history = model.fit(*args, **kwargs)
        self.fits.append({"start": start, "end": {"iterations": int(model.optimizer.iterations),
                                                  "kernel": model.layers[0].kernel.numpy().copy()}})
        return history


@pytest.mark.parametrize("in_memory", [True, False], ids=["live-model", "from-disk"])
def test_promotion_continues_from_weights_and_optimizer_state(tmp_path, mnist_small, capsys, in_memory):
    (x, y), (xv, yv) = mnist_small
    rec = Recorder()
    tuner = kt.Hyperband(rec, objective="val_accuracy", max_epochs=9, factor=3, min_epochs=3,
                         directory=tmp_path, project_name="hb", seed=0, model_cache_mb=1024 if in_memory else 0)
    with pytest.warns(UserWarning, match="budget"):
        tuner.search(x, y, epochs=50, batch_size=100, validation_data=(xv, yv))
    out = capsys.readouterr().out
    assert "Hyperband plan" in out and "with continuation" in out
    assert "33 epochs trained; continuation saved 3 of the 36 epochs" in out

    trials = tuner.study.trials
    assert len(rec.fits) == len(trials) == 6  # brackets: 3 configs at 3 epochs -> 1 at 9; 2 at 9
    promoted = [t for t in trials if t.previous_budget is not None]
    assert len(promoted) == 1
    for t in trials:
        fit = rec.fits[t.id]
        assert fit["start"]["epochs"] == t.budget
        if t.previous_budget is None:
            assert fit["start"]["iterations"] == 0 and fit["start"]["initial_epoch"] == 0
            assert t.user_attrs["epochs_trained"] == t.budget
            continue
        earlier = next(s for s in trials if s.config_id == t.config_id and s.budget == t.previous_budget)
        before = rec.fits[earlier.id]["end"]
        # loading really happened: the optimizer's step count and the weights carry over
        assert fit["start"]["iterations"] == before["iterations"] == STEPS_PER_EPOCH * t.previous_budget
        np.testing.assert_array_equal(fit["start"]["kernel"], before["kernel"])
        assert fit["start"]["initial_epoch"] == t.previous_budget
        assert fit["end"]["iterations"] == STEPS_PER_EPOCH * t.budget
        # only the difference is trained, and the epochs are numbered on from the checkpoint
        assert t.user_attrs["epochs_trained"] == t.budget - t.previous_budget == 6
        assert t.user_attrs["epochs"] == list(range(t.previous_budget + 1, t.budget + 1))
        assert t.user_attrs["resumed_from_epoch"] == t.previous_budget
    assert tuner.stats["epochs_restored"] == 3
    assert tuner.stats["models_continued_in_memory"] == (1 if in_memory else 0)
    assert tuner.stats["epochs_trained"] == 3 * 3 + 6 + 2 * 9
    assert tuner.checkpoints.stored() == set(), "every bracket is done: no checkpoint is left"
    assert len(tuner.get_best_models(1)) == 1


def no_input_build(hp):
    return tiny_build(hp, with_input=False)


def test_checkpoints_of_dropped_configurations_are_deleted_and_survive_a_resume(tmp_path, mnist_small):
    """Also with a model that has no Input layer: it is built from the data's shape to load."""
    (x, y), (xv, yv) = mnist_small
    tiny_build = no_input_build
    kw = {"objective": "val_accuracy", "max_epochs": 9, "factor": 3, "min_epochs": 3, "directory": tmp_path,
          "project_name": "ck", "seed": 1}
    tuner = kt.Hyperband(tiny_build, max_trials=2, **kw)
    tuner.search(x, y, batch_size=100, validation_data=(xv, yv), verbose=0)
    first_two = tuner.study.trials
    leader = max(first_two, key=lambda t: t.value)
    # 1 of 3 will be promoted: with the rung incomplete only the leader can still be the one
    assert tuner.checkpoints.stored() == {leader.config_id} == tuner.strategy.live_configs(tuner.study)

    tuner = kt.Hyperband(tiny_build, max_trials=3, **kw)  # resume; the first rung completes
    tuner.search(x, y, batch_size=100, validation_data=(xv, yv), verbose=0)
    trials = tuner.study.trials
    best = max(trials, key=lambda t: t.value)
    assert tuner.checkpoints.stored() == {best.config_id}, "the two dropped configurations' files are gone"
    assert tuner.checkpoints.stored() == tuner.strategy.live_configs(tuner.study)

    tuner = kt.Hyperband(tiny_build, **kw)  # resume again: the promotion loads the checkpoint
    tuner.search(x, y, batch_size=100, validation_data=(xv, yv), verbose=0)
    promoted = next(t for t in tuner.study.trials if t.previous_budget is not None)
    assert promoted.config_id == best.config_id
    assert promoted.user_attrs["resumed_from_epoch"] == 3 and promoted.user_attrs["epochs_trained"] == 6
    assert tuner.checkpoints.stored() == set()
    model = kt.Hyperband(tiny_build, **kw).get_best_models(1)[0]  # a new process would do this
    best = tuner.get_best_trials(1)[0]
    assert model.evaluate(xv, yv, verbose=0)[1] == pytest.approx(best.value, abs=1e-6)


def test_checkpoint_round_trip_restores_weights_and_optimizer(tmp_path, mnist_small):
    from hpcore.adapters.keras.checkpoints import CheckpointStore
    from hpcore.adapters.keras.hyperparameters import HyperParameters

    (x, y), _ = mnist_small
    model = tiny_build(HyperParameters())
    model.fit(x, y, epochs=2, batch_size=100, verbose=0)
    store = CheckpointStore(tmp_path)
    store.save(7, 0, model, epoch=2)
    fresh = tiny_build(HyperParameters())
    assert store.load(7, 0, fresh, epoch=1) is None  # a checkpoint ahead of the budget is not used
    assert int(fresh.optimizer.iterations) == 0
    assert store.load(7, 0, fresh, epoch=2) == 2
    assert int(fresh.optimizer.iterations) == 6
    for a, b in zip(model.get_weights(), fresh.get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(model.optimizer.variables, fresh.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    wider = keras.Sequential([keras.Input((784,)), keras.layers.Dense(5), keras.layers.Dense(10)])
    wider.compile(optimizer="adam", loss="mse")
    with pytest.raises(ValueError, match="does not fit"):
        store.load(7, 0, wider, epoch=2)
    assert store.retain({1}) == [7] and store.stored() == set()
