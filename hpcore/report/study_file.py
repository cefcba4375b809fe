"""A study file opened read-only, for the report and the dashboard.

The dashboard reads a file that a running study may be writing. SQLite's WAL journal lets a
reader see the last committed state without blocking the writer, provided the reader never
writes: this connection is opened with `mode=ro`, so SQLite itself refuses any write, and it
skips everything `SQLiteStorage` does on opening (the WAL switch, creating tables, marking the
file). Reading goes through `SQLiteStorage`'s own queries, so a study reads here exactly as it
reads everywhere else.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hpcore.storage.sqlite import SQLiteStorage, StudyFileError

__all__ = ["ReadOnlyStudyFile", "check_study_file"]

_SQLITE_HEADER = b"SQLite format 3\x00"


class ReadOnlyStudyFile(SQLiteStorage):
    """`SQLiteStorage`'s reads (`list_studies`, `get_study`, `trials_since`) on a read-only
    connection; every write raises `sqlite3.OperationalError` ("readonly database")."""

    def __init__(self, path: str | Path, timeout: float = 10.0) -> None:
        """Open `path`, which must exist and be an hpcore study file (`StudyFileError` naming the
        path and the cause otherwise). `timeout`: seconds to wait on a busy file."""
        check_study_file(Path(path))  # before anything could create it
        self._read_only = False
        super().__init__(path, timeout)

    def _init_db(self) -> None:
        # SQLiteStorage.__init__ has opened a read-write connection and not used it yet (SQLite
        # touches neither the file nor its WAL before the first statement): it is replaced here
        # by a read-only one before anything is read. SQLiteStorage's own set-up then runs on
        # that connection and finds nothing to change in a study file of this version; an
        # older one it reads as it reads any file it may not write.
        if not self._read_only:
            self._conn.close()
            uri = self.path.resolve().as_uri() + "?mode=ro"
            self._conn = sqlite3.connect(uri, uri=True, timeout=self._timeout, isolation_level=None,
                                         check_same_thread=False)
            self._read_only = True
        self._conn.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")
        if self._classify() == "empty":
            raise StudyFileError(f"{self.path} holds no studies (an empty SQLite file)")
        super()._init_db()


def check_study_file(path: Path) -> None:
    """Refuse, before SQLite opens it, a path that is missing, a folder, or not SQLite."""
    if not path.exists():
        raise StudyFileError(f"no such file: {path}")
    if path.is_dir():
        raise StudyFileError(f"{path} is a folder; expected a study file (SQLite), e.g. runs/demo.db")
    with path.open("rb") as f:
        head = f.read(len(_SQLITE_HEADER))
    if head != _SQLITE_HEADER:
        what = "an empty file" if not head else "not an SQLite database"
        raise StudyFileError(f"{path} is not a study file ({what})")

