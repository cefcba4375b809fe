"""HPSearchCV(pruner=...): a report after every CV split, the remaining splits of a pruned
configuration skipped, and its row in cv_results_ marked.

A pruner of the test's own prunes odd trial ids after split 1, whatever the scores, so which
rows are pruned (and after how many splits) is known in advance; one test runs the median rule.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any

import numpy as np
import pytest
from hpcore.adapters.sklearn import HPSearchCV
from sklearn.base import clone
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score

import hpcore
from hpcore import Float, TrialState
from tests.odd_trial_pruner import OddTrialsFromStep

SPLITS = 5
PRUNE_AFTER = 1  # the split (0-based) after which odd trials are pruned


@pytest.fixture(scope="module")
def data():
    return make_classification(n_samples=200, n_features=8, n_informative=4, random_state=0)


def search(**kw: Any) -> HPSearchCV:
    kw.setdefault("strategy", "random")
    kw.setdefault("n_trials", 6)
    return HPSearchCV(LogisticRegression(max_iter=200), {"C": Float(1e-4, 1e2, log=True)}, cv=SPLITS,
                      random_state=0, **kw)


def test_pruned_candidates_stop_their_splits_and_are_marked(data):
    X, y = data
    s = search(pruner=OddTrialsFromStep(PRUNE_AFTER)).fit(X, y)
    r = s.cv_results_
    assert list(r["pruned"]) == [False, True] * 3
    assert [t.state for t in s.study_.trials] == [TrialState.COMPLETE, TrialState.PRUNED] * 3
    split_scores = np.column_stack([r[f"split{j}_test_score"] for j in range(SPLITS)])
    ran = np.isfinite(split_scores)
    assert ran[~r["pruned"]].all()
    assert (ran[r["pruned"]] == [True] * (PRUNE_AFTER + 1) + [False] * (SPLITS - PRUNE_AFTER - 1)).all()
    assert np.isnan(r["mean_test_score"][r["pruned"]]).all() and np.isnan(r["std_test_score"][r["pruned"]]).all()
    assert (r["rank_test_score"][r["pruned"]] == 4).all()  # after the 3 completed rows
    assert not r["pruned"][s.best_index_] and s.best_score_ == np.max(r["mean_test_score"][~r["pruned"]])
    # the times are those of the splits run
    assert np.isfinite(r["mean_fit_time"]).all() and np.isfinite(r["std_fit_time"]).all()
    for t in s.study_.trials:
        scores = t.user_attrs["split_test_scores"]
        # one report per split run: the running mean at step = split index
        assert list(t.intermediate_values) == list(range(len(scores)))
        assert list(t.intermediate_values.values()) == pytest.approx(np.cumsum(scores) / np.arange(1, len(scores) + 1))
        if t.state is TrialState.PRUNED:
            assert len(scores) == PRUNE_AFTER + 1 and len(t.user_attrs["fit_times"]) == PRUNE_AFTER + 1
            assert t.value == pytest.approx(np.mean(scores))  # its last report


def test_completed_scores_are_those_of_cross_val_score(data):
    X, y = data
    s = search(pruner=OddTrialsFromStep(PRUNE_AFTER), n_trials=2).fit(X, y)
    complete = s.study_.trials[0]
    expected = cross_val_score(LogisticRegression(max_iter=200, **complete.params), X, y, cv=StratifiedKFold(SPLITS))
    assert complete.user_attrs["split_test_scores"] == pytest.approx(expected)


def test_off_by_default(data):
    X, y = data
    s = search().fit(X, y)
    assert s.pruner is None and s.study_.pruner is None
    assert "pruned" not in s.cv_results_
    assert all(t.state is TrialState.COMPLETE and not t.intermediate_values for t in s.study_.trials)


def test_median_pruner_prunes_hopeless_regularisation(data):
    X, y = data
    s = HPSearchCV(LogisticRegression(max_iter=200), {"C": Float(1e-6, 1e2, log=True)}, strategy="random",
                   n_trials=20, cv=SPLITS, random_state=0, pruner=hpcore.MedianPruner(min_trials=3)).fit(X, y)
    trials = s.study_.trials
    pruned = [t for t in trials if t.state is TrialState.PRUNED]
    complete = [t for t in trials if t.state is TrialState.COMPLETE]
    assert pruned and complete
    assert s.study_.best_trial.state is TrialState.COMPLETE
    # pruned configurations are the strongly regularised ones
    assert np.median([t.params["C"] for t in pruned]) < np.median([t.params["C"] for t in complete])
    assert sum(len(t.user_attrs["fit_times"]) for t in trials) < SPLITS * len(trials)


def test_several_scorers_and_train_scores_of_a_pruned_row(data):
    X, y = data
    s = search(pruner=OddTrialsFromStep(PRUNE_AFTER), n_trials=2, scoring=["accuracy", "f1"], refit="accuracy",
               return_train_score=True).fit(X, y)
    r = s.cv_results_
    for key in ("test_accuracy", "test_f1", "train_accuracy", "train_f1"):
        row = [r[f"split{j}_{key}"][1] for j in range(SPLITS)]
        assert np.isfinite(row[:PRUNE_AFTER + 1]).all() and np.isnan(row[PRUNE_AFTER + 1:]).all(), key
        assert np.isnan(r[f"mean_{key}"][1])
    assert list(r["pruned"]) == [False, True]


def test_clone_keeps_the_pruner(data):
    s = search(pruner=hpcore.MedianPruner(warmup_steps=1))
    assert clone(s).pruner.config() == hpcore.MedianPruner(warmup_steps=1).config()
    assert "pruner" in s.get_params()


def test_pruned_rows_survive_a_resume(tmp_path, data):
    X, y = data
    db = tmp_path / "s.db"
    search(pruner=OddTrialsFromStep(PRUNE_AFTER), n_trials=2, storage=db).fit(X, y)
    again = search(pruner=OddTrialsFromStep(PRUNE_AFTER), n_trials=4, storage=db).fit(X, y)
    assert list(again.cv_results_["pruned"]) == [False, True, False, True]


def test_hyperband_refuses_a_pruner(data):
    X, y = data
    with pytest.raises(ValueError, match="pruner=.*hyperband"):
        search(strategy="hyperband", resource="max_iter", max_resources=27, pruner="median").fit(X, y)


def test_a_bad_pruner_setting_names_it(data):
    X, y = data
    with pytest.raises(ValueError, match="min_trials"):
        search(pruner={"name": "median", "min_trials": 0}).fit(X, y)


@pytest.mark.slow
def test_pruning_from_worker_processes_in_a_plain_script(tmp_path):
    script = tmp_path / "search.py"
    script.write_text(textwrap.dedent("""
        from sklearn.datasets import make_classification
        from sklearn.linear_model import LogisticRegression
        import hpcore
        from hpcore.adapters.sklearn import HPSearchCV

        X, y = make_classification(n_samples=200, n_features=8, n_informative=4, random_state=0)
        s = HPSearchCV(LogisticRegression(max_iter=200), {"C": hpcore.Float(1e-6, 1e2, log=True)},
                       strategy="random", n_trials=12, cv=5, random_state=0, n_jobs=2,
                       pruner=hpcore.MedianPruner(min_trials=2))
        s.fit(X, y)
        states = [t.state.value for t in s.study_.trials]
        print(states.count("PRUNED"), states.count("COMPLETE"), int(s.cv_results_["pruned"].sum()),
              bool(s.cv_results_["pruned"][s.best_index_]))
    """), encoding="utf-8")
    proc = subprocess.run([sys.executable, script.name], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    n_pruned, n_complete, marked, best_pruned = proc.stdout.split()
    assert int(n_pruned) > 0 and int(n_pruned) + int(n_complete) == 12 and int(marked) == int(n_pruned)
    assert best_pruned == "False"
