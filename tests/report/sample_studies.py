"""Small studies for the report's tests, written to SQLite files as a user's scripts would."""

from __future__ import annotations

import math
from pathlib import Path

import hpcore
from hpcore.trial import TrialState

#: Error text of the failed trials: markup that must be shown as text and never run.
HOSTILE = "diverged: <script>window.__hpcore_xss = 1</script><img src=x onerror=\"window.__hpcore_xss = 2\">"

MLP_SPACE = hpcore.Space({
    "lr": hpcore.Float(1e-5, 1e-1, log=True),
    "units": hpcore.Int(16, 512, log=True),
    "dropout": hpcore.Float(0.0, 0.5),
    "opt": hpcore.Choice(["adam", "sgd"]),
    "momentum": hpcore.Float(0.0, 0.99, condition={"opt": ["sgd"]}),
})


def mlp_value(p: dict) -> float:
    """A made-up validation loss: best near lr = 1e-3, 128 units, no dropout, sgd momentum 0.9."""
    v = (math.log10(p["lr"]) + 3) ** 2 + 0.3 * (math.log2(p["units"]) - 7) ** 2 + p["dropout"]
    return v + (0.5 * (p["momentum"] - 0.9) ** 2 if p["opt"] == "sgd" else 0.0)


def mlp_objective(p: dict) -> float:
    if p["dropout"] > 0.45:
        raise RuntimeError(HOSTILE)
    return mlp_value(p)


def random_study(db: Path, n: int = 60, name: str = "mlp-random") -> hpcore.Study:
    """Random search on MLP_SPACE: some trials fail (dropout > 0.45) with HOSTILE in the error."""
    study = hpcore.Study(MLP_SPACE, strategy="random", storage=db, name=name, seed=0)
    study.optimize(mlp_objective, n_trials=n, verbose=False)
    return study


HB_SPACE = hpcore.Space({"x": hpcore.Float(-5, 5), "y": hpcore.Float(0, 15), "c": hpcore.Choice(["a", "b", "c"])})


def hyperband_study(db: Path, name: str = "hb") -> hpcore.Study:
    """One Hyperband iteration, budgets 1 to 27 (eta 3): 4 brackets."""
    study = hpcore.Study(HB_SPACE, strategy=hpcore.Hyperband(min_budget=1, max_budget=27, eta=3), storage=db,
                         name=name, seed=1)

    def objective(p: dict, budget: float) -> float:
        return (p["x"] - 1) ** 2 + 0.1 * (p["y"] - 3) ** 2 + {"a": 0, "b": 1, "c": 2}[p["c"]] + 5 / budget

    study.optimize(objective, verbose=False)
    return study


def pruned_study(db: Path, n: int = 12, name: str = "curves") -> hpcore.Study:
    """Ask/tell with reported learning curves (10 steps): every third trial is told PRUNED at step 4."""
    study = hpcore.Study(hpcore.Space({"rate": hpcore.Float(0.01, 1.0, log=True)}), strategy="random", storage=db,
                         name=name, seed=2)
    for k in range(n):
        trial = study.ask()
        rate = trial.params["rate"]
        for step in range(10):
            study.report(trial, 1.0 / (1.0 + rate * (step + 1)), step)
            if k % 3 == 2 and step == 4:
                study.tell(trial, state=TrialState.PRUNED)
                break
        else:
            study.tell(trial, 1.0 / (1.0 + rate * 10))
    return study
