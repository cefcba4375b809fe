"""See a study: a self-contained HTML report (`hpcore report`) and a live dashboard
(`hpcore dashboard`), drawn by one page.

    study_payload   a study as a JSON-ready dict: summary, history, importance, rungs, curves...
    write_report    the studies of a file as one HTML file that needs no network
    serve           the dashboard: the same page, polling the study file while a study runs

Needs plotly.js from the `plotly` package (`pip install 'hpcore[report]'`); the study file is
only ever opened read-only.
"""

from hpcore.report.build import write_report
from hpcore.report.errors import MissingPlotly, ReportError
from hpcore.report.payload import study_payload
from hpcore.report.server import serve

__all__ = ["MissingPlotly", "ReportError", "serve", "study_payload", "write_report"]
