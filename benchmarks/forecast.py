"""Server time of the month-end forecast (issue 16's target: p95 under 100 ms cold at 200,000
customers x 12 periodes), beside a bare baseline of the same reads.

    python benchmarks/forecast.py [--db build/bench/dashboard-200k.db] [--samples 40]

On the benchmark world of benchmarks/world.py (every periode's payments run to its last day,
so every forecast would stop at "data bulan ini lengkap"), each periode from the 7th on is set,
for its own requests only, as if its data ran to the 15th: the periode's stored "data as of"
(stored_count.last_day) is moved, the forecast answered, the date put back. So every request
takes the full path: six earlier periodes, each with its KPI, its data as of and its payments
up to the same day.

- *app*: GET /api/kpi/forecast through Flask's test client (routing, the guard, the query
  functions, JSON), cache cleared before each request (cold), then the same request again (warm);
- *bare*: the same reads as plain SQL on a sqlite3 connection (the periode's and six earlier
  periodes' data as of, paid and paid-by-day, and the target) and the median in Python: the
  least any implementation reading these summaries must do.
"""
from __future__ import annotations

import argparse
import base64
import calendar
import sqlite3
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from queries import percentile  # noqa: E402

USER, PASSWORD = "bench", "bench-password-1"


def bare(db: sqlite3.Connection, periode: str, rayon: str | None) -> dict:
    """The forecast's reads as bare SQL, and its arithmetic."""
    where = "" if rayon is None else " AND rayon = ?"
    extra = () if rayon is None else (rayon,)
    as_of = db.execute("SELECT last_day FROM stored_count WHERE file_type = 'COLLECTION' AND periode = ?",
                       (periode,)).fetchone()[0]
    day = int(as_of[8:10])
    year, month = int(periode[:4]), int(periode[5:7])
    fractions = []
    for back in range(1, 7):
        index = year * 12 + month - 1 - back
        earlier = f"{index // 12:04d}-{index % 12 + 1:02d}"
        last = calendar.monthrange(index // 12, index % 12 + 1)[1]
        found = db.execute("SELECT last_day FROM stored_count WHERE file_type = 'COLLECTION' AND periode = ?",
                           (earlier,)).fetchone()
        paid = db.execute(f"SELECT sum(paid_nominal) FROM kpi_periode WHERE periode = ?{where}",
                          (earlier, *extra)).fetchone()[0] or 0
        if not found or found[0][8:10] != f"{last:02d}" or paid <= 0:
            continue
        by_day = db.execute(f"SELECT sum(nominal) FROM kpi_day WHERE periode = ? AND day <= ?{where}",
                            (earlier, f"{earlier}-{min(day, last):02d}", *extra)).fetchone()[0] or 0
        if by_day:
            fractions.append(by_day / paid)
    target, paid = db.execute(f"SELECT sum(target_nominal), sum(paid_nominal) FROM kpi_periode WHERE periode = ?"
                              f"{where}", (periode, *extra)).fetchone()
    middle = paid / statistics.median(fractions)
    return {"rate": 100 * middle / target, "periodes": len(fractions)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "build" / "bench" / "dashboard-200k.db")
    parser.add_argument("--samples", type=int, default=40)
    args = parser.parse_args()

    from world import build_world

    from sunter_dash import create_app
    from sunter_dash.config import Config
    from sunter_dash.db import get_engine, upgrade
    from sunter_dash.extensions import cache
    from sunter_dash.services.users import upsert as upsert_user

    url = build_world(args.db)
    upgrade(url)
    engine = get_engine(url)
    upsert_user(engine, USER, "viewer", PASSWORD)
    app = create_app(Config(database_url=url, cache_type="SimpleCache", secret_key="bench"))
    client = app.server.test_client()
    auth = {"Authorization": "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()}
    db = sqlite3.connect(args.db)
    periodes = [p for (p,) in db.execute("SELECT DISTINCT periode FROM kpi_periode ORDER BY 1")][6:]
    rayons = [None, "34", "35"]
    views = [(periodes[i % len(periodes)], rayons[i % len(rayons)]) for i in range(args.samples)]
    client.get("/api/periodes", headers=auth)  # the one password check

    def mid_month(periode: str):
        """The periode's data as of moved to the 15th for the request; returns how to put it back."""
        (last,) = db.execute("SELECT last_day FROM stored_count WHERE file_type = 'COLLECTION' AND periode = ?",
                             (periode,)).fetchone()
        db.execute("UPDATE stored_count SET last_day = ? WHERE file_type = 'COLLECTION' AND periode = ?",
                   (f"{periode}-15", periode))
        db.commit()
        return lambda: (db.execute("UPDATE stored_count SET last_day = ? WHERE file_type = 'COLLECTION' "
                                   "AND periode = ?", (last, periode)), db.commit())

    cold, warm, base = [], [], []
    for periode, rayon in views:
        restore = mid_month(periode)
        try:
            query = f"/api/kpi/forecast?periode={periode}" + (f"&rayon={rayon}" if rayon else "")
            cache.clear()
            started = time.perf_counter()
            answer = client.get(query, headers=auth)
            cold.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            client.get(query, headers=auth)
            warm.append((time.perf_counter() - started) * 1000)
            body = answer.get_json()
            assert answer.status_code == 200 and body["forecast"], body
            started = time.perf_counter()
            expected = bare(db, periode, rayon)
            base.append((time.perf_counter() - started) * 1000)
            assert abs(expected["rate"] - body["forecast"]["rate"]) < 1e-9, (expected, body["forecast"])
        finally:
            restore()
    print(f"GET /api/kpi/forecast, {args.samples} requests over {periodes[0]} .. {periodes[-1]} at day 15, "
          "all rayons, 34 and 35 (ms)")
    print(f"  app cold   p50 {percentile(cold, .5):7.1f}  p95 {percentile(cold, .95):7.1f}  max {max(cold):7.1f}")
    print(f"  app warm   p50 {percentile(warm, .5):7.2f}  p95 {percentile(warm, .95):7.2f}  max {max(warm):7.2f}")
    print(f"  bare SQL   p50 {percentile(base, .5):7.2f}  p95 {percentile(base, .95):7.2f}  max {max(base):7.2f}")
    print(f"  ratio app cold / bare, p95: {percentile(cold, .95) / percentile(base, .95):.1f}")


if __name__ == "__main__":
    main()
