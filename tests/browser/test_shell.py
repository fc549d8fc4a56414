"""The shell in a real browser: navbar, filters filled from stored data, the data tab."""
from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from sunter_dash import create_app
from sunter_dash.ingest import ingest_file

from .pages import SCREENSHOTS, console, open_tab, screenshot, wait_for

pytestmark = pytest.mark.browser



def _write_collection(folder: Path) -> Path:
    path = folder / "Collection-2025-12-01_sd_2025-12-31.txt"
    path.write_text(
        "NOMEN|PAY_DT|AMT_COLLECT|BILL_PERIOD\n"
        "60000001|01-12-2025|-150000|122025\n"
        "60000002|02-12-2025|-95000|112025\n",
        encoding="utf-8",
    )
    return path


def _write_mc(folder: Path) -> Path:
    path = folder / "MC_2025-11.csv"
    path.write_text("NOMEN;ZONA_NOVAK;NOMINAL\n60000001;341010203;150000\n60000003;351020304;80000\n",
                    encoding="utf-8")
    return path


def test_shell_shows_branch_filters_and_stored_data(dash_duo, config, engine, tmp_path, signed_in):
    assert ingest_file(engine, _write_collection(tmp_path)).status == "loaded"
    assert ingest_file(engine, _write_mc(tmp_path)).status == "loaded"
    signed_in(dash_duo, create_app(config))

    dash_duo.wait_for_text_to_equal(".brand-title", "sunter_dash")
    assert "Sunter" in dash_duo.find_element(".brand-subtitle").text
    # The periode filter defaults to the newest periode with an MC (December has payments only),
    # in Indonesian.
    dash_duo.wait_for_contains_text("#shell-periode", "November 2025")
    # Rayon options come from the stored MC (Dash 4 renders the open menu in a popover).
    dash_duo.find_element("#shell-rayon").click()
    dash_duo.wait_for_contains_text("body", "Rayon 35")
    assert "Rayon 34" in dash_duo.find_element("body").text
    dash_duo.find_element("#shell-rayon").click()
    # The data tab (the last one: Ringkasan comes first) lists each stored periode
    # with its rows per file type; opening it puts it in the URL.
    dash_duo.find_element("#shell-tabs").find_element(By.LINK_TEXT, "Status Data").click()
    WebDriverWait(dash_duo.driver, 10).until(lambda driver: "tab=status" in driver.current_url)
    dash_duo.wait_for_contains_text("#status-summary", "4 baris tersimpan dalam 2 periode")
    dash_duo.wait_for_contains_text("#status-grid", "November 2025")
    rows = dash_duo.find_elements("#status-grid .ag-center-cols-container .ag-row")
    assert len(rows) == 2
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    dash_duo.driver.save_screenshot(str(SCREENSHOTS / "shell.png"))
    assert console(dash_duo) == []


def test_a_callback_that_fails_unexpectedly_shows_its_code_on_its_panel(dash_duo, config, signed_in, monkeypatch,
                                                                         caplog):
    """A 500 that remains is a bug: the panel whose callback failed says so with the request id the
    log has, and the rest of the page keeps working."""
    from sunter_dash import queries

    def broken(*_args, **_kwargs):
        raise RuntimeError("a bug in a query")
    monkeypatch.setattr(queries, "data_status", broken)
    signed_in(dash_duo, create_app(config), path="/?tab=status")
    wait_for(dash_duo, lambda: "Terjadi kesalahan di server (kode " in dash_duo.find_element(
        "#shell-content .card.panel-failed .panel-error").text, screenshot="panel-gagal.png")
    text = dash_duo.find_element("#shell-content .card.panel-failed .panel-error").text
    code = text.split("(kode ")[1].split(")")[0]
    assert len(code) == 8 and "a bug" not in text
    assert any(code in record.getMessage() for record in caplog.records)
    # Only that panel: the shell has no page-wide alert, and another tab opens and works.
    assert len(dash_duo.find_elements(".panel-error")) == 1 and not dash_duo.find_elements("#shell-error")
    screenshot(dash_duo, "panel-gagal.png")
    open_tab(dash_duo, "Riwayat")
    dash_duo.wait_for_element("#history-grid")
    assert not dash_duo.find_elements(".panel-error")


@pytest.mark.parametrize("role", ["admin", "viewer"])
def test_an_empty_dashboard_says_where_to_upload(dash_duo, config, signed_in, role):
    """No command line on the page: an admin is linked to Unggah, a viewer told whom to ask."""
    signed_in(dash_duo, create_app(config), role=role)
    dash_duo.wait_for_contains_text("#overview-alert", "Belum ada data tersimpan.")
    text = dash_duo.find_element("#overview-alert").text
    assert "python" not in text and "ingest" not in text
    if role == "viewer":
        assert "Minta admin cabang mengunggah file MC dan COLLECTION." in text
        assert not dash_duo.find_elements("#overview-upload-link")
        return
    dash_duo.find_element("#overview-upload-link").click()
    dash_duo.wait_for_text_to_equal("#shell-tabs .nav-link.active", "Unggah")
    WebDriverWait(dash_duo.driver, 10).until(lambda driver: "tab=upload" in driver.current_url)
