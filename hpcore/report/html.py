"""The report page: one HTML file with everything inlined, for a file or for the dashboard.

The page is `assets/page.html` with the style sheet, the page's script (`assets/report.js`),
plotly.js and the data put in. One page serves both uses: in a file the studies' payloads
(`hpcore.report.payload`) are embedded; from the dashboard the page carries none and fetches
them from the server's JSON routes, polling for changes.

plotly.js is the `report` extra (`pip install 'hpcore[report]'`): the Python package `plotly`
ships the whole library as one file (`package_data/plotly.min.js`, about 4.8 MB), which is read
from the installed package without importing it. It is stored gzip-compressed and base64
encoded (about 2 MB) and unpacked by the browser (`DecompressionStream`, in every browser
released since 2023), which halves the size of a report. Nothing on the page refers to the
network: the file opens offline, and its Content-Security-Policy forbids any request but the
dashboard's own JSON routes.
"""

from __future__ import annotations

import base64
import functools
import gzip
import importlib.resources
import importlib.util
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hpcore.report.errors import MissingPlotly

__all__ = ["plotly_js_path", "render_page", "script_json"]

_MARKER = re.compile(r"\{\{([A-Z_]+)\}\}")


def plotly_js_path() -> Path:
    """The plotly.min.js that the installed `plotly` package ships (raises `MissingPlotly`)."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        raise MissingPlotly("the report needs plotly.js from the plotly package, which is not installed: "
                            "pip install 'hpcore[report]'")
    path = Path(next(iter(spec.submodule_search_locations))) / "package_data" / "plotly.min.js"
    if not path.is_file():
        raise MissingPlotly(f"the installed plotly package has no {path.name} ({path}); reinstall it: "
                            "pip install --force-reinstall plotly")
    return path


@functools.cache
def _plotly_packed(path: Path, mtime: float) -> str:
    """plotly.min.js gzip-compressed and base64-encoded (cached per file and modification time)."""
    return base64.b64encode(gzip.compress(path.read_bytes(), compresslevel=6, mtime=0)).decode("ascii")


def _asset(name: str) -> str:
    return importlib.resources.files("hpcore.report").joinpath("assets", name).read_text(encoding="utf-8")


def script_json(data: Any) -> str:
    """JSON to put inside a <script> element: `<`, `>` and `&` written as \\u escapes, so no
    string in it (a study name, a traceback holding "</script>") can end the element."""
    text = json.dumps(data, allow_nan=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_page(payloads: Sequence[Mapping[str, Any]] | None, *, live: Mapping[str, Any] | None = None,
                title: str = "hpcore report") -> str:
    """The page as HTML text.

    payloads: the studies to embed (a report file), or None for the dashboard, which then
        passes `live`: {"poll_seconds": seconds between polls, "study": the study shown first
        or None}.
    title: the browser tab's title (escaped here).
    """
    if (payloads is None) == (live is None):
        raise ValueError("render_page needs either payloads (a report file) or live (the dashboard), not both")
    path = plotly_js_path()
    config = {"live": dict(live) if live is not None else None}
    # The dashboard fetches from its own origin; a file may fetch nothing at all.
    connect = "'self'" if live is not None else "'none'"
    parts = {
        "TITLE": _escape(title),
        # 'unsafe-eval': plotly's WebGL plots (regl) compile their drawing code at run time.
        "CSP": (f"default-src 'none'; script-src 'unsafe-inline' 'unsafe-eval' blob:; style-src 'unsafe-inline'; "
                f"img-src data: blob:; font-src data:; connect-src {connect}; base-uri 'none'; form-action 'none'"),
        "CSS": _asset("report.css"),
        "PLOTLY": _plotly_packed(path, path.stat().st_mtime),
        "CONFIG": script_json(config),
        "DATA": script_json({"studies": list(payloads) if payloads is not None else []}),
        "APP": _asset("report.js"),
    }
    # One pass: text put in is never searched for markers again.
    return _MARKER.sub(lambda m: parts[m.group(1)], _asset("page.html"))


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
