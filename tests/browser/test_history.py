"""Tab "Riwayat" in a real browser: the uploads, an upload's row errors, deleting one with
its confirmation, and the figures of Ringkasan following the deletion.

The fixture, loaded through ``ingest_file`` (ids 1-3):
#1 MC_2025-12.csv   4 rows, row 4 refused (NOMINAL "abc"): 60000001 150.000 R34, 60000002 200.000 R34,
                    60000005 95.000 R35 -> target Rp 445.000
#2 Collection-...   4 rows, row 3 refused (PAY_DT 32-12-2025): CURRENT 150.000 + 125.000 -> paid Rp 275.000,
                    and 95.000 for a bill of 11-2025 (UNDUE)
#3 MC_2025-11.csv   refused whole: both rows broken
Deleting #2 leaves the target and takes paid to Rp 0.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from sunter_dash import create_app
from sunter_dash.config import Config
from sunter_dash.ingest import ingest_file

from .pages import SCREENSHOTS, console, open_tab, wait_card, wait_enabled, wait_rows, wait_text, wait_until

pytestmark = pytest.mark.browser


COLLECTION = "Collection-2025-12-01_sd_2025-12-31.txt"
FILES = {
    "MC_2025-12.csv": (
        "NOMEN;ZONA_NOVAK;NOMINAL\n"
        "60000001;341010101;150000\n"
        "60000002;341010102;200000\n"
        "60000004;351010101;abc\n"
        "60000005;351010102;95000\n"),
    COLLECTION: (
        "NOMEN|PAY_DT|AMT_COLLECT|BILL_PERIOD\n"
        "60000001|03-12-2025|-150000|122025\n"
        "60000002|32-12-2025|-125000|122025\n"
        "60000002|10-12-2025|-125000|122025\n"
        "60000005|22-12-2025|-95000|112025\n"),
    "MC_2025-11.csv": "NOMEN;ZONA_NOVAK;NOMINAL\nX1;341010101;1\nX2;341010102;2\n",
}
GRID_COLUMNS = ("id", "file", "type", "periode_text", "status_label", "read", "stored", "rejected", "duplicate")
ERROR_COLUMNS = ("row", "column", "value", "reason")


@pytest.fixture
def config(db_url: str) -> Config:
    """A real cache (not the suite's NullCache): the figures must follow a deletion through it."""
    return Config(database_url=db_url, secret_key="test-secret", secret_key_is_generated=False,
                  cache_type="SimpleCache", admin_password="admin-pass-123")


@pytest.fixture
def history_app(engine, config, tmp_path: Path):
    for name, text in FILES.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        ingest_file(engine, path)
    return create_app(config)


# --- helpers (explicit waits, polling through elements re-rendered meanwhile) ---------------------

def click_row(dash_duo, upload_id: int) -> None:
    wait_until(dash_duo, EC.element_to_be_clickable(
        (By.CSS_SELECTOR, f"#history-grid .ag-row[row-id='{upload_id}'] .ag-cell[col-id='file']")),
        f"row #{upload_id} not shown").click()
    dash_duo.wait_for_element(f"#history-grid .ag-row-selected[row-id='{upload_id}']")


def test_admin_reads_the_history_and_deletes_an_upload(dash_duo, history_app, signed_in):
    signed_in(dash_duo, history_app)
    wait_card(dash_duo, "card-target", "Rp 445.000")
    wait_card(dash_duo, "card-paid", "Rp 275.000")

    open_tab(dash_duo, "Riwayat")
    wait_rows(dash_duo, "history-grid", GRID_COLUMNS, [
        ("3", "MC_2025-11.csv", "MC", "-", "Ditolak", "2", "0", "2", "0"),
        ("2", COLLECTION, "COLLECTION", "2025-12 · nama file", "Dimuat", "4", "3", "1", "0"),
        ("1", "MC_2025-12.csv", "MC", "2025-12 · nama file", "Dimuat", "4", "3", "1", "0"),
    ])
    wait_enabled(dash_duo, "#history-delete", False)

    # An upload refused whole: its errors, and nothing to delete.
    click_row(dash_duo, 3)
    wait_text(dash_duo, "#history-errors-title", "Baris bermasalah unggahan #3")
    wait_rows(dash_duo, "history-errors-grid", ERROR_COLUMNS, [
        ("2", "NOMEN", "X1", "NOMEN harus berupa angka"),
        ("3", "NOMEN", "X2", "NOMEN harus berupa angka"),
    ])
    wait_enabled(dash_duo, "#history-delete", False)

    click_row(dash_duo, 2)
    wait_text(dash_duo, "#history-errors-title", "Baris bermasalah unggahan #2")
    wait_rows(dash_duo, "history-errors-grid", ERROR_COLUMNS, [
        ("3", "PAY_DT", "32-12-2025", "tanggal tidak dikenali (contoh: 31-12-2025)"),
    ])
    wait_text(dash_duo, "#history-selection",
              f"Terpilih: #2 {COLLECTION} · COLLECTION · Desember 2025 · Dimuat · 3 baris tersimpan")
    wait_enabled(dash_duo, "#history-delete", True)

    dash_duo.find_element("#history-delete").click()
    body = dash_duo.wait_for_element("#history-modal-body")
    wait_until(dash_duo, lambda _d: body.is_displayed() and COLLECTION in body.text, "confirmation not shown")
    for part in ("COLLECTION", "Desember 2025 (2025-12)", "Baris tersimpan\n3"):
        assert part in body.text, (part, body.text)
    wait_until(dash_duo, EC.element_to_be_clickable((By.ID, "history-confirm")), "confirm button").click()

    wait_text(dash_duo, "#history-result .alert",
              f"Unggahan #2 dihapus: 3 baris dikeluarkan (#2 {COLLECTION} · COLLECTION · Desember 2025).")
    dash_duo.wait_for_no_elements("#history-modal-body")
    wait_rows(dash_duo, "history-grid", ("id", "status_label", "stored"),
              [("3", "Ditolak", "0"), ("2", "Dihapus", "3"), ("1", "Dimuat", "3")])
    wait_enabled(dash_duo, "#history-delete", False)

    # Every figure follows at once: Ringkasan has lost the payments (unknown now, not Rp 0), not the target.
    open_tab(dash_duo, "Ringkasan")
    wait_card(dash_duo, "card-paid", "-")
    wait_text(dash_duo, "#card-paid .kpi-detail", "Belum ada data")
    wait_card(dash_duo, "card-target", "Rp 445.000")
    assert console(dash_duo) == []


def test_viewer_reads_the_history_and_its_row_errors_but_is_not_offered_deletion(dash_duo, history_app,
                                                                                 signed_in):
    signed_in(dash_duo, history_app, role="viewer")
    wait_card(dash_duo, "card-target", "Rp 445.000")
    open_tab(dash_duo, "Riwayat")
    wait_rows(dash_duo, "history-grid", ("id", "status_label", "stored"),
              [("3", "Ditolak", "0"), ("2", "Dimuat", "3"), ("1", "Dimuat", "3")])
    assert "atau menghapus" not in dash_duo.find_element("#shell-content").text
    click_row(dash_duo, 2)
    wait_text(dash_duo, "#history-errors-title", "Baris bermasalah unggahan #2")
    wait_rows(dash_duo, "history-errors-grid", ERROR_COLUMNS, [
        ("3", "PAY_DT", "32-12-2025", "tanggal tidak dikenali (contoh: 31-12-2025)"),
    ])
    assert not dash_duo.find_element("#history-delete").is_displayed()
    assert console(dash_duo) == []


def test_screenshot_of_the_tab_with_an_upload_selected(dash_duo, history_app, signed_in):
    signed_in(dash_duo, history_app, path="/?tab=history")
    dash_duo.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False})
    wait_text(dash_duo, "#shell-tabs .nav-link.active", "Riwayat")
    click_row(dash_duo, 2)
    wait_rows(dash_duo, "history-errors-grid", ("row", "column"), [("3", "PAY_DT")])
    wait_enabled(dash_duo, "#history-delete", True)
    wait_until(dash_duo, lambda driver: driver.execute_script(
        "return document.fonts.status === 'loaded'"
        " && !document.querySelector('[data-dash-is-loading=\"true\"]')"), "page never settled")
    # Nothing may widen the page beyond the window.
    assert dash_duo.driver.execute_script(
        "return document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert dash_duo.driver.save_screenshot(str(SCREENSHOTS / "riwayat.png"))
    dash_duo.find_element("#history-delete").click()
    wait_until(dash_duo, EC.element_to_be_clickable((By.ID, "history-confirm")), "confirmation not shown")
    assert dash_duo.driver.save_screenshot(str(SCREENSHOTS / "riwayat-hapus.png"))
    assert console(dash_duo) == []
