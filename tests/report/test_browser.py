"""The report and the serve pages in a real headless Chromium (Debian's, driven by selenium):
no console errors, the verdict, the anomaly list and every plot drawn; a screenshot of each is
kept in the test's tmp directory."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.report.conftest import Runs
from tests.report.test_serve import start_server

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()),
    reason="chromium and chromium-driver are not installed (apt-get install chromium "
           "chromium-driver; .ci/run does)")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1300,1000", "--no-first-run", "--disable-extensions"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(120)
    try:
        yield driver
    finally:
        driver.quit()


def _open(browser: Any, url: str) -> None:
    browser.get_log("browser")  # drop what earlier pages logged
    browser.get(url)


def _console_errors(browser: Any) -> list[str]:
    return [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"]


def _screenshot(browser: Any, path: Path) -> None:
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1300, min(int(height) + 50, 8000))
    assert browser.save_screenshot(str(path))
    assert path.stat().st_size > 10_000
    browser.set_window_size(1300, 1000)


def _drawn(browser: Any, css: str) -> list[Any]:
    """Elements matching ``css`` holding an SVG the browser laid out with a real size."""
    from selenium.webdriver.common.by import By

    found = browser.find_elements(By.CSS_SELECTOR, css)
    for el in found:
        svg = el.find_element(By.TAG_NAME, "svg")
        assert svg.size["width"] > 100 and svg.size["height"] > 30, el.get_attribute("id")
    return list(found)


def test_nonlinearizable_report_in_chromium(browser: Any, runs: Runs, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    _open(browser, (runs.register / "report.html").as_uri())
    assert browser.find_element(By.ID, "verdict").text.startswith("INVALID")
    anomalies = browser.find_elements(By.CSS_SELECTOR, "li.anomaly[data-type=nonlinearizable]")
    assert anomalies and "cannot be linearized" in anomalies[0].text
    assert len(_drawn(browser, "figure.timeline")) >= 1
    for ident in ("latency-plot", "throughput-plot"):
        assert _drawn(browser, f"#{ident}")
    latency = browser.find_element(By.ID, "latency-plot").get_attribute("innerHTML")
    assert "fault: partition" in latency  # the fault windows are shaded and named
    assert browser.find_element(By.ID, "command").text.startswith("isolde run")
    _screenshot(browser, tmp_path / "report-register.png")
    assert _console_errors(browser) == []


def test_g2_item_report_in_chromium(browser: Any, runs: Runs, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    _open(browser, (runs.list_append / "report.html").as_uri())
    assert browser.find_element(By.ID, "verdict").text.startswith("INVALID")
    assert browser.find_elements(By.CSS_SELECTOR, "li.anomaly[data-type=G2-item]")
    cycles = _drawn(browser, "li.anomaly[data-type=G2-item] figure.cycle")
    assert cycles and "rw key" in cycles[0].get_attribute("innerHTML")
    _screenshot(browser, tmp_path / "report-list-append.png")
    assert _console_errors(browser) == []


def test_staleness_and_bank_reports_in_chromium(browser: Any, runs: Runs,
                                                tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    _open(browser, (runs.staleness / "report.html").as_uri())
    assert browser.find_element(By.ID, "verdict").text.startswith("INVALID")
    assert browser.find_elements(By.CSS_SELECTOR,
                                 "li.anomaly[data-type=staleness-sla-exceeded]")
    for ident in ("staleness-cdf", "t-visibility", "latency-plot", "throughput-plot"):
        assert _drawn(browser, f"#{ident}")
    assert "SLA 0.001 ms" in browser.find_element(By.ID, "t-visibility").get_attribute(
        "innerHTML")
    _screenshot(browser, tmp_path / "report-staleness.png")
    assert _console_errors(browser) == []
    _open(browser, (runs.bank / "report.html").as_uri())
    assert browser.find_elements(By.CSS_SELECTOR, "li.anomaly[data-type=wrong-total]")
    assert _drawn(browser, "#bank-plot")
    assert "wrong total" in browser.find_element(By.ID, "bank-plot").get_attribute("innerHTML")
    assert browser.find_element(By.CSS_SELECTOR, "#stats table").text.startswith("f")
    _screenshot(browser, tmp_path / "report-bank.png")
    assert _console_errors(browser) == []


def test_serve_pages_in_chromium(browser: Any, runs: Runs, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    proc, port = start_server(str(runs.store))
    try:
        _open(browser, f"http://127.0.0.1:{port}/")
        rows = browser.find_elements(By.CSS_SELECTOR, "#runs tbody tr")
        assert len(rows) == 5
        assert "running" in browser.find_element(By.ID, "runs").text
        _screenshot(browser, tmp_path / "serve-index.png")
        assert _console_errors(browser) == []
        # The served report obeys the server's no-external-loads policy: CSP violations would
        # be console errors.
        rel = runs.list_append.relative_to(runs.store)
        browser.find_element(By.CSS_SELECTOR, f'a[href="/runs/{rel}/report.html"]').click()
        assert browser.find_element(By.ID, "verdict").text.startswith("INVALID")
        assert _drawn(browser, "figure.cycle")
        assert _console_errors(browser) == []
        _open(browser, f"http://127.0.0.1:{port}/runs/{rel}/history")
        assert len(browser.find_elements(By.CSS_SELECTOR, "#history tbody tr")) == 500
        _screenshot(browser, tmp_path / "serve-history.png")
        assert _console_errors(browser) == []
    finally:
        proc.terminate()
        proc.wait(timeout=30)
