"""Settings from the environment: booleans parsed, not cast ("False" is false), numbers
bounded, thresholds from every registered check, the time zone checked at start."""
from __future__ import annotations

import pytest

from sunter_dash.config import Config, ConfigError, load_config, parse_bool, parse_int, read_dotenv


@pytest.mark.parametrize("text, expected", [("False", False), ("false", False), ("0", False), ("tidak", False),
                                            ("", False), ("True", True), (" yes ", True), ("ya", True), ("1", True)])
def test_booleans_are_parsed_not_cast(text, expected):
    assert parse_bool("X", text, not expected) is expected


def test_an_unknown_boolean_or_a_small_number_is_a_sentence():
    with pytest.raises(ConfigError, match="X must be true or false"):
        parse_bool("X", "maybe", False)
    with pytest.raises(ConfigError, match="at least 1"):
        parse_int("X", "0", 5)
    assert parse_int("X", " ", 5) == 5


def test_the_environment_wins_over_dotenv(tmp_path):
    dotenv = tmp_path / ".env"
    dotenv.write_text('# comment\nSUNTER_DEBUG="true"\nSUNTER_MAX_UPLOAD_MB=7\nnot a setting\n')
    assert read_dotenv(dotenv) == {"SUNTER_DEBUG": "true", "SUNTER_MAX_UPLOAD_MB": "7"}
    config = load_config({"SUNTER_DEBUG": "False"}, dotenv=dotenv)
    assert config.debug is False and config.max_upload_mb == 7 and config.max_upload_bytes == 7 * 1024 * 1024


def test_defaults_without_anything_set():
    config = load_config({}, dotenv=None)
    assert (config.database_url, config.debug, config.session_hours, config.timezone) == (
        Config.database_url, False, 8, "Asia/Jakarta")
    assert config.secret_key_is_generated and len(config.secret_key) == 64
    assert config.thresholds.extreme_m3 == 100 and config.thresholds.spike_factor == 2.0


def test_thresholds_come_from_their_variables_and_are_checked():
    config = load_config({"SUNTER_ANOMALY_EXTREME_M3": "60", "SUNTER_ANOMALY_SPIKE_FACTOR": "2,5"}, dotenv=None)
    assert (config.thresholds.extreme_m3, config.thresholds.spike_factor) == (60, 2.5)
    with pytest.raises(ConfigError, match="SUNTER_ANOMALY_STUCK_PERIODES must be at least 2"):
        load_config({"SUNTER_ANOMALY_STUCK_PERIODES": "1"}, dotenv=None)
    with pytest.raises(ConfigError, match="SUNTER_ANOMALY_DROP_PERCENT must be a whole number"):
        load_config({"SUNTER_ANOMALY_DROP_PERCENT": "setengah"}, dotenv=None)


def test_the_time_zone_must_exist_and_redis_needs_a_secret():
    assert load_config({"SUNTER_TIMEZONE": "Asia/Makassar"}, dotenv=None).timezone == "Asia/Makassar"
    with pytest.raises(ConfigError, match="SUNTER_TIMEZONE"):
        load_config({"SUNTER_TIMEZONE": "Asia/Sunter"}, dotenv=None)
    with pytest.raises(ConfigError, match="SECRET_KEY is required"):
        load_config({"CACHE_REDIS_URL": "redis://127.0.0.1/0"}, dotenv=None)
