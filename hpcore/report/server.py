"""`hpcore dashboard`: the report page, served live from a study file that a study may be writing.

Standard library only (`http.server.ThreadingHTTPServer`). Routes, all GET, all generated:

    /                     the report page without data (`render_page(live=...)`)
    /api/studies          {"studies": [{"name", "direction", "strategy", "n_trials"}]}
    /api/study/<name>     the study's payload (`hpcore.report.payload`), <name> percent-encoded;
                          with ?since=V, {"unchanged": true, "version": V} while the study is at V

Anything else is 404; nothing is ever read from disk by its URL, so no path can reach a file.
The server binds 127.0.0.1 unless told another host, and while it listens on a loopback
address it answers only requests whose Host header names a loopback address, so a web page
elsewhere cannot read a study through a DNS name rebound to 127.0.0.1.

Reading: the study file is opened read-only (`open_study_file`): in WAL mode a reader never
blocks the writer, and each request reads one committed state. The page polls; a poll that finds
the study's version unchanged costs one small query. A changed study is rebuilt, but the GP
parts (importance, contour, recommendation: `model_section`) are refitted only when the results
have grown by a tenth (or below 100 results, by one), so a fast study does not keep two cores busy.
"""

from __future__ import annotations

import errno
import ipaddress
import json
import os
import socket
import threading
import traceback
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from hpcore.report.errors import ReportError
from hpcore.report.html import render_page
from hpcore.report.payload import model_section, study_payload
from hpcore.report.study_file import open_study_file

__all__ = ["Dashboard", "make_server", "serve"]

_API_STUDY = "/api/study/"
_LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host.endswith(".localhost")


class Dashboard:
    """What the request threads share: the read-only study file, the page, and the payloads
    built so far (one per study, with the version it was built at)."""

    def __init__(self, study_file: str | os.PathLike, poll_seconds: float = 2.0) -> None:
        if not poll_seconds > 0:
            raise ValueError(f"poll_seconds must be > 0, got {poll_seconds!r}")
        self.storage = open_study_file(study_file)
        self.poll_seconds = float(poll_seconds)
        self.page = render_page(None, live={"poll_seconds": self.poll_seconds, "study": None},
                                title=f"{os.path.basename(os.fspath(study_file))} · hpcore dashboard").encode("utf-8")
        self._lock = threading.Lock()  # one build at a time: a build may fit two GPs
        self._payloads: dict[str, tuple[int, bytes]] = {}
        self._models: dict[str, dict[str, Any]] = {}

    def studies(self) -> bytes:
        """The body of /api/studies."""
        rows = [{"name": r.name, "direction": r.direction, "strategy": r.strategy.get("name"), "n_trials": r.n_trials}
                for r in self.storage.list_studies()]
        return _json({"studies": rows})

    def study(self, name: str, since: int | None) -> bytes | None:
        """The body of /api/study/<name>, or None when the file holds no such study."""
        record = self.storage.get_study(name)
        if record is None:
            return None
        if since is not None:
            changed, version = self.storage.trials_since(record.id, since)
            if version == since and not changed:
                return _json({"name": name, "version": version, "unchanged": True})
        with self._lock:
            trials, version = self.storage.trials_since(record.id, 0)
            held = self._payloads.get(name)
            if held is not None and held[0] == version:
                return held[1]
            model = self._model(record, trials)
            body = _json(study_payload(record, trials, version=version, model=model))
            self._payloads[name] = (version, body)
            return body

    def _model(self, record: Any, trials: list) -> dict[str, Any]:
        n = sum(t.ok for t in trials)
        held = self._models.get(record.name)
        if held is None or (n != held["n_results"] and (n < 100 or n >= 1.1 * held["n_results"])):
            held = self._models[record.name] = model_section(record, trials)
        return held

    def close(self) -> None:
        self.storage.close()


def _json(data: Any) -> bytes:
    return json.dumps(data, allow_nan=False, separators=(",", ":")).encode("utf-8")


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "hpcore-dashboard"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        if self.server.log is not None:
            self.server.log(f"{self.address_string()} {format % args}")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, message: str) -> None:
        self._send(status, _json({"error": message}), "application/json")

    def _host_allowed(self) -> bool:
        if not self.server.loopback_only:
            return True
        host = self.headers.get("Host")
        if host is None:
            return True
        name = host.rsplit(":", 1)[0] if not host.startswith("[") else host[1:host.find("]")]
        return _is_loopback(name.lower())

    def do_HEAD(self) -> None:  # noqa: N802 - http.server's naming
        self.do_GET()

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if not self._host_allowed():
            self._error(403, "this dashboard answers requests for localhost only")
            return
        url = urlsplit(self.path)
        path = url.path
        dash = self.server.dashboard
        try:
            if path == "/":
                self._send(200, dash.page, "text/html; charset=utf-8")
            elif path == "/api/studies":
                self._send(200, dash.studies(), "application/json")
            elif path.startswith(_API_STUDY) and len(path) > len(_API_STUDY):
                name = unquote(path[len(_API_STUDY):], errors="strict")
                since_text = parse_qs(url.query).get("since", [None])[0]
                since = int(since_text) if since_text is not None and since_text.isdigit() else None
                body = dash.study(name, since)
                if body is None:
                    self._error(404, f"no study named {name!r} in this file")
                else:
                    self._send(200, body, "application/json")
            else:
                self._error(404, "not found: the dashboard serves /, /api/studies and /api/study/<name>")
        except UnicodeDecodeError:
            self._error(404, "not found: a study name must be UTF-8")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the browser went away
        except Exception as e:  # a bug must not stop the dashboard: the page shows the error
            if self.server.log is not None:
                self.server.log(traceback.format_exc())
            self._error(500, f"{type(e).__name__}: {e}")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], dashboard: Dashboard, log: Callable[[str], None] | None) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.dashboard = dashboard
        self.log = log
        self.loopback_only = _is_loopback(address[0])
        super().__init__(address, _Handler)


def make_server(study_file: str | os.PathLike, host: str = "127.0.0.1", port: int = 8080, *,
                poll_seconds: float = 2.0, log: Callable[[str], None] | None = None) -> _Server:
    """A dashboard server bound to (host, port), not yet serving (call `serve_forever`). Port 0
    takes a free port (`server.server_address[1]` says which). `log`: receives one line per
    request, or None for silence. Raises `ReportError` when the address cannot be bound."""
    if not 0 <= port <= 65535:
        raise ReportError(f"port must be in 0..65535, got {port}")
    dashboard = Dashboard(study_file, poll_seconds=poll_seconds)
    try:
        return _Server((host, port), dashboard, log)
    except OSError as e:
        dashboard.close()
        if e.errno == errno.EADDRINUSE:
            raise ReportError(f"port {port} on {host} is in use; give another with --port (0 picks a free one)") from None
        raise ReportError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None


def serve(study_file: str | os.PathLike, host: str = "127.0.0.1", port: int = 8080, *, poll_seconds: float = 2.0,
          echo: Callable[[str], None] = print, log: Callable[[str], None] | None = None) -> None:
    """Serve the dashboard of `study_file` until Ctrl-C (see the module docstring)."""
    server = make_server(study_file, host, port, poll_seconds=poll_seconds, log=log)
    bound_host, bound_port = server.server_address[:2]
    shown = f"[{bound_host}]" if ":" in str(bound_host) else bound_host
    echo(f"hpcore dashboard of {study_file}: http://{shown}:{bound_port}/  (read-only; Ctrl-C stops it)")
    try:
        server.serve_forever(poll_interval=0.5)
    except KeyboardInterrupt:
        echo("hpcore dashboard stopped")
    finally:
        server.server_close()
        server.dashboard.close()
