"""The storage interface: studies and their trials, behind one small abstract class.

A storage only records; it never decides. Every write bumps a per-study version counter and
stamps the changed trial with it, so a reader syncs incrementally (`trials_since`) instead of
re-reading the whole history on every ask.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hpcore.trial import INTERRUPTED, Trial, TrialState

__all__ = ["TRIAL_FIELDS", "NumberTaken", "Storage", "StudyRecord", "open_storage"]

#: Trial fields a storage can update after creation.
TRIAL_FIELDS = frozenset(
    {"state", "value", "budget", "previous_budget", "config_id", "started_at", "finished_at", "error",
     "user_attrs", "meta", "params", "owner"}
)


class NumberTaken(Exception):
    """Raised by `Storage.create_trial` when another writer took the trial number first."""


@dataclass(frozen=True)
class StudyRecord:
    """A study as stored: its settings, to be compared with the current ones on resume."""

    id: int
    name: str
    direction: str
    space: Mapping[str, Any]
    strategy: Mapping[str, Any]
    seed: int
    created_at: float
    attrs: Mapping[str, Any] = field(default_factory=dict)
    n_trials: int = 0


class Storage(ABC):
    """Abstract storage of studies and trials."""

    @abstractmethod
    def get_study(self, name: str) -> StudyRecord | None:
        """The study called `name`, or None."""

    @abstractmethod
    def create_study(
        self, name: str, *, direction: str, space: Mapping, strategy: Mapping, seed: int, created_at: float
    ) -> StudyRecord:
        """Create a study; returns the existing one if another writer created it first."""

    @abstractmethod
    def list_studies(self) -> list[StudyRecord]:
        """All studies, with their trial counts."""

    @abstractmethod
    def update_study(self, study_id: int, **fields: Any) -> None:
        """Replace `space`, `strategy` or `attrs` of a study."""

    @abstractmethod
    def create_trial(self, study_id: int, number: int | None, **fields: Any) -> Trial:
        """Insert a trial with id `number`, which must be the next free number (else `NumberTaken`);
        None takes the next free number whatever it is."""

    @abstractmethod
    def claim_waiting(self, study_id: int, owner: str, now: float) -> Trial | None:
        """Atomically move the oldest WAITING trial to RUNNING and return it."""

    @abstractmethod
    def update_trial(self, study_id: int, number: int, **fields: Any) -> Trial:
        """Change fields (see `TRIAL_FIELDS`) of a trial; returns the new record."""

    @abstractmethod
    def trials_since(self, study_id: int, version: int) -> tuple[list[Trial], int]:
        """Trials written after `version`, and the current version."""

    @abstractmethod
    def running_owners(self, study_id: int) -> dict[int, str]:
        """Trial number -> owner string of every RUNNING trial."""

    def fail_stale(self, study_id: int, is_stale: Callable[[str], bool], now: float,
                   reason: str = "the process running this trial stopped before it finished") -> list[Trial]:
        """Mark RUNNING trials whose owner is gone as FAILED (interrupted); returns them."""
        failed = []
        for number, owner in self.running_owners(study_id).items():
            if is_stale(owner):
                failed.append(
                    self.update_trial(
                        study_id, number, state=TrialState.FAILED, finished_at=now,
                        error=INTERRUPTED + reason,
                    )
                )
        return failed

    def close(self) -> None:
        """Release resources (connections)."""


def open_storage(storage: str | os.PathLike | Storage | None) -> Storage:
    """None -> in memory; a path (or 'sqlite:///path') -> SQLite; a `Storage` -> itself."""
    from hpcore.storage.memory import MemoryStorage
    from hpcore.storage.sqlite import SQLiteStorage

    if storage is None:
        return MemoryStorage()
    if isinstance(storage, Storage):
        return storage
    if isinstance(storage, (str, os.PathLike)):
        path = os.fspath(storage)
        path = path.removeprefix("sqlite:///")
        if path == ":memory:":
            return MemoryStorage()
        return SQLiteStorage(Path(path))
    raise TypeError(f"storage must be None, a file path or a Storage, got {type(storage).__name__}")
