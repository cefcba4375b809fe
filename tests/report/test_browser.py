"""The report and the dashboard in a real browser (headless Chromium): every section drawn, no
JavaScript error, the table's filter and order, text from a study shown and never run, and the
dashboard picking up a trial told after the page was opened, without a reload."""

from __future__ import annotations

import time

import pytest

import hpcore
from hpcore.report.build import write_report
from tests.report.conftest import console_errors, start_chromium, stop_chromium, wait_for
from tests.report.live_server import Running
from tests.report.sample_studies import HOSTILE, hyperband_study, pruned_study, random_study

pytestmark = pytest.mark.slow
pytest.importorskip("plotly", reason="the report needs plotly: pip install 'hpcore[report]'")

RENDERED = "window.hpcoreTimings && window.hpcoreTimings.sections && !document.getElementById('app').hidden"
#: Plots drawn in sections that are shown.
PLOTS = "Array.from(document.querySelectorAll('.js-plotly-plot')).filter((e) => !e.closest('[hidden]')).length"
ROWS = "document.querySelector('#trial-table tbody').rows.length"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser")
    random_study(folder / "mlp.db", n=40)
    hyperband_study(folder / "many.db")
    pruned_study(folder / "many.db")
    return write_report(folder / "mlp.db"), write_report(folder / "many.db"), folder


def _type(driver, element_id: str, text: str) -> None:
    box = driver.find_element("id", element_id)
    box.clear()
    box.send_keys(text)


def test_the_report_file_draws_every_section_without_errors(chromium, files):
    report, _, folder = files
    trials = hpcore.SQLiteStorage(folder / "mlp.db").trials_since(1, 0)[0]
    chromium.get(report.as_uri())
    wait_for(chromium, RENDERED)
    assert console_errors(chromium) == []
    # history, importance, contour, the parameters' panels (one figure), parallel coordinates
    assert chromium.execute_script(f"return {PLOTS}") == 5
    assert chromium.execute_script("return document.querySelectorAll('#plot-parallel canvas').length") > 0
    assert chromium.execute_script("return document.getElementById('plot-slices')._fullLayout._subplots.cartesian.length") == 5
    assert chromium.execute_script("return document.getElementById('rungs').hidden && "
                                   "document.getElementById('curves').hidden")
    # the tracebacks, shown as text: the markup in them did not run
    shown = chromium.execute_script("return document.querySelector('#failures-body pre').textContent")
    assert HOSTILE in shown and "Traceback (most recent call last)" in shown
    assert chromium.execute_script("return window.__hpcore_xss === undefined && "
                                   "document.querySelectorAll('#failures-body script, #failures-body img').length === 0")
    # the table: all rows, then filtered by words every shown row holds
    assert chromium.execute_script(f"return {ROWS}") == 40
    failed = sum(t.state.value == "FAILED" for t in trials)
    _type(chromium, "table-filter", "failed")
    assert chromium.execute_script(f"return {ROWS}") == failed > 0
    sgd_ok = sum(t.state.value == "COMPLETE" and t.params["opt"] == "sgd" for t in trials)
    _type(chromium, "table-filter", "COMPLETE sgd")
    assert chromium.execute_script(f"return {ROWS}") == sgd_ok
    assert f"{sgd_ok} rows matching the filter (of 40)" in chromium.find_element("id", "table-count").text
    _type(chromium, "table-filter", "")
    # sorted by value: the best trial first, then descending on a second click
    chromium.find_element("css selector", '#trial-table th[data-key="value"]').click()
    first = chromium.execute_script("return document.querySelector('#trial-table tbody tr td').textContent")
    best = min((t for t in trials if t.ok), key=lambda t: t.value)
    assert first == str(best.id)
    chromium.find_element("css selector", '#trial-table th[data-key="value"]').click()
    top = chromium.execute_script("return document.querySelector('#trial-table tbody tr td').textContent")
    assert top == str(max((t for t in trials if t.ok), key=lambda t: t.value).id)
    assert console_errors(chromium) == []
    chromium.save_screenshot(str(folder / "report.png"))  # kept out of the repository


def test_hyperband_rungs_and_learning_curves(chromium, files):
    _, report, folder = files
    chromium.get(report.as_uri() + "#study=hb")
    wait_for(chromium, RENDERED)
    assert chromium.find_element("id", "study-title").text == "hb"
    # history, importance, contour, parameters, parallel coordinates and one plot per bracket (4)
    wait_for(chromium, f"{PLOTS} === 9")
    cells = chromium.execute_script("return Array.from(document.querySelectorAll('.rung-table td')).map((e) => e.textContent)")
    assert any(c.startswith("trial ") for c in cells)
    # the other study of the file, from the picker: its learning curves, pruned ones marked
    chromium.execute_script("const s = document.getElementById('study-select'); s.value = 'curves';"
                            "s.dispatchEvent(new Event('change'));")
    wait_for(chromium, "document.getElementById('study-title').textContent === 'curves'")
    assert chromium.execute_script("return !document.getElementById('curves').hidden")
    names = chromium.execute_script("return document.getElementById('plot-curves').data.map((t) => t.name)")
    # pruned underneath, completed over them, the crosses, the best trial's curve on top
    assert names[:3] == ["pruned (4)", "completed (8)", "where a pruned trial stopped"]
    storage = hpcore.SQLiteStorage(folder / "many.db", read_only=True)
    best = hpcore.trial.best_trial(storage.trials_since(storage.get_study("curves").id, 0)[0], "minimize")
    storage.close()
    assert names[3:] == [f"best: trial {best.id}"]
    header = chromium.execute_script("return Array.from(document.querySelectorAll('#trial-table th')).map((e) => e.textContent)")
    assert any(h.startswith("last step") for h in header)  # where each pruned trial stopped
    assert chromium.execute_script(f"return {ROWS}") == 12
    assert console_errors(chromium) == []


def test_without_webgl_the_page_draws_with_svg(files):
    report, _, _ = files
    driver = start_chromium(webgl=False)
    try:
        driver.get(report.as_uri())
        wait_for(driver, RENDERED)
        assert console_errors(driver) == []
        assert "WebGL" in driver.find_element("id", "parallel-caption").text
        assert driver.execute_script(f"return {PLOTS}") == 4  # all but the parallel coordinates
    finally:
        stop_chromium(driver)


def test_the_dashboard_shows_a_new_trial_without_reloading(chromium, tmp_path):
    db = tmp_path / "live.db"
    study = random_study(db, n=6)
    running = Running(db, poll_seconds=0.5)
    try:
        chromium.get(running.url)
        wait_for(chromium, RENDERED)
        assert chromium.execute_script(f"return {ROWS}") == 6
        chromium.execute_script("window.__hpcore_marker = 'still here';")
        study.add({"lr": 0.001, "units": 128, "dropout": 0.0, "opt": "adam"}, 0.0123456)
        told = time.monotonic()
        wait_for(chromium, f"{ROWS} === 7", timeout=30)
        assert time.monotonic() - told < 15
        assert chromium.execute_script("return window.__hpcore_marker") == "still here"  # no reload
        _type(chromium, "table-filter", "0.0123456")
        assert chromium.execute_script(f"return {ROWS}") == 1
        assert chromium.find_element("id", "status").text.startswith("live")
        assert console_errors(chromium) == []
    finally:
        running.stop()
