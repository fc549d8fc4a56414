"""Shared fixtures: a migrated temporary database, the app on it, a Flask client."""
from __future__ import annotations

import fnmatch
import itertools
import os
import shutil
import tempfile
import time
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError
from sqlalchemy.pool import NullPool

from sunter_dash import create_app
from sunter_dash.config import Config
from sunter_dash.db import get_engine, upgrade

FIXTURES = Path(__file__).parent / "fixtures"
POSTGRES_VARIABLE = "SUNTER_TEST_POSTGRES_URL"
BACKENDS = ["sqlite", "postgresql"]


def pytest_setup_options():
    """dash_duo's Chrome: headless on a machine without a display, 1280x1024."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.add_argument("--window-size=1280,1024")
    options.add_argument("--no-sandbox")
    options.add_argument("--disable-gpu")
    options.add_argument("--disable-dev-shm-usage")
    options.add_argument("--disable-background-networking")
    options.add_argument("--disable-component-update")
    options.add_argument("--disable-sync")
    options.add_argument("--no-first-run")
    if not os.environ.get("DISPLAY"):
        options.add_argument("--headless=new")
    if Path("/usr/bin/chromium").exists():
        options.binary_location = "/usr/bin/chromium"
    return options


def _disposed(engine, url: str) -> None:
    """Close every connection of ``engine``: a SQLite file is then whole (the last connection to
    close checkpoints the write-ahead log into it and removes the log), a PostgreSQL database
    can be a template."""
    engine.dispose()
    if url.startswith("sqlite"):
        assert not Path(f"{make_url(url).database}-wal").exists(), url


class Databases:
    """Fresh databases for tests, on SQLite or PostgreSQL, each copied from a migrated template
    made once per session (migrating took about 0.25 s a database, minutes of the suite).

    SQLite: a new file in the folder given. PostgreSQL: a new database on the server
    ``SUNTER_TEST_POSTGRES_URL`` names (its role needs CREATEDB), dropped again by ``drop`` or
    at the end. Copying the template takes the server about 0.4 s, so the next migrated ones
    are made ahead by a thread while the tests run (``AHEAD``).
    """

    AHEAD = 2

    def __init__(self, postgres_url: str | None):
        self.postgres_url = make_url(postgres_url) if postgres_url else None
        self.prefix = f"sunter_test_{os.getpid()}"
        self.count = 0
        self.created: list[str] = []
        self.template: str | None = None
        self.sqlite_template: Path | None = None
        self.maker: ThreadPoolExecutor | None = None
        self.ahead: deque[Future] = deque()
        self.made_ahead = itertools.count(1)
        self.demos: dict[tuple, str] = {}

    def new(self, backend: str, folder: Path, name: str = "test", migrated: bool = True) -> str:
        self.count += 1
        if backend == "sqlite":
            path = folder / f"{name}.db"
            if migrated:
                shutil.copyfile(self._sqlite_template(), path)
            return f"sqlite:///{path}"
        if self.postgres_url is None:
            pytest.skip(f"PostgreSQL: {POSTGRES_VARIABLE} is not set")
        if not migrated:
            return self._create(f"{self.prefix}_{self.count}", "template0")
        return self._migrated_postgres()

    def demo(self, backend: str, folder: Path, customers: int, months: int, seed: int,
             leave_out: tuple[str, ...] = ()) -> str:
        """A fresh database holding the demo branch's files (``demo.generate``), those whose
        names match a pattern of ``leave_out`` left out. Loading 13 months took ~18 s, and
        several modules load the same branch: each branch is loaded once per back end and
        session, then copied (a SQLite file; a PostgreSQL database made from it as a template)."""
        key = (backend, customers, months, seed, leave_out)
        if key not in self.demos:
            from sunter_dash import demo
            from sunter_dash.ingest import ingest_file

            built = Path(tempfile.mkdtemp(prefix="sunter-demo-"))
            url = self.new(backend, built, "demo")
            engine = get_engine(url)
            for path in demo.generate(built / "files", customers=customers, months=months, seed=seed):
                if not any(fnmatch.fnmatch(path.name, pattern) for pattern in leave_out):
                    assert ingest_file(engine, path).status == "loaded", path.name
            _disposed(engine, url)  # whole, with no session left: a file to copy, or a template
            shutil.rmtree(built / "files")
            if backend != "sqlite":
                shutil.rmtree(built)
            self.demos[key] = url
        source = self.demos[key]
        self.count += 1
        if backend == "sqlite":
            path = folder / f"demo-{self.count}.db"
            shutil.copyfile(make_url(source).database, path)
            return f"sqlite:///{path}"
        return self._create(f"{self.prefix}_{self.count}", make_url(source).database)

    def _migrated_postgres(self) -> str:
        """The oldest of the databases being made ahead; the next ones ordered."""
        if self.maker is None:
            self.maker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-databases")
        template = self._template()
        while len(self.ahead) <= self.AHEAD:
            self.ahead.append(self.maker.submit(self._create, f"{self.prefix}_a{next(self.made_ahead)}", template))
        return self.ahead.popleft().result()

    def _sqlite_template(self) -> Path:
        """A migrated SQLite file, whole (its engine disposed: the last connection to close
        checkpoints the write-ahead log into it and removes the log)."""
        if self.sqlite_template is None:
            path = Path(tempfile.mkdtemp(prefix="sunter-template-")) / "template.db"
            url = f"sqlite:///{path}"
            upgrade(url)
            _disposed(get_engine(url), url)
            self.sqlite_template = path
        return self.sqlite_template

    def _create(self, database: str, template: str) -> str:
        self._admin(f'CREATE DATABASE "{database}" TEMPLATE "{template}"')
        self.created.append(database)
        return self.postgres_url.set(database=database).render_as_string(hide_password=False)

    def _template(self) -> str:
        if self.template is None:
            url = self._create(f"{self.prefix}_template", "template0")
            upgrade(url)
            get_engine(url).dispose()  # a template must have no sessions when it is copied
            self.template = make_url(url).database
        return self.template

    def _admin(self, statement: str) -> None:
        engine = create_engine(self.postgres_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        with engine.connect() as conn:
            conn.exec_driver_sql(statement)
        engine.dispose()

    def drop(self, url: str) -> None:
        database = make_url(url).database
        if url.startswith("postgresql") and database in self.created:
            self.created.remove(database)
            self._drop(database)

    def drop_all(self) -> None:
        if self.maker is not None:  # the databases made ahead, not used
            self.maker.shutdown(wait=True)
            self.maker = None
            self.ahead.clear()
        for database in reversed(self.created):
            self._drop(database)
        self.created.clear()
        if self.sqlite_template is not None:
            shutil.rmtree(self.sqlite_template.parent, ignore_errors=True)
        for url in self.demos.values():
            if url.startswith("sqlite"):
                shutil.rmtree(Path(make_url(url).database).parent, ignore_errors=True)
        self.demos.clear()

    def _drop(self, database: str) -> None:
        """FORCE ends the test's leftover sessions; an autovacuum worker on the database
        may only be ended with pg_signal_backend (.ci/run grants it): without it, wait
        for the worker to finish, then drop."""
        for attempt in range(20):
            try:
                self._admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
                return
            except ProgrammingError:
                if attempt == 19:
                    raise
                time.sleep(0.25)


@pytest.fixture(scope="session")
def databases():
    """The factory of test databases (``Databases``); whatever is left is dropped at the end."""
    made = Databases(os.environ.get(POSTGRES_VARIABLE))
    yield made
    made.drop_all()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request) -> str:
    """Each test that uses a database runs on SQLite, and again on PostgreSQL when
    SUNTER_TEST_POSTGRES_URL is set (skipped otherwise). A test that is about SQLite
    itself pins it: ``@pytest.mark.parametrize("backend", ["sqlite"])``."""
    if request.param == "postgresql" and not os.environ.get(POSTGRES_VARIABLE):
        pytest.skip(f"PostgreSQL: {POSTGRES_VARIABLE} is not set")
    return request.param


@pytest.fixture
def new_database(databases, backend, tmp_path):
    """``new_database(name="test", migrated=True)``: a fresh database URL on this test's
    back end, dropped after the test."""
    made: list[str] = []

    def new(name: str = "test", migrated: bool = True) -> str:
        made.append(databases.new(backend, tmp_path, name, migrated))
        return made[-1]
    yield new
    for url in made:
        databases.drop(url)


@pytest.fixture(scope="module")
def module_database(databases, backend, tmp_path_factory):
    """Like ``new_database``, for module fixtures: kept until the module's last test."""
    made: list[str] = []

    def new(name: str = "test", migrated: bool = True) -> str:
        made.append(databases.new(backend, tmp_path_factory.mktemp(name), name, migrated))
        return made[-1]
    yield new
    for url in made:
        databases.drop(url)


@pytest.fixture
def demo_database(databases, backend, tmp_path):
    """``demo_database(customers, months, seed, leave_out=())``: a fresh database on this test's
    back end holding that demo branch (``Databases.demo``), dropped after the test. A module
    that needs one overrides ``db_url`` with it."""
    made: list[str] = []

    def new(customers: int, months: int, seed: int, leave_out: tuple[str, ...] = ()) -> str:
        made.append(databases.demo(backend, tmp_path, customers, months, seed, leave_out))
        return made[-1]
    yield new
    for url in made:
        databases.drop(url)


@pytest.fixture
def db_url(new_database) -> str:
    """A fresh, migrated database: SQLite, and PostgreSQL when configured (``backend``)."""
    return new_database()


@pytest.fixture
def engine(db_url: str):
    return get_engine(db_url)


@pytest.fixture
def config(db_url: str) -> Config:
    return Config(database_url=db_url, secret_key="test-secret", secret_key_is_generated=False,
                  cache_type="NullCache", admin_password="admin-pass-123")


@pytest.fixture
def app(config: Config):
    return create_app(config)


@pytest.fixture
def client(app):
    return app.server.test_client()


ADMIN = ("admin", "admin-pass-123")
VIEWER = ("viewer", "viewer-pass-123")


@pytest.fixture
def users(engine):
    """An admin and a viewer, (name, password) each."""
    from sunter_dash.services.users import upsert as upsert_user

    upsert_user(engine, *ADMIN[:1], "admin", ADMIN[1])
    upsert_user(engine, *VIEWER[:1], "viewer", VIEWER[1])
    return {"admin": ADMIN, "viewer": VIEWER}


def _csrf_token(client) -> str:
    import re

    page = client.get("/login").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _log_in(client, name: str, password: str, next_path: str = ""):
    url = f"/login?next={next_path}" if next_path else "/login"
    return client.post(url, data={"username": name, "password": password, "csrf_token": _csrf_token(client)})


def _log_out(client):
    """Sign out as the navbar does: a POST with the session's CSRF token."""
    return client.post("/logout", data={"csrf_token": _csrf_token(client)})


@pytest.fixture
def log_out():
    """``log_out(client)``: sign out through the real form (a POST with its CSRF token)."""
    return _log_out


@pytest.fixture
def csrf_token():
    """``csrf_token(client)``: the token the login form carries."""
    return _csrf_token


@pytest.fixture
def log_in():
    """``log_in(client, name, password, next_path="")``: log in through the real form."""
    return _log_in
