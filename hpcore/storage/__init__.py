"""Storage back ends: in memory (default) and SQLite, behind `Storage`."""

from hpcore.storage.base import NumberTaken, Storage, StudyRecord, open_storage
from hpcore.storage.memory import MemoryStorage
from hpcore.storage.sqlite import SQLiteStorage, StudyFileError

__all__ = ["MemoryStorage", "NumberTaken", "SQLiteStorage", "Storage", "StudyFileError", "StudyRecord",
           "open_storage"]
