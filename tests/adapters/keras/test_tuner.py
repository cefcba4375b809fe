"""Tuner: the KerasTuner tutorial with one import changed, directions, executions, resume,
failures, callbacks and TensorBoard."""

from __future__ import annotations

import math
import os
import re

import numpy as np
import pytest

pytest.importorskip("tensorflow")

import hpcore.adapters.keras as kt
import keras

import hpcore
from tests.adapters.keras.conftest import tiny_build

pytestmark = pytest.mark.slow


def tutorial_build_model(hp):
    model = keras.Sequential()
    model.add(keras.Input(shape=(784,)))
    model.add(keras.layers.Dense(units=hp.Int("units", min_value=8, max_value=32, step=8),
                                 activation=hp.Choice("activation", ["relu", "tanh"])))
    if hp.Boolean("dropout"):
        model.add(keras.layers.Dropout(rate=0.25))
    model.add(keras.layers.Dense(10, activation="softmax"))
    learning_rate = hp.Float("lr", min_value=1e-3, max_value=1e-2, sampling="log")
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def test_keras_tuner_tutorial_runs_with_only_the_import_changed(tmp_path, mnist_small, capsys):
    (x, y), (xv, yv) = mnist_small
    tuner = kt.RandomSearch(tutorial_build_model, objective="val_accuracy", max_trials=3,
                            directory=tmp_path, project_name="p", seed=0)
    tuner.search_space_summary()
    tuner.search(x, y, epochs=2, validation_data=(xv, yv))
    tuner.results_summary()
    best_model = tuner.get_best_models(num_models=1)[0]
    assert best_model.predict(xv[:5], verbose=0).shape == (5, 10)
    out = capsys.readouterr().out
    assert "Search space summary" in out and "Results summary" in out and "units" in out

    trials = tuner.study.trials
    assert len(trials) == 3 and all(t.state is hpcore.TrialState.COMPLETE for t in trials)
    assert tuner.study.direction == "maximize"
    best = tuner.get_best_trials(1)[0]
    assert best.value == max(t.value for t in trials)
    # the value is the best epoch's, and every epoch's metrics are stored (USER-ASKS 18)
    hist = best.user_attrs["history"]
    assert len(hist["val_accuracy"]) == 2 and len(hist["loss"]) == 2
    assert best.value == pytest.approx(max(hist["val_accuracy"]))
    assert best.user_attrs["epochs"] == [1, 2]
    # the saved model is the one of the best epoch
    _, acc = best_model.evaluate(xv, yv, verbose=0)
    assert acc == pytest.approx(best.value, abs=1e-6)
    hp = tuner.get_best_hyperparameters(1)[0]
    assert hp.values == dict(best.params) and hp.get("units") == best.params["units"]
    assert isinstance(tuner.hypermodel.build(hp), keras.Model)
    assert os.path.exists(tmp_path / "p" / "study.db")


def test_direction_follows_the_objective(tmp_path, mnist_small):
    (x, y), (xv, yv) = mnist_small
    tuner = kt.Tuner(tiny_build, objective="val_loss", max_trials=2, directory=tmp_path, project_name="loss")
    assert tuner.study.direction == "minimize"
    tuner.search(x, y, epochs=1, batch_size=100, validation_data=(xv, yv), verbose=0)
    values = [t.value for t in tuner.study.trials]
    assert tuner.get_best_trials(1)[0].value == min(values)
    t2 = kt.Tuner(tiny_build, objective=kt.Objective("val_accuracy", "max"), max_trials=1, directory=tmp_path,
                  project_name="acc")
    assert t2.study.direction == "maximize"
    with pytest.raises(ValueError, match="Objective"):
        kt.Tuner(tiny_build, objective="val_weird", directory=tmp_path, project_name="weird")


def test_executions_per_trial_are_averaged(tmp_path, mnist_small):
    (x, y), (xv, yv) = mnist_small
    tuner = kt.Tuner(tiny_build, objective="val_accuracy", max_trials=1, executions_per_trial=2,
                     directory=tmp_path, project_name="ex", seed=3)
    tuner.search(x, y, epochs=2, batch_size=100, validation_data=(xv, yv), verbose=0)
    t = tuner.study.trials[0]
    per = t.user_attrs["execution_values"]
    assert len(per) == 2 and len(t.user_attrs["history"]) == 2
    assert per == [pytest.approx(max(h["val_accuracy"])) for h in t.user_attrs["history"]]
    assert t.value == pytest.approx(np.mean(per))
    assert t.user_attrs["epochs_trained"] == 4


def test_rerunning_resumes_and_overwrite_starts_fresh(tmp_path, mnist_small):
    (x, y), (xv, yv) = mnist_small
    kw = {"objective": "val_accuracy", "directory": tmp_path, "project_name": "r", "seed": 5}
    first = kt.Tuner(tiny_build, max_trials=2, **kw)
    first.search(x, y, epochs=1, batch_size=100, validation_data=(xv, yv), verbose=0)
    params = [dict(t.params) for t in first.study.trials]

    again = kt.Tuner(tiny_build, max_trials=3, **kw)  # the same script, one more trial allowed
    assert [dict(t.params) for t in again.study.trials] == params
    again.search(x, y, epochs=1, batch_size=100, validation_data=(xv, yv), verbose=0)
    assert len(again.study.trials) == 3 and again.stats["trials"] == 1
    again.search(x, y, epochs=1, batch_size=100, validation_data=(xv, yv), verbose=0)  # nothing left
    assert len(again.study.trials) == 3

    def other_build(hp):  # the script changed a range: refuse, and say what changed
        return tiny_build(hp, max_layers=5)

    with pytest.raises(ValueError, match="num_layers"):
        kt.Tuner(other_build, max_trials=3, **kw)
    fresh = kt.Tuner(other_build, max_trials=1, overwrite=True, **kw)
    assert fresh.study.trials == []
    fresh.search(x, y, epochs=1, batch_size=100, validation_data=(xv, yv), verbose=0)
    assert len(fresh.study.trials) == 1


def flaky_build(hp):
    mode = hp.Choice("mode", ["ok", "boom", "nan"])
    if mode == "boom":
        raise ValueError("boom: this configuration cannot be built")
    model = keras.Sequential([keras.Input((784,)), keras.layers.Dense(10, activation="softmax")])

    def nan_loss(y_true, y_pred):
        return keras.ops.mean(y_pred) * float("nan")

    loss = nan_loss if mode == "nan" else "sparse_categorical_crossentropy"
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy"], run_eagerly=True)
    return model


def test_failed_trials_are_recorded_and_the_search_goes_on(tmp_path, mnist_small, capsys):
    (x, y), (xv, yv) = mnist_small
    tuner = kt.GridSearch(flaky_build, objective="val_accuracy", directory=tmp_path, project_name="f")
    tuner.search(x, y, epochs=3, batch_size=100, validation_data=(xv, yv))
    by_mode = {t.params["mode"]: t for t in tuner.study.trials}
    assert set(by_mode) == {"ok", "boom", "nan"}
    assert by_mode["ok"].state is hpcore.TrialState.COMPLETE
    assert by_mode["boom"].state is hpcore.TrialState.FAILED and "boom" in by_mode["boom"].error
    assert by_mode["nan"].state is hpcore.TrialState.FAILED and "nan" in by_mode["nan"].error.lower()
    assert "FAILED" in capsys.readouterr().out
    assert tuner.get_best_trials(5) == [by_mode["ok"]]


def test_all_trials_failing_raises_the_first_error(tmp_path, mnist_small):
    (x, y), (xv, yv) = mnist_small

    def broken(hp):
        hp.Int("units", 4, 8)
        raise RuntimeError("no model today")

    with pytest.warns(UserWarning, match="no model today"):
        tuner = kt.RandomSearch(broken, objective="val_accuracy", max_trials=2, directory=tmp_path,
                                project_name="b")
    with pytest.raises(hpcore.TooManyFailures, match="no model today") as info:
        tuner.search(x, y, epochs=1, validation_data=(xv, yv), verbose=0)
    assert isinstance(info.value.__cause__, RuntimeError)
    assert [t.state for t in tuner.study.trials] == [hpcore.TrialState.FAILED] * 2


def test_callbacks_are_copied_per_trial_and_tensorboard_gets_a_dir_per_trial(tmp_path, mnist_small):
    (x, y), (xv, yv) = mnist_small
    logs = tmp_path / "tb"
    stop = keras.callbacks.EarlyStopping(monitor="val_accuracy", min_delta=1.0, patience=0)
    board = keras.callbacks.TensorBoard(log_dir=str(logs))
    tuner = kt.Tuner(tiny_build, objective="val_accuracy", max_trials=2, directory=tmp_path, project_name="cb")
    tuner.search(x, y, epochs=5, batch_size=100, validation_data=(xv, yv), callbacks=[stop, board], verbose=0)
    for t in tuner.study.trials:
        assert t.user_attrs["epochs"] == [1, 2]  # each trial's own EarlyStopping stopped it at epoch 2
        d = logs / f"trial_{t.id:04d}"
        assert (d / "train").is_dir() and (d / "validation").is_dir()
        hparams, scalars = hparams_summary(d)
        assert hparams == {k: float(v) for k, v in t.params.items()}, "HParams summary of the trial"
        assert scalars["val_accuracy"] == pytest.approx(t.value)
    assert stop.model is None and board.log_dir == str(logs)  # the user's objects are untouched


def hparams_summary(logdir) -> tuple[dict, dict]:
    """(hyperparameters, scalars at step 0) of the HParams summary written in `logdir` itself,
    read back with TensorBoard's own parsers."""
    import tensorflow as tf
    from tensorboard.plugins.hparams import plugin_data_pb2

    hparams, scalars = {}, {}
    for f in os.listdir(logdir):
        if not f.startswith("events"):
            continue
        for event in tf.compat.v1.train.summary_iterator(os.path.join(logdir, f)):
            for v in event.summary.value:
                if v.metadata.plugin_data.plugin_name == "hparams":
                    data = plugin_data_pb2.HParamsPluginData.FromString(v.metadata.plugin_data.content)
                    if data.HasField("session_start_info"):
                        for k, hv in data.session_start_info.hparams.items():
                            hparams[k] = hv.number_value if hv.HasField("number_value") else \
                                (hv.string_value if hv.HasField("string_value") else hv.bool_value)
                elif event.step == 0:
                    scalars[v.tag] = float(tf.make_ndarray(v.tensor))
    return hparams, scalars


def test_a_fit_override_tunes_fit_arguments(tmp_path, mnist_small):
    (x, y), (xv, yv) = mnist_small

    class Model(kt.HyperModel):
        def build(self, hp):
            return tiny_build(hp)

        def fit(self, hp, model, *args, **kwargs):
            return model.fit(*args, batch_size=hp.Choice("batch_size", [50, 100]), **kwargs)

    tuner = kt.Tuner(Model(), objective="val_accuracy", max_trials=2, directory=tmp_path, project_name="fit")
    tuner.search(x, y, epochs=1, validation_data=(xv, yv), verbose=0)
    trials = tuner.study.trials
    assert "batch_size" in tuner.study.space
    assert trials[0].params["batch_size"] == 50  # discovered in trial 0: its default
    assert all("batch_size" in t.params and "batch_size" in t.user_attrs["fit_params"] for t in trials)
    assert all(math.isfinite(t.value) for t in trials)


class StepsProbe(kt.HyperModel):
    """Records the steps per execution each model trains with."""

    def __init__(self):
        super().__init__()
        self.steps = []

    def build(self, hp):
        return tiny_build(hp, eager=False)

    def fit(self, hp, model, *args, **kwargs):
        self.steps.append(model.steps_per_execution)
        return model.fit(*args, **kwargs)


class BatchCounter(keras.callbacks.Callback):
    batches = 0

    def on_train_batch_end(self, batch, logs=None):
        BatchCounter.batches += 1


def test_several_batches_per_call_unless_a_callback_watches_batches(tmp_path, mnist_small):
    (x, y), (xv, yv) = mnist_small
    histories = {}
    for steps in ("auto", None):
        probe = StepsProbe()
        tuner = kt.Tuner(probe, objective="val_accuracy", max_trials=1, directory=tmp_path, project_name=str(steps),
                         seed=7, steps_per_execution=steps)
        tuner.search(x, y, epochs=2, batch_size=10, validation_data=(xv, yv), verbose=0)
        assert probe.steps == [32 if steps == "auto" else 1]
        histories[steps] = tuner.study.trials[0].user_attrs["history"]
    assert histories["auto"] == histories[None]  # the same training, bit for bit

    probe = StepsProbe()
    tuner = kt.Tuner(probe, objective="val_accuracy", max_trials=1, directory=tmp_path, project_name="watched")
    tuner.search(x, y, epochs=1, batch_size=10, validation_data=(xv, yv), callbacks=[BatchCounter()], verbose=0)
    assert probe.steps == [1] and BatchCounter.batches == 30


# -- what a search prints (issue 13) ----------------------------------------------------------------------
class ScoredByBudget(kt.HyperModel):
    """No training: `fit` returns a score that falls with the epochs (the budget), so a trial at a
    low budget scores higher than every trial at a larger one. Builds 1-3 tiny Dense layers."""

    def build(self, hp):
        model = keras.Sequential([keras.Input((4,))])
        for i in range(hp.Int("num_layers", 1, 3, default=3)):  # units_0..2 are declared up front
            model.add(keras.layers.Dense(hp.Int(f"units_{i}", 2, 4, step=2)))
        model.compile(optimizer="sgd", loss="mse")
        return model

    def fit(self, hp, model, *args, epochs=1, **kwargs):
        return 1.0 - 0.1 * epochs + 0.01 * len(model.layers)


def trial_lines(out: str) -> list[str]:
    return [ln for ln in out.splitlines() if ln.startswith("trial ")]


def test_trial_lines_list_only_the_parameters_the_model_used(tmp_path, capsys):
    x, y = np.zeros((8, 4)), np.zeros((8, 1))
    tuner = kt.RandomSearch(ScoredByBudget(), objective=kt.Objective("score", "max"), max_trials=1,
                            directory=tmp_path, project_name="active", seed=0)
    tuner.study.enqueue({"num_layers": 1, "units_0": 2, "units_1": 4, "units_2": 4})
    tuner.search(x, y)
    (line,) = trial_lines(capsys.readouterr().out)
    assert "num_layers=1" in line and "units_0=2" in line
    assert "units_1" not in line and "units_2" not in line, line


def test_best_so_far_is_never_worse_than_the_trial_and_a_rerun_says_it_resumes(tmp_path, capsys):
    x, y = np.zeros((8, 4)), np.zeros((8, 1))
    kw = {"objective": kt.Objective("score", "max"), "max_epochs": 3, "factor": 3, "directory": tmp_path,
          "project_name": "hb", "seed": 0}
    tuner = kt.Hyperband(ScoredByBudget(), hyperband_iterations=2, **kw)  # budget 1 again after budget 3
    tuner.search(x, y)
    out = capsys.readouterr().out
    assert "resuming" not in out
    pattern = re.compile(r"trial \d+ \[(\d+) epochs?.*\]: score=([\d.]+) \(best (?:at \d+ epochs?: )?([\d.]+)\)")
    budgets = []
    for line in trial_lines(out):
        budget, value, best = pattern.match(line).groups()
        budgets.append(int(budget))
        assert float(best) >= float(value), line
    assert 1 in budgets[budgets.index(3):]  # the case that printed a worse "best"

    again = kt.Hyperband(ScoredByBudget(), hyperband_iterations=2, **kw)
    again.search(x, y)
    out = capsys.readouterr().out
    n = len(tuner.study.trials)
    assert f"resuming the search in {tmp_path / 'hb'}: {n} trials from earlier runs" in out.splitlines()[0]


def test_ctrl_c_in_a_search_says_that_making_the_tuner_again_resumes(tmp_path):
    class Interrupted(ScoredByBudget):
        def fit(self, hp, model, *args, **kwargs):
            raise KeyboardInterrupt

    tuner = kt.RandomSearch(Interrupted(), objective=kt.Objective("score", "max"), max_trials=2,
                            directory=tmp_path, project_name="ki", seed=0)
    with pytest.raises(KeyboardInterrupt) as info:
        tuner.search(np.zeros((8, 4)), np.zeros((8, 1)))
    assert "the same directory and project_name resumes" in "".join(getattr(info.value, "__notes__", []))
    assert [t.state for t in tuner.study.trials] == [hpcore.TrialState.FAILED]
