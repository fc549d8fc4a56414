"""Ringkasan answers "will we make it this month?" in a real browser, on a demo branch of 13 months
whose newest month runs to the 20th (its last extract not loaded): the headline's rate, goal, gap,
forecast and last year's rate are the API's, in Indonesian forms; an admin's goal for the periode
moves them; the page prints to A4 without navigation or buttons.

Screenshots of the headline at 1280x800 and 390x844 go to docs/screenshots/ with
``SUNTER_SCREENSHOTS_DOCS=1`` (tests/browser/pages.py)."""
from __future__ import annotations

import base64
import io
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from sunter_dash import create_app
from sunter_dash.domain.periodes import date_label
from sunter_dash.formatting import percent, rupiah

from .pages import SCREENSHOTS, choose, click, console, open_tab, wait_for, wait_text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from helpers import MONTH_TO_THE_20TH, basic  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def db_url(demo_database) -> str:
    """13 demo months to 2025-12; December's payments to the 20th."""
    return demo_database(**MONTH_TO_THE_20TH)


@pytest.fixture
def month_app(config):
    return create_app(config)


def headline_text(dash_duo) -> str:
    return dash_duo.find_element("#card-headline").text


def test_the_headline_gives_the_api_figures_and_follows_the_goal(dash_duo, month_app, signed_in, users):
    client = month_app.server.test_client()
    auth = basic(*users["viewer"])
    kpi = client.get("/api/kpi?periode=2025-12", headers=auth).get_json()
    forecast = client.get("/api/kpi/forecast?periode=2025-12", headers=auth).get_json()
    assert "2025-12-15" <= kpi["data_as_of"] <= "2025-12-20"  # the last payment of the extract to the 20th
    assert forecast["forecast"] is not None and len(forecast["periodes"]) >= 3
    assert kpi["previous_year"]["periode"] == "2024-12"

    signed_in(dash_duo, month_app)
    wait_text(dash_duo, "#card-headline .headline-rate", percent(kpi["collection_rate"]))
    text = headline_text(dash_duo)
    found = forecast["forecast"]
    for part in (f"data per {date_label(kpi['data_as_of'])}", "target 90,0%",
                 f"{rupiah(kpi['gap'])} lagi untuk mencapai target",
                 f"Perkiraan akhir bulan {percent(found['rate'])} ({percent(found['low'])} – {percent(found['high'])})",
                 f"{rupiah(found['nominal'])} terbayar di akhir bulan",
                 f"Desember 2024: {percent(kpi['previous_year']['collection_rate'])}"):
        assert part in text, (part, text)
    # The progress chart draws this month, last month, last year, the goal and the cone.
    wait_for(dash_duo, lambda: len(dash_duo.find_elements("#overview-progress-chart .scatterlayer .trace")) == 7)
    legend = dash_duo.find_element("#overview-progress-chart .legend").text
    for name in ("Desember 2025", "November 2025", "Desember 2024", "Perkiraan", "Target 90,0%"):
        assert name in legend, (name, legend)
    # The monthly report of the periode shown, one click away.
    assert dash_duo.find_element("#overview-report-pdf").get_attribute("href").endswith("/api/report/2025-12.pdf")
    assert dash_duo.find_element("#overview-report-xlsx").get_attribute("download") == "laporan-bulanan_2025-12.xlsx"
    # The cards compare with last month and with the same month last year.
    assert "vs November 2025" in dash_duo.find_element("#card-paid").text
    assert "vs Desember 2024" in dash_duo.find_element("#card-paid").text

    for width, height in ((1280, 800), (390, 844)):
        dash_duo.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                        {"width": width, "height": height, "deviceScaleFactor": 1,
                                         "mobile": False})
        dash_duo.driver.execute_script("window.scrollTo({top: 0, behavior: 'instant'})")
        # On a phone the headline comes first: above the progress chart and the cards.
        top = dash_duo.driver.execute_script(
            "return ['card-headline', 'overview-progress-chart', 'card-target'].map("
            "id => document.getElementById(id).getBoundingClientRect().top)")
        assert top == sorted(top) if width < 500 else top[0] < top[2], (width, top)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        dash_duo.driver.save_screenshot(str(SCREENSHOTS / f"ringkasan-bulan-{width}.png"))
    dash_duo.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})

    # An admin's goal for December: the headline and the gap follow.
    open_tab(dash_duo, "Pengaturan")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})",
                                   dash_duo.find_element("#settings-goal-periode"))
    choose(dash_duo, "settings-goal-periode", "Desember 2025")
    dash_duo.find_element("#settings-goal-value").send_keys("95")
    click(dash_duo, "#settings-goal-save")
    wait_text(dash_duo, "#settings-goal-alert .alert", "Target collection rate Desember 2025 disimpan: 95,0%.")
    wait_for(dash_duo, lambda: "Desember 2025: 95,0%" in dash_duo.find_element("#settings-goals").text)
    after = client.get("/api/kpi?periode=2025-12", headers=auth).get_json()
    assert after["goal"] == 95.0 and after["gap"] > kpi["gap"]
    dash_duo.driver.execute_script("window.scrollTo({top: 0, behavior: 'instant'})")
    open_tab(dash_duo, "Ringkasan")
    wait_text(dash_duo, "#card-headline .headline-goal", "target 95,0%")
    assert f"{rupiah(after['gap'])} lagi untuk mencapai target" in headline_text(dash_duo)
    assert console(dash_duo) == []


def test_printing_ringkasan_gives_the_content_without_navigation_or_buttons(dash_duo, month_app, signed_in):
    signed_in(dash_duo, month_app)
    wait_for(dash_duo, lambda: dash_duo.find_elements("#overview-daily-chart .trace.bars .point path")
             and dash_duo.find_elements("#overview-progress-chart .scatterlayer .trace"))
    printed = dash_duo.driver.execute_cdp_cmd("Page.printToPDF", {"printBackground": True,
                                                                   "preferCSSPageSize": True})
    pdf = PdfReader(io.BytesIO(base64.b64decode(printed["data"])))
    text = "\n".join(page.extract_text() for page in pdf.pages)
    # The content is there ...
    for part in ("COLLECTION RATE · DESEMBER 2025", "Progres Desember 2025", "Rincian per rayon", "Grafik harian Desember 2025",
                 "Perkiraan akhir bulan"):
        assert part in text, part
    # ... and no navigation, filter or button is.
    for chrome in ("Keluar", "Unduh", "XLSX", "CSV", "Tunggakan\n", "Pengaturan", "Periode", "Analisa"):
        assert chrome not in text, chrome
    # A4 landscape (842 x 595 pt); in print layout at the paper's printable width (277 mm at 96 dpi),
    # no chart reaches past the page's right edge.
    box = pdf.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (842, 595)
    dash_duo.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    dash_duo.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": 1047, "height": 740, "deviceScaleFactor": 1, "mobile": False})
    edges = dash_duo.driver.execute_script(
        "return [document.documentElement.clientWidth, ...Array.from(document.querySelectorAll('.main-svg'))"
        ".map(s => s.getBoundingClientRect().right)]")
    assert len(edges) > 3 and max(edges[1:]) <= edges[0], edges
    assert dash_duo.find_element(".print-header").is_displayed()
    assert not dash_duo.find_element(".shell-navbar").is_displayed()
    dash_duo.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    dash_duo.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def test_on_a_phone_the_header_fits_and_keluar_can_be_reached(dash_duo, month_app, signed_in):
    """At 390x844 nothing widens the page past the screen: both filters and "Keluar" are on it."""
    signed_in(dash_duo, month_app)
    wait_text(dash_duo, "#shell-periode-value", "Desember 2025")
    dash_duo.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": False})
    try:
        wait_for(dash_duo, lambda: dash_duo.driver.execute_script(
            "return document.documentElement.scrollWidth <= document.documentElement.clientWidth"))
        right = dash_duo.driver.execute_script(
            "return ['shell-periode', 'shell-rayon', 'shell-logout'].map("
            "id => document.getElementById(id).getBoundingClientRect().right)")
        assert max(right) <= 390, right
        assert dash_duo.find_element("#shell-logout").is_displayed()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        dash_duo.driver.save_screenshot(str(SCREENSHOTS / "header-390.png"))
    finally:
        dash_duo.driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    assert console(dash_duo) == []
