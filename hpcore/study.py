"""Study: a named optimisation with ask/tell, warm starts, and `optimize` on any executor.

The study owns the storage and the trial numbering; the strategy only proposes. Results
are stored as each trial completes, so a crash loses at most the trials that were running,
and those are marked FAILED when the study is opened again.
"""

from __future__ import annotations

import bisect
import copy
import logging
import numbers
import os
import secrets
import socket
import sys
import time
import traceback
import uuid
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any

from hpcore.errors import SettingsMismatch, StudyExhausted, TooManyFailures, TrialPruned
from hpcore.execution import (
    InlineExecutor,
    IsolatedPool,
    PortableObjective,
    ProcessPool,
    call_style,
    parse_value,
)
from hpcore.real_numbers import checked_report
from hpcore.recommendation import posterior_best_trial
from hpcore.run import (
    OptimizeRun,
    checked_callbacks,
    checked_catch,
    checked_counts,
    checked_int,
    checked_trial_timeout,
    stacklevel_outside_hpcore,
)
from hpcore.space import Parameter, Space
from hpcore.storage.base import NumberTaken, Storage, open_storage, storable_attrs
from hpcore.strategies.base import (
    PlanCutShortWarning,
    Strategy,
    SuggestContext,
    make_strategy,
    strategy_from_config,
)
from hpcore.study_reports import StudyReports
from hpcore.trial import (
    INTERRUPTED,
    RESERVED,
    Incumbent,
    Suggestion,
    Trial,
    TrialAlreadyFinished,
    TrialState,
    last_report,
)

__all__ = ["Result", "Study", "StudyExhausted", "TooManyFailures", "TrialAlreadyFinished", "TrialPruned", "maximize",
           "minimize"]

log = logging.getLogger("hpcore")

_HOST = socket.gethostname()


@dataclass(frozen=True)
class Result:
    """What `minimize`/`maximize`/`Study.optimize` return."""

    best_trial: Trial | None
    trials: list[Trial]
    study: Study

    @property
    def best_params(self) -> dict[str, Any] | None:
        return None if self.best_trial is None else dict(self.best_trial.params)

    @property
    def best_value(self) -> float | None:
        return None if self.best_trial is None else self.best_trial.value

    @property
    def recommended_trial(self) -> Trial | None:
        """The evaluated configuration with the best GP posterior mean among these trials
        (noise-aware; see `Study.recommended_trial`). One GP fit per access."""
        return posterior_best_trial(self.trials, self.study.space, self.study.direction, seed=self.study.seed)

    @property
    def recommended_params(self) -> dict[str, Any] | None:
        rec = self.recommended_trial
        return None if rec is None else dict(rec.params)

    @property
    def n_full_budget(self) -> int | None:
        """How many of `trials` (the whole study's) completed with a finite value at the
        strategy's `max_budget`: 0 means `best_trial` was evaluated at a lower budget only (a run
        stopped early). None for a strategy without budgets (no `max_budget`)."""
        top = self.study.strategy.max_budget
        if top is None:
            return None
        return sum(1 for t in self.trials if t.ok and t.budget is not None and t.budget >= top)


def _make_pruner(spec: Any) -> Any:
    """`hpcore.pruners.make_pruner(spec)` as a copy of its own (a pruner may cache what it derived
    from one study's trials), or None for None without importing the pruners."""
    if spec is None:
        return None
    from hpcore.pruners import make_pruner

    return copy.deepcopy(make_pruner(spec))


def _told_state(state: TrialState | str | None, exception: Any) -> TrialState | None:
    """`tell(state=...)` checked: None, or a finished state that fits `exception`."""
    if state is None:
        return None
    try:
        told = TrialState(state)
    except ValueError:
        told = None
    if told is None or not told.finished:
        raise ValueError(f"tell: state must be COMPLETE, PRUNED or FAILED, got {state!r}")
    if exception is not None and told is not TrialState.FAILED:
        raise ValueError(f"tell: an exception makes the trial FAILED; it cannot be told {told.value} with one")
    return told


def _owner_gone(owner: str) -> bool:
    """True when the process that owns a RUNNING trial is known to be dead (same host only)."""
    try:
        host, pid_text, _ = owner.split(":", 2)
        pid = int(pid_text)
    except ValueError:
        return False
    if host != _HOST:
        return False  # another machine's process: cannot tell
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class Study:
    """A named optimisation of a space, persisted in `storage` (None: in memory).

    Opening a study with a name that exists in the storage resumes it: trial ids go on, the
    strategy rebuilds its state from the stored trials, and trials left RUNNING by a dead
    process are marked FAILED. Settings given on resume are compared with the stored ones and
    a difference is an error that shows the difference (pass `allow_changes=True` to switch
    strategy or pruner on purpose); settings left out are taken from storage.

    pruner: what stops running trials early from their reported intermediate values
        (`hpcore.MedianPruner(...)`, a name such as "median", or a config dict; see
        `hpcore.pruners.make_pruner`). None: no pruning for a new study, the stored pruner on
        resume. Stored with the study. Objectives report through their `trial` argument
        (`trial.report(value, step)`, `trial.should_prune()`); ask/tell users through
        `Study.report` and `Study.should_prune`.
    """

    def __init__(
        self,
        space: Space | Mapping[str, Parameter] | None = None,
        strategy: str | Strategy | None = None,
        direction: str | None = None,
        storage: str | os.PathLike | Storage | None = None,
        name: str | None = None,
        seed: int | None = None,
        *,
        pruner: Any = None,
        allow_changes: bool = False,
    ) -> None:
        if direction not in (None, "minimize", "maximize"):
            raise ValueError(f"direction must be 'minimize' or 'maximize', got {direction!r}")
        if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool) or seed < 0):
            raise ValueError(f"seed must be a non-negative integer or None, got {seed!r}")
        if space is not None and not isinstance(space, Space):
            space = Space(space)
        self._storage = open_storage(storage)
        self.name = name or "study"
        self._owner = f"{_HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        rec = self._storage.get_study(self.name)
        new_pruner = _make_pruner(pruner)  # a bad pruner setting is refused before a study is created
        created = rec is None
        if rec is None:
            if space is None:
                raise ValueError(f"study {self.name!r} does not exist in this storage; a new study needs a space")
            strat = make_strategy(strategy)
            strat.check(space)
            rec = self._storage.create_study(
                self.name, direction=direction or "minimize", space=space.to_dict(), strategy=strat.config(),
                seed=secrets.randbits(32) if seed is None else seed, created_at=time.time(),
            )
        strat, self._pruner = self._reconcile(rec, space, strategy, direction, seed, allow_changes,
                                              pruner=new_pruner, given_pruner=pruner is not None, created=created)
        self._id = rec.id
        self.direction = rec.direction
        self.seed = rec.seed
        self.space = space if space is not None else Space.from_dict(rec.space)
        self.strategy = strat
        self._uid = rec.uid
        self._trials: list[Trial] = []
        self._shown: list[Trial] = []  # _trials less the reserved ones: what strategies see
        self._reserved: list[int] = []  # ids of reserved trials (`Trial.reserved`), ascending
        self._waiting: set[int] = set()
        self._incumbent = Incumbent(self.direction)  # best_trial, kept as trials finish
        self._version = 0
        self._stop = False
        self._reports = StudyReports(self._storage, self._id, self.direction, self._pruner)
        for t in self._storage.fail_stale(self._id, _owner_gone, time.time()):
            log.warning("trial %d was left RUNNING by a process that stopped; marked FAILED", t.id)
        self._sync()

    def _reconcile(self, rec: Any, space: Space | None, strategy: str | Strategy | None, direction: str | None,
                   seed: int | None, allow_changes: bool, *, pruner: Any, given_pruner: bool,
                   created: bool) -> tuple[Strategy, Any]:
        """The strategy and pruner to use, after checking the given settings against the stored
        ones (a `SettingsMismatch` lists every difference) and storing an allowed switch."""
        problems: dict[str, str] = {}
        if direction is not None and rec.direction != direction:
            problems["direction"] = f"stored {rec.direction!r}, given {direction!r}"
        if seed is not None and rec.seed != seed:
            problems["seed"] = f"stored {rec.seed}, given {seed}"
        if space is not None:
            stored = Space.from_dict(rec.space)
            if stored != space:
                problems["space"] = "\n    " + "\n    ".join(stored.diff(space))
        # A strategy object may carry caches tied to one history: every study gets its own copy.
        strat = strategy_from_config(rec.strategy) if strategy is None else copy.deepcopy(make_strategy(strategy))
        switch = strat.config() != dict(rec.strategy)
        if switch and not allow_changes:
            problems["strategy"] = f"stored {dict(rec.strategy)}, given {strat.config()}"
        stored_pruner = rec.attrs.get("pruner")  # a config dict, or None: no pruning
        given_config = None if pruner is None else pruner.config()
        switch_pruner = given_pruner and given_config != stored_pruner
        if switch_pruner and not (allow_changes or created):
            problems["pruner"] = f"stored {stored_pruner or 'none'}, given {given_config}"
        if problems:
            raise SettingsMismatch(rec.name, problems)
        if not given_pruner:
            try:
                pruner = _make_pruner(stored_pruner)
            except ValueError as e:  # e.g. a pruner class of the user's, which no name rebuilds
                raise ValueError(f"study {rec.name!r} is stored with pruner {stored_pruner}, which cannot be "
                                 f"rebuilt from its settings ({e}); pass the pruner again (pruner=...) to reopen "
                                 "it") from e
        if switch:  # only once every other setting matched: a refused open changes nothing
            self._storage.update_study(rec.id, strategy=strat.config())
        if switch_pruner:
            self._storage.update_study(rec.id, attrs={**rec.attrs, "pruner": given_config})
        return strat, pruner

    # -- state ------------------------------------------------------------------------------------
    def _sync(self) -> None:
        changed, self._version = self._storage.trials_since(self._id, self._version)
        for t in changed:
            t = t.replace(study=self._uid)
            self._incumbent.add(t)
            if t.id < len(self._trials):
                old, self._trials[t.id] = self._trials[t.id], t
            else:
                assert t.id == len(self._trials), "trials arrive in id order"
                old = None
                self._trials.append(t)
            self._show(old, t)
            if t.state is TrialState.WAITING:
                self._waiting.add(t.id)
            else:
                self._waiting.discard(t.id)

    def _show(self, old: Trial | None, t: Trial) -> None:
        """Keep `_shown` in step with one trial that changed from `old` (None: a new trial) to
        `t`, without a copy of the history: an unreserved trial's place in `_shown` is its id
        less the number of reserved ids below it."""
        k = bisect.bisect_left(self._reserved, t.id)
        if t.reserved:
            assert old is None or old.reserved, "a trial is reserved from its creation only"
            if old is None:
                self._reserved.insert(k, t.id)
        elif old is not None and not old.reserved:
            self._shown[t.id - k] = t
        else:  # a new trial, or a reservation that got its configuration
            if old is not None:
                del self._reserved[k]
            self._shown.insert(t.id - k, t)

    @property
    def storage(self) -> Storage:
        return self._storage

    @property
    def pruner(self) -> Any:
        """The study's pruner (a `hpcore.pruners.Pruner`), None when it prunes nothing."""
        return self._pruner

    @property
    def uid(self) -> str:
        """The identity of this study (name, seed and creation time as stored), the same for
        every handle and process that opens it; its trials carry it as `Trial.study`."""
        return self._uid

    @property
    def trials(self) -> list[Trial]:
        """Every trial of the study, by id (synced with the storage)."""
        self._sync()
        return list(self._trials)

    @property
    def best_trial(self) -> Trial | None:
        """The best COMPLETE trial; with budgets, the best at the largest budget completed; when
        no trial completed, the best PRUNED one among those pruned at the largest last step
        (`hpcore.trial.best_trial`'s rule, kept incrementally: no scan of the history)."""
        self._sync()
        return self._incumbent.best()

    @property
    def best_params(self) -> dict[str, Any] | None:
        best = self.best_trial
        return None if best is None else dict(best.params)

    @property
    def best_value(self) -> float | None:
        best = self.best_trial
        return None if best is None else best.value

    @property
    def recommended_trial(self) -> Trial | None:
        """The evaluated trial whose configuration has the best Gaussian-process posterior mean.

        For noisy objectives: `best_trial` is the best *observation*, often a lucky draw; this
        is the configuration the evidence of all results (its neighbours included) says is
        best. Same candidates as `best_trial` (finite results at the largest budget); equal to
        it for fewer than 4 results. Costs one GP fit (bounded to the 1,000 best results).
        """
        self._sync()
        return posterior_best_trial(self._trials, self.space, self.direction, seed=self.seed)

    def extend_space(self, params: Mapping[str, Parameter]) -> None:
        """Add parameters to the space mid-study (define-by-run search spaces); stored trials keep
        their parameters, and the new ones count as absent (inactive) for them."""
        new = self.space.extend(params)
        if new != self.space:
            self.space = new
            self._storage.update_study(self._id, space=new.to_dict())

    # -- ask / tell ------------------------------------------------------------------------------
    def ask(self) -> Trial:
        """Start a trial: the next enqueued configuration, else the strategy's suggestion.
        Raises `StudyExhausted` when the strategy has nothing left.

        Trial ids are handed out by the storage, so processes sharing a study never get the same
        one. For a strategy whose suggestion costs a model fit (Bayesian optimisation) the id
        is reserved before the suggestion is computed: meanwhile the trial is RUNNING with no
        parameters (`Trial.reserved`), and if the suggestion fails (Ctrl-C during the fit) it
        stays FAILED (interrupted) with none. Other strategies suggest first and, when another
        process took the id meanwhile, suggest again for the next one (cheap for them)."""
        self._sync()
        now = time.time()
        while self._waiting:
            claimed = self._storage.claim_waiting(self._id, self._owner, now)
            self._sync()
            if claimed is None:
                break
            if claimed.budget is None and self.strategy.multi_fidelity:
                sug = self.strategy.adopt(self._context(claimed.id), claimed)
                claimed = self._storage.update_trial(
                    self._id, claimed.id, budget=sug.budget, previous_budget=sug.previous_budget,
                    config_id=sug.config_id, meta=dict(sug.meta),
                )
                self._sync()
            return self._trials[claimed.id]
        # Not near the end of a finite space: there a suggestion may be None (nothing left), and
        # the reserved id would stay behind as a FAILED trial. Over half the space left, a
        # never-repeating strategy always finds a configuration.
        if self.strategy.reserves_trial_id and 2 * len(self._trials) < self.space.size:
            return self._ask_reserved(now)
        for _ in range(1000):
            number = len(self._trials)
            sug = self._suggest(number)
            try:
                trial = self._create(number, sug, TrialState.RUNNING, now)
            except NumberTaken:  # another process took this id: learn its trial and suggest again
                self._sync()
                continue
            self._sync()
            return self._trials[trial.id]
        raise RuntimeError("could not reserve a trial id after 1000 attempts")

    def _suggest(self, number: int) -> Suggestion:
        sug = self.strategy.suggest(self._context(number))
        if sug is None:
            raise StudyExhausted(f"{self.strategy.name} strategy has nothing left to try after "
                                 f"{len(self._trials)} trials")
        return sug

    def _ask_reserved(self, now: float) -> Trial:
        """`ask` for a strategy whose suggestion costs a model fit (`Strategy.reserves_trial_id`):
        take the next id first (a RUNNING trial without parameters, `Trial.reserved`), then
        compute the suggestion and fill it in. Processes sharing the study never race for an id
        with a finished fit in hand, so no fit is thrown away.

        If the suggestion cannot be made (nothing left, an error, Ctrl-C), the reserved trial is
        finished as FAILED (interrupted): ids stay gapless, and strategies skip it."""
        trial = self._reserve(now)
        try:
            sug = self._suggest(trial.id)
        except BaseException as e:
            why = "the strategy had nothing left to try" if isinstance(e, StudyExhausted) else type(e).__name__
            self._release(trial.id, why)
            raise
        for _ in range(1000):
            try:
                self._storage.update_trial(
                    self._id, trial.id, only_unfinished=True, params=dict(sug.params), budget=sug.budget,
                    previous_budget=sug.previous_budget, config_id=sug.config_id, meta=dict(sug.meta))
            except TrialAlreadyFinished:
                # Finished by another handle while the fit ran (fail_running): the suggestion does
                # not depend on its id, so it goes to a new one.
                trial = self._reserve(now)
                continue
            self._sync()
            return self._trials[trial.id]
        raise RuntimeError("could not keep a reserved trial id after 1000 attempts")

    def _reserve(self, now: float) -> Trial:
        t = self._storage.create_trial(self._id, None, params={}, state=TrialState.RUNNING,
                                       meta={"source": RESERVED}, created_at=now, started_at=now, owner=self._owner)
        self._sync()
        return self._trials[t.id]

    def _release(self, tid: int, why: str) -> None:
        """Finish a reserved trial that got no configuration (FAILED, interrupted)."""
        try:
            self._storage.finish_trial(self._id, tid, state=TrialState.FAILED, finished_at=time.time(),
                                       error=f"{INTERRUPTED}no configuration was suggested for this reserved id: {why}")
        except TrialAlreadyFinished:
            pass  # finished by another handle (fail_running) meanwhile
        finally:
            self._sync()

    def _context(self, number: int) -> SuggestContext:
        # Reserved trials (no parameters yet, or never: their process stopped) are not shown to
        # strategies: `_shown` is kept without them as trials sync, so no ask copies the history.
        return SuggestContext(self.space, self._shown, self.direction, number, self.seed)

    def _create(self, number: int | None, sug: Suggestion, state: TrialState, now: float, **extra: Any) -> Trial:
        return self._storage.create_trial(
            self._id, number, params=dict(sug.params), state=state, budget=sug.budget,
            previous_budget=sug.previous_budget, config_id=sug.config_id, meta=dict(sug.meta),
            created_at=now, started_at=now if state is not TrialState.WAITING else None,
            owner=self._owner, **extra,
        )

    def _trial_id(self, trial: Trial | int) -> int:
        """The id of `trial` (a `Trial` of this study, or an integer id), checked."""
        if isinstance(trial, Trial):
            if trial.study is not None and trial.study != self._uid:
                raise ValueError(f"trial {trial.id} belongs to another study ({trial.study}), not to study "
                                 f"{self.name!r} ({self._uid}): tell a trial to the study that asked it")
            tid = trial.id
        elif isinstance(trial, numbers.Integral) and not isinstance(trial, bool):
            tid = int(trial)
        else:  # True would be trial 1, 1.0 a float id
            raise TypeError(f"a trial must be a Trial or an integer trial id, got {type(trial).__name__} {trial!r}")
        if not 0 <= tid < len(self._trials):
            self._sync()
            if not 0 <= tid < len(self._trials):
                raise ValueError(f"no trial {tid} in study {self.name!r}")
        return tid

    # -- intermediate values and pruning ---------------------------------------------------------------
    def report(self, trial: Trial | int, value: Any, step: Any) -> None:
        """Store an intermediate `value` of the running `trial` at `step`, at once (ask/tell users;
        an objective given to `optimize` calls `trial.report(value, step)` on its handle).

        step: an int >= 0 larger than every step this trial reported before (else `ValueError`
            naming both: a stored value never changes); a bool or a float is a `TypeError`.
        value: a real number; a bool, None or a string is a `TypeError`. NaN and ±inf are
            stored as reported, and every pruner (but `NopPruner`) then prunes the trial.
        Raises `TrialAlreadyFinished` for a finished trial (nothing is written)."""
        tid = self._trial_id(trial)
        number, step = checked_report(value, step)
        self._reports.report(tid, step, number)

    def should_prune(self, trial: Trial | int) -> bool:
        """Whether the study's pruner says the running `trial` should stop now, judged on its
        latest report and on every other trial's reports as stored now. False without a pruner
        or before the trial's first report. Then end it with `tell(trial, state=TrialState.PRUNED)`.
        Raises `RuntimeError` for a trial that has ended."""
        tid = self._trial_id(trial)
        current = self._trials[tid]
        if current.state.finished:
            raise RuntimeError(f"trial {tid} has ended ({current.state.value}): should_prune() asks about a running "
                               "trial")
        return self._reports.should_prune(tid)

    def tell(
        self,
        trial: Trial | int,
        value: Any = None,
        *,
        state: TrialState | str | None = None,
        exception: BaseException | str | None = None,
        user_attrs: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Trial:
        """Finish a trial with its objective value, as PRUNED, or as FAILED with `exception`.

        state: None (COMPLETE, or FAILED when `exception` is given), `TrialState.COMPLETE`,
            `TrialState.PRUNED` (after `should_prune` said so: `value` defaults to the last value
            the trial reported, None if it reported none; a given one must be a finite real
            number) or `TrialState.FAILED` (with `exception`, or without: then its error says it
            was told so). Its name ("PRUNED") works too.

        `trial` is a `Trial` this study handed out (one of another study is refused with a
        `ValueError`) or an integer id (a `bool` or a float is a `TypeError`). Any handle on the
        study may finish a trial, not only the one that asked it: ask in one process and tell
        in another is ask/tell across processes. A trial is finished once: the first `tell` (or
        cleanup of a dead process's trials) wins in the storage itself, by compare-and-set, and
        a later one raises `TrialAlreadyFinished` (a `ValueError`) and changes nothing.

        A value that is NaN, infinite, too large for a float (``10**400``) or not a real number
        (a string such as ``"0.5"``, bytes, None, a bool, a complex number) makes the trial FAILED
        (with the reason stored in `error`) instead of raising, so a study driven by ask/tell
        goes on. User attributes JSON cannot hold are stored as their repr, with a warning naming
        them. `params` replaces the trial's configuration with the one really evaluated, for
        define-by-run spaces that grew during the trial (extend the space first)."""
        tid = self._trial_id(trial)
        current = self._trials[tid]
        if current.state.finished:
            raise TrialAlreadyFinished(current)
        told = _told_state(state, exception)
        clean = None if params is None else self.space.validate(params)
        attrs = dict(current.user_attrs)
        attrs.update(self._storable(user_attrs or {}))
        now = time.time()
        if told is TrialState.PRUNED:
            if value is None:
                return self._finish(tid, None, None, attrs, now, params=clean, pruned=True)
            v, extra = parse_value(value)  # a bad value is a ValueError here: the trial stays RUNNING
            return self._finish(tid, v, None, {**attrs, **extra}, now, params=clean, pruned=True, value_given=True)
        if told is TrialState.FAILED and exception is None:
            exception = "told FAILED (Study.tell(trial, state=TrialState.FAILED), no exception given)"
        if exception is not None:
            error = exception if isinstance(exception, str) else "".join(
                traceback.format_exception(type(exception), exception, exception.__traceback__))
            return self._finish(tid, None, error, attrs, now, params=clean)
        try:
            v, extra = parse_value(value)
        except ValueError as e:
            log.warning("trial %d failed: %s", tid, e)
            return self._finish(tid, None, str(e), attrs, now, params=clean)
        attrs.update(extra)
        return self._finish(tid, v, None, attrs, now, params=clean)

    def _finish(self, tid: int, value: float | None, error: str | None, attrs: Mapping[Any, Any], now: float,
                started_at: float | None = None, params: Mapping[str, Any] | None = None, *,
                pruned: bool = False, value_given: bool = False) -> Trial:
        """Store a trial's result, once: raises `TrialAlreadyFinished` (after refreshing this
        handle's trials) when another handle or process finished it first. `attrs` are storable
        already (`_storable`, or `parse_value` where the objective returned them).

        pruned: finish it as PRUNED, with its last reported value unless `value_given`."""
        if pruned:
            state = TrialState.PRUNED
            if not value_given:
                self._sync()  # its reports, written by this process or a worker through the driver
                last = last_report(self._trials[tid])
                value = None if last is None else last[1]
        else:
            state = TrialState.COMPLETE if error is None else TrialState.FAILED
        fields: dict[str, Any] = {
            "state": state, "value": value, "error": error, "user_attrs": dict(attrs), "finished_at": now,
        }
        if started_at is not None:
            fields["started_at"] = started_at
        if params is not None:
            fields["params"] = dict(params)
        try:
            t = self._storage.finish_trial(self._id, tid, **fields)
        finally:
            self._sync()
        return self._trials[t.id]

    @staticmethod
    def _storable(attrs: Mapping[Any, Any]) -> dict[str, Any]:
        """`attrs` as storages keep them (`storable_attrs`), with one warning naming what JSON
        cannot hold (kept as its repr), so that such an attribute never costs the result. The
        message names no trial: Python's warning filter then shows it once, not every trial."""
        stored, changed = storable_attrs(attrs)
        if changed:
            warnings.warn(f"user attribute(s) {', '.join(changed)} cannot be stored as JSON; stored as their "
                          "repr (numbers, strings, lists and dicts of them are kept as data)", UserWarning,
                          stacklevel=stacklevel_outside_hpcore())
        return stored

    def add(self, params: Mapping[str, Any], value: float, *, budget: float | None = None,
            user_attrs: Mapping[str, Any] | None = None) -> Trial:
        """Record a result obtained elsewhere (a warm start): stored as COMPLETE, not re-evaluated.

        Raises `ValueError` for a value that is not a finite real number (NaN, ±inf, a string
        such as ``"0.3"``, an integer too large for a float such as ``10**400``): nothing is
        stored then. User attributes JSON cannot hold are stored as their repr, with a warning."""
        clean = self.space.validate(params)
        v, extra = parse_value(value)
        attrs = self._storable({**extra, **(user_attrs or {})})
        now = time.time()
        t = self._create(None, Suggestion(clean, budget=budget, meta={"source": "added"}), TrialState.COMPLETE,
                         now, value=v, finished_at=now, user_attrs=attrs)
        self._sync()
        return self._trials[t.id]

    def enqueue(self, params: Mapping[str, Any], *, user_attrs: Mapping[str, Any] | None = None) -> Trial:
        """Queue a configuration to be evaluated before any new suggestion."""
        clean = self.space.validate(params)
        t = self._create(None, Suggestion(clean, meta={"source": "enqueued"}), TrialState.WAITING, time.time(),
                         user_attrs=self._storable(user_attrs or {}))
        self._sync()
        return self._trials[t.id]

    def fail_running(self, reason: str = "marked failed by the user") -> list[Trial]:
        """Mark every RUNNING trial FAILED (e.g. after a crash on another machine)."""
        out = self._storage.fail_stale(self._id, lambda owner: True, time.time(), reason)
        self._sync()
        return [self._trials[t.id] for t in out]

    def stop(self) -> None:
        """Ask a running `optimize` to start no new trials (callable from a callback)."""
        self._stop = True

    # -- optimize ------------------------------------------------------------------------------------
    def optimize(
        self,
        objective: Callable[..., Any],
        n_trials: int | None = None,
        timeout: float | None = None,
        n_workers: int | None = None,
        executor: Executor | None = None,
        *,
        catch: type[BaseException] | Sequence[type[BaseException]] = (Exception,),
        max_failures: int | None = None,
        callbacks: Iterable[Callable[[Study, Trial], None]] = (),
        verbose: bool = True,
        trial_timeout: float | None = None,
    ) -> Result:
        """Run `n_trials` more trials (or until `timeout` seconds, or the strategy is exhausted).

        n_trials: None (default) runs until the strategy has nothing left: the rest of a
            Hyperband plan (all its `iterations`) or of a grid; a strategy with no natural end
            (random, bayes) then runs until `timeout` or `stop()`. An `n_trials` that stops
            inside a Hyperband bracket gives one `PlanCutShortWarning`, with the plan's count.
        objective: `f(params) -> float`, or `f(params, budget) -> float` for multi-fidelity
            strategies; it may return a dict with a "value" key whose other keys are stored as
            user attributes. An objective with a parameter named `trial` (`f(params, trial)`,
            `f(params, budget, trial)`) gets a `hpcore.RunningTrial` handle: the trial's id,
            params, budget, previous_budget and config_id, and `trial.report(value, step)`,
            `trial.should_prune()`, `trial.prune()` for pruning (`raise hpcore.TrialPruned()`
            ends the trial as PRUNED with its last reported value). This works the same in
            worker processes and on Dask, where each report travels to this process, which owns
            the storage and the pruner (`hpcore.report_channel`), and back.
        n_workers: > 1 runs trials in parallel in local worker processes (`hpcore.execution.IsolatedPool`:
            no `if __name__ == "__main__":` guard needed, objectives defined in `__main__` work,
            one BLAS thread per worker, a worker that dies fails only its own trial, started for
            this call and stopped at its end, or at once on Ctrl-C); `executor` takes any
            `concurrent.futures.Executor` (e.g. a Dask client's `get_executor()` or
            `hpcore.DaskExecutor`), and then n_workers is how many trials are kept in flight
            (default: the executor's `n_workers` attribute when it has one, else 1).
        catch: exception types that make a FAILED trial; others stop the run (after marking the
            trial FAILED) and propagate.
        max_failures: stop with `TooManyFailures` once more trials than this failed in this run
            (a PRUNED trial is a result, not a failure: it does not count).
        timeout: seconds after which no trial starts. Trials still running in worker processes
            then (n_workers > 1, `trial_timeout`, an executor) are stopped at once: their
            workers are killed when the pool is this call's own (a Dask task is cancelled, but a
            call already running in a worker thread runs to its end there), and they are marked
            FAILED as interrupted ("interrupted: timed out ..."), as on Ctrl-C, so a resumed
            Hyperband runs them again. Without workers the objective runs in this process, where
            a Python call cannot be interrupted: the trial running at the deadline finishes
            first; pass `trial_timeout` to bound it.
        trial_timeout: seconds each trial may run. Every trial then runs in a worker process of
            its own (also with n_workers=1), which is killed when the trial is over time: the
            trial is FAILED ("timed out after N s"), the study goes on, and the next trial gets
            a new worker. The time counts from when the objective starts in its worker: a new
            worker's start-up (a fresh interpreter importing hpcore and the objective's modules,
            seconds under load) is not counted. With n_workers > 1 each worker is a pool of its
            own, so killing one stops no other trial. Not with `executor`, whose calls hpcore
            cannot stop.

        Every argument is checked before anything runs: a wrong type or value (``timeout="10"``,
        ``n_trials=True``, ``catch=ValueError("x")``, ``callbacks=f`` instead of ``[f]``) is a
        `TypeError` or `ValueError` naming the argument. An objective's value that is not a
        finite real number (a string such as ``"0.5"``, ``10**400``, NaN) is a FAILED trial.
        """
        n_trials, timeout, max_failures = checked_counts(n_trials, timeout, max_failures)
        if executor is not None and not callable(getattr(executor, "submit", None)):
            raise TypeError(f"executor must be a concurrent.futures.Executor (with a submit method), "
                            f"got {type(executor).__name__} {executor!r:.60}")
        if n_workers is None:
            n_workers = int(getattr(executor, "n_workers", 1) or 1) if executor is not None else 1
        n_workers = checked_int("n_workers", n_workers, minimum=1)
        catch = checked_catch(catch)
        callbacks = checked_callbacks(callbacks)
        trial_timeout = checked_trial_timeout(trial_timeout, executor)
        style = call_style(objective, needs_budget=self.strategy.multi_fidelity, strategy=self.strategy.name)
        self.strategy.check(self.space)
        info = self.strategy.describe(self.space)
        if info and verbose:
            print(f"hpcore: {info}", file=sys.stderr)
        if n_trials is not None:
            cut = self.strategy.cut_short(self.space, self.trials, n_trials)
            if cut is not None:
                warnings.warn(cut, PlanCutShortWarning, stacklevel=stacklevel_outside_hpcore())
        self._stop = False
        own_pool = executor is None and (n_workers > 1 or trial_timeout is not None)
        if own_pool:
            # Each worker a pool of its own: one that dies (or is killed for trial_timeout) fails
            # only its own trial and is replaced, where in one shared pool every trial running
            # beside it would fail too. Throughput is the same or better: `python -m
            # hpcore.benchmarks.dask_scaling --executors pool,isolated` (docs/benchmarks.md).
            executor = IsolatedPool(n_workers)
        elif executor is None:
            executor = InlineExecutor()
        remote = not isinstance(executor, InlineExecutor)
        fn = PortableObjective(objective) if remote else objective
        if isinstance(executor, (ProcessPool, IsolatedPool)):  # no worker started yet: the pool starts them on first submit
            fn.check()  # one clear TypeError now, not a PicklingError in every trial
        server = None
        reporter: Any = None
        if style.trial:  # the objective can report: in this process directly, from workers through a channel
            if remote:
                from hpcore.report_channel import ReportServer

                server = ReportServer(self._reports, host=getattr(executor, "report_host", None) or "127.0.0.1")
                reporter = server.client()
            else:
                reporter = self._reports
        run = OptimizeRun(self, fn, style, executor, n_trials, timeout, n_workers, catch, max_failures,
                   callbacks, verbose, trial_timeout=trial_timeout, reporter=reporter)
        try:
            run.loop()
        finally:
            try:
                if own_pool:
                    run.executor.shutdown(wait=True, cancel_futures=True)
            finally:
                if server is not None:  # after the workers stopped: none is left waiting for an answer
                    server.close()
        self._sync()
        return Result(self.best_trial, list(self._trials), self)

    def __repr__(self) -> str:
        return (f"Study(name={self.name!r}, strategy={self.strategy!r}, direction={self.direction!r}, "
                f"trials={len(self._trials)})")


#: Trials `minimize` and `maximize` run when `n_trials` is left out and the strategy has no natural
#: end (random search, Bayesian optimisation).
DEFAULT_N_TRIALS = 100


def _run_new(direction: str, objective: Callable[..., Any], space: Space | Mapping[str, Parameter],
             strategy: str | Strategy, n_trials: int | None, seed: int | None, **kwargs: Any) -> Result:
    """`minimize`/`maximize`: a study (new, or resumed with `storage` and `name`), then `optimize`.
    `n_trials=None` is the strategy's natural length (see `minimize`)."""
    study_kw = {k: kwargs.pop(k) for k in ("storage", "name", "pruner") if k in kwargs}
    study = Study(space, strategy=strategy, direction=direction, seed=seed, **study_kw)
    return study.optimize(objective, n_trials=natural_n_trials(study) if n_trials is None else n_trials, **kwargs)


def natural_n_trials(study: Study) -> int | None:
    """What `n_trials=None` means for `minimize`, `maximize` and `hpcore run`: None (run until the
    strategy is done) when the strategy has a natural end (Hyperband's plan, a grid), else
    `DEFAULT_N_TRIALS`, since without a count it would run forever."""
    return None if study.strategy.planned_trials(study.space, study.trials) is not None else DEFAULT_N_TRIALS


def minimize(objective: Callable[..., Any], space: Space | Mapping[str, Parameter], strategy: str | Strategy = "random",
             n_trials: int | None = None, seed: int | None = None, **kwargs: Any) -> Result:
    """Minimise `objective` over `space`.

    n_trials: how many trials to run. None (default): the strategy's natural length: the whole
        plan for Hyperband (every bracket of its `iterations`, e.g. 206 trials for
        `Hyperband(min_budget=1, max_budget=81, eta=3)`), the whole grid for grid search, and
        `DEFAULT_N_TRIALS` (100) for strategies with no natural end (random, bayes), also when a
        `timeout` is given (pass a large `n_trials` to run until the timeout). An `n_trials`
        that stops inside a Hyperband bracket gives one `PlanCutShortWarning`.

    Keyword arguments go to `Study` (storage, name, pruner) and `Study.optimize` (timeout, n_workers,
    executor, catch, max_failures, callbacks, verbose, trial_timeout). With `storage` and `name`
    of an existing study it resumes that study, and n_trials=None is what is left of the plan or
    grid.
    """
    return _run_new("minimize", objective, space, strategy, n_trials, seed, **kwargs)


def maximize(objective: Callable[..., Any], space: Space | Mapping[str, Parameter], strategy: str | Strategy = "random",
             n_trials: int | None = None, seed: int | None = None, **kwargs: Any) -> Result:
    """Maximise `objective` over `space` (see `minimize`, also for the default `n_trials`)."""
    return _run_new("maximize", objective, space, strategy, n_trials, seed, **kwargs)
