"""Tab "Penagihan" in a real browser, a manager's flow: the cards, the collection per officer,
clicking an officer filters the unpaid list (and the address), the list downloads whole, the
disconnection candidates. The branch is tests/integration/test_collection.py's (figures there)."""
from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import pytest
import requests
from pypdf import PdfReader

from sunter_dash import create_app
from sunter_dash.services.users import upsert

from .pages import (
    click,
    column_cells,
    console,
    query,
    screenshot,
    select_value,
    wait_card,
    wait_cells,
    wait_text,
    wait_until,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from collection_branch import load_branch  # noqa: E402

from .conftest import sign_in  # noqa: E402

pytestmark = pytest.mark.browser


@pytest.fixture
def collection_app(engine, config, tmp_path: Path):
    load_branch(engine, tmp_path)
    return create_app(config)


def test_manager_filters_the_unpaid_list_by_officer_and_downloads_it(dash_duo, collection_app, signed_in):
    signed_in(dash_duo, collection_app, path="/?tab=penagihan&periode=2025-12")
    wait_card(dash_duo, "card-unpaid-nomen", "4")
    wait_card(dash_duo, "card-unpaid-nominal", "Rp 810.000")
    wait_card(dash_duo, "card-disconnect", "1")
    dash_duo.wait_for_contains_text("#collection-petugas-table", "Tanpa petugas")
    officers = [row.text.split(" Rp")[0] for row in
                dash_duo.find_elements("#collection-petugas-table tbody tr")]
    assert officers == ["ANDI", "RINA", "Tanpa petugas", "Total"]
    wait_cells(dash_duo, "collection-grid", "nomen", ["60000004", "60000002", "60000006", "60000007"])
    screenshot(dash_duo, "penagihan.png")

    # Clicking an officer filters the list, and the address keeps it.
    click(dash_duo, "#collection-petugas-table a.collection-link")
    wait_until(dash_duo, lambda _d: query(dash_duo).get("petugas") == "ANDI", "petugas never in the address")
    wait_cells(dash_duo, "collection-grid", "nomen", ["60000002"])
    wait_text(dash_duo, "#collection-clear-petugas", "Petugas: ANDI")
    # The cards follow the filter: ANDI's unpaid customer, and the 100.000 CICI still owes.
    wait_card(dash_duo, "card-unpaid-nomen", "1")
    wait_card(dash_duo, "card-unpaid-nominal", "Rp 300.000")
    wait_card(dash_duo, "card-disconnect", "0")
    assert column_cells(dash_duo, "collection-grid", "last_payment") == ["20-11-2025"]

    # The officer's route sheet: the PDF the link opens, read back.
    href = dash_duo.find_element("#collection-sheet-pdf").get_attribute("href")
    assert href.endswith("/penagihan/rute.pdf?periode=2025-12&petugas=ANDI"), href
    cookies = {c["name"]: c["value"] for c in dash_duo.driver.get_cookies()}
    sheet = requests.get(href, cookies=cookies, timeout=30)
    assert sheet.headers["Content-Type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(sheet.content)).pages)
    assert "Daftar tagih ANDI · Desember 2025" in text and "60000002" in text and "JL A 2" in text

    downloads = Path(dash_duo.download_path)
    click(dash_duo, "#collection-csv")
    expected = downloads / "belum-bayar_2025-12_petugas-ANDI.csv"
    wait_until(dash_duo, lambda _d: expected.exists() and expected.stat().st_size > 0,
               f"no download {expected.name}; found {sorted(p.name for p in downloads.iterdir())}")
    with expected.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [
        ["Nomen", "Nama", "Alamat", "Rayon", "PCEZ", "Petugas", "Tarif", "Tagihan", "Sisa", "Rek Tunggakan",
         "Tunggakan", "Bayar Terakhir", "Tindak Lanjut Terakhir"],
        ["60000002", "BUDI", "JL A 2", "34", "151/10", "ANDI", "", "200000", "200000", "1", "200000", "2025-11-20",
         ""]]

    # The filter comes off, and the other list shows the disconnection candidates.
    click(dash_duo, "#collection-clear-petugas")
    wait_cells(dash_duo, "collection-grid", "nomen", ["60000004", "60000002", "60000006", "60000007"])
    dash_duo.find_element("label[for='_dbcprivate_radioitems_collection-kind_input_disconnect']").click()
    wait_cells(dash_duo, "collection-grid", "nomen", ["60000004"])
    wait_text(dash_duo, "#collection-title", "Calon segel · Desember 2025")
    assert console(dash_duo) == []


def test_admin_records_a_promise_from_the_list_and_sees_it_counted(dash_duo, collection_app, signed_in):
    signed_in(dash_duo, collection_app, path="/?tab=penagihan&periode=2025-12")
    wait_card(dash_duo, "card-promises", "0 menunggu")
    wait_cells(dash_duo, "collection-grid", "nomen", ["60000004", "60000002", "60000006", "60000007"])
    dash_duo.find_element("#collection-grid .ag-row[row-id='60000002'] .ag-cell[col-id='nama']").click()
    dash_duo.wait_for_contains_text("#collection-followup-who", "60000002 · BUDI")
    select_value(dash_duo, "#collection-followup-result", "janji_bayar")
    # Typed as a person does into the browser's date fields (en-US order in this Chromium).
    dash_duo.find_element("#collection-followup-visit").send_keys("12202025")
    dash_duo.find_element("#collection-followup-promise").send_keys("12272025")
    dash_duo.find_element("#collection-followup-note").send_keys("Bayar setelah gajian")
    click(dash_duo, "#collection-followup-save")
    wait_text(dash_duo, "#collection-followup-ok", "Tersimpan: 60000002 · Janji bayar · 2025-12-20 · janji 2025-12-27")
    # Counted (data as of 11-12 does not reach past the promise), and shown on its row of the list.
    wait_card(dash_duo, "card-promises", "1 menunggu")
    wait_until(dash_duo, lambda _d: column_cells(dash_duo, "collection-grid", "followup_text")[1]
               == "Janji bayar · 2025-12-20 → 2025-12-27", "the row never showed its follow-up")

    # The list was asked again, so nothing is selected; a promised date on another result is
    # refused with the reason, and nothing is added.
    dash_duo.find_element("#collection-grid .ag-row[row-id='60000006'] .ag-cell[col-id='nama']").click()
    dash_duo.wait_for_contains_text("#collection-followup-who", "60000006 · FAJAR")
    select_value(dash_duo, "#collection-followup-result", "tidak_ditemui")
    click(dash_duo, "#collection-followup-save")
    dash_duo.wait_for_contains_text("#collection-followup-saved", "Tanggal janji hanya untuk hasil 'Janji bayar'")
    wait_card(dash_duo, "card-promises", "1 menunggu")

    # The customer's profile shows the visit in its timeline.
    dash_duo.find_element("#collection-grid .ag-row[row-id='60000002'] .ag-cell[col-id='nomen'] a").click()
    dash_duo.wait_for_contains_text("#customer-followups-grid", "Janji bayar")
    assert "Bayar setelah gajian" in dash_duo.find_element("#customer-followups-grid").text
    assert console(dash_duo) == []


def test_a_viewer_has_no_follow_up_form(dash_duo, collection_app, signed_in):
    signed_in(dash_duo, collection_app, role="viewer", path="/?tab=penagihan&periode=2025-12")
    wait_card(dash_duo, "card-unpaid-nomen", "4")
    assert not dash_duo.find_elements("#collection-followup")
    assert console(dash_duo) == []


def test_an_officer_sees_only_its_own_customers_and_records_a_promise(dash_duo, collection_app, engine):
    """A petugas (ANDI: PCEZ 15110 and 15210) signs in: Penagihan and Pelanggan only, its own
    unpaid customer, its own row per officer, a promise recorded and counted; another officer's
    customer by address is refused."""
    upsert(engine, "andi", "petugas", "sandi-andi-123", "Andi")
    sign_in(dash_duo, collection_app, "andi", "sandi-andi-123", path="/?periode=2025-12")
    wait_text(dash_duo, "#collection-title", "Belum bayar · Desember 2025")
    assert [tab.text for tab in dash_duo.find_elements(".shell-tabs .nav-link")] == ["Penagihan", "Pelanggan"]
    wait_card(dash_duo, "card-unpaid-nomen", "1")
    wait_card(dash_duo, "card-unpaid-nominal", "Rp 300.000")  # BUDI's 200.000 and CICI's rest of 100.000
    wait_cells(dash_duo, "collection-grid", "nomen", ["60000002"])
    officers = [row.text.split(" Rp")[0] for row in dash_duo.find_elements("#collection-petugas-table tbody tr")]
    assert officers == ["ANDI", "Total"]
    wait_card(dash_duo, "card-promises", "0 menunggu")
    screenshot(dash_duo, "penagihan-petugas.png")

    dash_duo.find_element("#collection-grid .ag-row[row-id='60000002'] .ag-cell[col-id='nama']").click()
    dash_duo.wait_for_contains_text("#collection-followup-who", "60000002 · BUDI")
    select_value(dash_duo, "#collection-followup-result", "janji_bayar")
    dash_duo.find_element("#collection-followup-visit").send_keys("12202025")
    dash_duo.find_element("#collection-followup-promise").send_keys("12272025")
    click(dash_duo, "#collection-followup-save")
    wait_text(dash_duo, "#collection-followup-ok", "Tersimpan: 60000002 · Janji bayar · 2025-12-20 · janji 2025-12-27")
    wait_card(dash_duo, "card-promises", "1 menunggu")

    # The customer's profile records a visit too, and its timeline shows both; no analyses.
    dash_duo.find_element("#collection-grid .ag-row[row-id='60000002'] .ag-cell[col-id='nomen'] a").click()
    dash_duo.wait_for_contains_text("#customer-followups-grid", "Janji bayar")
    assert not dash_duo.find_elements("#customer-analyses-grid")
    dash_duo.wait_for_contains_text("#customer-followup-who", "Untuk 60000002 · BUDI, periode Desember 2025.")
    select_value(dash_duo, "#customer-followup-result", "tidak_ditemui")
    dash_duo.find_element("#customer-followup-visit").send_keys("12222025")
    dash_duo.find_element("#customer-followup-note").send_keys("Rumah kosong")
    click(dash_duo, "#customer-followup-save")
    wait_text(dash_duo, "#customer-followup-ok", "Tersimpan: 60000002 · Tidak ditemui · 2025-12-22")
    dash_duo.wait_for_contains_text("#customer-followups-grid", "Rumah kosong")
    screenshot(dash_duo, "pelanggan-petugas.png")

    # Another officer's customer, asked for by address, is refused with the reason.
    dash_duo.driver.get(f"{dash_duo.server_url.rstrip('/')}/?tab=pelanggan&nomen=60000004")
    dash_duo.wait_for_contains_text("#customer-profile", "Pelanggan 60000004 bukan pelanggan rute Anda (ANDI).")
    assert "DEDI" not in dash_duo.find_element("#customer-profile").text
    assert console(dash_duo) == []
