"""With CACHE_REDIS_URL: flask-caching's RedisCache shared by every process, and the upload
page's background callback run by a real Celery worker. Needs a running redis-server named
by SUNTER_TEST_REDIS_URL (``.ci/run`` starts one); skipped otherwise."""
from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from sunter_dash import create_app
from sunter_dash.extensions import cache
from sunter_dash.models import Mc

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from dash_wire import callback_body  # noqa: E402
from helpers import basic  # noqa: E402

REDIS_VARIABLE = "SUNTER_TEST_REDIS_URL"
ROOT = Path(__file__).resolve().parents[2]
MC = "NOMEN;ZONA_NOVAK;NOMINAL\n60000001;341010101;150000\n60000002;351010101;250000\n"
MC_AGAIN = MC + "60000003;341010102;600000\n"  # a new MC of the same periode replaces the first


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get(REDIS_VARIABLE)
    if not url:
        pytest.skip(f"Redis: {REDIS_VARIABLE} is not set (a redis-server URL, e.g. redis://127.0.0.1:6379/0)")
    import redis

    try:
        redis.Redis.from_url(url).ping()
    except redis.RedisError as error:
        pytest.fail(f"{REDIS_VARIABLE}={url} does not answer: {error}")
    return url


@pytest.fixture
def redis_config(config, redis_url):
    return config.with_overrides(cache_type="RedisCache", cache_redis_url=redis_url)


def redis_app(config):
    """An app on Redis, its cache emptied of earlier tests' entries (same data version,
    another database)."""
    app = create_app(config)
    with app.server.app_context():
        cache.clear()
    return app


def cache_keys(redis_url: str) -> set[bytes]:
    import redis

    return set(redis.Redis.from_url(redis_url).keys("sunter_dash:*"))



def post_file(client, auth, text: str):
    data = {"file": (io.BytesIO(text.encode()), "MC_2025-12.csv")}
    response = client.post("/api/uploads", data=data, headers=auth, content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def target(client, auth) -> int:
    return client.get("/api/kpi?periode=2025-12", headers=auth).get_json()["target"]["nominal"]


def test_the_redis_cache_is_shared_and_an_upload_anywhere_reaches_every_process(redis_config, redis_url, users):
    first, second = redis_app(redis_config), redis_app(redis_config)
    assert type(first.server.extensions["cache"][cache]).__name__ == "RedisCache"
    one, two = first.server.test_client(), second.server.test_client()
    admin = basic(*users["admin"])
    post_file(two, admin, MC)

    assert target(one, admin) == 400000
    cached = cache_keys(redis_url)
    assert cached, "the first app's figures are in Redis"
    assert target(two, admin) == 400000
    assert cache_keys(redis_url) == cached, "the second app read the first one's entries"

    assert post_file(two, admin, MC_AGAIN)["status"] == "loaded"
    assert target(one, admin) == 1000000, "the first app keyed its cache on the new data version"
    assert target(two, admin) == 1000000


# --- the upload page's load job through Celery ------------------------------------------------

@pytest.fixture
def celery_worker(redis_config, redis_url, tmp_path):
    """``celery -A sunter_dash.worker:celery_app worker`` on the test's database and Redis
    (and this process's TMPDIR: the staging folder), stopped after the test."""
    from sunter_dash import make_celery

    env = {**os.environ, "DATABASE_URL": redis_config.database_url, "CACHE_REDIS_URL": redis_url,
           "SECRET_KEY": redis_config.secret_key}
    env.pop("CACHE_TYPE", None)
    worker = subprocess.Popen(
        # The Procfile's pool: prefork, each job in a child that is replaced after it.
        [sys.executable, "-m", "celery", "-A", "sunter_dash.worker:celery_app", "worker", "--concurrency", "1",
         "--max-tasks-per-child", "1", "--loglevel", "INFO", "--without-mingle", "--without-gossip"],
        cwd=ROOT, env=env, stdout=(tmp_path / "celery.log").open("w"), stderr=subprocess.STDOUT)
    control = make_celery(redis_url).control
    deadline = time.monotonic() + 60
    while not control.ping(timeout=0.5):
        if worker.poll() is not None or time.monotonic() > deadline:
            worker.kill()
            worker.wait()
            pytest.fail("the Celery worker did not start:\n" + (tmp_path / "celery.log").read_text()[-3000:])
    yield worker
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(timeout=30)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.wait()


def end_id(client) -> str:
    """The signed page-load id the renderer echoes on background-callback requests."""
    page = client.get("/").get_data(as_text=True)
    config = page.split('<script id="_dash-config" type="application/json">', 1)[1].split("</script>", 1)[0]
    return json.loads(config)["end_id"]


def test_the_upload_page_loads_files_through_a_celery_worker(redis_config, users, log_in, engine, celery_worker):
    from sunter_dash.services import staging as upload

    app = redis_app(redis_config)
    client = app.server.test_client()
    log_in(client, *users["admin"])
    from conftest import _csrf_token
    staged = client.post("/upload/stage", data={"file": (io.BytesIO(MC.encode()), "MC_2025-12.csv")},
                         headers={"X-CSRFToken": _csrf_token(client)}, content_type="multipart/form-data").get_json()
    token, rows = staged["token"], staged["rows"]
    assert rows[0]["type"] == "MC"
    body = callback_body(app, "upload-results-store.data", {"upload-run.data": 1, "upload-token.data": token},
                         ["upload-run.data"])
    page = end_id(client)
    handles = client.post(f"/_dash-update-component?endId={page}", json=body).get_json()
    assert set(handles) >= {"cacheKey", "job"}
    results, deadline = None, time.monotonic() + 60
    while results is None:
        assert time.monotonic() < deadline, "the Celery job did not finish within a minute"
        answer = client.post("/_dash-update-component", json=body, query_string={
            "endId": page, "cacheKey": handles["cacheKey"], "job": handles["job"]})
        assert answer.status_code in (200, 204), answer.get_data(as_text=True)[:500]
        if answer.status_code == 200 and "upload-results-store" in answer.get_json().get("response", {}):
            results = answer.get_json()["response"]["upload-results-store"]["data"]
        else:
            time.sleep(0.2)

    assert [(r["file"], r["status"], r["stored"]) for r in results["results"]] == [("MC_2025-12.csv", "loaded", 2)]
    assert results["staged"] == []
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Mc)).scalar() == 2
    folder, left = upload.manifest(token)
    assert left["rows"] == {} and not list(folder.glob("*.upload")), "the worker loaded the file and removed it"
