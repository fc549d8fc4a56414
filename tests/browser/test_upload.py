"""The Unggah page in a real browser: several files at once, checked, loaded with progress."""
from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from sunter_dash import create_app

from .pages import SCREENSHOTS

pytestmark = pytest.mark.browser

MC = "NOMEN;ZONA_NOVAK;NOMINAL\n60000001;341010101;150000\n60000002;341010102;200000\n60000003;351010101;100000\n"
COLLECTION = ("NOMEN|PAY_DT|AMT_COLLECT|BILL_PERIOD\n"
              "60000001|05-12-2025|-150000|122025\n"
              "60000003|08-12-2025|-40000|122025\n")


def write_files(folder: Path) -> list[Path]:
    folder.mkdir()
    mc = folder / "MC_2025-12.csv"
    mc.write_text(MC, encoding="utf-8")
    collection = folder / "Collection-2025-12-01_sd_2025-12-31.txt"
    collection.write_text(COLLECTION, encoding="utf-8")
    broken = folder / "SBRS_202512.xlsx"
    broken.write_bytes(bytes(range(256)) * 40)  # random bytes under an Excel name
    return [mc, collection, broken]


def grid_texts(dash_duo, grid: str, col: str) -> list[str]:
    return [cell.text for cell in dash_duo.find_elements(f"#{grid} .ag-center-cols-container [col-id='{col}']")]


def test_admin_uploads_three_files_at_once_and_sees_each_result(dash_duo, config, signed_in, tmp_path):
    files = write_files(tmp_path / "files")
    signed_in(dash_duo, create_app(config), path="/?tab=upload")
    dash_duo.wait_for_element("#upload-drop")
    dash_duo.find_element("#upload-drop input[type=file]").send_keys("\n".join(str(f) for f in files))
    # Each file is checked before loading: type, periode and the rule that decided.
    wait = WebDriverWait(dash_duo.driver, 30, poll_frequency=0.1)
    wait.until(lambda _: len(grid_texts(dash_duo, "upload-staged-grid", "file")) == 3)
    rows = dict(zip(grid_texts(dash_duo, "upload-staged-grid", "file"),
                    zip(grid_texts(dash_duo, "upload-staged-grid", "type"),
                        grid_texts(dash_duo, "upload-staged-grid", "periode"))))
    assert rows["MC_2025-12.csv"] == ("MC", "2025-12")
    assert rows["Collection-2025-12-01_sd_2025-12-31.txt"] == ("COLLECTION", "2025-12")
    assert rows["SBRS_202512.xlsx"][0] == "(otomatis)"
    dash_duo.find_element("#upload-start").click()
    # Progress per file, then the result of each.
    dash_duo.wait_for_contains_text("#upload-progress", "selesai", timeout=60)
    dash_duo.wait_for_contains_text("#upload-results", "Ditolak", timeout=60)
    results = dash_duo.find_element("#upload-results").text
    assert results.count("Dimuat") == 2
    assert "disimpan 3" in results and "disimpan 2" in results
    dash_duo.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": 1280, "height": 1100, "deviceScaleFactor": 1, "mobile": False})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    dash_duo.driver.save_screenshot(str(SCREENSHOTS / "unggah.png"))
    # The figures follow: the overview now has this target and these payments.
    dash_duo.find_element("#shell-tabs").find_element(By.LINK_TEXT, "Ringkasan").click()
    dash_duo.wait_for_text_to_equal("#card-target .kpi-value", "Rp 450.000")
    dash_duo.wait_for_text_to_equal("#card-paid .kpi-value", "Rp 190.000")
    assert dash_duo.get_logs() == []


def test_a_file_over_the_limit_gets_a_message_and_is_not_sent(dash_duo, config, signed_in, tmp_path):
    small_limit = config.with_overrides(max_upload_mb=1)
    big = tmp_path / "Collection-2025-12-01_sd_2025-12-31.txt"
    big.write_text(COLLECTION + "60000002|09-12-2025|-50000|122025\n" * 60_000, encoding="utf-8")
    assert big.stat().st_size > 1024 * 1024
    signed_in(dash_duo, create_app(small_limit), path="/?tab=upload")
    dash_duo.wait_for_element("#upload-drop")
    dash_duo.find_element("#upload-drop input[type=file]").send_keys(str(big))
    dash_duo.wait_for_contains_text("#upload-size-alert", "Terlalu besar, tidak diunggah: " + big.name)
    assert "Batasnya 1 MB per file" in dash_duo.find_element("#upload-size-alert").text
    assert grid_texts(dash_duo, "upload-staged-grid", "file") == []
    assert dash_duo.get_logs() == []
