"""The dashboard in a real browser, on a small fixture whose figures are worked out by hand.

The fixture: two periodes (2025-11, 2025-12) of MC and COLLECTION over Rayon 34 and 35,
and ARDEBT for 2025-12, written as the raw exports (``;`` CSV, ``|`` text with negative
amounts, dd-mm-yyyy dates and MMYYYY bill periods) and loaded through ``ingest_file``.

MC 2025-11                                   MC 2025-12
nomen     zona       rayon nominal kubik     nomen     zona       rayon nominal kubik
60000001  341010101  34    140.000  18       60000001  341010101  34    150.000  20
60000002  341010102  34    210.000  27       60000002  341010102  34    200.000  25
60000003  341020201  34    130.000  14       60000003  341020201  34    125.000  15
60000004  351010101  35    170.000  21       60000004  351010101  35    180.000  22
60000005  351010102  35     95.000  11       60000005  351010102  35     95.000  12
60000007  351030303  35     60.000   8       60000006  352020202  35          0   0

COLLECTION: a payment for the bill of its own month is CURRENT, for an older bill UNDUE.
2025-11  60000001 140.000 CUR | 60000003 130.000 CUR | 60000004 170.000 CUR
         60000007  30.000 CUR (part of 60.000) | 60000005 90.000 UNDUE (bill 10-2025)
2025-12  60000001 150.000 CUR | 60000002 125.000 CUR (part of 200.000) | 60000004 180.000 CUR
         60000002 210.000 UNDUE (bill 11-2025) | 60000005 95.000 UNDUE (bill 11-2025)
         60000007  60.000 CUR, not in MC 2025-12: "Bayar di Luar MC", rayon 35 from its MC 2025-11

Collection KPI (target = MC nominal > 0; paid = CURRENT by target customers; rate = paid / target)
                 target             paid               unpaid             rate     undue        unmatched
2025-12 R34  475.000 (3 plg)   275.000 (2 plg)   200.000 (1 plg)   57,89%   210.000 (1)        0
2025-12 R35  275.000 (2 plg)   180.000 (1 plg)    95.000 (1 plg)   65,45%    95.000 (1)   60.000 (1)
2025-12 all  750.000 (5 plg)   455.000 (3 plg)   295.000 (2 plg)   60,67%   305.000 (2)   60.000 (1)
2025-11 R34  480.000 (3 plg)   270.000 (2 plg)   210.000 (1 plg)   56,25%         0             0
2025-11 R35  325.000 (3 plg)   200.000 (2 plg)   125.000 (1 plg)   61,54%    90.000 (1)         0
2025-11 all  805.000 (6 plg)   470.000 (4 plg)   335.000 (2 plg)   58,39%    90.000 (1)         0
(275/475 = 57,894..%, 180/275 = 65,454..%, 455/750 = 60,666..%, 200/325 = 61,538..%,
470/805 = 58,385..%; unpaid 2025-12 R34 = 75.000 left of 60000002 + 125.000 of 60000003.)
Pelanggan (MC rows) 2025-12: 3 + 3 = 6; kubikasi 60 + 34 = 94 m³.
Against 2025-11 (all rayons): target 750 vs 805 = −6,8%; rate 60,666.. − 58,385.. = +2,28 poin;
terbayar 455.000 − 470.000 = −Rp 15.000. Per rayon: R34 57,894.. − 56,25 = +1,64 poin,
R35 65,454.. − 61,538.. = +3,92 poin.

ARDEBT 2025-12 (NOMEN;JUMLAH_REK;TOTAL_TUNGGAKAN)
60000002 1 rek 75.000 (R34) | 60000003 2 rek 250.000 (R34) | 60000005 4 rek 380.000 (R35)
60000006 0 rek 0 (no arrears: not counted) | 60000008 14 rek 1.540.000 (in no MC: no rayon)
OS all rayons: 4 pelanggan, 75 + 250 + 380 + 1.540 = Rp 2.245.000; R34: 2, Rp 325.000; R35: 1, Rp 380.000.
Tertagih 2025-12 = undue above (Rp 305.000, 2 plg); no ARDEBT 2025-11, so no share of it.
"""
from __future__ import annotations

import csv
from pathlib import Path

import pytest
from selenium.common.exceptions import NoSuchElementException, TimeoutException
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from sunter_dash import create_app
from sunter_dash.ingest import ingest_file

from .pages import choose, console, open_tab, wait_card, wait_idle, wait_query, wait_rows, wait_text, wait_until

pytestmark = pytest.mark.browser


FILES = {
    "MC_2025-11.csv": (
        "NOMEN;ZONA_NOVAK;NOMINAL;KUBIK\n"
        "60000001;341010101;140000;18\n"
        "60000002;341010102;210000;27\n"
        "60000003;341020201;130000;14\n"
        "60000004;351010101;170000;21\n"
        "60000005;351010102;95000;11\n"
        "60000007;351030303;60000;8\n"
    ),
    "MC_2025-12.csv": (
        "NOMEN;ZONA_NOVAK;NOMINAL;KUBIK\n"
        "60000001;341010101;150000;20\n"
        "60000002;341010102;200000;25\n"
        "60000003;341020201;125000;15\n"
        "60000004;351010101;180000;22\n"
        "60000005;351010102;95000;12\n"
        "60000006;352020202;0;0\n"
    ),
    "Collection-2025-11-01_sd_2025-11-30.txt": (
        "NOMEN|PAY_DT|AMT_COLLECT|BILL_PERIOD\n"
        "60000001|04-11-2025|-140000|112025\n"
        "60000003|12-11-2025|-130000|112025\n"
        "60000004|07-11-2025|-170000|112025\n"
        "60000007|25-11-2025|-30000|112025\n"
        "60000005|14-11-2025|-90000|102025\n"
    ),
    "Collection-2025-12-01_sd_2025-12-31.txt": (
        "NOMEN|PAY_DT|AMT_COLLECT|BILL_PERIOD\n"
        "60000001|03-12-2025|-150000|122025\n"
        "60000002|10-12-2025|-125000|122025\n"
        "60000002|05-12-2025|-210000|112025\n"
        "60000004|15-12-2025|-180000|122025\n"
        "60000005|22-12-2025|-95000|112025\n"
        "60000007|18-12-2025|-60000|122025\n"
    ),
    "ARDEBT_2025-12.csv": (
        "NOMEN;JUMLAH_REK;TOTAL_TUNGGAKAN\n"
        "60000002;1;75000\n"
        "60000003;2;250000\n"
        "60000005;4;380000\n"
        "60000006;0;0\n"
        "60000008;14;1540000\n"
    ),
}

# The "Rincian per rayon" grid: (Rayon, Target, Terbayar, Belum Bayar, CR, Plg Bayar).
RAYON_GRID_DEC = [
    ("Rayon 34", "Rp 475.000", "Rp 275.000", "Rp 200.000", "57,89%", "2"),
    ("Rayon 35", "Rp 275.000", "Rp 180.000", "Rp 95.000", "65,45%", "1"),
]
RAYON_GRID_NOV = [
    ("Rayon 34", "Rp 480.000", "Rp 270.000", "Rp 210.000", "56,25%", "2"),
    ("Rayon 35", "Rp 325.000", "Rp 200.000", "Rp 125.000", "61,54%", "2"),
]
TOTAL_DEC = [("Total", "Rp 750.000", "Rp 455.000", "Rp 295.000", "60,67%", "3")]
TOTAL_NOV = [("Total", "Rp 805.000", "Rp 470.000", "Rp 335.000", "58,39%", "4")]
RAYON_GRID_COLUMNS = ("label", "target_nominal", "paid_nominal", "unpaid_nominal", "rate", "paid_nomen")


def load(engine, folder: Path, files: dict[str, str]) -> None:
    folder.mkdir()
    for name, text in files.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        result = ingest_file(engine, path)
        assert result.status == "loaded", (name, result.message)
        assert result.rejected == 0, (name, result.errors)


@pytest.fixture
def dashboard(dash_duo, config, engine, tmp_path: Path, signed_in):
    """The app on the fixture above, opened in the browser (newest periode, all rayons)."""
    load(engine, tmp_path / "raw", FILES)
    signed_in(dash_duo, create_app(config))
    return dash_duo


# --- helpers -------------------------------------------------------------------------

def rayon_bars(dash_duo, trace: int) -> dict[str, object]:
    """The bars of a trace of the rayon chart (0 Target, 1 Terbayar), keyed by the x-axis
    label they stand over. Plotly redraws the chart now and then: call inside wait_until."""
    ticks = {t.text: t.rect["x"] + t.rect["width"] / 2
             for t in dash_duo.find_elements("#overview-rayon-chart .xtick text")}
    bars = dash_duo.find_elements("#overview-rayon-chart .trace.bars")[trace].find_elements(
        By.CSS_SELECTOR, ".point path")
    if not ticks or len(bars) != len(ticks):
        raise NoSuchElementException("rayon chart not drawn yet")
    return {label: min(bars, key=lambda b: abs(b.rect["x"] + b.rect["width"] / 2 - x))
            for label, x in ticks.items()}


def wait_bar_opacities(dash_duo, expected: dict[str, tuple[str, str]]) -> None:
    """Wait until each rayon's (Target bar, Terbayar bar) opacity is as expected."""
    seen = {}

    def check(_driver):
        target, paid = rayon_bars(dash_duo, 0), rayon_bars(dash_duo, 1)
        seen.clear()
        seen.update({label: (target[label].value_of_css_property("opacity"),
                             paid[label].value_of_css_property("opacity")) for label in target})
        return seen == expected
    try:
        wait_until(dash_duo, check, "bar opacities")
    except TimeoutException as error:
        raise AssertionError(f"rayon chart opacities: expected {expected}, found {seen}") from error


def click_rayon_bar(dash_duo, label: str) -> None:
    """Click the Target bar of a rayon. Plotly takes clicks on its drag layer above the bars,
    so the mouse moves to the bar and clicks there. A bar redrawn meanwhile fails the action
    before any input is sent (stale element), and the attempt is retried."""
    def attempt(driver):
        ActionChains(driver).move_to_element(rayon_bars(dash_duo, 0)[label]).click().perform()
        return True
    wait_until(dash_duo, attempt, f"could not click the bar of {label}")


# --- tests ---------------------------------------------------------------------------

def test_overview_opens_on_newest_periode_with_its_figures(dashboard):
    dash_duo = dashboard
    wait_text(dash_duo, "#shell-periode-value", "Desember 2025")
    wait_text(dash_duo, "#shell-rayon-value", "Semua")
    wait_card(dash_duo, "card-target", "Rp 750.000", "5 pelanggan bertagihan")
    wait_card(dash_duo, "card-paid", "Rp 455.000", "3 pelanggan sudah bayar")
    wait_card(dash_duo, "card-unpaid", "Rp 295.000", "2 pelanggan belum bayar")
    wait_card(dash_duo, "card-rate", "60,67%")
    wait_card(dash_duo, "card-undue", "Rp 305.000", "2 pelanggan bayar tunggakan (UNDUE)")
    wait_card(dash_duo, "card-unmatched", "Rp 60.000", "1 pembayaran tanpa nomen di MC")
    wait_card(dash_duo, "card-customers", "6")
    wait_card(dash_duo, "card-volume", "94 m³", "Dari MC")
    # Each card compares with November 2025.
    wait_text(dash_duo, "#card-target .kpi-delta", "−6,8% vs November 2025")
    wait_text(dash_duo, "#card-rate .kpi-delta", "+2,28 poin vs November 2025")
    wait_text(dash_duo, "#overview-daily-title", "Grafik harian Desember 2025")
    assert console(dash_duo) == []


def test_early_payments_of_a_month_before_its_mc_do_not_open_an_empty_month(dash_duo, config, engine, tmp_path,
                                                                            signed_in):
    # Two payments dated 2 January arrive before January's MC: December, the newest month with
    # its target, opens; January stays one choice away.
    early = {"Collection-2026-01-02_sd_2026-01-02.txt": "NOMEN|PAY_DT|AMT_COLLECT|BILL_PERIOD\n"
                                                         "60000003|02-01-2026|-125000|122025\n"
                                                         "60000004|02-01-2026|-180000|012026\n"}
    load(engine, tmp_path / "raw", {**FILES, **early})
    signed_in(dash_duo, create_app(config))
    wait_text(dash_duo, "#shell-periode-value", "Desember 2025")
    wait_card(dash_duo, "card-target", "Rp 750.000", "5 pelanggan bertagihan")
    wait_query(dash_duo, "periode=2025-12")
    choose(dash_duo, "shell-periode", "Januari 2026")
    wait_query(dash_duo, "periode=2026-01")


def test_periode_and_rayon_filters_change_cards_grid_and_chart(dashboard):
    dash_duo = dashboard
    wait_card(dash_duo, "card-target", "Rp 750.000")
    wait_rows(dash_duo, "overview-rayon-grid", RAYON_GRID_COLUMNS, RAYON_GRID_DEC)

    choose(dash_duo, "shell-periode", "November 2025")
    wait_card(dash_duo, "card-target", "Rp 805.000", "6 pelanggan bertagihan")
    wait_card(dash_duo, "card-paid", "Rp 470.000", "4 pelanggan sudah bayar")
    wait_card(dash_duo, "card-unpaid", "Rp 335.000", "2 pelanggan belum bayar")
    wait_card(dash_duo, "card-rate", "58,39%")
    wait_card(dash_duo, "card-undue", "Rp 90.000")
    # No October 2025 stored: nothing to compare with.
    wait_text(dash_duo, "#card-target .kpi-delta", "Tidak ada pembanding bulan lalu")
    wait_rows(dash_duo, "overview-rayon-grid", RAYON_GRID_COLUMNS, RAYON_GRID_NOV)
    wait_rows(dash_duo, "overview-rayon-grid", RAYON_GRID_COLUMNS, TOTAL_NOV, pinned=True)
    wait_bar_opacities(dash_duo, {"Rayon 34": ("1", "1"), "Rayon 35": ("1", "1")})

    choose(dash_duo, "shell-rayon", "Rayon 34")
    wait_card(dash_duo, "card-target", "Rp 480.000", "3 pelanggan bertagihan")
    wait_card(dash_duo, "card-paid", "Rp 270.000", "2 pelanggan sudah bayar")
    wait_card(dash_duo, "card-unpaid", "Rp 210.000", "1 pelanggan belum bayar")
    wait_card(dash_duo, "card-rate", "56,25%")
    wait_card(dash_duo, "card-undue", "Rp 0")
    wait_card(dash_duo, "card-customers", "3")
    wait_text(dash_duo, "#overview-daily-title", "Grafik harian November 2025 · Rayon 34")
    # The chart keeps both rayons and fades the ones filtered out; the grid still lists all.
    wait_bar_opacities(dash_duo, {"Rayon 34": ("1", "1"), "Rayon 35": ("0.35", "0.35")})
    wait_rows(dash_duo, "overview-rayon-grid", RAYON_GRID_COLUMNS, RAYON_GRID_NOV)
    assert console(dash_duo) == []


def test_view_round_trips_through_the_url(dashboard):
    dash_duo = dashboard
    wait_card(dash_duo, "card-target", "Rp 750.000")
    choose(dash_duo, "shell-periode", "November 2025")
    choose(dash_duo, "shell-rayon", "Rayon 34")
    wait_query(dash_duo, "periode=2025-11&rayon=34")
    wait_card(dash_duo, "card-target", "Rp 480.000")

    # A bookmarked view opens as it was left: periode, rayon and tab.
    dash_duo.wait_for_page(f"{dash_duo.server_url}/?periode=2025-11&rayon=35&tab=tunggakan")
    wait_text(dash_duo, "#shell-periode-value", "November 2025")
    wait_text(dash_duo, "#shell-rayon-value", "Rayon 35")
    wait_text(dash_duo, "#shell-tabs .nav-link.active", "Tunggakan")
    # November has no ARDEBT: no OS, but the arrears Rayon 35 collected in November (90.000).
    dash_duo.wait_for_contains_text("#arrears-alert", "Belum ada data ARDEBT untuk November 2025")
    wait_card(dash_duo, "card-os-collected", "Rp 90.000", "1 pelanggan bayar tunggakan bulan ini")
    # No ARDEBT for November: unknown, and the cards say which file to upload (never 0).
    wait_card(dash_duo, "card-os-nomen", "—", "Belum ada data: unggah ARDEBT November 2025")
    wait_card(dash_duo, "card-os-nominal", "—", "Belum ada data: unggah ARDEBT November 2025")
    wait_query(dash_duo, "periode=2025-11&rayon=35&tab=tunggakan")
    assert console(dash_duo) == []


def test_clicking_a_rayon_bar_filters_the_page_by_that_rayon(dashboard):
    dash_duo = dashboard
    wait_card(dash_duo, "card-target", "Rp 750.000")
    wait_query(dash_duo, "periode=2025-12")
    wait_idle(dash_duo)
    click_rayon_bar(dash_duo, "Rayon 35")
    wait_text(dash_duo, "#shell-rayon-value", "Rayon 35")
    wait_card(dash_duo, "card-target", "Rp 275.000", "2 pelanggan bertagihan")
    wait_card(dash_duo, "card-paid", "Rp 180.000", "1 pelanggan sudah bayar")
    wait_card(dash_duo, "card-unpaid", "Rp 95.000", "1 pelanggan belum bayar")
    wait_card(dash_duo, "card-rate", "65,45%")
    wait_card(dash_duo, "card-unmatched", "Rp 60.000")
    wait_query(dash_duo, "periode=2025-12&rayon=35")
    assert console(dash_duo) == []


def test_csv_export_of_the_rayon_grid_downloads_its_rows(dashboard):
    dash_duo = dashboard
    wait_rows(dash_duo, "overview-rayon-grid", RAYON_GRID_COLUMNS, RAYON_GRID_DEC)
    downloads = Path(dash_duo.download_path)  # the plugin points Chrome's downloads here
    card = dash_duo.driver.find_element(
        By.XPATH, "//div[contains(@class, 'card-body')][.//h5[normalize-space(.) = 'Rincian per rayon']]")
    button = card.find_element(By.CSS_SELECTOR, "button[id*='\"dataset\":\"kpi-rayon\"'][id*='\"fmt\":\"csv\"']")
    assert button.text.strip() == "CSV"
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", button)
    button.click()
    expected = downloads / "collection-per-rayon_2025-12.csv"
    wait_until(dash_duo, lambda _d: expected.exists() and expected.stat().st_size > 0,
               f"no download {expected.name}; found {sorted(p.name for p in downloads.iterdir())}")
    with expected.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows == [
        ["Rayon", "Pelanggan", "Kubikasi (m3)", "Target (nomen)", "Target (Rp)", "Terbayar (nomen)",
         "Terbayar (Rp)", "Belum Bayar (nomen)", "Belum Bayar (Rp)", "Collection Rate (%)",
         "Tunggakan Tertagih (nomen)", "Tunggakan Tertagih (Rp)", "Bayar di Luar MC (nomen)", "Bayar di Luar MC (Rp)"],
        ["Rayon 34", "3", "60", "3", "475000", "2", "275000", "1", "200000", "57.89", "1", "210000", "0", "0"],
        ["Rayon 35", "3", "34", "2", "275000", "1", "180000", "1", "95000", "65.45", "1", "95000", "1", "60000"],
        ["Total", "6", "94", "5", "750000", "3", "455000", "2", "295000", "60.67", "2", "305000", "1", "60000"],
    ]
    assert console(dash_duo) == []


def test_arrears_tab_shows_outstanding_of_the_periode(dashboard):
    dash_duo = dashboard
    wait_card(dash_duo, "card-target", "Rp 750.000")
    open_tab(dash_duo, "Tunggakan")
    wait_card(dash_duo, "card-os-nomen", "4")
    wait_card(dash_duo, "card-os-nominal", "Rp 2.245.000")
    wait_card(dash_duo, "card-os-collected", "Rp 305.000", "2 pelanggan bayar tunggakan bulan ini")
    wait_card(dash_duo, "card-os-share", "—", "Belum ada data: unggah ARDEBT November 2025")
    wait_rows(dash_duo, "arrears-top-grid", ("nomen", "rayon", "bills", "total"), [
        ("60000008", "", "14", "Rp 1.540.000"),
        ("60000005", "35", "4", "Rp 380.000"),
        ("60000003", "34", "2", "Rp 250.000"),
        ("60000002", "34", "1", "Rp 75.000"),
    ])
    # Aging: one bar per bucket (1, 2, 3-6, 7-12, >12 rek), each with its customer count.
    wait_until(dash_duo, lambda _d: [t.text for t in dash_duo.find_elements("#arrears-bucket-chart .bartext")]
               == ["1 plg", "1 plg", "1 plg", "0 plg", "1 plg"], "aging chart labels")
    wait_query(dash_duo, "periode=2025-12&tab=tunggakan")

    choose(dash_duo, "shell-rayon", "Rayon 34")
    wait_card(dash_duo, "card-os-nomen", "2")
    wait_card(dash_duo, "card-os-nominal", "Rp 325.000")
    assert console(dash_duo) == []


def test_trend_tab_lists_each_periode_with_its_change(dashboard):
    dash_duo = dashboard
    wait_card(dash_duo, "card-target", "Rp 750.000")
    open_tab(dash_duo, "Tren")
    wait_text(dash_duo, "#trend-first-value", "November 2025")
    wait_text(dash_duo, "#trend-last-value", "Desember 2025")
    columns = ("periode_label", "series", "value-collection_rate", "change-collection_rate")
    # Collection rate by default, newest first; the change is in percentage points.
    wait_rows(dash_duo, "trend-grid", columns, [
        ("Desember 2025 (s.d. 22 Des)", "Semua rayon", "60,67%", "+2,28 poin"),
        ("November 2025", "Semua rayon", "58,39%", ""),
    ])
    # One line (all rayons) through two points, and the goal of each periode (the default 90 %).
    wait_until(dash_duo, lambda _d: [len(trace.find_elements(By.CSS_SELECTOR, ".point")) for trace in
                                     dash_duo.find_elements("#trend-chart .scatterlayer .trace")] == [2, 0],
               "trend chart: one line of two points, and the goal's line")
    assert "Target" in dash_duo.find_element("#trend-chart .legend").text
    wait_rows(dash_duo, "trend-grid", ("periode_label", "goal"), [("Desember 2025 (s.d. 22 Des)", "90,00%"),
                                                                   ("November 2025", "90,00%")])
    # One series per rayon, newest first then by rayon.
    dash_duo.find_element("#trend-split").find_element(By.XPATH, ".//label[normalize-space(.) = 'Per rayon']").click()
    wait_rows(dash_duo, "trend-grid", columns, [
        ("Desember 2025 (s.d. 22 Des)", "Rayon 35", "65,45%", "+3,92 poin"),
        ("Desember 2025 (s.d. 22 Des)", "Rayon 34", "57,89%", "+1,64 poin"),
        ("November 2025", "Rayon 35", "61,54%", ""),
        ("November 2025", "Rayon 34", "56,25%", ""),
    ])
    # The choices are in the address: the view can be shared.
    wait_query(dash_duo, "periode=2025-12&tab=tren&dari=2025-11&sampai=2025-12&tampilan=per-rayon")
    assert console(dash_duo) == []


def test_a_shared_trend_link_opens_its_choices(dashboard):
    dash_duo = dashboard
    wait_card(dash_duo, "card-target", "Rp 750.000")
    dash_duo.wait_for_page(f"{dash_duo.server_url}/?periode=2025-12&tab=tren&metrik=paid_nominal&dari=2025-12"
                           "&sampai=2025-11")
    wait_text(dash_duo, "#trend-metric-value", "Terbayar (Rp)")
    wait_text(dash_duo, "#trend-first-value", "Desember 2025")
    wait_text(dash_duo, "#trend-last-value", "November 2025")
    # "Dari" after "Sampai" is said, and the range shown the right way round.
    dash_duo.wait_for_contains_text("#trend-alert", '"Dari" (Desember 2025) sesudah "Sampai" (November 2025)')
    wait_rows(dash_duo, "trend-grid", ("periode_label", "value-paid_nominal"), [
        ("Desember 2025 (s.d. 22 Des)", "Rp 455.000"), ("November 2025", "Rp 470.000")])
    assert console(dash_duo) == []


def test_trend_grid_formats_the_chosen_metric(dashboard):
    dash_duo = dashboard
    wait_card(dash_duo, "card-target", "Rp 750.000")
    open_tab(dash_duo, "Tren")
    columns = ("periode_label", "series", "value-collection_rate", "change-collection_rate")
    wait_rows(dash_duo, "trend-grid", columns, [
        ("Desember 2025 (s.d. 22 Des)", "Semua rayon", "60,67%", "+2,28 poin"),
        ("November 2025", "Semua rayon", "58,39%", ""),
    ])
    choose(dash_duo, "trend-metric", "Terbayar (Rp)")
    # Each metric has its own column ids, so AG Grid takes the new formatter.
    columns = ("periode_label", "series", "value-paid_nominal", "change-paid_nominal")
    dash_duo.wait_for_contains_text("#trend-grid .ag-header", "Terbayar (Rp)")
    # The grid renders synchronously with its new header: a short wait is plenty.
    wait_rows(dash_duo, "trend-grid", columns, [
        ("Desember 2025 (s.d. 22 Des)", "Semua rayon", "Rp 455.000", "−Rp 15.000"),
        ("November 2025", "Semua rayon", "Rp 470.000", ""),
    ], timeout=2)
    assert console(dash_duo) == []
