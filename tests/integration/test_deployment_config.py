"""Settings of a deployment with Redis and a reverse proxy."""
from __future__ import annotations

import pytest

from sunter_dash.config import ConfigError, load_config


def test_redis_switches_the_cache_and_needs_a_shared_secret_key():
    config = load_config({"CACHE_REDIS_URL": "redis://127.0.0.1:6379/0", "SECRET_KEY": "s"}, dotenv=None)
    assert (config.cache_type, config.cache_redis_url) == ("RedisCache", "redis://127.0.0.1:6379/0")
    with pytest.raises(ConfigError, match="SECRET_KEY is required with CACHE_REDIS_URL"):
        load_config({"CACHE_REDIS_URL": "redis://127.0.0.1:6379/0"}, dotenv=None)
    assert load_config({}, dotenv=None).cache_type == "SimpleCache"


@pytest.mark.parametrize(("value", "hops"), [(None, 0), ("0", 0), ("1", 1), ("2", 2)])
def test_proxy_hops(value, hops):
    env = {} if value is None else {"SUNTER_PROXY_HOPS": value}
    assert load_config(env, dotenv=None).proxy_hops == hops


def test_behind_a_proxy_the_client_address_comes_from_its_header(tmp_path):
    from sunter_dash import create_app
    from sunter_dash.auth import client_address
    from sunter_dash.db import upgrade

    url = f"sqlite:///{tmp_path / 'proxy.db'}"
    upgrade(url)
    for hops, seen in ((0, "127.0.0.1"), (1, "203.0.113.7")):
        config = load_config({"DATABASE_URL": url, "SUNTER_PROXY_HOPS": str(hops)}, dotenv=None)
        server = create_app(config).server
        with server.test_client() as client:
            client.get("/login", headers={"X-Forwarded-For": "203.0.113.7"})
            assert client_address() == seen  # the test client keeps the last request's context
