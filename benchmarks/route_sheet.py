"""Time of an officer's route sheet PDF (issue 15's target: a 2,000-customer officer under 5 s).

    python benchmarks/route_sheet.py [--customers 2000] [--repeat 5]

Loads an MC of ``--customers`` unpaid customers, all in PCEZs of one officer (RUTE), into a fresh
SQLite database through the real pipeline, then builds the officer's PDF ``--repeat`` times
(the query of the unpaid list in route order, and the PDF). Beside it, the bare baseline: fpdf2
writing a table of the same size from constant strings, with no query.
"""
from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from fpdf import FPDF

    from sunter_dash import route_sheet
    from sunter_dash.db import get_engine, upgrade
    from sunter_dash.ingest import ingest_file

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        url = f"sqlite:///{work / 'sheet.db'}"
        upgrade(url)
        engine = get_engine(url)
        mc = work / "MC_2025-12.csv"
        with mc.open("w", encoding="utf-8") as out:
            out.write("NOMEN;NAMA_PEL;ALAMAT;ZONA_NOVAK;NOMINAL\n")
            for i in range(args.customers):
                zone = f"3415{1 + i % 9}{10 + i % 5}{i % 90 + 10:02d}"[:9]
                out.write(f"6{i:07d};PELANGGAN NOMOR {i};JL SUNTER AGUNG BLOK {i % 40} NO {i};{zone};{100000 + i}\n")
        rute = work / "RUTE_2025-12.csv"
        rute.write_text("PCEZ;PETUGAS\n" + "".join(f"15{p}{e};BUDI SANTOSO\n" for p in range(1, 10)
                                                    for e in range(10, 15)), encoding="utf-8")
        for path in (rute, mc):
            assert ingest_file(engine, path).status == "loaded", path

        printed = dt.datetime(2026, 11, 25, 10, 0)
        times, size = [], 0
        for _ in range(args.repeat):
            started = time.perf_counter()
            content = route_sheet.pdf(engine, "2025-12", "BUDI SANTOSO", "PAM JAYA Cabang Sunter", printed)
            times.append(time.perf_counter() - started)
            size = len(content)
        lines, _total = route_sheet.rows(engine, "2025-12", "BUDI SANTOSO")

        bare = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            document = FPDF(orientation="L", format="A4", unit="mm")
            document.add_page()
            document.set_font("Helvetica", "", 7.5)
            with document.table(col_widths=route_sheet.WIDTHS, line_height=5.2, repeat_headings=1) as table:
                table.row(list(route_sheet.HEADINGS))
                for _line in range(args.customers):
                    table.row(["1", "60000001", "PELANGGAN", "JL SUNTER AGUNG", "151/10", "Rp 100.000",
                               "Rp 300.000 (3 rek)", "", "", ""])
            bytes(document.output())
            bare.append(time.perf_counter() - started)
    print(f"route sheet of {len(lines):,} customers: median {statistics.median(times):.2f} s, "
          f"max {max(times):.2f} s over {args.repeat} runs ({size / 1024:.0f} KB)")
    print(f"bare baseline (fpdf2, same table size, no query): median {statistics.median(bare):.2f} s; "
          f"ratio {statistics.median(times) / statistics.median(bare):.2f}")


if __name__ == "__main__":
    main()
