"""The storage interface: studies and their trials, behind one small abstract class.

A storage only records; it never decides. Every write bumps a per-study version counter and
stamps the changed trial with it, so a reader syncs incrementally (`trials_since`) instead of
re-reading the whole history on every ask. A report of an intermediate value (`report`) is such
a write too, so readers in other processes see running trials' reports.
"""

from __future__ import annotations

import json
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from hpcore.trial import INTERRUPTED, Trial, TrialAlreadyFinished, TrialState

__all__ = ["TRIAL_FIELDS", "NumberTaken", "Storage", "StudyRecord", "dumps_json", "open_storage", "report_on_waiting",
           "step_not_after", "storable_attrs"]

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

    @property
    def uid(self) -> str:
        """The study's identity, the same in every process and on every machine that opens it
        (made of what was stored at its creation: name, seed, creation time), and different
        for another study of the same name in another storage. Stamped on its trials."""
        return f"{self.name}#{self.seed}@{self.created_at!r}"


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
    def update_trial(self, study_id: int, number: int, *, only_unfinished: bool = False, **fields: Any) -> Trial:
        """Change fields (see `TRIAL_FIELDS`) of a trial; returns the new record.

        only_unfinished: write only if the trial is not finished (WAITING or RUNNING), as one
            compare-and-set in the storage; else raise `TrialAlreadyFinished` (with the stored
            record) and change nothing, not even the version."""

    @abstractmethod
    def report(self, study_id: int, number: int, step: int, value: float) -> None:
        """Store the intermediate `value` a RUNNING trial reported at `step` (an int >= 0, checked
        by the caller), at once, and bump the version (the trial comes back from `trials_since`
        with it in `intermediate_values`). A stored value never changes: a `step` not larger
        than every step the trial reported before is a `ValueError` naming both steps.
        Raises `TrialAlreadyFinished` for a finished trial and `ValueError` for a WAITING one,
        writing nothing. NaN and ±inf are stored as given. Per report the cost is a few indexed
        statements, never a scan of the trial's reports."""

    def finish_trial(self, study_id: int, number: int, **fields: Any) -> Trial:
        """Finish a trial that is not finished yet: `fields` must hold a finished `state`, and
        are written by compare-and-set (`update_trial(only_unfinished=True)`), so of several
        writers finishing one trial (two handles telling it, a tell and a cleanup) exactly one
        wins; the others get `TrialAlreadyFinished`."""
        check_finish_fields(fields)
        return self.update_trial(study_id, number, only_unfinished=True, **fields)

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
                try:
                    failed.append(self.finish_trial(study_id, number, state=TrialState.FAILED, finished_at=now,
                                                    error=INTERRUPTED + reason))
                except TrialAlreadyFinished:
                    pass  # finished by its owner since running_owners was read: its result stays
        return failed

    def close(self) -> None:
        """Release resources (connections)."""


def check_finish_fields(fields: Mapping[str, Any]) -> None:
    """Refuse fields `finish_trial` cannot write (a state that is not finished)."""
    if "state" not in fields or not TrialState(fields["state"]).finished:
        raise ValueError(f"finish_trial needs a finished state (COMPLETE, PRUNED or FAILED), got "
                         f"{fields.get('state')!r}")


def step_not_after(number: int, step: int, last: int) -> ValueError:
    """The error of a report whose step does not follow the trial's last reported one."""
    return ValueError(f"trial {number} reported step {step}, but its last reported step is {last}: steps must "
                      "increase (a stored value never changes; report each step once, in order)")


def report_on_waiting(number: int) -> ValueError:
    return ValueError(f"trial {number} is WAITING (enqueued, not started): only a running trial reports values")


def _json_default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"{type(o).__name__} is not JSON serialisable")


def dumps_json(o: Any) -> str:
    """JSON text of `o` as storages write it: NumPy scalars and arrays as numbers and lists,
    NaN and ±inf allowed (Python's `json` reads them back)."""
    return json.dumps(o, default=_json_default, allow_nan=True)


#: Longest repr kept for a user attribute JSON cannot hold.
_REPR_LIMIT = 1000


def storable_attrs(attrs: Mapping[Any, Any]) -> tuple[dict[str, Any], list[str]]:
    """User attributes as every storage keeps them, and the names of those that had to change.

    Values become what JSON gives back (tuples lists, NumPy scalars and arrays Python numbers
    and lists, keys strings), in memory as in a file, so a study reads the same after a reload.
    A value JSON cannot hold (an object, a tuple key inside it, a circular list) is replaced by
    its repr (at most 1,000 characters), and so is a key JSON cannot hold (a tuple): the rest of
    the attributes, and the trial's value, are stored all the same. Returns (stored attributes,
    reprs of the keys whose key or value was replaced).
    """
    stored: dict[str, Any] = {}
    changed: list[str] = []
    for key, value in attrs.items():
        name = key if isinstance(key, str) else _json_key(key)
        try:
            kept, as_given = json.loads(dumps_json(value)), name is not None
        except (TypeError, ValueError, OverflowError, RecursionError):  # ValueError: circular, huge int
            kept, as_given = _short_repr(value), False
        stored[_short_repr(key) if name is None else name] = kept
        if not as_given:
            changed.append(_short_repr(key))
    return stored, changed


def _json_key(key: Any) -> str | None:
    """What JSON makes of a non-string key: numbers, booleans and None as JSON spells them
    (1 -> "1", True -> "true"); None for a key JSON cannot hold (a tuple)."""
    if isinstance(key, (int, float, bool)) or key is None:
        try:
            return next(iter(json.loads(json.dumps({key: 0}))))
        except ValueError:  # an int too long for str()
            return None
    return None


def _short_repr(value: Any) -> str:
    try:
        text = repr(value)
    except Exception:  # a broken __repr__, an int too long to print
        text = f"<{type(value).__name__} object>"
    return text if len(text) <= _REPR_LIMIT else text[:_REPR_LIMIT] + "..."


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
