"""The Unggah page in a real browser: several files at once, checked, loaded with progress."""
from __future__ import annotations

from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import text

from sunter_dash import create_app
from sunter_dash.domain import files
from sunter_dash.ingest import ingest_file

from .pages import (
    SCREENSHOTS,
    choose_within,
    click,
    console,
    open_tab,
    pattern,
    screenshot,
    wait_card,
    wait_enabled,
    wait_for,
    wait_text,
    wait_until,
)

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
    # The unreadable file is marked before loading, and "Muat semua" says it will skip it.
    statuses = dict(zip(grid_texts(dash_duo, "upload-staged-grid", "file"),
                        grid_texts(dash_duo, "upload-staged-grid", "status")))
    assert statuses["SBRS_202512.xlsx"] == "Tidak dapat dimuat"
    # Its own callback follows the list: the last file's row may show before it answers.
    wait_text(dash_duo, "#upload-readiness",
              "2 file akan dimuat. 1 file dilewati sampai diperbaiki (lihat Status dan Catatan): SBRS_202512.xlsx.")
    dash_duo.find_element("#upload-start").click()
    # The summary at the top, then the result of each file below.
    wait_text(dash_duo, "#upload-summary .alert strong", "Selesai: 2 dimuat, 1 dilewati.")
    dash_duo.wait_for_contains_text("#upload-results", "Dimuat", timeout=60)
    results = dash_duo.find_element("#upload-results").text
    assert results.count("Dimuat") == 2
    assert "disimpan 3" in results and "disimpan 2" in results
    wait_for(dash_duo, lambda: grid_texts(dash_duo, "upload-staged-grid", "file") == ["SBRS_202512.xlsx"])
    dash_duo.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": 1280, "height": 1100, "deviceScaleFactor": 1, "mobile": False})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    dash_duo.driver.save_screenshot(str(SCREENSHOTS / "unggah.png"))
    # The figures follow: the overview now has this target and these payments.
    dash_duo.find_element("#shell-tabs").find_element(By.LINK_TEXT, "Ringkasan").click()
    dash_duo.wait_for_text_to_equal("#card-target .kpi-value", "Rp 450.000")
    dash_duo.wait_for_text_to_equal("#card-paid .kpi-value", "Rp 190.000")
    assert console(dash_duo) == []


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
    assert console(dash_duo) == []


# --- real exports: column mapping with a profile, and the shrink guard ----------------------------

BANK_HEADER = "NOMEN;TGL_BAYAR;NILAI_SETOR;BILL_PERIOD\n"


def staged_note(dash_duo, row: int = 0) -> str:
    return dash_duo.find_element(
        f"#upload-staged-grid .ag-center-cols-container [row-index='{row}'] [col-id='note']").text


def drop(dash_duo, *paths: Path) -> None:
    """Choose files anew (a file input that chose before keeps its files: a person picks afresh)."""
    chooser = dash_duo.find_element("#upload-drop input[type=file]")
    dash_duo.driver.execute_script("arguments[0].value = ''", chooser)
    chooser.send_keys("\n".join(str(p) for p in paths))


def test_a_missing_amount_column_is_mapped_saved_as_a_profile_and_applied_to_the_next_file(
        dash_duo, config, signed_in, tmp_path, engine):
    first = tmp_path / "COLLECTION_setoran_2025-12.csv"
    first.write_text(BANK_HEADER + "60000001;03-12-2025;150000;122025\n60000002;04-12-2025;75000;112025\n",
                     encoding="utf-8")
    signed_in(dash_duo, create_app(config), path="/?tab=upload")
    dash_duo.wait_for_element("#upload-drop")
    drop(dash_duo, first)
    wait_for(dash_duo, lambda: staged_note(dash_duo).startswith("Tipe file tidak dikenali."))
    assert grid_texts(dash_duo, "upload-staged-grid", "type") == ["COLLECTION"]  # from the file name
    # Selecting the file shows COLLECTION's columns beside the file's; AMT_COLLECT is missing.
    click(dash_duo, "#upload-staged-grid .ag-center-cols-container [row-index='0'] [col-id='file']")
    dash_duo.wait_for_contains_text("#upload-map-title", "COLLECTION_setoran_2025-12.csv · COLLECTION")
    amount = pattern("upload-map-line", field="amount")
    missing = dash_duo.find_element(amount)
    assert "upload-map-missing" in missing.get_attribute("class") and "wajib" in missing.text
    for size in ((1280, 800), (390, 844)):
        dash_duo.driver.set_window_size(*size)
        dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'start', behavior: 'instant'})",
                                       dash_duo.find_element("#upload-map-card"))
        screenshot(dash_duo, f"unggah-pemetaan-kolom-{size[0]}.png")
    dash_duo.driver.set_window_size(1280, 800)
    choose_within(dash_duo, amount, "NILAI_SETOR")
    dash_duo.find_element("#upload-profile-name").send_keys("Setoran Bank X")
    click(dash_duo, "#upload-profile-save")
    dash_duo.wait_for_contains_text("#upload-map-alert", "Profil 'Setoran Bank X' disimpan dan diterapkan.")
    wait_for(dash_duo, lambda: staged_note(dash_duo) == "Profil kolom 'Setoran Bank X' diterapkan",
             screenshot="profile-applied.png")
    click(dash_duo, "#upload-start")
    dash_duo.wait_for_contains_text("#upload-results", "Dimuat", timeout=60)
    assert "disimpan 2" in dash_duo.find_element("#upload-results").text
    assert "Profil kolom: Setoran Bank X" in dash_duo.find_element("#upload-results").text

    # A second file with the same headers, named nothing like a type: loaded without being asked.
    second = tmp_path / "setoran bank 05.csv"
    second.write_text(BANK_HEADER + "60000003;05-12-2025;50000;122025\n", encoding="utf-8")
    drop(dash_duo, second)
    wait_for(dash_duo, lambda: grid_texts(dash_duo, "upload-staged-grid", "file") == ["setoran bank 05.csv"],
             screenshot="second-drop.png")
    wait_for(dash_duo, lambda: staged_note(dash_duo) == "Profil kolom 'Setoran Bank X' diterapkan")
    assert grid_texts(dash_duo, "upload-staged-grid", "type") == ["COLLECTION"]
    click(dash_duo, "#upload-start")
    wait_for(dash_duo, lambda: "setoran bank 05.csv" in dash_duo.find_element("#upload-results").text, timeout=60)
    assert "disimpan 1" in dash_duo.find_element("#upload-results").text
    with engine.connect() as conn:
        assert conn.execute(text("SELECT filename, profile, rows_stored FROM upload ORDER BY id")).all() == [
            ("COLLECTION_setoran_2025-12.csv", "Setoran Bank X", 2), ("setoran bank 05.csv", "Setoran Bank X", 1)]
    assert console(dash_duo) == []


def test_the_shrink_guard_asks_then_the_deleted_replacement_gives_the_month_back(
        dash_duo, config, signed_in, tmp_path, engine):
    full = tmp_path / "MC_2025-12.csv"
    full.write_text("NOMEN;ZONA_NOVAK;NOMINAL\n" + "".join(f"6{i:07d};341511001;100000\n" for i in range(1, 3001)),
                    encoding="utf-8")
    ingest_file(engine, full)
    partial = tmp_path / "MC_2025-12_susulan.csv"
    partial.write_text("NOMEN;ZONA_NOVAK;NOMINAL\n" + "".join(f"6{i:07d};341511001;90000\n" for i in range(1, 61)),
                       encoding="utf-8")
    signed_in(dash_duo, create_app(config), path="/?tab=upload")
    dash_duo.wait_for_element("#upload-drop")
    drop(dash_duo, partial)
    wait_for(dash_duo, lambda: staged_note(dash_duo) == (
        "Menggantikan MC Desember 2025: 3.000 pelanggan, unggahan #1; file ini hanya 60 pelanggan, kurang dari "
        "separuh: perlu konfirmasi penggantian"))
    click(dash_duo, "#upload-start")
    body = dash_duo.wait_for_element("#upload-replace-body")
    wait_for(dash_duo, lambda: "MC_2025-12_susulan.csv (MC Desember 2025): 60 pelanggan, menggantikan 3.000 "
                               "pelanggan unggahan #1." in body.text)
    dash_duo.wait_for_element(".modal.show #upload-replace-body")
    for size in ((1280, 800), (390, 844)):
        dash_duo.driver.set_window_size(*size)
        screenshot(dash_duo, f"unggah-konfirmasi-ganti-{size[0]}.png")
    wait_until(dash_duo, EC.element_to_be_clickable((By.ID, "upload-replace-confirm")), "confirm").click()
    dash_duo.wait_for_contains_text("#upload-results", "Dimuat", timeout=60)
    assert "menggantikan MC Desember 2025: 3.000 pelanggan, unggahan #1" in dash_duo.find_element(
        "#upload-results").text
    dash_duo.driver.set_window_size(1280, 800)
    open_tab(dash_duo, "Ringkasan")
    wait_card(dash_duo, "card-target", "Rp 5.400.000")

    # Deleting the replacement gives the month its 3,000 customers back.
    open_tab(dash_duo, "Riwayat")
    wait_until(dash_duo, EC.element_to_be_clickable(
        (By.CSS_SELECTOR, "#history-grid .ag-row[row-id='2'] .ag-cell[col-id='file']")), "row #2").click()
    dash_duo.wait_for_element("#history-grid .ag-row-selected[row-id='2']")
    wait_enabled(dash_duo, "#history-delete", True)
    dash_duo.find_element("#history-delete").click()
    wait_until(dash_duo, EC.element_to_be_clickable((By.ID, "history-confirm")), "confirm").click()
    wait_text(dash_duo, "#history-result .alert", (
        "Unggahan #2 dihapus: 60 baris dikeluarkan (#2 MC_2025-12_susulan.csv · MC · Desember 2025). MC Desember "
        "2025 kembali ke unggahan #1 MC_2025-12.csv (3.000 baris)."))
    wait_for(dash_duo, lambda: grid_texts(dash_duo, "history-grid", "status_label") == ["Dihapus", "Dimuat"])
    open_tab(dash_duo, "Ringkasan")
    wait_card(dash_duo, "card-target", "Rp 300.000.000")
    assert console(dash_duo) == []


# --- a first-day clerk drives the page alone --------------------------------------------------------

def edit_cell(dash_duo, row: int, col: str, value: str) -> None:
    """Click the grid's cell (one click edits), type, and press Enter, as a person does."""
    click(dash_duo, f"#upload-staged-grid .ag-center-cols-container [row-index='{row}'] [col-id='{col}']")
    editor = dash_duo.wait_for_element("#upload-staged-grid .ag-cell-inline-editing input")
    editor.send_keys(Keys.CONTROL, "a")
    editor.send_keys(value, Keys.ENTER)


def staged_cell(dash_duo, row: int, col: str) -> str:
    return dash_duo.find_element(
        f"#upload-staged-grid .ag-center-cols-container [row-index='{row}'] [col-id='{col}']").text


def test_a_clerk_loads_a_batch_retries_the_refused_file_and_leaves_the_tab_mid_load(
        dash_duo, config, signed_in, tmp_path, engine):
    folder = tmp_path / "ekspor"
    mc, collection, _broken = write_files(folder)
    master = folder / "master pelanggan.csv"  # no periode anywhere: it cannot be loaded as it is
    master.write_text(MC.replace("NOMINAL\n", "NOMINAL\n").replace("6000000", "6100000"), encoding="utf-8")
    signed_in(dash_duo, create_app(config), path="/?tab=upload")
    dash_duo.wait_for_element("#upload-drop")
    drop(dash_duo, mc, collection, master)
    wait_for(dash_duo, lambda: grid_texts(dash_duo, "upload-staged-grid", "status") == [
        "Siap dimuat", "Siap dimuat", "Tidak dapat dimuat"])
    assert staged_cell(dash_duo, 2, "note").endswith(
        "Ketik periodenya di kolom Periode pada daftar, lalu klik Muat semua.")
    click(dash_duo, "#upload-start")

    # The summary is at the top of the page, in view without scrolling, and names the file left.
    wait_text(dash_duo, "#upload-summary .alert strong", "Selesai: 2 dimuat, 1 dilewati.")
    summary = dash_duo.find_element("#upload-summary .alert")
    assert "Masih di daftar, untuk diperbaiki lalu dimuat lagi: master pelanggan.csv." in summary.text
    top = dash_duo.driver.execute_script("const r = arguments[0].getBoundingClientRect(); return [r.top, "
                                         "r.bottom, window.innerHeight, window.scrollY];", summary)
    drop_top = dash_duo.driver.execute_script("return arguments[0].getBoundingClientRect().top",
                                              dash_duo.find_element("#upload-drop"))
    assert top[0] < drop_top and top[1] <= top[2] + top[3], top
    wait_for(dash_duo, lambda: grid_texts(dash_duo, "upload-staged-grid", "file") == ["master pelanggan.csv"])
    screenshot(dash_duo, "unggah-ringkasan-batch-1280.png")

    # A periode that names no month is refused as it is typed; a real one in the branch's words is read.
    edit_cell(dash_duo, 0, "periode", "Des 20x")
    dash_duo.wait_for_contains_text("#upload-stage-alert", "Periode 'Des 20x' tidak dikenali")
    wait_for(dash_duo, lambda: staged_cell(dash_duo, 0, "periode") == "")
    edit_cell(dash_duo, 0, "periode", "Des 2025")
    wait_for(dash_duo, lambda: (staged_cell(dash_duo, 0, "periode"), staged_cell(dash_duo, 0, "rule_label"),
                                staged_cell(dash_duo, 0, "status")) == ("2025-12", "diisi pengguna", "Siap dimuat"))

    # The load waits for its turn (another load holds the branch's slot) while the clerk looks at
    # Ringkasan; back on Unggah, the page shows the load still running, then its outcome.
    import fcntl
    with open(f"{engine.url.database}.load-lock", "a") as slot:
        fcntl.flock(slot, fcntl.LOCK_EX)
        click(dash_duo, "#upload-start")
        dash_duo.wait_for_contains_text("#upload-progress", "menunggu giliran", timeout=30)
        dash_duo.driver.execute_script("window.scrollTo({top: 0, behavior: 'instant'})")
        open_tab(dash_duo, "Ringkasan")
        open_tab(dash_duo, "Unggah")
        dash_duo.wait_for_contains_text("#upload-progress", "Memuat 0 dari 1 file", timeout=30)
        wait_for(dash_duo, lambda: grid_texts(dash_duo, "upload-staged-grid", "file") == ["master pelanggan.csv"])
        assert not dash_duo.find_element("#upload-start").is_enabled()
        screenshot(dash_duo, "unggah-kembali-saat-memuat.png")
        fcntl.flock(slot, fcntl.LOCK_UN)
    wait_text(dash_duo, "#upload-summary .alert strong", "Selesai: 1 dimuat.")
    dash_duo.wait_for_contains_text("#upload-results", "master pelanggan.csv", timeout=30)
    wait_for(dash_duo, lambda: grid_texts(dash_duo, "upload-staged-grid", "file") == [])

    # Riwayat records the rule that decided each periode: the file names, and the clerk's own entry.
    open_tab(dash_duo, "Riwayat")
    def cells(col: str) -> list[str]:  # the file column is pinned left: its cells sit in their own container
        return [c.text for c in dash_duo.find_elements(f"#history-grid .ag-cell[col-id='{col}']")]
    wait_for(dash_duo, lambda: len(cells("file")) == 3 and all(cells("periode_text")))
    rules = dict(zip(cells("file"), cells("periode_text")))
    assert rules == {"master pelanggan.csv": "2025-12 · diisi pengguna",
                     "Collection-2025-12-01_sd_2025-12-31.txt": "2025-12 · nama file",
                     "MC_2025-12.csv": "2025-12 · nama file"}
    open_tab(dash_duo, "Unggah")
    wait_text(dash_duo, "#upload-summary .alert strong", "Selesai: 1 dimuat.")
    dash_duo.driver.set_window_size(390, 844)
    screenshot(dash_duo, "unggah-ringkasan-batch-390.png")
    assert console(dash_duo) == []


def test_each_types_columns_are_listed_with_an_example_to_download(dash_duo, config, signed_in):
    signed_in(dash_duo, create_app(config), path="/?tab=upload")
    titles = dash_duo.find_elements("#upload-formats .accordion-button")
    assert [t.text.split(":")[0] for t in titles] == list(files.names())
    mc = next(t for t in titles if t.text.startswith("MC:"))
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", mc)
    mc.click()
    body = mc.find_element(By.XPATH, "ancestor::div[contains(@class, 'accordion-item')]")
    # (the item opens with an animation: its text shows once it is open)
    wait_for(dash_duo, lambda: body.find_element(By.CSS_SELECTOR, ".accordion-body button").text == (
        "Unduh contoh MC (contoh-MC1125_AB_Sunter.xls)"))
    assert "Wajib" in body.text and "ZONA_NOVAK" in body.text and "NOMEN" in body.text
    assert console(dash_duo) == []
