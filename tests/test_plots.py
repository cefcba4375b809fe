"""hpcore.plots: every plot is a real PNG, including empty, all-failed and 10,000-trial studies."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import hpcore
from hpcore import Bool, Choice, Float, Int, Space, Study, Trial, TrialState, plots
from hpcore.curves import METRIC_ATTR, keras_metric, learning_curve, metric_name
from hpcore.plot_axes import log_ticks, value_window
from hpcore.strategies.base import STRATEGIES
from hpcore.trial import IntermediateValues

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
    w = value_window(values, "minimize")
    assert w.high < 10 and w.outside == 2 and not w.log
    w = value_window(-values, "maximize")
    assert w.low > -10 and w.outside == 2
    w = value_window(np.linspace(0, 1, 50), "minimize")
    assert w.outside == 0 and w.low < 0.0 and w.high > 1.0


def test_value_window_cuts_one_outlier_among_a_handful():
    w = value_window(np.array([5.0, 4.0, 3.0, 2.0, 1.0, 2e6]), "minimize")
    assert w.outside == 1 and 5.0 < w.high < 6.0 and 0.5 < w.low < 1.0


def test_value_window_goes_log_over_decades():
    w = value_window(np.logspace(-6, 1, 30), "minimize")
    assert w.log and w.low < 1e-6 and w.high > 10 and w.outside == 0


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


# -- what a new user found (issue 18), one test each ------------------------------------------------------------
def assert_fits(fig) -> None:
    """Everything drawn (titles, legends, colour bars, tick labels) lies inside the canvas."""
    fig.canvas.draw()
    box = fig.get_tightbbox(fig.canvas.get_renderer())  # inches
    w, h = fig.get_size_inches()
    assert box.x0 >= -0.01 and box.y0 >= -0.01 and box.x1 <= w + 0.01 and box.y1 <= h + 0.01, (box, (w, h))


def _visible_labels(axis):
    """(major labels with text inside the view, minor labels with text) of a drawn axis."""
    lo, hi = sorted(axis.get_view_interval())
    major = [t for t in axis.get_major_ticks() if lo <= t.get_loc() <= hi and t.label1.get_visible()
             and t.label1.get_text()]
    minor = [t for t in axis.get_minor_ticks() if t.label1.get_visible() and t.label1.get_text()]
    return major, minor


def _assert_readable(fig, axis, vertical: bool = False) -> list[str]:
    """At most 8 major labels on `axis`, none overlapping, and no minor tick with a label."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    major, minor = _visible_labels(axis)
    assert not minor, [t.label1.get_text() for t in minor]
    assert 2 <= len(major) <= 8, [t.label1.get_text() for t in major]
    boxes = [t.label1.get_window_extent(renderer) for t in major]
    lo, hi = ("y0", "y1") if vertical else ("x0", "x1")
    boxes.sort(key=lambda b: getattr(b, lo))
    for a, b in zip(boxes, boxes[1:]):
        assert getattr(a, hi) <= getattr(b, lo), "tick labels overlap"
    return [t.label1.get_text() for t in major]


LOG_SPACE = Space({
    "units": Int(16, 512, log=True),
    "batch": Int(10, 1000, log=True),
    "lr": Float(1e-3, 5e-3, log=True),
    "decay": Float(1e-8, 1e-1, log=True),
})


def _log_study(n: int = 80) -> Study:
    study = Study(LOG_SPACE, strategy="random", seed=0)
    rng = np.random.default_rng(0)
    for _ in range(n):
        p = LOG_SPACE.sample(rng)
        study.add(p, float(np.log(p["units"] / 100) ** 2 + np.log10(p["batch"])))
    return study


def test_log_ticks_are_few_round_numbers():
    assert log_ticks(16, 512, integer=True) == [16, 32, 64, 128, 256, 512]
    assert log_ticks(10, 1000, integer=True) == [10, 20, 50, 100, 200, 500, 1000]
    assert log_ticks(16, 64, integer=True) == [16, 32, 64]
    assert log_ticks(20, 60, integer=True) == [20, 30, 40, 50, 60]
    assert log_ticks(1e-5, 1e-1) == [1e-5, 1e-4, 1e-3, 1e-2, 1e-1]
    assert len(log_ticks(1e-12, 1e3)) <= 8
    for low, high in [(1, 2), (3, 7), (1e-3, 5e-3), (1, 1e300), (0.27, 6.0)]:
        ticks = log_ticks(low, high)
        assert 2 <= len(ticks) <= 8 and all(low <= t <= high for t in ticks), (low, high, ticks)
    with pytest.raises(ValueError, match="0 < low < high"):
        log_ticks(0, 10)


def test_log_scaled_integer_axes_have_few_non_overlapping_labels():
    fig = plots.parameters_figure(_log_study().trials, LOG_SPACE, "minimize")
    axes = {ax.get_xlabel().split(" ")[0]: ax for ax in fig.axes if ax.get_xlabel()}
    assert _assert_readable(fig, axes["units"].xaxis) == ["16", "32", "64", "128", "256", "512"]
    assert _assert_readable(fig, axes["batch"].xaxis)[0] == "10"
    for name in ("lr", "decay"):
        _assert_readable(fig, axes[name].xaxis)
    assert_fits(fig)


def _display(ax, x, y):
    return ax.transData.transform((x, y))


def _legends(fig):
    return [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend() is not None)]


def _assert_uncovered(fig, ax, x, y):
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    point = _display(ax, x, y)
    legends = _legends(fig)
    assert legends
    for legend in legends:
        assert not legend.get_window_extent(renderer).contains(*point), "the legend covers the best point"


def test_legends_do_not_cover_the_best_point():
    # maximising, improving steadily: the best point is the last one, at the top right
    study = Study(Space({"x": Float(0.0, 1.0)}), strategy="random", seed=0, direction="maximize")
    for i in range(40):
        study.add({"x": i / 40}, float(i))
    best = study.best_trial
    fig = plots.history_figure(study.trials, "maximize")
    _assert_uncovered(fig, fig.axes[0], best.id, best.value)
    fig = plots.parameters_figure(study.trials, study.space, "maximize")
    _assert_uncovered(fig, fig.axes[0], best.params["x"], best.value)
    trials = _hand_made_hyperband_trials()
    fig = plots.rungs_figure(trials, "minimize")
    _assert_uncovered(fig, fig.axes[0], 9, 0.3)


def test_best_so_far_spans_the_axis_despite_one_far_worse_trial():
    study = Study(Space({"x": Float(0.0, 1.0)}), strategy="random", seed=0)
    values = [5.0, 4.0, 4.5, 1e6, 3.0, 3.5, 2.0, 2.5, 1.5, 1.0]  # one trial a million times worse
    for v in values:
        study.add({"x": 0.5}, v)
    fig = plots.history_figure(study.trials, "minimize")
    ax = fig.axes[0]
    lo, hi = ax.get_ylim()
    assert (5.0 - 1.0) / (hi - lo) > 0.6, (lo, hi)
    assert "1 far worse trial above the plotted range" in ax.get_title()


def test_value_axis_is_named_after_the_metric():
    study = _study(30, direction="maximize")
    fig = plots.history_figure(study.trials, "maximize", metric="val_accuracy")
    assert fig.axes[0].get_ylabel() == "val_accuracy (higher is better)"
    fig = plots.history_figure(study.trials, "minimize")
    assert fig.axes[0].get_ylabel() == "value (lower is better)"
    fig = plots.parameters_figure(study.trials, study.space, "maximize", metric="val_accuracy")
    assert fig.axes[0].get_ylabel() == "val_accuracy (higher is better)"


def _keras_trial(i: int, value_key: str = "val_accuracy", executions: int = 1) -> Trial:
    """A trial as the Keras adapter stores it: per-epoch history, epochs, best epoch."""
    rng = np.random.default_rng(i)
    runs = []
    for _ in range(executions):
        acc = np.sort(rng.uniform(0.5, 0.9, 6))
        runs.append({"loss": list(1 - acc), "accuracy": list(acc + 0.01), "val_loss": list(1.1 - acc),
                     "val_accuracy": list(acc)})
    best = [int(np.argmax(r[value_key])) + 1 for r in runs]
    values = [r[value_key][b - 1] for r, b in zip(runs, best)]
    one = executions == 1
    attrs = {"history": runs[0] if one else runs, "epochs": list(range(1, 7)) if one else [list(range(1, 7))] * executions,
             "best_epoch": best[0] if one else best, "execution_values": values}
    return Trial(i, {"x": 0.1 * i}, TrialState.COMPLETE, value=float(np.mean(values)), user_attrs=attrs)


def test_metric_name_from_the_study_or_a_keras_history():
    trials = [_keras_trial(i) for i in range(5)]
    assert keras_metric(trials) == "val_accuracy"
    assert keras_metric([_keras_trial(i, executions=2) for i in range(3)]) == "val_accuracy"
    assert metric_name({METRIC_ATTR: "f1"}, trials) == "f1"
    assert metric_name({"objective": "auc"}, trials) == "auc"  # the HTML report's key
    assert metric_name({}, trials) == "val_accuracy"
    assert metric_name(None, _study(5).trials) is None  # no history: unknown
    curve = learning_curve(trials[0], "val_accuracy")
    assert curve.unit == "epoch" and list(curve.steps) == [1, 2, 3, 4, 5, 6]
    assert list(curve.values) == trials[0].user_attrs["history"]["val_accuracy"]
    fig = plots.history_figure(trials, "maximize", metric=metric_name({}, trials))
    assert fig.axes[0].get_ylabel() == "val_accuracy (higher is better)"


def _budget_trials() -> list[Trial]:
    """Hyperband-like: 9 trials at budget 1, 3 at 3, 1 at 9 (values worse at lower budgets)."""
    rng = np.random.default_rng(0)
    out = []
    for budget, n in ((1, 9), (3, 3), (9, 1)):
        for _ in range(n):
            i = len(out)
            out.append(Trial(i, {"x": float(rng.uniform())}, TrialState.COMPLETE, value=float(3 / budget + rng.uniform()),
                             budget=budget, config_id=i))
    return out


def test_budgets_get_their_own_panels_colours_and_markers():
    trials = _budget_trials()
    fig = plots.history_figure(trials, "minimize")
    panels = [ax for ax in fig.axes if ax.get_ylabel().startswith("budget ")]
    assert [ax.get_ylabel().split("\n")[0] for ax in panels] == ["budget 9", "budget 3", "budget 1"]
    for ax, budget in zip(panels, (9, 3, 1)):
        ids = {int(x) for c in ax.collections for x, _ in c.get_offsets() if c.get_label().startswith("budget")}
        assert ids == {t.id for t in trials if t.budget == budget}
    colorbar = next(ax for ax in fig.axes if ax.get_ylabel() == "budget")
    assert [t.get_text() for t in colorbar.get_yticklabels()] == ["1", "3", "9"]
    fig = plots.parameters_figure(trials, Space({"x": Float(0.0, 1.0)}), "minimize")
    groups = [c for c in fig.axes[0].collections if c.get_label().startswith("budget")]
    assert [c.get_label() for c in groups] == ["budget 1", "budget 3", "budget 9"]
    assert len({tuple(c.get_facecolor()[0]) for c in groups}) == 3
    assert len({c.get_paths()[0].vertices.tobytes() for c in groups}) == 3  # one marker each
    assert any(ax.get_ylabel() == "budget" for ax in fig.axes)  # a colour bar of budgets, not trial numbers
    assert_fits(fig)


def test_parallel_coordinates_colour_bar_has_numbers():
    study = _study(60)
    fig = plots.parallel_figure(study.trials, study.space, "minimize")
    colorbar = next(ax for ax in fig.axes if "better" in ax.get_ylabel())
    fig.canvas.draw()
    lo, hi = colorbar.get_ylim()
    numbers = [float(t.get_text().replace("\u2212", "-")) for t in colorbar.get_yticklabels()
               if t.get_text() and lo <= t.get_position()[1] <= hi]
    assert len(numbers) >= 3
    shown = sorted(t.value for t in study.trials if t.ok)[:10]  # the best 10 of 60
    assert shown[0] - 1e-9 <= min(numbers) < max(numbers) <= shown[-1] + 1e-9


def test_rungs_plot_names_trials_by_their_id():
    trials = _hand_made_hyperband_trials()  # the best is trial 6, configuration 1 (trials 1 > 4 > 6)
    fig = plots.rungs_figure(trials, "minimize")
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert any(lab.startswith("best: trial 6 (configuration 1: trials 1 > 4 > 6)") for lab in labels), labels
    assert not any("#" in lab for lab in labels)
    notes = sorted(t.get_text() for t in fig.axes[0].texts)
    assert notes == ["trial 1", "trial 4", "trial 6"]


def _curve_trials(n: int, pruned_every: int = 3, steps: int = 30) -> list[Trial]:
    """n trials reporting a decaying loss per step; every `pruned_every`-th stopped early."""
    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        final = rng.uniform(0.1, 1.0)
        stop = steps if not pruned_every or i % pruned_every else int(rng.integers(3, steps // 2))
        curve = final + 2 * np.exp(-np.arange(stop) / 5) + 0.01 * rng.standard_normal(stop)
        reports = IntermediateValues({s: float(v) for s, v in enumerate(curve)})
        state = TrialState.COMPLETE if stop == steps else TrialState.PRUNED
        out.append(Trial(i, {"x": final}, state, value=float(curve[-1]), intermediate_values=reports))
    return out


def test_learning_curves_mark_pruned_trials_and_name_the_best():
    trials = _curve_trials(30)
    fig = plots.curves_figure(trials, "minimize", metric="val_loss")
    ax = fig.axes[0]
    n_pruned = sum(t.state is TrialState.PRUNED for t in trials)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert f"pruned ({n_pruned}; cross: where it was stopped)" in labels
    crosses = next(c for c in ax.collections if c.get_label().startswith("pruned"))
    ends = {(float(t.intermediate_values.last[0]), t.intermediate_values.last[1]) for t in trials
            if t.state is TrialState.PRUNED}
    assert {tuple(map(float, xy)) for xy in crosses.get_offsets()} == ends
    best = min((t for t in trials if t.ok), key=lambda t: t.value)
    assert any(lab.startswith(f"trial {best.id} (best)") for lab in labels)
    assert ax.get_xlabel() == "step" and ax.get_ylabel() == "val_loss (lower is better)"
    assert_fits(fig)


def test_a_thousand_learning_curves_are_thin_and_faint(tmp_path):
    trials = _curve_trials(1000, pruned_every=0)
    fig = plots.curves_figure(trials, "minimize")
    bulk = next(c for c in fig.axes[0].collections if c.get_label().startswith("completed"))
    assert len(bulk.get_segments()) == 1000 - plots.HIGHLIGHTED_CURVES
    assert bulk.get_alpha() <= 0.2 and max(bulk.get_linewidths()) <= 0.6 and bulk.get_rasterized()
    note = plots.plot_curves(trials, "minimize", tmp_path / "c.png")
    assert note is None
    assert_png(tmp_path / "c.png")
    assert (tmp_path / "c.png").stat().st_size < 1_500_000


def test_plot_study_adds_learning_curves_only_when_there_are_some(tmp_path):
    report = plots.plot_study(_curve_trials(12), Space({"x": Float(0.0, 1.0)}), "minimize", tmp_path, name="p")
    assert [f.name for f in report.files] == ["p_history.png", "p_params.png", "p_parallel.png", "p_curves.png"]
    assert report.notes == []
    for f in report.files:
        assert_png(f)
    keras = [_keras_trial(i) for i in range(6)]
    report = plots.plot_study(keras, Space({"x": Float(0.0, 1.0)}), "maximize", tmp_path, name="k")
    assert report.files[-1].name == "k_curves.png"
    assert plots.curves_figure(keras, "maximize", metric="val_accuracy").axes[0].get_xlabel() == "epoch"
    note = plots.plot_curves(_study(5).trials, "minimize", tmp_path / "none.png")
    assert note and "no trial reported intermediate values" in note


def test_pruned_trials_have_their_own_marker_in_the_history():
    trials = _curve_trials(12)
    fig = plots.history_figure(trials, "minimize")
    pruned = next(c for c in fig.axes[0].collections if c.get_label().startswith("pruned"))
    assert {int(x) for x, _ in pruned.get_offsets()} == {t.id for t in trials if t.state is TrialState.PRUNED}
    completed = next(c for c in fig.axes[0].collections if c.get_label().startswith("completed"))
    assert {int(x) for x, _ in completed.get_offsets()} == {t.id for t in trials if t.ok}
    assert pruned.get_paths()[0].vertices.tobytes() != completed.get_paths()[0].vertices.tobytes()


def test_every_figure_fits_its_canvas():
    study = _study(60, failed_every=7)
    hb = _budget_trials()
    figures = [
        plots.history_figure(study.trials, "minimize", metric="a rather long metric name"),
        plots.parameters_figure(study.trials, study.space, "minimize"),
        plots.parallel_figure(study.trials, study.space, "minimize"),
        plots.history_figure(hb, "minimize"),
        plots.rungs_figure(hb, "minimize"),
        plots.curves_figure(_curve_trials(20), "minimize"),
    ]
    for fig in figures:
        assert_fits(fig)


def test_benchmark_figures_fit_their_canvas(tmp_path, monkeypatch):
    from hpcore.benchmarks import compare
    from hpcore.benchmarks.functions import get_function

    saved = []
    real_save = plots.save_figure
    monkeypatch.setattr(plots, "save_figure", lambda fig, path: saved.append(fig) or real_save(fig, path))
    rng = np.random.default_rng(0)
    methods = ["hpcore:random", "hpcore:bayes", "optuna", "skopt", "hpcore:hyperband"]  # a wide legend
    functions = ["branin", "hartmann6"]
    records = []
    for m in methods:
        for f in functions:
            fn = get_function(f)
            for seed in range(2):
                noise = np.abs(rng.standard_normal(20)) * 10 * np.exp(-np.arange(20) / 5)
                records.append({"method": m, "function": fn.name, "seed": seed, "optimum": fn.optimum_value,
                                "best": list(np.minimum.accumulate(fn.optimum_value + noise)),
                                "elapsed": list(np.cumsum(rng.uniform(0.01, 0.1, 20))), "error": None})
    files = compare.plot_results(records, methods, functions, tmp_path)
    assert [f.name for f in files] == ["regret_trials.png", "regret_time.png"] and len(saved) == 2
    for fig in saved:
        assert_fits(fig)
        assert fig.get_suptitle() and fig.legends
        for ax in fig.axes:
            if ax.lines:
                _assert_readable(fig, ax.yaxis, vertical=True)


PRUNING_SCRIPT = '''
import math, sys
import hpcore

space = {"lr": hpcore.Float(1e-4, 1.0, log=True)}
study = hpcore.Study(space, strategy="random", storage=sys.argv[1], name="pruned", seed=0)
for i in range(9):
    trial = study.ask()
    for step in range(8):
        loss = abs(math.log10(trial.params["lr"]) + 2) + 1.0 / (step + 1)
        study.report(trial, loss, step)
        if i % 3 == 2 and step == 3:
            break
    if i % 3 == 2:
        study.tell(trial, state="PRUNED")
    else:
        study.tell(trial, loss)
'''


@pytest.mark.slow
def test_hpcore_plot_draws_the_learning_curves_of_a_plain_script(tmp_path):
    script, db, out = tmp_path / "train.py", tmp_path / "s.db", tmp_path / "plots"
    script.write_text(PRUNING_SCRIPT)
    subprocess.run([sys.executable, str(script), str(db)], check=True, cwd=tmp_path, timeout=120)
    done = subprocess.run([sys.executable, "-m", "hpcore.cli", "plot", str(db), "--out", str(out)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    names = ["pruned_history.png", "pruned_params.png", "pruned_parallel.png", "pruned_curves.png"]
    assert sorted(p.name for p in out.iterdir()) == sorted(names)
    for name in names:
        assert str(out / name) in done.stdout
        assert_png(out / name)


def test_hpcore_plot_names_the_metric_stored_with_the_study(tmp_path, monkeypatch):
    from hpcore import cli

    db = tmp_path / "s.db"
    study = _study(5)
    stored = Study(SPACE, strategy="random", storage=db, name="m", seed=0)
    for t in study.trials:
        stored.add(dict(t.params), t.value)
    storage = hpcore.SQLiteStorage(db)
    storage.update_study(storage.get_study("m").id, attrs={METRIC_ATTR: "val_loss"})
    storage.close()
    seen = {}
    monkeypatch.setattr(plots, "plot_study", lambda *a, **k: seen.update(k) or plots.PlotReport())
    assert cli.main(["plot", str(db), "--out", str(tmp_path / "p")]) == 0
    assert seen["metric"] == "val_loss"
