"""The meter flags (``meter_flag``: one row per periode, check and customer), kept with the
summaries: recomputed, inside the transaction that changes their inputs, for the periodes a
change can reach. The checks themselves are the catalogue's (domain/checks.py); this module
reads their inputs (flag_inputs.py) and runs them; flag_store.py stores what they find.

A file type reaches the periodes that look back at it: SBRS(Q) feeds Q and the periodes up
to ``lookback`` after it; MC(Q) feeds Q and the ``PRICE_LOOKBACK`` periodes after it (prices);
MAINBILL(Q) feeds Q. When an MC moves a customer's most recent rayon, the flags of other
periodes get their rayon again (METRICS.md's rayon rule).

Also decided here (docs/ANOMALIES.md): a customer read twice in a periode is checked on
every row, and a flag shows the first row that raised it; the money at stake is
``|delta_m3| x price_m3``, the price being the customer's bills of MAINBILL(P) per m3, else
MC(P)'s NOMINAL / KUBIK, else the same over its MC rows of the six periodes before P (so an MC
of Q reaches the flags of Q and of the six periodes after it).
"""
from __future__ import annotations

import json
from contextlib import contextmanager
from typing import Iterator

import numpy as np
import pandas as pd
from sqlalchemy import select, text
from sqlalchemy.engine import Connection

from ..domain import checks
from ..domain.checks import Thresholds
from ..domain.periodes import shift_periode
from ..domain.readings import Readings
from ..models import AnomalySetting, MeterFlag
from ..models.summaries import UNNAMED_FLAG
from . import flag_store
from .flag_inputs import (
    FLAG_NOMEN,
    FLAGGED,
    PRICE_LOOKBACK,
    READINGS_CHANGED,
    changed_readings,
    history_of,
    keep_flagged,
    load_bills,
    load_directory,
    load_earlier_prices,
    load_history,
    load_latest_rayon,
    load_marked,
    load_mc,
    load_own,
    load_readings,
    quoted,
    row_loader,
)
from .flag_store import FOUND_WITH, READING_COLUMNS

READINGS = "SBRS"  # the file whose rows are the readings: a change of it can move any check


def stored_thresholds(conn: Connection) -> Thresholds:
    """The thresholds the stored flags follow (the defaults before any were stored)."""
    stored = conn.execute(select(AnomalySetting.thresholds).where(AnomalySetting.id == 1)).scalar()
    return Thresholds.from_stored(json.loads(stored)) if stored else Thresholds()


def _first(*candidates: pd.Series) -> pd.Series:
    """Per row, the first of the candidates that has a value."""
    result = candidates[0].astype(object)
    for candidate in candidates[1:]:
        result = result.where(result.notna(), candidate.astype(object))
    return result


# --- running the checks --------------------------------------------------------------------

def _base(r: Readings) -> pd.DataFrame:
    """What every flag row shows of the reading that raised it."""
    rows = r.rows
    return pd.DataFrame({
        "nomen": rows["nomen"], "stand_lalu": r.stand_lalu, "stand_kini": r.stand_kini, "pakai": rows["pakai"],
        "volume": r.volume, "prev_stand_kini": r.prev_kini_or_na, "prev_volume": r.prev_volume_or_na,
        "median_volume": pd.Series(np.floor(r.median + 0.5), index=rows.index),
        "read_method": r.method, "trouble_code": rows["trouble_code"], "id": rows["id"],
    }, index=rows.index)


def _hits(r: Readings, thresholds: Thresholds, only: set[str] | None = None) -> pd.DataFrame:
    """Every check's flagged rows (``only``: these checks'), one per check and customer: the
    first row that raised it."""
    base = _base(r)
    found = []
    for check in checks.checks():
        if only is not None and check.key not in only:
            continue
        hit = check.evaluate(r, thresholds)
        stake = hit.stake if hit.stake is not None else np.full(len(base), np.nan)
        rows = base[hit.mask].assign(flag=check.key, delta_m3=hit.delta[hit.mask], given_stake=stake[hit.mask],
                                     priced=hit.stake is None)
        rows = rows.drop_duplicates("nomen", keep="first")
        flagged_here = set(rows["nomen"].tolist())
        extra = [n for n in dict.fromkeys(hit.extra) if n not in flagged_here]
        if extra:  # customers flagged from other files: a customer read in P shows its reading
            readings = base.drop_duplicates("nomen")
            more = pd.DataFrame({"nomen": extra}).merge(readings, on="nomen", how="left")
            rows = pd.concat([rows, more.assign(flag=check.key, delta_m3=np.nan, given_stake=np.nan,
                                                priced=hit.stake is None)], ignore_index=True)
        found.append(rows)
    return pd.concat(found, ignore_index=True) if found else pd.DataFrame()


def _identify(conn: Connection, flagged: pd.DataFrame, mc: pd.DataFrame, bills: pd.DataFrame,
              latest_rayon: pd.Series) -> None:
    """Rayon (METRICS.md's rule), name and tarif of each flagged customer."""
    customer = flagged["nomen"]
    flagged["rayon"] = _first(customer.map(mc["rayon"]), customer.map(latest_rayon), flagged["own_rayon"],
                              customer.map(bills["rayon"])).fillna("")
    flagged["nama"] = _first(customer.map(mc["nama"]), flagged["own_nama"])
    flagged["tarif"] = _first(customer.map(mc["tarif"]), flagged["own_tarif"], customer.map(bills["tarif"]))
    unnamed = customer.isin(customer[flagged["nama"].isna()])
    if unnamed.any():  # flagged from MAINBILL only: the name as last seen (``follow_directory`` keeps it)
        directory = load_directory(conn)
        flagged["nama"] = _first(flagged["nama"], customer.map(directory["nama"]))
        flagged["tarif"] = _first(flagged["tarif"], customer.map(directory["tarif"]).where(unnamed))


def _same(a: str, b: str) -> str:
    """SQL: the two values are equal, or both missing; never NULL, so that NOT of it holds
    when one alone is missing (``IS NOT DISTINCT FROM``, which SQLite has only from 3.39)."""
    return f"COALESCE({a} = {b}, {a} IS NULL AND {b} IS NULL)"


def _m_has(column: str, table: str = "mc") -> str:
    return (f"EXISTS (SELECT 1 FROM {table} x WHERE x.periode = g.periode AND x.nomen = g.nomen "
            f"AND x.{column} IS NOT NULL)")


# ``_identify`` read backwards: the stored flags whose name or tarif came from the directory
# (their customer unnamed in P: a row of it without a name of its reading, and none in MC(P)),
# and which the directory no longer gives; per periode and customer. A directory entry changes
# with any MC or SBRS, also of a periode whose flags nothing else recomputes.
_NAMED_ELSEWHERE = f"""
    INSERT INTO flag_renamed (periode, nomen)
    SELECT DISTINCT g.periode, g.nomen FROM meter_flag g LEFT JOIN customer c ON c.nomen = g.nomen
    WHERE (g.nomen, g.periode) IN (SELECT nomen, periode FROM meter_flag WHERE {UNNAMED_FLAG})
      AND NOT {_m_has("nama")}
      AND ((g.read_nama IS NULL AND NOT {_same("g.nama", "c.nama")})
           OR (g.read_tarif IS NULL AND NOT {_same("g.tarif", "c.tarif")}
               AND NOT {_m_has("tarif")} AND NOT {_m_has("tarif", "mainbill")}))
"""


def follow_directory(conn: Connection) -> None:
    """Give the flags named from the directory (``_NAMED_ELSEWHERE``) its name and tarif again,
    in whatever periode: a customer flagged from MAINBILL alone, say, renamed by the newest MC."""
    for statement in ("DROP TABLE IF EXISTS flag_renamed",
                      "CREATE TEMPORARY TABLE flag_renamed (periode VARCHAR(7), nomen VARCHAR(20), "
                      "PRIMARY KEY (periode, nomen))", _NAMED_ELSEWHERE):
        conn.exec_driver_sql(statement)
    periodes = sorted(set(conn.exec_driver_sql("SELECT DISTINCT periode FROM flag_renamed").scalars()))
    reprice(conn, periodes, "SELECT nomen FROM flag_renamed WHERE periode = :p")
    conn.exec_driver_sql("DROP TABLE flag_renamed")


def _price(conn: Connection, flagged: pd.DataFrame, mc: pd.DataFrame, bills: pd.DataFrame, periode: str) -> None:
    """Rupiah per m3 and the money at stake of each flag (``flag_nomen`` may be left holding only
    the customers priced from earlier MCs)."""
    customer = flagged["nomen"]
    priced_m3 = customer.map(bills["priced_m3"]).astype("float64")
    from_bills = customer.map(bills["priced_total"]).astype("float64") / priced_m3.where(priced_m3 > 0)
    kubik = customer.map(mc["kubik"]).astype("float64")
    from_mc = customer.map(mc["nominal"]).astype("float64") / kubik.where(kubik > 0)
    price = from_bills.fillna(from_mc)
    if price.isna().any():  # no bill of P with m3 (a zero reading, say): the customer's MC of the periodes before
        earlier = load_earlier_prices(conn, periode, customer[price.isna()])
        price = price.fillna(customer.map(earlier).astype("float64"))
    price = np.floor(price + 0.5)
    flagged["price_m3"] = price
    delta = flagged["delta_m3"].astype("float64")
    stake = np.floor(delta.abs() * price + 0.5)
    flagged["at_stake"] = stake.where(flagged["priced"].astype(bool), flagged["given_stake"].astype("float64"))
    flagged["delta_m3"] = np.floor(delta + 0.5)


def _flags_of(flagged: pd.DataFrame) -> pd.Series:
    """Per flagged customer, its checks' keys in the catalogue's order, joined by commas: each
    customer's checks as the bits of one number (a per-customer join in Python costs seconds at
    200,000), then each distinct number spelt out once."""
    keys = checks.names()
    pairs = flagged[["nomen", "flag"]].drop_duplicates()
    bits = pairs["flag"].map({key: 1 << i for i, key in enumerate(keys)}).fillna(0).astype("int64")
    masks = bits.groupby(pairs["nomen"].to_numpy(), sort=False).sum()
    spelt = {mask: ",".join(key for i, key in enumerate(keys) if mask >> i & 1) for mask in masks.unique().tolist()}
    return masks.map(spelt)


def _inputs(conn: Connection, periode: str, rerun: list[checks.Check] | None = None,
            thresholds: Thresholds | None = None, which: str = "") -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The readings of P, and the customers MC(P) and MAINBILL(P) mark, as the checks read them:
    ``which``, a further condition on the customers (``recompute``'s ``only``); or ``rerun``, as
    these checks read them (when each flags only customers one file marks, the readings of
    those customers alone)."""
    assert not (which and rerun), "which and rerun are not combined"
    if rerun is None:
        mc, bills = load_marked(conn, periode, which=which)
        return load_readings(conn, periode, which), mc, bills
    marked_by = {c.marked_by for c in rerun}
    mc, bills = load_marked(conn, periode, frozenset(n.file_type for c in rerun for n in c.flat_needs(thresholds))
                            | (marked_by - {None}))
    marked = {"MC": mc, "MAINBILL": bills}.get(marked_by.pop()) if len(marked_by) == 1 else None
    if marked is None:
        return load_readings(conn, periode), mc, bills
    keep_flagged(conn, pd.Series(marked.index, dtype=object))
    return load_readings(conn, periode, FLAGGED), mc, bills


def _found(conn: Connection, periode: str, thresholds: Thresholds, history: pd.DataFrame,
           inputs: tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame], only: set[str] | None = None) -> pd.DataFrame:
    """What the checks (``only``: these) find among the readings of P (``inputs``: as ``_inputs``
    gives them; ``history``: the last SBRS rows per customer and periode, covering at least
    ``lookback`` periodes before it). Leaves the customers found in ``flag_nomen``."""
    rows, mc, bills = inputs
    found = _hits(Readings(periode, thresholds, rows, history, mc, bills, load=row_loader(conn)), thresholds, only)
    if found.empty:
        return found
    # Each flag shows the rayon, name and tarif of the reading that raised it (none: NaN).
    keep_flagged(conn, found["nomen"])
    own, raised_by = load_own(conn, periode), found.pop("id")
    return found.assign(**{name: raised_by.map(own[name]) for name in own.columns})


def _finish(conn: Connection, periode: str, flagged: pd.DataFrame) -> pd.DataFrame:
    """The meter_flag rows of P from what the checks found: every flag of a customer listed,
    rayon, name, tarif, price and money at stake from the files as they are now."""
    flagged = flagged.reset_index(drop=True)
    flagged["flags"] = flagged["nomen"].map(_flags_of(flagged))
    keep_flagged(conn, flagged["nomen"])
    mc, bills = load_mc(conn, periode), load_bills(conn, periode)
    _identify(conn, flagged, mc, bills, load_latest_rayon(conn))
    exact = flagged["delta_m3"].astype("float64")
    _price(conn, flagged, mc, bills, periode)
    flagged["periode"] = periode
    kept = {stored: flagged[name] for stored, name in FOUND_WITH.items()}
    kept.update(delta_exact=exact, priced=flagged["priced"].astype(bool).astype(int))
    flagged = flagged.assign(**kept)
    return flagged[["periode", "flag", "nomen", "rayon", "nama", "tarif", *READING_COLUMNS, "flags",
                    "delta_m3", "price_m3", "at_stake", *FOUND_WITH]]


def _types_by_periode(conn: Connection) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for file_type, periode in conn.execute(text("SELECT file_type, periode FROM stored_count")):
        found.setdefault(periode, set()).add(file_type)
    return found


def _input_periodes(conn: Connection, thresholds: Thresholds) -> set[str]:
    """Periodes whose own files let some check flag anyone (from the counts the summaries keep)."""
    return {periode for periode, types in _types_by_periode(conn).items()
            if any(c.runnable(thresholds, types) for c in checks.checks())}


@contextmanager
def _flag_nomen(conn: Connection) -> Iterator[None]:
    for statement in FLAG_NOMEN:
        conn.exec_driver_sql(statement)
    # Dropped on success only: on PostgreSQL a statement of a transaction an error aborted would
    # fail in its turn, hiding the error (the rollback takes the table; on SQLite it may stay, and
    # the next use drops it first).
    yield
    conn.exec_driver_sql("DROP TABLE IF EXISTS flag_nomen")


def recompute(conn: Connection, periodes: list[str], thresholds: Thresholds | None = None,
              only: str | None = None) -> None:
    """Replace the flags of these periodes with what their inputs say now (``only``: a query of
    the customers whose flags alone can have changed, whose flags alone are replaced)."""
    if not periodes:
        return
    thresholds = thresholds or stored_thresholds(conn)
    periodes = sorted(set(periodes))
    with_inputs = _input_periodes(conn, thresholds)
    # ``only`` as a condition of each query, and as the set that found rows are kept to.
    which = f"AND nomen IN ({only})" if only else ""
    chosen = set(conn.execute(text(only)).scalars()) if only else None
    # The readings of the periodes recomputed here are read once, in turn, and then serve the
    # periodes after them as history (the checks' history is the periodes before P).
    read_here = [periode for periode in periodes if periode in with_inputs]
    lookback = checks.lookback(thresholds)
    history = load_history(conn, shift_periode(periodes[0], -lookback),
                           shift_periode(periodes[-1], -1),
                           which + (f" AND periode NOT IN ({quoted(read_here)})" if read_here else ""))
    with _flag_nomen(conn):
        for periode in periodes:
            found = None
            if periode in with_inputs:
                inputs = _inputs(conn, periode, which=which)
                found = _found(conn, periode, thresholds, history, inputs)
                if chosen is not None and not found.empty:  # flagged from other files: others too
                    found = found[found["nomen"].isin(chosen)]
                # Kept to what the periodes still to come look back at.
                kept = history[history["periode"] >= shift_periode(periode, 1 - lookback)]
                read = history_of(periode, inputs[0])
                history = pd.concat([kept, read], ignore_index=True) if len(kept) else read.reset_index(drop=True)
            finished = None if found is None or found.empty else _finish(conn, periode, found)
            if only is None:
                flag_store.replace(conn, periode, finished)
            else:
                flag_store.replace_some(conn, periode, only, finished)


def compares_replaced(file_type: str | None) -> bool:
    """Whether ``refresh`` compares the rows of an upload with those of the uploads it replaced
    (``replaced``, kept as superseded until it is done), to recompute only the customers whose
    rows differ: the readings', when every check decides a customer from its own data
    (``Check.per_customer``)."""
    return file_type == READINGS and all(c.per_customer for c in checks.checks())


@contextmanager
def _readings_changed(conn: Connection, periodes: list[str], replaced: list[int]) -> Iterator[str | None]:
    """After an SBRS of P replaced stored ones (``replaced``; or a deletion brought them back,
    ``replaced`` then naming the deleted upload, its rows kept aside): a query of the customers
    whose readings of P changed (``changed_readings``, in ``READINGS_CHANGED`` until the block
    ends); the others keep every flag, in P and in the periodes looking back at it
    (``compares_replaced``). "" when none changed. None, to recompute whole: no rows replaced (a
    back-fill), more than one periode, or at least half of P's customers changed."""
    if len(periodes) != 1 or not replaced:
        yield None
        return
    changed, customers = changed_readings(conn, READINGS, periodes[0], replaced)
    yield None if 2 * changed >= customers else f"SELECT nomen FROM {READINGS_CHANGED}" if changed else ""
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {READINGS_CHANGED}")  # on success only, as ``_flag_nomen``'s


def _recheck(conn: Connection, periodes: list[str], file_type: str, thresholds: Thresholds) -> None:
    """After a change of ``file_type`` (not the readings, and read by no check looking back):
    the checks that read it run again; the other checks' flags stay as found, and every flag
    gets its name, rayon and price again. The readings' history is read only for the customers
    those checks flag (the columns every flag shows of it), unless one of them reads it."""
    rerun = [c for c in checks.checks() if any(n.file_type == file_type for n in c.flat_needs(thresholds))]
    only = {c.key for c in rerun}
    with_inputs = _input_periodes(conn, thresholds)
    lookback = checks.lookback(thresholds)
    with _flag_nomen(conn):
        for periode in periodes:
            if periode not in with_inputs:
                flag_store.replace(conn, periode, None)
                continue
            first, last = shift_periode(periode, -lookback), shift_periode(periode, -1)
            rows, mc, bills = inputs = _inputs(conn, periode, rerun, thresholds)
            # The checks first run without any history: one that reads some of it (whatever its
            # needs declare) decides with every customer's; the others get their customers'.
            conn.exec_driver_sql("DELETE FROM flag_nomen")
            probe = Readings(periode, thresholds, rows, load_history(conn, first, last, FLAGGED), mc, bills,
                             load=row_loader(conn))
            hits = [check.evaluate(probe, thresholds) for check in rerun]
            if not probe.read_history:
                keep_flagged(conn, pd.concat([rows["nomen"][hit.mask] for hit in hits]
                                             + [pd.Series(hit.extra, dtype=object) for hit in hits]))
            history = load_history(conn, first, last, "" if probe.read_history else FLAGGED)
            found = _found(conn, periode, thresholds, history, inputs, only)
            flagged = pd.concat([flag_store.stored_hits(conn, periode, other_than=only), found], ignore_index=True)
            flag_store.replace(conn, periode, None if flagged.empty else _finish(conn, periode, flagged))


def reprice(conn: Connection, periodes: list[str], only: str | None = None) -> None:
    """Give the stored flags of these periodes their name, rayon and price again (an MC of the
    periodes before them changed, or a customer's most recent rayon moved: ``only``, a query of
    those customers, restricts it to their flags, each finished from the customer's own rows;
    it may read the periode as ``:p``)."""
    if not periodes:
        return
    with _flag_nomen(conn):
        for periode in periodes:
            stored = flag_store.stored_hits(conn, periode, only=only)
            if stored.empty:
                continue
            if only is None:
                flag_store.replace(conn, periode, _finish(conn, periode, stored))
            else:
                flag_store.replace_some(conn, periode, only, _finish(conn, periode, stored))


def rebuild(conn: Connection, thresholds: Thresholds | None = None) -> None:
    """Every flag from the stored rows (thresholds changed, a migration, a repair)."""
    thresholds = thresholds or stored_thresholds(conn)
    stored = set(conn.execute(select(MeterFlag.periode).distinct()).scalars())
    recompute(conn, sorted(_input_periodes(conn, thresholds) | stored), thresholds)


def refresh(conn: Connection, file_type: str | None, periodes: list[str],
            rayon_moved: list[str] | None = None, movers: str | None = None,
            replaced: list[int] | None = None) -> None:
    """After rows of ``file_type`` changed in ``periodes``: the flags of the periodes that
    read it (``rayon_moved``: other periodes whose customers' latest rayon moved; ``movers``, a
    query of those customers, when known; ``replaced``: the uploads a snapshot replaced, or the
    deleted one whose rows a restored snapshot is compared with).

    The readings (SBRS), and any file a check reads looking back, recompute the periodes
    that read them (an SBRS replacing another: for the customers whose readings changed);
    MC and MAINBILL run their own checks again and price every flag of their periode again
    (an MC also those of the ``PRICE_LOOKBACK`` periodes after it). A change of the directory
    is followed by ``follow_directory``."""
    thresholds = stored_thresholds(conn)
    backs = {n.back for c in checks.checks() for n in c.flat_needs(thresholds) if n.file_type == file_type}
    stored = set(conn.execute(select(MeterFlag.periode).distinct()).scalars())
    reached: set[str] = set()
    if backs and (file_type == READINGS or max(backs) > 0):
        reached = {shift_periode(p, k) for p in periodes for k in range(max(backs) + 1)}
        with _readings_changed(conn, periodes, (replaced or []) if compares_replaced(file_type) else []) as only:
            if only != "":  # "": an SBRS the same as the one it replaced, nothing to recompute
                recompute(conn, sorted(reached & (stored | _input_periodes(conn, thresholds))), thresholds, only)
    elif backs:
        reached = set(periodes)
        _recheck(conn, sorted(reached & (stored | _input_periodes(conn, thresholds))), file_type, thresholds)
    if file_type == "MC" and backs:  # the price of a flag can come from the MCs before its periode
        later = {shift_periode(p, k) for p in periodes for k in range(1, PRICE_LOOKBACK + 1)} - reached
        reprice(conn, sorted(later & stored))
        reached |= later
    if rayon_moved:
        reprice(conn, sorted(set(rayon_moved) - reached), movers)
