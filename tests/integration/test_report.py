"""The monthly report (Laporan Bulanan), opened as a reader would: the PDF with a PDF library (one
page per section, the API's figures in Indonesian forms) and the workbook with pandas (one sheet
per section, the API's figures as numbers), from the API, the command line and the service.

The branch: 13 demo months to 2025-12 (400 customers), December's payments to the 20th, so the
report has a forecast and last year's figures."""
from __future__ import annotations

import io
import sys
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader

from sunter_dash import create_app
from sunter_dash.__main__ import main
from sunter_dash.config import Config
from sunter_dash.db import get_engine
from sunter_dash.domain.periodes import date_label
from sunter_dash.formatting import number, percent, rupiah
from sunter_dash.services.users import upsert as upsert_user

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from helpers import MONTH_TO_THE_20TH, basic  # noqa: E402

PASSWORD = "report-pass-123"
SECTIONS = ["1. Ringkasan", "2. Per rayon dan per PCEZ", "3. Harian", "4. Tunggakan", "5. Meter", "6. Status data"]


@pytest.fixture(scope="module")
def branch(tmp_path_factory, databases, backend):
    url = databases.demo(backend, tmp_path_factory.mktemp("report"), **MONTH_TO_THE_20TH)
    engine = get_engine(url)
    upsert_user(engine, "viewer", "viewer", PASSWORD)
    app = create_app(Config(database_url=url, secret_key="test-secret", secret_key_is_generated=False,
                            cache_type="NullCache"))
    client = app.server.test_client()
    auth = basic("viewer", PASSWORD)

    def get(path: str):
        return client.get(path, headers=auth)
    yield url, get
    databases.drop(url)


def pages(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


@pytest.mark.parametrize("rayon", [None, "34"])
def test_the_pdf_has_a_page_per_section_with_the_api_figures(branch, rayon):
    _url, get = branch
    where = f"&rayon={rayon}" if rayon else ""
    response = get(f"/api/report/2025-12.pdf{where.replace('&', '?')}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    name = f"laporan-bulanan_2025-12{f'_rayon-{rayon}' if rayon else ''}.pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{name}"'
    text = pages(response.data)
    assert len(text) == 6
    for page, title in zip(text, SECTIONS):
        assert page.splitlines()[1 if title != SECTIONS[0] else 3] == title, page[:200]
        assert "Halaman" in page

    kpi = get(f"/api/kpi?periode=2025-12{where}").get_json()
    forecast = get(f"/api/kpi/forecast?periode=2025-12{where}").get_json()["forecast"]
    lines = text[0].splitlines()
    expected = [f"Data per {date_label(kpi['data_as_of'])}",
                f"Target (tagihan MC) {rupiah(kpi['target']['nominal'])}",
                f"Pelanggan bertagihan {number(kpi['target']['nomen'])}",
                f"Terbayar {rupiah(kpi['paid']['nominal'])}",
                f"Belum bayar {rupiah(kpi['unpaid']['nominal'])}",
                f"Collection rate {percent(kpi['collection_rate'])}",
                "Target collection rate 90,00%",
                f"Kekurangan terhadap target {rupiah(kpi['gap'])}",
                f"Perkiraan akhir bulan {percent(forecast['rate'])}",
                f"Rentang perkiraan {percent(forecast['low'])} - {percent(forecast['high'])}",
                f"Perkiraan terbayar akhir bulan {rupiah(forecast['nominal'])}",
                f"Collection rate Desember 2024 {percent(kpi['previous_year']['collection_rate'])}"]
    for line in expected:
        assert line in lines, (line, lines)
    # The page's answer in a sentence, above the figures.
    assert (f"Collection rate {percent(kpi['collection_rate'])}: kurang {rupiah(kpi['gap'])} untuk mencapai target "
            f"90,00%. Perkiraan akhir bulan {percent(forecast['rate'])}") in " ".join(text[0].split())

    # 2: each rayon's row as /api/kpi/rayon gives it.
    for row in get("/api/kpi/rayon?periode=2025-12").get_json()["rayons"]:
        if row["rayon"] and (rayon is None or row["rayon"] == rayon):
            assert (f"Rayon {row['rayon']} {rupiah(row['target']['nominal'])} {rupiah(row['paid']['nominal'])} "
                    f"{rupiah(row['unpaid']['nominal'])} {percent(row['collection_rate'])}") in text[1]
    # 4: the arrears; 5: every check's count; 6: what is stored.
    arrears = get(f"/api/arrears/summary?periode=2025-12{where}").get_json()
    assert f"Total tunggakan (OS) {rupiah(arrears['os']['nominal'])}" in text[3].splitlines()
    anomalies = get(f"/api/anomaly/summary?periode=2025-12{where}").get_json()["anomalies"]
    for found in anomalies.values():
        assert f"{found['name']} {number(found['count'])} {number(found['previous'])}" in text[4], found
    assert "MB - belum diunggah" in text[5] and "COLLECTION 330 tersimpan" in text[5]


def test_the_workbook_has_a_sheet_per_section_with_the_api_figures_as_numbers(branch):
    _url, get = branch
    response = get("/api/report/2025-12.xlsx")
    assert response.status_code == 200
    sheets = pd.read_excel(io.BytesIO(response.data), sheet_name=None, header=None, engine="openpyxl")
    assert list(sheets) == [title.replace(".", "") for title in SECTIONS]
    summary = sheets["1 Ringkasan"]
    facts = dict(zip(summary[0], summary[1]))
    kpi = get("/api/kpi?periode=2025-12").get_json()
    assert facts["Target (tagihan MC)"] == kpi["target"]["nominal"]
    assert facts["Terbayar"] == kpi["paid"]["nominal"]
    assert facts["Collection rate"] == pytest.approx(kpi["collection_rate"])
    assert facts["Kekurangan terhadap target"] == kpi["gap"]
    # The workbook lists every PCEZ with a target or a payment (the PDF the furthest from the goal).
    per_pcez = get("/api/kpi/pcez?periode=2025-12").get_json()
    breakdown = sheets["2 Per rayon dan per PCEZ"]
    start = breakdown.index[breakdown[0] == "Per PCEZ, kekurangan terbesar dulu"][0] + 2
    pcez = breakdown.iloc[start:].dropna(how="all")
    assert len(pcez) == sum(1 for r in per_pcez["rows"] if r["target"]["nominal"] or r["paid"]["nominal"])
    assert (pcez[1].sum(), pcez[2].sum()) == (per_pcez["total"]["target"]["nominal"],
                                              per_pcez["total"]["paid"]["nominal"])
    assert list(pcez[5]) == sorted(pcez[5], reverse=True)  # the largest gap first
    daily = sheets["3 Harian"]
    days = daily.iloc[daily.index[daily[0] == "Tanggal"][0] + 1:]
    assert days[2].sum() == kpi["paid"]["nominal"]


def test_refusals_say_what_to_fix(branch):
    _url, get = branch
    missing = get("/api/report/2027-01.pdf")
    assert missing.status_code == 404
    assert missing.get_json()["error"] == "Belum ada data tersimpan untuk Januari 2027: unggah file periode ini dulu."
    assert get("/api/report/2025-12.doc").get_json()["error"] == "Format laporan harus pdf atau xlsx, bukan 'doc'."
    assert get("/api/report/2025-13.pdf").status_code == 400
    assert get("/api/report/2025-12.pdf?rayon=3%204").status_code == 400


def test_the_command_line_writes_the_report(branch, tmp_path, monkeypatch, capsys):
    url, get = branch
    monkeypatch.setenv("DATABASE_URL", url)
    out = tmp_path / "laporan.xlsx"
    assert main(["report", "--periode", "2025-12", "--rayon", "35", "--out", str(out)]) == 0
    facts = pd.read_excel(out, sheet_name="1 Ringkasan", header=None, engine="openpyxl")
    kpi = get("/api/kpi?periode=2025-12&rayon=35").get_json()
    assert dict(zip(facts[0], facts[1]))["Terbayar"] == kpi["paid"]["nominal"]
    assert main(["report", "--periode", "2025-12", "--out", str(tmp_path / "laporan.docx")]) == 1
    assert "Format laporan harus pdf atau xlsx, bukan 'docx'." in capsys.readouterr().err
    assert main(["report", "--periode", "2025-12"]) == 2


def test_the_first_page_drawn_for_the_docs(branch):
    """The report's first page as a PNG (docs/screenshots/ with SUNTER_SCREENSHOTS_DOCS=1), drawn
    from the PDF itself: the page a manager prints."""
    import pypdfium2

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from browser.pages import SCREENSHOTS

    _url, get = branch
    document = pypdfium2.PdfDocument(get("/api/report/2025-12.pdf").data)
    image = document[0].render(scale=1.5).to_pil()
    assert image.size == (893, 1263)  # A4 portrait at 108 dpi
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    image.save(SCREENSHOTS / "laporan-bulanan-halaman-1.png")
