"""SQLite storage (stdlib `sqlite3`): one file holds many studies; safe for several processes.

Concurrency: WAL journal (readers never block the writer), a busy timeout plus retries with
backoff for "database is locked", and every write in a `BEGIN IMMEDIATE` transaction. Trial
numbers are handed out inside that transaction, so two processes never get the same number.

Ownership: an hpcore study file carries `PRAGMA application_id` = `APPLICATION_ID` and
`PRAGMA user_version` = `SCHEMA_VERSION` in its header. These are the fields SQLite reserves for
naming a file's format (the `file` command prints them); reading them costs no query on any
table and they cannot be confused with a user's table, which a marker table could. A file is
used only if it is empty (new), marked as hpcore's, or an unmarked file written by hpcore before
the mark existed (recognised by its exact tables and columns, then marked). Anything else is
refused before anything in it changes: no WAL switch, no table created.

Schema versions: 1 (studies, trials); 2 adds `intermediate_values` (one row per report: study,
trial number, step, value, and the study version that wrote it, so readers fetch only new
reports). A version-1 file is migrated in place when opened: the new table and index and the
new `user_version` in one write transaction, so a crash leaves it at version 1 or 2, never
between. A file that cannot be written (read-only) opens at version 1 all the same, for
reading: its trials have no intermediate values and reporting is refused.

Read-only opening (`SQLiteStorage(path, read_only=True)`, for the report, the dashboard and
anything else that only looks): the connection is opened with SQLite's `mode=ro`, and nothing
above that writes happens: no file or folder is created, no WAL switch, no mark, no migration (a
version-1 file reads as it is, without intermediate values). Every write method raises
`StudyFileError` saying the file was opened read-only, before SQLite is asked. In WAL mode such a
reader sees the last committed state and never blocks a study writing the file.
"""

from __future__ import annotations

import functools
import json
import math
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from hpcore.storage.base import (
    TRIAL_FIELDS,
    NumberTaken,
    Storage,
    StudyRecord,
    dumps_json,
    report_on_waiting,
    step_not_after,
)
from hpcore.trial import IntermediateValues, Trial, TrialAlreadyFinished, TrialState

__all__ = ["APPLICATION_ID", "SCHEMA_VERSION", "SQLiteStorage", "StudyFileError"]

T = TypeVar("T")

#: `PRAGMA application_id` of an hpcore study file: the ASCII bytes "hpco".
APPLICATION_ID = 0x6870636F
#: `PRAGMA user_version` of the schema below; a file with a larger one is from a newer hpcore.
SCHEMA_VERSION = 2


class StudyFileError(sqlite3.DatabaseError):
    """A path that cannot be used as an hpcore study file; the message names the path and the
    cause. A `sqlite3.DatabaseError`, so code that catches SQLite's errors catches it too."""

#: The layout of schema version 1, frozen: what unmarked files from before the mark hold, and
#: what a version-1 file is migrated from.
_SCHEMA_V1 = """
CREATE TABLE IF NOT EXISTS studies (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    direction TEXT NOT NULL,
    space TEXT NOT NULL,
    strategy TEXT NOT NULL,
    seed INTEGER NOT NULL,
    created_at REAL NOT NULL,
    attrs TEXT NOT NULL DEFAULT '{}',
    version INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS trials (
    study_id INTEGER NOT NULL REFERENCES studies(id),
    number INTEGER NOT NULL,
    state TEXT NOT NULL,
    params TEXT NOT NULL,
    value REAL,
    budget TEXT,
    previous_budget TEXT,
    config_id INTEGER,
    created_at REAL,
    started_at REAL,
    finished_at REAL,
    error TEXT,
    user_attrs TEXT NOT NULL DEFAULT '{}',
    meta TEXT NOT NULL DEFAULT '{}',
    owner TEXT,
    version INTEGER NOT NULL,
    PRIMARY KEY (study_id, number)
);
CREATE INDEX IF NOT EXISTS trials_by_version ON trials (study_id, version);
CREATE INDEX IF NOT EXISTS trials_by_state ON trials (study_id, state);
"""

#: What version 2 adds. The value is NULL for NaN (SQLite stores a NaN REAL as NULL), read back
#: as NaN. WITHOUT ROWID: rows live in the primary key's b-tree, where a trial's last step is
#: one lookup.
_SCHEMA_V2 = """
CREATE TABLE IF NOT EXISTS intermediate_values (
    study_id INTEGER NOT NULL REFERENCES studies(id),
    number INTEGER NOT NULL,
    step INTEGER NOT NULL,
    value REAL,
    version INTEGER NOT NULL,
    PRIMARY KEY (study_id, number, step)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS intermediate_values_by_version ON intermediate_values (study_id, version);
"""

_SCHEMA = _SCHEMA_V1 + _SCHEMA_V2


def _statements(schema: str) -> list[str]:
    return [stmt for stmt in (s.strip() for s in schema.split(";")) if stmt]


def _tables(c: sqlite3.Connection) -> dict[str, tuple[str, ...]]:
    """Table name -> column names, of the user's tables (not SQLite's own)."""
    names = [r[0] for r in c.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {n: tuple(r[1] for r in c.execute(f"PRAGMA table_info({_quote(n)})")) for n in names}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@functools.cache
def _hpcore_tables() -> dict[str, tuple[str, ...]]:
    """The tables and columns of the version-1 layout (read from an in-memory database, so there
    is one definition of the schema). Unmarked files from before the mark have exactly these."""
    c = sqlite3.connect(":memory:")
    try:
        c.executescript(_SCHEMA_V1)
        return _tables(c)
    finally:
        c.close()


_COLUMNS = ("number", "state", "params", "value", "budget", "previous_budget", "config_id", "created_at",
            "started_at", "finished_at", "error", "user_attrs", "meta")
_JSON_FIELDS = frozenset({"params", "budget", "previous_budget", "user_attrs", "meta"})


_dumps = dumps_json


def _to_column(name: str, value: Any) -> Any:
    if name in _JSON_FIELDS:
        return None if value is None and name in ("budget", "previous_budget") else _dumps(value)
    if name == "state":
        return TrialState(value).value
    return value


class SQLiteStorage(Storage):
    """Studies and trials in one SQLite file (created with its folders if missing), or an
    existing study file opened for reading only (`read_only=True`)."""

    def __init__(self, path: str | Path, timeout: float = 60.0, *, read_only: bool = False) -> None:
        """Open (or create) the study file at `path`. Raises `StudyFileError` naming the path
        when it cannot be opened or is not an hpcore study file (left unchanged then).

        timeout: seconds to wait for a busy file. read_only: open an existing study file without
        ever writing to it (see the module docstring): a missing file is an error instead of
        being created, and every write raises `StudyFileError`."""
        self.path = Path(path)
        self._timeout = timeout
        self._read_only = bool(read_only)
        self._lock = threading.RLock()
        # Intermediate values read so far, per study: (the study version they are complete up
        # to, trial number -> values), so a sync reads only the reports written since.
        self._reports: dict[int, tuple[int, dict[int, IntermediateValues]]] = {}
        if self.path.is_dir():
            raise StudyFileError(f"cannot use {self.path} as a study file: it is a folder")
        if self._read_only:
            self._open_read_only()
            return
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            why = "a part of that path is a file" if isinstance(e, (FileExistsError, NotADirectoryError)) else e
            raise StudyFileError(
                f"cannot use {self.path} as a study file: cannot create its folder {self.path.parent} ({why})"
            ) from e
        self._connect(str(self.path), lambda: self._retry(self._init_db))

    def _connect(self, target: str, check: Callable[[], object], uri: bool = False) -> None:
        """Connect to `target` and run `check` on the connection (create/migrate, or classify),
        closing it and raising `StudyFileError` if either fails."""
        try:
            self._conn = sqlite3.connect(target, uri=uri, timeout=self._timeout, isolation_level=None,
                                         check_same_thread=False)
        except sqlite3.Error as e:
            raise self._file_error(e) from e
        try:
            check()
        except StudyFileError:
            self._conn.close()
            raise
        except sqlite3.Error as e:
            self._conn.close()
            raise self._file_error(e) from e

    def _open_read_only(self) -> None:
        """Connect to the existing study file with `mode=ro` and check that it is one (the
        read-only counterpart of `_init_db`: it classifies the file and writes nothing)."""
        if not self.path.exists():
            raise StudyFileError(f"cannot read {self.path}: no such file")
        self._connect(self.path.resolve().as_uri() + "?mode=ro", self._check_read_only, uri=True)

    def _check_read_only(self) -> None:
        """Classify the file opened read-only: refuse one without studies, and note whether it
        has intermediate values (a version-1 file, or one from before the mark, has none yet)."""
        self._conn.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")
        if self._retry(self._classify) == "empty":
            what = "an empty file" if self.path.stat().st_size == 0 else "an SQLite database without tables"
            raise StudyFileError(f"cannot read {self.path}: it holds no studies ({what})")
        self._has_reports = "intermediate_values" in _tables(self._conn)

    def _refuse_write(self, what: str) -> None:
        if self._read_only:
            raise StudyFileError(f"cannot {what} in {self.path}: it was opened read-only "
                                 f"(SQLiteStorage(..., read_only=True))")

    @property
    def read_only(self) -> bool:
        """Whether this storage was opened with `read_only=True` (every write refused)."""
        return self._read_only

    def _file_error(self, e: sqlite3.Error) -> StudyFileError:
        """SQLite's error, with the path and a likely reason (its messages name neither)."""
        msg = str(e)
        hints = {
            "unable to open database file": "the folder does not let this user create or open the file",
            "readonly": "the file or its folder is read-only",
            "file is not a database": "the file exists and is not an SQLite database",
        }
        hint = next((h for key, h in hints.items() if key in msg.lower()), None)
        return StudyFileError(f"cannot use {self.path} as a study file: {msg}" + (f" ({hint})" if hint else ""))

    def _init_db(self) -> None:
        self._conn.execute(f"PRAGMA busy_timeout = {int(self._timeout * 1000)}")
        kind = self._classify()  # refuses a foreign file before the WAL switch changes it
        mode = self._conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise sqlite3.OperationalError(f"could not switch {self.path} to WAL (got {mode})")
        self._conn.execute("PRAGMA synchronous = NORMAL")
        self._has_reports = True
        if kind == "hpcore" and self._user_version() == SCHEMA_VERSION:
            return  # set up in the transaction that created or migrated its tables
        try:
            with self._write() as c:
                # Again under the write lock: another process may have set the file up meanwhile.
                kind = self._classify()
                if kind == "empty":
                    for stmt in _statements(_SCHEMA):
                        c.execute(stmt)
                elif kind == "unmarked" or self._user_version() < SCHEMA_VERSION:
                    for stmt in _statements(_SCHEMA_V2):  # version 1 -> 2
                        c.execute(stmt)
                if kind != "hpcore":
                    c.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                c.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.OperationalError as e:
            if kind != "hpcore" or "readonly" not in str(e).lower():
                raise
            self._has_reports = False  # a read-only version-1 file: readable, without reports

    def _user_version(self) -> int:
        return self._conn.execute("PRAGMA user_version").fetchone()[0]

    def _classify(self) -> str:
        """What the file is: 'hpcore' (marked), 'unmarked' (hpcore's tables from before the
        mark) or 'empty'; raises `StudyFileError` for any other file. Reads only."""
        c = self._conn
        app_id = c.execute("PRAGMA application_id").fetchone()[0]
        version = c.execute("PRAGMA user_version").fetchone()[0]
        tables = _tables(c)
        if app_id == APPLICATION_ID:
            if version > SCHEMA_VERSION:
                raise StudyFileError(
                    f"cannot use {self.path}: it was written by a newer hpcore (schema version {version}, "
                    f"this one reads up to {SCHEMA_VERSION}); upgrade hpcore"
                )
            return "hpcore"
        if app_id != 0:
            raise StudyFileError(
                f"cannot use {self.path} as a study file: it belongs to another application "
                f"(SQLite application_id {app_id:#x}); hpcore left it unchanged"
            )
        if not tables and not c.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone():
            return "empty"
        if tables == _hpcore_tables():
            return "unmarked"
        listed = ", ".join(sorted(tables)) or "no tables, but other schema objects"
        raise StudyFileError(
            f"cannot use {self.path} as a study file: it is an SQLite database of another application "
            f"({listed}); hpcore left it unchanged. Give a new file, or one hpcore wrote"
        )

    # -- transactions ---------------------------------------------------------------------------
    def _retry(self, fn: Callable[[], T]) -> T:
        """Run `fn`, retrying with jittered backoff while the database is locked or busy."""
        deadline = time.monotonic() + self._timeout
        delay = 0.005
        while True:
            try:
                with self._lock:
                    return fn()
            except sqlite3.OperationalError as e:
                msg = str(e).lower()
                if ("locked" not in msg and "busy" not in msg) or time.monotonic() > deadline:
                    raise
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 0.5)

    class _Txn:
        def __init__(self, conn: sqlite3.Connection) -> None:
            self.conn = conn

        def __enter__(self) -> sqlite3.Connection:
            self.conn.execute("BEGIN IMMEDIATE")
            return self.conn

        def __exit__(self, exc_type: type[BaseException] | None, *_: object) -> None:
            self.conn.execute("COMMIT" if exc_type is None else "ROLLBACK")

    def _write(self) -> _Txn:
        self._refuse_write("write")  # each write method says what first; this catches any other
        return self._Txn(self._conn)

    @staticmethod
    def _bump(c: sqlite3.Connection, study_id: int) -> int:
        c.execute("UPDATE studies SET version = version + 1 WHERE id = ?", (study_id,))
        return c.execute("SELECT version FROM studies WHERE id = ?", (study_id,)).fetchone()[0]

    # -- studies -------------------------------------------------------------------------------------
    def _study_from_row(self, row: tuple) -> StudyRecord:
        sid, name, direction, space, strategy, seed, created_at, attrs, n = row
        return StudyRecord(sid, name, direction, json.loads(space), json.loads(strategy), seed, created_at,
                           json.loads(attrs), n)

    _STUDY_SELECT = ("SELECT s.id, s.name, s.direction, s.space, s.strategy, s.seed, s.created_at, s.attrs, "
                     "(SELECT COUNT(*) FROM trials t WHERE t.study_id = s.id) FROM studies s")

    def get_study(self, name: str) -> StudyRecord | None:
        row = self._retry(lambda: self._conn.execute(self._STUDY_SELECT + " WHERE s.name = ?", (name,)).fetchone())
        return None if row is None else self._study_from_row(row)

    def create_study(self, name: str, *, direction: str, space: Mapping, strategy: Mapping, seed: int,
                     created_at: float) -> StudyRecord:
        self._refuse_write(f"create the study {name!r}")
        def do() -> None:
            with self._write() as c:
                c.execute(
                    "INSERT OR IGNORE INTO studies (name, direction, space, strategy, seed, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (name, direction, _dumps(space), _dumps(strategy), int(seed), created_at),
                )
        self._retry(do)
        rec = self.get_study(name)
        assert rec is not None
        return rec

    def list_studies(self) -> list[StudyRecord]:
        rows = self._retry(lambda: self._conn.execute(self._STUDY_SELECT + " ORDER BY s.id").fetchall())
        return [self._study_from_row(r) for r in rows]

    def update_study(self, study_id: int, **fields: Any) -> None:
        bad = set(fields) - {"space", "strategy", "attrs"}
        if bad:
            raise ValueError(f"cannot update study fields {sorted(bad)}")
        self._refuse_write("update a study")

        def do() -> None:
            with self._write() as c:
                for k, v in fields.items():
                    c.execute(f"UPDATE studies SET {k} = ? WHERE id = ?", (_dumps(v), study_id))
        self._retry(do)

    # -- trials ----------------------------------------------------------------------------------------
    @staticmethod
    def _trial_from_row(row: tuple) -> Trial:
        d = dict(zip(_COLUMNS, row))
        for k in _JSON_FIELDS:
            if d[k] is not None:
                d[k] = json.loads(d[k])
        d["state"] = TrialState(d["state"])
        d["id"] = d.pop("number")
        return Trial(**d)

    _TRIAL_SELECT = "SELECT " + ", ".join(_COLUMNS) + " FROM trials"

    @staticmethod
    def _with_reports(trial: Trial, values: IntermediateValues | None) -> Trial:
        """`trial` with its intermediate values. A PRUNED trial's value is its last report, and
        SQLite stores a NaN as NULL: a NULL value with reports is that NaN."""
        if not values:
            return trial
        value = trial.value
        if value is None and trial.state is TrialState.PRUNED:
            value = values.last[1]  # type: ignore[index]
        return trial.replace(intermediate_values=values, value=value)

    def _trial_reports(self, c: sqlite3.Connection, study_id: int, number: int) -> IntermediateValues:
        """One trial's intermediate values, read whole (for the record a write returns)."""
        if not self._has_reports:
            return IntermediateValues()
        rows = c.execute("SELECT step, value FROM intermediate_values WHERE study_id = ? AND number = ? ORDER BY step",
                         (study_id, number)).fetchall()
        return IntermediateValues([(step, math.nan if v is None else v) for step, v in rows])

    def _read_reports(self, c: sqlite3.Connection, study_id: int, now: int) -> dict[int, IntermediateValues]:
        """The study's intermediate values up to version `now` (inside a read transaction that
        saw `now`): the cached ones, grown by the rows written since the last read."""
        upto, values = self._reports.get(study_id, (0, {}))
        if not self._has_reports or upto >= now:
            return values
        rows = c.execute("SELECT number, step, value FROM intermediate_values WHERE study_id = ? AND version > ? "
                         "AND version <= ? ORDER BY number, step", (study_id, upto, now)).fetchall()
        empty = IntermediateValues()
        for number, step, v in rows:  # within a trial, steps were written in increasing order
            values[number] = values.get(number, empty).appended(step, math.nan if v is None else v)
        self._reports[study_id] = (now, values)
        return values

    def create_trial(self, study_id: int, number: int | None, **fields: Any) -> Trial:
        self._refuse_write("create a trial")
        owner = fields.pop("owner", None)
        fields.setdefault("user_attrs", {})
        fields.setdefault("meta", {})

        def do() -> Trial:
            with self._write() as c:
                nxt = c.execute("SELECT COALESCE(MAX(number) + 1, 0) FROM trials WHERE study_id = ?",
                                (study_id,)).fetchone()[0]
                if number is not None and number != nxt:
                    raise NumberTaken(number)
                version = self._bump(c, study_id)
                cols = ["study_id", "number", "owner", "version", *fields]
                vals = [study_id, nxt, owner, version, *(_to_column(k, v) for k, v in fields.items())]
                c.execute(f"INSERT INTO trials ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})", vals)
                return self._trial_from_row(
                    c.execute(self._TRIAL_SELECT + " WHERE study_id = ? AND number = ?", (study_id, nxt)).fetchone()
                )
        return self._retry(do)

    def claim_waiting(self, study_id: int, owner: str, now: float) -> Trial | None:
        self._refuse_write("claim a waiting trial")
        # A cheap read first: most asks find nothing waiting and need no write transaction.
        probe = self._retry(lambda: self._conn.execute(
            "SELECT 1 FROM trials WHERE study_id = ? AND state = 'WAITING' LIMIT 1", (study_id,)).fetchone())
        if probe is None:
            return None

        def do() -> Trial | None:
            with self._write() as c:
                row = c.execute("SELECT number FROM trials WHERE study_id = ? AND state = 'WAITING' "
                                "ORDER BY number LIMIT 1", (study_id,)).fetchone()
                if row is None:
                    return None
                version = self._bump(c, study_id)
                c.execute("UPDATE trials SET state = 'RUNNING', started_at = ?, owner = ?, version = ? "
                          "WHERE study_id = ? AND number = ?", (now, owner, version, study_id, row[0]))
                return self._trial_from_row(c.execute(self._TRIAL_SELECT + " WHERE study_id = ? AND number = ?",
                                                      (study_id, row[0])).fetchone())
        return self._retry(do)

    def update_trial(self, study_id: int, number: int, *, only_unfinished: bool = False, **fields: Any) -> Trial:
        bad = set(fields) - TRIAL_FIELDS
        if bad:
            raise ValueError(f"cannot update trial fields {sorted(bad)}")
        self._refuse_write(f"update trial {number}")
        cols = [_to_column(k, v) for k, v in fields.items()]  # before the transaction: a bad value writes nothing
        # The compare-and-set: with the state condition, exactly one of several finishers wins.
        unfinished = " AND state IN ('WAITING', 'RUNNING')" if only_unfinished else ""

        def do() -> Trial:
            with self._write() as c:
                version = self._bump(c, study_id)
                sets = [f"{k} = ?" for k in fields] + ["version = ?"]
                cur = c.execute(f"UPDATE trials SET {', '.join(sets)} WHERE study_id = ? AND number = ?{unfinished}",
                                [*cols, version, study_id, number])
                row = c.execute(self._TRIAL_SELECT + " WHERE study_id = ? AND number = ?",
                                (study_id, number)).fetchone()
                if row is None:
                    raise KeyError(f"no trial {number} in study {study_id}")
                trial = self._with_reports(self._trial_from_row(row), self._trial_reports(c, study_id, number))
                if cur.rowcount == 0:
                    raise TrialAlreadyFinished(trial)  # rolls the version bump back
                return trial
        return self._retry(do)

    def report(self, study_id: int, number: int, step: int, value: float) -> None:
        self._refuse_write(f"store an intermediate value of trial {number}")
        if not self._has_reports:
            raise StudyFileError(f"cannot store intermediate values in {self.path}: it is a read-only study file "
                                 f"of schema version 1 (make it writable once to migrate it to version "
                                 f"{SCHEMA_VERSION})")

        def do() -> None:
            with self._write() as c:
                row = c.execute("SELECT state FROM trials WHERE study_id = ? AND number = ?",
                                (study_id, number)).fetchone()
                if row is None:
                    raise KeyError(f"no trial {number} in study {study_id}")
                if row[0] != TrialState.RUNNING.value:
                    if row[0] == TrialState.WAITING.value:
                        raise report_on_waiting(number)
                    full = c.execute(self._TRIAL_SELECT + " WHERE study_id = ? AND number = ?",
                                     (study_id, number)).fetchone()
                    raise TrialAlreadyFinished(
                        self._with_reports(self._trial_from_row(full), self._trial_reports(c, study_id, number)))
                last = c.execute("SELECT MAX(step) FROM intermediate_values WHERE study_id = ? AND number = ?",
                                 (study_id, number)).fetchone()[0]
                if last is not None and step <= last:
                    raise step_not_after(number, step, last)
                version = self._bump(c, study_id)
                c.execute("UPDATE trials SET version = ? WHERE study_id = ? AND number = ?",
                          (version, study_id, number))
                c.execute("INSERT INTO intermediate_values (study_id, number, step, value, version) "
                          "VALUES (?, ?, ?, ?, ?)", (study_id, number, step, value, version))
        self._retry(do)

    def trials_since(self, study_id: int, version: int) -> tuple[list[Trial], int]:
        def do() -> tuple[list[Trial], int]:
            # One read transaction, so the version matches the rows returned.
            c = self._conn
            c.execute("BEGIN")
            try:
                now = c.execute("SELECT version FROM studies WHERE id = ?", (study_id,)).fetchone()[0]
                rows = c.execute(self._TRIAL_SELECT + " WHERE study_id = ? AND version > ? ORDER BY number",
                                 (study_id, version)).fetchall()
                reports = self._read_reports(c, study_id, now)
            finally:
                c.execute("COMMIT")
            return [self._with_reports(self._trial_from_row(r), reports.get(r[0])) for r in rows], now
        return self._retry(do)

    def running_owners(self, study_id: int) -> dict[int, str]:
        rows = self._retry(lambda: self._conn.execute(
            "SELECT number, owner FROM trials WHERE study_id = ? AND state = 'RUNNING'", (study_id,)).fetchall())
        return {n: o or "" for n, o in rows}

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __getstate__(self) -> dict:
        # A storage handed to another process reopens the file there.
        return {"path": self.path, "timeout": self._timeout, "read_only": self._read_only}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["path"], state["timeout"], read_only=state.get("read_only", False))  # type: ignore[misc]
