"""The `hpcore` command: every sub-command run in-process with `main([...])`, and through the
installed console script once."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import hpcore
from hpcore import Choice, Float, Int, Space, Study, cli, demo
from hpcore.strategies.base import STRATEGIES
from tests.test_plots import assert_png

SPACE = Space({"x": Float(0.0, 1.0), "n": Int(1, 5), "kind": Choice(["a", "b"])})


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str) -> str:
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].startswith("hpcore: error: ")
    return lines[0]


@pytest.fixture
def study_db(tmp_path) -> Path:
    """Two studies: 'main' (12 completed, 2 failed) and 'other' (3 completed)."""
    db = tmp_path / "study.db"
    st = Study(SPACE, strategy="random", storage=db, name="main", seed=0)
    rng = np.random.default_rng(0)
    for i in range(14):
        t = st.ask()
        if i in (3, 9):
            st.tell(t, exception="RuntimeError: diverged")
        else:
            st.tell(t, (t.params["x"] - 0.25) ** 2 + 0.01 * t.params["n"] + rng.random() * 1e-3)
    other = Study(SPACE, strategy="random", storage=db, name="other", seed=1, direction="maximize")
    for _ in range(3):
        other.tell(other.ask(), 1.0)
    return db


# -- help ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("argv", [["--help"], ["demo", "--help"], ["run", "--help"], ["show", "--help"],
                                  ["plot", "--help"], ["bench", "--help"], ["bench", "synthetic", "--help"]])
def test_help_everywhere(capsys, argv):
    code, out, _ = run(capsys, *argv)
    assert code == 0 and "usage:" in out


def test_run_help_documents_the_space_format(capsys):
    _, out, _ = run(capsys, "run", "--help")
    assert '"type": "float"' in out and "Space.to_dict()" in out and "condition" in out


def test_no_command_and_bad_option_are_usage_errors(capsys):
    code, _, err = run(capsys)
    assert code == 2 and "usage:" in err
    code, _, err = run(capsys, "show", "x.db", "--sort", "colour")
    assert code == 2 and "invalid choice" in err


# -- show ------------------------------------------------------------------------------------------------------
def test_show_lists_studies_counts_best_and_sorted_trials(capsys, study_db):
    code, out, _ = run(capsys, "show", study_db)
    assert code == 0
    assert "2 studies" in out and "== study 'main'" in out and "== study 'other'" in out
    assert "trials: 14 (12 COMPLETE, 2 FAILED)" in out
    main_part = out.split("== study 'other'")[0]
    best = Study(storage=study_db, name="main").best_trial
    assert f"best: trial {best.id}, value " in main_part
    rows = [ln.split() for ln in main_part.splitlines() if ln.split() and ln.split()[0].isdigit()]
    values = [float(r[2]) for r in rows if r[1] == "COMPLETE"]
    assert values == sorted(values) and rows[0][0] == str(best.id)
    assert [r[1] for r in rows[-2:]] == ["FAILED", "FAILED"]  # failed trials last
    assert "error of failed trial" in main_part and "diverged" in main_part


def test_show_sort_by_id_top_and_name(capsys, study_db):
    code, out, _ = run(capsys, "show", study_db, "--name", "main", "--sort", "id", "--top", "5")
    assert code == 0 and "other" not in out
    rows = [ln.split() for ln in out.splitlines() if ln.split() and ln.split()[0].isdigit()]
    assert [r[0] for r in rows] == ["0", "1", "2", "3", "4"]
    assert "first 5 of 14" in out


def test_show_names_the_noise_aware_recommendation_when_it_differs(capsys, tmp_path):
    db = tmp_path / "noisy.db"
    space = Space({"x": Float(0, 1), "y": Float(0, 1)})
    rng = np.random.default_rng(1)
    study = Study(space, strategy="random", storage=db, name="noisy", seed=1)
    study.optimize(lambda p: (p["x"] - 0.3) ** 2 + (p["y"] - 0.6) ** 2 + 0.05 * rng.standard_normal(),
                   n_trials=60, verbose=False)
    rec, best = study.recommended_trial, study.best_trial
    assert rec.id != best.id
    code, out, _ = run(capsys, "show", str(db))
    assert code == 0 and f"recommended (best GP posterior mean; the best value may be a lucky draw): trial {rec.id}," in out


def test_show_maximize_sorts_largest_first(capsys, tmp_path):
    db = tmp_path / "m.db"
    st = Study(SPACE, strategy="random", storage=db, name="m", direction="maximize", seed=0)
    for v in (1.0, 3.0, 2.0):
        st.tell(st.ask(), v)
    _, out, _ = run(capsys, "show", db)
    rows = [ln.split() for ln in out.splitlines() if ln.split() and ln.split()[0].isdigit()]
    assert [float(r[2]) for r in rows] == [3.0, 2.0, 1.0]


def test_show_empty_study(capsys, tmp_path):
    db = tmp_path / "e.db"
    Study(SPACE, strategy="random", storage=db, name="empty", seed=0)
    code, out, _ = run(capsys, "show", db)
    assert code == 0 and "trials: 0" in out


def test_show_errors(capsys, study_db, tmp_path):
    code, _, err = run(capsys, "show", tmp_path / "missing.db")
    assert code == 2 and "no such file" in one_line_error(err)
    assert not (tmp_path / "missing.db").exists()  # not created by looking at it
    code, _, err = run(capsys, "show", study_db, "--name", "nope")
    line = one_line_error(err)
    assert code == 2 and "no study named 'nope'" in line and "known: main, other" in line
    text = tmp_path / "notes.db"
    text.write_text("hello, not a database\n" * 10)
    code, _, err = run(capsys, "show", text)
    assert code == 2 and "not a study file" in one_line_error(err)
    code, _, err = run(capsys, "show", tmp_path)
    assert code == 2 and "folder" in one_line_error(err)


# -- plot -------------------------------------------------------------------------------------------------------
def _diverge(lr: float) -> None:
    raise FloatingPointError(f"loss diverged at lr={lr}")


@pytest.fixture
def one_study_db(tmp_path) -> Path:
    """A study with a failed trial (real traceback, user attributes) and a completed one at a budget."""
    db = tmp_path / "one.db"
    st = Study(SPACE, strategy="random", storage=db, name="solo", seed=0)
    t = st.ask()
    try:
        _diverge(0.5)
    except FloatingPointError as e:
        st.tell(t, exception=e, user_attrs={"epochs": [1, 2], "note": "first try"})
    st.add({"x": 0.125, "n": 2, "kind": "b"}, 0.5, budget=3, user_attrs={"loss": [0.9, 0.5]})
    return db


def test_show_trial_prints_one_trial_whole_with_its_traceback(capsys, one_study_db):
    code, out, _ = run(capsys, "show", one_study_db, "--trial", "0")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "== trial 0 of study 'solo' (minimize) ==" and "state:     FAILED" in lines
    for name in ("x", "n", "kind", "created", "started", "finished"):
        assert any(ln.lstrip().startswith(name) for ln in lines), (name, out)
    assert '  epochs: [1, 2]' in lines and '  note: "first try"' in lines
    tail = out[out.index("error:\n"):]
    assert "Traceback (most recent call last):" in tail and "in _diverge" in tail
    assert tail.rstrip().endswith("FloatingPointError: loss diverged at lr=0.5")
    code, out, _ = run(capsys, "show", one_study_db, "--name", "solo", "--trial", "1")
    assert code == 0 and "value:     0.5" in out and "budget:    3" in out and "  x    = 0.125\n" in out
    assert "  loss: [0.9, 0.5]" in out and "error" not in out


def test_show_trial_errors_name_the_problem(capsys, one_study_db, study_db):
    code, _, err = run(capsys, "show", one_study_db, "--trial", "2")
    assert code == 2 and "no trial 2 in study 'solo' (its trials are 0 to 1)" in one_line_error(err)
    code, _, err = run(capsys, "show", one_study_db, "--trial", "-1")
    assert code == 2 and "no trial -1" in one_line_error(err)
    code, _, err = run(capsys, "show", study_db, "--trial", "0")
    assert code == 2 and "2 studies (main, other); choose one with --name" in one_line_error(err)
    code, _, err = run(capsys, "show", one_study_db, "--trial", "0", "--top", "3")
    assert code == 2 and "--top" in one_line_error(err)
    code, _, err = run(capsys, "show", one_study_db, "--trial", "x")
    assert code == 2 and "invalid int value" in err


def test_show_points_from_a_failure_to_its_traceback(capsys, one_study_db):
    _, out, _ = run(capsys, "show", one_study_db)
    assert f"its traceback: hpcore show {one_study_db} --name solo --trial 0" in out


def test_plot_writes_pngs_for_every_study(capsys, study_db, tmp_path):
    out_dir = tmp_path / "plots"
    code, out, _ = run(capsys, "plot", study_db, "--out", out_dir)
    assert code == 0
    files = sorted(out_dir.glob("*.png"))
    assert [f.name for f in files] == sorted(f"{s}_{k}.png" for s in ("main", "other")
                                             for k in ("history", "params", "parallel"))
    for f in files:
        assert str(f) in out
        assert_png(f)


def test_plot_default_folder_and_name(capsys, study_db):
    code, _, _ = run(capsys, "plot", study_db, "--name", "main")
    folder = study_db.with_name("study-plots")
    assert code == 0 and sorted(p.name for p in folder.iterdir()) == [
        "main_history.png", "main_parallel.png", "main_params.png"]


def test_plot_empty_and_all_failed_studies_say_so(capsys, tmp_path):
    db = tmp_path / "bad.db"
    Study(SPACE, strategy="random", storage=db, name="empty", seed=0)
    failed = Study(SPACE, strategy="random", storage=db, name="failed", seed=0)
    for _ in range(3):
        failed.tell(failed.ask(), exception="boom")
    code, out, _ = run(capsys, "plot", db, "--out", tmp_path / "p")
    assert code == 0
    assert out.count("note:") == 6
    assert "no trials yet" in out and "no completed trials (3 failed)" in out
    for f in (tmp_path / "p").glob("*.png"):
        assert_png(f, min_width=300, min_height=150)


def test_plot_errors(capsys, study_db, tmp_path, monkeypatch):
    code, _, err = run(capsys, "plot", tmp_path / "nope.db", "--out", tmp_path)
    assert code == 2 and "no such file" in one_line_error(err)
    code, _, err = run(capsys, "plot", study_db, "--name", "x", "--out", tmp_path)
    assert code == 2 and "known: main, other" in one_line_error(err)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    code, _, err = run(capsys, "plot", study_db, "--out", tmp_path / "m")
    assert code == 2 and "matplotlib" in one_line_error(err)


# -- run -----------------------------------------------------------------------------------------------------------
SCRIPT = '''\
import math

def objective(params):
    return (math.log10(params["lr"]) + 2) ** 2 + (params["units"] - 64) ** 2 / 1e4 + (params["opt"] == "sgd")

def with_budget(params, budget):
    return objective(params) + 1.0 / budget

def sometimes_fails(params):
    if params["opt"] == "sgd":
        raise ValueError("sgd diverged")
    return objective(params)

def always_fails(params):
    raise RuntimeError("broken objective")
'''


@pytest.fixture
def project(tmp_path) -> Path:
    (tmp_path / "train.py").write_text(SCRIPT)
    space = Space({"lr": Float(1e-5, 0.1, log=True), "units": Int(16, 256, log=True),
                   "opt": Choice(["adam", "sgd"])})
    (tmp_path / "space.json").write_text(json.dumps(space.to_dict(), indent=1))
    return tmp_path


def test_run_tunes_a_script_and_resumes(capsys, project):
    db = project / "study.db"
    args = ["run", f"{project / 'train.py'}:objective", "--space", project / "space.json", "--trials", "8",
            "--storage", db, "--seed", "3", "--quiet"]
    code, out, _ = run(capsys, *args)
    assert code == 0, out
    assert "study 'train-objective'" in out and "8 COMPLETE" in out and "best value" in out
    st = Study(storage=db, name="train-objective")
    assert len(st.trials) == 8 and st.seed == 3 and st.space == Space.from_dict(
        json.loads((project / "space.json").read_text()))
    code, out, _ = run(capsys, *args)
    assert code == 0 and "resuming study 'train-objective'" in out and "16 COMPLETE" in out


def test_run_maximize_with_name_and_failures(capsys, project):
    db = project / "s.db"
    code, _, _ = run(capsys, "run", f"{project / 'train.py'}:sometimes_fails", "--space", project / "space.json",
                       "--trials", "10", "--storage", db, "--name", "mine", "--direction", "maximize",
                       "--seed", "0", "--quiet")
    assert code == 0
    st = Study(storage=db, name="mine", direction="maximize")
    assert len(st.trials) == 10
    assert any(t.state is hpcore.TrialState.FAILED for t in st.trials)


def test_run_all_failed_prints_the_first_traceback_whole(capsys, project):
    db = project / "f.db"
    code, _, err = run(capsys, "run", f"{project / 'train.py'}:always_fails", "--space", project / "space.json",
                       "--trials", "3", "--storage", db, "--quiet")
    assert code == 1
    assert "hpcore: all 3 trials failed; the first error:\nTraceback (most recent call last):\n" in err
    assert "in always_fails\n" in err and "RuntimeError: broken objective\n" in err
    assert err.rstrip().endswith(f"hpcore show {db} --name train-always_fails --trial 0")


@pytest.mark.skipif("grid" not in STRATEGIES(), reason="grid strategy missing")
def test_run_with_strategy_options(capsys, project):
    (project / "small.json").write_text(json.dumps({"opt": {"type": "choice", "values": ["adam", "sgd"]},
                                                    "lr": {"type": "float", "low": 0.001, "high": 0.1},
                                                    "units": {"type": "fixed", "value": 64}}))
    code, out, _ = run(capsys, "run", f"{project / 'train.py'}:objective", "--space", project / "small.json",
                       "--strategy", "grid", "--option", "grid_points=3", "--trials", "50",
                       "--storage", project / "g.db", "--quiet")
    assert code == 0 and "6 COMPLETE" in out  # the grid is exhausted after 2 x 3 points


@pytest.mark.skipif("hyperband" not in STRATEGIES(), reason="Hyperband strategy not installed")
def test_run_hyperband_needs_a_budget_argument(capsys, project):
    common = ["--space", project / "space.json", "--strategy", "hyperband", "--option", "max_budget=9",
              "--trials", "5", "--storage", project / "h.db", "--quiet"]
    code, _, err = run(capsys, "run", f"{project / 'train.py'}:objective", *common, "--name", "a")
    assert code == 2 and "budget" in one_line_error(err)
    code, out, _ = run(capsys, "run", f"{project / 'train.py'}:with_budget", *common, "--name", "b")
    assert code == 0 and "5 COMPLETE" in out


def test_run_without_trials_runs_the_whole_hyperband_plan_and_100_random_trials(capsys, project):
    common = ["--space", project / "space.json", "--storage", project / "plan.db", "--quiet"]
    # Hyperband(min_budget=1, max_budget=9, eta=3): brackets 9+3+1, 5+1, 3 = 22 trials.
    code, out, err = run(capsys, "run", f"{project / 'train.py'}:with_budget", *common, "--strategy", "hyperband",
                         "--option", "max_budget=9", "--name", "hb")
    assert code == 0 and "22 COMPLETE" in out and "PlanCutShort" not in err
    code, out, _ = run(capsys, "run", f"{project / 'train.py'}:objective", *common, "--name", "rnd")
    assert code == 0 and "100 COMPLETE" in out


def test_run_in_worker_processes(capsys, project):
    db = project / "w.db"
    code, out, _ = run(capsys, "run", f"{project / 'train.py'}:objective", "--space", project / "space.json",
                       "--trials", "4", "--storage", db, "--workers", "2", "--seed", "1", "--quiet")
    assert code == 0 and "4 COMPLETE" in out
    assert all(t.state is hpcore.TrialState.COMPLETE for t in Study(storage=db, name="train-objective").trials)


def test_script_objective_pickles_as_path_and_name(project):
    import pickle

    path, name, fn = cli.load_objective(f"{project / 'train.py'}:objective")
    wrapped = cli.ScriptObjective(path, name, fn)
    clone = pickle.loads(pickle.dumps(wrapped))
    params = {"lr": 0.01, "units": 64, "opt": "adam"}
    assert clone(params) == fn(params) == 0.0
    from hpcore.execution import call_style

    assert call_style(cli.ScriptObjective(*cli.load_objective(f"{project / 'train.py'}:with_budget"))).budget


def test_run_errors(capsys, project, tmp_path):
    script, space = f"{project / 'train.py'}", project / "space.json"
    base = ["--trials", "2", "--storage", project / "e.db", "--quiet"]
    code, _, err = run(capsys, "run", f"{script}:objective", "--space", space, "--strategy", "simulated_annealing",
                       *base)
    line = one_line_error(err)
    assert code == 2 and "unknown strategy 'simulated_annealing'" in line and "random" in line
    code, _, err = run(capsys, "run", f"{project / 'nope.py'}:objective", "--space", space, *base)
    assert code == 2 and "no such file" in one_line_error(err)
    code, _, err = run(capsys, "run", f"{script}:missing", "--space", space, *base)
    line = one_line_error(err)
    assert code == 2 and "no function 'missing'" in line and "objective" in line
    code, _, err = run(capsys, "run", script, "--space", space, *base)
    assert code == 2 and "SCRIPT.py:FUNCTION" in one_line_error(err)
    code, _, err = run(capsys, "run", f"{script}:objective", "--space", project / "none.json", *base)
    assert code == 2 and "no such file" in one_line_error(err)
    (tmp_path / "bad.json").write_text("{not json")
    code, _, err = run(capsys, "run", f"{script}:objective", "--space", tmp_path / "bad.json", *base)
    assert code == 2 and "not valid JSON" in one_line_error(err)
    (tmp_path / "bounds.json").write_text(json.dumps({"lr": {"type": "float", "low": 1.0, "high": 0.1}}))
    code, _, err = run(capsys, "run", f"{script}:objective", "--space", tmp_path / "bounds.json", *base)
    assert code == 2 and "low must be < high" in one_line_error(err)
    (tmp_path / "kind.json").write_text(json.dumps({"lr": {"low": 1.0, "high": 2.0}}))
    code, _, err = run(capsys, "run", f"{script}:objective", "--space", tmp_path / "kind.json", *base)
    assert code == 2 and '"type"' in one_line_error(err)
    (tmp_path / "broken.py").write_text("import math\n\ndef objective(p):\n    return 1\n\nraise ImportError('no gpu')\n")
    code, _, err = run(capsys, "run", f"{tmp_path / 'broken.py'}:objective", "--space", space, *base)
    line = one_line_error(err)
    assert code == 2 and "could not load" in line and "line 6" in line and "no gpu" in line
    code, _, err = run(capsys, "run", f"{script}:objective", "--space", space, "--option", "oops", *base)
    assert code == 2 and "KEY=VALUE" in one_line_error(err)
    code, _, err = run(capsys, "run", f"{script}:objective", "--space", space, "--option", "colour=1", *base)
    assert code == 2 and "does not accept" in one_line_error(err)


def test_run_refuses_a_changed_space_on_resume(capsys, project, tmp_path):
    db = project / "r.db"
    assert run(capsys, "run", f"{project / 'train.py'}:objective", "--space", project / "space.json",
               "--trials", "2", "--storage", db, "--quiet")[0] == 0
    (tmp_path / "other.json").write_text(json.dumps({"lr": {"type": "float", "low": 1e-4, "high": 0.1, "log": True},
                                                     "units": {"type": "int", "low": 16, "high": 256, "log": True},
                                                     "opt": {"type": "choice", "values": ["adam", "sgd"]}}))
    code, _, err = run(capsys, "run", f"{project / 'train.py'}:objective", "--space", tmp_path / "other.json",
                       "--trials", "2", "--storage", db, "--quiet")
    line = one_line_error(err)
    assert code == 2 and "exists with other settings" in line and "lr" in line


# -- demo -------------------------------------------------------------------------------------------------------------
def test_demo_synthetic(capsys, tmp_path):
    code, out, _ = run(capsys, "demo", "--synthetic", "--trials", "6", "--out", tmp_path, "--quiet")
    assert code == 0
    assert "best configuration" in out and "x5 = " in out
    db = tmp_path / "demo.db"
    assert f"stored in {db}" in out
    studies = hpcore.SQLiteStorage(db).list_studies()
    assert len(studies) == 1 and studies[0].n_trials == 6 and studies[0].name.startswith("demo-hartmann6-")
    pngs = sorted((tmp_path / "demo-plots").glob("*.png"))
    assert len(pngs) == 3
    for p in pngs:
        assert_png(p)
    # a second run adds a second study instead of resuming the first
    assert run(capsys, "demo", "--synthetic", "--trials", "3", "--out", tmp_path, "--quiet")[0] == 0
    assert len(hpcore.SQLiteStorage(db).list_studies()) == 2


def test_demo_falls_back_to_synthetic_with_a_note(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "_keras_adapter", lambda: "TensorFlow is not installed")
    code, out, _ = run(capsys, "demo", "--trials", "4", "--out", tmp_path, "--quiet")
    assert code == 0
    assert "note: TensorFlow is not installed; running the synthetic demo" in out
    assert (tmp_path / "demo.db").is_file()


def test_demo_keras_path_uses_the_adapter_api(tmp_path, monkeypatch):
    """The Keras branch, against a stand-in tuner with the documented (KerasTuner-like) API."""
    pytest.importorskip("keras")
    seen = {}

    class FakeHyperband:
        def __init__(self, build_model, objective, max_epochs, factor, directory, project_name, seed=None):
            seen.update(objective=objective, max_epochs=max_epochs, factor=factor, seed=seed)
            self.build_model = build_model

        def search(self, x, y, validation_data, verbose=0):
            seen.update(x=x.shape, xv=validation_data[0].shape)

            class HP:
                def __init__(self) -> None:
                    self.values = {"units": 64, "dropout": 0.1, "learning_rate": 1e-3}

            self.best = HP()

        def get_best_hyperparameters(self, num_trials=1):
            return [self.best]

    rng = np.random.default_rng(0)
    digits = ((rng.integers(0, 256, (3000, 28, 28)), rng.integers(0, 10, 3000)),
              (rng.integers(0, 256, (500, 28, 28)), rng.integers(0, 10, 500)))
    monkeypatch.setattr(demo, "_keras_adapter", lambda: (FakeHyperband, lambda: digits))
    lines: list[str] = []
    result = demo.run_demo(out=tmp_path, seed=0, verbose=False, echo=lines.append)
    assert result.kind == "keras" and result.best_params["units"] == 64
    assert seen["objective"] == "val_accuracy" and (seen["max_epochs"], seen["factor"]) == (9, 3)
    assert seen["x"] == (2000, 784) and seen["xv"] == (500, 784) and seen["seed"] == 0
    assert any("tuner.study" in n for n in result.notes)


@pytest.mark.parametrize("layout", ["keras", "pair", "mapping"])
def test_prepare_digits_accepts_common_layouts(layout):
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 256, (900, 8, 8)).astype(np.uint8), rng.integers(0, 10, 900)
    data = {"keras": ((x[:700], y[:700]), (x[700:], y[700:])), "pair": (x, y), "mapping": {"x": x, "y": y}}[layout]
    xt, yt, xv, yv = demo.prepare_digits(data, n_train=500, n_val=100, seed=0)
    assert xt.shape == (500, 64) and xv.shape == (100, 64) and yt.shape == (500,) and yv.shape == (100,)
    assert xt.dtype == np.float32 and 0.0 <= xt.min() and xt.max() <= 1.0


# -- bench -------------------------------------------------------------------------------------------------------------
def test_bench_synthetic_forwards_to_compare(capsys, tmp_path):
    code, out, _ = run(capsys, "bench", "synthetic", "--strategies", "random", "--functions", "branin",
                       "--trials", "3", "--seeds", "1", "--jobs", "1", "--out", tmp_path, "--quiet")
    assert code == 0 and "| hpcore random |" in out
    assert (tmp_path / "summary.md").is_file()


def test_bench_unknown_suite_and_missing_module(capsys, monkeypatch):
    code, _, err = run(capsys, "bench", "cifar")
    assert code == 2 and "invalid choice" in err
    monkeypatch.setitem(cli.SUITES, "mnist", ("hpcore.benchmarks.not_written_yet", "x"))
    code, _, err = run(capsys, "bench", "mnist", "--epochs", "1")
    line = one_line_error(err)
    assert code == 2 and "'mnist' benchmark is not available" in line and "hpcore.benchmarks.not_written_yet" in line


def test_bench_mnist_is_forwarded_when_present(capsys):
    if importlib.util.find_spec("hpcore.benchmarks.mnist_keras") is None:
        code, _, err = run(capsys, "bench", "mnist")
        assert code == 2 and "not available" in one_line_error(err)
    else:
        code, out, _ = run(capsys, "bench", "mnist", "--help")
        assert code == 0 and "usage" in out.lower()


# -- the installed console script ------------------------------------------------------------------------------------------
def _console_script() -> str:
    here = Path(sys.executable).with_name("hpcore")
    found = str(here) if here.exists() else shutil.which("hpcore")
    if not found:
        pytest.skip("the hpcore console script is not installed")
    return found


def test_console_script_end_to_end(tmp_path, project):
    exe = _console_script()
    r = subprocess.run([exe, "--help"], check=False, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "demo" in r.stdout and "bench" in r.stdout
    r = subprocess.run([exe, "demo", "--synthetic", "--trials", "3", "--out", str(tmp_path / "runs"), "--quiet"],
                       check=False, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "best configuration" in r.stdout
    db = tmp_path / "runs" / "demo.db"
    r = subprocess.run([exe, "show", str(db)], check=False, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "3 COMPLETE" in r.stdout
    r = subprocess.run([exe, "show", str(db), "--name", "nope"], check=False, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and r.stderr.startswith("hpcore: error: no study named 'nope'")
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = subprocess.run([exe, "run", f"{project / 'train.py'}:objective", "--space", str(project / "space.json"),
                        "--trials", "3", "--storage", str(tmp_path / "s.db"), "--quiet"],
                       check=False, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert r.returncode == 0 and "3 COMPLETE" in r.stdout, r.stderr


def test_module_docstring_lists_every_command():
    doc = textwrap.dedent(cli.__doc__ or "")
    for command in ("demo", "run", "show", "plot", "bench synthetic", "bench mnist"):
        assert f"hpcore {command}" in doc


# -- a fast start, true help texts (issue 13) ------------------------------------------------------------------------
@pytest.mark.parametrize("suite", sorted(cli.SUITES))
def test_bench_suite_help_names_the_command_that_reaches_it(capsys, monkeypatch, suite):
    if importlib.util.find_spec(cli.SUITES[suite][0]) is None:
        pytest.skip(f"{cli.SUITES[suite][0]} is not installed")
    monkeypatch.setattr(sys, "argv", ["/somewhere/bin/hpcore", "bench", suite, "--help"])
    code, out, _ = run(capsys, "bench", suite, "--help")
    assert code == 0 and out.startswith(f"usage: hpcore bench {suite} [-h]"), out[:200]
    assert sys.argv[0] == "/somewhere/bin/hpcore"  # restored for whatever runs next


def test_demo_help_says_where_each_demo_stores_its_study(capsys):
    _, out, _ = run(capsys, "demo", "--help")
    text = " ".join(out.split())
    assert "OUT/NAME/study.db (NAME is demo-mnist-hyperband-DATE-TIME)" in text
    assert "synthetic one in OUT/demo.db" in text and "OUT/demo-plots/" in text


def test_keras_demo_study_lives_where_the_help_says(tmp_path, monkeypatch):
    """The real Keras adapter (its search stubbed out): the study file is OUT/NAME/study.db."""
    pytest.importorskip("keras")
    adapter = demo._keras_adapter()
    if isinstance(adapter, str):
        pytest.skip(adapter)
    tuner_cls, _ = adapter

    class NoSearch(tuner_cls):
        def search(self, *args, **kwargs):  # no training: only where the study goes is checked
            return None

    rng = np.random.default_rng(0)
    digits = (rng.integers(0, 256, (600, 28, 28)), rng.integers(0, 10, 600))
    monkeypatch.setattr(demo, "_keras_adapter", lambda: (NoSearch, lambda: digits))
    result = demo.run_demo(out=tmp_path, seed=0, verbose=False, echo=lambda line: None)
    assert result.study_name.startswith("demo-mnist-hyperband-")
    assert result.storage == tmp_path / result.study_name / "study.db" and result.storage.is_file()
    assert not (tmp_path / "demo.db").exists()
