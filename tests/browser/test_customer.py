"""Tab Pelanggan in a real browser, on the hand-made branch of tests/fixtures/customer_branch.py:
search and open a customer, its profile straight from the URL, a case of the customer
opening in Analisa, and a NOMEN of the Tunggakan top-debtors grid opening the profile
without a page reload.

A screenshot of the profile at 1280 px goes to build/screenshots/pelanggan.png (or
``SUNTER_SCREENSHOTS``), and to docs/screenshots/ with ``SUNTER_SCREENSHOTS_DOCS`` set.
"""
from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import insert

from sunter_dash import create_app
from sunter_dash.ingest import ingest_file
from sunter_dash.models import Analysis

from .pages import SCREENSHOTS, console, query, wait_cells, wait_until, wait_view
from .pages import column_cells as cells

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from customer_branch import A, C, D, write_files

pytestmark = pytest.mark.browser

WAIT = 10  # seconds, for every explicit wait below


@pytest.fixture
def branch(config, engine, tmp_path):
    for path in write_files(tmp_path / "raw"):
        result = ingest_file(engine, path)
        assert result.status == "loaded" and result.rejected == 0, (path.name, result.message)
    return create_app(config)


def wait_profile(dash_duo, nomen: str, name: str) -> None:
    wait_until(dash_duo, lambda d: d.find_element(By.CSS_SELECTOR, "#customer-identity .customer-nomen").text == nomen
               and d.find_element(By.CSS_SELECTOR, "#customer-identity .customer-name").text == name,
               f"profile of {nomen} never shown")


def test_search_and_open_a_customer(dash_duo, branch, signed_in):
    signed_in(dash_duo, branch, path="/?tab=pelanggan")
    dash_duo.wait_for_text_to_equal("#shell-tabs .nav-link.active", "Pelanggan")
    dash_duo.find_element("#customer-search").send_keys("budi sunter")
    dash_duo.wait_for_text_to_equal("#customer-results .customer-results-caption", "2 pelanggan cocok.")
    assert [e.text for e in dash_duo.find_elements("#customer-results .customer-result-nomen")] == [A, D]

    dash_duo.find_elements("#customer-results .customer-result")[0].click()
    wait_profile(dash_duo, A, "BUDI SANTOSO")
    wait_view(dash_duo, {"periode": "2025-12", "tab": "pelanggan", "nomen": A})
    # The history, newest periode first, in Indonesian formats.
    wait_cells(dash_duo, "customer-readings-grid", "periode", ["Des 2025", "Nov 2025"])
    wait_cells(dash_duo, "customer-readings-grid", "volume", ["0", "25"])
    # The 50.000 paid on 20-11-2025 for September's bill is in COLLECTION and in MB: listed once.
    wait_cells(dash_duo, "customer-payments-grid", "amount",
               ["Rp 90.000", "Rp 95.000", "Rp 50.000", "Rp 187.500", "Rp 60.000"])
    assert "COLLECTION + MB" in cells(dash_duo, "customer-payments-grid", "source")
    wait_cells(dash_duo, "customer-arrears-grid", "total", ["Rp 90.000", "Rp 140.000"])
    assert sorted(cells(dash_duo, "customer-flags-grid", "name")) == [
        "Indikasi Pelanggaran", "Pemakaian Nol", "Pemakaian Turun", "Rebill"]
    dash_duo.wait_for_element("#customer-chart .trace.bars .point path")
    link = dash_duo.find_element("#customer-new-analysis")
    assert parse_qs(urlparse(link.get_attribute("href")).query) == {
        "periode": ["2025-12"], "tab": ["analisa"], "new": ["1"], "nomen": [A]}

    # The profile at 1280 px: nothing wider than the window.
    dash_duo.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": 1280, "height": 1800, "deviceScaleFactor": 1, "mobile": False})
    wait_until(dash_duo, lambda d: d.execute_script(
        "return document.fonts.status === 'loaded' && !document.querySelector('[data-dash-is-loading=\"true\"]')"),
        "page never settled")
    assert dash_duo.driver.execute_script(
        "return document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    # The whole profile in one picture.
    height = dash_duo.driver.execute_script("return document.documentElement.scrollHeight")
    dash_duo.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": 1280, "height": height, "deviceScaleFactor": 1, "mobile": False})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert dash_duo.driver.save_screenshot(str(SCREENSHOTS / "pelanggan.png"))
    assert console(dash_duo) == []


def test_a_profile_opens_from_its_url_and_says_what_is_missing(dash_duo, branch, signed_in):
    # A bookmarked profile survives the login page (its ?next= carries the whole address).
    signed_in(dash_duo, branch, path=f"/?tab=pelanggan&nomen={C}")
    wait_profile(dash_duo, C, "PT MAJU JAYA")
    wait_view(dash_duo, {"periode": "2025-12", "tab": "pelanggan", "nomen": C})
    empty = [e.text for e in dash_duo.find_elements("#customer-profile .customer-empty")]
    assert "Belum ada data pembacaan meter untuk pelanggan ini." in empty
    assert "Belum ada data pembayaran untuk pelanggan ini." in empty
    # Another periode keeps the customer open.
    dash_duo.driver.get(dash_duo.server_url + f"/?periode=2025-11&tab=pelanggan&nomen={C}")
    wait_profile(dash_duo, C, "PT MAJU JAYA")
    assert console(dash_duo) == []


def test_a_case_of_the_customer_opens_in_analisa(dash_duo, branch, engine, signed_in):
    with engine.begin() as conn:
        case = conn.execute(insert(Analysis).values(nomen=C, periode="2025-12", anomaly_type="zero", status="open",
                                                    priority="tinggi")).inserted_primary_key[0]
    signed_in(dash_duo, branch, path=f"/?tab=pelanggan&nomen={C}")
    wait_profile(dash_duo, C, "PT MAJU JAYA")
    link = wait_until(dash_duo, lambda d: d.find_element(By.CSS_SELECTOR, "#customer-analyses-grid a.tab-link"),
                      "no link to the case")
    assert link.text == str(case)
    assert "Pemakaian Nol" in dash_duo.find_element("#customer-analyses-grid").text
    # Bootstrap scrolls smoothly: the click would land before the link arrives.
    dash_duo.driver.execute_script("document.documentElement.style.scrollBehavior = 'auto';"
                                   "arguments[0].scrollIntoView({block: 'center'});", link)
    link.click()
    dash_duo.wait_for_text_to_equal("#shell-tabs .nav-link.active", "Analisa")
    wait_until(dash_duo, lambda _d: query(dash_duo).get("case") == str(case), "the case never in the address")


def test_a_nomen_in_the_top_debtors_grid_opens_its_profile(dash_duo, branch, signed_in):
    signed_in(dash_duo, branch, path="/?tab=tunggakan&rayon=35")
    dash_duo.wait_for_text_to_equal("#shell-rayon-value", "Rayon 35")
    dash_duo.wait_for_text_to_equal("#shell-tabs .nav-link.active", "Tunggakan")
    link = wait_until(dash_duo, lambda d: d.find_element(By.CSS_SELECTOR, "#arrears-top-grid a.nomen-link"),
                      "no NOMEN link in the top debtors")
    assert link.text == C
    # A reload would lose this marker: the link navigates inside the page.
    dash_duo.driver.execute_script("window.__sameDocument = true;")
    link.click()
    dash_duo.wait_for_text_to_equal("#shell-tabs .nav-link.active", "Pelanggan")
    wait_profile(dash_duo, C, "PT MAJU JAYA")
    wait_view(dash_duo, {"periode": "2025-12", "rayon": "35", "tab": "pelanggan", "nomen": C})
    assert dash_duo.driver.execute_script("return window.__sameDocument === true;")
    # Back returns to the grid.
    dash_duo.driver.back()
    dash_duo.wait_for_text_to_equal("#shell-tabs .nav-link.active", "Tunggakan")
    assert console(dash_duo) == []
