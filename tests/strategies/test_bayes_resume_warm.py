"""A study resumed in a new process starts its first GP fit from the θ the last process stored,
instead of a cold multi-start."""

import numpy as np
import pytest
from hpcore.benchmarks.functions import get_function

from hpcore import Study
from hpcore.gp.model import GaussianProcess
from hpcore.strategies.bayes import _LOCAL_THETA_KEY, _THETA_KEY, _stored_theta


def _run(db, n_trials, seed=4):
    fn = get_function("hartmann6")
    study = Study(fn.space(), strategy="bayes", storage=db, name="h", seed=seed)
    study.optimize(fn.params_call, n_trials=n_trials, verbose=False)
    return study


def test_model_led_trials_store_the_fitted_theta(tmp_path):
    study = _run(tmp_path / "a.db", 12)
    led = [t for t in study.trials if not t.meta.get("design")]
    assert len(led) == 5
    for t in led:
        theta = t.meta[_THETA_KEY]
        assert len(theta) == 6 + 2 and np.all(np.isfinite(theta))
    assert not any(_THETA_KEY in t.meta for t in study.trials if t.meta.get("design"))
    gp = study.strategy._gp
    assert led[-1].meta[_THETA_KEY] == pytest.approx(list(gp.theta))


def test_resumed_study_warm_starts_from_the_stored_theta(tmp_path):
    db = tmp_path / "b.db"
    first = _run(db, 40)
    stored = first.trials[-1].meta[_THETA_KEY]
    resumed = Study(storage=db, name="h")
    trial = resumed.ask()
    gp = resumed.strategy._gp
    assert not gp.last_fit_restarted  # one warm L-BFGS-B run from the stored θ
    assert np.max(np.abs(gp.theta - np.array(stored))) < 1.0
    resumed.tell(trial, get_function("hartmann6").params_call(trial.params))

    # Without the stored θ (a study written before it was stored) the first fit is cold.
    cold = Study(storage=db, name="h")
    for t in cold.trials:
        t.meta.pop(_THETA_KEY, None)
    cold.ask()
    assert cold.strategy._gp.last_fit_restarted


def test_resumed_study_warm_starts_the_local_model_too(tmp_path):
    # Before, the local model (see test_bayes_local_model.py) began cold after a resume.
    db = tmp_path / "c.db"
    fn = get_function("bohachevsky")
    first = Study(fn.space(), strategy="bayes", storage=db, name="b", seed=0)
    first.optimize(fn.params_call, n_trials=40, verbose=False)
    local = [t for t in first.trials if "local_points" in t.meta]
    assert local and all(len(t.meta[_LOCAL_THETA_KEY]) == 2 + 2 for t in local)
    assert not any(_LOCAL_THETA_KEY in t.meta for t in first.trials if "local_points" not in t.meta)

    resumed = Study(storage=db, name="b")
    trial = resumed.ask()
    assert "local_points" in trial.meta
    gp = resumed.strategy._local_gp
    assert not gp.last_fit_restarted
    assert np.max(np.abs(gp.theta - np.array(local[-1].meta[_LOCAL_THETA_KEY]))) < 1.0

    cold = Study(storage=db, name="b")
    for t in cold.trials:
        t.meta.pop(_LOCAL_THETA_KEY, None)
    assert "local_points" in cold.ask().meta
    assert cold.strategy._local_gp.last_fit_restarted


def test_stored_theta_takes_the_newest_valid_one():
    class T:
        def __init__(self, id, meta):
            self.id, self.meta = id, meta

    trials = [T(0, {_THETA_KEY: [0.0] * 4}), T(1, {_THETA_KEY: [1.0] * 4}), T(2, {}),
              T(3, {_THETA_KEY: [2.0] * 5}), T(4, {_THETA_KEY: [float("nan")] * 4}), T(5, {_THETA_KEY: "x"})]
    assert list(_stored_theta(trials, 2)) == [1.0] * 4
    assert list(_stored_theta(trials, 3)) == [2.0] * 5
    assert _stored_theta(trials, 7) is None
    assert _stored_theta(trials, 2, _LOCAL_THETA_KEY) is None
    trials.append(T(6, {_LOCAL_THETA_KEY: [3.0] * 4}))
    assert list(_stored_theta(trials, 2, _LOCAL_THETA_KEY)) == [3.0] * 4
    assert list(_stored_theta(trials, 2)) == [1.0] * 4


def test_warm_start_from_is_used_once_and_only_for_matching_dimensions():
    rng = np.random.default_rng(0)
    X, y = rng.random((30, 3)), rng.random(30)
    reference = GaussianProcess(seed=0).fit(X, y)
    hinted = GaussianProcess(seed=0)
    hinted.warm_start_from(reference.theta)
    hinted.fit(X, y)
    assert not hinted.last_fit_restarted and hinted.last_fit_nfev < reference.last_fit_nfev
    assert hinted.theta == pytest.approx(reference.theta, abs=1e-2)  # the same optimum, to L-BFGS-B tolerance
    wrong = GaussianProcess(seed=0)
    wrong.warm_start_from(np.zeros(7))  # for d = 5: ignored, cold fit
    wrong.fit(X, y)
    assert wrong.last_fit_restarted
    with pytest.raises(ValueError, match="finite"):
        GaussianProcess().warm_start_from([0.0, np.inf, 0.0])
