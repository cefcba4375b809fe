"""Objective: direction inference, explicit directions, metric lookup."""

from __future__ import annotations

import pytest
from hpcore.adapters.keras import Objective
from hpcore.adapters.keras.objective import as_objective, infer_direction


@pytest.mark.parametrize("name, direction", [
    ("val_accuracy", "maximize"), ("accuracy", "maximize"), ("val_acc", "maximize"), ("auc", "maximize"),
    ("val_auc_1", "maximize"), ("val_sparse_categorical_accuracy", "maximize"), ("val_precision", "maximize"),
    ("val_loss", "minimize"), ("loss", "minimize"), ("val_mean_absolute_error", "minimize"),
    ("mse", "minimize"), ("val_root_mean_squared_error", "minimize"), ("val_error_rate", "minimize"),
])
def test_direction_is_inferred_from_the_metric_name(name, direction):
    assert infer_direction(name) == direction
    assert Objective(name).direction == direction


def test_unknown_metric_needs_a_direction():
    with pytest.raises(ValueError, match="Objective"):
        Objective("val_custom_score")
    assert Objective("val_custom_score", "max").direction == "maximize"
    assert Objective("val_custom_score", direction="min").direction == "minimize"
    with pytest.raises(ValueError, match="direction"):
        Objective("val_loss", "up")


def test_as_objective_accepts_names_objectives_and_lookalikes():
    class KTObjective:  # the shape of keras_tuner.Objective
        name, direction = "val_f", "max"

    assert as_objective(None) == Objective("val_loss", "min")
    assert as_objective("val_accuracy").direction == "maximize"
    assert as_objective(KTObjective()) == Objective("val_f", "max")


def test_a_list_of_objectives_is_summed_with_each_direction_as_keras_tuner():
    multi = as_objective(["val_loss", Objective("val_accuracy", "max")])
    assert multi.name == "multi_objective" and multi.direction == "minimize"
    assert str(multi) == ('MultiObjective(name="multi_objective", direction="min"): [Objective(name="val_loss", '
                          'direction="min"), Objective(name="val_accuracy", direction="max")]')
    assert multi.value_of({"val_loss": 0.5, "val_accuracy": 0.75, "loss": 9.0}) == pytest.approx(-0.25)
    assert multi.series({"val_loss": [1.0, 0.5], "val_acc": [0.5, 0.75]}) == pytest.approx([0.5, -0.25])
    with pytest.raises(KeyError, match="val_accuracy"):
        multi.value_of({"val_loss": 0.5})
    with pytest.raises(ValueError, match="empty"):
        as_objective([])


def test_best_and_find():
    up = Objective("val_accuracy")
    assert up.best([0.5, float("nan"), 0.9, 0.7]) == (0.9, 2)
    assert Objective("val_loss").best([0.5, 0.2, 0.3]) == (0.2, 1)
    assert up.best([float("nan")]) is None
    assert up.find(["loss", "val_acc"]) == "val_acc"
    with pytest.raises(KeyError, match="validation_data"):
        up.find(["loss", "accuracy"])
