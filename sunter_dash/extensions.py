"""Unbound extensions, bound to the Flask server by the app factory, and the app's engine."""
from flask import current_app, has_app_context
from flask_caching import Cache
from flask_login import LoginManager
from sqlalchemy import Engine

from .domain.clock import DEFAULT_TIMEZONE

cache = Cache()
login_manager = LoginManager()


def app_engine() -> Engine:
    """The database engine of the running app (the factory puts it there)."""
    return current_app.extensions["sunter_engine"]


def branch_zone() -> str:
    """The zone every shown time is in (SUNTER_TIMEZONE); the default outside an app."""
    return current_app.config["SUNTER_CONFIG"].timezone if has_app_context() else DEFAULT_TIMEZONE
