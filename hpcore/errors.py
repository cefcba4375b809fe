"""The exceptions a study raises, apart from the `ValueError`s of bad arguments, and the one an
objective raises to end its trial early (`TrialPruned`)."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["SettingsMismatch", "StudyExhausted", "TooManyFailures", "TrialPruned"]


class StudyExhausted(Exception):
    """The strategy has nothing left to propose (e.g. the grid is done)."""


class TrialPruned(Exception):
    """Raised by an objective to end its trial as PRUNED, usually after `trial.should_prune()`
    said so (`raise hpcore.TrialPruned()`, or `return trial.prune()`). The trial keeps its last
    reported value; it is not a failure (`max_failures` does not count it)."""


class TooManyFailures(RuntimeError):
    """`optimize` stopped because more trials failed than `max_failures` allows, or all did."""


class SettingsMismatch(ValueError):
    """A stored study was opened with settings other than its own.

    `problems` maps each differing setting ("direction", "seed", "space", "strategy", "pruner") to what
    differs ("stored ..., given ..."), without advice. The message adds the advice for Python
    callers (`allow_changes=True` accepts a new strategy); the CLI words its own.
    """

    def __init__(self, study_name: str, problems: Mapping[str, str]) -> None:
        self.study_name, self.problems = study_name, dict(problems)
        lines = []
        for setting, what in self.problems.items():
            sep = "" if what.startswith("\n") else " "  # a multi-line difference starts on the next line
            hint = f" (pass allow_changes=True to switch {setting})" if setting in ("strategy", "pruner") else ""
            lines.append(f"{setting}:{sep}{what}{hint}")
        super().__init__(f"study {study_name!r} exists with other settings:\n  " + "\n  ".join(lines))
