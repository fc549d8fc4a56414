"""Browser tests start the app behind its login and sign in through the form, as a person does."""
from __future__ import annotations

from urllib.parse import quote

import pytest

from .pages import wait_idle


def sign_in(dash_duo, app, name: str, password: str, path: str = "/") -> None:
    """Start the server without opening the app, log in on /login, land on ``path``."""
    dash_duo.start_server(app, navigate=False)
    # dash_duo's server_url setter would open the app before we are logged in; set it quietly.
    dash_duo._url = dash_duo.server.url
    dash_duo.driver.get(f"{dash_duo.server_url.rstrip('/')}/login?next={quote(path, safe='')}")
    dash_duo.wait_for_element("#username").send_keys(name)
    dash_duo.find_element("#password").send_keys(password)
    dash_duo.find_element("#login-submit").click()
    # The shell drawn (its tabs come with the layout), then its first callbacks answered: the
    # entry point alone is in the first HTML, before anything is drawn.
    dash_duo.wait_for_element("#shell-tabs .nav-link")
    wait_idle(dash_duo)


@pytest.fixture
def signed_in(users):
    """``signed_in(dash_duo, app, role="admin", path="/")``: the app, open as that user."""
    def start(dash_duo, app, role: str = "admin", path: str = "/") -> None:
        sign_in(dash_duo, app, *users[role], path=path)
    return start


@pytest.fixture(scope="session")
def backend() -> str:
    """Browser tests run on SQLite only: they test the page, and the database tests
    already run every query on both back ends."""
    return "sqlite"
