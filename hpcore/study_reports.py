"""A study's intermediate reports and pruning decisions, for every caller in the driver: a
`RunningTrial` handle of an objective running in this process, the report channel's server
thread answering workers (`hpcore.report_channel`), and ask/tell users (`Study.report`,
`Study.should_prune`).

Reports are written straight to the storage (which is thread-safe). Decisions are taken on a
view of the study's trials that this object keeps in sync with the storage by version (the
same incremental read a `Study` makes), apart from the study's own list: the channel's thread
may ask while the driver's main thread is inside a strategy's `suggest`, which must not see its
trial list change under it.
"""

from __future__ import annotations

import threading
from typing import Any

from hpcore.storage.base import Storage
from hpcore.trial import Trial

__all__ = ["StudyReports"]


class StudyReports:
    """Writes a study's reports and answers `should_prune` from its pruner. Thread-safe.

    pruner: a `hpcore.pruners.Pruner`, or None (no pruning: `should_prune` is False at once and
        costs nothing beyond the report's write).
    """

    def __init__(self, storage: Storage, study_id: int, direction: str, pruner: Any | None) -> None:
        self._storage = storage
        self._study_id = study_id
        self._direction = direction
        self.pruner = pruner
        self._lock = threading.Lock()
        self._trials: list[Trial] = []  # the pruner's view of the study, by id
        self._version = 0

    def report(self, trial_id: int, step: int, value: float) -> None:
        """Store a report (see `Storage.report`: checked steps, finished trials refused)."""
        self._storage.report(self._study_id, trial_id, step, value)

    def should_prune(self, trial_id: int) -> bool:
        """The pruner's decision on the trial's latest report, with every trial of the study as
        stored now (running ones with their reports so far). False without a pruner or before
        the trial's first report; True for a trial already finished (stopped by the driver, e.g.
        for its timeout): its objective, still running somewhere, should stop."""
        if self.pruner is None:
            return False
        with self._lock:
            self._sync()
            if not 0 <= trial_id < len(self._trials):
                raise KeyError(f"no trial {trial_id} in this study")
            trial = self._trials[trial_id]
            if trial.state.finished:
                return True
            if not trial.intermediate_values:
                return False
            # The view itself, not a copy: a copy per report would cost O(trials). Pruners only read it.
            return bool(self.pruner.prune(trial, self._trials, self._direction))

    def release(self) -> None:
        """Nothing to free: this object serves every trial of the study."""

    def _sync(self) -> None:
        changed, self._version = self._storage.trials_since(self._study_id, self._version)
        trials = self._trials
        for t in changed:
            if t.id < len(trials):
                trials[t.id] = t
            else:
                assert t.id == len(trials), "trials arrive in id order"
                trials.append(t)
