"""Shared fixtures: a migrated temporary database, the app on it, a Flask client."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from sunter_dash import create_app
from sunter_dash.config import Config
from sunter_dash.db import get_engine, upgrade

FIXTURES = Path(__file__).parent / "fixtures"


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


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'test.db'}"
    upgrade(url)
    return url


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
    from sunter_dash.users import upsert_user

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


@pytest.fixture
def csrf_token():
    """``csrf_token(client)``: the token the login form carries."""
    return _csrf_token


@pytest.fixture
def log_in():
    """``log_in(client, name, password, next_path="")``: log in through the real form."""
    return _log_in
