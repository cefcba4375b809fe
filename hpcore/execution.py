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
import time
import traceback
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hpcore.trial import Trial

__all__ = ["CallStyle", "InlineExecutor", "Outcome", "ProcessPool", "call_style", "evaluate", "parse_value",
           "process_pool"]


@dataclass(frozen=True)
class CallStyle:
    """How to call an objective: `f(params)`, `f(params, budget)`, and whether it takes `trial=`."""

    budget: bool
    trial: bool


def call_style(objective: Callable[..., Any], needs_budget: bool | None = None, *,
               strategy: str | None = None) -> CallStyle:
    """Inspect `objective`'s signature and say how to call it.

    needs_budget: True when the strategy gives every trial a budget (the objective must accept
        a second argument); False when it gives none, so an objective that *requires* a second
        argument is refused (an optional one, `objective(params, budget=None)`, keeps its
        default); None when the strategy is not known: the signature alone decides (a required
        second argument is passed the trial's budget).
    strategy: the strategy's name, for the error messages.

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
    return CallStyle(budget=bool(needs_budget) or (needs_budget is None and len(required) == 2),
                     trial="trial" in sig.parameters)


def parse_value(result: Any) -> tuple[float, dict[str, Any]]:
    """An objective's return value -> (finite float, extra user attributes).

    Accepts a real number (Python, NumPy scalar or 0-d array) or a dict with a "value" key whose
    other keys become user attributes. Raises `ValueError` for NaN, ±inf and anything else.
    """
    attrs: dict[str, Any] = {}
    if isinstance(result, Mapping):
        if "value" not in result:
            raise ValueError(f"the objective returned a dict without a 'value' key: keys {sorted(result)}")
        attrs = {k: v for k, v in result.items() if k != "value"}
        result = result["value"]
    if isinstance(result, (bool, np.bool_)) or result is None:
        raise ValueError(f"the objective returned {result!r}, expected a number")
    if isinstance(result, np.ndarray) and result.size == 1:
        result = result.reshape(())[()]
    try:
        value = float(result)
    except (TypeError, ValueError):
        raise ValueError(f"the objective returned {type(result).__name__} {result!r:.80}, expected a number") from None
    if not math.isfinite(value):
        raise ValueError(f"the objective returned {value}")
    return value, attrs


@dataclass
class Outcome:
    """The result of one evaluation, as sent back from a worker."""

    value: float | None
    error: str | None
    started_at: float
    finished_at: float
    user_attrs: dict[str, Any] = field(default_factory=dict)
    exception: BaseException | None = None


def evaluate(objective: Callable[..., Any], trial: Trial, style: CallStyle) -> Outcome:
    """Call the objective on one trial and capture its value or its failure."""
    started = time.time()
    try:
        args: list[Any] = [dict(trial.params)]
        if style.budget:
            args.append(trial.budget)
        result = objective(*args, trial=trial) if style.trial else objective(*args)
        value, attrs = parse_value(result)
        return Outcome(value, None, started, time.time(), attrs)
    except Exception as e:
        return Outcome(None, traceback.format_exc(), started, time.time(), exception=_picklable(e))


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
    """Worker initializer: the same limit for pools that ignore the environment or were loaded
    before it was read."""
    for var, value in _one_thread_env().items():
        os.environ.setdefault(var, value)
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:
        pass


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
        self._pool = ProcessPoolExecutor(max_workers=n_workers, initializer=_limit_threads, env=_one_thread_env())

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
    """A new `ProcessPool` of `n_workers` processes (what `optimize(n_workers=...)` runs on)."""
    return ProcessPool(n_workers)


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
