"""Following a study's trial list from one pruning decision to the next, at a cost that does
not grow with the study.

A pruner is shown the whole list of trials at every decision. Finished trials never change
(storages finish a trial once), so what a pruner derives from one can be computed once and kept;
what changes between two decisions is only the tail of the list (trials created since) and the
few trials that were not finished last time. `TrialFollower.update` looks at exactly those.
"""

from __future__ import annotations

import threading
from abc import abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hpcore.pruners.base import Pruner, make_pruner
from hpcore.trial import Trial

__all__ = ["CachingPruner", "TrialFollower", "Update"]


@dataclass(frozen=True)
class Update:
    """What changed in the trial list since the previous `TrialFollower.update`.

    restarted: True when the list is not a continuation of the one seen before (another study,
    or a list that lost or reordered trials): the caller drops everything it derived so far,
    and `finished` then holds every finished trial of the list.
    finished: trials finished since the previous update (each handed over once), in list order.
    unfinished: the trials of the list not finished now (RUNNING, WAITING), in list order.
    """

    restarted: bool
    finished: list[Trial]
    unfinished: list[Trial]


class TrialFollower:
    """Hands over each finished trial of a growing trial list once.

    Per update the cost is O(new trials + unfinished trials), not O(all trials), as long as the
    list only grows at its end (a study's trials in id order). A list that does not continue
    the previous one (checked by its length, the id at the previous end, and the study the
    trials belong to) starts over with a full scan.
    """

    def __init__(self) -> None:
        self._reset(None)

    def _reset(self, study: str | None) -> None:
        self._study = study
        self._length = 0                  # len() of the list at the previous update
        self._last_id: int | None = None  # id of its last trial
        self._open: list[int] = []        # indices of its trials that were not finished
        self._seen: set[int] = set()      # ids of the finished trials handed over

    def update(self, trials: Sequence[Trial], study: str | None = None) -> Update:
        """What changed since the previous call; `study` is the study's identity (`Trial.study`)."""
        n = len(trials)
        continues = (study == self._study and n >= self._length
                     and (self._length == 0 or trials[self._length - 1].id == self._last_id))
        if continues:
            candidates: Sequence[int] = [*self._open, *range(self._length, n)]
        else:
            self._reset(study)  # forget everything, then scan all
            candidates = range(n)
        finished, still_open = [], []
        for i in candidates:
            t = trials[i]
            if t.state.finished:
                if t.id not in self._seen:
                    self._seen.add(t.id)
                    finished.append(t)
            else:
                still_open.append(i)
        self._length, self._open = n, still_open
        self._last_id = trials[n - 1].id if n else None
        return Update(restarted=not continues, finished=finished, unfinished=[trials[i] for i in still_open])


class CachingPruner(Pruner):
    """A pruner that keeps what it derived from finished trials between decisions.

    Subclasses implement `_absorb(trial)` (take in one finished trial, called once per trial id)
    and `_forget()` (drop all of it), and call `_follow(trial, trials)` at the start of
    `decide`. Decisions hold a lock, so one pruner may serve several threads of a driver.
    A copy or a pickle of the pruner has its settings and an empty cache.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._follower = TrialFollower()

    def prune(self, trial: Trial, trials: Sequence[Trial], direction: str) -> bool:
        with self._lock:
            return super().prune(trial, trials, direction)

    def _follow(self, trial: Trial, trials: Sequence[Trial]) -> list[Trial]:
        """Absorb the trials finished since the last decision; the unfinished trials now."""
        update = self._follower.update(trials, trial.study)
        if update.restarted:
            self._forget()
        for t in update.finished:
            self._absorb(t)
        return update.unfinished

    @abstractmethod
    def _absorb(self, trial: Trial) -> None:
        """Take in `trial`, finished (COMPLETE, PRUNED or FAILED) and not seen before."""

    @abstractmethod
    def _forget(self) -> None:
        """Drop everything absorbed."""

    def __reduce__(self) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        return make_pruner, (self.config(),)
