"""Engine creation and schema management (Alembic)."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url

from .migrations import derived

MIGRATIONS = Path(__file__).with_name("migrations")


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    # WAL: readers keep seeing the old snapshot while an upload replaces it.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA cache_size=-65536")
    cur.execute("PRAGMA temp_store=MEMORY")
    cur.close()


def _postgresql_settings(dbapi_conn, _record) -> None:
    # JIT compiles a plan's expressions when its estimated cost is high: the bulk statements of an
    # upload spend more compiling (0.3-0.8 s each) than it saves them (docs/PERFORMANCE-LOG.md).
    # Set outside a transaction, so that a rollback does not take it back.
    autocommit = dbapi_conn.autocommit
    dbapi_conn.autocommit = True
    with dbapi_conn.cursor() as cur:
        cur.execute("SET jit = off")
    dbapi_conn.autocommit = autocommit


@lru_cache(maxsize=8)
def get_engine(url: str) -> Engine:
    """One engine per URL per process; a SQLite file's folder is created."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60})  # a load holds the write lock for seconds
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # A server: connections checked before use (a restarted database), renewed hourly.
    engine = create_engine(url, pool_pre_ping=True, pool_recycle=3600)
    if parsed.get_backend_name() == "postgresql":
        event.listen(engine, "connect", _postgresql_settings)
    return engine


def alembic_config(url: str) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str) -> None:
    """Create or upgrade the schema to the newest revision."""
    engine = get_engine(url)
    with engine.begin() as conn:
        cfg = alembic_config(url)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        # What the migrations asked to be computed again, now that the schema is at head.
        derived.recompute(conn, cfg.attributes.get(derived.ATTRIBUTE, set()))


def is_initialised(url: str) -> bool:
    return inspect(get_engine(url)).has_table("alembic_version")


def prepare(config) -> None:
    """Upgrade the schema, then make the stored anomaly flags follow the configured
    thresholds (recomputing them when the settings changed)."""
    from .services.settings import sync_thresholds

    upgrade(config.database_url)
    sync_thresholds(get_engine(config.database_url), config.thresholds)
