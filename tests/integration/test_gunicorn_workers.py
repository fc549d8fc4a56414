"""Two gunicorn worker processes: an upload through one is in the very next response of the other.

Each worker keeps its own cache (SimpleCache), or both share Redis when SUNTER_TEST_REDIS_URL
is set; either way the cache is keyed on the data version stored in the database.

The kernel decides which of the workers of one gunicorn takes a connection, and on a
quiet machine one worker may take them all; so the two workers are two single-worker
gunicorns on two ports, sharing the database and the cache, and each request goes to
the one the test names. Which process answered is still read from its access log
(``%(p)s``, the pid), each request carrying a sequence number in its query string.
"""
from __future__ import annotations

import http.cookiejar
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from dash_wire import callback_body  # noqa: E402
from helpers import basic  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
MC = "NOMEN;ZONA_NOVAK;NOMINAL\n60000001;341010101;150000\n60000002;351010101;250000\n"
MC_AGAIN = MC + "60000003;341010102;600000\n"  # replaces the periode's target: 400.000 -> 1.000.000
VIEW = {"shell-periode.value": "2025-12", "shell-rayon.value": "semua"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Gunicorn:
    """``gunicorn -w 1 wsgi:server`` on a loopback port; the pid behind each request."""

    def __init__(self, env: dict, folder: Path):
        self.port = free_port()
        self.log = folder / "access.log"
        self.sequence = 0
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", "1", "--no-control-socket", "--bind", f"127.0.0.1:{self.port}",
             "--access-logfile", str(self.log), "--access-logformat", "%(p)s %(q)s %(s)s", "wsgi:server"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=(folder / "gunicorn.log").open("w"))
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(self.url("/login"), timeout=5).read()
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    pytest.fail("gunicorn did not start:\n" + (folder / "gunicorn.log").read_text()[-3000:])
                time.sleep(0.2)

    def url(self, path: str, **params) -> str:
        query = urllib.parse.urlencode(params)
        return f"http://127.0.0.1:{self.port}{path}" + (("&" if "?" in path else "?") + query if query else "")

    def request(self, opener, path: str, data: bytes | None = None, headers: dict | None = None) -> tuple[int, bytes]:
        """One request on a connection of its own (urllib sends ``Connection: close``);
        returns (pid of the worker that answered, body)."""
        self.sequence += 1
        marker = f"seq={self.sequence}-{uuid.uuid4().hex[:8]}"
        request = urllib.request.Request(self.url(path, seq=marker.split("=", 1)[1]), data=data,
                                         headers=headers or {})
        with opener.open(request, timeout=30) as response:
            body = response.read()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # the worker writes its log line just after answering
            text = self.log.read_text() if self.log.exists() else ""
            found = re.search(rf"^<(\d+)> \S*{re.escape(marker)}\S* \d+$", text, re.MULTILINE)
            if found:
                return int(found.group(1)), body
            time.sleep(0.02)
        raise AssertionError(f"no access-log line for {marker}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture(params=["SimpleCache", "RedisCache"])
def servers(request, db_url, users, tmp_path):
    """Two single-worker gunicorns on one database (and one Redis, with RedisCache)."""
    env = {**os.environ, "DATABASE_URL": db_url, "SECRET_KEY": "gunicorn-test-secret", "CACHE_TYPE": request.param}
    env.pop("CACHE_REDIS_URL", None)
    if request.param == "RedisCache":
        redis_url = os.environ.get("SUNTER_TEST_REDIS_URL")
        if not redis_url:
            pytest.skip("Redis: SUNTER_TEST_REDIS_URL is not set")
        import redis

        connection = redis.Redis.from_url(redis_url)
        for key in connection.scan_iter("sunter_dash:*"):  # entries of earlier tests, same data version
            connection.delete(key)
        env["CACHE_REDIS_URL"] = redis_url
    started = []
    try:
        for name in ("a", "b"):
            folder = tmp_path / name
            folder.mkdir()
            started.append(Gunicorn(env, folder))
        yield started
    finally:
        for server in started:
            server.stop()



def multipart(name: str, text: str) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            f"Content-Type: text/csv\r\n\r\n{text}\r\n--{boundary}--\r\n").encode()
    return body, f"multipart/form-data; boundary={boundary}"


def log_in(server: Gunicorn, name: str, password: str):
    """A browser-like client: cookies kept, signed in through the form."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(server.url("/login"), timeout=30).read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"username": name, "password": password, "csrf_token": token}).encode()
    opener.open(server.url("/login"), data=form, timeout=30).read()
    return opener


def overview_body(db_url: str) -> bytes:
    """The Ringkasan tab's callback as the browser POSTs it (its output key read from an app
    built here only for its callback map)."""
    from sunter_dash import create_app
    from sunter_dash.config import Config

    app = create_app(Config(database_url=db_url, cache_type="NullCache", secret_key="x"))
    return json.dumps(callback_body(app, "overview-alert", VIEW, ["shell-periode.value"])).encode()


def each_worker(servers: list[Gunicorn], call) -> dict[int, list]:
    """``call(server)`` (returning (pid, value)) once on each worker; every answer by pid."""
    answers: dict[int, list] = {}
    for server in servers:
        pid, value = call(server)
        answers.setdefault(pid, []).append(value)
    assert len(answers) == 2, f"two worker processes answer, got {sorted(answers)}"
    return answers


def test_an_upload_through_one_worker_is_in_the_next_response_of_the_other(servers, users, db_url):
    admin = basic(*users["admin"])
    api = urllib.request.build_opener()
    browsers = {id(server): log_in(server, *users["admin"]) for server in servers}
    callback = overview_body(db_url)
    json_headers = {"Content-Type": "application/json"}

    def kpi(server):
        pid, body = server.request(api, "/api/kpi?periode=2025-12", headers=admin)
        return pid, json.loads(body)["target"]["nominal"]

    def overview(server):
        pid, body = server.request(browsers[id(server)], "/_dash-update-component", data=callback,
                                   headers=json_headers)
        return pid, body.decode()

    def upload(server, text: str) -> int:
        data, kind = multipart("MC_2025-12.csv", text)
        pid, body = server.request(api, "/api/uploads", data=data, headers={**admin, "Content-Type": kind})
        assert json.loads(body)["status"] == "loaded"
        return pid

    upload(servers[0], MC)
    # Both workers compute (and cache) the figures of the first upload.
    before = each_worker(servers, kpi)
    assert all(values == [400000] * len(values) for values in before.values()), before
    old_pages = each_worker(servers, overview)
    assert all("400.000" in page for values in old_pages.values() for page in values)

    # Through the other worker this time: the first worker's cache holds the old figures.
    uploaded_by = upload(servers[1], MC_AGAIN)
    after = each_worker(servers, kpi)
    assert set(after) == set(before), "the same two workers"
    assert all(values == [1000000] * len(values) for values in after.values()), (
        f"upload through worker {uploaded_by}; answers by worker: {after}")
    pages = each_worker(servers, overview)
    assert set(pages) == set(old_pages)
    assert all("1.000.000" in page for values in pages.values() for page in values)
