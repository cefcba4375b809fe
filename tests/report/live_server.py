"""A dashboard serving in a thread of the test process, and plain HTTP requests to it."""

from __future__ import annotations

import http.client
import json
import threading
from pathlib import Path

from hpcore.report.server import make_server


class Running:
    """A dashboard of `db` on a free port of 127.0.0.1, until `stop`."""

    def __init__(self, db: Path, poll_seconds: float = 0.5) -> None:
        self.server = make_server(db, "127.0.0.1", 0, poll_seconds=poll_seconds)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def get(self, path: str, host: str | None = None) -> tuple[int, str, bytes]:
        """(status, content type, body) of GET `path`, sent exactly as written."""
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            c.putrequest("GET", path, skip_host=host is not None)
            if host is not None:
                c.putheader("Host", host)
            c.endheaders()
            r = c.getresponse()
            return r.status, r.getheader("Content-Type", ""), r.read()
        finally:
            c.close()

    def json(self, path: str) -> dict:
        status, kind, body = self.get(path)
        assert status == 200 and kind == "application/json", (status, body[:300])
        return json.loads(body)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.server.dashboard.close()
