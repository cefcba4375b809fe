"""Running a study's trials on a Dask `distributed` cluster.

    from hpcore import DaskExecutor, Study

    with DaskExecutor("tcp://scheduler:8786") as ex:            # or DaskExecutor() for a local cluster
        study.optimize(objective, n_trials=200, executor=ex, n_workers=ex.n_workers)

The driver (the process calling `optimize`) keeps the storage and the strategy; workers only
call the objective and send back its `Outcome`. Nothing about the study changes between a
process pool on a laptop and a cluster except the executor.

Worker deaths. When the worker process running a task dies (out-of-memory kill, `os._exit`,
a lost machine), Dask's scheduler normally runs the task again on another worker, up to its
`distributed.scheduler.allowed-failures` setting (default 3), then gives up with `KilledWorker`;
it also recomputes a *finished* task whose result was held by a worker that died. For trials
that is the wrong default: an objective that kills its worker would take down four workers
before failing, and a trial could run twice. `DaskExecutor` makes it explicit and deterministic:

- each task's objective is started at most `1 + retries` times (default `retries=0`: once). A
  start is recorded on the scheduler (a `distributed.Event` per attempt) before the objective
  runs; a re-run finding its attempts used up raises `WorkerLost` without calling the objective,
  and the study records a FAILED trial with that message;
- with `retries=k`, a trial whose worker died is run again on another worker up to k times
  (still bounded by the scheduler's allowed-failures; beyond it the future raises
  `KilledWorker`, also a FAILED trial). An exception raised by the objective is never retried;
- a result is released on the scheduler as soon as the driver has it, so a later worker death
  cannot make the scheduler run the objective again. The attempt records are deleted a few
  seconds after the task ends (and all of them at `shutdown`).

Every trial therefore ends COMPLETE, PRUNED or FAILED, never lost and never silently run twice. (One
gap: a task cancelled at the very moment it starts may leave its attempt record, a few bytes,
on the scheduler.)

Reports. An objective that takes `trial` and reports (`trial.report`, `trial.should_prune`)
sends each report from its worker straight to the driver, which owns the storage and the
pruner (`hpcore.report_channel`), over TCP to `report_host` (the driver's address on the route
to the scheduler, found by the operating system's routing table; give `report_host=` where
workers reach the driver on another address). A worker that cannot reach it fails its trial
with `ReportChannelLost` instead of waiting.

A cluster that lost all its workers. Dask's scheduler keeps a task whose worker is gone
waiting for another worker, without a limit: on a cluster left with none, `optimize` (and the
executor's exit) would wait forever. `DaskExecutor` watches for that: once no worker has been
connected for `lost_workers_timeout` seconds (default 60) while tasks wait, the waiting tasks
fail with `ClusterLost` (their trials become FAILED with that message), and so does every
later submit, which ends `optimize` with that error. `lost_workers_timeout=None` waits for
workers without a limit, e.g. for an adaptive cluster whose workers wait in a batch queue.

A local cluster (`DaskExecutor()`) starts its workers with multiprocessing's 'spawn' (Dask's
default), which runs the main script again in every worker process: a script that starts one
outside `if __name__ == "__main__":` would start a cluster (and run its study) in each of them.
`DaskExecutor()` refuses that up front with one `RuntimeError` saying so; hpcore's own process
pool (`optimize(n_workers=...)`) needs no guard.
"""

from __future__ import annotations

import ast
import os
import socket
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from concurrent.futures import BrokenExecutor, Executor, Future
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing_extensions import Self

__all__ = ["ClusterLost", "DaskExecutor", "WorkerLost"]

#: Seconds between a task's end and the removal of its attempt records from the scheduler.
_FORGET_AFTER = 5.0

#: Seconds the watch for a cluster without workers waits for the scheduler's answer.
_ASK_SCHEDULER_TIMEOUT = 5.0


class WorkerLost(RuntimeError):
    """A task's worker died while it ran, and the task may not be started again."""


class ClusterLost(BrokenExecutor):
    """No worker was connected to the cluster for `lost_workers_timeout` seconds while tasks
    waited: the waiting tasks fail with this error, and so does every later submit."""


class _AtMostOnce:
    """The function shipped to Dask workers: records each start on the scheduler, and refuses
    to start the wrapped call once `attempts` starts are recorded (a re-run after a worker death)."""

    def __init__(self, fn: Callable[..., Any], marker: str, attempts: int) -> None:
        self.fn = fn
        self.marker = marker
        self.attempts = attempts

    def __call__(self, args: tuple, kwargs: dict) -> Any:
        from distributed import Event, get_client

        client = get_client()
        for k in range(self.attempts):
            event = Event(f"{self.marker}-{k}", client=client)
            if not event.is_set():
                # Only one attempt of a task runs at a time, so check-then-set cannot race.
                event.set()
                break
        else:
            n = self.attempts
            raise WorkerLost(
                f"the Dask worker running this task died during {'its only attempt' if n == 1 else f'all {n} attempts'}"
                f" (DaskExecutor(retries={n - 1})); not started again")
        return self.fn(*args, **kwargs)


def _check_workers_can_start() -> None:
    """Raise `RuntimeError` when a local cluster's worker processes would run the user's script
    again from the line that starts the cluster: its top level outside `if __name__ == "__main__":`.

    'spawn' and 'forkserver' prepare each worker by running the main script (a file, or a
    module run with `-m`) as `__mp_main__`; a `python -c` command, a REPL or a notebook has no
    script to run, and 'fork' runs nothing. The calling line is looked up in the script's
    source; any `if` testing `__name__` counts as the guard (when in doubt, no error)."""
    import dask

    if dask.config.get("distributed.worker.multiprocessing-method", "spawn") == "fork":
        return
    frame = _main_module_frame()
    if frame is None:
        return
    if frame.f_globals.get("__name__") == "__mp_main__":  # a worker process running the script again
        raise RuntimeError(_guard_message(frame.f_code.co_filename, frame.f_lineno))
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if path is None and getattr(main, "__spec__", None) is None:
        return
    if path is not None and not os.path.isfile(path):
        raise RuntimeError(
            "DaskExecutor() starts a local Dask cluster, and Dask starts its worker processes by running "
            f"the main script again, which a script read from {path} cannot be: save it to a file and put "
            'the code that starts the cluster under `if __name__ == "__main__":` (or use '
            "DaskExecutor(processes=False) for threads, or hpcore's own process pool, "
            "optimize(n_workers=...), which needs neither)")
    if path is None or os.path.realpath(frame.f_code.co_filename) != os.path.realpath(path):
        return  # e.g. typed into `python -i script.py` after the script ran: no line of it to judge
    try:
        source = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return
    if not _under_name_guard(source, frame.f_lineno):
        raise RuntimeError(_guard_message(frame.f_code.co_filename, frame.f_lineno))


def _main_module_frame() -> FrameType | None:
    """The frame running the main script's top-level code, if this call comes from it."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "<module>" and frame.f_globals.get("__name__") in ("__main__", "__mp_main__"):
            return frame
        frame = frame.f_back
    return None


def _under_name_guard(tree: ast.Module, line: int) -> bool:
    """Whether `line` lies in an `if` statement whose test reads `__name__`."""
    for node in ast.walk(tree):
        if (isinstance(node, ast.If) and node.lineno <= line <= (node.end_lineno or node.lineno)
                and any(isinstance(n, ast.Name) and n.id == "__name__" for n in ast.walk(node.test))):
            return True
    return False


def _guard_message(path: str, line: int) -> str:
    return (
        f"DaskExecutor() at {path}, line {line}, starts a local Dask cluster outside "
        '`if __name__ == "__main__":`. Dask starts its worker processes by running this script again, '
        "so its top-level code would run again (start clusters, write trials) in every one of them. "
        "Put the code that starts the cluster and runs the study under\n\n"
        '    if __name__ == "__main__":\n\n'
        "(or use DaskExecutor(processes=False) for threads, connect to a running scheduler, or use "
        "hpcore's own process pool, optimize(n_workers=...), which needs no guard)")


def _local_address_towards(address: str) -> str:
    """This machine's IP address on the route to `address` (a Dask address such as
    "tcp://10.0.0.5:8786"): the one a worker beside that scheduler can reach. A UDP socket's
    `connect` asks the routing table only; no packet is sent. 127.0.0.1 for a loopback or
    in-process scheduler, or when the route cannot be found."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(address)
        host, port = parts.hostname, parts.port or 8786
    except ValueError:
        return "127.0.0.1"
    if parts.scheme == "inproc" or not host or host in ("localhost", "::1") or host.startswith("127."):
        return "127.0.0.1"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as probe:
            probe.connect((host, port))
            return str(probe.getsockname()[0])
    except OSError:
        return "127.0.0.1"


class DaskExecutor(Executor):
    """A `concurrent.futures.Executor` that runs calls on a Dask `distributed` cluster.

    Args:
        address: where to run. None starts a `LocalCluster` of `n_workers` single-threaded worker
            processes (closed with the executor); a scheduler address such as
            "tcp://10.0.0.5:8786" connects to a running cluster; a `distributed.Client` is used
            as is (and left open); a cluster object (`LocalCluster`, `SLURMCluster`, ...) gets a
            client of its own.
        n_workers: for a new local cluster, its number of worker processes (default: the
            number of CPUs). When connecting to an existing cluster, wait (up to `timeout`
            seconds) until this many workers have joined.
        retries: how many times a task whose worker died is started again on another worker
            (default 0: never; the trial becomes FAILED with a `WorkerLost` error). An error
            raised by the task itself is never retried.
        resources: Dask worker resources each task needs, e.g. {"GPU": 1} for workers started
            with `dask worker ... --resources GPU=1`.
        timeout: seconds to wait for the scheduler and for `n_workers` workers.
        lost_workers_timeout: seconds a cluster may have no worker at all while tasks wait
            (default 60); then the waiting tasks, and later submits, fail with `ClusterLost`
            instead of waiting forever. None: wait for workers without a limit.
        report_host: the address of this (the driver's) machine that workers reach it on, for
            the reports of objectives that take `trial`; default: the local address on the route
            to the scheduler (127.0.0.1 for a local cluster).
        cluster_kwargs: further arguments of `LocalCluster` when `address` is None.

    `n_workers` (the property) is the number of task slots (worker threads) connected now: pass
    it to `Study.optimize(n_workers=...)` to keep every slot busy.
    """

    def __init__(
        self,
        address: str | Any | None = None,
        *,
        n_workers: int | None = None,
        retries: int = 0,
        resources: Mapping[str, float] | None = None,
        timeout: float | None = 60.0,
        lost_workers_timeout: float | None = 60.0,
        report_host: str | None = None,
        **cluster_kwargs: Any,
    ) -> None:
        import distributed

        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
            raise ValueError(f"retries must be a non-negative integer, got {retries!r}")
        if lost_workers_timeout is not None and (
                isinstance(lost_workers_timeout, bool) or not isinstance(lost_workers_timeout, (int, float))
                or not 0 < lost_workers_timeout < float("inf")):
            raise ValueError(f"lost_workers_timeout must be a positive number of seconds or None, "
                             f"got {lost_workers_timeout!r}")
        if n_workers is not None and (isinstance(n_workers, bool) or not isinstance(n_workers, int)
                                      or n_workers < 1):
            raise ValueError(f"n_workers must be a positive integer or None, got {n_workers!r}")
        if report_host is not None and (not isinstance(report_host, str) or not report_host):
            raise ValueError(f"report_host must be a host name or IP address, got {report_host!r}")
        self._report_host = report_host
        if cluster_kwargs and address is not None:
            raise TypeError(f"{sorted(cluster_kwargs)}: LocalCluster options apply only when address is None")
        self.retries = retries
        self.resources = dict(resources) if resources else None
        self.lost_workers_timeout = None if lost_workers_timeout is None else float(lost_workers_timeout)
        self._cluster = None
        self._own_client = True
        if address is None:
            opts = {"n_workers": n_workers or os.cpu_count() or 1, "threads_per_worker": 1, "processes": True,
                    **cluster_kwargs}
            if opts["processes"]:
                _check_workers_can_start()
            self._cluster = distributed.LocalCluster(**opts)
            self._client = distributed.Client(self._cluster, timeout=timeout)
        elif isinstance(address, distributed.Client):
            self._client, self._own_client = address, False
        elif isinstance(address, str) or hasattr(address, "scheduler_address"):
            self._client = distributed.Client(address, timeout=timeout)
        else:
            raise TypeError(f"address must be None, a scheduler address, a Client or a cluster, "
                            f"got {type(address).__name__}")
        self._lock = threading.Lock()
        self._pending: dict[str, tuple[Any, Future]] = {}  # key -> (Dask future, its c.f. future)
        self._finished: deque[tuple[float, str]] = deque()  # (when, attempt marker) to forget
        self._shutdown = False
        self._lost: str | None = None  # why the executor is broken (`ClusterLost`), once it is
        self._closing = threading.Event()
        if n_workers is not None:
            self._client.wait_for_workers(n_workers, timeout=timeout)
        if self.lost_workers_timeout is not None:
            threading.Thread(target=self._watch_workers, name="hpcore-dask-watch", daemon=True).start()

    # -- information ---------------------------------------------------------------------------------
    @property
    def client(self) -> Any:
        """The `distributed.Client` in use."""
        return self._client

    @property
    def n_workers(self) -> int:
        """Task slots connected now: the sum of the workers' threads."""
        return int(sum(self._client.nthreads().values()))

    @property
    def report_host(self) -> str:
        """Where the driver listens for its workers' reports (see `report_host=`): the local
        address on the route to the scheduler, 127.0.0.1 when the scheduler is on this machine."""
        if self._report_host is None:
            self._report_host = _local_address_towards(self._address())
        return self._report_host

    def wait_for_workers(self, n_workers: int = 1, timeout: float | None = None) -> None:
        """Block until at least `n_workers` workers are connected."""
        self._client.wait_for_workers(n_workers, timeout=timeout)

    def __repr__(self) -> str:
        where = getattr(self._client, "scheduler", None)
        addr = getattr(where, "address", "?")
        return f"DaskExecutor({addr!r}, n_workers={self.n_workers}, retries={self.retries})"

    # -- Executor ----------------------------------------------------------------------------------------
    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        """Run `fn(*args, **kwargs)` on a worker; returns a `concurrent.futures.Future` (so
        `concurrent.futures.wait` works on it). Cancelling it cancels the Dask task."""
        if self._shutdown:
            raise RuntimeError("cannot submit to a DaskExecutor after shutdown")
        if self._lost is not None:
            raise ClusterLost(self._lost)
        token = uuid.uuid4().hex
        name = getattr(fn, "__name__", type(fn).__name__)
        key = f"hpcore-{name}-{token}"
        marker = f"hpcore-attempt-{token}"
        task = _AtMostOnce(fn, marker, self.retries + 1)
        dfut = self._client.submit(task, args, kwargs, key=key, pure=False, resources=self.resources)
        cfut: Future = Future()
        with self._lock:
            # Holding the Dask future keeps the task alive (a collected future releases it).
            self._pending[key] = (dfut, cfut)

        def forward_cancel(f: Future) -> None:
            if f.cancelled() and not dfut.done():
                dfut.cancel()

        cfut.add_done_callback(forward_cancel)
        dfut.add_done_callback(lambda d: self._settle(key, marker, d, cfut))
        return cfut

    def _settle(self, key: str, marker: str, dfut: Any, cfut: Future) -> None:
        # Runs in Dask's callback thread, not on the event loop, so blocking client calls are fine.
        try:
            if dfut.status == "finished":
                outcome: tuple[str, Any] = ("result", dfut.result())
            elif dfut.status == "cancelled":
                outcome = ("cancelled", None)
            else:
                outcome = ("error", dfut.exception())
        except BaseException as e:
            outcome = ("error", e)
        # The result is here: release the task, or the death of the worker that holds it would
        # make the scheduler compute it again, i.e. run the objective a second time.
        dfut.release()
        with self._lock:
            self._pending.pop(key, None)
            self._finished.append((time.monotonic(), marker))
        kind, value = outcome
        if kind == "cancelled":
            if cfut.cancel():
                cfut.set_running_or_notify_cancel()
        elif not cfut.done():  # not cancelled by the caller, nor failed by `_give_up`
            if kind == "result":
                cfut.set_result(value)
            else:
                cfut.set_exception(value)
        self._forget(older_than=_FORGET_AFTER)

    # -- a cluster without workers ------------------------------------------------------------------------
    def _watch_workers(self) -> None:
        """Runs in a thread of its own until shutdown: once no worker has been connected for
        `lost_workers_timeout` seconds while tasks wait, give the waiting tasks up."""
        assert self.lost_workers_timeout is not None
        limit = self.lost_workers_timeout
        since: float | None = None  # when the cluster was first seen without workers, tasks waiting
        while not self._closing.wait(min(1.0, limit / 4)):
            if not self._pending or self._connected_workers() > 0:
                since = None
                continue
            now = time.monotonic()
            since = now if since is None else since
            if now - since >= limit:
                self._give_up(f"no Dask worker was connected to the scheduler at {self._address()} for {limit:g} s "
                              f"while tasks waited (DaskExecutor(lost_workers_timeout={limit:g})): the cluster lost "
                              "all its workers; the waiting tasks were given up, and the executor takes no more")
                return

    def _connected_workers(self) -> int:
        """Workers connected to the scheduler now; 0 when the scheduler does not answer in time."""
        try:
            return len(self._client.nthreads(callback_timeout=_ASK_SCHEDULER_TIMEOUT))
        except Exception:
            return 0

    def _address(self) -> str:
        return str(getattr(getattr(self._client, "scheduler", None), "address", "?"))

    def _give_up(self, reason: str) -> None:
        """Break the executor: every waiting task fails with `ClusterLost(reason)`, later submits too."""
        with self._lock:
            self._lost = reason
            pending = list(self._pending.values())
            self._pending.clear()  # nothing to wait for at shutdown: they are settled here
        for dfut, cfut in pending:
            try:
                cfut.set_exception(ClusterLost(reason))
            except Exception:  # cancelled or settled meanwhile
                pass
            try:
                dfut.cancel()  # sends a message to the scheduler; does not wait for an answer
            except Exception:
                pass

    def _forget(self, older_than: float) -> None:
        """Drop the attempt records of tasks finished more than `older_than` seconds ago from the
        scheduler (clearing an event deletes it there). The delay lets the scheduler learn that
        the task was released first, so a record never disappears while a re-run may still look."""
        limit = time.monotonic() - older_than
        with self._lock:
            done = []
            while self._finished and self._finished[0][0] <= limit:
                done.append(self._finished.popleft()[1])
        if not done or self._client.status not in ("running", "connecting"):
            return
        from distributed import Event

        for marker in done:
            for k in range(self.retries + 1):
                try:
                    Event(f"{marker}-{k}", client=self._client).clear()
                except Exception:
                    return

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop accepting work; `cancel_futures` cancels queued and running tasks; `wait` waits for
        the others. Closes the client (and local cluster) this executor created, not one it was given."""
        if self._shutdown:
            return
        self._shutdown = True  # the watch for a lost cluster runs on: it ends the wait below
        with self._lock:
            pending = list(self._pending.values())
        if cancel_futures:
            for _, cfut in pending:
                cfut.cancel()
        elif wait:
            from concurrent.futures import wait as wait_all

            wait_all([cfut for _, cfut in pending])
        deadline = time.monotonic() + 10.0  # cancelled tasks report back promptly
        while self._pending and time.monotonic() < deadline:
            time.sleep(0.01)
        self._closing.set()
        self._forget(older_than=0.0)
        if self._own_client:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown(wait=exc[0] is None, cancel_futures=exc[0] is not None)
