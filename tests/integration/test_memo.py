"""The memo of reads and rendered answers (queries/cache.py): keyed by the arguments and the data
version, so a figure is computed once per upload, and a rendered page follows a goal an admin
sets (which bumps the version) as well as every upload; a cache that fails is bypassed."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from sunter_dash.config import Config
from sunter_dash.domain import checks
from sunter_dash.domain.checks import Thresholds
from sunter_dash.ingest.summaries import bump_version
from sunter_dash.queries.cache import cached
from sunter_dash.services import Actor, settings
from sunter_dash.tabs import meter, overview

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from collection_branch import load_branch  # noqa: E402
from dash_wire import callback_body  # noqa: E402

CALLS: list[tuple] = []


@cached
def _looked_up(engine, name: str, extra: int = 0) -> None:
    CALLS.append((name, extra))
    return None  # a result of None is kept too


@pytest.fixture
def config(db_url: str) -> Config:
    return Config(database_url=db_url, secret_key="test-secret", secret_key_is_generated=False,
                  cache_type="SimpleCache", admin_password="admin-pass-123")


def test_a_read_runs_once_per_arguments_and_data_version(app, engine):
    CALLS.clear()
    with app.server.app_context():
        assert [_looked_up(engine, "a"), _looked_up(engine, "a"), _looked_up(engine, "b"),
                _looked_up(engine, "a", extra=1), _looked_up(engine, "a", 1)] == [None] * 5
        _looked_up(engine, "a", extra=0)  # the default filled in: the same key as ("a")
        _looked_up(engine, name="a")
    assert CALLS == [("a", 0), ("b", 0), ("a", 1)]
    with app.server.app_context():  # the next request, same data: nothing runs again
        _looked_up(engine, "a")
    with engine.begin() as conn:
        bump_version(conn)  # what every upload and deletion does
    with app.server.app_context():
        _looked_up(engine, "a")
        _looked_up(engine, "a")
    assert CALLS == [("a", 0), ("b", 0), ("a", 1), ("a", 0)]
    _looked_up(engine, "a")  # outside a request (the CLI) a read simply runs
    assert CALLS[-1] == ("a", 0) and len(CALLS) == 5


def test_ringkasan_and_the_meter_cards_follow_a_goal_and_an_upload(app, client, engine, users, log_in, tmp_path):
    log_in(client, *users["admin"])

    def shown(output: str, values: dict) -> str:
        response = client.post("/_dash-update-component", json=callback_body(app, output, values,
                                                                              ["shell-periode.value"]))
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        return json.dumps(response.get_json()["response"])

    ringkasan = {"shell-periode.value": "2025-12", "shell-rayon.value": "all"}
    empty = shown(f"..{overview.ALERT}.children", ringkasan)
    assert "Belum ada data MC dan COLLECTION untuk Desember 2025" in empty
    load_branch(engine, tmp_path)
    loaded = shown(f"..{overview.ALERT}.children", ringkasan)
    assert "Belum ada data MC" not in loaded and "target 90,0%" in loaded
    assert shown(f"..{overview.ALERT}.children", ringkasan) == loaded  # from the memo
    settings.set_goal(engine, Actor("admin", "admin"), Thresholds(), "2025-12", 85)
    assert "target 85,0%" in shown(f"..{overview.ALERT}.children", ringkasan)
    # The cards' memo keeps the card chosen apart.
    first, second = list(checks.names())[:2]
    for key in (first, second, first):
        found = json.loads(shown(f"..{meter.ALERT}.children", {**ringkasan, f"{meter.KEY}.data": key}))
        pressed = [card["props"]["children"]["props"]["id"]["key"] for card in found[meter.CARDS]["children"]["props"]
                   ["children"] if card["props"]["children"]["props"]["aria-pressed"] == "true"]
        assert pressed == [key]


def test_a_cache_that_fails_is_bypassed(app, engine, monkeypatch):
    """Redis gone: every read is computed and answered, as flask-caching's memoize did."""
    from sunter_dash.extensions import cache

    def down(*_args, **_kwargs):
        raise ConnectionError("redis: connection refused")

    CALLS.clear()
    monkeypatch.setattr(cache, "get", down)
    monkeypatch.setattr(cache, "set", down)
    with app.server.app_context():
        assert _looked_up(engine, "a") is None
        assert _looked_up(engine, "a") is None
    assert CALLS == [("a", 0), ("a", 0)]
