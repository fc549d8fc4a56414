"""The memo of every read the pages and the API repeat, and of the answers rendered from them.

A cached function is memoized in flask-caching's cache, keyed by its arguments and by the data
version that each upload, deletion and change of a setting bumps in the database
(ingest/summaries.py): a cache shared by several workers, or one per process, never serves
figures from before an upload. A tab memoizes the answer it renders from such reads the same
way (Ringkasan, the Meter cards), when the answer depends on nothing else. Outside a Flask app
(the CLI) a function simply runs; a cache that fails (Redis gone) is logged and bypassed.
"""
from __future__ import annotations

import hashlib
import inspect
import logging
from functools import wraps

from flask import g, has_app_context
from sqlalchemy import Engine, select

from ..extensions import cache
from ..models import DataVersion

log = logging.getLogger(__name__)


def _token(engine: Engine) -> str:
    """How a memo key names an engine: by its URL, password hidden."""
    return repr(engine.url)


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
    """Memoize ``fn(engine, ...)`` by its arguments and the current data version.

    The key is the function's name, the version and a digest of the arguments (defaults filled
    in, so ``f(e, p)`` and ``f(e, p, rayon=None)`` share it): one cache lookup a call, where
    flask-caching's memoize spends two and binds the signature again each time (1.8 of a warm
    Ringkasan's 15 ms under the profiler). A result of None is kept too.
    """
    name = f"{fn.__module__}.{fn.__qualname__}"
    signature = inspect.signature(fn)

    @wraps(fn)
    def call(engine: Engine, *args, **kwargs):
        if not has_app_context():
            return fn(engine, *args, **kwargs)
        bound = signature.bind(engine, *args, **kwargs)
        bound.apply_defaults()
        arguments = repr((_token(engine), bound.args[1:], sorted(bound.kwargs.items()))).encode()
        key = f"{name}:{data_version(engine)}:{hashlib.md5(arguments, usedforsecurity=False).hexdigest()}"
        found = _get(key)
        if found is None:
            found = (fn(engine, *args, **kwargs),)
            _set(key, found)
        return found[0]
    call.uncached = fn
    return call


def _get(key: str):
    try:
        return cache.get(key)
    except Exception:  # as flask-caching's memoize does: the figure is computed instead
        log.exception("cache read failed; computing %s", key)
        return None


def _set(key: str, value) -> None:
    try:
        cache.set(key, value)
    except Exception:
        log.exception("cache write failed for %s", key)
