"""A headless Chromium driven by selenium, for the report's and the dashboard's browser tests.

Debian's packages: `apt-get install chromium chromium-driver` (/usr/bin/chromium and
/usr/bin/chromedriver), and `pip install selenium` (the dev extra). Without them those tests
skip, saying what to install; `.ci/run` installs the browser and sets HPCORE_REQUIRE_BROWSER=1,
under which a missing browser fails those tests instead, so CI cannot pass without running them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
INSTALL = ("needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver) and "
           "selenium (pip install selenium)")
#: As root in a container Chromium needs --no-sandbox; the network flags keep it from calling
#: home (this machine's closed network refuses it, which would litter the console); SwiftShader
#: gives WebGL without a graphics card, so the WebGL plots are drawn as a user's browser draws them.
FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
         "--window-size=1400,1000")
WEBGL = ("--enable-unsafe-swiftshader",)
NO_WEBGL = ("--disable-webgl",)


def _missing_browser() -> None:
    """Skip (fail under HPCORE_REQUIRE_BROWSER=1, as in CI) for want of the browser."""
    if os.environ.get("HPCORE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"HPCORE_REQUIRE_BROWSER=1 but the browser tests cannot run: {INSTALL}")
    pytest.skip(INSTALL)


def start_chromium(webgl: bool = True):
    """A headless Chromium (selenium WebDriver) with its console log kept, with WebGL or (as in a
    browser without it) none; skips when there is no Chromium."""
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _missing_browser()

    if not (Path(CHROMIUM).is_file() and Path(CHROMEDRIVER).is_file()):
        _missing_browser()
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tempfile.mkdtemp(prefix="hpcore-chromium-")
    for flag in FLAGS + (WEBGL if webgl else NO_WEBGL) + (f"--user-data-dir={profile}",):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(120)
    driver.hpcore_profile = profile
    return driver


def stop_chromium(driver) -> None:
    driver.quit()
    shutil.rmtree(driver.hpcore_profile, ignore_errors=True)


@pytest.fixture(scope="module")
def chromium():
    driver = start_chromium()
    yield driver
    stop_chromium(driver)


def wait_for(driver, script: str, timeout: float = 90.0):
    """Poll a JavaScript expression until it is truthy; its value (fails after `timeout` s)."""
    deadline = time.monotonic() + timeout
    while True:
        value = driver.execute_script(f"return ({script});")
        if value:
            return value
        if time.monotonic() > deadline:
            problem = driver.execute_script("const p = document.getElementById('problem'); return p && p.textContent;")
            raise AssertionError(f"timed out waiting for {script} (page says: {problem!r}; "
                                 f"console: {driver.get_log('browser')})")
        time.sleep(0.1)


def console_errors(driver) -> list[dict]:
    """The console's errors since the last call (warnings, e.g. about software WebGL, are not)."""
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
