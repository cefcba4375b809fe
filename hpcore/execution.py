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
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from hpcore.trial import Trial

__all__ = ["CallStyle", "InlineExecutor", "Outcome", "call_style", "evaluate", "parse_value", "process_pool"]


@dataclass(frozen=True)
class CallStyle:
    """How to call an objective: `f(params)`, `f(params, budget)`, and whether it takes `trial=`."""

    budget: bool
    trial: bool


def call_style(objective: Callable[..., Any], needs_budget: bool = False) -> CallStyle:
    """Inspect `objective`'s signature. Raises `TypeError` when it cannot be called as an
    objective, or does not accept a budget although the strategy gives one."""
    if not callable(objective):
        raise TypeError(f"the objective must be callable, got {type(objective).__name__}")
    try:
        sig = inspect.signature(objective)
    except (TypeError, ValueError):  # builtins, some C callables
        return CallStyle(budget=needs_budget, trial=False)
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
    if needs_budget and not takes_budget:
        raise TypeError(
            "this strategy gives each trial a budget, so the objective must accept one: "
            "def objective(params, budget): ..."
        )
    # Without a budget-giving strategy, a required budget argument receives None and an
    # optional one keeps its default.
    return CallStyle(budget=needs_budget or len(required) == 2, trial="trial" in sig.parameters)


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
    try:
        pickle.loads(pickle.dumps(e))
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


def _limit_threads() -> None:
    # One process per core already uses the machine; nested BLAS/OpenMP/numba pools in every
    # worker oversubscribe it (a documented 6-12x slowdown).
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:
        pass


def process_pool(n_workers: int) -> ProcessPoolExecutor:
    """A local process pool with one BLAS thread per worker. Uses 'forkserver' where the
    platform has it (forking a process that runs threads can deadlock), else 'spawn'."""
    import multiprocessing as mp

    method = "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"
    return ProcessPoolExecutor(max_workers=n_workers, mp_context=mp.get_context(method), initializer=_limit_threads)


class PortableObjective:
    """Wraps an objective so that closures and lambdas survive the trip to a worker process
    (pickled with cloudpickle when plain pickle cannot)."""

    def __init__(self, objective: Callable[..., Any]) -> None:
        self.objective = objective

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.objective(*args, **kwargs)

    def __getstate__(self) -> dict:
        try:
            return {"plain": pickle.dumps(self.objective)}
        except Exception:
            try:
                import cloudpickle
            except ImportError:
                raise TypeError(
                    "the objective cannot be pickled for worker processes; define it at module level "
                    "(or install cloudpickle)"
                ) from None
            return {"cloud": cloudpickle.dumps(self.objective)}

    def __setstate__(self, state: dict) -> None:
        self.objective = pickle.loads(state.get("plain") or state["cloud"])
