"""hpcore.plots: every plot is a real PNG, including empty, all-failed and 10,000-trial studies."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import pytest

import hpcore
from hpcore import Bool, Choice, Float, Int, Space, Study, Trial, TrialState, plots
from hpcore.strategies.base import STRATEGIES

pytest.importorskip("matplotlib")


def assert_png(path: Path, min_width: int = 400, min_height: int = 250) -> np.ndarray:
    """Opens `path` as an image and checks it is a sensible, non-blank picture."""
    from matplotlib.image import imread

    assert path.is_file() and path.stat().st_size > 2_000, path
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    img = imread(path)
    h, w = img.shape[:2]
    assert w >= min_width and h >= min_height, (w, h)
    assert w <= 4000 and h <= 4000, (w, h)
    assert img[..., :3].std() > 0.01, "blank image"
    return img


SPACE = Space({
    "lr": Float(1e-5, 1e-1, log=True),
    "dropout": Float(0.0, 0.5),
    "units": Int(16, 512, log=True),
    "opt": Choice(["adam", "sgd", "rmsprop"]),
    "nesterov": Bool(condition={"opt": ["sgd"]}),
})


def _loss(p: dict) -> float:
    return (np.log10(p["lr"]) + 3) ** 2 + (p["dropout"] - 0.2) ** 2 + {"adam": 0.0, "sgd": 0.4, "rmsprop": 0.2}[p["opt"]]


def _study(n: int, failed_every: int = 0, seed: int = 0, direction: str = "minimize") -> Study:
    study = Study(SPACE, strategy="random", seed=seed, direction=direction)
    rng = np.random.default_rng(seed)
    for i in range(n):
        if failed_every and i % failed_every == 0:
            study.tell(study.ask(), exception="RuntimeError: boom")
        else:
            p = SPACE.sample(rng)
            study.add(p, _loss(p) + 0.05 * rng.standard_normal())
    return study


def test_plot_study_writes_readable_pngs(tmp_path):
    study = _study(60, failed_every=7)
    report = plots.plot_study(study.trials, study.space, study.direction, tmp_path, name="small")
    assert report.notes == []
    assert [p.name for p in report.files] == ["small_history.png", "small_params.png", "small_parallel.png"]
    for p in report.files:
        assert_png(p)


def test_maximize_and_space_given_as_dict(tmp_path):
    study = _study(30, direction="maximize")
    report = plots.plot_study(study.trials, study.space.to_dict(), "maximize", tmp_path, name="max")
    assert report.notes == [] and len(report.files) == 3
    for p in report.files:
        assert_png(p)


def test_without_a_space_the_parameters_are_inferred(tmp_path):
    study = _study(25)
    assert plots.plot_parameters(study.trials, None, "minimize", tmp_path / "p.png") is None
    assert_png(tmp_path / "p.png")
    assert plots.plot_parallel(study.trials, None, "minimize", tmp_path / "q.png") is None
    assert_png(tmp_path / "q.png")


def test_empty_study_gives_message_images(tmp_path):
    report = plots.plot_study([], SPACE, "minimize", tmp_path, name="empty")
    assert len(report.files) == 3 and len(report.notes) == 3
    assert all("no trials" in n for n in report.notes)
    for p in report.files:
        assert_png(p, min_width=300, min_height=150)


def test_all_failed_study_gives_message_images(tmp_path):
    study = Study(SPACE, strategy="random", seed=0)
    for _ in range(4):
        study.tell(study.ask(), exception="ValueError: bad")
    report = plots.plot_study(study.trials, study.space, study.direction, tmp_path, name="failed")
    assert len(report.notes) == 3
    assert all("4 failed" in n for n in report.notes)
    for p in report.files:
        assert_png(p, min_width=300, min_height=150)


def test_ten_thousand_trials_stay_fast_and_small(tmp_path):
    study = Study(SPACE, strategy="random", seed=0)
    rng = np.random.default_rng(0)
    for i in range(10_000):
        p = SPACE.sample(rng)
        value = _loss(p) + 0.1 * rng.standard_normal()
        study.add(p, value * (50 if i % 100 == 0 else 1))  # a tail of very bad trials
    trials = study.trials
    t0 = time.perf_counter()
    report = plots.plot_study(trials, study.space, "minimize", tmp_path, name="big")
    elapsed = time.perf_counter() - t0
    assert report.notes == []
    assert elapsed < 60, elapsed
    for p in report.files:
        assert_png(p)
        # rasterised scatter: a bitmap layer, not 10,000 vector markers
        assert p.stat().st_size < 2_500_000, p.stat().st_size


def test_value_window_cuts_a_long_tail_and_counts_it():
    values = np.concatenate([np.linspace(0, 1, 100), [1e6, 2e6]])
    lo, hi, outside = plots._value_window(values, "minimize")
    assert hi < 10 and outside == 2
    lo, hi, outside = plots._value_window(-values, "maximize")
    assert lo > -10 and outside == 2
    lo, hi, outside = plots._value_window(np.linspace(0, 1, 50), "minimize")
    assert outside == 0 and lo < 0.0 and hi > 1.0


def _hand_made_hyperband_trials() -> list[Trial]:
    """Three configurations at budget 1, two promoted to 3, one to 9; one failure."""
    rows = [  # (config_id, budget, previous_budget, value)
        (0, 1, None, 0.9), (1, 1, None, 0.7), (2, 1, None, 0.8), (3, 1, None, None),
        (1, 3, 1, 0.5), (2, 3, 1, 0.6), (1, 9, 3, 0.3),
    ]
    out = []
    for i, (cid, b, prev, v) in enumerate(rows):
        state = TrialState.COMPLETE if v is not None else TrialState.FAILED
        out.append(Trial(i, {"x": 0.1 * cid}, state, value=v, budget=b, previous_budget=prev, config_id=cid))
    return out


def test_rungs_plot_from_budgets(tmp_path):
    trials = _hand_made_hyperband_trials()
    assert plots.best_trial(trials, "minimize").id == 6  # the best at the largest budget
    report = plots.plot_study(trials, Space({"x": Float(0.0, 1.0)}), "minimize", tmp_path, name="hb")
    assert [p.name for p in report.files][-1] == "hb_rungs.png"
    assert report.notes == []
    for p in report.files:
        assert_png(p)


def test_rungs_plot_without_budgets_says_so(tmp_path):
    note = plots.plot_rungs(_study(5).trials, "minimize", tmp_path / "r.png")
    assert note and "no trial has a budget" in note
    assert_png(tmp_path / "r.png", min_width=300, min_height=150)


@pytest.mark.skipif("hyperband" not in STRATEGIES(), reason="Hyperband strategy not installed")
def test_rungs_plot_of_a_real_hyperband_study(tmp_path):
    strategy = hpcore.make_strategy("hyperband", min_budget=1, max_budget=9, eta=3)
    study = Study(Space({"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)}), strategy=strategy, seed=0)
    study.optimize(lambda p, budget: (p["x"] - 0.3) ** 2 + p["y"] / budget, verbose=False)
    report = plots.plot_study(study.trials, study.space, study.direction, tmp_path, name="hb")
    assert report.files[-1].name == "hb_rungs.png" and report.notes == []
    assert_png(report.files[-1])


def test_missing_matplotlib_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    with pytest.raises(plots.MissingMatplotlib, match=r"pip install 'hpcore\[plot\]'"):
        plots.plot_history(_study(3).trials, "minimize", tmp_path / "h.png")
