"""Unbound extensions, bound to the Flask server by the app factory."""
from flask_caching import Cache

cache = Cache()
