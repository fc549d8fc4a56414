"""Settings read from the environment (and an optional ``.env`` file).

Nothing here runs at import time: ``load_config()`` is called by the app
factory and the CLI, so tests can pass their own mapping.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path

from .domain.checks import Thresholds
from .domain.clock import DEFAULT_TIMEZONE, zone
from .domain.errors import SunterError

_TRUE = {"1", "true", "yes", "on", "ya"}
_FALSE = {"0", "false", "no", "off", "tidak", ""}


class ConfigError(SunterError, ValueError):
    """A setting has a value that cannot be used; the message says which."""


def parse_bool(name: str, value: str | None, default: bool) -> bool:
    # bool("False") is True; parse explicitly (STYLE.md habit 7).
    if value is None:
        return default
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConfigError(f"{name} must be true or false, got {value!r}")


def parse_int(name: str, value: str | None, default: int, minimum: int = 1) -> int:
    if value is None or value.strip() == "":
        return default
    try:
        number = int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from None
    if number < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {number}")
    return number


def read_dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; blank lines and # comments ignored; quotes stripped."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip("'\"")
    return values


@dataclass(frozen=True)
class Config:
    database_url: str = "sqlite:///data/sunter.db"
    secret_key: str = field(default_factory=lambda: secrets.token_hex(32))
    secret_key_is_generated: bool = True
    cache_type: str = "SimpleCache"
    cache_redis_url: str | None = None
    cache_timeout: int = 3600
    max_upload_mb: int = 100
    admin_password: str | None = None
    debug: bool = False
    session_hours: int = 8  # a session unused this long must log in again
    secure_cookies: bool = False  # true behind HTTPS: cookies only travel encrypted
    proxy_hops: int = 0  # reverse proxies in front (nginx: 1) whose X-Forwarded-* headers are trusted
    branch_name: str = "PAM JAYA Cabang Sunter"
    thresholds: Thresholds = field(default_factory=Thresholds)
    timezone: str = DEFAULT_TIMEZONE  # the zone of every time a person sees or enters (the database keeps UTC)
    load_wait_seconds: int = 120  # an upload by the API or the CLI waits this long for its turn
    # E-mail subscriptions (docs/DEPLOYMENT.md): the SMTP server, and how often Celery beat looks for
    # what is due (cron runs ``report send-due`` on its own schedule instead).
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "sunter_dash@localhost"
    smtp_security: str = "starttls"  # starttls | ssl | none
    smtp_timeout: int = 30
    schedule_seconds: int = 300

    @property
    def max_upload_bytes(self) -> int:
        return self.max_upload_mb * 1024 * 1024

    def with_overrides(self, **overrides) -> "Config":
        return replace(self, **overrides)


def load_config(environ: dict[str, str] | None = None, dotenv: Path | None = Path(".env")) -> Config:
    """Build the settings; the process environment wins over ``.env``."""
    env: dict[str, str] = {}
    if dotenv is not None:
        env.update(read_dotenv(dotenv))
    env.update(os.environ if environ is None else environ)

    secret = env.get("SECRET_KEY")
    redis_url = env.get("CACHE_REDIS_URL") or None
    if redis_url and not secret:
        # Redis means several processes: each would sign sessions with its own random key.
        raise ConfigError("SECRET_KEY is required with CACHE_REDIS_URL: every web worker and the Celery "
                          "worker must sign sessions with the same key")
    cache_type = env.get("CACHE_TYPE") or ("RedisCache" if redis_url else "SimpleCache")
    return Config(
        database_url=env.get("DATABASE_URL") or Config.database_url,
        secret_key=secret or secrets.token_hex(32),
        secret_key_is_generated=not secret,
        cache_type=cache_type,
        cache_redis_url=redis_url,
        cache_timeout=parse_int("CACHE_TIMEOUT", env.get("CACHE_TIMEOUT"), 3600),
        max_upload_mb=parse_int("SUNTER_MAX_UPLOAD_MB", env.get("SUNTER_MAX_UPLOAD_MB"), 100),
        admin_password=env.get("SUNTER_ADMIN_PASSWORD") or None,
        debug=parse_bool("SUNTER_DEBUG", env.get("SUNTER_DEBUG"), False),
        session_hours=parse_int("SUNTER_SESSION_HOURS", env.get("SUNTER_SESSION_HOURS"), 8),
        secure_cookies=parse_bool("SUNTER_SECURE_COOKIES", env.get("SUNTER_SECURE_COOKIES"), False),
        proxy_hops=parse_int("SUNTER_PROXY_HOPS", env.get("SUNTER_PROXY_HOPS"), 0, minimum=0),
        branch_name=env.get("SUNTER_BRANCH_NAME") or Config.branch_name,
        thresholds=_thresholds(env),
        timezone=_timezone(env.get("SUNTER_TIMEZONE")),
        load_wait_seconds=parse_int("SUNTER_LOAD_WAIT_SECONDS", env.get("SUNTER_LOAD_WAIT_SECONDS"), 120, minimum=1),
        smtp_host=env.get("SUNTER_SMTP_HOST") or None,
        smtp_port=parse_int("SUNTER_SMTP_PORT", env.get("SUNTER_SMTP_PORT"), 587),
        smtp_user=env.get("SUNTER_SMTP_USER") or None,
        smtp_password=env.get("SUNTER_SMTP_PASSWORD") or None,
        smtp_from=env.get("SUNTER_SMTP_FROM") or Config.smtp_from,
        smtp_security=_choice("SUNTER_SMTP_TLS", env.get("SUNTER_SMTP_TLS"), ("starttls", "ssl", "none"),
                              Config.smtp_security),
        smtp_timeout=parse_int("SUNTER_SMTP_TIMEOUT", env.get("SUNTER_SMTP_TIMEOUT"), 30),
        schedule_seconds=parse_int("SUNTER_SCHEDULE_SECONDS", env.get("SUNTER_SCHEDULE_SECONDS"), 300),
    )


def _choice(name: str, value: str | None, allowed: tuple[str, ...], default: str) -> str:
    text = (value or "").strip().lower()
    if not text:
        return default
    if text not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return text


def _thresholds(env: dict[str, str]) -> Thresholds:
    try:
        return Thresholds.from_env(env)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _timezone(value: str | None) -> str:
    name = (value or "").strip() or DEFAULT_TIMEZONE
    try:
        zone(name)
    except ValueError as exc:
        raise ConfigError(f"SUNTER_TIMEZONE: {exc}") from None
    return name
