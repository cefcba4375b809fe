"""A study file opened read-only, for the report and the dashboard.

The dashboard reads a file that a running study may be writing. SQLite's WAL journal lets a
reader see the last committed state without blocking the writer, provided the reader never
writes: `SQLiteStorage(path, read_only=True)` opens it with `mode=ro` (SQLite itself refuses any
write) and skips everything a read-write open does (creating the file, the WAL switch, the mark,
a migration). Reading goes through `SQLiteStorage`'s own queries, so a study reads here exactly
as it reads everywhere else.
"""

from __future__ import annotations

import os

from hpcore.storage.sqlite import SQLiteStorage

__all__ = ["open_study_file"]

#: Seconds to wait on a file that a writer holds busy: a reader only waits for a checkpoint.
READ_TIMEOUT = 10.0


def open_study_file(path: str | os.PathLike, timeout: float = READ_TIMEOUT) -> SQLiteStorage:
    """The study file at `path`, read-only: its reads (`list_studies`, `get_study`,
    `trials_since`) work, every write raises `StudyFileError`. Raises `StudyFileError` naming
    the path and the cause for a path that is missing, a folder, empty or not a study file."""
    return SQLiteStorage(path, timeout, read_only=True)
