"""Unbound extensions, bound to the Flask server by the app factory, and the app's engine."""
from flask import current_app
from flask_caching import Cache
from flask_login import LoginManager
from sqlalchemy import Engine

cache = Cache()
login_manager = LoginManager()


def app_engine() -> Engine:
    """The database engine of the running app (the factory puts it there)."""
    return current_app.extensions["sunter_engine"]
