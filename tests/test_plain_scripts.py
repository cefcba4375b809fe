"""Parallel runs as users write them: plain scripts without `if __name__ == "__main__":`, run
as a file, piped to `python -`, given to `python -c` and typed into the REPL.

Each test runs a real interpreter in a subprocess on a SQLite study in tmp_path, with the
objective defined in the script's `__main__`. A worker process that executed the user's
`__main__` again would print a second "DRIVER" line and write trials of its own into the study
(its top-level ask/tell/add/enqueue), so every test checks the exact trial count and that every
trial's owner (`host:pid:uuid`) carries the driver's pid. Each takes a second or two (the
ones that take more are marked slow).
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

#: Seconds any script may take; a hang fails the test instead of blocking CI.
TIMEOUT = 180

STUDY_SCRIPT = textwrap.dedent("""\
    import os
    import sys
    from hpcore import Float, Space, Study
    print("DRIVER", os.getpid(), flush=True)
    study = Study(Space({"x": Float(0.0, 1.0)}), storage=sys.argv[1], name="plain", seed=0)
    trial = study.ask()
    study.tell(trial, 1.0)
    study.add({"x": 0.5}, 0.25)
    study.enqueue({"x": 0.1})
    offset = 0.5
    def objective(params):
        return (params["x"] - offset) ** 2

    study.optimize(objective, n_trials=4, n_workers=2, verbose=False)
    study.optimize(lambda p: abs(p["x"] - offset), n_trials=2, n_workers=2, verbose=False)
    print("TRIALS", len(study.trials), flush=True)
    """)
# 1 asked and told, 1 added, then 4 + 2 optimized (the first of them the enqueued one).
STUDY_TRIALS = 8

MINIMIZE_SCRIPT = textwrap.dedent("""\
    import os
    import sys
    import hpcore
    print("DRIVER", os.getpid(), flush=True)
    space = hpcore.Space({"x": hpcore.Float(-1.0, 1.0), "k": hpcore.Int(1, 3)})
    result = hpcore.minimize(lambda p: p["x"] ** 2 + p["k"], space, n_trials=5, n_workers=2, seed=1,
                             storage=sys.argv[1], name="plain", verbose=False)
    print("TRIALS", len(result.trials), flush=True)
    """)

SKLEARN_SCRIPT = textwrap.dedent("""\
    import os
    import sys
    from sklearn.datasets import make_classification
    from sklearn.tree import DecisionTreeClassifier
    from hpcore import Int
    from hpcore.adapters.sklearn import HPSearchCV
    print("DRIVER", os.getpid(), flush=True)
    X, y = make_classification(n_samples=60, n_features=4, random_state=0)
    search = HPSearchCV(DecisionTreeClassifier(random_state=0), {"max_depth": Int(1, 4)}, strategy="random",
                        n_trials=4, cv=2, n_jobs=2, random_state=0, storage=sys.argv[1], study_name="plain")
    search.fit(X, y)
    print("TRIALS", len(search.study_.trials), flush=True)
    """)

# An objective that kills its worker (as an out-of-memory kill would) for one configuration.
DYING_SCRIPT = textwrap.dedent("""\
    import os
    import signal
    import sys
    from hpcore import Float, Space, Study
    print("DRIVER", os.getpid(), flush=True)
    study = Study(Space({"x": Float(0.0, 1.0)}), storage=sys.argv[1], name="plain", seed=0)
    study.enqueue({"x": 0.0})
    study.enqueue({"x": 0.95})
    def objective(params):
        if params["x"] > 0.9:
            os.kill(os.getpid(), signal.SIGKILL)
        return params["x"]

    study.optimize(objective, n_trials=6, n_workers=2, verbose=False)
    print("TRIALS", len(study.trials), flush=True)
    """)


def _command(mode: str, source: str, db: Path) -> tuple[list[str], str | None]:
    """The command line and standard input that run `source` as a user would in `mode`, with
    `db` as its first argument."""
    if mode == "file":
        script = db.parent / "user_script.py"
        script.write_text(source)
        return [sys.executable, str(script), str(db)], None
    if mode == "stdin":
        return [sys.executable, "-", str(db)], source
    if mode == "-c":
        return [sys.executable, "-c", source, str(db)], None
    if mode == "repl":  # the interactive interpreter, fed line by line
        return [sys.executable, "-i", "-q"], f"import sys; sys.argv[1:] = [{str(db)!r}]\n{source}"
    raise ValueError(mode)


def run_script(tmp_path: Path, source: str, mode: str = "file") -> tuple[subprocess.CompletedProcess, Path]:
    """Run `source` in a fresh interpreter in `tmp_path`, with the study database as its first argument."""
    db = tmp_path / "study.db"
    cmd, stdin = _command(mode, source, db)
    proc = subprocess.run(cmd, input=stdin, cwd=tmp_path, capture_output=True, text=True, timeout=TIMEOUT)
    return proc, db


def driver_pid(stdout: str) -> int:
    """The pid the script printed; fails when the script's top level ran more than once."""
    lines = [line for line in stdout.splitlines() if line.startswith("DRIVER ")]
    assert len(lines) == 1, f"the script's top level ran {len(lines)} times:\n{stdout}"
    return int(lines[0].split()[1])


def stored_trials(db: Path) -> list[tuple[str, str]]:
    """(state, owner) of every trial in the database."""
    with sqlite3.connect(db) as con:
        return con.execute("SELECT state, owner FROM trials ORDER BY study_id, number").fetchall()


def assert_only_the_driver_wrote(proc: subprocess.CompletedProcess, db: Path, n_trials: int) -> list[str]:
    assert proc.returncode == 0, proc.stderr[-3000:]
    pid = driver_pid(proc.stdout)
    rows = stored_trials(db)
    assert len(rows) == n_trials, rows
    assert {owner.split(":")[1] for _, owner in rows} == {str(pid)}, rows
    assert [line for line in proc.stdout.splitlines() if line.startswith("TRIALS ")] == [f"TRIALS {n_trials}"], proc.stdout
    return [state for state, _ in rows]


@pytest.mark.parametrize("mode", ["file", "stdin", "-c", "repl"])
def test_an_unguarded_script_runs_its_workers_without_rerunning_itself(tmp_path, mode):
    proc, db = run_script(tmp_path, STUDY_SCRIPT, mode)
    states = assert_only_the_driver_wrote(proc, db, STUDY_TRIALS)
    assert states == ["COMPLETE"] * STUDY_TRIALS


def test_minimize_with_workers_in_an_unguarded_script(tmp_path):
    proc, db = run_script(tmp_path, MINIMIZE_SCRIPT)
    assert assert_only_the_driver_wrote(proc, db, 5) == ["COMPLETE"] * 5


@pytest.mark.slow
def test_hpsearchcv_with_n_jobs_in_an_unguarded_script(tmp_path):
    pytest.importorskip("sklearn")
    proc, db = run_script(tmp_path, SKLEARN_SCRIPT)
    assert assert_only_the_driver_wrote(proc, db, 4) == ["COMPLETE"] * 4


def test_a_killed_worker_fails_its_trial_and_the_script_goes_on(tmp_path):
    proc, db = run_script(tmp_path, DYING_SCRIPT)
    states = assert_only_the_driver_wrote(proc, db, 6)
    # Trial 1 killed its worker; every worker is a pool of its own, so no other trial fails with
    # it, and the next trial in that slot gets a new worker.
    assert states == ["COMPLETE", "FAILED"] + ["COMPLETE"] * 4, states
    with sqlite3.connect(db) as con:
        error = con.execute("SELECT error FROM trials WHERE number = 1").fetchone()[0]
    assert "worker" in error and "SIGKILL" in error, error


# An exception class of the script's own, caught by `catch`: it must come back from a worker as
# the driver's class, or `optimize` would take it for an uncaught error and stop.
CATCH_SCRIPT = textwrap.dedent("""\
    import os
    import sys
    from hpcore import Float, Space, Study
    print("DRIVER", os.getpid(), flush=True)
    class Skip(Exception):
        pass

    def objective(params):
        if params["x"] > 0.5:
            raise Skip("x too large")
        return params["x"]

    study = Study(Space({"x": Float(0.0, 1.0)}), storage=sys.argv[1], name="plain", seed=0)
    study.enqueue({"x": 0.9})
    study.optimize(objective, n_trials=4, n_workers=2, catch=(Skip,), verbose=False)
    print("TRIALS", len(study.trials), flush=True)
    """)


def test_an_exception_class_of_the_script_is_caught_as_itself(tmp_path):
    proc, db = run_script(tmp_path, CATCH_SCRIPT)
    states = assert_only_the_driver_wrote(proc, db, 4)
    with sqlite3.connect(db) as con:
        xs = [json.loads(params)["x"] for (params,) in con.execute("SELECT params FROM trials ORDER BY number")]
    assert xs[0] == 0.9 and states == ["FAILED" if x > 0.5 else "COMPLETE" for x in xs], (xs, states)
    assert "COMPLETE" in states


CTRL_C_SCRIPT = textwrap.dedent("""\
    import os
    import sys
    import time
    from hpcore import Float, Space, Study
    print("DRIVER", os.getpid(), flush=True)
    study = Study(Space({"x": Float(0.0, 1.0)}), storage=sys.argv[1], name="plain", seed=0)
    def objective(params):
        open(f"started-{os.getpid()}", "w").close()
        time.sleep(600)
        return params["x"]

    try:
        study.optimize(objective, n_trials=4, n_workers=2, verbose=False)
    except KeyboardInterrupt:
        print("INTERRUPTED", flush=True)
    """)


@pytest.mark.parametrize("to", ["group", "driver"])
def test_ctrl_c_in_an_unguarded_script_leaves_no_trial_running(tmp_path, to):
    """Ctrl-C in a terminal signals the driver and its workers; a notebook's interrupt (or
    `kill -INT`) the driver only, whose workers are then stopped, not waited for (their
    objectives sleep for 10 minutes)."""
    cmd, _ = _command("file", CTRL_C_SCRIPT, tmp_path / "study.db")
    # A process group of its own, as a terminal gives a command: Ctrl-C reaches all of it.
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + TIMEOUT
        while len(list(tmp_path.glob("started-*"))) < 2:  # both workers are inside the objective
            assert time.monotonic() < deadline and proc.poll() is None, "the trials never started"
            time.sleep(0.1)
        if to == "group":
            os.killpg(proc.pid, signal.SIGINT)
        else:
            os.kill(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 0 and "INTERRUPTED" in out, err[-3000:]
    driver_pid(out)
    rows = stored_trials(tmp_path / "study.db")
    assert len(rows) == 2 and all(state == "FAILED" for state, _ in rows), rows


DASK_SCRIPT = textwrap.dedent("""\
    import hpcore
    ex = hpcore.DaskExecutor(n_workers=1, dashboard_address=":0")
    print("STARTED", flush=True)
    ex.shutdown()
    """)


@pytest.mark.parametrize("mode", ["file", "stdin"])
def test_a_local_dask_cluster_in_an_unguarded_script_fails_with_one_clear_error(tmp_path, mode):
    # Before, the workers ran the script again (or, from stdin, failed to find '<stdin>'): a pile
    # of nanny tracebacks ending in "RuntimeError: Nanny failed to start.", after the script's
    # top-level code had run again in them. Now no worker starts.
    pytest.importorskip("distributed")
    proc, _ = run_script(tmp_path, DASK_SCRIPT, mode)
    assert proc.returncode == 1 and "STARTED" not in proc.stdout
    assert proc.stderr.count("Traceback") == 1, proc.stderr[-5000:]
    error = proc.stderr[proc.stderr.index("RuntimeError: DaskExecutor() "):]
    assert 'if __name__ == "__main__":' in error and "distributed.nanny" not in proc.stderr, proc.stderr[-5000:]


@pytest.mark.slow
def test_a_local_dask_cluster_under_the_guard_starts(tmp_path):
    pytest.importorskip("distributed")
    guarded = "def main():\n" + textwrap.indent(DASK_SCRIPT, "    ") + 'if __name__ == "__main__":\n    main()\n'
    proc, _ = run_script(tmp_path, guarded)
    assert proc.returncode == 0 and "STARTED" in proc.stdout, proc.stderr[-3000:]
