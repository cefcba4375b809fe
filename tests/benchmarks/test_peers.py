"""The peers of the comparison runner (benchmarks/peers): space translations, runs of each
installed library on a mixed conditional problem, and the per-run time cap."""

from __future__ import annotations

import importlib.util
import json
import math
import stat
import time

import numpy as np
import pytest
from hpcore.benchmarks import compare, peers
from hpcore.benchmarks.peers import spaces
from hpcore.benchmarks.peers.hebo_runner import HEBO_PYTHON_VARIABLE, HeboPeer, hebo_missing

import hpcore
from hpcore import Bool, Choice, Fixed, Float, Int


def _mixed_space() -> hpcore.Space:
    """Every kind of parameter and condition a peer has to translate."""
    return hpcore.Space({
        "model": Choice(["linear", "tree", None]),
        "lr": Float(1e-4, 1.0, log=True),
        "dropout": Float(0.0, 0.5, step=0.05),  # 11 values
        "units": Int(8, 512, log=True),
        "layers": Int(1, 9, step=2),  # 1, 3, 5, 7, 9
        "scale": Float(1e-3, 1.0, step=1e-3, log=True),  # log and stepped: snapped
        "batchnorm": Bool(),
        "seed": Fixed(7),
        "alpha": Float(1e-3, 1e3, log=True, condition={"model": ["linear"]}),
        "depth": Int(1, 12, condition={"model": ["tree", None]}),
        # nested (depth is itself conditional) and two parents, both must hold
        "leaf": Int(1, 32, log=True, condition={"depth": list(range(3, 13)), "batchnorm": [True]}),
        "k": Int(2, 5, condition={"layers": [3, 5]}),  # on a stepped parent
    })


def _active_names(space: hpcore.Space, config: dict) -> set[str]:
    return set(space.validate(config))


def _check_config(space: hpcore.Space, config: dict) -> None:
    """Exactly the active parameters, each a value of its parameter."""
    assert space.validate(config) == config, config
    assert set(config) == _active_names(space, config)


def _installed(*modules: str) -> bool:
    return all(importlib.util.find_spec(m) is not None for m in modules)


# -- translations --------------------------------------------------------------------------------------------------
def test_views_say_what_each_peer_samples():
    views = {v.name: v for v in spaces.param_views(_mixed_space())}
    assert "seed" not in views  # Fixed: filled in, never sampled
    assert (views["lr"].kind, views["lr"].low, views["lr"].high, views["lr"].log) == ("float", 1e-4, 1.0, True)
    assert (views["dropout"].kind, views["dropout"].low, views["dropout"].high) == ("index", 0, 10)
    assert (views["layers"].kind, views["layers"].high) == ("index", 4)
    assert (views["units"].kind, views["units"].log, views["units"].snapped) == ("int", True, False)
    assert (views["scale"].kind, views["scale"].log, views["scale"].snapped) == ("float", True, True)
    assert views["model"].labels == ("linear", "tree", "None") and views["batchnorm"].labels == ("False", "True")
    # values back: the grid's own values, labels to the values they name
    assert [views["dropout"].value(k) for k in (0, 3, 10)] == [0.0, 0.15, 0.5]
    assert [views["layers"].value(k) for k in (0, 4)] == [1, 9] and views["layers"].peer_value(5) == 2
    assert views["scale"].value(0.12345) == 0.123 and views["scale"].value(2.0) == 1.0
    assert views["model"].value("None") is None and views["batchnorm"].value("True") is True
    with pytest.raises(ValueError, match="'model'.*not one of the labels"):
        views["model"].value("forest")


def test_labels_keep_values_apart_that_print_alike():
    view = spaces.param_views(hpcore.Space({"c": Choice([1, "1", True])}))[0]
    assert view.labels == ("1", "'1'", "True")
    assert [view.value(label) for label in view.labels] == [1, "1", True]
    assert view.value("True") is True and view.peer_value(True) == "True" and view.peer_value(1) == "1"


def test_active_config_drops_inactive_values_and_fills_fixed():
    space = _mixed_space()
    sampled = {"model": "linear", "lr": 0.01, "dropout": 0.1, "units": 16, "layers": 3, "scale": 0.5,
               "batchnorm": True, "alpha": 2.0, "depth": 5, "leaf": 4, "k": 2}
    config = spaces.active_config(space, sampled)
    assert "depth" not in config and "leaf" not in config  # model is not tree
    assert config["seed"] == 7 and config["alpha"] == 2.0 and config["k"] == 2
    assert spaces.active_config(space, {**sampled, "model": "tree"})["leaf"] == 4
    assert "leaf" not in spaces.active_config(space, {**sampled, "model": "tree", "batchnorm": False})
    with pytest.raises(ValueError, match="'alpha' is active but the peer gave no value"):
        spaces.active_config(space, {k: v for k, v in sampled.items() if k != "alpha"})


def test_hebo_design_records():
    records, _ = spaces.hebo_design(_mixed_space())
    by_name = {r["name"]: r for r in records}
    assert by_name["lr"] == {"name": "lr", "type": "pow", "lb": 1e-4, "ub": 1.0}
    assert by_name["dropout"] == {"name": "dropout", "type": "int", "lb": 0, "ub": 10}
    assert by_name["units"] == {"name": "units", "type": "pow_int", "lb": 8, "ub": 512}
    assert by_name["depth"] == {"name": "depth", "type": "int", "lb": 1, "ub": 12}
    assert by_name["model"] == {"name": "model", "type": "cat", "categories": ["linear", "tree", "None"]}
    assert "seed" not in by_name and len(records) == 11
    json.dumps(records)  # goes to HEBO's worker as JSON


def test_unit_cube_rounds_and_decodes_one_hot():
    space = _mixed_space()
    cube = spaces.UnitCube(space)
    assert cube.dims == 3 + 10  # a 3-way one-hot block, one column for each of the other 10
    u = np.full(cube.dims, 0.5)
    u[0:3] = [0.2, 0.9, 0.4]  # argmax: tree
    config, rounded = cube.decode(u)
    _check_config(space, config)
    assert config["model"] == "tree" and config["dropout"] == 0.25 and config["layers"] == 5
    assert config["batchnorm"] is True and config["depth"] == 7 and "alpha" not in config  # 6.5, half up
    assert list(rounded[0:3]) == [0.0, 1.0, 0.0] and rounded[cube.columns[2]][0] == pytest.approx(0.5)
    again, twice = cube.decode(rounded)  # the rounded point is a fixed point
    assert again == config and np.allclose(twice, rounded)
    low, _ = cube.decode(np.zeros(cube.dims))
    assert low["lr"] == 1e-4 and low["units"] == 8 and low["layers"] == 1 and low["model"] == "linear"


def test_unit_cube_rounds_integers_on_the_log_scale():
    space = hpcore.Space({"n": Int(1, 100, log=True)})
    cube = spaces.UnitCube(space)
    config, rounded = cube.decode([0.5])
    assert config == {"n": 10} and rounded[0] == pytest.approx(0.5)
    assert cube.decode([0.26])[0] == {"n": 3}  # 100 ** 0.26 = 3.3


@pytest.mark.skipif(not _installed("optuna"), reason="optuna not installed")
def test_optuna_define_by_run_uses_native_steps_logs_and_conditions():
    import optuna
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    space = _mixed_space()
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    seen: dict[str, object] = {}
    for _ in range(60):
        trial = study.ask()
        config = spaces.optuna_suggest(trial, space)
        _check_config(space, config)
        # only active parameters were suggested
        assert set(trial.distributions) == set(config) - {"seed"}
        seen.update(trial.distributions)
        study.tell(trial, 0.0)
    assert seen["lr"] == FloatDistribution(1e-4, 1.0, log=True)
    assert seen["dropout"] == FloatDistribution(0.0, 0.5, step=0.05)
    assert seen["units"] == IntDistribution(8, 512, log=True)
    assert seen["layers"] == IntDistribution(1, 9, step=2)
    assert seen["scale"] == FloatDistribution(1e-3, 1.0, log=True)  # no step with log in Optuna: snapped
    assert seen["model"] == CategoricalDistribution(["linear", "tree", None])
    assert seen["batchnorm"] == CategoricalDistribution([False, True])
    assert {"alpha", "depth", "leaf", "k"} <= set(seen)


@pytest.mark.skipif(not _installed("skopt"), reason="scikit-optimize not installed")
def test_skopt_dimensions_and_flat_points():
    from skopt.space import Categorical, Integer, Real

    space = _mixed_space()
    dims, views = spaces.skopt_dimensions(space)
    by_name = {d.name: d for d in dims}
    assert isinstance(by_name["lr"], Real) and by_name["lr"].prior == "log-uniform"
    assert (by_name["lr"].low, by_name["lr"].high) == (1e-4, 1.0)
    assert isinstance(by_name["dropout"], Integer) and (by_name["dropout"].low, by_name["dropout"].high) == (0, 10)
    assert isinstance(by_name["units"], Integer) and by_name["units"].prior == "log-uniform"
    assert isinstance(by_name["model"], Categorical) and by_name["model"].categories == ("linear", "tree", "None")
    from skopt.space import Space as SkoptSpace

    for point in SkoptSpace(dims).rvs(40, random_state=0):  # every parameter sampled, inactive ones dropped
        _check_config(space, spaces.flat_config(space, views, point))


@pytest.mark.skipif(not _installed("ConfigSpace"), reason="ConfigSpace not installed")
def test_configspace_has_the_kinds_bounds_and_conditions():
    space = _mixed_space()
    cs, views = spaces.configspace(space, seed=0)
    assert cs["lr"].log and (cs["lr"].lower, cs["lr"].upper) == (1e-4, 1.0)
    assert type(cs["units"]).__name__ == "UniformIntegerHyperparameter" and cs["units"].log
    assert (cs["dropout"].lower, cs["dropout"].upper) == (0, 10)
    assert tuple(cs["model"].choices) == ("linear", "tree", "None")
    parents = {c.child.name: sorted(p.name for p in c.parents) if hasattr(c, "components") else [c.parent.name]
               for c in cs.conditions}
    assert parents == {"alpha": ["model"], "depth": ["model"], "leaf": ["batchnorm", "depth"], "k": ["layers"]}
    k_condition = next(c for c in cs.conditions if c.child.name == "k")
    assert sorted(k_condition.values) == [1, 2]  # layers 3 and 5 are its indices 1 and 2
    for config in cs.sample_configuration(40):
        _check_config(space, spaces.mapping_config(space, views, dict(config)))


@pytest.mark.slow  # imports TensorFlow
@pytest.mark.skipif(not _installed("keras_tuner"), reason="keras-tuner not installed")
def test_keras_tuner_scopes_nest_conditions():
    space = _mixed_space()
    hp, _ = spaces.keras_tuner_hyperparameters(space)
    by_name = {h.name: h for h in hp.space}
    assert by_name["lr"].sampling == "log" and by_name["units"].sampling == "log"
    assert (by_name["dropout"].min_value, by_name["dropout"].max_value) == (0, 10)
    assert [(c.name, list(c.values)) for c in by_name["depth"].conditions] == [("model", ["tree", "None"])]
    # KerasTuner's scopes form a tree: leaf keeps the chain through depth; batchnorm is left to hpcore
    assert [c.name for c in by_name["leaf"].conditions] == ["model", "depth"]


# -- each installed peer, end to end -----------------------------------------------------------------------------------
_PEER_MODULES = {"optuna": ("optuna",), "optuna-gp": ("optuna", "torch"), "skopt": ("skopt",),
                 "keras-tuner": ("keras_tuner",), "botorch": ("botorch",), "smac": ("smac",)}


def _skip_unless_installed(name: str) -> None:
    if name == "hebo":
        missing = hebo_missing()
        if missing:
            pytest.skip(f"HEBO: {missing}")
    elif not _installed(*_PEER_MODULES[name]):
        pytest.skip(f"{name}: {', '.join(_PEER_MODULES[name])} not installed")


@pytest.mark.slow
@pytest.mark.parametrize("name", list(peers.PEERS))
def test_each_peer_passes_only_active_parameters(name):
    _skip_unless_installed(name)
    space = _mixed_space()
    peer = peers.make_peer(name, space, seed=0, trials=4, deadline=math.inf)
    try:
        for i in range(4):
            config = peer.ask()
            _check_config(space, config)
            peer.tell(float(i))
    finally:
        peer.close()


@pytest.mark.slow
@pytest.mark.parametrize("name", list(compare.EXTERNAL))
def test_each_peer_runs_three_trials_of_a_mixed_conditional_problem(name):
    _skip_unless_installed(name)
    rec = compare.run_task(compare.Task(name, "mixed_conditional", 0, 3))
    assert rec["error"] == "", rec["error"]
    assert len(rec["best"]) == 3 and rec["n_trials"] == 3 and rec["capped_at"] is None
    assert all(b >= rec["optimum"] for b in rec["best"]) and rec["suggest_seconds"] >= 0


@pytest.mark.slow
def test_botorch_loop_fits_after_its_sobol_design_and_repeats_with_its_seed():
    _skip_unless_installed("botorch")
    from hpcore.benchmarks.peers.botorch_loop import BoTorchLoop

    space = hpcore.Space({"x": Float(-2.0, 2.0), "n": Int(0, 4), "c": Choice(["a", "b"])})

    def run(seed: int, asks: int) -> list[dict]:
        loop = BoTorchLoop(space, seed=seed, trials=10, deadline=math.inf)
        assert loop.n_initial == 2 * 4 + 2  # 4 columns: x, n and c's 2-way one-hot block
        configs = []
        for _ in range(asks):
            config = loop.ask()
            _check_config(space, config)
            loop.tell(config["x"] ** 2 + (config["n"] - 2) ** 2 + (config["c"] == "b"))
            configs.append(config)
        return configs

    first = run(0, 11)  # the 11th from the fitted model
    assert run(0, 11) == first and run(1, 10) != first[:10]


# -- the time cap -----------------------------------------------------------------------------------------------------
class _SlowPeer:
    """Suggests the same configuration, slowly."""

    def __init__(self, space, seed, trials, deadline):
        self.space = space

    def ask(self):
        time.sleep(0.6)
        return {"x0": 1.0, "x1": 2.0}

    def tell(self, value):
        pass

    def close(self):
        pass


@pytest.fixture
def slow_peer(monkeypatch):
    monkeypatch.setitem(compare.EXTERNAL, "slow", ("slow peer", "json", None))
    monkeypatch.setattr(peers, "make_peer", lambda name, *args, **kwargs: _SlowPeer(*args, **kwargs))
    return "slow"


def test_time_cap_truncates_and_marks_the_run(slow_peer):
    rec = compare.run_task(compare.Task(slow_peer, "branin", 0, 20, time_cap=1.0))
    assert rec["error"] == ""
    assert rec["capped_at"] is not None and 1 <= rec["capped_at"] < 20 and rec["n_trials"] == rec["capped_at"]
    assert f"capped at {rec['capped_at']} evaluations (1 s)" == rec["note"]
    assert len(rec["best"]) == len(rec["elapsed"]) == 20  # padded with its best so far
    assert rec["best"][rec["capped_at"]:] == [rec["best"][rec["capped_at"] - 1]] * (20 - rec["capped_at"])
    uncapped = compare.run_task(compare.Task(slow_peer, "branin", 0, 2, time_cap=None))
    assert uncapped["capped_at"] is None and uncapped["n_trials"] == 2 and uncapped["note"] == ""


def test_summary_lists_capped_runs(slow_peer, tmp_path, capsys):
    code = compare.main(["--strategies", "random", "--functions", "branin", "--trials", "6", "--seeds", "1",
                         "--jobs", "1", "--with", slow_peer, "--time-cap", "1", "--out", str(tmp_path), "--quiet",
                         "--no-plots"])
    assert code == 0
    summary = (tmp_path / "summary.md").read_text()
    row = next(line for line in summary.splitlines() if line.startswith("| slow peer |"))
    assert "capped at" in row
    assert "- slow peer on branin seed 0: capped at" in summary and "by the time cap (1 s)" in summary
    assert json.loads((tmp_path / "results.json").read_text())["time_cap"] == 1.0
    capsys.readouterr()


def test_time_cap_must_be_a_finite_non_negative_number(tmp_path, capsys):
    for bad in ("-1", "inf", "nan"):
        assert compare.main(["--strategies", "random", "--time-cap", bad, "--out", str(tmp_path)]) == 2
        assert "--time-cap must be finite and >= 0" in capsys.readouterr().err


def _fake_python(tmp_path, body: str) -> str:
    """An executable standing in for HEBO's interpreter (it is run as `python hebo_worker.py`)."""
    path = tmp_path / "python"
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


def test_hebo_worker_that_does_not_answer_is_stopped_at_the_deadline(tmp_path, monkeypatch):
    monkeypatch.setenv(HEBO_PYTHON_VARIABLE, _fake_python(tmp_path, "exec sleep 60"))
    space = hpcore.Space({"x": Float(0.0, 1.0)})
    t0 = time.perf_counter()
    with pytest.raises(peers.PeerTimeout):
        HeboPeer(space, seed=0, trials=3, deadline=time.perf_counter() + 0.5)
    assert time.perf_counter() - t0 < 30  # not the worker's 60 s: it was killed
    # in a run: capped at 0 evaluations, not an error
    monkeypatch.setattr(compare, "get_problem", lambda name: _OneFloat())
    rec = compare.run_task(compare.Task("hebo", "one_float", 0, 3, time_cap=0.5))
    assert rec["error"] == "" and rec["capped_at"] == 0 and "capped at 0 evaluations" in rec["note"]


class _OneFloat:
    name = "one_float"
    optimum_value = 0.0

    def space(self):
        return hpcore.Space({"x": Float(0.0, 1.0)})

    def params_call(self, params):
        return params["x"] ** 2


def test_hebo_worker_that_dies_gives_its_stderr(tmp_path, monkeypatch):
    monkeypatch.setenv(HEBO_PYTHON_VARIABLE, _fake_python(tmp_path, "echo 'No module named hebo' >&2; exit 3"))
    with pytest.raises(RuntimeError, match=r"exited \(code 3\): No module named hebo"):
        HeboPeer(hpcore.Space({"x": Float(0.0, 1.0)}), seed=0, trials=3, deadline=math.inf)


def test_hebo_is_skipped_with_a_note_without_its_environment(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(HEBO_PYTHON_VARIABLE, str(tmp_path / "nowhere" / "python"))
    assert "no HEBO environment" in hebo_missing() and HEBO_PYTHON_VARIABLE in hebo_missing()
    code = compare.main(["--strategies", "random", "--functions", "branin", "--trials", "2", "--seeds", "1",
                         "--jobs", "1", "--with", "hebo", "--out", str(tmp_path), "--quiet", "--no-plots"])
    assert code == 0
    assert "HEBO: no HEBO environment" in capsys.readouterr().err
    assert "HEBO: no HEBO environment" in (tmp_path / "summary.md").read_text()
