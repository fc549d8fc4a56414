"""A bounded load test: simulated users signing in and browsing the tabs of gunicorn.

    python benchmarks/load.py [--database-url URL] [--redis-url URL] [--users 50] [--seconds 60]
                              [--workers 4] [--think 1,3]

It starts ``gunicorn --workers 4 wsgi:server`` itself on a free loopback port, against
``--database-url`` (default: SUNTER_LOAD_DATABASE_URL, else DATABASE_URL; a database that
already holds data, e.g. a demo branch: ``python -m sunter_dash demo --out DIR`` then
``python -m sunter_dash ingest DIR/*``) and ``--redis-url`` (default: CACHE_REDIS_URL, else
redis://127.0.0.1:6379/0; ``--redis-url ''`` runs each worker on its own SimpleCache). The
cache's entries are dropped first, so the run starts cold.

Each simulated user is a thread with its own cookie session. It signs in through the login
form, loads the page as the browser does (``/``, ``/_dash-layout``, ``/_dash-dependencies``,
the shell's filter callback), then until the time is up: waits a think time (uniform, 1-3 s
by default) and does one thing a person browsing does - opens a tab (the tab switch and the
callbacks that tab fires, bodies built from the app's callback map as benchmarks/queries.py
does), changes the periode or rayon on Ringkasan, pages through a Meter anomaly list, or
calls /api (KPI, arrears, anomaly summary, a customer profile, a search).

Two phases, reported apart. **Arrival:** the users start evenly over ``--ramp`` seconds
(10 by default), each signing in and loading the first page. **The window:** once every user
is in, all of them browse for ``--seconds``, the minute the goal is about (a branch's staff
sign in once for an 8-hour session; a sign-in's password hash costs about 130 ms of CPU by
design, so a hundred at once are a different load, shown as its own table). The run then
stops by itself (a request under way finishes), stops gunicorn, and prints for each phase the
requests, the errors (a status other than 200/204, or 302 for the sign-in; a failed
connection), and p50 / p95 / max in milliseconds, overall and per request kind, then one JSON
line with both. Exit status 1 when any request failed.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

USER, PASSWORD = "load", "load-password-1"


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class World:
    """What the simulated users pick from: periodes, rayons, customers, callback bodies."""

    def __init__(self, database_url: str):
        from queries import callback_body

        from sunter_dash import create_app
        from sunter_dash.config import Config
        from sunter_dash.db import get_engine
        from sunter_dash.services.users import upsert as upsert_user

        engine = get_engine(database_url)
        upsert_user(engine, USER, "viewer", PASSWORD)
        with engine.connect() as conn:
            self.periodes = [p for (p,) in conn.exec_driver_sql("SELECT DISTINCT periode FROM kpi_periode ORDER BY 1")]
            self.rayons = ["semua"] + [r for (r,) in conn.exec_driver_sql(
                "SELECT DISTINCT rayon FROM kpi_periode WHERE rayon IS NOT NULL ORDER BY 1")]
            self.nomens = [n for (n,) in conn.exec_driver_sql("SELECT nomen FROM customer ORDER BY nomen LIMIT 5000")][::50]
            self.words = [w.split()[0] for (w,) in conn.exec_driver_sql(
                "SELECT nama FROM customer WHERE nama IS NOT NULL ORDER BY nomen LIMIT 2000") if w.split()][::40]
        engine.dispose()
        if not self.periodes:
            raise SystemExit(f"{database_url}: no data stored; load a demo branch first (see the docstring)")
        # Built only to read its callback map: the bodies match the code gunicorn serves.
        self.app = create_app(Config(database_url=database_url, cache_type="NullCache", secret_key="load"))
        self.body = lambda prefix, values, changed: callback_body(self.app, prefix, values, changed)

    def view(self) -> dict:
        return {"shell-periode.value": random.choice(self.periodes), "shell-rayon.value": random.choice(self.rayons)}


class Recorder:
    def __init__(self):
        self.samples: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)
        self.lock = threading.Lock()

    def add(self, name: str, ms: float, error: str | None) -> None:
        with self.lock:
            self.samples[name].append(ms)
            if error:
                self.errors[name].append(error)


class User:
    """One person with a browser: a cookie session, the view they are on."""

    def __init__(self, base: str, world: World, recorder: Recorder, think: tuple[float, float]):
        import requests

        self.base, self.world, self.recorder, self.think = base, world, recorder, think
        self.session = requests.Session()
        self.view = {"shell-periode.value": world.periodes[-1], "shell-rayon.value": "semua"}

    def request(self, name: str, method: str, path: str, ok: tuple[int, ...] = (200, 204), **kwargs):
        started = time.perf_counter()
        error = None
        try:
            response = self.session.request(method, self.base + path, timeout=60, **kwargs)
            if response.status_code not in ok:
                error = f"{response.status_code}: {response.text[:200]}"
        except Exception as failure:  # noqa: BLE001  (a refused or dropped connection is an error to count)
            response, error = None, f"{type(failure).__name__}: {failure}"
        self.recorder.add(name, (time.perf_counter() - started) * 1000, error)
        return response

    def callback(self, name: str, prefix: str, values: dict, changed: list[str]):
        return self.request(name, "POST", "/_dash-update-component",
                            json=self.world.body(prefix, values, changed))

    def sign_in(self) -> None:
        page = self.request("GET /login", "GET", "/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        self.request("POST /login", "POST", "/login", ok=(302,), allow_redirects=False,
                     data={"username": USER, "password": PASSWORD, "csrf_token": token})
        self.request("GET / (page)", "GET", "/")
        self.request("GET /_dash-layout", "GET", "/_dash-layout")
        self.request("GET /_dash-dependencies", "GET", "/_dash-dependencies")
        self.callback("shell: filters from the URL", "shell-periode.options",
                      {"shell-url.search": "", "shell-tabs.active_tab": "ringkasan"}, ["shell-url.search"])
        self.callback("Ringkasan", "overview-alert", self.view, ["shell-periode.value"])

    def open_tab(self, tab: str) -> None:
        self.callback("shell: tab switch", "shell-content.children", {"shell-tabs.active_tab": tab},
                      ["shell-tabs.active_tab"])
        w, view = self.world, self.view
        if tab == "ringkasan":
            self.callback("Ringkasan", "overview-alert", view, ["shell-periode.value"])
        elif tab == "tunggakan":
            self.callback("Tunggakan", "arrears-alert", view, ["shell-periode.value"])
        elif tab == "tren":
            self.callback("Tren", "trend-alert", {
                "trend-metric.value": random.choice(["collection_rate", "paid_nominal", "target_nominal"]),
                "trend-first.value": w.periodes[0], "trend-last.value": view["shell-periode.value"],
                "trend-split.value": random.choice(["semua", "per-rayon"]),
                "shell-rayon.value": view["shell-rayon.value"]}, ["trend-metric.value"])
        elif tab == "meter":
            key = random.choice(["drop", "zero", "extreme", "estimated", "spike", "stuck"])
            self.callback("Meter: cards", "meter-alert", {**view, "meter-key.data": key}, ["shell-periode.value"])
            self.meter_page(key)
        elif tab == "pelanggan":
            self.callback("Pelanggan: search", "customer-results", {**view, "customer-search.value": random.choice(
                w.words or ["A"])}, ["customer-search.value"])
        elif tab == "status":
            self.callback("Status Data", "status-grid", {"shell-periode.options": []}, ["shell-periode.options"])

    def meter_page(self, key: str) -> None:
        query = {"periode": self.view["shell-periode.value"], "rayon": self.view["shell-rayon.value"], "key": key}
        start = 50 * random.randrange(4)
        sort = random.choice([[], [{"colId": "volume", "sort": "desc"}], [{"colId": "nama", "sort": "asc"}]])
        self.callback("Meter: grid page", "meter-grid.getRowsResponse", {
            "meter-grid.getRowsRequest": {"startRow": start, "endRow": start + 50, "sortModel": sort,
                                          "filterModel": {}}, "meter-query.data": query},
            ["meter-grid.getRowsRequest"])

    def api(self) -> None:
        w = self.world
        periode, rayon = self.view["shell-periode.value"], self.view["shell-rayon.value"]
        choice = random.randrange(6)
        if choice == 0:
            self.request("GET /api/kpi", "GET", f"/api/kpi?periode={periode}&rayon={rayon}")
        elif choice == 1:
            self.request("GET /api/kpi/daily", "GET", f"/api/kpi/daily?periode={periode}&rayon={rayon}")
        elif choice == 2:
            self.request("GET /api/arrears/summary", "GET", f"/api/arrears/summary?periode={periode}&rayon={rayon}")
        elif choice == 3:
            self.request("GET /api/anomaly/summary", "GET", f"/api/anomaly/summary?periode={periode}&rayon={rayon}")
        elif choice == 4 and w.nomens:
            self.request("GET /api/customers/<nomen>", "GET", f"/api/customers/{random.choice(w.nomens)}")
        else:
            self.request("GET /api/customers/search", "GET",
                         f"/api/customers/search?q={random.choice(w.words or ['A'])}")

    def browse(self, recorder: Recorder, deadline: float) -> None:
        self.recorder = recorder
        tabs = ["ringkasan", "tunggakan", "tren", "meter", "pelanggan", "status"]
        while True:
            pause = random.uniform(*self.think)
            if time.monotonic() + pause >= deadline:
                return
            time.sleep(pause)
            roll = random.random()
            if roll < 0.45:
                self.open_tab(random.choice(tabs))
            elif roll < 0.65:
                self.view = self.world.view()
                self.callback("Ringkasan", "overview-alert", self.view, ["shell-periode.value"])
            elif roll < 0.80:
                self.meter_page(random.choice(["drop", "zero", "extreme", "spike"]))
            else:
                self.api()


def start_gunicorn(args, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": args.database_url, "SECRET_KEY": secrets.token_hex(32)}
    for name in ("CACHE_TYPE", "CACHE_REDIS_URL"):
        env.pop(name, None)
    if args.redis_url:
        env["CACHE_REDIS_URL"] = args.redis_url
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(args.workers), "--bind", f"127.0.0.1:{port}",
         "--no-control-socket", "--timeout", "120", "wsgi:server"],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    import requests

    deadline = time.monotonic() + 120
    while True:
        try:
            requests.get(f"http://127.0.0.1:{port}/login", timeout=30)
            return server
        except requests.RequestException:  # bound before the workers have booted
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise SystemExit("gunicorn did not start:\n" + log.read_text()[-3000:])
            time.sleep(0.3)


def clear_cache(redis_url: str) -> None:
    import redis

    connection = redis.Redis.from_url(redis_url)
    for key in connection.scan_iter("sunter_dash:*"):
        connection.delete(key)


def table(title: str, recorder: Recorder, seconds: float) -> dict:
    """Print one phase's requests by kind; return its figures for the JSON line."""
    every = [ms for samples in recorder.samples.values() for ms in samples]
    errors = sum(len(e) for e in recorder.errors.values())
    if not every:  # a window shorter than the shortest think time
        print(f"\n{title}\nno requests in {seconds:.0f} s")
        return {"seconds": round(seconds, 1), "requests": 0, "errors": 0, "p50_ms": None, "p95_ms": None,
                "max_ms": None}
    print(f"\n{title}\n{'request':<34}{'count':>7}{'errors':>7}{'p50':>8}{'p95':>8}{'max':>8}   (ms)")
    for name in sorted(recorder.samples, key=lambda n: -len(recorder.samples[n])):
        samples = recorder.samples[name]
        print(f"{name:<34}{len(samples):>7}{len(recorder.errors.get(name, [])):>7}"
              f"{percentile(samples, .5):>8.0f}{percentile(samples, .95):>8.0f}{max(samples):>8.0f}")
    print(f"{'all':<34}{len(every):>7}{errors:>7}{percentile(every, .5):>8.0f}{percentile(every, .95):>8.0f}"
          f"{max(every):>8.0f}")
    print(f"{len(every)} requests in {seconds:.0f} s ({len(every) / seconds:.1f}/s), {errors} errors; "
          f"p50 {percentile(every, .5):.0f} ms, p95 {percentile(every, .95):.0f} ms, max {max(every):.0f} ms")
    for name, messages in recorder.errors.items():
        print(f"  {name}: {messages[0]}")
    return {"seconds": round(seconds, 1), "requests": len(every), "errors": errors,
            "p50_ms": round(percentile(every, .5)), "p95_ms": round(percentile(every, .95)),
            "max_ms": round(max(every))}


def report(arrival: tuple[Recorder, float], window: tuple[Recorder, float], args) -> int:
    first = table(f"Arrival: {args.users} users sign in and load the first page", *arrival)
    second = table(f"The window: {args.users} users browse for {args.seconds:.0f} s (the goal's p95)", *window)
    print(json.dumps({"users": args.users, "workers": args.workers, "arrival": first, **second}))
    return 1 if first["errors"] or second["errors"] else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("SUNTER_LOAD_DATABASE_URL")
                        or os.environ.get("DATABASE_URL"))
    parser.add_argument("--redis-url", default=os.environ.get("CACHE_REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--think", default="1,3", help="seconds between a user's actions: MIN,MAX")
    parser.add_argument("--ramp", type=float, default=10, help="seconds over which the users start")
    args = parser.parse_args()
    if not args.database_url:
        parser.error("--database-url (or SUNTER_LOAD_DATABASE_URL) is required")
    think = tuple(float(x) for x in args.think.split(","))

    world = World(args.database_url)
    if args.redis_url:
        clear_cache(args.redis_url)
    port = free_port()
    log = Path(tempfile.gettempdir()) / f"sunter-load-gunicorn-{port}.log"
    server = start_gunicorn(args, port, log)
    print(f"gunicorn: {args.workers} workers on 127.0.0.1:{port} (log {log}); database "
          f"{args.database_url.split('@')[-1]}; cache {'Redis ' + args.redis_url if args.redis_url else 'per worker'}; "
          f"{len(world.periodes)} periodes; {args.users} users for {args.seconds:.0f} s", flush=True)
    arrival, window = Recorder(), Recorder()
    users = [User(f"http://127.0.0.1:{port}", world, arrival, think) for _ in range(args.users)]
    try:
        started = time.monotonic()
        threads = []
        for user in users:
            threads.append(threading.Thread(target=user.sign_in, daemon=True))
            threads[-1].start()
            time.sleep(args.ramp / args.users)
        for thread in threads:
            thread.join(timeout=180)
        # A user still signing in after that (a run gone wrong) does not browse: its session
        # would be shared, and its sign-in counted in the window.
        users = [user for user, thread in zip(users, threads) if not thread.is_alive()]
        begun = time.monotonic()
        arrived = begun - started
        deadline = begun + args.seconds
        threads = [threading.Thread(target=user.browse, args=(window, deadline), daemon=True) for user in users]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=args.seconds + 90)
        browsed = time.monotonic() - begun
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    return report((arrival, arrived), (window, browsed), args)


if __name__ == "__main__":
    sys.exit(main())
