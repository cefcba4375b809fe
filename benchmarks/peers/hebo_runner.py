"""HEBO as a peer: a worker process in HEBO's own virtual environment, spoken to in JSON lines.

HEBO (Cowen-Rivers et al., winner of the NeurIPS 2020 black-box optimisation challenge) pins
NumPy < 1.25, so it cannot share hpcore's environment. It gets one of its own, outside the
repository, made once:

    python -m venv /work/peers-venv/hebo
    /work/peers-venv/hebo/bin/pip install torch==2.13.0
    /work/peers-venv/hebo/bin/pip install hebo==0.3.6 numpy==1.24.4 pandas==2.0.3 scipy==1.11.4 \\
        scikit-learn==1.3.2 matplotlib==3.7.5

The runner finds its Python by the environment variable ``HPCORE_HEBO_PYTHON`` or at that default
path. `hebo_worker.py` runs there, started once per run (its protocol is in its docstring); HEBO
is used with its defaults (GP with input warping, the MACE acquisition ensemble optimised by
NSGA-II, 1 + d scrambled Sobol initial points) and `scramble_seed` = the run's seed. The space
is flat (`spaces.hebo_design`): conditional parameters are sampled always and passed on only
when active. A reply that has not come by the run's deadline ends the worker (`PeerTimeout`).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import select
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from hpcore.benchmarks.peers import PeerTimeout, WorstSoFar
from hpcore.benchmarks.peers.spaces import flat_config, hebo_design

__all__ = ["DEFAULT_HEBO_PYTHON", "HEBO_PYTHON_VARIABLE", "HeboPeer", "hebo_missing", "hebo_python"]

HEBO_PYTHON_VARIABLE = "HPCORE_HEBO_PYTHON"
DEFAULT_HEBO_PYTHON = Path("/work/peers-venv/hebo/bin/python")
WORKER = Path(__file__).with_name("hebo_worker.py")


def hebo_python() -> Path:
    """The interpreter of HEBO's environment: ``$HPCORE_HEBO_PYTHON``, else the default path."""
    return Path(os.environ.get(HEBO_PYTHON_VARIABLE) or DEFAULT_HEBO_PYTHON)


def hebo_missing() -> str | None:
    """Why HEBO cannot run here (a sentence for the runner's notes), or None when it can."""
    python = hebo_python()
    if not os.access(python, os.X_OK):
        return f"no HEBO environment ({python} not found; set {HEBO_PYTHON_VARIABLE})"
    # find_spec only: importing HEBO (and torch) would take seconds.
    probe = subprocess.run([str(python), "-c", "import importlib.util, sys; "
                            "sys.exit(importlib.util.find_spec('hebo') is None)"],
                           capture_output=True, timeout=60, check=False)
    if probe.returncode != 0:
        return f"hebo is not installed in {python}"
    return None


class HeboPeer:
    """Ask/tell over a `hebo_worker` process; a non-finite value is told as the worst seen."""

    def __init__(self, space: Any, seed: int, trials: int, deadline: float) -> None:
        self.space = space
        self.deadline = deadline
        design, self.views = hebo_design(space)
        self._stderr = tempfile.TemporaryFile()
        self._proc = subprocess.Popen([str(hebo_python()), str(WORKER)], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, stderr=self._stderr)
        self._worst = WorstSoFar()
        try:
            self._request({"design": design, "seed": seed})
        except BaseException:
            self.close()
            raise

    def ask(self) -> dict[str, Any]:
        params = self._request({"op": "suggest"})["params"]
        return flat_config(self.space, self.views, [params[v.name] for v in self.views])

    def tell(self, value: float) -> None:
        told = self._worst.told(value)
        if told is not None:
            self._request({"op": "observe", "value": told})

    def close(self) -> None:
        with contextlib.suppress(BrokenPipeError):  # end of input ends the worker
            self._proc.stdin.close()
        if self._proc.poll() is None:
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc.stdout.close()
        self._stderr.close()

    def _request(self, message: dict[str, Any]) -> dict[str, Any]:
        try:
            self._proc.stdin.write((json.dumps(message) + "\n").encode())
            self._proc.stdin.flush()
        except BrokenPipeError:
            raise RuntimeError(f"the HEBO worker exited (code {self._proc.wait()}): {self._stderr_tail()}") from None
        wait = self.deadline - time.perf_counter()
        if math.isfinite(wait) and not select.select([self._proc.stdout], [], [], max(wait, 0.0))[0]:
            self._proc.kill()
            self._proc.wait()
            raise PeerTimeout("HEBO's reply did not come before the run's time cap")
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the HEBO worker exited (code {self._proc.wait()}): {self._stderr_tail()}")
        reply = json.loads(line)
        if "error" in reply:
            raise RuntimeError(f"HEBO failed: {reply['error'].strip().splitlines()[-1]}")
        return reply

    def _stderr_tail(self, chars: int = 600) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")[-chars:].strip()
