"""Synthetic demo data for the Sunter branch (rayon 34 and 35).

``generate()`` builds a deterministic (by seed) but coherent branch -- customers,
meter readings, bills, payments and arrears -- and writes it in the RAW export
formats of DATA.md, as a clerk receives them: MC as Excel 97 ``.xls`` (``.xlsx``
when too big), SBRS as ``.xlsx``, MAINBILL as ``;``-separated CSV, COLLECTION as
overlapping pipe-delimited extracts, MB as a Windows-1252 CSV, ARDEBT as CSV and
RUTE as ``.xlsx``.  Every periode carries seeded meter-reading anomalies of each
kind of METRICS.md, so the rules have something to find.

Modules: ``vocab`` (word lists, tariffs, rates), ``common`` (periode and string
helpers), ``world`` (the simulation), ``writers`` (xlsx / xls / text writers),
``exports`` (one writer per file type).  Everything is vectorised with numpy and
pyarrow; only the Excel writers go cell by cell, so ``text=True`` (head-office worlds,
1,000,000 customers x 12 months in a few minutes) writes MC and SBRS as the billing
system's delimited text exports instead.  Nothing runs at import time and nothing
here imports Dash or Flask.
"""
from __future__ import annotations

import pathlib

import numpy as np

from .common import month_start, parse_periode
from .exports import (write_ardebt, write_collection, write_mainbill, write_mb, write_mc, write_rute,
                      write_sbrs)
from .vocab import XLSX_MAX_ROWS
from .world import build_customers, cut_ledger, simulate_ledger, simulate_readings, zones

__all__ = ["generate"]


def generate(out_dir, customers: int = 3000, months: int = 6, seed: int = 42,
             end_periode: str = "2025-12", through: int | None = None,
             text: bool = False) -> list[pathlib.Path]:
    """Write the demo files to out_dir (created if missing); return the paths in a sensible
    load order: RUTE, then per periode oldest->newest: MC, SBRS, MAINBILL, COLLECTION
    extracts, then MB, then ARDEBT files.

    The same arguments always produce the same files.  Periodes are the ``months``
    calendar months ending at ``end_periode`` (``YYYY-MM``).  ``through``: the files are
    exported on that day of the newest month, as on a working day: no payment after it
    (COLLECTION, MB and ARDEBT agree), the newest COLLECTION extracts end on it.
    ``text``: MC as ';'-separated CSV and SBRS as pipe-delimited text (same rows and
    values, no title or total rows); always so when an .xlsx could not hold the customers.
    Each file is rendered and written on its own, so memory holds the world's arrays and
    one file's text.
    """
    customers, months = int(customers), int(months)
    if customers < 50:
        raise ValueError("customers must be at least 50")
    if months < 1:
        raise ValueError("months must be at least 1")
    end_mi = parse_periode(end_periode)
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    text = text or customers > XLSX_MAX_ROWS - 20  # room for the title, header and total rows
    rng = np.random.default_rng(seed)
    mis = list(range(end_mi - months + 1, end_mi + 1))

    pcez_codes, pcez_rayon, pcez_w = zones()
    route_day = rng.integers(2, 24, pcez_codes.size)
    cu = build_customers(rng, customers, pcez_codes, pcez_rayon, pcez_w)
    rd = simulate_readings(rng, cu, mis, route_day)
    lg = simulate_ledger(rng, cu, rd, mis)
    if through is not None:
        lg = cut_ledger(lg, month_start(end_mi) + int(through))

    paths = [write_rute(out, end_mi, pcez_codes, rng)]
    for m, mi in enumerate(mis):
        # the oldest MC as .xlsx (when there are several), the others as Excel 97 .xls
        paths.append(write_mc(out, cu, rd, m, mi, as_xlsx=(m == 0 and months > 1), text=text))
        paths.append(write_sbrs(out, cu, rd, m, mi, text=text))
        paths.append(write_mainbill(out, cu, rd, m, mi))
        paths.extend(write_collection(out, lg, mi, newest=(mi == end_mi), through=through))
    paths.extend(write_mb(out, lg, mis))
    for mi in mis[-2:]:
        last = mi == end_mi
        # vary the exports: the older one ';' plain UTF-8, the newest ',' with a BOM
        paths.append(write_ardebt(out, cu, lg, mi, *((",", "utf-8-sig") if last else (";", "utf-8"))))
    return paths
