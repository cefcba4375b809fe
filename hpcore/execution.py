"""Running objectives: how they are called, what they may return, and where they run.

`evaluate` is the one function shipped to workers. It never raises for an ordinary
exception: it returns an `Outcome` carrying the traceback text, so a failure in a worker
becomes a FAILED trial in the driver, never a lost one.
"""

from __future__ import annotations

import inspect
import math
import os
import pickle
import sys
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Mapping
from concurrent.futures import BrokenExecutor, CancelledError, Executor, Future
from concurrent.futures import wait as futures_wait
from dataclasses import dataclass, field
from typing import Any

from hpcore.errors import TrialPruned
from hpcore.real_numbers import describe, real_float
from hpcore.running_trial import Reporter, RunningTrial
from hpcore.storage.base import storable_attrs
from hpcore.trial import Trial

__all__ = ["CallStyle", "InlineExecutor", "IsolatedPool", "Outcome", "ProcessPool", "call_style", "evaluate",
           "parse_value", "process_pool"]


@dataclass(frozen=True)
class CallStyle:
    """How to call an objective: `f(params)`, `f(params, budget)`, and whether it takes a
    `trial` argument (the `RunningTrial` handle): by keyword, or by position when its `trial`
    parameter is positional-only."""

    budget: bool
    trial: bool
    trial_by_position: bool = False


def call_style(objective: Callable[..., Any], needs_budget: bool | None = None, *,
               strategy: str | None = None) -> CallStyle:
    """Inspect `objective`'s signature and say how to call it.

    needs_budget: True when the strategy gives every trial a budget (the objective must accept
        a second argument); False when it gives none, so an objective that *requires* a second
        argument is refused (an optional one, `objective(params, budget=None)`, keeps its
        default); None when the strategy is not known: the signature alone decides (a required
        second argument is passed the trial's budget).
    strategy: the strategy's name, for the error messages.

    A parameter named `trial` (anywhere: `f(params, trial)`, `f(params, budget, trial)`,
    `f(params, *, trial)`) gets the `RunningTrial` handle, through which the objective reports
    intermediate values and asks whether to stop; it is not counted as the budget.

    Raises `TypeError` when the objective cannot be called as an objective, does not accept a
    budget although the strategy gives one, or requires one that the strategy does not give.
    """
    if not callable(objective):
        raise TypeError(f"the objective must be callable, got {type(objective).__name__}")
    try:
        sig = inspect.signature(objective)
    except (TypeError, ValueError):  # builtins, some C callables
        return CallStyle(budget=bool(needs_budget), trial=False)
    positional = [
        p for p in sig.parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name != "trial"
    ]
    varargs = any(p.kind is p.VAR_POSITIONAL for p in sig.parameters.values())
    required = [p for p in positional if p.default is p.empty]
    if not positional and not varargs:
        raise TypeError("the objective must accept the parameters: objective(params) or objective(params, budget)")
    if len(required) > 2:
        raise TypeError(f"the objective requires {len(required)} arguments; expected (params) or (params, budget)")
    takes_budget = len(positional) >= 2 or varargs
    named = f"strategy {strategy!r}" if strategy else "the strategy"
    if needs_budget and not takes_budget:
        raise TypeError(
            f"{named} gives each trial a budget, so the objective must accept one: "
            "def objective(params, budget): ..."
        )
    if needs_budget is False and len(required) == 2:
        # It would be called with budget=None and fail in every trial, far from the cause.
        raise TypeError(
            f"the objective requires a budget {required[1].name!r}, but {named} gives no budget: make it "
            f"optional (def objective(params, {required[1].name}=None)) or use a strategy with budgets "
            "(strategy=hpcore.Hyperband(min_budget=..., max_budget=...))"
        )
    trial = sig.parameters.get("trial")
    return CallStyle(budget=bool(needs_budget) or (needs_budget is None and len(required) == 2),
                     trial=trial is not None and trial.kind is not trial.VAR_KEYWORD,
                     trial_by_position=trial is not None and trial.kind is trial.POSITIONAL_ONLY)


def parse_value(result: Any) -> tuple[float, dict[str, Any]]:
    """An objective's return value -> (finite float, extra user attributes).

    Accepts a real number: a Python int or float, a NumPy integer or float scalar, an array
    holding one such number, a `fractions.Fraction`, a `decimal.Decimal`, or any object that
    converts itself to a float (`__float__`, e.g. a framework's scalar tensor); or a dict with a
    "value" key whose other keys become user attributes (see `storable_attrs`: what JSON cannot
    hold is kept as its repr, with a warning naming the key). Raises `ValueError` for NaN,
    ±inf, a number too large for a float (``10**400``), and anything that is not a real number:
    strings and bytes (even ``"0.5"``), complex numbers, booleans, None.
    """
    attrs: dict[str, Any] = {}
    if isinstance(result, Mapping):
        if "value" not in result:
            raise ValueError(f"the objective returned a dict without a 'value' key: keys {sorted(map(str, result))}")
        attrs = _storable_attrs_warned({k: v for k, v in result.items() if k != "value"})
        result = result["value"]
    try:
        value = real_float(result)
    except OverflowError:
        raise ValueError(f"the objective returned {describe(result)}, too large for a float") from None
    except TypeError as e:
        detail = str(e).removeprefix("not a real number")
        raise ValueError(f"the objective returned {describe(result)}, expected a real number{detail}") from None
    if not math.isfinite(value):
        raise ValueError(f"the objective returned {value}")
    return value, attrs


def _storable_attrs_warned(attrs: dict[Any, Any]) -> dict[str, Any]:
    """`storable_attrs`, with one warning naming the attributes kept as their repr. Done where
    the objective returns, so a worker sends back only what can travel and be stored."""
    stored, changed = storable_attrs(attrs)
    if changed:
        warnings.warn(f"user attribute(s) {', '.join(changed)} returned by the objective cannot be stored as "
                      "JSON; stored as their repr (return numbers, strings, lists or dicts of them to keep "
                      "them as data)", UserWarning, stacklevel=2)
    return stored


@dataclass
class Outcome:
    """The result of one evaluation, as sent back from a worker."""

    value: float | None
    error: str | None
    started_at: float
    finished_at: float
    user_attrs: dict[str, Any] = field(default_factory=dict)
    exception: BaseException | None = None
    pruned: bool = False  # the objective raised `TrialPruned`: value and error are None


def evaluate(objective: Callable[..., Any], trial: Trial, style: CallStyle,
             reporter: Reporter | None = None) -> Outcome:
    """Call the objective on one trial and capture its value, its pruning or its failure.

    reporter: where the `RunningTrial` handle of an objective that takes `trial` sends its
        reports: the study's own (`Study.optimize` in one process) or a `ReportClient` of the
        driver's channel (in a worker process). Unused by an objective without `trial`."""
    started = time.time()
    handle: RunningTrial | None = None
    try:
        args: list[Any] = [dict(trial.params)]
        if style.budget:
            args.append(trial.budget)
        if not style.trial:
            result = objective(*args)
        else:
            handle = RunningTrial(trial, reporter)
            result = objective(*args, handle) if style.trial_by_position else objective(*args, trial=handle)
        value, attrs = parse_value(result)
        return Outcome(value, None, started, time.time(), {**_handle_attrs(handle), **attrs})
    except TrialPruned:
        return Outcome(None, None, started, time.time(), _handle_attrs(handle), pruned=True)
    except Exception as e:
        return Outcome(None, traceback.format_exc(), started, time.time(), _handle_attrs(handle),
                       exception=_picklable(e))
    finally:
        if handle is not None:
            handle.close()
            if reporter is not None:
                reporter.release()


def _handle_attrs(handle: RunningTrial | None) -> dict[str, Any]:
    """The user attributes the objective set on its handle, as storages keep them."""
    if handle is None:
        return {}
    attrs = handle.close()
    return _storable_attrs_warned(attrs) if attrs else {}


def _picklable(e: BaseException) -> BaseException:
    # cloudpickle, as the process pool and Dask send results with it: an exception class defined
    # in the user's `__main__` travels by value and arrives as the driver's own class, so
    # `optimize(catch=...)` still recognises it.
    import cloudpickle

    try:
        pickle.loads(cloudpickle.dumps(e))
        return e
    except Exception:
        return RuntimeError(f"{type(e).__name__}: {e}")


class InlineExecutor(Executor):
    """Runs each call in the calling thread at submit time (the sequential default)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        fut: Future = Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except Exception as e:
            fut.set_exception(e)
        return fut


#: The variables that size the thread pools of BLAS, OpenMP and numba.
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


def _one_thread_env() -> dict[str, str]:
    """What a worker's environment gets before its first import: one thread per native pool
    (a value the user set is kept). One process per core already uses the machine; nested
    BLAS/OpenMP/numba pools in every worker oversubscribe it (a documented 6-12x slowdown)."""
    return {var: "1" for var in _THREAD_VARS if var not in os.environ}


def _limit_threads() -> None:
    """The environment's limit again, for pools that ignore the environment or were loaded
    before it was read."""
    for var, value in _one_thread_env().items():
        os.environ.setdefault(var, value)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:
        pass


#: Seconds between a worker's checks that its driver is alive.
_PARENT_CHECK_INTERVAL = 0.2


def _exit_with_driver(driver_pid: int) -> None:
    """End this worker process as soon as the driver `driver_pid` (its parent) is gone.

    A driver killed with SIGKILL runs no cleanup, and a worker busy in a long objective reads
    nothing from the pool's pipes, so it would run on, with the pool's helper processes, until
    its trial ended. A dead parent's children are adopted by another process (init or a
    subreaper), which changes `os.getppid()`: a daemon thread polls it. (Linux's
    `PR_SET_PDEATHSIG` would fire when the *thread* that started the worker exits, which may
    be long before the driver does.) A call that holds the GIL for minutes delays the exit
    until it lets go; on Windows, where parents are not replaced, nothing is checked."""
    if sys.platform == "win32":
        return
    if os.getppid() != driver_pid:  # the driver died before this worker got here
        os._exit(1)

    def watch() -> None:
        while os.getppid() == driver_pid:
            time.sleep(_PARENT_CHECK_INTERVAL)
        os._exit(1)

    threading.Thread(target=watch, name="hpcore-exit-with-driver", daemon=True).start()


def _init_worker(driver_pid: int) -> None:
    """Initializer of every pool worker: one native thread per pool, and exit with the driver."""
    _limit_threads()
    _exit_with_driver(driver_pid)


class ProcessPool(Executor):
    """A local pool of `n_workers` worker processes with one BLAS thread each, safe for
    objectives defined in a plain script without `if __name__ == "__main__":`, in `python -c`,
    `python -`, a REPL or a notebook.

    Built on loky's `ProcessPoolExecutor`: its workers are fresh interpreters (fork + exec) that
    never run the user's `__main__` (multiprocessing's 'spawn' and 'forkserver' import it again
    in every worker, so an unguarded script re-ran its own top level there and wrote trials of
    its own), calls travel by cloudpickle, and a worker that dies (`os._exit`, a kill for
    memory, a segfault) breaks the pool with `loky.process_executor.TerminatedWorkerError`, a
    `concurrent.futures.BrokenExecutor`, in every future then pending and in later submits.
    Workers exit when the driver process dies, even by SIGKILL (`_exit_with_driver`).
    """

    # One loky executor per pool (per `optimize` call), not loky's reusable executor: that is a
    # process-wide singleton, shared with any other loky user in the process and restarted
    # when asked for other settings, so shutting it down after a Ctrl-C or renewing it after a
    # worker death would pull it from under them, and leaving it running would leave workers
    # (and trials) behind after `optimize` returns. The price is one interpreter start per
    # worker and call, paid in parallel.
    def __init__(self, n_workers: int) -> None:
        from loky import ProcessPoolExecutor

        if isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1:
            raise ValueError(f"n_workers must be a positive integer, got {n_workers!r}")
        self.n_workers = n_workers
        self._pool = ProcessPoolExecutor(max_workers=n_workers, initializer=_init_worker, initargs=(os.getpid(),),
                                         env=_one_thread_env())

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        """Run `fn(*args, **kwargs)` in a worker. Raises `BrokenExecutor` once a worker died."""
        return self._pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop the workers. `wait`: return once the submitted calls have finished.
        `cancel_futures`: unlike the standard library's pools, stop the running calls too, not
        only the queued ones (their workers are killed): the caller gave up on all of them
        (Ctrl-C, a failed run, a broken pool) and has recorded their trials already."""
        self._pool.shutdown(wait=wait, kill_workers=cancel_futures)


def process_pool(n_workers: int) -> ProcessPool:
    """A new `ProcessPool` of `n_workers` processes, to pass as `optimize(executor=...)` (its own
    pool for n_workers > 1 is an `IsolatedPool` of one-process `ProcessPool`s)."""
    return ProcessPool(n_workers)


def _load_only(fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
    """Do nothing. Sent to a new worker before its first call, with that call's arguments: the
    worker's start-up, and the unpickling of those arguments (which imports the objective's
    modules there), then happen before that call's clock starts (`IsolatedPool.running_since`)."""


def _settle(target: Future, source: Future) -> None:
    """Give `target` the outcome of the finished `source`."""
    if source.cancelled():
        target.set_exception(CancelledError("the call was cancelled in its worker's pool"))
    elif source.exception() is not None:
        target.set_exception(source.exception())
    else:
        target.set_result(source.result())


class IsolatedPool(Executor):
    """`n_workers` worker processes, each in a `ProcessPool` of its own, so that one call can be
    stopped without touching the others: `kill(future)` kills the worker running it, and the
    next call gets a new worker. What `optimize(trial_timeout=...)` runs on.

    One pool of n workers cannot do this: killing one of its workers breaks the whole pool, and
    the calls running in the others fail with it. A worker that dies by itself (`os._exit`, a
    kill for memory) fails only its own call here too, and is replaced at the next submit.

    Each worker runs one call at a time: submitting while all `n_workers` calls are unfinished
    raises `RuntimeError`. There is no queue, so a call starts as soon as its worker is ready:
    at once in a started worker, and after the start-up of a new one (a fresh interpreter, which
    imports hpcore and, while unpickling a first no-op call with the same arguments, the
    objective's modules: seconds under load). `running_since(future)` says when that was, so
    that a trial's timeout counts its own time only.
    """

    def __init__(self, n_workers: int) -> None:
        if isinstance(n_workers, bool) or not isinstance(n_workers, int) or n_workers < 1:
            raise ValueError(f"n_workers must be a positive integer, got {n_workers!r}")
        self.n_workers = n_workers
        self._lock = threading.Lock()
        self._pools: list[ProcessPool | None] = [None] * n_workers  # started at their first call
        self._calls: list[Future | None] = [None] * n_workers  # each worker's last call
        # Each worker's last warm-up call (`_load_only`): the worker is started once it is done.
        self._ready: list[Future | None] = [None] * n_workers
        # When each worker's last call was handed to the started worker (time.monotonic()); None
        # while the worker is starting.
        self._since: list[float | None] = [None] * n_workers

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        """Run `fn(*args, **kwargs)` in an idle worker (a new one after a kill or a death).

        Never waits for a worker to start: a new worker first gets a no-op call with the same
        arguments (`_load_only`), and the call itself follows when that returns, from the pool's
        own thread; the future returned stands for it meanwhile. The arguments of a first call
        thus travel twice, the others once, as before."""
        with self._lock:
            i = next((i for i, call in enumerate(self._calls) if call is None or call.done()), None)
            if i is None:
                raise RuntimeError(f"all {self.n_workers} workers of this IsolatedPool are busy")
            pool, warm_up = self._pools[i], None
            if pool is not None:
                ready = self._ready[i]
                try:
                    if ready is not None and ready.done():  # a started worker: the call runs at once
                        self._calls[i] = pool.submit(fn, *args, **kwargs)
                        self._since[i] = time.monotonic()
                        return self._calls[i]
                    # Still starting (its last call was cancelled meanwhile): load these arguments too.
                    warm_up = pool.submit(_load_only, fn, *args, **kwargs)
                except BrokenExecutor:  # its worker died in the previous call
                    pool.shutdown(wait=False, cancel_futures=True)
                    pool = None
            if pool is None:
                pool = self._pools[i] = ProcessPool(1)
                warm_up = pool.submit(_load_only, fn, *args, **kwargs)
            assert warm_up is not None
            self._ready[i] = warm_up
            call = self._calls[i] = Future()
            self._since[i] = None
        # Outside the lock: the callback takes it, and runs here at once if the warm-up is done.
        warm_up.add_done_callback(lambda done: self._hand_over(i, pool, call, done, fn, args, kwargs))
        return call

    def _hand_over(self, i: int, pool: ProcessPool, call: Future, warm_up: Future,
                   fn: Callable[..., Any], args: tuple, kwargs: dict) -> None:
        """Worker `i`'s warm-up ended: submit the call it stands in for, unless the call was
        cancelled meanwhile. A warm-up that failed (a worker that died starting, arguments
        that cannot be unpickled there) fails the call with its error; a worker killed or shut
        down meanwhile fails it with the pool's."""
        if not call.set_running_or_notify_cancel():  # cancelled while its worker started
            return
        if warm_up.cancelled() or warm_up.exception() is not None:
            _settle(call, warm_up)
            return
        with self._lock:
            try:
                real = pool.submit(fn, *args, **kwargs)
            except (BrokenExecutor, RuntimeError) as e:  # broken, or shut down by kill/shutdown
                call.set_exception(e)
                return
            if self._calls[i] is call:
                self._since[i] = time.monotonic()
        real.add_done_callback(lambda done: _settle(call, done))

    def running_since(self, future: Future) -> float | None:
        """When the unfinished call behind `future` reached its started worker, in
        `time.monotonic()` seconds: the start of its own run time, give or take the time its
        arguments take to travel (as for every call). None while its worker is still starting."""
        with self._lock:
            i = next((i for i, call in enumerate(self._calls) if call is future), None)
            if i is None:
                raise ValueError("the future is not the last call of any worker of this IsolatedPool")
            return self._since[i]

    def kill(self, future: Future) -> bool:
        """Stop the call behind `future`: kill its worker (and the worker's own child processes)
        and return once it is gone. False when the call had finished already."""
        with self._lock:
            i = next((i for i, call in enumerate(self._calls) if call is future), None)
            if i is None:
                raise ValueError("the future is not the last call of any worker of this IsolatedPool")
            if future.done():
                return False
            pool, self._pools[i], self._calls[i] = self._pools[i], None, None
            self._ready[i] = self._since[i] = None
        assert pool is not None
        pool.shutdown(wait=True, cancel_futures=True)
        return True

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop every worker; `cancel_futures` kills the running calls instead of waiting for them.
        A call whose worker is still starting fails with the pool's `RuntimeError`, unless
        `wait` is true and `cancel_futures` false: it then runs first, as the others do."""
        if wait and not cancel_futures:
            futures_wait([call for call in list(self._calls) if call is not None])
        with self._lock:
            pools, self._pools = self._pools, [None] * self.n_workers
            self._calls = [None] * self.n_workers
            self._ready, self._since = [None] * self.n_workers, [None] * self.n_workers
        for pool in pools:
            if pool is not None:
                pool.shutdown(wait=wait, cancel_futures=cancel_futures)


class PortableObjective:
    """Wraps an objective so that functions, closures and lambdas defined in the user's
    `__main__` survive the trip to a worker process, which has no `__main__` of the user's.

    Pickled with cloudpickle: what lives in `__main__` travels by value, what can be imported
    (a function of a module, an installed estimator class) by reference."""

    def __init__(self, objective: Callable[..., Any]) -> None:
        self.objective = objective

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.objective(*args, **kwargs)

    def __getstate__(self) -> dict:
        import cloudpickle

        try:
            return {"cloud": cloudpickle.dumps(self.objective)}
        except Exception as e:
            name = getattr(self.objective, "__qualname__", type(self.objective).__name__)
            raise TypeError(f"the objective {name!r} cannot be sent to worker processes: {type(e).__name__}: {e} "
                            "(an open connection, lock or file among the variables it uses?)") from e

    def __setstate__(self, state: dict) -> None:
        self.objective = pickle.loads(state["cloud"])

    def check(self) -> None:
        """Raise the `TypeError` that sending the objective to a worker would meet, if any."""
        self.__getstate__()
