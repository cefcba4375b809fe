"""The exceptions KerasTuner code raises from `build`, `fit` or `run_trial`.

    raise kt.errors.FailedTrialError("model too large")   # this trial FAILS with the message; the search goes on
    raise kt.errors.FatalError("out of disk")              # the trial fails and the search stops, re-raising it

Any other exception also fails just its trial (as KerasTuner's "invalid" trials); there is no
retry (`max_retries_per_trial` is not supported).
"""

from __future__ import annotations

__all__ = ["FailedTrialError", "FatalError", "FatalRuntimeError", "FatalTypeError", "FatalValueError"]


class FailedTrialError(Exception):
    """Fails the current trial with this message; the search continues."""


class FatalError(Exception):
    """Stops the search: the trial is recorded as failed and the error is raised from `search`."""


class FatalValueError(FatalError, ValueError):
    """A `FatalError` that is also a `ValueError`."""


class FatalTypeError(FatalError, TypeError):
    """A `FatalError` that is also a `TypeError`."""


class FatalRuntimeError(FatalError, RuntimeError):
    """A `FatalError` that is also a `RuntimeError`."""
