"""`hpcore report`: the studies of a study file written as one self-contained HTML page."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hpcore.report.errors import ReportError
from hpcore.report.html import render_page
from hpcore.report.payload import study_payload
from hpcore.report.study_file import open_study_file
from hpcore.storage.base import Storage, StudyRecord

__all__ = ["default_report_path", "select_studies", "write_report"]


def select_studies(storage: Storage, path: str | os.PathLike, names: Sequence[str] | None) -> list[StudyRecord]:
    """The studies called `names` (all of them when None), in the file's order; `ReportError`
    naming the file and the studies it has for a name it does not hold, or for an empty file."""
    records = storage.list_studies()
    if not records:
        raise ReportError(f"{path} holds no studies")
    if names is None:
        return records
    known = {r.name: r for r in records}
    missing = [n for n in names if n not in known]
    if missing:
        raise ReportError(f"no study named {missing[0]!r} in {path}; known: {', '.join(known)}")
    return [known[n] for n in dict.fromkeys(names)]


def default_report_path(study_file: str | os.PathLike) -> Path:
    """Where a report goes by default: next to the study file, `NAME-report.html` for `NAME.db`."""
    p = Path(study_file)
    return p.with_name(p.stem + "-report.html")


def payloads(storage: Storage, records: Sequence[StudyRecord]) -> list[dict[str, Any]]:
    """`study_payload` of each study, read at one storage version per study."""
    out = []
    for rec in records:
        trials, version = storage.trials_since(rec.id, 0)
        out.append(study_payload(rec, trials, version=version))
    return out


def write_report(study_file: str | os.PathLike, out: str | os.PathLike | None = None,
                 names: Sequence[str] | None = None) -> Path:
    """Write the report of the studies in `study_file` (those in `names`, or all) to `out`
    (default: `default_report_path`) and return its path. The study file is opened read-only,
    so a study that is running meanwhile is not disturbed. Raises `StudyFileError` for a file
    that is not a study file, `ReportError` for an unknown study, `MissingPlotly` without plotly."""
    target = Path(out) if out is not None else default_report_path(study_file)
    if target.is_dir():
        raise ReportError(f"the report's path {target} is a folder; give a file name, e.g. {target / 'report.html'}")
    storage = open_study_file(study_file)
    try:
        records = select_studies(storage, study_file, names)
        title = records[0].name if len(records) == 1 else f"{len(records)} studies of {Path(study_file).name}"
        page = render_page(payloads(storage, records), title=f"{title} · hpcore report")
    finally:
        storage.close()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, target)  # a reader never sees half a page
    return target
