"""sunter_dash: the operations dashboard of PAM JAYA's Sunter branch."""
from __future__ import annotations

from pathlib import Path

import dash_bootstrap_components as dbc  # noqa: F401  (registers the components)
import plotly.io.json as plotly_json
from dash import CeleryManager, Dash, DiskcacheManager
from sqlalchemy import inspect

from .config import Config, load_config
from .db import get_engine
from .extensions import cache

ASSETS = Path(__file__).resolve().parent.parent / "assets"
VENDOR = Path(__file__).resolve().parent / "vendor"
# dcc.Graph fetches plotly.js from this path when the first chart mounts.
PLOTLY_JS_PATH = "/_dash-component-suites/plotly/package_data/plotly.min.js"
PLOTLY_BASIC = "plotly-basic-4.1.1.min.js"


def create_app(config: Config | None = None) -> Dash:
    """Build the Dash app on its Flask server (the one factory)."""
    from . import api, auth, failures, layout, web  # tabs import Dash components; keep the package import light
    from .tabs.base import guard_jobs

    config = config or load_config()
    # Callback outputs are plain dicts and lists: the standard json engine encodes them
    # in a third of the time of orjson's path, which first walks every value in Python.
    plotly_json.config.default_engine = "json"
    manager = background_manager(config)
    app = Dash(
        __name__,
        background_callback_manager=manager,
        title="sunter_dash · PAM JAYA Sunter",
        assets_folder=str(ASSETS),
        suppress_callback_exceptions=True,
        serve_locally=True,
        update_title=None,
        on_error=failures.callback_error,
        enable_mcp=False,  # no second route into the callbacks (docs/SECURITY.md)
    )
    app.index_string = app.index_string.replace("<html>", '<html lang="id">', 1)  # the page speaks Indonesian
    server = app.server
    if config.proxy_hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Behind nginx: the client's address (login throttle, audit log) and https come from its headers.
        n = config.proxy_hops
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=n, x_proto=n, x_host=n)
    server.config.update(
        SECRET_KEY=config.secret_key,
        CACHE_TYPE=config.cache_type,
        CACHE_DEFAULT_TIMEOUT=config.cache_timeout,
        SUNTER_CONFIG=config,
    )
    if config.cache_redis_url:
        # A prefix: without one, cache.clear() after an upload would FLUSHDB, taking
        # Celery's queue and results (same Redis) with it.
        server.config.update(CACHE_REDIS_URL=config.cache_redis_url, CACHE_KEY_PREFIX="sunter_dash:")
    cache.init_app(server)
    if isinstance(manager, CeleryManager):
        server.extensions["sunter_celery"] = manager.handle  # what sunter_dash.worker hands to Celery
    server.extensions["sunter_engine"] = get_engine(config.database_url)
    if inspect(server.extensions["sunter_engine"]).has_table("anomaly_setting"):  # schema at 0005 or later
        from .services.settings import sync_thresholds
        from .services.staging import tidy
        sync_thresholds(server.extensions["sunter_engine"], config.thresholds)
        tidy(server.extensions["sunter_engine"])
    failures.init_app(server)
    web.init_app(app)
    auth.init_app(server)
    server.before_request(web.dash_body_shape)  # after the sign-in guard: anonymous requests get 401
    server.before_request(guard_jobs)  # before Dash spawns a worker
    server.before_request(_serve_plotly_basic)
    api.init_app(server)
    # A function: the navbar names the user and the tabs follow their role.
    app.layout = lambda: layout.shell(config.branch_name)
    layout.register_callbacks(app)
    return app


def background_manager(config: Config):
    """Background callbacks (the upload page) run outside the web process. With
    CACHE_REDIS_URL: Celery on that Redis, run by ``celery -A sunter_dash.worker:celery_app
    worker`` (the Procfile's ``worker``). Without: a spawned process per job, diskcache
    holding jobs and progress in a folder every process of this machine sees."""
    if config.cache_redis_url:
        return CeleryManager(make_celery(config.cache_redis_url))
    import tempfile

    import diskcache

    return SpawningDiskcacheManager(diskcache.Cache(str(Path(tempfile.gettempdir()) / "sunter_dash-callbacks")))


def make_celery(redis_url: str):
    """The Celery app of the background callbacks: broker and results on the same Redis."""
    from celery import Celery

    celery_app = Celery("sunter_dash", broker=redis_url, backend=redis_url)
    celery_app.conf.update(
        # An upload job runs for minutes: a worker takes one job at a time, so a second
        # upload waits in the queue instead of behind a busy process.
        worker_prefetch_multiplier=1,
        result_expires=24 * 3600,
        broker_connection_retry_on_startup=True,
    )
    return celery_app


class SpawningDiskcacheManager(DiskcacheManager):
    """Starts each job in a fresh interpreter ("spawn") instead of a fork of the server: a
    fork copies a multi-threaded server mid-flight (locks held by other threads, open
    database connections) and the child could hang. A job starts ~1 s later; uploads
    take longer than that anyway."""

    def call_job_fn(self, key, job_fn, args, context):
        import multiprocess

        process = multiprocess.get_context("spawn").Process(
            target=job_fn, args=(key, self._make_progress_key(key), args, context))
        process.start()
        return process.pid


def _serve_plotly_basic():
    """Answer dcc.Graph's request for plotly.js with the partial "basic" bundle (bar,
    scatter, pie: every chart of the app), 1.2 MB instead of 4.8 MB, the same version as
    plotly.py's: the charts of a first visit draw about a second sooner on a slow machine
    (docs/PERFORMANCE.md)."""
    from flask import request, send_from_directory

    if request.path == PLOTLY_JS_PATH:
        return send_from_directory(VENDOR, PLOTLY_BASIC, mimetype="application/javascript", max_age=86400)
    return None
