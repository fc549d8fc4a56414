"""Server time of the dashboard's callbacks and API endpoints, cold and warm cache.

    python benchmarks/queries.py [--db build/bench/dashboard-200k.db | --database-url URL]
                                 [--samples 40] [--browser]

Loads (or reuses) the benchmark world of benchmarks/world.py: 200,000 customers,
12 periodes, 10,000,000 payment rows, through the real ingestion pipeline (or takes
``--database-url``, a database already loaded, as benchmarks/scale.py's). Then,
against the app on that database (flask-caching's SimpleCache, as `python -m
sunter_dash` runs), it times every request through Flask's test client, so a
figure includes routing, the guard, Dash's callback dispatch and JSON encoding:

- each tab's callbacks, POSTed to /_dash-update-component exactly as the browser
  sends them (the shell's filter sync, the tab switch, Ringkasan, Tunggakan, Tren,
  Status Data, Meter's cards and its grid's page requests), over every periode and
  rayon in turn;
- each API endpoint, with HTTP Basic, including the anomaly lists (pages deep in the
  list, sorted, filtered), customer profiles and the customer search;
- the first page load: GET /, the layout, the dependencies and the callbacks the
  page fires on load, in order (and, with --browser, headless Chromium from
  navigation to the first KPI card showing its figure).

*cold*: the cache is cleared before every request (the summaries are read from the
database); *warm*: the same request again. Prints p50 / p95 / max in milliseconds.
"""
from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))

from dash_wire import callback_body  # noqa: E402  (re-exported for benchmarks/load.py)

USER, PASSWORD = "bench", "bench-password-1"


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def timed(call) -> float:
    started = time.perf_counter()
    response = call()
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{response.status_code}: {response.get_data(as_text=True)[:300]}")
    return elapsed


def measure(name: str, cases: list, clear, results: list) -> None:
    cold, warm = [], []
    for call in cases:
        clear()
        cold.append(timed(call))
        warm.append(timed(call))
    results.append((name, cold, warm))
    print(f"{name:<44}{percentile(cold, .5):>8.1f}{percentile(cold, .95):>8.1f}{max(cold):>8.1f}"
          f"{percentile(warm, .5):>8.2f}{percentile(warm, .95):>8.2f}{max(warm):>8.2f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "build" / "bench" / "dashboard-200k.db")
    parser.add_argument("--database-url", default=os.environ.get("SUNTER_QUERIES_DATABASE_URL"),
                        help="a loaded database instead of --db, e.g. PostgreSQL (SUNTER_QUERIES_DATABASE_URL)")
    parser.add_argument("--samples", type=int, default=40, help="requests per figure (cold and warm each)")
    parser.add_argument("--browser", action="store_true", help="also time a first page load in Chromium")
    args = parser.parse_args()

    from world import build_world

    from sunter_dash import create_app
    from sunter_dash.config import Config
    from sunter_dash.db import get_engine, upgrade
    from sunter_dash.extensions import cache
    from sunter_dash.services.users import upsert as upsert_user

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    url = args.database_url or build_world(args.db)
    started = time.perf_counter()
    upgrade(url)
    print(f"schema at head ({time.perf_counter() - started:.1f} s; a first upgrade builds the summaries)")
    engine = get_engine(url)
    upsert_user(engine, USER, "viewer", PASSWORD)
    app = create_app(Config(database_url=url, cache_type="SimpleCache", secret_key="bench"))
    client = app.server.test_client()
    # The Dash routes sit behind the login form, as in production: log in once, like a browser.
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    assert client.post("/login", data={"username": USER, "password": PASSWORD, "csrf_token": token}).status_code == 302
    auth = {"Authorization": "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()}
    with engine.connect() as conn:
        periodes = [p for (p,) in conn.exec_driver_sql("SELECT DISTINCT periode FROM kpi_periode ORDER BY 1")]
        counts = dict(conn.exec_driver_sql(
            "SELECT 'payment', COUNT(*) FROM payment UNION ALL SELECT 'customers', COUNT(DISTINCT nomen) FROM mc"
        ).all())
        # Customers to open: a spread of those with anomalies (their profiles are the fullest).
        nomens = [n for (n,) in conn.exec_driver_sql(
            "SELECT nomen FROM meter_flag WHERE flag = 'drop' ORDER BY nomen")][::97][:max(args.samples, 1)]
        words = [w for (w,) in conn.exec_driver_sql(
            "SELECT nama FROM customer ORDER BY nomen LIMIT 400")][::10]
    rayons = ["semua", "34", "35"]
    views = [(periodes[i % len(periodes)], rayons[i % len(rayons)]) for i in range(args.samples)]
    # Grid requests as AG Grid sends them: a page deep in the list, sorted, sometimes filtered.
    keys = ["drop", "zero", "extreme", "estimated", "misrecord", "spike", "stuck", "rebill"]
    sorts = [[], [{"colId": "volume", "sort": "desc"}], [{"colId": "nama", "sort": "asc"}],
             [{"colId": "delta_m3", "sort": "asc"}]]
    filters = [{}, {}, {"nama": {"filterType": "text", "type": "contains", "filter": "an"}},
               {"volume": {"filterType": "number", "type": "greaterThan", "filter": 10}}]
    pages = [{"key": keys[i % len(keys)], "start": 50 * (i % 5), "sortModel": sorts[i % len(sorts)],
              "filterModel": filters[(i // 2) % len(filters)]} for i in range(args.samples)]
    print(f"{counts['payment']:,} payment rows, {counts['customers']:,} customers, {len(periodes)} periodes "
          f"({periodes[0]} .. {periodes[-1]}); {args.samples} requests per figure")

    def post(body):
        return lambda: client.post("/_dash-update-component", json=body)

    def get(path):
        return lambda: client.get(path, headers=auth)

    def view(periode, rayon):
        return {"shell-periode.value": periode, "shell-rayon.value": rayon}

    callbacks = {
        "shell: filters from the URL": lambda p, r: post(callback_body(
            app, "shell-periode.options", {"shell-url.search": f"?periode={p}&rayon={r}",
                                           "shell-tabs.active_tab": "ringkasan"}, ["shell-url.search"])),
        "shell: tab switch": lambda p, r: post(callback_body(
            app, "shell-content.children", {"shell-tabs.active_tab": "tunggakan"}, ["shell-tabs.active_tab"])),
        "Ringkasan: cards, rayon chart and grid, daily": lambda p, r: post(callback_body(
            app, "overview-alert", view(p, r), ["shell-periode.value"])),
        "Tunggakan: cards, aging, top debtors": lambda p, r: post(callback_body(
            app, "arrears-alert", view(p, r), ["shell-periode.value"])),
        "Tren: 12 periodes, one series": lambda p, r: post(callback_body(
            app, "trend-alert", {"trend-metric.value": "collection_rate", "trend-first.value": periodes[0],
                                 "trend-last.value": p, "trend-split.value": "semua", "shell-rayon.value": r},
            ["trend-metric.value"])),
        "Tren: 12 periodes, per rayon": lambda p, r: post(callback_body(
            app, "trend-alert", {"trend-metric.value": "paid_nominal", "trend-first.value": periodes[0],
                                 "trend-last.value": p, "trend-split.value": "per-rayon", "shell-rayon.value": r},
            ["trend-split.value"])),
        "Status Data: rows per periode and type": lambda p, r: post(callback_body(
            app, "status-grid", {"shell-periode.options": []}, ["shell-periode.options"])),
        "Meter: the 11 anomaly cards": lambda p, r: post(callback_body(
            app, "meter-alert", {**view(p, r), "meter-key.data": "drop"}, ["shell-periode.value"])),
    }
    grid_pages = {
        "Meter: a grid page (server-side rows)": lambda p, r, g: post(callback_body(
            app, "meter-grid.getRowsResponse",
            {"meter-grid.getRowsRequest": {"startRow": g["start"], "endRow": g["start"] + 50,
                                           "sortModel": g["sortModel"], "filterModel": g["filterModel"]},
             "meter-query.data": {"periode": p, "rayon": r, "key": g["key"]}}, ["meter-grid.getRowsRequest"])),
        "GET /api/collection/unpaid (a page)": lambda p, r, g: get(
            f"/api/collection/unpaid?periode={p}&rayon={r}&page={g['start'] // 50 + 1}&page_size=50"
            f"&sort={('nominal', 'route', 'nomen', 'arrears')[g['start'] // 50 % 4]}"),
        "GET /api/anomalies (a page)": lambda p, r, g: get(
            f"/api/anomalies?periode={p}&rayon={r}&type={g['key']}&page={g['start'] // 50 + 1}&page_size=50"
            + (f"&sort={g['sortModel'][0]['colId']}:{g['sortModel'][0]['sort']}" if g["sortModel"] else "")
            + (f"&filters={json.dumps(g['filterModel'])}" if g["filterModel"] else "")),
    }
    endpoints = {
        "GET /api/periodes": lambda p, r: get("/api/periodes"),
        "GET /api/kpi": lambda p, r: get(f"/api/kpi?periode={p}&rayon={r}"),
        "GET /api/kpi/rayon": lambda p, r: get(f"/api/kpi/rayon?periode={p}"),
        "GET /api/kpi/daily": lambda p, r: get(f"/api/kpi/daily?periode={p}&rayon={r}"),
        "GET /api/kpi/series": lambda p, r: get(f"/api/kpi/series?from={periodes[0]}&to={p}&rayon={r}"),
        "GET /api/arrears/summary": lambda p, r: get(f"/api/arrears/summary?periode={p}&rayon={r}"),
        "GET /api/arrears/top": lambda p, r: get(f"/api/arrears/top?periode={p}&rayon={r}"),
        "GET /api/kpi_data": lambda p, r: get(f"/api/kpi_data?periode={p}"),
        "GET /api/anomaly/summary": lambda p, r: get(f"/api/anomaly/summary?periode={p}&rayon={r}"),
        "GET /api/kpi/pcez": lambda p, r: get(f"/api/kpi/pcez?periode={p}&rayon={r}"),
        "GET /api/kpi/petugas": lambda p, r: get(f"/api/kpi/petugas?periode={p}&rayon={r}"),
        "GET /api/collection/disconnect (first page)": lambda p, r: get(
            f"/api/collection/disconnect?periode={p}&rayon={r}"),
        "GET /api/kpi/forecast": lambda p, r: get(f"/api/kpi/forecast?periode={p}&rayon={r}"),
        "GET /api/promises": lambda p, r: get(f"/api/promises?periode={p}"),
    }
    customers = {
        "GET /api/customers/<nomen> (profile)": lambda i: get(f"/api/customers/{nomens[i % len(nomens)]}"),
        "GET /api/customers/search (prefix)": lambda i: get(f"/api/customers/search?q={nomens[i % len(nomens)][:5]}"),
        "GET /api/customers/search (words)": lambda i: get(
            f"/api/customers/search?q={' '.join(words[i % len(words)].split()[:2])}"),
    }
    get("/api/periodes")()  # the one password check; later requests reuse it (auth.BASIC_TTL_SECONDS)
    print(f"\n{'ms':<44}{'cold p50':>8}{'p95':>8}{'max':>8}{'warm p50':>8}{'p95':>8}{'max':>8}")
    results: list = []
    for group in (callbacks, endpoints):
        for name, make in group.items():
            measure(name, [make(p, r) for p, r in views], cache.clear, results)
    for name, make in grid_pages.items():
        measure(name, [make(p, r, g) for (p, r), g in zip(views, pages)], cache.clear, results)
    for name, make in customers.items():
        measure(name, [make(i) for i in range(args.samples)], cache.clear, results)

    # The first page load: what the server answers before the overview shows its figures.
    latest = periodes[-1]
    page = [
        lambda: client.get("/"),
        lambda: client.get("/_dash-layout"),
        lambda: client.get("/_dash-dependencies"),
        callbacks["shell: filters from the URL"](latest, "semua"),
        post(callback_body(app, "shell-content.children", {"shell-tabs.active_tab": "ringkasan"},
                           ["shell-tabs.active_tab"])),
        callbacks["Ringkasan: cards, rayon chart and grid, daily"](latest, "semua"),
    ]
    first_load = []
    for _ in range(max(5, args.samples // 4)):
        cache.clear()
        first_load.append(sum(timed(step) for step in page))
    print(f"\nfirst page load, server time of its {len(page)} requests, cold cache: "
          f"p50 {percentile(first_load, .5):.0f} ms, max {max(first_load):.0f} ms")
    if args.browser:
        browser_first_load(app, latest)
    worst_cold = max(percentile(cold, .95) for _, cold, _ in results)
    worst_warm = max(percentile(warm, .95) for _, _, warm in results)
    print(f"worst p95: cold {worst_cold:.1f} ms, warm {worst_warm:.2f} ms")
    print(json.dumps({"payments": counts["payment"], "worst_p95_cold_ms": round(worst_cold, 1),
                      "worst_p95_warm_ms": round(worst_warm, 2)}))


def log_in(driver) -> None:
    from selenium.webdriver.common.by import By

    driver.get("http://127.0.0.1:8765/login")
    driver.find_element(By.ID, "username").send_keys(USER)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "login-submit").click()


MARKS = """
window.__marks = {};
new MutationObserver(() => {
  const m = window.__marks, card = document.getElementById('card-target');
  if (!m.cards && card && card.textContent.includes('Rp')) m.cards = performance.now();
  if (!m.charts && document.querySelector('#overview-daily-chart .main-svg .bars')) m.charts = performance.now();
}).observe(document, {subtree: true, childList: true, characterData: true});
"""


def browser_first_load(app, periode: str, runs: int = 3) -> None:
    """Headless Chromium, a new profile each run (nothing cached): milliseconds from
    navigation start until the KPI cards show their figures and until the charts are drawn,
    read in the page (a MutationObserver), since WebDriver waits while scripts run."""
    import threading

    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.support.ui import WebDriverWait
    from werkzeug.serving import make_server

    from sunter_dash.extensions import cache

    server = make_server("127.0.0.1", 8765, app.server, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    options = Options()
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--window-size=1280,800"):
        options.add_argument(flag)
    if Path("/usr/bin/chromium").exists():
        options.binary_location = "/usr/bin/chromium"
    cards, charts = [], []
    try:
        for _ in range(runs):
            driver = webdriver.Chrome(options=options)
            try:
                driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": MARKS})
                cache.clear()
                log_in(driver)
                driver.get(f"http://127.0.0.1:8765/?periode={periode}")
                marks = WebDriverWait(driver, 60, poll_frequency=0.05).until(
                    lambda d: (m := d.execute_script("return window.__marks")) and "charts" in m and "cards" in m and m)
                cards.append(marks["cards"])
                charts.append(marks["charts"])
            finally:
                driver.quit()
        print(f"first page load in Chromium, empty browser cache and cold server cache ({runs} runs): "
              f"KPI cards shown at {', '.join(f'{t:.0f}' for t in cards)} ms, "
              f"charts drawn at {', '.join(f'{t:.0f}' for t in charts)} ms")
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
