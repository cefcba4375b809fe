"""What a user sees in a terminal: failure lines above the progress bar, the resume hint after
Ctrl-C. Each test runs a plain script in a real subprocess (in a pseudo-terminal where the bar
matters), as a user would."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import shlex
import signal
import sqlite3
import struct
import subprocess
import sys
import termios
import textwrap
from pathlib import Path

import pytest

COLUMNS = 100
ESCAPE = re.compile(r"\x1b\[(\d*)([A-Za-z])")


def run_in_terminal(argv: list[str], cwd: Path) -> tuple[int, str]:
    """Run `argv` with stdin, stdout and stderr on a pseudo-terminal; (exit code, raw output)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 30, COLUMNS, 0, 0))
    env = {**os.environ, "COLUMNS": str(COLUMNS), "TERM": "xterm"}
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, cwd=cwd, env=env, close_fds=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    return proc.wait(timeout=60), b"".join(chunks).decode("utf-8", "replace")


def screen(raw: str) -> list[str]:
    """The lines a terminal shows after printing `raw`: carriage returns overwrite, escape
    sequences that move the cursor up are followed, other escape sequences are dropped."""
    lines: list[list[str]] = [[]]
    row = col = 0
    i = 0
    while i < len(raw):
        m = ESCAPE.match(raw, i)
        if m:
            if m.group(2) == "A":
                row = max(0, row - int(m.group(1) or 1))
            i = m.end()
            continue
        ch = raw[i]
        i += 1
        if ch == "\r":
            col = 0
        elif ch == "\n":
            row += 1
            col = 0
            if row == len(lines):
                lines.append([])
        else:
            line = lines[row]
            while len(line) <= col:
                line.append(" ")
            line[col] = ch
            col += 1
    return ["".join(chars).rstrip() for chars in lines]


FAILING = """\
    import hpcore

    def objective(params, trial):
        if trial.id % 3 == 0:
            raise RuntimeError("boom")
        return params["x"]

    hpcore.minimize(objective, {"x": hpcore.Float(0.0, 1.0)}, n_trials=9, seed=0, verbose=VERBOSE)
"""


def is_bar(line: str) -> bool:
    return "trial/s" in line or "it/s" in line or re.search(r"\d+/\d+ \[", line) is not None


def test_failure_lines_print_above_the_progress_bar_not_across_it(tmp_path):
    (tmp_path / "fails.py").write_text(textwrap.dedent(FAILING).replace("VERBOSE", "True"))
    code, raw = run_in_terminal([sys.executable, "fails.py"], tmp_path)
    assert code == 0, raw
    shown = [ln for ln in screen(raw) if ln.strip()]
    failures = [ln for ln in shown if "failed:" in ln]
    assert failures == [f"trial {i} failed: RuntimeError: boom" for i in (0, 3, 6)], shown
    bars = [ln for ln in shown if is_bar(ln)]
    assert len(bars) == 1 and "9/9" in bars[0] and shown[-1] == bars[0], shown  # no stale bars


def test_failure_lines_still_show_without_the_bar(tmp_path):
    (tmp_path / "fails.py").write_text(textwrap.dedent(FAILING).replace("VERBOSE", "False"))
    proc = subprocess.run([sys.executable, "fails.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines() == [f"trial {i} failed: RuntimeError: boom" for i in (0, 3, 6)]


def test_configured_logging_gets_the_failures_and_hpcore_adds_no_handler(tmp_path):
    script = textwrap.dedent(FAILING).replace("VERBOSE", "True")
    script = ("import logging, sys\nlogging.basicConfig(stream=sys.stdout, format='LOG %(name)s %(message)s')\n"
              + script + "print('handlers', logging.getLogger('hpcore').handlers, len(logging.getLogger().handlers))\n")
    (tmp_path / "logs.py").write_text(script)
    proc = subprocess.run([sys.executable, "logs.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert [ln for ln in proc.stdout.splitlines() if ln.startswith("LOG")] == [
        f"LOG hpcore trial {i} failed: RuntimeError: boom" for i in (0, 3, 6)]
    assert proc.stdout.splitlines()[-1] == "handlers [] 1"
    assert "failed:" not in proc.stderr  # printed once, by the application's handler


# -- Ctrl-C -----------------------------------------------------------------------------------------------
SLOW = """\
    import sys
    import time

    import hpcore

    def objective(params, trial):
        print("started", trial.id, flush=True)
        time.sleep(60 if trial.id == WAIT_AT else 0.01)  # the test presses Ctrl-C during this trial
        return params["x"]

    study = hpcore.Study({"x": hpcore.Float(0.0, 1.0)}, storage="runs/study.db", name="slow", seed=1)
    study.optimize(objective, n_trials=6, verbose=True)
    print("done", len(study.trials), flush=True)
"""


def interrupt_when(proc: subprocess.Popen, line: str) -> str:
    """Read the process's stdout until `line`, then press Ctrl-C (SIGINT to its process group,
    as a terminal does); returns the stdout read so far."""
    seen = []
    for got in proc.stdout:
        seen.append(got)
        if got.strip() == line:
            os.killpg(proc.pid, signal.SIGINT)
            break
    else:
        raise AssertionError(f"{line!r} never printed: {''.join(seen)}")
    return "".join(seen)


def states(db: Path) -> list[tuple[int, str, str | None]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT number, state, error FROM trials ORDER BY number").fetchall()


def test_ctrl_c_in_a_script_says_how_to_resume_and_leaves_nothing_running(tmp_path):
    (tmp_path / "slow.py").write_text(textwrap.dedent(SLOW).replace("WAIT_AT", "2"))
    proc = subprocess.Popen([sys.executable, "slow.py"], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    interrupt_when(proc, "started 2")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGINT, err  # Python's exit for an uncaught KeyboardInterrupt
    assert err.rstrip().splitlines()[-1].startswith("hpcore: ")  # the hint closes the traceback
    hint = err[err.rindex("KeyboardInterrupt"):]
    assert "study 'slow'" in hint and "2 finished trials" in hint
    assert "to resume" in hint and "storage='runs/study.db', name='slow'" in hint
    rows = states(tmp_path / "runs" / "study.db")
    assert [r[1] for r in rows] == ["COMPLETE", "COMPLETE", "FAILED"] and "interrupted" in rows[2][2]

    (tmp_path / "slow.py").write_text(textwrap.dedent(SLOW).replace("WAIT_AT", "-1"))
    done = subprocess.run([sys.executable, "slow.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == "started 3" and "done 9" in done.stdout  # ids go on: resumed


def test_ctrl_c_of_hpcore_run_prints_the_same_command_to_resume(tmp_path):
    (tmp_path / "train.py").write_text(textwrap.dedent("""\
        import time

        def objective(params):
            print("started", flush=True)
            time.sleep(60 if params["x"] > 0.0 else 0.0)
            return params["x"]
    """))
    (tmp_path / "space.json").write_text('{"x": {"type": "float", "low": 0.0, "high": 1.0}}')
    argv = ["run", "train.py:objective", "--space", "space.json", "--trials", "5", "--storage", "s.db"]
    proc = subprocess.Popen([sys.executable, "-m", "hpcore.cli", *argv], cwd=tmp_path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    interrupt_when(proc, "started")
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    lines = err.rstrip().splitlines()
    assert lines[-1].strip() == "hpcore " + shlex.join(argv), err
    assert "to resume, run the same command again" in lines[-2]
    assert sum("resume" in ln for ln in lines) == 1  # one hint, not the library's as well
    assert [r[1] for r in states(tmp_path / "s.db")] == ["FAILED"]


@pytest.mark.parametrize("via", ["api", "cli"])
def test_a_strategy_change_on_resume_gives_one_hint(tmp_path, via):
    (tmp_path / "train.py").write_text("def objective(params):\n    return params['x']\n")
    (tmp_path / "space.json").write_text('{"x": {"type": "float", "low": 0.0, "high": 1.0}}')
    if via == "cli":
        base = [sys.executable, "-m", "hpcore.cli", "run", "train.py:objective", "--space", "space.json",
                "--trials", "2", "--storage", "s.db", "--quiet"]
        assert subprocess.run(base, cwd=tmp_path, capture_output=True, timeout=60).returncode == 0
        proc = subprocess.run(base + ["--strategy", "grid"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 2
        assert "--allow-changes" in proc.stderr and "allow_changes=True" not in proc.stderr
    else:
        script = ("import hpcore\nspace = {'x': hpcore.Float(0.0, 1.0, step=0.5)}\n"
                  "hpcore.Study(space, strategy=STRATEGY, storage='s.db', name='a')\n")
        (tmp_path / "a.py").write_text(script.replace("STRATEGY", "'random'"))
        assert subprocess.run([sys.executable, "a.py"], cwd=tmp_path, timeout=60).returncode == 0
        (tmp_path / "a.py").write_text(script.replace("STRATEGY", "'grid'"))
        proc = subprocess.run([sys.executable, "a.py"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
        assert proc.returncode == 1
    hints = re.findall(r"allow_changes=True|--allow-changes", proc.stderr)
    assert len(hints) == 1, proc.stderr
