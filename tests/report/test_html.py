"""The report file: one self-contained page, offline, and safe with any text in a study."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from hpcore.report import html
from hpcore.report.build import default_report_path, write_report
from hpcore.report.errors import MissingPlotly, ReportError
from tests.report.sample_studies import HOSTILE, random_study

pytest.importorskip("plotly", reason="the report needs plotly: pip install 'hpcore[report]'")

#: An attribute that would make the page fetch something: src=, href=, srcset=, url(...) to http(s).
_NETWORK = re.compile(r"""(?:\b(?:src|href|srcset|action|data)\s*=\s*["']?\s*|url\(\s*["']?)(?:https?:)?//""", re.I)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    folder = tmp_path_factory.mktemp("html")
    db = folder / "study.db"
    random_study(db, n=40)
    random_study(db, n=10, name="second <b>study</b>")
    return db, write_report(db)


def test_one_file_next_to_the_study_with_everything_inside(report):
    db, path = report
    assert path == db.with_name("study-report.html") == default_report_path(db)
    text = path.read_text(encoding="utf-8")
    assert path.stat().st_size < 4_000_000  # plotly.js compressed (~2 MB) and the data
    assert not _NETWORK.search(text), _NETWORK.search(text)
    assert "<link rel=\"icon\" href=\"data:,\">" in text  # no favicon request either
    # the policy that keeps an opened report offline
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', text).group(1)
    assert "connect-src 'none'" in csp and "default-src 'none'" in csp
    scripts = re.findall(r"<script\b[^>]*>", text)
    assert len(scripts) == 4 and not any("src=" in s for s in scripts)


def test_text_from_the_study_cannot_end_its_script_element(report):
    _, path = report
    text = path.read_text(encoding="utf-8")
    assert text.count("</script>") == 4  # only the page's own four elements end
    assert HOSTILE not in text and "<b>study</b>" not in text  # escaped inside the JSON
    data = re.search(r'<script id="hpcore-data" type="application/json">(.*?)</script>', text, re.S).group(1)
    import json

    studies = json.loads(data)["studies"]
    assert [s["name"] for s in studies] == ["mlp-random", "second <b>study</b>"]
    assert HOSTILE in studies[0]["failures"]["groups"][0]["error"]  # the text itself is intact


def test_script_json_escapes_markup():
    assert html.script_json({"a": "</script><!--&"}) == '{"a":"\\u003c/script\\u003e\\u003c!--\\u0026"}'
    with pytest.raises(ValueError):
        html.script_json({"a": float("nan")})  # JSON has no NaN: the payload must not hold one


def test_only_the_named_studies_and_clear_errors(report, tmp_path):
    db, _ = report
    one = write_report(db, out=tmp_path / "sub" / "one.html", names=["mlp-random"])
    assert '"name":"second' not in one.read_text(encoding="utf-8")
    with pytest.raises(ReportError, match="no study named 'nope'.*known: mlp-random, second"):
        write_report(db, out=tmp_path / "x.html", names=["nope"])
    with pytest.raises(ReportError, match="is a folder"):
        write_report(db, out=tmp_path)


def test_without_plotly_the_error_says_what_to_install(monkeypatch):
    monkeypatch.setattr(html.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(MissingPlotly, match=r"pip install 'hpcore\[report\]'"):
        html.plotly_js_path()


def test_render_page_is_either_a_file_or_the_dashboard():
    with pytest.raises(ValueError, match="either"):
        html.render_page(None)
    with pytest.raises(ValueError, match="either"):
        html.render_page([], live={"poll_seconds": 1})


def test_importing_the_report_loads_no_gp_and_no_plotly():
    """`hpcore report` pays for the GP only when it fits one, never imports plotly (it only
    reads its JavaScript file), and leaves the dashboard's HTTP server unloaded."""
    code = ("import sys, hpcore.report, hpcore.report.build, hpcore.report.html, hpcore.cli; "
            "hpcore.report.html.plotly_js_path(); "
            "print(sorted(m for m in ('plotly', 'numba', 'hpcore.gp', 'matplotlib', 'http.server') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip() == "[]", r.stderr
