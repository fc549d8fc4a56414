"""Tab "Pelanggan": find a customer by NOMEN, name or address, and see its profile:
identity, volume and stands over the periodes, readings, bills, payments, arrears,
meter flags and analyses.

The profile lives in the URL (``?tab=pelanggan&nomen=60012345``): the search results
link there, and so does every NOMEN cell of other tabs' grids (grids.nomen_column), so a
profile can be bookmarked, shared and reached from any row.
"""
from __future__ import annotations

from collections import Counter

import dash_bootstrap_components as dbc
from dash import Dash, Input, Output, State, dcc, html, no_update

from .. import ids, queries, urls
from ..auth import current_actor, may
from ..components import charts
from ..components.cards import missing_alert
from ..components.grids import column, grid, tab_link_column
from ..domain import checks
from ..domain.cases import PRIORITY_LABELS, STATUS_LABELS, type_labels
from ..domain.clock import wall
from ..domain.errors import Forbidden
from ..domain.followups import RESULT_LABELS
from ..domain.listing import rayon_filter
from ..domain.periodes import periode_label
from ..extensions import app_engine, branch_zone
from ..formatting import number, rupiah
from ..services import scope
from . import followup_form
from .base import Tab, guarded
from .followup_form import FormIds

TAB_ID = "pelanggan"
LABEL = "Pelanggan"
SEARCH = "customer-search"
RESULTS = "customer-results"
PROFILE = "customer-profile"
IDENTITY = "customer-identity"
CHART = "customer-chart"
HISTORY_GRID = "customer-history-grid"
READINGS_GRID = "customer-readings-grid"
BILLS_GRID = "customer-bills-grid"
PAYMENTS_GRID = "customer-payments-grid"
ARREARS_GRID = "customer-arrears-grid"
FLAGS_GRID = "customer-flags-grid"
ANALYSES_GRID = "customer-analyses-grid"
FOLLOWUPS_GRID = "customer-followups-grid"
FOLLOWUPS = "customer-followups"  # the section's body: redrawn when a follow-up is saved here
FORM = FormIds("customer")  # the follow-up form (tabs/followup_form.py)
NEW_ANALYSIS = "customer-new-analysis"

SEARCH_LIMIT = 20
SEARCH_MAX = 100  # characters, as the API allows
ANALYSIS_TAB = "analisa"

PERIODE = {"minWidth": 100, "flex": 0, "width": 110}
HISTORY_COLUMNS = [
    column("periode", "Periode", "periode", sort="desc", pinned="left", **PERIODE),
    column("stand_lalu", "Stand Lalu", "number", minWidth=105),
    column("stand_kini", "Stand Kini", "number", minWidth=105),
    column("volume", "Pakai (m³)", "number", minWidth=105),
    column("read_method", "Metode Baca", minWidth=120),
    column("mc_nominal", "Target MC", "rupiah", minWidth=120),
    column("bill_total", "Tagihan", "rupiah", minWidth=120),
    column("paid_current", "Bayar Current", "rupiah", minWidth=130),
    column("paid_undue", "Bayar Tunggakan", "rupiah", minWidth=140),
    column("arrears_total", "Saldo Tunggakan", "rupiah", minWidth=140),
    column("flag_names", "Anomali", minWidth=180),
]
READING_COLUMNS = [
    column("periode", "Periode", "periode", sort="desc", pinned="left", **PERIODE),
    column("read_date", "Tgl Baca", "date", minWidth=110),
    column("stand_lalu", "Stand Lalu", "number", minWidth=105),
    column("stand_kini", "Stand Kini", "number", minWidth=105),
    column("pakai", "Pakai di File", "number", minWidth=115),
    column("volume", "Volume (m³)", "number", minWidth=115),
    column("read_method", "Metode Baca", minWidth=120),
    column("skip_code", "Kode Skip", minWidth=130),
    column("trouble_code", "Kode Trouble", minWidth=120),
    column("special_msg", "Pesan Khusus", minWidth=130),
    column("bill_amount", "Tagihan SBRS", "rupiah", minWidth=120),
]
BILL_COLUMNS = [
    column("periode", "Periode", "periode", sort="desc", pinned="left", **PERIODE),
    column("source", "Sumber", minWidth=110),
    column("bill_period", "Periode Rek", "periode", minWidth=110),
    column("date", "Tgl Tagihan", "date", minWidth=110),
    column("jenis", "Jenis Rek"),
    column("m3", "Pakai (m³)", "number"),
    column("tarif", "Tarif"),
    column("nominal", "Tagihan", "rupiah", minWidth=120),
]
PAYMENT_COLUMNS = [
    column("pay_date", "Tgl Bayar", "date", sort="desc", pinned="left", minWidth=110, flex=0, width=115),
    column("bill_period", "Periode Rek", "periode", minWidth=110),
    column("jenis", "Jenis", minWidth=100),
    column("amount", "Jumlah", "rupiah", minWidth=120),
    column("loket", "Loket", minWidth=110),
    column("notag", "No Tagihan", minWidth=120),
    column("source", "Sumber", minWidth=120),
]
ARREARS_COLUMNS = [
    column("periode", "Periode", "periode", sort="desc", **PERIODE),
    column("bills", "Rek", "number", minWidth=70),
    column("total", "Tunggakan", "rupiah", minWidth=120),
    column("oldest_bill", "Rek Tertua", "periode", minWidth=110),
]
FLAG_COLUMNS = [
    column("periode", "Periode", "periode", sort="desc", **PERIODE),
    column("name", "Anomali", minWidth=160),
    column("stand_lalu", "Stand Lalu", "number", minWidth=100),
    column("stand_kini", "Stand Kini", "number", minWidth=100),
    column("volume", "Pakai (m³)", "number", minWidth=100),
    column("prev_volume", "Pakai Lalu", "number", minWidth=100),
    column("delta_m3", "Selisih (m³)", "number", minWidth=110),
    column("at_stake", "Nilai", "rupiah", minWidth=110),
]
FOLLOWUP_COLUMNS = [
    column("visit_date", "Kunjungan", "date", minWidth=110, flex=0, width=120),
    column("periode", "Periode", "periode", **PERIODE),
    column("result", "Hasil", minWidth=120),
    column("promise_date", "Janji bayar", "date", minWidth=110, flex=0, width=120),
    column("note", "Catatan", minWidth=200),
    column("created_by", "Dicatat oleh", minWidth=110),
]
ANALYSIS_COLUMNS = [
    tab_link_column("id", "No", ANALYSIS_TAB, "case", "Buka analisa", minWidth=70, flex=0, width=75),
    column("periode", "Periode", "periode", **PERIODE),
    column("type", "Jenis", minWidth=160),
    column("status", "Status", minWidth=100),
    column("priority", "Prioritas", minWidth=100),
    column("assigned_to", "Ditugaskan ke", minWidth=130),
    column("created_at", "Dibuat", minWidth=160),
    column("description", "Keterangan", minWidth=200),
]


def layout() -> html.Div:
    return html.Div([
        dbc.Card(dbc.CardBody([
            dbc.Label("Cari pelanggan", html_for=SEARCH, className="fw-semibold"),
            dcc.Input(id=SEARCH, type="search", debounce=0.4, autoComplete="off", maxLength=SEARCH_MAX,
                      className="form-control",
                      placeholder="Awal nomen (mis. 60012) atau kata dari nama dan alamat (mis. budi sunter)"),
            html.Div(id=RESULTS, className="mt-2"),
        ]), className="mb-3"),
        html.Div(id=PROFILE),
    ])


# --- addresses ------------------------------------------------------------------------------

def profile_href(nomen: str, periode: str | None, rayon: str | None) -> str:
    """The profile's address, keeping the page's periode and rayon."""
    return urls.link(periode, rayon, TAB_ID, nomen=nomen)


def new_analysis_href(nomen: str, periode: str | None, rayon: str | None) -> str:
    """The Analisa tab's form for a new case on this customer and periode."""
    return urls.link(periode, rayon, ANALYSIS_TAB, new="1", nomen=nomen)


# --- search ---------------------------------------------------------------------------------

def build_results(q: str | None, periode: str | None, rayon: str | None):
    q = (q or "").strip()
    if not q:
        return None
    if len(q) > SEARCH_MAX:
        return _note(f"Kata pencarian terlalu panjang (paling banyak {SEARCH_MAX} huruf).")
    rayon = rayon_filter(rayon)
    # A petugas finds its own customers only.
    found = scope.customer_search(app_engine(), current_actor(), q, rayon, SEARCH_LIMIT + 1)
    where = f" di Rayon {rayon}" if rayon else ""
    if not found:
        hint = " Pilih Rayon Semua untuk mencari di semua rayon." if rayon else ""
        return _note(f"Tidak ada pelanggan{where} yang cocok dengan “{q}”.{hint}")
    items = [dcc.Link([
        html.Span(r["nomen"], className="customer-result-nomen"),
        html.Span(r["nama"] or "(tanpa nama)", className="customer-result-name"),
        html.Span(r["alamat"] or "", className="customer-result-address"),
        html.Span(" · ".join(part for part in (f"Rayon {r['rayon']}" if r["rayon"] else "", r["tarif"] or "")
                             if part), className="customer-result-meta"),
    ], href=profile_href(r["nomen"], periode, rayon), className="list-group-item list-group-item-action customer-result")
        for r in found[:SEARCH_LIMIT]]
    more = len(found) > SEARCH_LIMIT
    caption = (f"Lebih dari {SEARCH_LIMIT} pelanggan{where} cocok; yang tampil {SEARCH_LIMIT} pertama. "
               "Tambah kata untuk mempersempit." if more else f"{number(len(found))} pelanggan{where} cocok.")
    return html.Div([html.Div(caption, className="customer-results-caption"),
                     html.Div(items, className="list-group customer-results-list")])


def _note(message: str) -> html.Div:
    return html.Div([html.I(className="bi bi-info-circle me-2"), message], className="customer-note")


# --- the profile ----------------------------------------------------------------------------

def update(nomen: str | None, periode: str | None, rayon: str | None):
    if not nomen:
        return _note("Cari pelanggan di atas, atau klik nomen di tabel tab lain, untuk melihat profilnya.")
    if not (nomen.isascii() and nomen.isdigit()) or len(nomen) > 20:
        return missing_alert(f"Nomen “{nomen[:40]}” tidak valid: nomen hanya berisi angka.")
    actor = current_actor()
    try:
        scope.check_customer(app_engine(), actor, nomen)
    except Forbidden as refused:
        return missing_alert(refused.message)
    profile = queries.customer_profile(app_engine(), nomen)
    if profile is None:
        return missing_alert(f"Pelanggan {nomen} tidak ditemukan di data yang tersimpan.")
    return build_profile(scope.profile(actor, profile), periode, rayon)


def build_profile(profile: dict, periode: str | None, rayon: str | None) -> html.Div:
    types = {t for found in profile["stored"].values() for t in found}
    return html.Div([
        _side_by_side(identity_card(profile), 4, _section("Pemakaian dan stand meter", dcc.Graph(
            id=CHART, figure=charts.reading_chart(profile["history"], checks.names()), config={"displayModeBar": False}),
            beside=True), 8),
        _section("Riwayat per periode", _history(profile)),
        _section("Pembacaan meter (SBRS)", _readings(profile, types)),
        _section("Tagihan (MAINBILL dan target MC)", _bills(profile, types)),
        _section("Pembayaran (COLLECTION dan MB)", _payments(profile, types)),
        _side_by_side(_section("Tunggakan (ARDEBT)", _arrears(profile, types), beside=True), 5,
                      _section("Anomali meter", _flags(profile, types), beside=True), 7),
        _section("Tindak lanjut penagihan", html.Div(_followups(profile["followups"]), id=FOLLOWUPS)),
        _followup_form(profile, periode),
        _analyses(profile, periode, rayon) if "analyses" in profile else None,  # not a petugas's
    ], className="customer-profile")


def _section(title, body, action=None, beside: bool = False) -> dbc.Card:
    """A titled card; ``beside`` another card in a row, it takes the row's height."""
    heading = html.Div([html.H5(title, className="card-title mb-0"), action],
                       className="d-flex justify-content-between align-items-center mb-2")
    return dbc.Card(dbc.CardBody([heading, body]), className="h-100" if beside else "mt-3")


def _side_by_side(left, left_width: int, right, right_width: int) -> html.Div:
    return html.Div(dbc.Row([dbc.Col(left, lg=left_width), dbc.Col(right, lg=right_width)], className="g-3"),
                    className="mt-3")


def _nothing(message: str) -> html.Div:
    return html.Div([html.I(className="bi bi-inbox me-2"), message], className="customer-empty")


def _missing(types: set[str], needed: tuple[str, ...], what: str) -> html.Div:
    """Why a part is empty: no such file uploaded at all, or nothing of this customer in them."""
    if not types.intersection(needed):
        return _nothing(f"Belum ada data {' atau '.join(needed)} yang diunggah.")
    return _nothing(f"Belum ada data {what} untuk pelanggan ini.")


def identity_card(profile: dict) -> dbc.Card:
    who = profile["identity"]
    status = who["status"]
    facts = [("Rayon", who["rayon"]), ("Tarif", who["tarif"]), ("Zona Novak", who["zona_novak"]),
             ("PCEZ", who["pcez"]), ("No. Meter", who["nomet"]), ("Status", status),
             ("Data terakhir", f"{periode_label(who['periode'])} ({who['source']})" if who["periode"] else None)]
    return dbc.Card(dbc.CardBody([
        html.Div([html.Span(profile["nomen"], className="customer-nomen"),
                  dbc.Badge(status, color="success" if status in (None, "AKTIF", "ACTIVE") else "secondary",
                            className="ms-2") if status else None]),
        html.H4(who["nama"] or "(nama tidak diketahui)", className="customer-name"),
        html.Div(who["alamat"] or "-", className="customer-address"),
        html.Dl([part for label, value in facts for part in (html.Dt(label), html.Dd(value or "-"))],
                className="customer-facts"),
        html.Div(_figures(profile), className="customer-figures"),
    ]), id=IDENTITY, className="h-100")


def _figures(profile: dict) -> list:
    """The latest arrears, payment and reading, as one line each."""
    ardebt = [p for p, found in profile["stored"].items() if "ARDEBT" in found]
    if not ardebt:
        owed = "Belum ada data ARDEBT"
    else:
        latest = next((a for a in profile["arrears"] if a["periode"] == ardebt[-1]), None)
        owed = (f"{rupiah(latest['total'])} ({number(latest['bills'])} rek) per {periode_label(latest['periode'])}"
                if latest and latest["total"] else f"Tidak menunggak per {periode_label(ardebt[-1])}")
    paid = profile["payments"] + profile["mb_payments"]
    last = max(paid, key=lambda p: p["pay_date"], default=None)
    payment = f"{rupiah(last['amount'])} pada {_date(last['pay_date'])}" if last else "Belum ada data pembayaran"
    reading = profile["readings"][-1] if profile["readings"] else None
    used = (f"{number(reading['volume'])} m³ ({periode_label(reading['periode'])})" if reading
            else "Belum ada data pembacaan")
    return [html.Div([html.I(className=f"bi {icon} me-2"), html.Span(label, className="customer-figure-label"),
                      html.Span(value, className="customer-figure-value")], className="customer-figure")
            for icon, label, value in (("bi-wallet2", "Tunggakan", owed), ("bi-cash-coin", "Bayar terakhir", payment),
                                       ("bi-speedometer2", "Pakai terakhir", used))]


def _date(iso: str) -> str:
    return f"{iso[8:10]}-{iso[5:7]}-{iso[:4]}"


def _history(profile: dict):
    # A month without payments shows blank, not Rp 0, like the other figures it lacks.
    names = checks.names()
    rows = [{**h, "flag_names": ", ".join(names.get(f, f) for f in h["flags"]),
             **({} if h["payments"] else {"paid_current": None, "paid_undue": None})} for h in profile["history"]]
    if not rows:
        return _nothing("Belum ada data yang diunggah.")
    return grid(HISTORY_GRID, HISTORY_COLUMNS, rows)


def _readings(profile: dict, types: set[str]):
    if not profile["readings"]:
        return _missing(types, ("SBRS",), "pembacaan meter")
    return grid(READINGS_GRID, READING_COLUMNS, profile["readings"])


def _bills(profile: dict, types: set[str]):
    rows = [{"periode": b["periode"], "source": "MAINBILL", "bill_period": b["bill_period"], "date": b["tgl_tagihan"],
             "jenis": b["jenis_rek"], "m3": b["pakai"], "tarif": b["tarif"], "nominal": b["total"]}
            for b in profile["bills"]]
    rows += [{"periode": m["periode"], "source": "MC (target)", "bill_period": m["periode"], "date": None,
              "jenis": None, "m3": m["kubik"], "tarif": m["tarif"], "nominal": m["nominal"]} for m in profile["mc"]]
    if not rows:
        return _missing(types, ("MAINBILL", "MC"), "tagihan")
    notes = [] if "MAINBILL" in types else [_nothing("Belum ada data MAINBILL yang diunggah; yang tampil target MC.")]
    return html.Div([*notes, grid(BILLS_GRID, BILL_COLUMNS, rows)])


def payment_rows(collection: list[dict], history: list[dict]) -> list[dict]:
    """COLLECTION's payments and MB's, a payment both hold (same pay date, amount and bill
    periode; the customer is the same) listed once, naming both sources."""
    def key(p: dict) -> tuple:
        return p["pay_date"], p["amount"], p["bill_period"]
    in_history = Counter(key(p) for p in history)
    rows = []
    for p in collection:
        both = in_history[key(p)] > 0
        in_history[key(p)] -= both
        rows.append({**p, "source": "COLLECTION + MB" if both else "COLLECTION"})
    for p in history:  # those COLLECTION did not hold
        if in_history[key(p)] > 0:
            in_history[key(p)] -= 1
            rows.append({**p, "jenis": None, "loket": None, "source": "MB (riwayat)"})
    return rows


def _payments(profile: dict, types: set[str]):
    rows = payment_rows(profile["payments"], profile["mb_payments"])
    if not rows:
        return _missing(types, ("COLLECTION", "MB"), "pembayaran")
    return grid(PAYMENTS_GRID, PAYMENT_COLUMNS, rows, pagination=len(rows) > 24, paginationPageSize=24,
                paginationPageSizeSelector=False)


def _arrears(profile: dict, types: set[str]):
    if not profile["arrears"]:
        if "ARDEBT" in types:
            return _nothing("Pelanggan ini tidak ada di data tunggakan (ARDEBT) yang tersimpan.")
        return _missing(types, ("ARDEBT",), "tunggakan")
    return grid(ARREARS_GRID, ARREARS_COLUMNS, profile["arrears"])


def _flags(profile: dict, types: set[str]):
    if not profile["flags"]:
        if "SBRS" in types or "MAINBILL" in types:
            return _nothing("Tidak ada anomali meter pada pelanggan ini.")
        return _nothing("Belum ada data SBRS yang diunggah, anomali meter belum dapat diperiksa.")
    names = checks.names()
    rows = [{**f, "name": names.get(f["flag"], f["flag"])} for f in profile["flags"]]
    return grid(FLAGS_GRID, FLAG_COLUMNS, rows)


def _followups(found: list[dict]):
    """What field visits found (tab Penagihan, /api/followups), newest first."""
    rows = [{**f, "result": RESULT_LABELS.get(f["result"], f["result"])} for f in found]
    return grid(FOLLOWUPS_GRID, FOLLOWUP_COLUMNS, rows) if rows else _nothing(
        "Belum ada kunjungan penagihan yang dicatat untuk pelanggan ini.")


def _followup_form(profile: dict, periode: str | None):
    """A visit to this customer, recorded for the page's periode (by who may record follow-ups;
    the service checks the customer is theirs)."""
    if not may(followup_form.PERMISSION):
        return None
    periode = periode or profile["identity"]["periode"] or next(reversed(profile["stored"]), None)
    if not periode:
        return None
    return followup_form.card(FORM, f"Untuk {profile['nomen']} · {profile['identity'].get('nama') or ''}, "
                                    f"periode {periode_label(periode)}.", True)


def _analyses(profile: dict, periode: str | None, rayon: str | None) -> dbc.Card:
    nomen = profile["nomen"]
    periode = periode or profile["identity"]["periode"] or next(reversed(profile["stored"]), None)
    create = dcc.Link([html.I(className="bi bi-plus-lg me-1"), "Buat analisa"], id=NEW_ANALYSIS,
                      href=new_analysis_href(nomen, periode, rayon), className="btn btn-primary btn-sm")
    rows = [{"id": a["id"], "periode": a["periode"], "type": type_labels().get(a["anomaly_type"], a["anomaly_type"]),
             "status": STATUS_LABELS.get(a["status"], a["status"]),
             "priority": PRIORITY_LABELS.get(a["priority"], a["priority"]), "assigned_to": a["assigned_to"],
             "created_at": wall(a["created_at"], branch_zone()), "description": a["description"]} for a in profile["analyses"]]
    body = grid(ANALYSES_GRID, ANALYSIS_COLUMNS, rows) if rows else _nothing("Belum ada analisa untuk pelanggan ini.")
    return _section("Analisa", body, create)


def register_callbacks(app: Dash) -> None:
    @app.callback(Output(RESULTS, "children"), Input(SEARCH, "value"), Input(ids.PERIODE, "value"),
                  Input(ids.RAYON, "value"))
    def search(q, periode, rayon):
        return build_results(q, periode, rayon)

    @app.callback(Output(PROFILE, "children"), Input(ids.URL, "search"))
    def show(search):
        asked = urls.params(search)
        return update(asked.get("nomen"), asked.get("periode"), asked.get("rayon"))

    @app.callback(Output(FORM.saved, "children"), Output(FOLLOWUPS, "children"), Input(FORM.save, "n_clicks"),
                  State(ids.URL, "search"), State(ids.PERIODE, "value"), State(FORM.result, "value"),
                  State(FORM.visit, "value"), State(FORM.promise, "value"), State(FORM.note, "value"),
                  prevent_initial_call=True)
    @guarded(followup_form.PERMISSION)
    def record(clicked, search, shell_periode, result, visit, promise, note):
        asked = urls.params(search)
        nomen, periode = asked.get("nomen"), asked.get("periode") or shell_periode
        if not clicked or not nomen or not periode:
            return no_update, no_update
        told, saved = followup_form.save(FORM, nomen, periode, result, visit, promise, note)
        if not saved:
            return told, no_update
        return told, _followups(queries.customer_followups(app_engine(), nomen))


TAB = Tab(TAB_ID, LABEL, layout, register_callbacks, "profile")
