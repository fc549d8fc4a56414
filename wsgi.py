"""WSGI entry point: ``gunicorn wsgi:server``."""
from sunter_dash import create_app

server = create_app().server
