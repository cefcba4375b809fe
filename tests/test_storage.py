"""SQLite storage: persistence, resume, settings checks, several processes on one file."""

import multiprocessing as mp
import os
import pickle
import signal
import sqlite3
import subprocess
import sys
import textwrap

import pytest

import hpcore
from hpcore import Fixed, Float, Int, Space, Study, TrialState
from hpcore.storage import MemoryStorage, SQLiteStorage, StudyFileError, open_storage
from tests.objectives import quadratic

SPACE = Space({"x": Float(0.0, 1.0), "y": Float(0.0, 1.0)})
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_open_storage_forms(tmp_path):
    assert isinstance(open_storage(None), MemoryStorage)
    assert isinstance(open_storage(":memory:"), MemoryStorage)
    s = open_storage(f"sqlite:///{tmp_path}/a/b.db")
    assert isinstance(s, SQLiteStorage) and (tmp_path / "a" / "b.db").exists()
    with pytest.raises(TypeError, match="storage must be"):
        open_storage(42)


def test_wal_mode_and_everything_is_stored(tmp_path):
    db = tmp_path / "s.db"
    study = Study(SPACE, storage=db, name="a", seed=3)
    t = study.ask()
    study.tell(t, 0.5, user_attrs={"curve": [0.9, 0.7, 0.5]})
    try:
        raise ValueError("nope")
    except ValueError as e:
        study.tell(study.ask(), exception=e)
    study.add({"x": 0.1, "y": 0.2}, 0.05, budget=9)
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    again = Study(storage=db, name="a").trials
    assert [x.state for x in again] == [TrialState.COMPLETE, TrialState.FAILED, TrialState.COMPLETE]
    assert again[0].user_attrs == {"curve": [0.9, 0.7, 0.5]} and again[0].params == t.params
    assert "ValueError: nope" in again[1].error
    assert again[2].budget == 9 and isinstance(again[2].budget, int)
    assert again[0].started_at <= again[0].finished_at


def test_resume_continues_ids_and_the_seeded_sequence(tmp_path):
    db = tmp_path / "s.db"
    full = hpcore.minimize(quadratic, SPACE, n_trials=10, seed=5, verbose=False)
    Study(SPACE, storage=db, name="r", seed=5).optimize(quadratic, n_trials=4, verbose=False)
    resumed = Study(SPACE, storage=db, name="r")
    assert resumed.seed == 5
    resumed.optimize(quadratic, n_trials=6, verbose=False)
    assert [t.id for t in resumed.trials] == list(range(10))
    assert [dict(t.params) for t in resumed.trials] == [dict(t.params) for t in full.trials]


def test_reopening_with_other_settings_is_an_error_that_shows_the_difference(tmp_path):
    db = tmp_path / "s.db"
    Study(SPACE, storage=db, name="s", seed=1)
    other = Space({"x": Float(0.0, 2.0), "z": Int(1, 3)})
    with pytest.raises(ValueError, match=r"(?s)space:.*~ x: Float\(low=0.0, high=1.0\) -> .*- y: .*\+ z"):
        Study(other, storage=db, name="s")
    with pytest.raises(ValueError, match="direction: stored 'minimize', given 'maximize'"):
        Study(SPACE, storage=db, name="s", direction="maximize")
    with pytest.raises(ValueError, match="seed: stored 1, given 2"):
        Study(SPACE, storage=db, name="s", seed=2)
    with pytest.raises(ValueError, match="strategy: stored .*random.*grid.*allow_changes=True"):
        Study(SPACE, storage=db, name="s", strategy=hpcore.GridSearch(grid_points=3))
    s = Study(SPACE, storage=db, name="s", strategy=hpcore.GridSearch(grid_points=3), allow_changes=True)
    assert s.strategy.name == "grid"
    assert Study(storage=db, name="s").strategy.name == "grid"


def test_many_studies_in_one_file(tmp_path):
    db = tmp_path / "s.db"
    for name in ("a", "b"):
        Study(SPACE, storage=db, name=name, seed=0).optimize(quadratic, n_trials=3, verbose=False)
    recs = SQLiteStorage(db).list_studies()
    assert [(r.name, r.n_trials) for r in recs] == [("a", 3), ("b", 3)]


def test_space_growth_is_stored(tmp_path):
    db = tmp_path / "s.db"
    s = Study(SPACE, storage=db, name="g", seed=0)
    s.tell(s.ask(), 1.0)
    s.extend_space({"z": Int(1, 4)})
    t = s.ask()
    s.tell(t, 0.5, params={**t.params, "z": 2})
    again = Study(storage=db, name="g")
    assert "z" in again.space and again.trials[1].params["z"] == 2 and "z" not in again.trials[0].params


def _hammer(db: str, n: int) -> None:
    study = Study(SPACE, storage=db, name="shared", seed=11)
    for _ in range(n):
        t = study.ask()
        study.tell(t, quadratic(t.params))


@pytest.mark.slow
def test_several_processes_never_lose_a_trial_or_share_an_id(tmp_path):
    db = str(tmp_path / "shared.db")
    Study(SPACE, storage=db, name="shared", seed=11)
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_hammer, args=(db, 40)) for _ in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    trials = Study(storage=db, name="shared").trials
    assert [t.id for t in trials] == list(range(160))
    assert all(t.state is TrialState.COMPLETE for t in trials)
    keys = {SPACE.key(t.params) for t in trials}
    assert len(keys) == 160  # different ids give different seeded configurations


@pytest.mark.slow
def test_trial_of_a_killed_process_is_failed_on_resume(tmp_path):
    db = tmp_path / "k.db"
    script = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {ROOT!r})
        import hpcore
        space = hpcore.Space({{"x": hpcore.Float(0, 1)}})
        study = hpcore.Study(space, storage={str(db)!r}, name="k", seed=0)
        def objective(p):
            if len(study.trials) > 4:
                print("running", flush=True)
                time.sleep(60)
            return p["x"]
        study.optimize(objective, n_trials=10, verbose=False)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "running"
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    study = Study(storage=db, name="k")
    states = [t.state for t in study.trials]
    assert states == [TrialState.COMPLETE] * 4 + [TrialState.FAILED]
    assert "stopped before it finished" in study.trials[-1].error
    study.optimize(lambda p: p["x"], n_trials=3, verbose=False)
    assert [t.id for t in study.trials] == list(range(8))


def test_running_trials_of_a_live_process_are_left_alone(tmp_path):
    db = tmp_path / "l.db"
    a = Study(SPACE, storage=db, name="l", seed=0)
    t = a.ask()
    b = Study(storage=db, name="l")  # same (live) process
    assert b.trials[0].state is TrialState.RUNNING
    a.tell(t, 1.0)
    assert b.trials[0].state is TrialState.COMPLETE


def test_reopening_a_maximize_study_needs_no_direction(tmp_path):
    db = tmp_path / "m.db"
    Study(SPACE, storage=db, name="m", direction="maximize", seed=0).optimize(quadratic, n_trials=3, verbose=False)
    again = Study(storage=db, name="m")
    assert again.direction == "maximize" and again.best_value == max(t.value for t in again.trials)


# -- files that are not (or cannot be) hpcore study files (issue 14) ------------------------------------

def _snapshot(folder) -> dict:
    """Every file of a folder and its bytes: what 'left unchanged' means."""
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_a_folder_path_is_an_error_naming_it(tmp_path):
    with pytest.raises(StudyFileError, match=f"cannot use {tmp_path} as a study file: it is a folder"):
        Study(SPACE, storage=tmp_path, name="a")


def test_a_path_below_a_file_is_an_error_naming_it(tmp_path):
    (tmp_path / "plain").write_text("x")
    with pytest.raises(StudyFileError, match=r"cannot use .*plain/s\.db as a study file: cannot create its folder"):
        SQLiteStorage(tmp_path / "plain" / "s.db")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a user the file mode applies to")
def test_a_read_only_folder_is_an_error_naming_the_file(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o555)
    with pytest.raises(StudyFileError, match=f"cannot use {folder / 's.db'} as a study file: unable to open"):
        SQLiteStorage(folder / "s.db")


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs Linux's /proc, where nobody can create files")
def test_a_folder_nobody_can_write_is_an_error_naming_the_file():
    # Before: "unable to open database file", without the path.
    with pytest.raises(StudyFileError, match=r"cannot use /proc/hpcore-test\.db as a study file: unable to open"):
        SQLiteStorage("/proc/hpcore-test.db")


def test_a_file_that_is_not_a_database_is_refused_naming_it(tmp_path):
    db = tmp_path / "notes.db"
    db.write_text("my notes, not a database\n" * 10)
    before = _snapshot(tmp_path)
    with pytest.raises(StudyFileError, match=f"cannot use {db} as a study file: file is not a database"):
        Study(SPACE, storage=db, name="a")
    assert _snapshot(tmp_path) == before
    assert isinstance(StudyFileError("x"), sqlite3.DatabaseError)  # code catching SQLite errors catches it


def _foreign_db(path, *statements) -> None:
    conn = sqlite3.connect(path)
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


@pytest.mark.parametrize("statements, match", [
    (["CREATE TABLE trials (id INTEGER, score REAL)", "INSERT INTO trials VALUES (1, 0.5)"],
     r"an SQLite database of another application \(trials\)"),
    (["CREATE TABLE inventory (item TEXT)"], r"an SQLite database of another application \(inventory\)"),
    (["CREATE VIEW v AS SELECT 1"], "no tables, but other schema objects"),
    (["PRAGMA application_id = 42"], r"belongs to another application \(SQLite application_id 0x2a\)"),
])
def test_another_applications_database_is_refused_before_anything_changes(tmp_path, statements, match):
    # Before: a `trials` table gave "no such column" after the file was switched to WAL; any
    # other database silently got hpcore's tables added.
    db = tmp_path / "app.db"
    _foreign_db(db, *statements)
    before = _snapshot(tmp_path)
    with pytest.raises(StudyFileError, match=f"cannot use {db} as a study file: it .*{match}"):
        Study(SPACE, storage=db, name="a")
    assert _snapshot(tmp_path) == before  # no -wal file, no new table, same bytes
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()


def _marks(db) -> tuple[int, int]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("PRAGMA application_id").fetchone()[0], conn.execute("PRAGMA user_version").fetchone()[0]
    finally:
        conn.close()


def test_a_new_or_empty_file_becomes_a_marked_study_file(tmp_path):
    from hpcore.storage.sqlite import APPLICATION_ID, SCHEMA_VERSION

    (tmp_path / "empty.db").touch()
    for name in ("empty.db", "new.db"):
        Study(SPACE, storage=tmp_path / name, name="a", seed=0).optimize(quadratic, n_trials=2, verbose=False)
        assert _marks(tmp_path / name) == (APPLICATION_ID, SCHEMA_VERSION)
        assert len(Study(storage=tmp_path / name, name="a").trials) == 2


def test_a_study_file_written_before_the_mark_is_used_and_marked(tmp_path):
    from hpcore.storage.sqlite import APPLICATION_ID, SCHEMA_VERSION

    db = tmp_path / "old.db"
    Study(SPACE, storage=db, name="a", seed=0).optimize(quadratic, n_trials=3, verbose=False)
    # As files were written before the mark: the version-1 tables, no header fields.
    _foreign_db(db, "DROP TABLE intermediate_values", "PRAGMA application_id = 0", "PRAGMA user_version = 0")
    study = Study(storage=db, name="a")
    assert len(study.trials) == 3 and _marks(db) == (APPLICATION_ID, SCHEMA_VERSION)
    study.optimize(quadratic, n_trials=1, verbose=False)
    assert [t.id for t in Study(storage=db, name="a").trials] == [0, 1, 2, 3]


def test_a_study_file_of_a_newer_hpcore_is_refused(tmp_path):
    db = tmp_path / "new.db"
    Study(SPACE, storage=db, name="a")
    _foreign_db(db, "PRAGMA user_version = 99")
    with pytest.raises(StudyFileError, match=f"cannot use {db}: it was written by a newer hpcore"):
        Study(storage=db, name="a")


def test_a_study_with_fixed_nan_reopens_and_its_grid_is_not_repeated(tmp_path):
    # Before: reopening failed with "space: ~ m: Fixed(value=nan) -> Fixed(value=nan)".
    db = tmp_path / "nan.db"
    space = Space({"n": Int(1, 3), "m": Fixed(float("nan"))})
    Study(space, strategy=hpcore.GridSearch(), storage=db, name="g").optimize(lambda p: p["n"], n_trials=2,
                                                                             verbose=False)
    again = Study(Space({"n": Int(1, 3), "m": Fixed(float("nan"))}), storage=db, name="g")
    assert again.space == space
    again.optimize(lambda p: p["n"], n_trials=5, verbose=False)
    assert sorted(t.params["n"] for t in again.trials) == [1, 2, 3]  # the grid once, across the reload


# -- read-only opening -------------------------------------------------------------------------------------
def _with_reports(db) -> Study:
    study = Study(SPACE, storage=db, name="a", seed=0)
    study.optimize(quadratic, n_trials=3, verbose=False)
    trial = study.ask()
    study.report(trial, 0.5, 0)
    study.tell(trial, state=TrialState.PRUNED)
    study.storage.close()
    return study


def _same_study_file(folder, before) -> None:
    """The study file's bytes are those of `before`; the only files added are the empty WAL and
    the shared-memory index that SQLite makes for any reader of a WAL file (a writer reuses them)."""
    after = _snapshot(folder)
    assert after["s.db"] == before["s.db"]
    assert set(after) - set(before) <= {"s.db-wal", "s.db-shm"} and not after.get("s.db-wal")


def test_read_only_reads_everything_and_writes_nothing(tmp_path):
    db = tmp_path / "s.db"
    _with_reports(db)
    before = _snapshot(tmp_path)
    storage = SQLiteStorage(db, read_only=True)
    assert storage.read_only
    (record,) = storage.list_studies()
    trials, version = storage.trials_since(record.id, 0)
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 3 + [TrialState.PRUNED] and version > 0
    assert dict(trials[3].intermediate_values) == {0: 0.5} and trials[3].value == 0.5
    writes = [
        lambda: storage.create_study("b", direction="minimize", space={}, strategy={}, seed=0, created_at=0.0),
        lambda: storage.update_study(record.id, attrs={"k": 1}),
        lambda: storage.create_trial(record.id, None, state=TrialState.RUNNING, params={"x": 0.5, "y": 0.5}),
        lambda: storage.claim_waiting(record.id, "me", 0.0),
        lambda: storage.update_trial(record.id, 0, state=TrialState.FAILED),
        lambda: storage.report(record.id, 3, 1, 0.25),
    ]
    for write in writes:
        with pytest.raises(StudyFileError, match=f"in {db}: it was opened read-only"):
            write()
    assert pickle.loads(pickle.dumps(storage)).read_only  # reopened read-only in another process
    storage.close()
    _same_study_file(tmp_path, before)
    with pytest.raises(StudyFileError, match="read-only"):  # a study on it can only read
        Study(storage=SQLiteStorage(db, read_only=True), name="a").ask()


def test_read_only_never_creates_a_missing_file(tmp_path):
    with pytest.raises(StudyFileError, match=f"cannot read {tmp_path / 'none.db'}: no such file"):
        SQLiteStorage(tmp_path / "none.db", read_only=True)
    with pytest.raises(StudyFileError, match="no such file"):
        SQLiteStorage(tmp_path / "sub" / "s.db", read_only=True)
    assert list(tmp_path.iterdir()) == []


def test_read_only_reads_a_version_1_file_without_migrating_it(tmp_path):
    from tests.test_pruning_core import V1_SCHEMA

    db = tmp_path / "v1.db"
    conn = sqlite3.connect(db)
    conn.executescript(V1_SCHEMA)
    conn.close()
    before = _snapshot(tmp_path)
    storage = SQLiteStorage(db, read_only=True)
    (record,) = storage.list_studies()
    trials, _ = storage.trials_since(record.id, 0)
    assert [(t.id, t.value, dict(t.intermediate_values)) for t in trials] == [(0, 0.5, {}), (1, 0.125, {})]
    with pytest.raises(StudyFileError, match="opened read-only"):
        storage.report(record.id, 1, 0, 0.1)
    storage.close()
    assert _snapshot(tmp_path) == before  # not a WAL file: not even SQLite's side files
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone() == (1,)  # not migrated
    assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'intermediate_values'").fetchone() is None
    conn.close()


def test_a_read_only_reader_sees_what_a_running_study_commits(tmp_path):
    db = tmp_path / "s.db"
    writer = Study(SPACE, storage=db, name="a", seed=0)
    writer.optimize(quadratic, n_trials=2, verbose=False)
    reader = SQLiteStorage(db, read_only=True)
    record = reader.get_study("a")
    trials, version = reader.trials_since(record.id, 0)
    assert len(trials) == 2
    writer.optimize(quadratic, n_trials=1, verbose=False)  # not blocked by the open reader
    changed, _ = reader.trials_since(record.id, version)
    assert [t.id for t in changed] == [2]
    reader.close()
    writer.storage.close()
