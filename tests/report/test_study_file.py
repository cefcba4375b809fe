"""The study file as the report and the dashboard open it: read-only, and refused clearly when
it is not a study file."""

from __future__ import annotations

import hashlib
import sqlite3

import pytest

from hpcore.report.study_file import open_study_file
from hpcore.storage import StudyFileError
from hpcore.trial import TrialState
from tests.report.sample_studies import random_study


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_reads_a_study_and_can_write_nothing(tmp_path):
    db = tmp_path / "s.db"
    study = random_study(db, n=8)
    study.storage.close()
    before = _digest(db)
    storage = open_study_file(db)
    (record,) = storage.list_studies()
    trials, version = storage.trials_since(record.id, 0)
    assert len(trials) == 8 and version > 0 and storage.get_study("mlp-random").id == record.id
    with pytest.raises(StudyFileError, match="opened read-only"):
        storage.update_trial(record.id, 0, state=TrialState.FAILED)
    with pytest.raises(StudyFileError, match="opened read-only"):
        storage.create_study("new", direction="minimize", space={}, strategy={}, seed=0, created_at=0.0)
    with pytest.raises(sqlite3.OperationalError, match="readonly"):  # SQLite refuses too: mode=ro
        storage._conn.execute("UPDATE studies SET attrs = '{}'")
    storage.close()
    assert _digest(db) == before


@pytest.mark.parametrize("kind", ["missing", "folder", "empty", "text", "foreign"])
def test_what_is_not_a_study_file_is_refused_by_name(tmp_path, kind):
    path = tmp_path / "f.db"
    if kind == "folder":
        path.mkdir()
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "text":
        path.write_text("not a database")
    elif kind == "foreign":
        c = sqlite3.connect(path)
        c.execute("CREATE TABLE songs (title TEXT)")
        c.commit()
        c.close()
    before = path.read_bytes() if path.is_file() else None
    with pytest.raises(StudyFileError, match=str(path).replace("\\", "\\\\")) as e:
        open_study_file(path)
    words = {"missing": "no such file", "folder": "folder", "empty": "empty file", "text": "not an SQLite",
             "foreign": "another application"}[kind]
    assert words in str(e.value)
    assert not path.exists() if kind == "missing" else (not path.is_file() or path.read_bytes() == before)
