"""The channel between objectives running in worker processes and the driver, which owns the
storage and the pruner: a worker's `trial.report(...)` and `trial.should_prune()` travel to the
driver and the answer comes back.

Design. The driver runs one `ReportServer` per `optimize` call that needs it (an objective taking
`trial`, run on a process pool or a Dask cluster): a TCP socket on an address the workers can
reach (loopback for hpcore's own pool, the address on the route to the Dask scheduler for a
cluster) served by one thread with a selector. Each task carries a `ReportClient` (the address
and a random 32-byte key of this call), which connects on the trial's first report and closes
when the trial ends. Dask's own channels (queues, pub/sub, actors) pass through the scheduler
or a worker, a few milliseconds a message; a direct socket is one local round trip (tens of
microseconds), and it serves hpcore's pool and any cluster with the same code.

Wire format: fixed-size binary frames, no pickle: the driver never unpickles what arrives on a
socket. On connect the server sends a random nonce and the client answers with its HMAC-SHA256
under the key (a connection that fails this is closed). A request is (op, trial id, step,
value) as `<Bqqd`; an answer is (status, length) as `<BI` and a UTF-8 message of that length.

Failures. A client whose driver is gone (connection refused or closed) or silent for
`ANSWER_TIMEOUT` seconds raises `ReportChannelLost` from `report`/`should_prune`: the objective
fails instead of hanging. A report for a trial the driver has finished already (stopped for a
timeout) is refused (`TrialAlreadyFinished` in the worker, nothing written) and `should_prune`
answers True for it. `ReportServer.close()` ends the thread and closes every socket.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import secrets
import selectors
import socket
import struct
import threading
from typing import Any

from hpcore.trial import Trial, TrialAlreadyFinished, TrialState, last_report

__all__ = ["ANSWER_TIMEOUT", "CONNECT_TIMEOUT", "ReportChannelLost", "ReportClient", "ReportServer"]

#: Seconds a worker waits for the driver's answer before its report fails.
ANSWER_TIMEOUT = 120.0
#: Seconds a worker waits to connect to the driver.
CONNECT_TIMEOUT = 10.0
#: Seconds the server waits to send an answer to a worker that stopped reading.
_SEND_TIMEOUT = 10.0

_NONCE_BYTES = 32
_REQUEST = struct.Struct("<Bqqd")  # op, trial id, step, value
_ANSWER = struct.Struct("<BI")  # status, bytes of message that follow

_REPORT, _SHOULD_PRUNE = 1, 2
_NO, _YES, _VALUE_ERROR, _FINISHED, _ERROR = range(5)


class ReportChannelLost(RuntimeError):
    """A worker's report could not reach the driver (its process is gone, or did not answer in
    `ANSWER_TIMEOUT` seconds): the objective stops with this error instead of waiting."""


def _digest(key: bytes, nonce: bytes) -> bytes:
    return hmac.new(key, nonce, hashlib.sha256).digest()


class _Peer:
    """One worker's connection as the server reads it."""

    __slots__ = ("authenticated", "buffer", "expected")

    def __init__(self, expected: bytes) -> None:
        self.expected = expected
        self.buffer = bytearray()
        self.authenticated = False


class ReportServer:
    """The driver's end of the channel: serves `reports` (a `StudyReports`: `report(trial_id,
    step, value)` and `should_prune(trial_id)`) to workers, on one thread, until `close()`.

    host: the address to listen on, on a free port ("127.0.0.1" for local workers).
    """

    def __init__(self, reports: Any, host: str = "127.0.0.1") -> None:
        self._reports = reports
        self._key = secrets.token_bytes(32)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._listener = socket.create_server((host, 0), family=family)
        self._listener.setblocking(False)
        self._address = self._listener.getsockname()[:2]
        self._wake_read, self._wake_write = socket.socketpair()
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ, None)
        self._selector.register(self._wake_read, selectors.EVENT_READ, None)
        self._closed = False
        self._thread = threading.Thread(target=self._serve, name="hpcore-report-server", daemon=True)
        self._thread.start()

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) the server listens on."""
        return self._address

    def client(self) -> ReportClient:
        """What a task carries to reach this server (picklable; connects on first use). Without
        a pruner it answers `should_prune` itself (False), without a round trip."""
        return ReportClient(self._address, self._key, asks=getattr(self._reports, "pruner", True) is not None)

    def close(self) -> None:
        """Stop serving: the thread ends and every socket is closed (workers still reporting get
        `ReportChannelLost`). Idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            self._wake_write.send(b"x")
        except OSError:
            pass
        self._thread.join()
        for key in list(self._selector.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]
        self._selector.close()
        self._wake_write.close()

    def __enter__(self) -> ReportServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the server thread ---------------------------------------------------------------------------
    def _serve(self) -> None:
        while not self._closed:
            for key, _ in self._selector.select():
                sock = key.fileobj
                if sock is self._wake_read:
                    return
                if sock is self._listener:
                    self._accept()
                    continue
                try:
                    self._read(sock, key.data)  # type: ignore[arg-type]
                except Exception:  # never let one connection end the thread that serves all
                    self._drop(sock)  # type: ignore[arg-type]

    def _accept(self) -> None:
        try:
            conn, _ = self._listener.accept()
        except OSError:  # the peer gave up between the wake-up and the accept
            return
        nonce = secrets.token_bytes(_NONCE_BYTES)
        try:
            conn.settimeout(_SEND_TIMEOUT)  # reads happen only when the selector says data is there
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            conn.sendall(nonce)
        except OSError:
            conn.close()
            return
        self._selector.register(conn, selectors.EVENT_READ, _Peer(_digest(self._key, nonce)))

    def _drop(self, sock: socket.socket) -> None:
        try:
            self._selector.unregister(sock)
        except (KeyError, ValueError):  # dropped already
            pass
        sock.close()

    def _read(self, sock: socket.socket, peer: _Peer) -> None:
        try:
            data = sock.recv(65536)
        except OSError:
            data = b""
        if not data:  # the worker closed its end (its trial ended) or died
            self._drop(sock)
            return
        buf = peer.buffer
        buf += data
        if not peer.authenticated:
            if len(buf) < _NONCE_BYTES:
                return
            if not hmac.compare_digest(bytes(buf[:_NONCE_BYTES]), peer.expected):
                self._drop(sock)
                return
            peer.authenticated = True
            del buf[:_NONCE_BYTES]
        size = _REQUEST.size
        while len(buf) >= size:
            op, trial_id, step, value = _REQUEST.unpack_from(buf)
            del buf[:size]
            try:
                sock.sendall(self._answer(op, trial_id, step, value))
            except OSError:
                self._drop(sock)
                return

    def _answer(self, op: int, trial_id: int, step: int, value: float) -> bytes:
        try:
            if op == _REPORT:
                self._reports.report(trial_id, step, value)
                return _ANSWER.pack(_NO, 0)
            if op == _SHOULD_PRUNE:
                return _ANSWER.pack(_YES if self._reports.should_prune(trial_id) else _NO, 0)
            return _message(_ERROR, f"unknown request {op}")
        except TrialAlreadyFinished as e:
            t = e.trial
            last = last_report(t)
            return _message(_FINISHED, json.dumps({"state": t.state.value, "value": t.value, "error": t.error,
                                                   "last": list(last) if last else None}))
        except ValueError as e:
            return _message(_VALUE_ERROR, str(e))
        except Exception as e:  # a pruner's bug, a storage error: the worker's objective fails with it
            return _message(_ERROR, f"{type(e).__name__}: {e}")


def _message(status: int, text: str) -> bytes:
    data = text.encode("utf-8", "replace")
    return _ANSWER.pack(status, len(data)) + data


class ReportClient:
    """The worker's end of the channel: a `Reporter` for `RunningTrial`. Travels with the task
    (pickled as its address and key only) and connects on the first report."""

    def __init__(self, address: tuple[str, int], key: bytes, asks: bool = True) -> None:
        """asks: False when the study has no pruner: `should_prune` is then False here, as the
        driver would answer, and costs no round trip."""
        self._address = (address[0], int(address[1]))
        self._key = key
        self._asks = asks
        self._sock: socket.socket | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"address": self._address, "key": self._key, "asks": self._asks}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["address"], state["key"], state["asks"])  # type: ignore[misc]

    def report(self, trial_id: int, step: int, value: float) -> None:
        self._check(*self._ask(_REPORT, trial_id, step, value), trial_id)

    def should_prune(self, trial_id: int) -> bool:
        if not self._asks:
            return False
        return self._check(*self._ask(_SHOULD_PRUNE, trial_id, 0, math.nan), trial_id) == _YES

    def release(self) -> None:
        """Close the connection (the trial ended); a later report would connect again."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _where(self) -> str:
        return f"{self._address[0]}:{self._address[1]}"

    def _connect(self) -> socket.socket:
        try:
            sock = socket.create_connection(self._address, timeout=CONNECT_TIMEOUT)
        except OSError as e:
            raise ReportChannelLost(f"cannot reach the driver's report channel at {self._where()} "
                                    f"({type(e).__name__}: {e}): the process running the study is gone or "
                                    "cannot be reached from this worker") from None
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.settimeout(ANSWER_TIMEOUT)
            nonce = _receive(sock, _NONCE_BYTES)
            sock.sendall(_digest(self._key, nonce))
        except BaseException:
            sock.close()
            raise
        return sock

    def _ask(self, op: int, trial_id: int, step: int, value: float) -> tuple[int, bytes]:
        try:
            if self._sock is None:
                self._sock = self._connect()
            self._sock.sendall(_REQUEST.pack(op, trial_id, step, value))
            status, size = _ANSWER.unpack(_receive(self._sock, _ANSWER.size))
            return status, _receive(self._sock, size) if size else b""
        except ReportChannelLost:
            self.release()
            raise
        except TimeoutError:
            self.release()
            raise ReportChannelLost(f"the driver's report channel at {self._where()} did not answer in "
                                    f"{ANSWER_TIMEOUT:g} s") from None
        except OSError as e:
            self.release()
            raise ReportChannelLost(f"the driver's report channel at {self._where()} closed "
                                    f"({type(e).__name__}: {e}): the process running the study is gone, or its "
                                    "optimize call has ended") from None

    @staticmethod
    def _check(status: int, message: bytes, trial_id: int) -> int:
        """Raise what the driver's answer says went wrong; else return the status."""
        if status in (_NO, _YES):
            return status
        text = message.decode("utf-8", "replace")
        if status == _VALUE_ERROR:
            raise ValueError(text)
        if status == _FINISHED:
            d = json.loads(text)
            # The record as far as the error's message needs it; the driver holds the whole one.
            last = d.get("last")
            raise TrialAlreadyFinished(Trial(id=trial_id, params={}, state=TrialState(d["state"]), value=d["value"],
                                             error=d["error"], intermediate_values={last[0]: last[1]} if last else {}))
        raise RuntimeError(f"the driver could not handle trial {trial_id}'s request: {text}")


def _receive(sock: socket.socket, n: int) -> bytes:
    """Exactly `n` bytes from `sock`; `ConnectionError` if it closes first."""
    chunks, got = [], 0
    while got < n:
        chunk = sock.recv(n - got)
        if not chunk:
            raise ConnectionError("the connection closed")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)
