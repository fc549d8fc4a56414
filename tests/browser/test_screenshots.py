"""Screenshots of every tab on the demo branch, for the docs.

With ``SUNTER_SCREENSHOTS_DOCS`` set they are written to docs/screenshots/ (the committed
images the README can show); otherwise to build/screenshots/ (or ``SUNTER_SCREENSHOTS``),
so an ordinary test run never rewrites the docs:

    SUNTER_SCREENSHOTS_DOCS=1 python -m pytest tests/browser/test_screenshots.py
"""
from __future__ import annotations

import re

import pytest
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from sunter_dash import create_app, demo
from sunter_dash.ingest import ingest_file

from .pages import SCREENSHOTS, console

pytestmark = [pytest.mark.browser, pytest.mark.slow]


RUPIAH = re.compile(r"^Rp \d{1,3}(\.\d{3})*$")
PERCENT = re.compile(r"^\d{1,3},\d{2}%$")

# tab label -> (file name, elements that must be drawn before the picture is taken)
TABS = {
    "Ringkasan": ("ringkasan.png", ["#card-volume .kpi-value", "#overview-rayon-chart .trace.bars .point path",
                                    "#overview-rayon-grid .ag-floating-bottom .ag-row",
                                    "#overview-daily-chart .trace.bars .point path"]),
    "Tunggakan": ("tunggakan.png", ["#card-os-share .kpi-value", "#arrears-bucket-chart .trace.bars .point path",
                                    "#arrears-top-grid .ag-center-cols-container .ag-row"]),
    "Tren": ("tren.png", ["#trend-chart .scatterlayer .trace .point",
                          "#trend-grid .ag-center-cols-container .ag-row"]),
    "Status Data": ("status-data.png", ["#status-summary .alert", "#status-grid .ag-center-cols-container .ag-row"]),
}


def settled(selectors):
    """Every selector drawn, no callback running, fonts loaded."""
    def check(driver):
        for selector in selectors:
            driver.find_element(By.CSS_SELECTOR, selector)
        return driver.execute_script(
            "return document.fonts.status === 'loaded'"
            " && !document.querySelector('[data-dash-is-loading=\"true\"]')")
    return check


def test_screenshot_every_tab_on_the_demo_branch(dash_duo, config, engine, tmp_path, signed_in):
    files = demo.generate(tmp_path / "demo", customers=3000, months=6, seed=42)
    for path in files:
        result = ingest_file(engine, path)
        assert result.status == "loaded", (path.name, result.message)
    signed_in(dash_duo, create_app(config))
    # The page itself at 1280x800 (a window of that size leaves less for the page).
    dash_duo.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False})
    wait = WebDriverWait(dash_duo.driver, 15, poll_frequency=0.1,
                         ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))
    dash_duo.wait_for_text_to_equal("#shell-periode-value", "Desember 2025")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    for label, (name, selectors) in TABS.items():
        if label != "Ringkasan":
            dash_duo.find_element("#shell-tabs").find_element(By.LINK_TEXT, label).click()
        dash_duo.wait_for_text_to_equal("#shell-tabs .nav-link.active", label)
        wait.until(settled(selectors), f"tab {label} never settled")
        if label == "Ringkasan":
            # The figures are in Indonesian formats: Rp 1.234.567 and 85,12%.
            for card in ("card-target", "card-paid", "card-unpaid"):
                assert RUPIAH.match(dash_duo.find_element(f"#{card} .kpi-value").text), card
            assert PERCENT.match(dash_duo.find_element("#card-rate .kpi-value").text)
        # Nothing may widen the page beyond the window.
        assert dash_duo.driver.execute_script(
            "return document.documentElement.scrollWidth <= document.documentElement.clientWidth"), label
        assert dash_duo.driver.save_screenshot(str(SCREENSHOTS / name)), name
    assert console(dash_duo) == []
