"""Module-level objectives, importable by worker processes in tests."""

import os
import time


def quadratic(params):
    return (params["x"] - 0.3) ** 2 + (params.get("y", 0.0) - 0.1) ** 2


def slow_quadratic(params):
    time.sleep(0.05)
    return quadratic(params)


def fails_when_x_large(params):
    if params["x"] > 0.5:
        raise RuntimeError("x too large")
    return quadratic(params)


def dies_when_x_large(params):
    """Kills its worker process (as an out-of-memory kill would) for x > 0.7."""
    if params["x"] > 0.7:
        os._exit(1)
    return quadratic(params)


def record_pid(params):
    time.sleep(0.02)
    return float(os.getpid())


def record_pid_slowly(params):
    time.sleep(0.3)
    return float(os.getpid())
