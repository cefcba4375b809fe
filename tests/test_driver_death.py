"""Worker processes end with their driver: a driver killed with SIGKILL (no cleanup of its own
runs) leaves no pool worker behind.

A real driver script runs `optimize` with two workers whose trials sleep for ten minutes; the
test records the driver's child processes (the workers, which write their pids from the
objective, and loky's resource trackers), kills the driver and checks that they are gone. Before, they ran on (with loky's resource trackers, about 96 MB) until their
trials ended.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to see processes")

#: Seconds to wait for anything before the test fails instead of hanging.
HARD_TIMEOUT = 120

DRIVER = textwrap.dedent("""\
    import os
    import sys
    import time
    from pathlib import Path
    from hpcore import Float, Space, Study

    here = Path(sys.argv[1])

    def objective(params):
        (here / f"pid-{os.getpid()}").touch()
        time.sleep(600)
        return params["x"]

    study = Study(Space({"x": Float(0.0, 1.0)}), seed=0)
    study.optimize(objective, n_trials=4, n_workers=2, verbose=False{extra})
    """)


def alive(pid: int) -> bool:
    """Whether process `pid` runs (a zombie, dead but not yet reaped, does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def worker_pids(directory: Path) -> list[int]:
    return [int(p.name[4:]) for p in directory.glob("pid-*")]


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid`: the pool's workers and helpers (resource trackers)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


@pytest.mark.slow
@pytest.mark.parametrize("extra", ["", ", trial_timeout=300"], ids=["pool", "trial_timeout"])
def test_the_workers_exit_when_their_driver_is_killed(tmp_path, extra):
    script = tmp_path / "driver.py"
    script.write_text(DRIVER.replace("{extra}", extra))
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path)], cwd=tmp_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    pids: list[int] = []
    try:
        deadline = time.monotonic() + HARD_TIMEOUT
        while len(worker_pids(tmp_path)) < 2:
            assert proc.poll() is None, proc.stderr.read().decode()[-3000:]
            assert time.monotonic() < deadline, "the trials never started"
            time.sleep(0.05)
        workers = worker_pids(tmp_path)
        pids = children(proc.pid)
        assert set(workers) <= set(pids) and len(pids) > len(workers)  # the helpers too
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=HARD_TIMEOUT)
        # Measured: gone in well under a second. The bound only keeps a failure from hanging.
        deadline = time.monotonic() + 30
        while any(alive(pid) for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [pid for pid in pids if alive(pid)] == []
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pid in pids:  # a failed test leaves nothing running either
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
