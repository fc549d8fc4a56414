"""Time of the monthly report (issue 16's target: the PDF under 10 s at 200,000 customers x 12
periodes), beside a bare baseline of the same layout.

    python benchmarks/report.py [--db build/bench/dashboard-200k.db] [--repeat 3]

On the benchmark world of benchmarks/world.py: the report of the newest periode, all rayons and
Rayon 34, as PDF and as .xlsx, ``--repeat`` times each, cache cleared before each (so every
section's reads hit the database). Beside it, the bare baseline: the same report's content
(read once, outside the timing) laid out again by fpdf2 and matplotlib, i.e. what the PDF costs
with no read at all; the difference is the reads.
"""
from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "build" / "bench" / "dashboard-200k.db")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from world import build_world

    from sunter_dash import create_app, report
    from sunter_dash.config import Config
    from sunter_dash.db import get_engine, upgrade
    from sunter_dash.extensions import cache
    from sunter_dash.report import pdf as report_pdf

    url = build_world(args.db)
    upgrade(url)
    engine = get_engine(url)
    app = create_app(Config(database_url=url, cache_type="SimpleCache", secret_key="bench"))
    with engine.connect() as conn:
        periode = conn.exec_driver_sql("SELECT max(periode) FROM kpi_periode").scalar()
    printed = dt.datetime(2026, 11, 26, 8, 0)
    print(f"monthly report of {periode} (s, {args.repeat} runs each, cold cache)")
    medians = {}
    with app.server.app_context():
        for rayon in (None, "34"):
            for fmt in ("pdf", "xlsx"):
                times, size = [], 0
                for _ in range(args.repeat):
                    cache.clear()
                    started = time.perf_counter()
                    size = len(report.render(engine, periode, rayon, fmt, 90.0, "PAM JAYA Cabang Sunter", printed))
                    times.append(time.perf_counter() - started)
                medians[rayon, fmt] = statistics.median(times)
                print(f"  {fmt:<4} {'rayon ' + rayon if rayon else 'all rayons':<12} median {statistics.median(times):6.2f}"
                      f"  max {max(times):6.2f}  ({size / 1024:.0f} KB)")
        content = report.build(engine, periode, None, 90.0, "PAM JAYA Cabang Sunter", printed)
        bare = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            report_pdf.render(content)
            bare.append(time.perf_counter() - started)
        print(f"  bare baseline (the PDF's layout and charts alone, content read beforehand): median "
              f"{statistics.median(bare):.2f} s; ratio of the all-rayon PDF to it "
              f"{medians[None, 'pdf'] / statistics.median(bare):.2f}")


if __name__ == "__main__":
    main()
