"""Unbound extensions, bound to the Flask server by the app factory."""
from flask_caching import Cache
from flask_login import LoginManager

cache = Cache()
login_manager = LoginManager()
