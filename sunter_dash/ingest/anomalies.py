"""Meter-reading anomalies (METRICS.md) and the customer directory, kept with the summaries.

``meter_flag`` holds one row per (periode, anomaly, customer). It is recomputed,
inside the transaction that changes its inputs, for the periodes a change can
reach:

- SBRS(Q) feeds the checks of Q and of the periodes that look back at Q: drop and
  misrecord (one periode), stuck (``stuck_periodes - 1``), spike (``spike_history``);
- MC(Q) feeds Q's inactive_use, names, rayons and prices; MAINBILL(Q) Q's rebill
  and prices;
- when an MC moves a customer's most recent rayon, the flags of other periodes get
  their rayon again (the rayon rule of METRICS.md reaches into the latest MC).

Decisions where METRICS.md leaves room (also in docs/ANOMALIES.md):

- A customer read twice in a periode: every row is checked; a flag holds when any
  row raises it, and the list shows the first row that raised it. Looking back, a
  periode's reading of a customer is its last row.
- The history of ``spike`` is the customer's readings in the ``spike_history``
  periodes before P (at most one per periode), of which at least
  ``spike_min_readings`` must exist.
- No reading in P-1: drop and misrecord's comparison with P-1 are not evaluated;
  misrecord's own check of a stated PAKAI against the stands still is.
- ``stuck`` needs a zero ACTUAL read in P and in each of the periodes before it.
- ``inactive_use``: MC(P)'s status (CUST_TYPE/STATUS) is one of INACTIVE.
- The money at stake is ``|delta_m3| x price_m3``. price_m3 is the customer's bills of
  MAINBILL(P) divided by their m3, else MC(P)'s NOMINAL / KUBIK, else the same over
  the customer's MC rows of the six periodes before P. delta_m3 is the volume
  in question: against the expected volume (median of the history, else P-1's
  volume) for extreme, zero, estimated, spike, stuck and tamper; against P-1's
  volume for drop; the negative difference of the stands (or the stated negative
  PAKAI) for negative; the gap between the stands of P-1 and P (or between the
  stated PAKAI and the stands) for misrecord; the whole volume for inactive_use. A
  rebill has no volume; its money at stake is a negative SBRS Bill_Amount.
"""
from __future__ import annotations

import json
from dataclasses import asdict

import numpy as np
import pandas as pd
from sqlalchemy import Engine, bindparam, delete, select, text, update
from sqlalchemy.engine import Connection

from ..config import Thresholds
from ..models import AnomalySetting, MeterFlag
from .detect import shift_periode

# key -> name shown in the UI, in METRICS.md's order.
ANOMALIES = {
    "extreme": "Pemakaian Ekstrem",
    "drop": "Pemakaian Turun",
    "zero": "Pemakaian Nol",
    "negative": "Stand Negatif",
    "misrecord": "Salah Catat",
    "rebill": "Rebill",
    "estimated": "Bukan Baca Aktual",
    "spike": "Lonjakan vs Riwayat",
    "stuck": "Meter Macet",
    "inactive_use": "Pakai Saat Nonaktif",
    "tamper": "Indikasi Pelanggaran",
}
INACTIVE = {"NONAKTIF", "NON AKTIF", "NON-AKTIF", "PUTUS", "TUTUP", "INACTIVE", "CLOSED"}
ACTUAL = "ACTUAL"
CORRECTION = {"REBILL", "KOREKSI"}

READING_COLUMNS = ["stand_lalu", "stand_kini", "pakai", "volume", "prev_stand_kini", "prev_volume",
                   "median_volume", "read_method", "trouble_code"]


# --- thresholds ---------------------------------------------------------------------------

def stored_thresholds(conn: Connection) -> Thresholds:
    """The thresholds the stored flags follow (the defaults before any were stored)."""
    stored = conn.execute(select(AnomalySetting.thresholds).where(AnomalySetting.id == 1)).scalar()
    if not stored:
        return Thresholds()
    known = {k: v for k, v in json.loads(stored).items() if k in Thresholds.__dataclass_fields__}
    return Thresholds(**known)


def sync_thresholds(engine: Engine, wanted: Thresholds) -> bool:
    """Store the configured thresholds; when they differ from those the flags were
    computed with, recompute every flag. True when a recomputation ran. Safe when
    several processes start at once (gunicorn workers): the first stores the row,
    the others wait for it and find it equal."""
    wanted_json = json.dumps(asdict(wanted))
    with engine.begin() as conn:
        created = conn.execute(text("INSERT INTO anomaly_setting (id, thresholds) VALUES (1, :t) "
                                    "ON CONFLICT (id) DO NOTHING"), {"t": wanted_json}).rowcount
        if created:
            # Flags stored so far (by the migration) follow the defaults.
            changed = wanted != Thresholds()
        else:
            stored = conn.execute(select(AnomalySetting.thresholds).where(AnomalySetting.id == 1)
                                  .with_for_update()).scalar()
            known = {k: v for k, v in json.loads(stored).items() if k in Thresholds.__dataclass_fields__}
            changed = Thresholds(**known) != wanted
            if changed:
                conn.execute(update(AnomalySetting).where(AnomalySetting.id == 1).values(thresholds=wanted_json))
        if not changed:
            return False
        rebuild_flags(conn, wanted)
        from .summaries import bump_version
        bump_version(conn)
        return True


def lookback(thresholds: Thresholds) -> int:
    """How many periodes back the checks of P read SBRS."""
    return max(1, thresholds.stuck_periodes - 1, thresholds.spike_history)


# --- reading the inputs -------------------------------------------------------------------

def _frame(conn: Connection, sql: str, params: dict) -> pd.DataFrame:
    result = conn.execute(text(sql), params)
    # The driver's own tuples: building a million Row objects would cost more than the query.
    return pd.DataFrame(result.cursor.fetchall(), columns=list(result.keys()))


def _upper(series: pd.Series) -> pd.Series:
    cleaned = series.astype("string").str.strip().str.upper()
    return cleaned.where(cleaned != "")


def _history(conn: Connection, first: str, last: str) -> pd.DataFrame:
    """The last SBRS row of each customer in each periode from ``first`` to ``last``."""
    frame = _frame(conn, """
        SELECT periode, nomen, stand_kini, volume, read_method FROM sbrs
        WHERE periode BETWEEN :a AND :b ORDER BY periode, nomen, id""", {"a": first, "b": last})
    frame = frame.drop_duplicates(["periode", "nomen"], keep="last")
    frame["volume"] = frame["volume"].astype("float64")
    frame["read_method"] = _upper(frame["read_method"])
    return frame


def _readings(conn: Connection, periode: str) -> pd.DataFrame:
    frame = _frame(conn, """
        SELECT id, nomen, stand_lalu, stand_kini, pakai, volume, read_method, trouble_code, special_msg,
               bill_amount, rayon, nama, tarif
        FROM sbrs WHERE periode = :p ORDER BY id""", {"p": periode})
    for name in ("read_method", "trouble_code", "special_msg"):
        frame[name] = _upper(frame[name])
    return frame


def _mc(conn: Connection, periode: str) -> pd.DataFrame:
    frame = _frame(conn, """
        SELECT nomen, MAX(rayon) AS rayon, MAX(nama) AS nama, MAX(tarif) AS tarif,
               SUM(nominal) AS nominal, SUM(kubik) AS kubik,
               MAX(CASE WHEN UPPER(TRIM(cust_type)) IN ({}) THEN 1 ELSE 0 END) AS inactive
        FROM mc WHERE periode = :p GROUP BY nomen""".format(", ".join(f"'{s}'" for s in sorted(INACTIVE))),
        {"p": periode})
    return frame.set_index("nomen")


def _bills(conn: Connection, periode: str) -> pd.DataFrame:
    frame = _frame(conn, """
        SELECT nomen,
               SUM(CASE WHEN COALESCE(bill_period, periode) = :p THEN 1 ELSE 0 END) AS bills,
               MAX(CASE WHEN UPPER(TRIM(jenis_rek)) IN ('REBILL', 'KOREKSI') THEN 1 ELSE 0 END) AS corrected,
               SUM(CASE WHEN total > 0 AND pakai > 0 THEN total ELSE 0 END) AS priced_total,
               SUM(CASE WHEN total > 0 AND pakai > 0 THEN pakai ELSE 0 END) AS priced_m3,
               MAX(rayon) AS rayon, MAX(tarif) AS tarif
        FROM mainbill WHERE periode = :p GROUP BY nomen""", {"p": periode})
    return frame.set_index("nomen")


def _latest_rayon(conn: Connection) -> pd.Series:
    frame = _frame(conn, "SELECT nomen, rayon FROM customer_rayon", {})
    return frame.set_index("nomen")["rayon"]


def _directory(conn: Connection, nomens: list[str]) -> pd.DataFrame:
    query = text("SELECT nomen, nama, tarif FROM customer WHERE nomen IN :n").bindparams(
        bindparam("n", expanding=True))
    found = [pd.DataFrame(conn.execute(query, {"n": nomens[i:i + 5000]}).all(), columns=["nomen", "nama", "tarif"])
             for i in range(0, len(nomens), 5000)]
    return pd.concat(found).set_index("nomen")


def _earlier_prices(conn: Connection, periode: str, nomens: list[str]) -> pd.Series:
    """Rupiah per m3 of each customer's MC rows with m3 in the six periodes before P."""
    query = text("""
        SELECT nomen, SUM(nominal) AS nominal, SUM(kubik) AS kubik FROM mc
        WHERE periode >= :a AND periode < :p AND nomen IN :n AND kubik > 0 AND nominal > 0
        GROUP BY nomen""").bindparams(bindparam("n", expanding=True))
    found = []
    for i in range(0, len(nomens), 5000):
        rows = conn.execute(query, {"a": shift_periode(periode, -6), "p": periode, "n": nomens[i:i + 5000]}).all()
        found += [(nomen, nominal / kubik) for nomen, nominal, kubik in rows]
    return pd.Series(dict(found), dtype="float64")


def _first(*candidates: pd.Series) -> pd.Series:
    """Per row, the first of the candidates that has a value."""
    result = candidates[0].astype(object)
    for candidate in candidates[1:]:
        result = result.where(result.notna(), candidate.astype(object))
    return result


def _last_per_nomen(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.drop_duplicates("nomen", keep="last").set_index("nomen")


# --- the rules ---------------------------------------------------------------------------

def find_flags(conn: Connection, periode: str, thresholds: Thresholds, history: pd.DataFrame,
               latest_rayon: pd.Series) -> pd.DataFrame:
    """The meter_flag rows of one periode (``history``: last SBRS rows per customer and
    periode, covering at least ``lookback`` periodes before it)."""
    t = thresholds
    rows = _readings(conn, periode)
    mc = _mc(conn, periode)
    bills = _bills(conn, periode)

    prev = _last_per_nomen(history[history["periode"] == shift_periode(periode, -1)])
    nomen = rows["nomen"]
    volume = rows["volume"].astype("int64")
    lalu, kini = rows["stand_lalu"].astype("int64"), rows["stand_kini"].astype("int64")
    pakai = rows["pakai"].astype("Float64")
    prev_volume = nomen.map(prev["volume"]).astype("Float64")
    prev_kini = nomen.map(prev["stand_kini"]).astype("Float64")
    has_prev = prev_volume.notna().to_numpy(dtype=bool)

    # The customer's own history: readings of the spike_history periodes before P.
    window = history[(history["periode"] < periode)
                     & (history["periode"] >= shift_periode(periode, -t.spike_history))]
    stats = window.groupby("nomen")["volume"].agg(["median", "count"])
    median = nomen.map(stats["median"]).astype("float64").to_numpy()
    readings_before = nomen.map(stats["count"]).fillna(0).to_numpy()

    method = rows["read_method"]
    actual_zero = ((volume == 0) & (method == ACTUAL).fillna(False)).to_numpy(dtype=bool)
    stuck = actual_zero.copy()
    for back in range(1, t.stuck_periodes):
        earlier = _last_per_nomen(history[history["periode"] == shift_periode(periode, -back)])
        earlier_zero = (earlier["volume"] == 0) & (earlier["read_method"] == ACTUAL).fillna(False)
        stuck &= nomen.map(earlier_zero.astype(bool)).astype(object).fillna(False).to_numpy(dtype=bool)

    v = volume.to_numpy()
    stated = pakai.notna().to_numpy(dtype=bool)
    pakai_v = pakai.fillna(0).to_numpy(dtype="int64")
    difference = (kini - lalu).to_numpy()
    prev_v = prev_volume.fillna(0).to_numpy(dtype="int64")
    drop = has_prev & (prev_v > 0) & (v * 100 < prev_v * t.drop_percent)
    misrecord_prev = has_prev & (lalu.to_numpy() != prev_kini.fillna(0).to_numpy(dtype="int64"))
    misrecord_stated = stated & (difference >= 0) & (pakai_v != difference)
    with np.errstate(invalid="ignore"):
        spike = ((readings_before >= t.spike_min_readings) & (v > t.spike_factor * median)
                 & (v - median >= t.spike_min_m3))
    message = rows["special_msg"].fillna("")
    rebill_row = ((rows["bill_amount"].astype("Float64") < 0).fillna(False).to_numpy(dtype=bool)
                  | message.str.contains("REBILL", regex=False).to_numpy(dtype=bool))
    inactive = nomen.map(mc["inactive"]).fillna(0).to_numpy() == 1
    trouble = rows["trouble_code"].notna().to_numpy(dtype=bool)

    checks = {
        "extreme": v > t.extreme_m3,
        "drop": drop,
        "zero": v == 0,
        "negative": (difference < 0) | (stated & (pakai_v < 0)),
        "misrecord": misrecord_prev | misrecord_stated,
        "rebill": rebill_row,
        "estimated": method.notna().to_numpy(dtype=bool) & (method != ACTUAL).fillna(False).to_numpy(dtype=bool),
        "spike": np.asarray(spike, dtype=bool),
        "stuck": stuck,
        "inactive_use": (v > 0) & inactive,
        "tamper": trouble & ((v == 0) | drop),
    }

    # The volume in question, per check (module docstring).
    expected = np.where(readings_before >= 1, median, np.where(has_prev, prev_v, np.nan))
    against_expected = v - expected
    deltas = {
        "extreme": against_expected, "zero": against_expected, "estimated": against_expected,
        "spike": against_expected, "stuck": against_expected, "tamper": against_expected,
        "drop": (v - prev_v).astype("float64"),
        "negative": np.where(difference < 0, difference, pakai_v).astype("float64"),
        "misrecord": np.where(misrecord_prev, lalu.to_numpy() - prev_kini.fillna(0).to_numpy(dtype="int64"),
                              pakai_v - difference).astype("float64"),
        "inactive_use": v.astype("float64"),
        "rebill": np.full(len(rows), np.nan),
    }

    base = pd.DataFrame({
        "nomen": nomen, "stand_lalu": lalu, "stand_kini": kini, "pakai": rows["pakai"], "volume": volume,
        "prev_stand_kini": prev_kini, "prev_volume": prev_volume,
        "median_volume": pd.Series(np.floor(median + 0.5), index=rows.index),
        "read_method": method, "trouble_code": rows["trouble_code"],
        "own_rayon": rows["rayon"], "own_nama": rows["nama"], "own_tarif": rows["tarif"],
        "bill_amount": rows["bill_amount"],
    })
    found = []
    for key, mask in checks.items():
        hit = base[mask].assign(flag=key, delta_m3=deltas[key][mask])
        found.append(hit.drop_duplicates("nomen", keep="first"))
    flagged = pd.concat(found, ignore_index=True)
    from_bills = _mainbill_rebills(bills, flagged, base)
    if not from_bills.empty:
        flagged = pd.concat([flagged, from_bills], ignore_index=True)
    if flagged.empty:
        return flagged

    # One rebill per customer: SBRS's own row first.
    flagged = flagged.drop_duplicates(["flag", "nomen"], keep="first")
    order = {key: i for i, key in enumerate(ANOMALIES)}
    flags_of = (flagged.assign(o=flagged["flag"].map(order)).sort_values("o")
                .groupby("nomen")["flag"].agg(",".join))
    flagged["flags"] = flagged["nomen"].map(flags_of)

    customer = flagged["nomen"]
    flagged["rayon"] = _first(customer.map(mc["rayon"]), customer.map(latest_rayon), flagged["own_rayon"],
                              customer.map(bills["rayon"])).fillna("")
    flagged["nama"] = _first(customer.map(mc["nama"]), flagged["own_nama"])
    flagged["tarif"] = _first(customer.map(mc["tarif"]), flagged["own_tarif"], customer.map(bills["tarif"]))
    unnamed = flagged.loc[flagged["nama"].isna(), "nomen"].unique().tolist()
    if unnamed:  # a rebill in MAINBILL only: the name as last seen
        directory = _directory(conn, unnamed)
        flagged["nama"] = _first(flagged["nama"], customer.map(directory["nama"]))
        flagged["tarif"] = _first(flagged["tarif"], customer.map(directory["tarif"]))

    priced_m3 = flagged["nomen"].map(bills["priced_m3"]).astype("float64")
    from_bills = flagged["nomen"].map(bills["priced_total"]).astype("float64") / priced_m3.where(priced_m3 > 0)
    kubik = flagged["nomen"].map(mc["kubik"]).astype("float64")
    from_mc = flagged["nomen"].map(mc["nominal"]).astype("float64") / kubik.where(kubik > 0)
    price = from_bills.fillna(from_mc)
    unpriced = flagged.loc[price.isna(), "nomen"].unique().tolist()
    if unpriced:  # no bill of P with m3 (a zero reading, say): the customer's MC of the periodes before
        earlier = _earlier_prices(conn, periode, unpriced)
        price = price.fillna(customer.map(earlier).astype("float64"))
    price = np.floor(price + 0.5)
    flagged["price_m3"] = price
    delta = flagged["delta_m3"].astype("float64")
    stake = np.floor(delta.abs() * price + 0.5)
    rebill_amount = flagged["bill_amount"].astype("float64")
    flagged["at_stake"] = stake.where(flagged["flag"] != "rebill",
                                      (-rebill_amount).where(rebill_amount < 0))
    flagged["delta_m3"] = np.floor(delta + 0.5)
    flagged["periode"] = periode
    return flagged[["periode", "flag", "nomen", "rayon", "nama", "tarif", *READING_COLUMNS, "flags",
                    "delta_m3", "price_m3", "at_stake"]]


def _mainbill_rebills(bills: pd.DataFrame, flagged: pd.DataFrame, base: pd.DataFrame) -> pd.DataFrame:
    """MAINBILL(P)'s rebills (REBILL/KOREKSI, or more than one bill for P) of customers
    SBRS(P) did not already flag; counted even when SBRS(P) is missing. A customer read
    in P shows its reading."""
    marked = bills.index[((bills["corrected"] == 1) | (bills["bills"] > 1)).to_numpy()]
    already = set(flagged.loc[flagged["flag"] == "rebill", "nomen"])
    nomens = pd.DataFrame({"nomen": [n for n in marked if n not in already]})
    if nomens.empty:
        return nomens
    readings = base.drop_duplicates("nomen").drop(columns=["bill_amount"])
    return nomens.merge(readings, on="nomen", how="left").assign(flag="rebill", delta_m3=np.nan)


# --- storing -------------------------------------------------------------------------------

INTEGERS = {"stand_lalu", "stand_kini", "pakai", "volume", "prev_stand_kini", "prev_volume", "median_volume",
            "delta_m3", "price_m3", "at_stake"}


def _values(frame: pd.DataFrame) -> list[tuple]:
    """Rows for insert, in the frame's column order: missing values None, figures int."""
    columns = []
    for name in frame.columns:
        column = frame[name]
        if name in INTEGERS:
            numbers = pd.to_numeric(column, errors="coerce").astype("Int64")
            columns.append([None if v is pd.NA else int(v) for v in numbers.tolist()])
        else:
            column = column.astype(object)
            columns.append(column.where(column.notna(), None).tolist())
    return list(zip(*columns))


def _insert_flags(conn: Connection, frame: pd.DataFrame) -> None:
    quote = conn.dialect.identifier_preparer.quote
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = (f"INSERT INTO meter_flag ({', '.join(quote(c) for c in frame.columns)}) "
           f"VALUES ({', '.join([marker] * len(frame.columns))})")
    conn.exec_driver_sql(sql, _values(frame))


def _input_periodes(conn: Connection) -> set[str]:
    """Periodes with readings or bills stored (from the row counts the summaries keep)."""
    found = conn.execute(text("SELECT DISTINCT periode FROM stored_count WHERE file_type IN ('SBRS', 'MAINBILL')"))
    return set(found.scalars())


def recompute(conn: Connection, periodes: list[str], thresholds: Thresholds | None = None) -> None:
    """Replace the flags of these periodes with what their inputs say now."""
    if not periodes:
        return
    thresholds = thresholds or stored_thresholds(conn)
    periodes = sorted(set(periodes))
    with_inputs = _input_periodes(conn)
    history = _history(conn, shift_periode(periodes[0], -lookback(thresholds)), shift_periode(periodes[-1], -1))
    latest_rayon = _latest_rayon(conn)
    for periode in periodes:
        conn.execute(delete(MeterFlag).where(MeterFlag.periode == periode))
        if periode not in with_inputs:
            continue
        flagged = find_flags(conn, periode, thresholds, history, latest_rayon)
        if not flagged.empty:
            _insert_flags(conn, flagged)


RAYON_AGAIN = text("""
    UPDATE meter_flag SET rayon = COALESCE(
        (SELECT MAX(m.rayon) FROM mc m WHERE m.periode = meter_flag.periode AND m.nomen = meter_flag.nomen),
        (SELECT cr.rayon FROM customer_rayon cr WHERE cr.nomen = meter_flag.nomen),
        (SELECT MAX(s.rayon) FROM sbrs s WHERE s.periode = meter_flag.periode AND s.nomen = meter_flag.nomen),
        (SELECT MAX(b.rayon) FROM mainbill b WHERE b.periode = meter_flag.periode AND b.nomen = meter_flag.nomen),
        '')
    WHERE periode = :p
""")


def reassign_rayons(conn: Connection, periodes: list[str]) -> None:
    """Give the flags of these periodes the rayon METRICS.md's rule says now."""
    for periode in periodes:
        conn.execute(RAYON_AGAIN, {"p": periode})


def rebuild_flags(conn: Connection, thresholds: Thresholds | None = None) -> None:
    stored = set(conn.execute(select(MeterFlag.periode).distinct()).scalars())
    recompute(conn, sorted(_input_periodes(conn) | stored), thresholds)


# --- the customer directory ----------------------------------------------------------------

_DIRECTORY_FROM_MC = """
    INSERT INTO customer (nomen, nama, alamat, rayon, tarif, zona_novak, pcez, nomet, status, periode, source,
                          search_text)
    SELECT m.nomen, m.nama, m.alamat, COALESCE(m.rayon, cr.rayon, ''), m.tarif, m.zona_novak, m.pcez, m.nomet,
           m.cust_type, m.periode, 'MC', LOWER(COALESCE(m.nama, '') || ' ' || COALESCE(m.alamat, ''))
    FROM mc m LEFT JOIN customer_rayon cr ON cr.nomen = m.nomen
    WHERE m.id IN (SELECT MAX(x.id) FROM mc x
                   JOIN (SELECT nomen, MAX(periode) AS periode FROM mc {where} GROUP BY nomen) l
                     ON l.nomen = x.nomen AND l.periode = x.periode
                   GROUP BY x.nomen)
"""
_DIRECTORY_FROM_SBRS = """
    INSERT INTO customer (nomen, nama, alamat, rayon, tarif, zona_novak, pcez, nomet, status, periode, source,
                          search_text)
    SELECT s.nomen, s.nama, s.alamat, COALESCE(cr.rayon, s.rayon, ''), s.tarif, NULL, NULL, s.nomet, NULL,
           s.periode, 'SBRS', LOWER(COALESCE(s.nama, '') || ' ' || COALESCE(s.alamat, ''))
    FROM sbrs s LEFT JOIN customer_rayon cr ON cr.nomen = s.nomen
    WHERE s.id IN (SELECT MAX(x.id) FROM sbrs x
                   JOIN (SELECT nomen, MAX(periode) AS periode FROM sbrs {where} GROUP BY nomen) l
                     ON l.nomen = x.nomen AND l.periode = x.periode
                   GROUP BY x.nomen)
      AND s.nomen NOT IN (SELECT nomen FROM customer)
"""


def refresh_directory(conn: Connection, file_type: str | None, periode: str | None) -> None:
    """Bring the directory up to date after MC or SBRS of ``periode`` changed (everything
    when ``periode`` is None). Customers the new rows show as recent take them directly;
    only those whose entry came from the changed periode and are no longer in it are
    looked up again among every stored periode."""
    if periode is None:
        conn.execute(text("DELETE FROM customer"))
        conn.execute(text(_DIRECTORY_FROM_MC.format(where="")))
        conn.execute(text(_DIRECTORY_FROM_SBRS.format(where="")))
        return
    table = "mc" if file_type == "MC" else "sbrs"
    for statement in ("DROP TABLE IF EXISTS cd_affected",
                      "CREATE TEMPORARY TABLE cd_affected (nomen VARCHAR(20) PRIMARY KEY)"):
        conn.exec_driver_sql(statement)
    # Entries taken from this periode's rows of this type that it no longer lists.
    conn.execute(text(f"""
        INSERT INTO cd_affected (nomen) SELECT nomen FROM customer
        WHERE periode = :p AND source = :source AND nomen NOT IN (SELECT nomen FROM {table} WHERE periode = :p)"""),
                 {"p": periode, "source": "MC" if table == "mc" else "SBRS"})
    # Customers of this periode whose entry is older or weaker (an MC beats any SBRS).
    stale = ("(source = 'SBRS' OR periode <= :p)" if table == "mc"
             else "(source = 'SBRS' AND periode <= :p)")
    conn.execute(text(f"""
        INSERT INTO cd_affected (nomen) SELECT nomen FROM customer
        WHERE {stale} AND nomen IN (SELECT nomen FROM {table} WHERE periode = :p)
          AND nomen NOT IN (SELECT nomen FROM cd_affected)"""), {"p": periode})
    conn.exec_driver_sql("DELETE FROM customer WHERE nomen IN (SELECT nomen FROM cd_affected)")
    # Newcomers and refreshed entries from this periode's own rows ...
    fresh = "WHERE periode = :p AND nomen NOT IN (SELECT nomen FROM customer)"
    conn.execute(text((_DIRECTORY_FROM_MC if table == "mc" else _DIRECTORY_FROM_SBRS).format(where=fresh)),
                 {"p": periode})
    # ... and the rest of the affected from wherever they are now most recent.
    conn.exec_driver_sql("DELETE FROM cd_affected WHERE nomen IN (SELECT nomen FROM customer)")
    where = "WHERE nomen IN (SELECT nomen FROM cd_affected) AND nomen NOT IN (SELECT nomen FROM customer)"
    conn.execute(text(_DIRECTORY_FROM_MC.format(where=where)))
    conn.execute(text(_DIRECTORY_FROM_SBRS.format(where=where)))
    conn.exec_driver_sql("DROP TABLE cd_affected")


# --- entry points ----------------------------------------------------------------------------

def refresh(conn: Connection, file_type: str | None, periodes: list[str],
            rayon_moved: list[str] | None = None) -> None:
    """After rows of ``file_type`` changed in ``periodes``: the directory and the flags
    they feed (``rayon_moved``: other periodes whose customers' latest rayon moved)."""
    if file_type not in ("SBRS", "MC", "MAINBILL"):
        return
    if file_type in ("SBRS", "MC"):
        for periode in periodes:
            refresh_directory(conn, file_type, periode)
    thresholds = stored_thresholds(conn)
    reach = lookback(thresholds) if file_type == "SBRS" else 0
    affected = {shift_periode(p, k) for p in periodes for k in range(reach + 1)}
    stored = set(conn.execute(select(MeterFlag.periode).distinct()).scalars()) | _input_periodes(conn)
    recompute(conn, sorted(affected & stored), thresholds)
    if rayon_moved:
        reassign_rayons(conn, sorted(set(rayon_moved) - affected))


def rebuild_all(conn: Connection) -> None:
    """The directory and every flag from the stored rows (a migration, a repair)."""
    refresh_directory(conn, None, None)
    rebuild_flags(conn)
