"""In-memory storage: the default when a study has no file. Thread-safe."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from hpcore.storage.base import (
    TRIAL_FIELDS,
    NumberTaken,
    Storage,
    StudyRecord,
    report_on_waiting,
    step_not_after,
)
from hpcore.trial import IntermediateValues, Trial, TrialAlreadyFinished, TrialState

__all__ = ["MemoryStorage"]


class MemoryStorage(Storage):
    """Studies and trials in dictionaries, for one process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._studies: dict[str, StudyRecord] = {}
        self._trials: dict[int, list[Trial]] = {}
        # Write log: entry v-1 is the trial number written at version v, so a sync after
        # version v reads only the log's tail.
        self._log: dict[int, list[int]] = {}
        self._owners: dict[int, dict[int, str]] = {}

    def get_study(self, name: str) -> StudyRecord | None:
        rec = self._studies.get(name)
        return None if rec is None else rec.__class__(**{**rec.__dict__, "n_trials": len(self._trials[rec.id])})

    def create_study(self, name: str, *, direction: str, space: Mapping, strategy: Mapping, seed: int,
                     created_at: float) -> StudyRecord:
        with self._lock:
            if name not in self._studies:
                sid = len(self._studies) + 1
                self._studies[name] = StudyRecord(sid, name, direction, dict(space), dict(strategy), seed,
                                                  created_at)
                self._trials[sid], self._log[sid], self._owners[sid] = [], [], {}
            return self._studies[name]

    def list_studies(self) -> list[StudyRecord]:
        return [self.get_study(n) for n in self._studies]  # type: ignore[misc]

    def update_study(self, study_id: int, **fields: Any) -> None:
        with self._lock:
            for name, rec in self._studies.items():
                if rec.id == study_id:
                    self._studies[name] = rec.__class__(**{**rec.__dict__, **fields})

    def _stamp(self, study_id: int, number: int) -> None:
        self._log[study_id].append(number)

    def create_trial(self, study_id: int, number: int | None, **fields: Any) -> Trial:
        owner = fields.pop("owner", None)
        with self._lock:
            trials = self._trials[study_id]
            if number is None:
                number = len(trials)
            elif number != len(trials):
                raise NumberTaken(number)
            trial = Trial(id=number, **fields)
            trials.append(trial)
            self._stamp(study_id, number)
            if trial.state is TrialState.RUNNING and owner:
                self._owners[study_id][number] = owner
            return trial

    def claim_waiting(self, study_id: int, owner: str, now: float) -> Trial | None:
        with self._lock:
            for t in self._trials[study_id]:
                if t.state is TrialState.WAITING:
                    new = t.replace(state=TrialState.RUNNING, started_at=now)
                    self._trials[study_id][t.id] = new
                    self._owners[study_id][t.id] = owner
                    self._stamp(study_id, t.id)
                    return new
        return None

    def update_trial(self, study_id: int, number: int, *, only_unfinished: bool = False, **fields: Any) -> Trial:
        bad = set(fields) - TRIAL_FIELDS
        if bad:
            raise ValueError(f"cannot update trial fields {sorted(bad)}")
        owner = fields.pop("owner", None)
        with self._lock:  # check and write under one lock: the compare-and-set of `only_unfinished`
            current = self._trials[study_id][number]
            if only_unfinished and current.state.finished:
                raise TrialAlreadyFinished(current)
            new = current.replace(**fields)
            self._trials[study_id][number] = new
            if new.state is not TrialState.RUNNING:
                self._owners[study_id].pop(number, None)
            elif owner:
                self._owners[study_id][number] = owner
            self._stamp(study_id, number)
            return new

    def report(self, study_id: int, number: int, step: int, value: float) -> None:
        with self._lock:
            trials = self._trials[study_id]
            if not 0 <= number < len(trials):
                raise KeyError(f"no trial {number} in study {study_id}")
            current = trials[number]
            if current.state.finished:
                raise TrialAlreadyFinished(current)
            if current.state is TrialState.WAITING:
                raise report_on_waiting(number)
            values = current.intermediate_values
            if not isinstance(values, IntermediateValues):
                values = IntermediateValues(values)
            last = values.last
            if last is not None and step <= last[0]:
                raise step_not_after(number, step, last[0])
            trials[number] = current.replace(intermediate_values=values.appended(step, value))
            self._stamp(study_id, number)

    def trials_since(self, study_id: int, version: int) -> tuple[list[Trial], int]:
        with self._lock:
            trials, log = self._trials[study_id], self._log[study_id]
            if version == 0:
                return list(trials), len(log)
            numbers = sorted(set(log[version:]))
            return [trials[n] for n in numbers], len(log)

    def running_owners(self, study_id: int) -> dict[int, str]:
        with self._lock:
            return dict(self._owners[study_id])
