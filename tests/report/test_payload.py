"""The report's data (`hpcore.report.payload`): what each section of the page shows, checked
without a browser."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from hpcore.curves import METRIC_ATTR
from hpcore.report.curves import MAX_CURVES, learning_curves
from hpcore.report.payload import model_section, study_payload
from hpcore.report.study_file import open_study_file
from hpcore.storage.base import StudyRecord
from hpcore.trial import Trial, TrialState
from tests.report.sample_studies import HOSTILE, hyperband_study, pruned_study, random_study


def _payload(db, name):
    storage = open_study_file(db)
    try:
        record = storage.get_study(name)
        trials, version = storage.trials_since(record.id, 0)
        return study_payload(record, trials, version=version), trials
    finally:
        storage.close()


@pytest.fixture(scope="module")
def random_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("report") / "random.db"
    random_study(db, n=60)
    return db


def test_a_random_study_in_full(random_db):
    p, trials = _payload(random_db, "mlp-random")
    json.dumps(p, allow_nan=False)  # what the page embeds: JSON, no NaN
    t = p["trials"]
    assert t["id"] == list(range(60)) and len(t["params"]["momentum"]) == 60
    failed = [i for i, s in enumerate(t["state"]) if s == "FAILED"]
    assert failed and p["summary"]["counts"] == {"COMPLETE": 60 - len(failed), "FAILED": len(failed)}
    for i, opt in enumerate(t["params"]["opt"]):  # inactive conditional values are absent, not imputed
        assert opt in ("adam", "sgd") and (t["params"]["momentum"][i] is None) == (opt == "adam")
    axes = {a["name"]: a for a in p["params"]}
    assert axes["lr"]["log"] and axes["units"]["kind"] == "int" and axes["opt"]["labels"] == ["adam", "sgd"]
    assert axes["momentum"]["conditional"]
    # best so far: non-increasing, from the first completed trial to the last trial
    h = p["history"]
    assert h["best_values"] == sorted(h["best_values"], reverse=True) and h["best_ids"][-1] == 59
    best = min((tr for tr in trials if tr.ok), key=lambda tr: tr.value)
    assert p["summary"]["best"]["id"] == best.id and h["best_values"][-1] == best.value
    # failures: one group (the same traceback text), shown whole with every id
    (group,) = p["failures"]["groups"]
    assert group["ids"] == failed and HOSTILE in group["error"] and "Traceback (most recent call last)" in group["error"]
    assert p["rungs"] == [] and p["curves"] is None


def test_the_model_section_names_its_method_and_gives_a_contour(random_db):
    p, _ = _payload(random_db, "mlp-random")
    m = p["model"]
    assert set(m["importance"]["shares"]) == {"lr", "units", "dropout", "opt", "momentum"}
    assert "functional ANOVA" in m["importance"]["method"]
    shares = m["importance"]["shares"]
    assert shares["lr"] > shares["dropout"] and shares["units"] > shares["dropout"]  # by construction
    c = m["contour"]
    assert {c["x"], c["y"]} == {"lr", "units"} and c["log_x"] and c["log_y"] and c["at_trial"] == p["summary"]["best"]["id"]
    assert m["recommended"]["id"] in p["trials"]["id"]


def test_no_stored_space_means_no_model_and_says_so():
    record = StudyRecord(1, "s", "minimize", {}, {"name": "random"}, 0, 0.0)
    trials = [Trial(i, {"x": float(i)}, TrialState.COMPLETE, value=float(i)) for i in range(10)]
    p = study_payload(record, trials)
    assert p["model"]["importance"] is None and "no search space" in p["model"]["note"]
    assert p["params"] == [{"name": "x", "kind": "float", "low": 0.0, "high": 9.0, "log": False, "conditional": False}]


def test_non_finite_values_are_text_in_the_table_and_absent_from_plots():
    record = StudyRecord(1, "s", "maximize", {}, {"name": "random"}, 0, 0.0)
    trials = [Trial(0, {}, TrialState.COMPLETE, value=math.inf), Trial(1, {}, TrialState.COMPLETE, value=2.0),
              Trial(2, {}, TrialState.FAILED, error="ValueError: nan"), Trial(3, {}, TrialState.RUNNING)]
    p = study_payload(record, trials)
    json.dumps(p, allow_nan=False)
    assert p["trials"]["value"] == ["inf", 2.0, None, None]
    assert p["history"]["best_ids"] == [1, 3] and p["history"]["best_values"] == [2.0, 2.0]


def _history_of(values, direction):
    record = StudyRecord(1, "s", direction, {}, {"name": "random"}, 0, 0.0)
    trials = [Trial(i, {}, TrialState.COMPLETE, value=float(v)) for i, v in enumerate(values)]
    return study_payload(record, trials, model={})["history"]


def test_the_value_window_leaves_out_a_few_far_worse_values_as_the_png_plots_do():
    """The history's window is `hpcore.plot_axes.value_window`, the PNG plots' own."""
    values = np.concatenate([np.linspace(1.0, 2.0, 50), [1e6]])
    h = _history_of(values, "minimize")
    (lo, hi), outside = h["window"], h["outside"]
    assert lo < 1.0 and 2.0 < hi < 10.0 and outside == 1 and not h["log"]
    h = _history_of(-values, "maximize")  # the bad ones are low when maximising
    (lo, hi), outside = h["window"], h["outside"]
    assert -10.0 < lo < -2.0 and hi > -1.0 and outside == 1
    h = _history_of(np.linspace(1.0, 2.0, 50), "minimize")
    assert h["window"][0] < 1.0 and h["window"][1] > 2.0 and h["outside"] == 0
    h = _history_of(np.array([5.0, 4.0, 3.0, 2.0, 1.0, 2e6]), "minimize")  # one among a handful (was kept)
    assert h["outside"] == 1 and 5.0 < h["window"][1] < 6.0
    h = _history_of(np.logspace(-6, 1, 30), "minimize")  # a regret over decades: a log axis
    assert h["log"] and h["positive"] and h["window"][0] < 1e-6 and h["window"][1] > 10


def test_the_metric_is_the_study_attribute_the_png_plots_read():
    trials = [Trial(i, {}, TrialState.COMPLETE, value=float(i)) for i in range(3)]
    for attrs, shown in (({METRIC_ATTR: "val_loss"}, "val_loss"), ({"objective": "auc"}, "auc"), ({}, None)):
        record = StudyRecord(1, "s", "minimize", {}, {"name": "random"}, 0, 0.0, attrs)
        assert study_payload(record, trials, model={})["summary"]["metric"] == shown


def test_hyperband_rungs_by_trial_id(tmp_path):
    db = tmp_path / "hb.db"
    study = hyperband_study(db)
    p, trials = _payload(db, "hb")
    by_id = {t.id: t for t in trials}
    runs = p["rungs"]
    assert [(r["iteration"], r["bracket"]) for r in runs] == [(0, 3), (0, 2), (0, 1), (0, 0)]
    assert runs[0]["budgets"] == [1, 3, 9, 27] and runs[-1]["budgets"] == [27]
    seen = set()
    for run in runs:
        for cfg in run["configs"]:
            for k, e in enumerate(cfg["trials"]):
                t = by_id[e["id"]]  # the ids the table, the history and `hpcore show` print
                assert t.config_id == cfg["config"] and t.budget == e["budget"] and t.value == e["value"]
                assert e["rung"] == k and t.meta["rung"] == k
                seen.add(e["id"])
        reached = [c["reached"] for c in run["configs"]]
        assert reached == sorted(reached, reverse=True)  # furthest-promoted first
    assert seen == {t.id for t in study.trials}
    top = runs[0]["configs"][0]
    assert top["reached"] == 3 and [e["budget"] for e in top["trials"]] == [1, 3, 9, 27]


def test_reported_learning_curves_and_pruned_trials(tmp_path):
    db = tmp_path / "p.db"
    pruned_study(db, n=12)
    p, trials = _payload(db, "curves")
    assert p["summary"]["counts"] == {"COMPLETE": 8, "PRUNED": 4}
    cv = p["curves"]
    assert cv["metric"] == "value" and cv["total"] == 12 and "reported" in cv["source"]
    for c in cv["curves"]:
        assert len(c["steps"]["value"]) == (5 if c["state"] == "PRUNED" else 10) and c["steps"]["value"][0] == 0
        assert c["values"]["value"][-1] == pytest.approx(next(t for t in trials if t.id == c["id"]).value)
    # a pruned trial is never the best while trials completed, and not on the best-so-far line
    assert p["summary"]["best"]["id"] not in [c["id"] for c in cv["curves"] if c["state"] == "PRUNED"]


def test_keras_histories_are_curves_of_the_objective_metric():
    """What the Keras adapter stores: user_attrs history (metric -> per-epoch values), epochs
    (1-based) and best_epoch; the trial's value is the objective metric at the best epoch."""
    trials = []
    for i in range(4):
        acc = [0.5 + 0.1 * i + 0.02 * e for e in range(3)]
        hist = {"loss": [1.0 - 0.1 * e for e in range(3)], "val_loss": [0.9] * 3, "val_accuracy": acc}
        trials.append(Trial(i, {"u": i}, TrialState.COMPLETE, value=acc[1],
                            user_attrs={"history": hist, "epochs": [4, 5, 6], "best_epoch": 5}))
    record = StudyRecord(1, "k", "maximize", {}, {"name": "random"}, 0, 0.0)
    p = study_payload(record, trials, model={})
    cv = p["curves"]
    assert cv["metric"] == "val_accuracy" and cv["metrics"] == ["loss", "val_accuracy", "val_loss"]
    assert p["summary"]["metric"] == "val_accuracy"  # recognised as `hpcore plot` recognises it
    assert cv["curves"][0]["steps"]["val_accuracy"] == [4, 5, 6] and "history" in cv["source"]
    assert cv["curves"][0]["values"]["loss"] == pytest.approx([1.0, 0.9, 0.8])
    assert learning_curves([Trial(0, {}, TrialState.COMPLETE, value=1.0)], "minimize") is None
    # a non-finite point is left out of its metric's curve (JSON has no NaN), not of the others
    t = trials[0].replace(user_attrs={**trials[0].user_attrs, "history": {**trials[0].user_attrs["history"],
                                                                         "loss": [1.0, math.nan, 0.8]}})
    c = learning_curves([t], "maximize", "val_accuracy")["curves"][0]
    assert c["steps"]["loss"] == [4, 6] and c["steps"]["val_accuracy"] == [4, 5, 6]


def test_many_curves_keep_the_best_half_and_the_most_recent():
    n = MAX_CURVES * 3
    trials = [Trial(i, {}, TrialState.COMPLETE, value=float((i * 7919) % n), intermediate_values={0: 1.0, 1: 0.5})
              for i in range(n)]
    cv = learning_curves(trials, "minimize")
    ids = [c["id"] for c in cv["curves"]]
    assert len(ids) == MAX_CURVES and cv["total"] == n and ids == sorted(ids)
    best = sorted(trials, key=lambda t: t.value)[:MAX_CURVES // 2]
    assert {t.id for t in best} <= set(ids)
    assert set(range(n - MAX_CURVES // 4, n)) <= set(ids)


def test_one_gp_fit_gives_the_importance_the_contour_and_the_recommendation(random_db, monkeypatch):
    from hpcore.gp.model import GaussianProcess
    from hpcore.recommendation import posterior_best_trial
    from hpcore.space import Space

    storage = open_study_file(random_db)
    record = storage.get_study("mlp-random")
    trials, _ = storage.trials_since(record.id, 0)
    storage.close()
    fitted = []
    real_fit = GaussianProcess.fit
    monkeypatch.setattr(GaussianProcess, "fit", lambda self, X, y, *a, **k: fitted.append(len(y)) or real_fit(
        self, X, y, *a, **k))
    m = model_section(record, trials)
    assert fitted == [sum(t.ok for t in trials)]  # before: two fits (importance; recommendation)
    assert m["importance"] and m["contour"] and m["recommended"]
    # read off the shared fit, the recommendation is the one `hpcore show` prints for these results
    expected = posterior_best_trial(trials, Space.from_dict(record.space), record.direction, seed=record.seed)
    assert m["recommended"]["id"] == expected.id
