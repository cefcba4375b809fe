"""`hpcore report`, `hpcore dashboard` and the demo's report, run as a user runs them: the
installed console script in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from hpcore import cli
from tests.report.sample_studies import random_study

pytest.importorskip("plotly", reason="the report needs plotly: pip install 'hpcore[report]'")

EXE = shutil.which("hpcore") or str(Path(sys.executable).with_name("hpcore"))


def hpcore(*args, cwd=None, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([EXE, *map(str, args)], capture_output=True, text=True, timeout=timeout, cwd=cwd)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "runs" / "study.db"
    random_study(path, n=15)
    return path


def test_report_writes_next_to_the_study_and_says_where(db):
    r = hpcore("report", db)
    assert r.returncode == 0, r.stderr
    target = db.with_name("study-report.html")
    assert r.stdout.strip() == f"report written to {target}" and target.stat().st_size > 100_000


def test_report_to_a_chosen_file_with_a_name(db, tmp_path, capsys):
    target = tmp_path / "out" / "r.html"
    assert cli.main(["report", str(db), "--name", "mlp-random", "-o", str(target)]) == 0
    assert capsys.readouterr().out == f"report written to {target}\n" and target.is_file()


@pytest.mark.parametrize("args, message", [
    (["--name", "nope"], "no study named 'nope'"),
    (["-o", "."], "is a folder"),
])
def test_report_mistakes_are_one_line(db, tmp_path, args, message):
    r = hpcore("report", db, *args, cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and message in r.stderr, r.stderr
    assert r.stderr.startswith("hpcore: error: ")


def test_report_of_something_that_is_not_a_study_file(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    for target, message in ((tmp_path / "notes.txt", "is not an SQLite database"), (tmp_path / "none.db", "no such file")):
        r = hpcore("report", target)
        assert r.returncode == 2 and message in r.stderr and "Traceback" not in r.stderr
    assert not (tmp_path / "none.db").exists()


def test_the_commands_are_documented():
    doc = cli.__doc__ or ""
    assert "hpcore report study.db" in doc and "hpcore dashboard study.db" in doc
    help_text = hpcore("dashboard", "--help").stdout
    assert "--port" in help_text and "--host" in help_text and "127.0.0.1" in help_text


@pytest.mark.slow
def test_dashboard_serves_until_ctrl_c(db):
    proc = subprocess.Popen([EXE, "dashboard", str(db), "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith(f"hpcore dashboard of {db}: http://127.0.0.1:"), line + proc.stderr.read()
        url = line.split()[4]
        with urllib.request.urlopen(url + "api/studies", timeout=30) as r:
            assert json.load(r)["studies"][0]["name"] == "mlp-random"
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 0 and "stopped" in out and "Traceback" not in err, err
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.slow
def test_dashboard_on_a_port_in_use(db):
    first = subprocess.Popen([EXE, "dashboard", str(db), "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        port = first.stdout.readline().split(":")[-1].split("/")[0]
        r = hpcore("dashboard", db, "--port", port, timeout=120)
        assert r.returncode == 2 and f"port {port} on 127.0.0.1 is in use" in r.stderr
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=30)


@pytest.mark.slow
def test_demo_ends_with_the_path_of_its_report(tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    r = subprocess.run([EXE, "demo", "--synthetic", "--trials", "5", "--quiet", "--out", "runs"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=600, env=env)
    assert r.returncode == 0, r.stderr
    last = r.stdout.strip().splitlines()[-1]
    assert last.startswith("report: runs/demo-report.html"), r.stdout
    page = (tmp_path / "runs" / "demo-report.html").read_text(encoding="utf-8")
    assert '"name":"demo-hartmann6-' in page
