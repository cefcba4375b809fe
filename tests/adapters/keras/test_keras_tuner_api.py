"""KerasTuner's public API as tutorials use it: module paths, errors raised from `build`, oracle
objects, `tuner.oracle`, `run_trial` overrides and the two summaries."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

pytest.importorskip("tensorflow")

import hpcore.adapters.keras as kt
import keras

from tests.adapters.keras.conftest import tiny_build

pytestmark = pytest.mark.slow

# (module, names) as keras_tuner 1.4 exports them, with `keras_tuner` replaced by our package
PATHS = {
    "": ["BayesianOptimization", "GridSearch", "HyperModel", "HyperParameters", "Hyperband", "Objective",
         "Oracle", "RandomSearch", "SklearnTuner", "Tuner", "__version__"],
    ".tuners": ["BayesianOptimization", "GridSearch", "Hyperband", "RandomSearch", "SklearnTuner", "Tuner"],
    ".oracles": ["BayesianOptimizationOracle", "GridSearchOracle", "HyperbandOracle", "RandomSearchOracle"],
    ".errors": ["FailedTrialError", "FatalError", "FatalRuntimeError", "FatalTypeError", "FatalValueError"],
    ".engine.hyperparameters": ["Boolean", "Choice", "Fixed", "Float", "HyperParameter", "HyperParameters", "Int"],
    ".engine.hypermodel": ["HyperModel"],
    ".engine.tuner": ["Tuner"],
    ".engine.base_tuner": ["BaseTuner"],
    ".engine.trial": ["Trial", "TrialStatus"],
    ".engine.oracle": ["Objective", "Oracle"],
    ".engine.metrics_tracking": ["infer_metric_direction"],
}


def test_every_keras_tuner_module_path_imports():
    for sub, names in PATHS.items():
        module = importlib.import_module("hpcore.adapters.keras" + sub)
        for name in names:
            assert hasattr(module, name), f"hpcore.adapters.keras{sub}.{name}"
    # attribute access, as `kt.tuners.RandomSearch` in a script
    assert kt.tuners.RandomSearch is kt.RandomSearch
    assert kt.engine.hyperparameters.HyperParameters is kt.HyperParameters
    assert kt.engine.tuner.Tuner is kt.Tuner
    assert issubclass(kt.errors.FatalValueError, (kt.errors.FatalError, ValueError))
    assert isinstance(kt.__version__, str)
    assert str(kt.Objective("val_accuracy", "max")) == 'Objective(name="val_accuracy", direction="max")'
    assert kt.engine.metrics_tracking.infer_metric_direction("val_loss") == "min"


def _failing_build(hp):
    units = hp.Int("units", 4, 8, step=4)
    if units == 8:
        raise kt.errors.FailedTrialError("8 units are too many")
    return tiny_build(hp, max_layers=1)


def test_failed_trial_error_fails_the_trial_and_fatal_error_stops_the_search(tmp_path, mnist_small):
    (x, y), (xv, yv) = mnist_small
    x, y = x[:64], y[:64]
    tuner = kt.GridSearch(_failing_build, objective="val_accuracy", directory=tmp_path, project_name="failed",
                          hyperparameters=_fixed_lr_and_layers())
    tuner.search(x, y, epochs=1, validation_data=(xv, yv), verbose=0)
    by_units = {t.params["units"]: t for t in tuner.study.trials}
    assert by_units[4].ok and not by_units[8].ok
    assert "8 units are too many" in by_units[8].error

    calls = []

    def fatal_build(hp):
        calls.append(hp.Int("units", 4, 8, step=4))
        if len(calls) > 1:  # the first call declares the space
            raise kt.errors.FatalError("stop everything")
        return tiny_build(hp, max_layers=1)

    tuner = kt.RandomSearch(fatal_build, objective="val_accuracy", max_trials=3, directory=tmp_path,
                            project_name="fatal", seed=0)
    with pytest.raises(kt.errors.FatalError, match="stop everything"):
        tuner.search(x, y, epochs=1, validation_data=(xv, yv), verbose=0)
    assert len(calls) == 2, "no trial after the fatal one"
    assert [t.state.value for t in tuner.study.trials] == ["FAILED"]


def _fixed_lr_and_layers():
    hp = kt.HyperParameters()
    hp.Fixed("lr", 1e-3)
    hp.Fixed("num_layers", 1)
    return hp


def test_oracle_objects_map_to_strategies_and_tuner_oracle_reads_the_study(tmp_path, mnist_small):
    (x, y), (xv, yv) = mnist_small
    oracle = kt.oracles.BayesianOptimizationOracle(objective=kt.Objective("val_accuracy", "max"), max_trials=2,
                                                   num_initial_points=2, seed=1)
    tuner = kt.Tuner(oracle=oracle, hypermodel=tiny_build, directory=str(tmp_path), project_name="bo")
    assert tuner.strategy.name == "bayes" and tuner.oracle is oracle and oracle.max_trials == 2
    assert tuner.objective.direction == "maximize" and tuner.seed == 1
    tuner.search(x[:64], y[:64], epochs=1, validation_data=(xv, yv), verbose=0)

    trials = tuner.oracle.trials
    assert sorted(trials) == [t.id for t in tuner.study.trials] == [0, 1]
    for core in tuner.study.trials:
        t = trials[core.id]
        assert t.status == kt.engine.trial.TrialStatus.COMPLETED == "COMPLETED"
        assert t.hyperparameters.values == dict(core.params) and t.score == core.value
        assert t.metrics.get_best_value("val_accuracy") == pytest.approx(core.value)
        assert isinstance(t.metrics.get_best_value("loss"), float)
    best = tuner.oracle.get_best_trials(1)[0]
    assert best.trial_id == tuner.get_best_trials(1)[0].id and tuner.oracle.get_trial(str(best.trial_id)).score == best.score
    space = tuner.oracle.get_space()
    assert "units_0" in space and space.all_values() == {}
    assert tuner.oracle.remaining_trials() == 0
    assert tuner.directory == str(tmp_path)
    trial_dir = tuner.get_trial_dir(best.trial_id)
    assert trial_dir == str(tmp_path / "bo" / f"trial_{best.trial_id}") and (tmp_path / "bo" / f"trial_{best.trial_id}").is_dir()

    # KerasTuner's positional order Tuner(oracle, hypermodel), and every oracle class
    made = {
        "random": kt.Tuner(kt.oracles.RandomSearchOracle(objective="val_accuracy", max_trials=4), tiny_build,
                           directory=tmp_path, project_name="r"),
        "grid": kt.Tuner(kt.oracles.GridSearchOracle(objective="val_accuracy",
                                                         hyperparameters=_fixed_lr_and_layers()), tiny_build,
                         directory=tmp_path, project_name="g"),
        "hyperband": kt.Tuner(kt.oracles.HyperbandOracle(objective="val_accuracy", max_epochs=3, factor=3),
                              tiny_build, directory=tmp_path, project_name="h"),
    }
    for name, t in made.items():
        assert t.strategy.name == name and t.oracle.max_trials == t.max_trials
    assert made["random"].max_trials == 4 and made["grid"].max_trials is None and made["hyperband"].max_epochs == 3
    # a tuner made without an oracle reports one
    rs = kt.RandomSearch(tiny_build, objective="val_accuracy", max_trials=3, directory=tmp_path, project_name="rs")
    assert isinstance(rs.oracle, kt.oracles.RandomSearchOracle) and rs.oracle.max_trials == 3
    assert rs.oracle.trials == {}
    # settings in two places, and custom oracles, are refused with a message
    with pytest.raises(ValueError, match="objective"):
        kt.Tuner(oracle=kt.oracles.RandomSearchOracle(objective="val_loss"), objective="val_loss",
                 hypermodel=tiny_build, directory=tmp_path, project_name="x")

    class MyOracle(kt.Oracle):
        def populate_space(self, trial_id):
            return {"status": "RUNNING", "values": {}}

    with pytest.raises(NotImplementedError, match="custom oracles"):
        kt.Tuner(oracle=MyOracle(objective="val_loss"), hypermodel=tiny_build, directory=tmp_path, project_name="y")


class BatchSizeTuner(kt.RandomSearch):
    """KerasTuner's documented way to tune the batch size."""

    def run_trial(self, trial, *args, **kwargs):
        kwargs["batch_size"] = trial.hyperparameters.Choice("batch_size", [16, 64])
        self.seen_batch_sizes.append(kwargs["batch_size"])
        return super().run_trial(trial, *args, **kwargs)


class OwnLoopTuner(kt.Tuner):
    """A run_trial that trains by itself and returns a dict, a list of Histories, or a number."""

    def run_trial(self, trial, *args, **kwargs):
        hp = trial.hyperparameters
        kind = hp.Choice("returns", ["dict", "histories", "number"])
        if kind == "number":
            return float(hp.get("lr"))
        model = self.hypermodel.build(hp)
        histories = [self.hypermodel.fit(hp, model, *args, **kwargs) for _ in range(2)]
        if kind == "dict":
            return {"val_loss": float(min(histories[-1].history["val_loss"])), "loss": 1.0}
        return histories


def test_run_trial_overrides_are_called_with_keras_tuners_contract(tmp_path, mnist_small):
    (x, y), (xv, yv) = mnist_small
    x, y = x[:64], y[:64]
    tuner = BatchSizeTuner(tiny_build, objective="val_accuracy", max_trials=2, directory=tmp_path,
                           project_name="bs", seed=3)
    tuner.seen_batch_sizes = []
    tuner.search(x, y, epochs=1, validation_data=(xv, yv), verbose=0)
    trials = tuner.study.trials
    assert len(tuner.seen_batch_sizes) == 2 and all(t.ok for t in trials)
    assert [t.params["batch_size"] for t in trials] == tuner.seen_batch_sizes
    assert tuner.get_best_models(1)[0] is not None

    own = OwnLoopTuner(oracle=kt.oracles.GridSearchOracle(objective="val_loss", hyperparameters=_fixed_lr_and_layers()),
                       hypermodel=tiny_build, directory=tmp_path, project_name="own")
    own.search(x, y, epochs=1, validation_data=(xv, yv), verbose=0)
    by_kind = {t.params["returns"]: t for t in own.study.trials}
    assert sorted(by_kind) == ["dict", "histories", "number"] and all(t.ok for t in own.study.trials)
    assert by_kind["number"].value == pytest.approx(1e-3)
    assert len(by_kind["histories"].user_attrs["execution_values"]) == 2
    assert by_kind["histories"].value == pytest.approx(np.mean(by_kind["histories"].user_attrs["execution_values"]))
    assert own.oracle.trials[by_kind["dict"].id].metrics.get_best_value("loss") == 1.0


def test_summaries_print_keras_tuners_layout(tmp_path, mnist_small, capsys):
    (x, y), (xv, yv) = mnist_small

    def build(hp):
        hp.Int("units", 4, 16, step=4)
        return tiny_build(hp, max_layers=1)

    tuner = kt.RandomSearch(build, objective="val_accuracy", max_trials=2, directory=tmp_path, project_name="s", seed=0)
    tuner.search_space_summary(extended=True)
    out = capsys.readouterr().out.splitlines()
    assert out[:4] == ["Search space summary", "Default search space size: 4", "units (Int)",
                       "{'default': 4, 'conditions': [], 'min_value': 4, 'max_value': 16, 'step': 4, 'sampling': 'linear'}"]
    assert "lr (Float)" in out

    tuner.search(x[:64], y[:64], epochs=1, validation_data=(xv, yv), verbose=0)
    tuner.results_summary(num_trials=10)
    out = capsys.readouterr().out
    best = tuner.get_best_trials(1)[0]
    head = f"Results summary\nResults in {tmp_path / 's'}\nShowing 10 best trials\n" \
           'Objective(name="val_accuracy", direction="max")\n\n' \
           f"Trial {best.id} summary\nHyperparameters:\nunits: {best.params['units']}\n"
    assert out.startswith(head), out
    assert f"Score: {best.value}\n" in out and out.count("summary\nHyperparameters:") == 2


def test_hp_space_config_round_trip_and_hyperband_budget_values(tmp_path, mnist_small):
    hp = kt.HyperParameters()
    hp.Choice("kind", ["mlp", "cnn"])
    with hp.conditional_scope("kind", ["cnn"]):
        hp.Int("filters", 8, 64, step=8)
    hp.Float("lr", 1e-4, 1e-2, sampling="log")
    hp.Boolean("bn")
    hp.Fixed("seed", 3)
    assert [p.name for p in hp.space] == ["kind", "filters", "lr", "bn", "seed"]
    assert [type(p).__name__ for p in hp.space] == ["Choice", "Int", "Float", "Boolean", "Fixed"]
    assert hp.space[1].get_config()["conditions"] == [{"class_name": "Parent",
                                                        "config": {"name": "kind", "values": ["cnn"]}}]
    again = kt.HyperParameters.from_config(hp.get_config())
    assert again.definitions == hp.definitions and again.values == hp.values

    (x, y), (xv, yv) = mnist_small
    tuner = kt.Hyperband(tiny_build, objective="val_accuracy", max_epochs=3, factor=3, directory=tmp_path,
                         project_name="hb", seed=0)
    tuner.search(x[:64], y[:64], validation_data=(xv, yv), verbose=0)
    best = tuner.get_best_hyperparameters(1)[0]
    core = tuner.get_best_trials(1)[0]
    assert best.get("tuner/epochs") == core.budget == 3
    assert best.values["tuner/initial_epoch"] == (core.previous_budget or 0)
    assert {"tuner/bracket", "tuner/round", "tuner/trial_id"} <= set(best.values)
    assert not any(k.startswith("tuner/") for k in core.params), "never stored as parameters"
    promoted = [t for t in tuner.study.trials if t.previous_budget]
    assert promoted, "the plan promotes at least one configuration"
    view = tuner.oracle.trials[promoted[0].id].hyperparameters
    continued = tuner.study.trials[view.get("tuner/trial_id")]
    assert continued.config_id == promoted[0].config_id and continued.budget == promoted[0].previous_budget
    assert isinstance(tuner.hypermodel.build(best), keras.Model)
