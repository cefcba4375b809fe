"""KerasTuner code that hpcore refused or misreported: a list objective, more best models than are
kept, and a `HyperModel.fit` that sets its own epochs under Hyperband."""

from __future__ import annotations

import pytest

pytest.importorskip("tensorflow")

import hpcore.adapters.keras as kt
import keras

from tests.adapters.keras.conftest import tiny_build

pytestmark = pytest.mark.slow


def test_a_list_objective_is_the_sum_of_its_metrics_with_their_directions(tmp_path, mnist_small):
    (x, y), (xv, yv) = mnist_small
    tuner = kt.RandomSearch(tiny_build, objective=["val_loss", kt.Objective("val_accuracy", "max")], max_trials=2,
                            directory=tmp_path, project_name="multi", seed=0)
    tuner.search(x[:64], y[:64], epochs=2, validation_data=(xv, yv), verbose=0)
    assert tuner.objective.name == "multi_objective" and tuner.objective.direction == "minimize"
    for t in tuner.study.trials:
        h = t.user_attrs["history"]
        sums = [loss - acc for loss, acc in zip(h["val_loss"], h["val_accuracy"])]
        assert t.value == pytest.approx(min(sums))
        assert t.user_attrs["best_epoch"] == sums.index(min(sums)) + 1


def test_more_best_models_than_kept_are_retrained_with_a_warning(tmp_path, mnist_small):
    (x, y), (xv, yv) = mnist_small
    tuner = kt.RandomSearch(tiny_build, objective="val_accuracy", max_trials=3, directory=tmp_path,
                            project_name="six", seed=0, keep_best_models=1)
    tuner.search(x[:64], y[:64], epochs=1, validation_data=(xv, yv), verbose=0)
    with pytest.warns(UserWarning, match=r"retrained trials \[\d+, \d+\]"):
        models = tuner.get_best_models(num_models=3)
    assert len(models) == 3 and all(isinstance(m, keras.Model) for m in models)
    best = tuner.get_best_trials(3)
    assert [m.count_params() for m in models] == [
        tuner.hypermodel.build(tuner.get_best_hyperparameters(3)[i]).count_params() for i in range(3)]
    assert best[0].id in tuner.best_weights.stored()


class OwnEpochs(kt.HyperModel):
    """A tutorial HyperModel whose fit sets the epochs itself (fine with RandomSearch)."""

    def __init__(self, epochs):
        super().__init__()
        self.epochs = epochs

    def build(self, hp):
        return tiny_build(hp, max_layers=1)

    def fit(self, hp, model, *args, **kwargs):
        kwargs["epochs"] = self.epochs
        return model.fit(*args, **kwargs)


def test_a_fit_that_sets_its_own_epochs_under_hyperband_fails_naming_the_conflict(tmp_path, mnist_small):
    (x, y), (xv, yv) = mnist_small
    tuner = kt.Hyperband(OwnEpochs(1), objective="val_accuracy", max_epochs=3, factor=3, directory=tmp_path,
                         project_name="own", seed=0)
    with pytest.warns(UserWarning, match="epochs=1, but this Hyperband trial's budget is epochs=3"):
        tuner.search(x[:64], y[:64], validation_data=(xv, yv), verbose=0)
    promoted = [t for t in tuner.study.trials if t.previous_budget]
    assert promoted and all(not t.ok for t in promoted)
    for t in promoted:
        assert "called model.fit with epochs=1" in t.error and "trained no epoch" in t.error
        assert "is not among the metrics" not in t.error
