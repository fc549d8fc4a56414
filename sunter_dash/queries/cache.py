"""The memo of every read the pages and the API repeat.

A cached query is memoized with flask-caching, keyed by its arguments and by the data
version that each upload and deletion bumps in the database (ingest/summaries.py): a cache
shared by several workers, or one per process, never serves figures from before an
upload. Outside a Flask app (the CLI) a query simply runs.
"""
from __future__ import annotations

from functools import wraps

from flask import g, has_app_context
from sqlalchemy import Engine, select

from ..extensions import cache
from ..models import DataVersion

_ENGINES: dict[str, Engine] = {}  # memo keys name an engine by its URL (password hidden)


def _token(engine: Engine) -> str:
    token = repr(engine.url)
    _ENGINES.setdefault(token, engine)
    return token


def data_version(engine: Engine) -> int:
    """The stamp every cached figure is keyed on; read once per request."""
    versions = g.setdefault("sunter_data_versions", {})
    token = _token(engine)
    if token not in versions:
        with engine.connect() as conn:
            versions[token] = conn.execute(select(DataVersion.version)).scalar() or 0
    return versions[token]


def invalidate() -> None:
    """Forget this request's stamps (the next call reads the bumped one) and drop old entries."""
    if has_app_context():
        g.pop("sunter_data_versions", None)
        cache.clear()


def cached(fn):
    """Memoize ``fn(engine, ...)`` by its arguments and the current data version."""
    def by_token(_version: int, token: str, *args, **kwargs):
        return fn(_ENGINES[token], *args, **kwargs)

    # The memo's key names the function (not wraps(): its signature would hide _version and token).
    by_token.__module__, by_token.__name__, by_token.__qualname__ = fn.__module__, fn.__name__, fn.__qualname__
    memo = cache.memoize()(by_token)

    @wraps(fn)
    def call(engine: Engine, *args, **kwargs):
        if not has_app_context():
            return fn(engine, *args, **kwargs)
        return memo(data_version(engine), _token(engine), *args, **kwargs)
    call.uncached = fn
    return call
