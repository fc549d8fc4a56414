"""Tab "Analisa" in a real browser: a viewer creates a case, closes it with a comment and reads
its history; a link from another tab opens the create form prefilled, and ``case=`` opens a case.

The page at 1280 px is saved as analisa.png: to docs/screenshots/ with SUNTER_SCREENSHOTS_DOCS
set, else to build/screenshots/ (or SUNTER_SCREENSHOTS), as tests/browser/test_screenshots.py does.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select
from sqlalchemy import delete, insert

from sunter_dash import create_app
from sunter_dash.ingest import ingest_file
from sunter_dash.models import Customer

from .pages import SCREENSHOTS, click, console, open_tab, wait_until, wait_value
from .pages import grid_rows as _grid_rows
from .pages import select_value as choose
from .pages import wait_rows as _wait_rows

pytestmark = pytest.mark.browser

CASE_COLUMNS = ("id", "nomen", "nama", "periode", "rayon", "type_label", "priority_label", "status_label",
                "assigned_to")


@pytest.fixture
def analisa_app(engine, config, tmp_path: Path):
    """Two stored periodes (a link's periode must be one the navbar offers) and a known customer."""
    for periode in ("2025-11", "2025-12"):
        path = tmp_path / f"MC_{periode}.csv"
        path.write_text("NOMEN;ZONA_NOVAK;NOMINAL\n60000001;341010101;150000\n60000002;351010101;90000\n",
                        encoding="utf-8")
        assert ingest_file(engine, path).status == "loaded"
    with engine.begin() as conn:
        # The directory as this test needs it, whatever ingestion derived.
        conn.execute(delete(Customer))
        conn.execute(insert(Customer).values(nomen="60000001", nama="BUDI SANTOSO", rayon="34", pcez="341010",
                                             periode="2025-12", source="MC"))
    return create_app(config)


def grid_rows(dash_duo) -> list[tuple[str, ...]]:
    return _grid_rows(dash_duo, "analisa-grid", CASE_COLUMNS)


def wait_rows(dash_duo, expected: list[tuple]) -> None:
    _wait_rows(dash_duo, "analisa-grid", CASE_COLUMNS, expected)


def modal_open(dash_duo) -> None:
    wait_until(dash_duo, lambda d: d.find_element(By.ID, "analisa-new-save").is_displayed(), "create form closed")


def test_a_viewer_creates_a_case_closes_it_and_reads_its_history(dash_duo, analisa_app, signed_in):
    signed_in(dash_duo, analisa_app, role="viewer")
    dash_duo.wait_for_text_to_equal("#shell-periode-value", "Desember 2025")
    open_tab(dash_duo, "Analisa")
    dash_duo.wait_for_text_to_equal("#analisa-count", "0 kasus")

    click(dash_duo, "#analisa-new")
    modal_open(dash_duo)
    wait_value(dash_duo, "#analisa-new-periode", "2025-12")  # the navbar's periode
    dash_duo.find_element("#analisa-new-nomen").send_keys("60000001")
    choose(dash_duo, "#analisa-new-type", "zero")
    dash_duo.find_element("#analisa-new-description").send_keys("Pemakaian nol tiga bulan berturut-turut")
    choose(dash_duo, "#analisa-new-priority", "tinggi")
    choose(dash_duo, "#analisa-new-assignee", "admin")
    click(dash_duo, "#analisa-new-save")

    dash_duo.wait_for_text_to_equal("#analisa-result .alert", "Analisa #1 untuk nomen 60000001 dibuat.")
    dash_duo.wait_for_no_elements("#analisa-new-save")
    dash_duo.wait_for_no_elements(".modal-backdrop")
    wait_rows(dash_duo, [("1", "60000001", "BUDI SANTOSO", "Des 2025", "34", "Pemakaian Nol", "Tinggi", "Terbuka",
                          "admin")])
    # The new case is open in the detail panel.
    dash_duo.wait_for_text_to_equal("#analisa-detail-title", "Kasus #1 · 60000001 · BUDI SANTOSO")
    dash_duo.wait_for_contains_text("#analisa-timeline", "viewer membuat kasus")

    # Closing needs a comment: refused without one, nothing changes.
    choose(dash_duo, "#analisa-status", "resolved")
    click(dash_duo, "#analisa-save")
    dash_duo.wait_for_contains_text("#analisa-detail-alert .alert", "Tulis komentar")
    dash_duo.find_element("#analisa-comment").send_keys("Meter diganti, pemakaian normal kembali")
    click(dash_duo, "#analisa-save")
    dash_duo.wait_for_text_to_equal("#analisa-detail-alert .alert", "Perubahan kasus #1 disimpan (versi 2).")

    wait_rows(dash_duo, [("1", "60000001", "BUDI SANTOSO", "Des 2025", "34", "Pemakaian Nol", "Tinggi", "Selesai",
                          "admin")])
    dash_duo.wait_for_contains_text("#analisa-timeline", "Status: Terbuka → Selesai")
    events = dash_duo.find_elements("#analisa-timeline .analisa-event")
    assert len(events) == 2
    assert "viewer mengubah" in events[1].text and " WIB" in events[1].text
    assert "Meter diganti, pemakaian normal kembali" in events[1].text
    assert "Jenis anomali: Pemakaian Nol" in events[0].text
    wait_value(dash_duo, "#analisa-comment", "")
    # A resolved case may only be reopened (dbc.Select's own placeholder option has the value "").
    assert [o.get_attribute("value") for o in Select(dash_duo.find_element("#analisa-status")).options
            if o.get_attribute("value")] == ["resolved", "open"]

    # The page at 1280 px, for the docs.
    dash_duo.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": 1280, "height": 1000, "deviceScaleFactor": 1, "mobile": False})
    dash_duo.driver.execute_script("window.scrollTo({top: 0, behavior: 'instant'})")
    wait_until(dash_duo, lambda d: d.execute_script(
        "return document.fonts.status === 'loaded' && !document.querySelector('[data-dash-is-loading=\"true\"]')"),
        "page never settled")
    assert dash_duo.driver.execute_script(
        "return document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert dash_duo.driver.save_screenshot(str(SCREENSHOTS / "analisa.png"))
    assert console(dash_duo) == []


def test_a_link_opens_the_create_form_prefilled_and_a_case_by_its_id(dash_duo, analisa_app, signed_in):
    signed_in(dash_duo, analisa_app)
    base = dash_duo.server_url.rstrip("/")
    dash_duo.driver.get(f"{base}/?tab=analisa&new=1&nomen=60000002&anomaly=drop&periode=2025-11")
    modal_open(dash_duo)
    wait_value(dash_duo, "#analisa-new-nomen", "60000002")
    wait_value(dash_duo, "#analisa-new-type", "drop")
    wait_value(dash_duo, "#analisa-new-periode", "2025-11")
    dash_duo.wait_for_text_to_equal("#shell-periode-value", "November 2025")
    click(dash_duo, "#analisa-new-save")
    dash_duo.wait_for_text_to_equal("#analisa-result .alert", "Analisa #1 untuk nomen 60000002 dibuat.")
    wait_rows(dash_duo, [("1", "60000002", "", "Nov 2025", "35", "Pemakaian Turun", "Sedang", "Terbuka", "")])

    # Filters changing the URL do not open the form again.
    choose(dash_duo, "#analisa-filter-status", "open,in_progress")
    wait_rows(dash_duo, [("1", "60000002", "", "Nov 2025", "35", "Pemakaian Turun", "Sedang", "Terbuka", "")])
    click(dash_duo, "#analisa-all-periodes")
    dash_duo.wait_for_text_to_equal("#analisa-count", "1 kasus")
    assert not dash_duo.find_elements("#analisa-new-save")

    dash_duo.driver.get(f"{base}/?tab=analisa&case=1")
    dash_duo.wait_for_text_to_equal("#analisa-detail-title", "Kasus #1 · 60000002")
    dash_duo.wait_for_contains_text("#analisa-timeline", "admin membuat kasus")
    assert not dash_duo.find_elements("#analisa-new-save")
    assert console(dash_duo) == []
