"""See a study: a self-contained HTML report (`hpcore report`) and a live dashboard
(`hpcore dashboard`), drawn by one page.

    study_payload   a study as a JSON-ready dict: summary, history, importance, rungs, curves...
    write_report    the studies of a file as one HTML file that needs no network
    serve           the dashboard: the same page, polling the study file while a study runs

Needs plotly.js from the `plotly` package (`pip install 'hpcore[report]'`); the study file is
only ever opened read-only. Each name is imported on first use, so `hpcore report` does not
load the dashboard's HTTP server.
"""

from hpcore.strategies.base import lazy_attributes

__all__ = ["MissingPlotly", "ReportError", "serve", "study_payload", "write_report"]

_LAZY = {
    "MissingPlotly": "hpcore.report.errors:MissingPlotly",
    "ReportError": "hpcore.report.errors:ReportError",
    "serve": "hpcore.report.server:serve",
    "study_payload": "hpcore.report.payload:study_payload",
    "write_report": "hpcore.report.build:write_report",
}

__getattr__, __dir__ = lazy_attributes(globals(), _LAZY)
