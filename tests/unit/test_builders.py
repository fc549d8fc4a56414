"""The pure builders of the pages, without a browser or a database: cards and their deltas,
rayon rows, series points, addresses, list requests, chart axes, and the Meter card that
names the history a check lacks."""
from __future__ import annotations

import json

import pytest

from sunter_dash import urls
from sunter_dash.components import charts
from sunter_dash.components.cards import Delta, kpi_card
from sunter_dash.domain import checks
from sunter_dash.domain.checks import Thresholds
from sunter_dash.domain.errors import BadParameter
from sunter_dash.domain.listing import Group, Test
from sunter_dash.domain.periodes import default_periode
from sunter_dash.grid_model import parse_filters, parse_sort, sort_from_grid
from sunter_dash.tabs import arrears, meter, overview, trend

FIELDS = {"nomen": "text", "volume": "number"}


def texts(component) -> str:
    return json.dumps(component.to_plotly_json(), default=lambda c: c.to_plotly_json())


def figures(periode: str, rayon: str | None, target: int, paid: int, nomen: int = 1) -> dict:
    return {"periode": periode, "rayon": rayon, "target": {"nominal": target, "nomen": nomen},
            "paid": {"nominal": paid, "nomen": nomen}, "unpaid": {"nominal": target - paid, "nomen": 0},
            "collection_rate": 100 * paid / target if target else 0.0, "total_pelanggan": nomen,
            "total_kubikasi": 10, "undue": {"nominal": 0, "nomen": 0}, "has_mc": True}


@pytest.mark.parametrize("current, previous, points, text, tone", [
    (110, 100, False, "+10,0%", "good"),
    (90, 100, False, "−10,0%", "bad"),
    (100, 100, False, "tetap", "neutral"),
    (85.5, 80.25, True, "+5,25 poin", "good"),
    (5, 0, False, None, "good"),  # no percentage of nothing
    (None, 100, False, None, "neutral"),
])
def test_a_delta_says_its_change_and_whether_it_is_good(current, previous, points, text, tone):
    delta = Delta(current, previous, True, points)
    assert (delta.text(), delta.tone()) == (text, tone)
    assert Delta(current, previous, False, points).tone() == {"good": "bad", "bad": "good"}.get(tone, tone)


def test_a_card_without_a_comparison_says_so_or_says_nothing():
    said = texts(kpi_card("c", "Target", "Rp 1", "x", "bi-x", None, "2025-11"))
    assert "Tidak ada pembanding bulan lalu" in said
    assert "pembanding" not in texts(kpi_card("c", "Target", "Rp 1", "x", "bi-x", None, None, compared=False))
    shown = texts(kpi_card("c", "Target", "Rp 1", "x", "bi-x", Delta(2, 1), "2025-11"))
    assert "+100,0%" in shown and "vs November 2025" in shown


def test_rayon_rows_keep_unassigned_customers_only_with_figures_and_add_the_total():
    by_rayon = {"rayons": [figures("2025-12", "34", 100, 50), figures("2025-12", "35", 200, 200),
                           figures("2025-12", None, 0, 0)],
                "total": figures("2025-12", None, 300, 250)}
    rows, total = overview.rayon_rows(by_rayon)
    assert [(r["label"], r["target_nominal"], r["rate"]) for r in rows] == [("Rayon 34", 100, 50.0),
                                                                           ("Rayon 35", 200, 100.0)]
    assert [(t["label"], t["paid_nominal"], t["rate"]) for t in total] == [("Total", 250, 83.33)]
    by_rayon["rayons"][2] = figures("2025-12", None, 10, 0)
    assert overview.rayon_rows(by_rayon)[0][-1]["label"] == "Tanpa rayon"


def test_rayon_rows_carry_the_gap_to_the_goal_and_last_years_rate():
    by_rayon = {"rayons": [figures("2025-12", "34", 1000, 500), figures("2025-12", "35", 200, 190)],
                "total": figures("2025-12", None, 1200, 690)}
    last_year = {"rayons": [figures("2024-12", "34", 1000, 800)], "total": figures("2024-12", None, 1000, 800)}
    rows, total = overview.rayon_rows(by_rayon, 90.0, last_year)
    # 90 % of 1000 is 900: 400 to go; 90 % of 200 is 180, reached; Rayon 35 had no MC a year ago.
    assert [(r["label"], r["gap"], r["rate_last_year"]) for r in rows] == [("Rayon 34", 400, 80.0),
                                                                          ("Rayon 35", 0, None)]
    assert (total[0]["gap"], total[0]["rate_last_year"]) == (390, 80.0)


def test_rayon_rows_show_unknown_not_zero_when_the_payments_are_not_stored():
    by_rayon = {"rayons": [figures("2025-12", "34", 1000, 0)], "total": figures("2025-12", None, 1000, 0)}
    rows, total = overview.rayon_rows(by_rayon, 90.0, None, {"MC"})
    assert [(r["target_nominal"], r["paid_nominal"], r["rate"], r["gap"]) for r in rows + total] == [
        (1000, None, None, None), (1000, None, None, None)]


def month(rate=None, gap=None, as_of=None, previous_year=None, target=None, paid=None) -> dict:
    return {"periode": "2025-12", "rayon": None, "collection_rate": rate, "goal": 90.0, "gap": gap,
            "data_as_of": as_of, "previous_year": previous_year,
            "paid": None if paid is None else {"nominal": paid, "nomen": 1},
            "target": None if target is None else {"nominal": target, "nomen": 1}}


def test_the_headline_says_why_there_is_no_forecast_and_never_shows_a_missing_figure_as_zero():
    said = texts(overview.headline(month(), {"day": None, "last_day": 31, "periodes": [], "forecast": None,
                                             "reason": "belum ada pembayaran"}))
    for part in ("belum ada pembayaran", "Kekurangan terhadap target belum dapat dihitung", "target 90,0%"):
        assert part in said, part
    assert "Rp 0" not in said and "0,00%" not in said
    # A rayon with MC but no customer billed there: no target, so nothing is "reached".
    none = texts(overview.headline(month(0.0, 0, "2025-12-20", target=0, paid=0), {
        "day": 20, "last_day": 31, "periodes": [], "forecast": None, "reason": "tidak ada tagihan"}))
    assert "Tidak ada tagihan (target MC) untuk pilihan ini" in none and "Target tercapai" not in none
    reached = texts(overview.headline(month(91.5, 0, "2025-12-20", target=1000, paid=915), {
        "day": 20, "last_day": 31, "periodes": [], "forecast": None, "reason": "butuh minimal 3 bulan riwayat harian"}))
    for part in ("91,50%", "Target tercapai", "data per 20 Desember 2025", "ke-20 dari 31",
                 "butuh minimal 3 bulan riwayat harian"):
        assert part in reached, part


def test_the_progress_chart_draws_the_month_to_its_data_and_the_cone_to_its_end():
    days = [{"date": f"2025-04-{d:02d}", "cumulative_rate": 2.0 * d, "previous_cumulative_rate": 3.0 * d}
            for d in range(1, 31)]
    daily = {"periode": "2025-04", "previous_periode": "2025-03", "target_nominal": 100,
             "previous_target_nominal": 100, "days": days}
    cone = {"day": 10, "forecast": {"rate": 70.0, "low": 60.0, "high": 95.0}}
    figure = charts.progress_chart(daily, None, 90.0, cone)
    drawn = {trace["name"]: trace for trace in figure["data"]}
    assert drawn["April 2025"]["x"] == list(range(1, 11)) and drawn["April 2025"]["y"][-1] == 20.0
    assert drawn["Perkiraan"]["x"] == [10, 30] and drawn["Perkiraan"]["y"] == [20.0, 70.0]
    assert drawn["Target 90,0%"]["y"] == [90.0, 90.0]
    assert len(drawn["Maret 2025"]["x"]) == 30
    assert figure["layout"]["yaxis"]["range"][1] == pytest.approx(100 * 1.08)  # at least 100 %, with room
    assert charts.progress_chart(daily, None, 90.0, {**cone, "forecast": {**cone["forecast"], "high": 120.0}})[
        "layout"]["yaxis"]["range"][1] == pytest.approx(120 * 1.08)
    assert charts.progress_chart({**daily, "target_nominal": 0}, None, 90.0, cone)["layout"]["annotations"]


def test_the_missing_message_names_what_to_upload():
    assert overview.missing_message({"has_mc": True, "has_collection": True}, "2025-12") is None
    assert "MC dan COLLECTION" in overview.missing_message({"has_mc": False, "has_collection": False}, "2025-12")
    assert "file MC periode ini" in overview.missing_message({"has_mc": False, "has_collection": True}, "2025-12")


def test_series_points_carry_the_change_from_the_previous_periode_of_their_series():
    series = [figures("2025-10", "34", 100, 50), figures("2025-10", "35", 100, 100),
              figures("2025-11", "34", 100, 75), figures("2025-11", "35", 100, 90)]
    points = trend.series_points(series, "collection_rate", True, None)
    assert [(p["series"], p["periode"], p["value"], p["change"]) for p in points] == [
        ("Rayon 34", "2025-10", 50.0, None), ("Rayon 35", "2025-10", 100.0, None),
        ("Rayon 34", "2025-11", 75.0, 25.0), ("Rayon 35", "2025-11", 90.0, -10.0)]
    single = trend.series_points(series[:1], "paid_nominal", False, "34")
    assert [(p["series"], p["value"], p["periode_label"]) for p in single] == [("Rayon 34", 50, "Oktober 2025")]


@pytest.mark.parametrize("search, expected", [
    ("?periode=2025-11&rayon=34&tab=tren", ("2025-11", "34", "tren")),
    ("?periode=2024-01&rayon=99&tab=nope", ("2025-12", "semua", "ringkasan")),
    ("", ("2025-12", "semua", "ringkasan")),
    (None, ("2025-12", "semua", "ringkasan")),
])
def test_the_view_of_an_address_falls_back_to_defaults(search, expected):
    assert urls.view(search, ["2025-12", "2025-11"], ["34", "35"], ["ringkasan", "tren"]) == expected


def test_a_view_opens_on_the_newest_periode_with_an_mc():
    # 2026-01 holds a few early payments and no MC yet: the month has no target to show.
    stored = [{"periode": "2026-01", "types": ["COLLECTION"]}, {"periode": "2025-12", "types": ["COLLECTION", "MC"]},
              {"periode": "2025-11", "types": ["MC"]}]
    assert default_periode(stored) == "2025-12"
    assert urls.view("", ["2026-01", "2025-12", "2025-11"], ["34"], ["ringkasan"], "2025-12")[0] == "2025-12"
    assert urls.view("?periode=2026-01", ["2026-01", "2025-12"], ["34"], ["ringkasan"], "2025-12")[0] == "2026-01"
    # No MC at all: the newest stored; nothing stored: none.
    assert default_periode([{"periode": "2026-01", "types": ["SBRS"]}, {"periode": "2025-12", "types": ["MB"]}]) \
        == "2026-01"
    assert default_periode([]) is None


def test_links_keep_the_shell_order_and_leave_defaults_out():
    assert urls.link("2025-12", "semua", "ringkasan", "ringkasan") == "?periode=2025-12"
    assert urls.link("2025-12", "34", "pelanggan", "ringkasan", nomen="600") == (
        "?periode=2025-12&rayon=34&tab=pelanggan&nomen=600")
    assert urls.link(None, None, "analisa", new="1", nomen=None) == "?tab=analisa&new=1"
    assert urls.link(None, None, "ringkasan", "ringkasan") == ""
    assert urls.tab_params("?periode=2025-12&tab=pelanggan&nomen=600&x=1") == {"nomen": "600", "x": "1"}
    assert urls.params("?a=1&a=2&b=") == {"a": "1"}
    # A tab's own parameter may be called anything, even like an argument of link().
    assert urls.link("2025-12", None, "pelanggan", "ringkasan", default_tab="x") == (
        "?periode=2025-12&tab=pelanggan&default_tab=x")


def test_the_grid_edge_turns_ag_grid_models_into_a_neutral_request():
    assert parse_sort("volume:desc,nomen", FIELDS, "volume:desc") == (("volume", "desc"), ("nomen", "asc"))
    assert parse_sort(None, FIELDS, "volume:desc") == (("volume", "desc"),)
    assert sort_from_grid([{"colId": "volume", "sort": "asc"}, {"colId": "secret", "sort": "asc"}], FIELDS) == (
        "volume:asc")
    model = {"nomen": {"filterType": "text", "type": "startsWith", "filter": 600},
             "volume": {"operator": "OR", "conditions": [{"type": "lessThan", "filter": "5"},
                                                         {"type": "inRange", "filter": 10, "filterTo": 20}]}}
    assert parse_filters(json.dumps(model), FIELDS) == (
        Test("nomen", "startsWith", "600"),
        Group("OR", (Test("volume", "lessThan", 5.0), Test("volume", "inRange", 10.0, 20.0))))


@pytest.mark.parametrize("text, field, detail", [
    ("not json", "filters", "JSON object"),
    ('{"secret": {"type": "contains", "filter": "x"}}', "filters", "cannot filter on 'secret'"),
    ('{"volume": {"type": "lessThan", "filter": "abc"}}', "filters", "needs a number"),
    ('{"volume": {"conditions": "x"}}', "filters", "list of filter models"),
    ('{"nomen": {"type": "regex", "filter": "x"}}', "filters", "unknown text filter"),
])
def test_the_grid_edge_refuses_what_it_cannot_apply(text, field, detail):
    with pytest.raises(BadParameter) as refused:
        parse_filters(text, FIELDS)
    assert refused.value.field == field and detail in refused.value.detail and refused.value.message


def test_a_deeply_nested_filter_is_refused():
    model: dict = {"type": "equals", "filter": 1}
    for _ in range(50):
        model = {"operator": "AND", "conditions": [model]}
    with pytest.raises(BadParameter):
        parse_filters(json.dumps({"volume": model}), FIELDS)


@pytest.mark.parametrize("value, text", [(999, "Rp 999"), (1500, "Rp 1,5 rb"), (2_000_000, "Rp 2 jt"),
                                         (3_250_000_000, "Rp 3,2 M"), (1e12, "Rp 1 T")])
def test_rupiah_ticks_speak_indonesian_units(value, text):
    assert charts.rupiah_short(value) == text


def test_a_rupiah_axis_starts_at_zero_with_round_steps():
    axis = charts.rupiah_axis([0, 430_000, 1_000_000])
    assert axis["tickvals"][:3] == [0, 200_000, 400_000] and axis["tickvals"][-1] >= 1_000_000
    assert axis["ticktext"][1] == "Rp 200 rb"


def test_an_empty_chart_says_why():
    figure = charts.empty("Belum ada data")
    assert figure["layout"]["annotations"][0]["text"] == "Belum ada data"


def test_the_meter_card_names_the_history_a_check_lacks_from_its_settings():
    missing = ["SBRS 2025-11", "SBRS 2025-10"]
    assert meter.missing_text("spike", missing, "2025-12", Thresholds()) == (
        "Perlu riwayat SBRS minimal 3 dari 6 periode sebelumnya")
    assert meter.missing_text("spike", missing, "2025-12", Thresholds(spike_history=8, spike_min_readings=4)) == (
        "Perlu riwayat SBRS minimal 4 dari 8 periode sebelumnya")
    assert meter.missing_text("drop", ["SBRS 2025-11"], "2025-12", Thresholds()) == "Perlu SBRS November 2025"


def test_the_meter_cards_of_checks_on_actual_reads_say_when_no_code_counts_as_one():
    figures = {"name": "x", "count": 5, "previous": None, "missing": []}
    summary = {"periode": "2025-12", "previous_periode": None, "read_methods": ["30/PE", "PS", "SE"],
               "actual_read_methods": ["ACTUAL"],
               "anomalies": {"estimated": {**figures, "no_actual_reads": True},
                             "extreme": {**figures, "no_actual_reads": False}}}
    cards = json.dumps(meter.build_cards(summary, "estimated", Thresholds()).to_plotly_json(),
                       default=lambda o: o.to_plotly_json())
    note = "Tidak ada kode baca aktual (30/PE, PS, SE bukan ACTUAL); admin dapat mengubahnya di Pengaturan"
    assert meter.no_actual_text(summary) == note
    assert cards.count(note) == 1


def test_tunggakan_cards_without_ardebt_say_which_file_to_upload():
    summary = {"periode": "2026-01", "os": None, "has_ardebt": False, "missing": ["ARDEBT", "COLLECTION"],
               "collected": {"nomen": None, "nominal": None, "previous_periode": "2025-12",
                             "previous_os_nominal": None, "share": None}}
    text = str(arrears.build_cards(summary, None))
    assert "Rp 0" not in text and "'0'" not in text
    assert text.count("Belum ada data: unggah ARDEBT Januari 2026") == 2
    assert "Belum ada data: unggah COLLECTION Januari 2026" in text
    assert "Belum ada data: unggah ARDEBT Desember 2025" in text
    chart = charts.bucket_chart({**summary, "buckets": []})
    assert chart["layout"]["annotations"][0]["text"] == "Belum ada ARDEBT Januari 2026: unggah file tunggakan"


def test_the_money_at_stake_says_which_way_it_goes():
    # docs/ANOMALIES.md: a negative Selisih is water used but possibly not billed.
    assert [checks.direction(d) for d in (-12.5, 30, 0, None)] == ["kurang tagih", "lebih tagih", "", ""]
    rows = meter.display_rows([{"flags": ["drop"], "delta_m3": -8}, {"flags": ["spike"], "delta_m3": 40}])
    assert [r["direction"] for r in rows] == ["kurang tagih", "lebih tagih"]


def test_every_dropdown_speaks_indonesian():
    from pathlib import Path

    from sunter_dash.components.forms import dropdown
    assert dropdown(id="x").labels["search"] == "Cari"
    assert dropdown(id="x").labels["no_options_found"] == "Tidak ada pilihan yang cocok"
    # Dash's own dropdown would say "Search": every one is made by forms.dropdown.
    package = Path(__file__).resolve().parents[2] / "sunter_dash"
    made_elsewhere = [p.name for p in package.rglob("*.py") if "dcc.Dropdown(" in p.read_text(encoding="utf-8")
                      and p.name != "forms.py"]
    assert made_elsewhere == []


def test_a_payment_both_collection_and_mb_hold_is_listed_once():
    from sunter_dash.tabs.customer import payment_rows
    paid = {"pay_date": "2025-12-04", "amount": 150_000, "bill_period": "2025-12"}
    collection = [{**paid, "jenis": "CURRENT", "loket": "BANK"},
                  {"pay_date": "2025-12-20", "amount": 90_000, "bill_period": "2025-11", "jenis": "UNDUE", "loket": "POS"}]
    history = [{**paid, "notag": "N1"}, {"pay_date": "2025-11-03", "amount": 140_000, "bill_period": "2025-11"}]
    rows = payment_rows(collection, history)
    assert [(r["pay_date"], r["amount"], r["source"]) for r in rows] == [
        ("2025-12-04", 150_000, "COLLECTION + MB"), ("2025-12-20", 90_000, "COLLECTION"),
        ("2025-11-03", 140_000, "MB (riwayat)")]
    # Two equal payments in MB and one in COLLECTION: one is shared, the other listed from MB.
    assert [r["source"] for r in payment_rows(collection[:1], [paid, paid])] == ["COLLECTION + MB", "MB (riwayat)"]


def test_the_trend_choices_round_trip_through_the_address():
    link = trend.choices_link("2025-12", "34", "paid_nominal", "2025-01", "2025-12", trend.PER_RAYON)
    assert link == "?periode=2025-12&rayon=34&tab=tren&metrik=paid_nominal&dari=2025-01&sampai=2025-12&tampilan=per-rayon"
    assert trend.asked_choices(link) == {"metric": "paid_nominal", "split": trend.PER_RAYON}
    # Defaults stay out of the address; unknown choices fall back to them.
    assert "metrik" not in trend.choices_link("2025-12", None, "collection_rate", "2025-01", "2025-12", trend.ALL_SERIES)
    assert trend.asked_choices("?tab=tren&metrik=bogus&tampilan=x") == {"metric": "collection_rate",
                                                                       "split": trend.ALL_SERIES}
    stored = ["2025-10", "2025-11", "2025-12"]
    assert trend.range_of(stored, "2025-12", "?dari=2025-11&sampai=2025-11") == ("2025-11", "2025-11")
    assert trend.range_of(stored, "2025-12", "?dari=2024-01&sampai=2025-11") == ("2025-10", "2025-12")  # not stored
    assert trend.range_note("2025-12", "2025-10") == ('"Dari" (Desember 2025) sesudah "Sampai" (Oktober 2025): '
                                                      "ditampilkan Oktober 2025 s/d Desember 2025.")
    assert trend.range_note("2025-10", "2025-12") is None


def test_a_panel_shows_a_spinner_over_its_body_while_it_loads():
    from dash import dcc

    from sunter_dash.components.export_buttons import panel
    card = panel("Judul", [dcc.Graph(id="g")], "kpi-daily")
    loading = card.children.children[1]
    assert isinstance(loading, dcc.Loading) and loading.delay_show == 300
    assert loading.overlay_style["visibility"] == "visible"  # what was there stays, dimmed
    assert loading.children[0].id == "g"
