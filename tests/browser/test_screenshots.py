"""Screenshots of every tab on the demo branch, for the docs.

With ``SUNTER_SCREENSHOTS_DOCS`` set they are written to docs/screenshots/ (the committed
images the README can show); otherwise to build/screenshots/ (or ``SUNTER_SCREENSHOTS``),
so an ordinary test run never rewrites the docs:

    SUNTER_SCREENSHOTS_DOCS=1 python -m pytest tests/browser/test_screenshots.py
"""
from __future__ import annotations

import re

import pytest
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from sunter_dash import create_app, demo
from sunter_dash.ingest import ingest_file

from .pages import SCREENSHOTS, console

pytestmark = [pytest.mark.browser, pytest.mark.slow]


RUPIAH = re.compile(r"^Rp \d{1,3}(\.\d{3})*$")
PERCENT = re.compile(r"^\d{1,3},\d{2}%$")

# tab label -> (file name, elements that must be drawn before the picture is taken). The admin
# sees every tab; a tab with no element listed waits for its content and its callbacks.
TABS = {
    "Ringkasan": ("ringkasan.png", ["#card-volume .kpi-value", "#overview-rayon-chart .trace.bars .point path",
                                    "#overview-rayon-grid .ag-floating-bottom .ag-row",
                                    "#overview-daily-chart .trace.bars .point path"]),
    "Tunggakan": ("tunggakan.png", ["#card-os-share .kpi-value", "#arrears-bucket-chart .trace.bars .point path",
                                    "#arrears-top-grid .ag-center-cols-container .ag-row"]),
    "Penagihan": ("penagihan.png", [".ag-center-cols-container .ag-row"]),
    "Tren": ("tren.png", ["#trend-chart .scatterlayer .trace .point",
                          "#trend-grid .ag-center-cols-container .ag-row"]),
    "Meter": ("meter.png", [".ag-center-cols-container .ag-row"]),
    "Pelanggan": ("pelanggan.png", []),
    "Analisa": ("analisa.png", []),
    "Status Data": ("status-data.png", ["#status-summary .alert", "#status-grid .ag-center-cols-container .ag-row"]),
    "Unggah": ("unggah.png", []),
    "Riwayat": ("riwayat.png", [".ag-center-cols-container .ag-row"]),
    "Pengguna": ("pengguna.png", [".ag-center-cols-container .ag-row"]),
    "Pengaturan": ("pengaturan.png", [".settings-table"]),
    "Audit": ("audit.png", [".ag-center-cols-container .ag-row"]),
}
SIZES = ((1280, 800, ""), (390, 844, "-390"))


def settled(selectors):
    """Every selector drawn, no callback running, fonts loaded."""
    def check(driver):
        for selector in selectors:
            driver.find_element(By.CSS_SELECTOR, selector)
        return driver.execute_script(
            "return document.fonts.status === 'loaded'"
            " && !document.querySelector('[data-dash-is-loading=\"true\"]')")
    return check


# The elements that reach past the window's right edge outside any scrolling box, to name them
# when the page is too wide.
STICKING_OUT = """
const clipped = el => {
  for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
    if (getComputedStyle(up).overflowX !== 'visible') return true;
  }
  return false;
};
const out = [];
for (const el of document.querySelectorAll('body *')) {
  const r = el.getBoundingClientRect();
  if (r.width > 0 && r.right > document.documentElement.clientWidth + 1 && !clipped(el)) {
    out.push(`${el.tagName.toLowerCase()}#${el.id}.${String(el.className).split(' ').join('.')} ${Math.round(r.right)}`);
  }
}
return out.slice(0, 12);
"""


def fits(dash_duo, width: int, label: str) -> None:
    """Nothing widens the page past the screen, and both filters and "Keluar" are on it. (A grid
    sizes its columns just after it is drawn: the width is waited for, briefly.)"""
    try:
        WebDriverWait(dash_duo.driver, 3, poll_frequency=0.1).until(lambda driver: driver.execute_script(
            "return document.documentElement.scrollWidth <= document.documentElement.clientWidth"))
    except TimeoutException:
        dash_duo.driver.save_screenshot(str(SCREENSHOTS / "too-wide.png"))
        raise AssertionError(f"{label}: the page is wider than the window; past its edge: "
                             f"{dash_duo.driver.execute_script(STICKING_OUT)}, scrollWidth "
                             f"{dash_duo.driver.execute_script('return document.documentElement.scrollWidth')}") from None
    right = dash_duo.driver.execute_script(
        "return ['shell-periode', 'shell-rayon', 'shell-logout'].map("
        "id => document.getElementById(id).getBoundingClientRect().right)")
    assert max(right) <= width, (label, right)
    for element in ("#shell-periode", "#shell-rayon", "#shell-logout"):
        assert dash_duo.find_element(element).is_displayed(), (label, element)
    # The tabs are one row (scrolling sideways on a phone), with the active tab in sight.
    row, active = dash_duo.driver.execute_script(
        "const row = document.getElementById('shell-tabs').getBoundingClientRect();"
        "const tab = document.querySelector('#shell-tabs .nav-link.active').getBoundingClientRect();"
        "return [[row.left, row.right, row.height], [tab.left, tab.right]]")
    assert row[2] < 60, (label, "tabs wrap", row)
    assert row[0] - 1 <= active[0] and active[1] <= row[1] + 1, (label, "active tab out of sight", row, active)


def test_screenshot_every_tab_at_both_sizes_on_the_demo_branch(dash_duo, config, engine, tmp_path, signed_in):
    files = demo.generate(tmp_path / "demo", customers=3000, months=6, seed=42)
    for path in files:
        result = ingest_file(engine, path)
        assert result.status == "loaded", (path.name, result.message)
    signed_in(dash_duo, create_app(config))
    wait = WebDriverWait(dash_duo.driver, 15, poll_frequency=0.1,
                         ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))
    dash_duo.wait_for_text_to_equal("#shell-periode-value", "Desember 2025")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        for width, height, suffix in SIZES:
            # The page itself at that size (a window of that size leaves less for the page).
            dash_duo.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
            for label, (name, selectors) in TABS.items():
                dash_duo.driver.execute_script("window.scrollTo({top: 0, behavior: 'instant'})")
                dash_duo.find_element("#shell-tabs").find_element(By.LINK_TEXT, label).click()
                dash_duo.wait_for_text_to_equal("#shell-tabs .nav-link.active", label)
                wait.until(settled(["#shell-content > *", *selectors]), f"tab {label} never settled")
                if label == "Ringkasan":
                    # The figures are in Indonesian formats: Rp 1.234.567 and 85,12%.
                    for card in ("card-target", "card-paid", "card-unpaid"):
                        assert RUPIAH.match(dash_duo.find_element(f"#{card} .kpi-value").text), card
                    assert PERCENT.match(dash_duo.find_element("#card-rate .kpi-value").text)
                fits(dash_duo, width, f"{label} at {width}px")
                shot = name.replace(".png", f"{suffix}.png")
                assert dash_duo.driver.save_screenshot(str(SCREENSHOTS / shot)), shot
    finally:
        dash_duo.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    assert console(dash_duo) == []
