"""What every tuner of this adapter reads back from its study, without importing Keras.

`TunerBase` opens (or resumes) the project's SQLite study and gives KerasTuner's read side:
`get_best_trials`, `get_best_hyperparameters`, `search_space_summary`, `results_summary`,
`get_trial_dir`, `get_best_models`, and the `Trial` views that `tuner.oracle` hands out. The Keras
`Tuner` and the scikit-learn `SklearnTuner` both derive from it; each brings its own way of
running a trial, and of keeping and remaking a trial's model (`_kept_model`, `_remade_model`).

A subclass sets, before calling `_open_study`: `hypermodel`, `objective`, `strategy`, `seed`,
`max_trials`, `keep_best_models`, `project_dir`, `project_name`, `multi_fidelity`, `_overrides`,
`_tune_new`, `_allow_new`, and `pruner` if it prunes; and `_last_data` in each `search`.
"""

from __future__ import annotations

import shutil
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hpcore.adapters.keras.engine.trial import Trial as KerasTrial
from hpcore.adapters.keras.errors import FatalError
from hpcore.adapters.keras.hp_types import describe
from hpcore.adapters.keras.hypermodel import HyperModel
from hpcore.adapters.keras.hyperparameters import HyperParameters
from hpcore.adapters.keras.objective import Objective

from hpcore.space import Space
from hpcore.storage.sqlite import SQLiteStorage
from hpcore.strategies.base import Strategy
from hpcore.study import Study
from hpcore.trial import Trial

__all__ = ["DB_NAME", "INTERRUPTED", "TunerBase"]

#: the project's study file, in `directory/project_name/`
DB_NAME = "study.db"
#: prefix of the error of a trial stopped by Ctrl-C (it does not count towards max_trials)
INTERRUPTED = "interrupted: "


class TunerBase:
    """The study of a project and KerasTuner's views of it (see the module docstring)."""

    hypermodel: HyperModel
    objective: Objective
    strategy: Strategy
    study: Study
    seed: int | None
    max_trials: int | None
    keep_best_models: int
    multi_fidelity: bool
    project_dir: Path
    project_name: str
    directory: str
    _overrides: dict[str, Any]
    _tune_new: bool
    _allow_new: bool
    #: what stops unpromising trials early (`Study(pruner=...)`); None: the study's stored one, if any
    pruner: Any = None
    #: the data of this process's last `search`, which `get_best_models` remakes a model on
    _last_data: Any = None
    #: what `get_best_models` warns of the models it remade (`ids` and `k` are filled in)
    _REMADE: str = "remade trials {ids} (only the {k} best are kept; keep_best_models= keeps more)"

    # -- the project -------------------------------------------------------------------------------
    def _set_project(self, directory: Any, project_name: str | None) -> None:
        #: KerasTuner's attributes: the directory holding the project, as given (a string)
        self.directory = str(directory) if directory is not None else "."
        self.project_name = project_name or "untitled_project"
        self.project_dir = Path(self.directory) / self.project_name

    def _delete_project_files(self, subfolders: tuple[str, ...] = ("checkpoints", "best")) -> None:
        """Remove what this adapter wrote in the project directory (nothing else)."""
        d = self.project_dir
        for name in (DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm", DB_NAME + "-journal"):
            (d / name).unlink(missing_ok=True)
        for sub in subfolders:
            shutil.rmtree(d / sub, ignore_errors=True)

    def _declare_space(self) -> Space:
        """The initial space: one dry `build` with every default."""
        hp = self._new_hp(Space(), {})
        try:
            self._dry_build(hp)
        except FatalError:
            raise
        except Exception as e:
            warnings.warn(f"build(hp) with the default hyperparameters raised {type(e).__name__}: {e}; "
                          "starting with the parameters declared before the error", stacklevel=3)
        return Space(hp.new_definitions())

    def _dry_build(self, hp: HyperParameters) -> None:
        """`build(hp)` for the declarations it makes (the model is dropped)."""
        self.hypermodel.build(hp)

    def _new_hp(self, space: Space | Mapping[str, Any], params: Mapping[str, Any]) -> HyperParameters:
        hp = HyperParameters.from_trial(space, params)
        hp._overrides = dict(self._overrides)
        hp._tune_new = self._tune_new
        hp._allow_new = self._allow_new
        return hp

    def _open_study(self) -> Study:
        """The project's study: new, or resumed when its file holds one (whose declarations must
        match what `build` declares now)."""
        self._resuming = False
        storage = SQLiteStorage(self.project_dir / DB_NAME)
        space = self._declare_space()
        direction = self.objective.direction
        if storage.get_study(self.project_name) is None:
            return Study(space, strategy=self.strategy, direction=direction, storage=storage,
                         name=self.project_name, seed=self.seed, pruner=self.pruner)
        study = Study(None, strategy=self.strategy, direction=direction, storage=storage,
                      name=self.project_name, seed=self.seed, pruner=self.pruner)
        self._resuming = True  # the first search says so
        changed = [f"~ {n}: stored {study.space[n]!r}, build now declares {p!r}"
                   for n, p in space.items() if n in study.space and study.space[n] != p]
        if changed:
            raise ValueError(
                f"the project {str(self.project_dir)!r} holds a search whose build declared other "
                "hyperparameters:\n  " + "\n  ".join(changed)
                + "\npass overwrite=True to start again, or use another project_name"
            )
        study.extend_space({n: p for n, p in space.items() if n not in study.space})
        return study

    def _tell_interrupted(self, trial: Trial, e: BaseException) -> None:
        """Tell `trial` stopped by Ctrl-C (it does not count), and say under the traceback how to
        resume."""
        self.study.tell(trial, exception=f"{INTERRUPTED}{type(e).__name__}")
        if hasattr(e, "add_note"):  # printed under the traceback (Python 3.11+)
            e.add_note(f"hpcore: interrupted; the project keeps its finished trials in {self.project_dir}: "
                       "making the tuner again with the same directory and project_name resumes the search")

    def _counted(self, t: Trial) -> bool:
        """Trials that count towards max_trials: finished, not a duplicate, not interrupted."""
        return (t.state.finished and "duplicate_of" not in t.user_attrs
                and not (t.error or "").startswith(INTERRUPTED))

    # -- KerasTuner's views -----------------------------------------------------------------------
    def get_trial_dir(self, trial_id: int | str) -> str:
        """`project_dir/trial_<id>`, created, for files a user's code writes per trial (hpcore keeps
        its own records in `study.db`, `best/` and `checkpoints/`, not there)."""
        path = self.project_dir / f"trial_{trial_id}"
        path.mkdir(parents=True, exist_ok=True)
        return str(path)

    def _kt_trial(self, t: Trial) -> KerasTrial:
        """KerasTuner's view of the hpcore trial `t` (what `oracle.trials` holds)."""
        return KerasTrial.from_core(t, self._result_hp(t), self.objective.name)

    def _result_hp(self, t: Trial) -> HyperParameters:
        """The `hp` of a finished trial; with a budget, its values also show KerasTuner's
        `tuner/epochs`, `tuner/initial_epoch`, `tuner/bracket`, `tuner/round` and `tuner/trial_id`
        (the trial it continued), read-only."""
        hp = self._new_hp(self.study.space, t.params)
        if t.budget is not None:
            previous = next((p.id for p in self.study.trials if p.config_id is not None and p.config_id == t.config_id
                             and t.previous_budget is not None and p.budget == t.previous_budget), None)
            hp._budget_values = {"tuner/epochs": t.budget, "tuner/initial_epoch": t.previous_budget or 0,
                                 "tuner/bracket": t.meta.get("bracket"), "tuner/round": t.meta.get("rung"),
                                 "tuner/trial_id": previous}
        return hp

    # -- results -------------------------------------------------------------------------------------
    def _rank_key(self, t: Trial) -> tuple[float, float]:
        loss = t.value if self.objective.direction == "minimize" else -t.value  # type: ignore[operator]
        return (-(t.budget or 0), loss)

    def get_best_trials(self, num_trials: int = 1) -> list[Trial]:
        """The best completed trials, best first. With Hyperband, trials at the largest budget
        come first, and each configuration appears once (at its largest budget)."""
        ok = [t for t in self.study.trials if t.ok and "duplicate_of" not in t.user_attrs]
        if self.multi_fidelity:
            top: dict[Any, Trial] = {}
            for t in ok:
                key = t.config_id if t.config_id is not None else ("trial", t.id)
                if key not in top or (t.budget or 0) > (top[key].budget or 0):
                    top[key] = t
            ok = list(top.values())
        return sorted(ok, key=self._rank_key)[:num_trials]

    def get_best_models(self, num_models: int = 1) -> list[Any]:
        """The models of the best trials, best first. Those of the `keep_best_models` best are
        kept; any other is remade from its hyperparameters on the data of this process's last
        `search` (see the tuner's `_remade_model`), with a warning."""
        models, remade = [], []
        for t in self.get_best_trials(num_models):
            model = self._kept_model(t)
            if model is None:
                if self._last_data is None:
                    raise FileNotFoundError(f"the model of trial {t.id} was not kept ({self._kept_path(t)}); "
                                            "run search() in this process first, so it can be remade")
                model = self._remade_model(t, self._last_data)
                remade.append(t.id)
            models.append(model)
        if remade:
            warnings.warn("get_best_models: " + self._REMADE.format(ids=remade, k=self.keep_best_models),
                          stacklevel=2)
        return models

    def _kept_path(self, t: Trial) -> Path:
        """Where the model of trial `t` is kept (when it is one of the `keep_best_models` best)."""
        raise NotImplementedError

    def _kept_model(self, t: Trial) -> Any | None:
        """Trial `t`'s model as kept, or None when it was not kept."""
        raise NotImplementedError

    def _remade_model(self, t: Trial, data: Any) -> Any:
        """Trial `t`'s model made again on `data` (`_last_data`)."""
        raise NotImplementedError

    def get_best_hyperparameters(self, num_trials: int = 1) -> list[HyperParameters]:
        """`HyperParameters` of the best trials (`hp.values`, `hp.get(name)`; pass one to
        `tuner.hypermodel.build(hp)` to build that model)."""
        return [self._result_hp(t) for t in self.get_best_trials(num_trials)]

    def search_space_summary(self, extended: bool = False) -> None:
        """Print the search space known so far (it grows as trials declare new names), in
        KerasTuner's layout: each parameter's name, KerasTuner type and config. `extended` is
        accepted and changes nothing (as in KerasTuner)."""
        print("Search space summary")
        print(f"Default search space size: {len(self.study.space)}")
        for name, p in self.study.space.items():
            config = describe(name, p).get_config()
            config.pop("name")
            print(f"{name} ({type(describe(name, p)).__name__})")
            print(config)

    def results_summary(self, num_trials: int = 10) -> None:
        """Print the best trials in KerasTuner's layout (`Trial <id> summary`, its
        hyperparameters, `Score: <value>`)."""
        print("Results summary")
        print(f"Results in {self.project_dir}")
        print(f"Showing {num_trials} best trials")
        print(self.objective)
        for trial in self.oracle.get_best_trials(num_trials):  # type: ignore[attr-defined]
            print()
            trial.summary()

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(strategy={self.strategy!r}, objective={self.objective!r}, "
                f"project={str(self.project_dir)!r}, trials={len(self.study.trials)})")


def used_params(study: Study, trial: Trial, hp: HyperParameters) -> dict[str, Any] | None:
    """The configuration a trial really used, for `Study.tell(params=...)`: the trial's own
    parameters plus any name the model declared during the trial (the study's space is extended
    with those first). None when it equals the trial's, or when it does not validate (e.g. an
    active name the model never read: the trial's own parameters stand)."""
    new = hp.new_definitions()
    if new:
        study.extend_space(new)
    used = {**trial.params, **{n: v for n, v in hp.all_values().items() if n not in trial.params}}
    if used == dict(trial.params):
        return None
    try:
        return study.space.validate(used)
    except ValueError:
        return None
