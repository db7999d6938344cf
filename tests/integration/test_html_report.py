"""The HTML report: structure against the JSON report, and a real headless Chromium."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape

from langgraph_gates import review
from langgraph_gates.gates import GATES
from langgraph_gates.report import ReviewReport, render

from ..conftest import EXAMPLES, ROOT

ARTIFACTS = ROOT / "test-artifacts"


class _Collect(HTMLParser):
    """Collects tags with data-* attributes and every external reference."""

    def __init__(self) -> None:
        super().__init__()
        self.gate_rows: dict[str, str] = {}
        self.details: list[str] = []
        self.checks: list[tuple[str, str]] = []
        self.external: list[str] = []
        self.recommendation = ""
        self._row_gate: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for key in ("src", "href"):
            if a.get(key) and not str(a[key]).startswith("#"):
                self.external.append(str(a[key]))
        if tag == "tr" and a.get("data-gate"):
            self._row_gate = a["data-gate"]
        if tag == "td" and self._row_gate and a.get("data-status"):
            self.gate_rows[self._row_gate] = str(a["data-status"])
            self._row_gate = None
        if tag == "details" and a.get("data-gate"):
            self.details.append(str(a["data-gate"]))
        if tag == "tr" and a.get("data-check") and a.get("data-outcome"):
            self.checks.append((str(a["data-check"]), str(a["data-outcome"])))
        if a.get("id") == "recommendation":
            self.recommendation = str(a.get("data-recommendation"))


@pytest.fixture(scope="module")
def weak() -> ReviewReport:
    return review(EXAMPLES / "weak_dossier" / "dossier.yaml").report


@pytest.fixture(scope="module")
def churn() -> ReviewReport:
    return review(EXAMPLES / "churn" / "dossier.yaml").report


@pytest.mark.parametrize("name", ["weak", "churn"])
def test_structure_matches_json(name: str, request: pytest.FixtureRequest) -> None:
    report: ReviewReport = request.getfixturevalue(name)
    html = render(report, "html")
    data = json.loads(render(report, "json"))
    parsed = _Collect()
    parsed.feed(html)
    assert parsed.recommendation == data["recommendation"]
    assert parsed.details == [g.id for g in GATES]
    assert parsed.gate_rows == {g["id"]: g["status"] for g in data["gates"]}
    assert parsed.checks == [(f["check_id"], f["outcome"]) for g in data["gates"] for f in g["findings"]]
    assert parsed.external == []  # one file, nothing fetched at view time
    for g in data["gates"]:
        for f in g["findings"]:
            assert str(escape(f["message"])) in html
    for title in ("Not Model Governance", "Not Bias Audit", "Not Legal Advice"):
        assert title in html


def test_charts_come_from_findings(churn: ReviewReport) -> None:
    from langgraph_gates.report.html import chart_for

    charted = {f.check_id for g in churn.gates for f in g.findings if chart_for(f)}
    assert {"MP.CALIBRATION", "RAI.DISPARATE_IMPACT"} <= charted
    rai = churn.gate("responsible_ai")
    assert rai is not None
    di = rai.finding("RAI.DISPARATE_IMPACT")
    assert di is not None
    svg = chart_for(di)
    for group in di.measured["groups"]:  # type: ignore[union-attr]
        assert f"{group['selection_rate']:.3g}" in svg  # type: ignore[index]


def _chromium() -> tuple[str, str] | None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


def _driver(tmp_path: Path) -> Any:
    found = _chromium()
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser test: chromium and chromedriver are missing")
        pytest.skip("chromium/chromedriver not installed (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = found[0]
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1280,1000", f"--user-data-dir={tmp_path / 'profile'}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(found[1]))


@contextlib.contextmanager
def _in_chromium(tmp_path: Path, report: ReviewReport, shot: str) -> Iterator[Any]:
    """The report's HTML open in headless Chromium, with a screenshot saved as ARTIFACTS/shot."""
    page = tmp_path / "report.html"
    page.write_text(render(report, "html"), encoding="utf-8")
    driver = _driver(tmp_path)
    try:
        driver.get(page.as_uri())
        ARTIFACTS.mkdir(exist_ok=True)
        driver.save_screenshot(str(ARTIFACTS / shot))
        print(f"screenshot: {ARTIFACTS / shot}")
        yield driver
    finally:
        driver.quit()


@pytest.mark.slow
def test_in_headless_chromium(weak: ReviewReport, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    with _in_chromium(tmp_path, weak, "html_report_weak_dossier.png") as driver:
        # The failing gates' reason is on the first screen; a href inside the page is fine.
        blockers = driver.find_element(By.ID, "blockers")
        assert blockers.location["y"] < 1000
        assert "MP.OVERFIT" in blockers.text
        # A closed (not failing) gate opens on click and shows its findings.
        gate = driver.find_element(By.CSS_SELECTOR, 'details[data-gate="responsible_ai"]')
        table = gate.find_element(By.CSS_SELECTOR, "table.findings")
        assert gate.get_attribute("open") is None and not table.is_displayed()
        gate.find_element(By.TAG_NAME, "summary").click()
        assert gate.get_attribute("open") is not None and table.is_displayed()
        assert "RAI.HARMS" in table.text
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert errors == []


@pytest.mark.slow
def test_flawed_example_shows_failing_gate_reason_and_chart_on_first_screen(tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    report = review(EXAMPLES / "fraud_detection" / "dossier.yaml").report
    with _in_chromium(tmp_path, report, "html_report_fraud_detection.png") as driver:
        height = driver.execute_script("return window.innerHeight")
        first = driver.find_elements(By.CSS_SELECTOR, "#blockers .blocker")[0]
        assert first.location["y"] + first.size["height"] <= height  # wholly on the first screen
        chart = first.find_element(By.CSS_SELECTOR, "svg.chart")
        assert chart.is_displayed() and chart.location["y"] + chart.size["height"] <= height
        check = first.get_attribute("data-check")
        assert check in {"DR.DRIFT", "RAI.DISPARATE_IMPACT", "FE.TARGET_LEAKAGE", "MP.OVERFIT"}
        failing = driver.find_elements(By.CSS_SELECTOR, "#gate-strip li.s-fail")
        assert failing and all(li.location["y"] + li.size["height"] <= height for li in failing)
