"""Mistakes a user of the report or the dashboard can fix; the command line prints them as one line."""

from __future__ import annotations

__all__ = ["MissingPlotly", "ReportError"]


class ReportError(ValueError):
    """A study the file does not hold, an output path that is a folder, an address that cannot
    be listened on; the message names the thing and what to do."""


class MissingPlotly(ImportError):
    """The report needs plotly.js, from the Python package plotly, which is not installed."""
