"""One call of `Study.optimize`: its argument checks, the loop that keeps the workers busy and
records each result as it comes, and what the terminal shows meanwhile (the progress bar, failure
lines above it, the resume hint after Ctrl-C).

`OptimizeRun` drives a `Study` through its methods (`ask`, `_finish`, `best_value`) and never
touches storage itself.
"""

from __future__ import annotations

import logging
import math
import numbers
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from typing import TYPE_CHECKING, Any

from hpcore.errors import StudyExhausted, TooManyFailures
from hpcore.execution import CallStyle, InlineExecutor, Outcome, evaluate
from hpcore.running_trial import Reporter
from hpcore.trial import INTERRUPTED, Trial, TrialAlreadyFinished, TrialState, last_report

if TYPE_CHECKING:
    from hpcore.study import Study

__all__ = ["OptimizeRun", "checked_callbacks", "checked_catch", "checked_counts", "checked_int",
           "checked_trial_timeout", "stacklevel_outside_hpcore"]

log = logging.getLogger("hpcore")


def _progress_bar(total: int | None) -> Any:
    # Imported here: verbose=False runs skip tqdm. tqdm.auto (the notebook widget) costs twice
    # tqdm.std's import (asyncio, IPython checks), so it is taken only inside a Jupyter kernel.
    if "ipykernel" in sys.modules:
        from tqdm.auto import tqdm
    else:
        from tqdm.std import tqdm

    return tqdm(total=total, unit="trial", dynamic_ncols=True, file=sys.stderr, leave=True)


class _NoBar:
    """What `OptimizeRun` uses instead of a tqdm bar when verbose=False."""

    disable = True

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix(self, **kwargs: Any) -> None:
        pass

    def write(self, text: str, file: Any = None) -> None:
        pass

    def close(self) -> None:
        pass


class _ThroughBar(logging.Handler):
    """Prints hpcore's warnings above the progress bar (`tqdm.write`) instead of across it.

    Attached to the "hpcore" logger only while a bar is shown, and only when logging is not
    configured: Python's last-resort handler would then print the same WARNING records straight
    to stderr, in the middle of the bar. An application that configured logging keeps its own
    handlers (tqdm's `logging_redirect_tqdm` makes those cooperate with the bar); the root logger
    is never touched.
    """

    def __init__(self, bar: Any) -> None:
        super().__init__(logging.WARNING)  # what the last-resort handler prints
        self.bar = bar

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.bar.write(self.format(record), file=sys.stderr)
        except Exception:
            self.handleError(record)

    @classmethod
    def attach(cls, bar: Any) -> _ThroughBar | None:
        """A handler on the "hpcore" logger for a shown `bar`; None when not needed."""
        if bar.disable or log.hasHandlers():
            return None
        handler = cls(bar)
        log.addHandler(handler)
        return handler


def _resume_hint(study: Study) -> str:
    """What to do after Ctrl-C stopped `optimize`: how to reopen a stored study to resume it."""
    done = sum(t.state.finished and not t.interrupted for t in study._trials)
    storage = study.storage
    where = getattr(storage, "path", None)
    if where is None:
        return (f"hpcore: interrupted; study {study.name!r} was in memory: its {done} finished trials are in "
                "this Study object only (a study with storage='study.db' can resume after a stop)")
    return (f"hpcore: interrupted; study {study.name!r} keeps its {done} finished trials in {where}.\n"
            f"hpcore: to resume, run the same code again: a Study (or minimize/maximize) opened with "
            f"storage={str(where)!r}, name={study.name!r} goes on where it stopped.")


def _add_note(error: BaseException, note: str) -> None:
    """Attach `note` to an exception on its way out (printed under its traceback)."""
    if hasattr(error, "add_note"):
        error.add_note(note)
    else:  # Python 3.10
        log.warning("%s", note)


def checked_trial_timeout(trial_timeout: Any, executor: Executor | None) -> float | None:
    """`optimize(trial_timeout=...)`: a positive, finite number of seconds, or None; refused with
    an executor of the user's, whose running calls hpcore cannot stop."""
    if trial_timeout is None:
        return None
    if (isinstance(trial_timeout, bool) or not isinstance(trial_timeout, numbers.Real)
            or not 0 < float(trial_timeout) < math.inf):  # NaN fails too
        raise ValueError(f"trial_timeout must be a positive number of seconds (or None), got "
                         f"{type(trial_timeout).__name__} {trial_timeout!r:.60}")
    if executor is not None:
        raise ValueError(f"trial_timeout cannot be used with executor={type(executor).__name__}: it runs each trial "
                         "in a worker process of hpcore's own, which it kills when the trial is over time, and "
                         "cannot stop calls on another executor; leave executor out (n_workers=... sets the "
                         "number of workers) or use timeout=... for the whole run")
    return float(trial_timeout)


class OptimizeRun:
    """One call of `Study.optimize`: keeps up to n workers busy and records results as they come."""

    def __init__(self, study: Study, objective: Callable[..., Any], style: CallStyle, executor: Executor,
                 n_trials: int | None, timeout: float | None, n_workers: int, catch: tuple,
                 max_failures: int | None, callbacks: list, verbose: bool,
                 trial_timeout: float | None = None, reporter: Reporter | None = None) -> None:
        self.study, self.objective, self.style, self.executor = study, objective, style, executor
        self.reporter = reporter  # where objectives that take `trial` report (see `evaluate`)
        self.n_trials, self.n_workers, self.catch = n_trials, n_workers, catch
        self.max_failures, self.callbacks, self.verbose = max_failures, callbacks, verbose
        self.timeout, self.trial_timeout = timeout, trial_timeout
        self.deadline = None if timeout is None or math.isinf(timeout) else time.monotonic() + timeout
        self.inline = isinstance(executor, InlineExecutor)
        self.in_flight: dict[Future, Trial] = {}
        # With trial_timeout: the earliest time each trial can be over time (see `_stop_trials_over_time`).
        self.trial_deadlines: dict[Future, float] = {}
        self.started = self.completed = self.failed = self.pruned = 0
        self.first_error: str | None = None
        self.exhausted = False
        self.submitting: Trial | None = None

    def _may_start(self) -> bool:
        if self.study._stop or self.exhausted:
            return False
        if self.n_trials is not None and self.started >= self.n_trials:
            return False
        return self.deadline is None or time.monotonic() < self.deadline

    def loop(self) -> None:
        # The total is what will run as far as known: n_trials, or the rest of a Hyperband plan
        # or a grid when that is less (or n_trials is None).
        planned = self.study.strategy.planned_trials(self.study.space, self.study.trials)
        total = min((n for n in (self.n_trials, planned) if n is not None), default=None)
        bar = _progress_bar(total) if self.verbose else _NoBar()
        self.bar = bar
        through_bar = _ThroughBar.attach(bar)
        try:
            capacity = 1 if self.inline else self.n_workers
            while True:
                while len(self.in_flight) < capacity and self._may_start():
                    try:
                        trial = self.study.ask()
                    except StudyExhausted as e:
                        if self.in_flight:
                            break  # e.g. Hyperband waits for a rung: ask again after the next result
                        self.exhausted = True
                        log.info("%s", e)
                        if self.verbose:
                            bar.write(f"hpcore: {e}; stopping", file=sys.stderr)
                        break
                    self.started += 1
                    self.submitting = trial  # an inline run happens inside submit
                    fut = self._submit(trial)
                    self.submitting = None
                    self.in_flight[fut] = trial
                    if self.trial_timeout is not None:
                        self.trial_deadlines[fut] = time.monotonic() + self.trial_timeout
                if not self.in_flight:
                    break
                # Never past a deadline: the wait ends at the next one, the run's or a trial's.
                done, _ = wait(list(self.in_flight), timeout=self._time_to_deadline(), return_when=FIRST_COMPLETED)
                for fut in done:
                    self.trial_deadlines.pop(fut, None)
                    self._record(fut, self.in_flight.pop(fut))
                self._stop_trials_over_time()
                if self.in_flight and self.deadline is not None and time.monotonic() >= self.deadline:
                    self._stop_at_deadline()
        except BaseException as e:
            # KeyboardInterrupt, an uncaught objective error, or TooManyFailures: leave the storage
            # consistent (nothing RUNNING that no one runs), then let it propagate.
            self._abandon(type(e).__name__)
            if isinstance(e, KeyboardInterrupt):
                _add_note(e, _resume_hint(self.study))
            raise
        finally:
            if through_bar is not None:
                log.removeHandler(through_bar)
            bar.close()
        if self.started and not self.completed and self.failed == self.started:
            raise TooManyFailures(f"all {self.failed} trials failed; the first error:\n{self.first_error}")

    def _time_to_deadline(self) -> float | None:
        """Seconds until the next deadline (the run's `timeout`, a trial's `trial_timeout`); None
        when there is none."""
        deadlines = list(self.trial_deadlines.values())
        if self.deadline is not None:
            deadlines.append(self.deadline)
        return max(0.0, min(deadlines) - time.monotonic()) if deadlines else None

    def _stop_trials_over_time(self) -> None:
        """Kill the worker of each trial running past its `trial_timeout` (the others run on) and
        record the trial as FAILED: a configuration too slow to finish is a result, unlike a stop
        from outside. A trial that finished meanwhile is recorded after the next wait instead.

        A trial's time counts from when its call reached a started worker
        (`IsolatedPool.running_since`), not from its submit: a new worker's start-up (a fresh
        interpreter importing hpcore and the objective's modules, seconds under load) is not the
        objective running too long. Its deadline starts as submit + trial_timeout, the earliest
        it can be; reached, it moves to the real start + trial_timeout, or, while the worker is
        still starting, to now + trial_timeout, the earliest it can be then. So no trial is
        stopped early, none late, and no call costs a message more."""
        now = time.monotonic()
        for fut, limit in list(self.trial_deadlines.items()):
            if now < limit or fut.done():
                continue
            since = self.executor.running_since(fut)  # an IsolatedPool: trial_timeout runs on nothing else
            if since is None or now < since + self.trial_timeout:
                self.trial_deadlines[fut] = (now if since is None else since) + self.trial_timeout
                continue
            self.executor.kill(fut)
            error = (f"timed out after {self.trial_timeout:g} s (trial_timeout={self.trial_timeout:g}): its worker "
                     "process was killed")
            ended = time.time()
            stopped: Future = Future()
            # Its run time as for a trial that returned: from the start of its call in the worker.
            stopped.set_result(Outcome(None, error, ended - (time.monotonic() - since), ended))
            del self.trial_deadlines[fut]
            self._record(stopped, self.in_flight.pop(fut))

    def _stop_at_deadline(self) -> None:
        """`timeout` passed: record the trials that finished just now, give up the others (their
        workers are killed when the pool is ours, as `optimize` shuts it down next)."""
        for fut in [f for f in self.in_flight if f.done()]:
            self.trial_deadlines.pop(fut, None)
            self._record(fut, self.in_flight.pop(fut))
        stopped = self._abandon(f"timed out: optimize(timeout={self.timeout:g}) ended while it ran")
        if stopped:
            log.warning("timeout of %g s reached: stopped trial(s) %s, marked FAILED (interrupted)", self.timeout,
                        ", ".join(str(t.id) for t in stopped))

    def _abandon(self, reason: str) -> list[Trial]:
        """Give up the trials in flight (and one being submitted): cancel their calls and mark
        the unfinished ones FAILED as interrupted (`INTERRUPTED + reason`): stopped from outside,
        no evidence about their configurations. Returns the trials so marked."""
        unfinished: list[tuple[Future | None, Trial]] = list(self.in_flight.items())
        if self.submitting is not None:
            unfinished.append((None, self.submitting))
        self.in_flight.clear()
        self.trial_deadlines.clear()
        stopped = []
        for fut, trial in unfinished:
            if fut is not None:
                fut.cancel()
            if self.study._trials[trial.id].state.finished:
                continue
            try:
                stopped.append(self.study._finish(trial.id, None, INTERRUPTED + reason, dict(trial.user_attrs),
                                                  time.time()))
            except TrialAlreadyFinished:  # finished by another process meanwhile: its result stays
                pass
        return stopped

    def _submit(self, trial: Trial) -> Future:
        """Submit one trial. hpcore's own pool (`IsolatedPool`) replaces a worker that died; a
        user's executor that broke is not replaced: its error propagates."""
        if self.reporter is None:
            return self.executor.submit(evaluate, self.objective, trial, self.style)
        return self.executor.submit(evaluate, self.objective, trial, self.style, self.reporter)

    def _record(self, fut: Future, trial: Trial) -> None:
        """Store the result of a finished future, then count it, run the callbacks, and raise
        what stops the run (an exception not in `catch`, too many failures), in that order: the
        trial is stored before anything can raise, so it is never left RUNNING."""
        study = self.study
        out = _outcome(fut, trial)
        attrs = {**trial.user_attrs, **out.user_attrs}
        try:
            t = study._finish(trial.id, out.value, out.error, attrs, out.finished_at, started_at=out.started_at,
                              pruned=out.pruned)
        except TrialAlreadyFinished as e:
            # Finished elsewhere while it ran (e.g. `fail_running` from another process): the stored
            # result stays, and this run goes on with it.
            log.warning("trial %d was finished elsewhere while it ran (%s); this run's result for it was not "
                        "stored", trial.id, e.trial.state.value)
            t = study._trials[trial.id]
        if t.state is TrialState.COMPLETE:
            self.completed += 1
        elif t.state is TrialState.PRUNED:  # a result, not a failure: max_failures does not count it
            self.pruned += 1
            last = last_report(t)
            log.info("trial %d pruned%s", t.id, "" if last is None else f" at step {last[0]} (value {last[1]:.6g})")
        else:
            self.failed += 1
            self.first_error = self.first_error or out.error
            last_line = (out.error or "").strip().splitlines()[-1:] or [""]
            log.warning("trial %d failed: %s", t.id, last_line[0])
            if out.exception is not None and not isinstance(out.exception, self.catch):
                raise out.exception
        self.bar.update(1)
        best = study._incumbent.best()  # kept as trials finish: no scan of the history per trial
        if best is not None:
            shown = {"best": f"{best.value:.6g}", "failed": self.failed}
            if self.pruned:
                shown["pruned"] = self.pruned
            self.bar.set_postfix(**shown, refresh=False)
        for cb in self.callbacks:
            cb(study, t)
        if self.max_failures is not None and self.failed > self.max_failures:
            raise TooManyFailures(f"{self.failed} trials failed (max_failures={self.max_failures}); "
                                  f"the first error:\n{self.first_error}")


def _outcome(fut: Future, trial: Trial) -> Outcome:
    """The `Outcome` of a finished future; a failed call (a dead worker, an exception the
    worker could not turn into an Outcome) becomes a FAILED one carrying the exception."""
    try:
        return fut.result()
    except Exception as e:
        # On one line: the log shows an error's last line, and the pool's message for a dead
        # worker (loky's TerminatedWorkerError, with the exit codes) spans several.
        error = f"the worker running this trial failed: {type(e).__name__}: {' '.join(str(e).split())}"
        failure: BaseException = e
    except BaseException as e:  # SystemExit or KeyboardInterrupt raised by the objective in a worker
        error, failure = _exit_error(e), e
    return Outcome(None, error, trial.started_at or time.time(), time.time(), exception=failure)


def _exit_error(e: BaseException) -> str:
    """The `error` of a trial whose objective raised SystemExit or KeyboardInterrupt in a worker,
    with the worker's traceback when the pool sent it along (as the exception's cause)."""
    if isinstance(e, KeyboardInterrupt):
        head = f"{INTERRUPTED}KeyboardInterrupt in the worker running this trial"
    else:
        head = f"the objective raised {type(e).__name__}({getattr(e, 'code', '')!r}) in its worker"
    cause = e.__cause__
    if cause is None:
        return head
    # loky sends the worker's traceback as the text of a _RemoteTraceback (its `tb`): keep the
    # text alone, so that its last line, which the log shows, is the exception.
    text = getattr(cause, "tb", None) or "".join(traceback.format_exception(cause))
    return f"{head}\n{str(text).strip().strip(chr(34)).strip()}"  # without loky's triple quotes


def checked_int(name: str, value: Any, minimum: int) -> int:
    """`value` as an int >= `minimum` (NumPy integers too), else a `ValueError` naming `name`
    (a bool, a float such as 2.0, a string: all refused)."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= minimum:
        return int(value)
    kind = "positive" if minimum == 1 else "non-negative"
    raise ValueError(f"{name} must be a {kind} integer, got {type(value).__name__} {value!r:.60}")


def checked_counts(n_trials: Any, timeout: Any, max_failures: Any) -> tuple[int | None, float | None, int | None]:
    """`optimize`'s n_trials, timeout (seconds, a real number >= 0; inf for none) and
    max_failures, checked before anything starts."""
    if n_trials is not None:
        n_trials = checked_int("n_trials", n_trials, minimum=0)
    if max_failures is not None:
        max_failures = checked_int("max_failures", max_failures, minimum=0)
    if timeout is not None:
        ok = isinstance(timeout, numbers.Real) and not isinstance(timeout, bool) and float(timeout) >= 0
        if not ok:  # NaN fails >= 0 too
            raise ValueError(f"timeout must be a number of seconds >= 0 (or None), got "
                             f"{type(timeout).__name__} {timeout!r:.60}")
        timeout = float(timeout)
    return n_trials, timeout, max_failures


def checked_catch(catch: Any) -> tuple[type[BaseException], ...]:
    """`optimize(catch=...)`: one exception class or a sequence of them, as a tuple."""
    types = tuple(catch) if isinstance(catch, Sequence) and not isinstance(catch, str) else (catch,)
    for t in types:
        if not (isinstance(t, type) and issubclass(t, BaseException)):
            raise TypeError(f"catch must be an exception class or a list of them, got {type(t).__name__} {t!r:.60}"
                            + (" (give the class, not an instance)" if isinstance(t, BaseException) else ""))
    return types


def checked_callbacks(callbacks: Any) -> list[Callable[[Study, Trial], None]]:
    """`optimize(callbacks=...)`: an iterable of callables `cb(study, trial)`, as a list."""
    if callable(callbacks) or isinstance(callbacks, (str, bytes)) or not isinstance(callbacks, Iterable):
        hint = f" (wrap a single one in a list: callbacks=[{getattr(callbacks, '__name__', 'cb')}])" \
            if callable(callbacks) else ""
        raise TypeError(f"callbacks must be a list of callables cb(study, trial), got "
                        f"{type(callbacks).__name__}{hint}")
    out = list(callbacks)
    for cb in out:
        if not callable(cb):
            raise TypeError(f"callbacks must be a list of callables cb(study, trial), got an item "
                            f"{type(cb).__name__} {cb!r:.60}")
    return out


def stacklevel_outside_hpcore() -> int:
    """The `stacklevel` that makes a warning raised by the caller point at the user's line (the
    first frame outside hpcore), whether they called `minimize`, `Study.optimize` or an adapter."""
    frame, level = sys._getframe(1), 1
    while frame.f_back is not None and frame.f_globals.get("__name__", "").partition(".")[0] == "hpcore":
        frame, level = frame.f_back, level + 1
    return level
