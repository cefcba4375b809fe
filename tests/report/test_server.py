"""The dashboard's server: its routes, nothing else, and reading a study file while a study
writes it."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import textwrap
import time

import pytest

from hpcore.report import server as server_module
from hpcore.report.errors import ReportError
from hpcore.report.server import make_server
from tests.report.live_server import Running
from tests.report.sample_studies import random_study

pytest.importorskip("plotly", reason="the dashboard needs plotly: pip install 'hpcore[report]'")


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory):
    db = tmp_path_factory.mktemp("dash") / "s.db"
    random_study(db, n=20)
    random_study(db, n=5, name="a/b ü?#")
    running = Running(db)
    yield running
    running.stop()


def test_the_page_and_the_study_list(dashboard):
    status, kind, body = dashboard.get("/")
    assert status == 200 and kind == "text/html; charset=utf-8"
    page = body.decode()
    assert '"live":{"poll_seconds":0.5' in page and "connect-src 'self'" in page
    assert '{"studies":[]}' in page  # the data comes from the JSON routes
    studies = dashboard.json("/api/studies")["studies"]
    assert [(s["name"], s["n_trials"], s["strategy"]) for s in studies] == [("mlp-random", 20, "random"),
                                                                             ("a/b ü?#", 5, "random")]


def test_a_study_by_its_percent_encoded_name_and_the_version_poll(dashboard):
    from urllib.parse import quote

    p = dashboard.json("/api/study/" + quote("a/b ü?#", safe=""))
    assert p["name"] == "a/b ü?#" and len(p["trials"]["id"]) == 5
    same = dashboard.json(f"/api/study/{quote('a/b ü?#', safe='')}?since={p['version']}")
    assert same == {"name": "a/b ü?#", "version": p["version"], "unchanged": True}
    again = dashboard.json(f"/api/study/mlp-random?since={p['version'] - 1}")
    assert "trials" in again  # another study's version says nothing about this one


@pytest.mark.parametrize("path", [
    "/../../etc/passwd", "/..%2F..%2Fetc%2Fpasswd", "/%2e%2e/%2e%2e/etc/passwd", "//etc/passwd",
    "/api/study/../../../etc/passwd", "/api/study/..%2F..%2F..%2Fetc%2Fpasswd", "/api/study/%2e%2e",
    "/api/study/", "/api/study/nope", "/api/study/%ff%fe", "/api/study/mlp-random/../../etc/passwd",
    "/api/studies/../../etc/passwd", "/index.html", "/report.js", "/assets/page.html", "/s.db", "/api",
    "/hpcore/report/server.py", "/%00", "/api/study/mlp-random%00",
])
def test_anything_else_is_not_found_and_never_a_file(dashboard, path):
    status, kind, body = dashboard.get(path)
    assert status == 404 and kind == "application/json", (path, status)
    assert b"root:" not in body and b"import" not in body and b"SQLite" not in body


def test_requests_for_another_host_name_are_refused(dashboard):
    """DNS rebinding: a page of evil.example whose name now points at 127.0.0.1 gets nothing."""
    assert dashboard.get("/api/studies", host="evil.example")[0] == 403
    assert dashboard.get("/api/studies", host=f"localhost:{dashboard.port}")[0] == 200
    assert dashboard.get("/api/studies", host=f"127.0.0.1:{dashboard.port}")[0] == 200


def test_only_get(dashboard):
    c = http.client.HTTPConnection("127.0.0.1", dashboard.port, timeout=30)
    c.request("POST", "/api/studies", body=b"{}")
    assert c.getresponse().status == 501
    c.close()


def test_the_gp_parts_are_refitted_only_when_the_results_have_grown(tmp_path, monkeypatch):
    db = tmp_path / "s.db"
    study = random_study(db, n=120)
    calls = []
    real = server_module.model_section
    monkeypatch.setattr(server_module, "model_section", lambda rec, trials: calls.append(len(trials)) or real(rec, trials))
    dash = server_module.Dashboard(db)
    try:
        dash.study("mlp-random", None)
        study.add({"lr": 1e-3, "units": 128, "dropout": 0.1, "opt": "adam"}, 0.5)
        dash.study("mlp-random", None)  # one more result of ~110: the model is kept
        assert calls == [120]
        for _ in range(12):
            study.add({"lr": 1e-3, "units": 128, "dropout": 0.1, "opt": "adam"}, 0.5)
        body = json.loads(dash.study("mlp-random", None))
        assert calls == [120, 133] and len(body["trials"]["id"]) == 133
    finally:
        dash.close()


def test_an_address_in_use_is_a_clear_error(dashboard, tmp_path):
    with pytest.raises(ReportError, match=f"port {dashboard.port} on 127.0.0.1 is in use"):
        make_server(dashboard.server.dashboard.storage.path, "127.0.0.1", dashboard.port)


WRITER = """
import sys, time, hpcore
space = hpcore.Space({"x": hpcore.Float(0.0, 1.0)})
study = hpcore.Study(space, strategy="random", storage=sys.argv[1], name="live", seed=0)
print("ready", flush=True)
for i in range(int(sys.argv[2])):
    t = study.ask()
    time.sleep(0.01)
    study.tell(t, (t.params["x"] - 0.3) ** 2)
print("done", len(study.trials), flush=True)
"""


@pytest.mark.slow
def test_reading_while_a_study_writes_the_file(tmp_path):
    """A plain script keeps telling trials; the dashboard is polled all the while. The writer is
    never blocked (it finishes every trial, no 'database is locked'), each poll sees a committed
    state, and the last poll sees every trial."""
    db = tmp_path / "live.db"
    random_study(db, n=3, name="other")  # the file exists before the server opens it
    script = tmp_path / "writer.py"
    script.write_text(textwrap.dedent(WRITER))
    n = 80
    running = Running(db)
    writer = subprocess.Popen([sys.executable, str(script), str(db), str(n)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "ready"
        counts, versions = [], []
        deadline = time.monotonic() + 120
        while writer.poll() is None and time.monotonic() < deadline:
            status, _, body = running.get("/api/study/live")
            assert status == 200, body[:500]
            p = json.loads(body)
            counts.append(len(p["trials"]["id"]))
            versions.append(p["version"])
            assert p["trials"]["id"] == list(range(counts[-1]))
            time.sleep(0.05)
        out, err = writer.communicate(timeout=60)
        assert writer.returncode == 0, err
        assert out.strip() == f"done {n}" and "locked" not in err
        assert len(counts) >= 3 and counts == sorted(counts) and versions == sorted(versions)
        assert counts[0] < n
        final = running.json("/api/study/live")
        assert len(final["trials"]["id"]) == n and final["summary"]["counts"] == {"COMPLETE": n}
    finally:
        if writer.poll() is None:
            writer.kill()
        running.stop()
