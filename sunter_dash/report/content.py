"""What the monthly report (Laporan Bulanan) says, as plain data: six sections of facts, tables and
a chart, read from the same queries as the pages and the API, so a figure cannot differ between
them. report/pdf.py and report/xlsx.py only lay it out."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Engine

from .. import queries
from ..domain import checks, files
from ..domain.forecast import COMPLETE, known_gap
from ..domain.labels import BUCKET_LABELS, pcez_label, rayon_label
from ..domain.periodes import date_label, periode_label, shift_periode
from ..formatting import number, percent, rupiah
from ..grid_model import parse_sort
from ..queries.anomalies import DEFAULT_SORT, FIELDS
from ..queries.kpi import known

TOP = 10  # debtors and meter cases listed
PCEZ_PRINTED = 30  # PCEZs in the PDF, so that section 2 fits its page (the workbook has them all)


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[tuple[str, str], ...]  # (heading, kind): rupiah, percent, number, text
    rows: list[tuple]
    note: str | None = None  # said when there are no rows, or under the table
    printed: int | None = None  # the PDF lists this many rows (the workbook all), so a section fits its page


@dataclass
class Section:
    title: str
    facts: list[tuple[str, object, str]] = field(default_factory=list)  # (label, value, kind)
    tables: list[Table] = field(default_factory=list)
    chart: dict | None = None  # what report/charts.py draws: {"kind": ..., data}
    note: str | None = None
    lead: str | None = None  # the section's answer in one sentence, above its figures


@dataclass
class Report:
    periode: str
    rayon: str | None
    title: str
    subtitle: str
    sections: list[Section]


def shown(value, kind: str) -> str:
    """A value as the report prints it, in Indonesian forms; '-' for a figure that is not known."""
    if value is None:
        return "-"
    if kind == "rupiah":
        return rupiah(value)
    if kind == "percent":
        return percent(value)
    if kind == "number":
        return number(value)
    return str(value)


def _at(figures: dict | None, *path):
    for key in path:
        if figures is None:
            return None
        figures = figures[key]
    return figures


def _summary(month: dict, forecast: dict) -> Section:
    section = Section("1. Ringkasan")
    found = forecast["forecast"]
    facts = [
        ("Data per", date_label(month["data_as_of"]) if month["data_as_of"] else "belum ada pembayaran", "text"),
        ("Target (tagihan MC)", _at(month, "target", "nominal"), "rupiah"),
        ("Pelanggan bertagihan", _at(month, "target", "nomen"), "number"),
        ("Terbayar", _at(month, "paid", "nominal"), "rupiah"),
        ("Pelanggan sudah bayar", _at(month, "paid", "nomen"), "number"),
        ("Belum bayar", _at(month, "unpaid", "nominal"), "rupiah"),
        ("Collection rate", month["collection_rate"], "percent"),
        ("Target collection rate", month["goal"], "percent"),
        ("Kekurangan terhadap target", month["gap"], "rupiah"),
    ]
    if found:
        facts += [("Perkiraan akhir bulan", found["rate"], "percent"),
                  ("Rentang perkiraan", f"{percent(found['low'])} - {percent(found['high'])}", "text"),
                  ("Perkiraan terbayar akhir bulan", found["nominal"], "rupiah")]
    else:
        facts.append(("Perkiraan akhir bulan", forecast["reason"] or "-", "text"))
    facts += [
        ("Tunggakan tertagih (UNDUE)", _at(month, "undue", "nominal"), "rupiah"),
        ("Bayar di luar MC", _at(month, "unmatched", "nominal"), "rupiah"),
        ("Pelanggan (baris MC)", month["total_pelanggan"], "number"),
        ("Kubikasi (m³)", month["total_kubikasi"], "number"),
    ]
    year = month["previous_year"]
    if year:
        facts.append((f"Collection rate {periode_label(year['periode'])}", year["collection_rate"], "percent"))
    section.facts = facts
    if month["collection_rate"] is not None and _at(month, "target", "nominal"):
        reached = ("target tercapai" if not month["gap"]
                   else f"kurang {rupiah(month['gap'])} untuk mencapai target {percent(month['goal'])}")
        outlook = (f" Perkiraan akhir bulan {percent(found['rate'])} ({percent(found['low'])} - "
                   f"{percent(found['high'])})." if found else "")
        section.lead = f"Collection rate {percent(month['collection_rate'])}: {reached}.{outlook}"
    if forecast["reason"] == COMPLETE:
        section.note = "Data bulan ini lengkap: angka di atas adalah angka akhir bulan."
    if month["missing"]:
        section.note = f"Belum tersimpan untuk periode ini: {', '.join(month['missing'])} (angkanya '-')."
    return section


def _breakdown(engine: Engine, periode: str, rayon: str | None, goal: float) -> Section:
    by_rayon = queries.kpi_by_rayon(engine, periode)
    rows = [r for r in by_rayon["rayons"] if (rayon is None or r["rayon"] == rayon)
            and (r["rayon"] or r["target"]["nominal"] or r["paid"]["nominal"])]
    if rayon is None:
        rows.append({**by_rayon["total"], "rayon": "Total"})
    kpi_columns = (("Target (Rp)", "rupiah"), ("Terbayar (Rp)", "rupiah"), ("Belum bayar (Rp)", "rupiah"),
                   ("CR", "percent"), ("Kurang (Rp)", "rupiah"))

    stored = queries.types_of(engine, periode)

    def figures(r: dict) -> tuple:
        r = known(r, stored)[0]  # a figure whose file is not stored is '-', not 0
        target, paid = _at(r, "target", "nominal"), _at(r, "paid", "nominal")
        return (target, paid, _at(r, "unpaid", "nominal"), r["collection_rate"],
                known_gap(goal, target, paid) if target else None)
    per_rayon = Table("Per rayon", (("Rayon", "text"), *kpi_columns),
                      [("Total" if r["rayon"] == "Total" else rayon_label(r["rayon"]), *figures(r)) for r in rows])
    pcez = queries.kpi_by_pcez(engine, periode, rayon)
    # The PCEZs furthest from the goal first: where the month is won or lost.
    lines = sorted(((pcez_label(r["pcez"]) if r["pcez"] else "Tanpa PCEZ", *figures(r))
                    for r in pcez["rows"] if r["target"]["nominal"] or r["paid"]["nominal"]),
                   key=lambda line: (-(line[5] or 0), line[0]))
    per_pcez = Table("Per PCEZ, kekurangan terbesar dulu", (("PCEZ", "text"), *kpi_columns), lines,
                     note=(f"{PCEZ_PRINTED} dari {len(lines)} PCEZ; daftar lengkap di file .xlsx."
                           if len(lines) > PCEZ_PRINTED else None) if lines else "Belum ada MC untuk periode ini.",
                     printed=PCEZ_PRINTED)
    return Section("2. Per rayon dan per PCEZ", tables=[per_rayon, per_pcez])


def _daily(engine: Engine, periode: str, rayon: str | None, goal: float, forecast: dict) -> Section:
    daily = queries.kpi_daily(engine, periode, rayon)
    year_ago = shift_periode(periode, -12)
    # Last year's curve where its rate is known: its MC and its payments stored.
    last_year = (queries.kpi_daily(engine, year_ago, rayon)
                 if {"MC", "COLLECTION"} <= queries.types_of(engine, year_ago) else None)
    day = forecast["day"] or 0
    rows = [(int(d["date"][8:10]), d["nomen"], d["nominal"],
             d["cumulative_rate"] if i < day and daily["target_nominal"] else None,
             d["previous_cumulative_rate"] if daily["previous_target_nominal"] else None)
            for i, d in enumerate(daily["days"])]
    table = Table("Pembayaran per hari", (("Tanggal", "number"), ("Pembayaran", "number"), ("Nominal (Rp)", "rupiah"),
                                          ("CR kumulatif", "percent"),
                                          (f"CR kumulatif {periode_label(daily['previous_periode'])}", "percent")),
                  rows)
    return Section("3. Harian", tables=[table], chart={"kind": "progress", "daily": daily, "last_year": last_year,
                                                       "goal": goal, "forecast": forecast})


def _arrears(engine: Engine, periode: str, rayon: str | None) -> Section:
    summary = queries.arrears_summary(engine, periode, rayon)
    section = Section("4. Tunggakan")
    if not summary["has_ardebt"]:
        section.note = "Belum ada ARDEBT untuk periode ini: tunggakan belum diketahui."
        return section
    section.facts = [("Pelanggan menunggak (OS)", summary["os"]["nomen"], "number"),
                     ("Total tunggakan (OS)", summary["os"]["nominal"], "rupiah"),
                     ("Tunggakan tertagih bulan ini", summary["collected"]["nominal"], "rupiah"),
                     ("Tertagih dari OS bulan lalu", summary["collected"].get("share"), "percent")]
    section.tables = [
        Table("Umur tunggakan", (("Rekening tertunggak", "text"), ("Pelanggan", "number"), ("Nominal (Rp)", "rupiah")),
              [(BUCKET_LABELS[b["bucket"]], b["nomen"], b["nominal"]) for b in summary["buckets"]]),
        Table(f"{TOP} penunggak terbesar", (("Nomen", "text"), ("Nama", "text"), ("Rayon", "text"),
                                            ("Rekening", "number"), ("Total (Rp)", "rupiah")),
              [(d["nomen"], d["nama"] or "", d["rayon"] or "", d["bills"], d["total"])
               for d in queries.arrears_top(engine, periode, rayon, TOP)]),
    ]
    section.chart = {"kind": "buckets", "buckets": summary["buckets"]}
    return section


def _meter(engine: Engine, periode: str, rayon: str | None) -> Section:
    summary = queries.anomaly_summary(engine, periode, rayon)
    counts = Table("Jumlah pelanggan per anomali", (("Anomali", "text"), ("Pelanggan", "number"),
                                                     ("Bulan lalu", "number"), ("Keterangan", "text")),
                   [(a["name"], a["count"], a["previous"],
                     f"butuh {', '.join(a['missing'])}" if a["missing"] else "")
                    for a in summary["anomalies"].values()])
    sort = parse_sort(DEFAULT_SORT, FIELDS, DEFAULT_SORT)
    # Each check's top customers by Rupiah at stake; a customer flagged by several checks once.
    cases: dict[str, tuple[dict, list[str]]] = {}
    for key in checks.names():
        if summary["anomalies"][key]["missing"]:
            continue
        for row in queries.anomaly_page(engine, periode, key, rayon, 0, TOP, sort)["rows"]:
            cases.setdefault(row["nomen"], (row, []))[1].append(summary["anomalies"][key]["name"])
    ranked = sorted(cases.values(), key=lambda c: (-(c[0].get("at_stake") or 0), c[0]["nomen"]))[:TOP]
    top = Table(f"{TOP} kasus teratas (nilai dipertaruhkan)",
                (("Nomen", "text"), ("Nama", "text"), ("Anomali", "text"), ("Pemakaian (m³)", "number"),
                 ("Dipertaruhkan (Rp)", "rupiah")),
                [(r["nomen"], r.get("nama") or "", ", ".join(names), r.get("volume"), r.get("at_stake") or 0)
                 for r, names in ranked],
                note="Belum ada anomali untuk periode ini." if not ranked else None)
    return Section("5. Meter", tables=[counts, top])


def _data(engine: Engine, periode: str) -> Section:
    stored = {r["type"]: r["rows"] for r in queries.data_status(engine) if r["periode"] == periode}
    rows = [(name, stored.get(name), "tersimpan" if name in stored else "belum diunggah") for name in files.names()]
    with engine.connect() as conn:
        as_of = queries.data_as_of(conn, periode)
    return Section("6. Status data", tables=[Table(f"File tersimpan untuk {periode_label(periode)}",
                                                   (("Tipe file", "text"), ("Baris", "number"), ("Status", "text")),
                                                   rows)],
                   facts=[("Pembayaran terakhir (data per)", date_label(as_of.isoformat()) if as_of else "-", "text")])


def build(engine: Engine, periode: str, rayon: str | None, goal: float, branch: str,
          printed: dt.datetime) -> Report:
    """The report of a periode (and a rayon, or all) with the goal in force for it."""
    month = queries.kpi_month(engine, periode, rayon, goal)
    forecast = queries.kpi_forecast(engine, periode, rayon)
    where = f"Rayon {rayon}" if rayon else "semua rayon"
    return Report(periode, rayon, f"Laporan Bulanan {periode_label(periode)}",
                  f"{branch} · {where} · dicetak {printed:%d-%m-%Y %H:%M} {printed.tzname() or ''}".rstrip(),
                  [_summary(month, forecast), _breakdown(engine, periode, rayon, goal),
                   _daily(engine, periode, rayon, goal, forecast), _arrears(engine, periode, rayon),
                   _meter(engine, periode, rayon), _data(engine, periode)])
