"""Who is asking: the browser session (Flask-Login) or HTTP Basic, and what they may do.

Every ``/api`` route needs a user; writes need the admin role (INTERFACES.md).
The guard runs in Flask's ``before_request``, so no route can forget it.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

from flask import Flask, current_app, jsonify, request
from flask_login import UserMixin, current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from .extensions import login_manager
from .models import User
from .users import verify_password

# The permission matrix: what each role may do. Reading is everyone's.
PERMISSIONS = {
    "admin": {"read", "analyse", "upload", "delete", "manage_users"},
    "viewer": {"read", "analyse"},
}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass
class SessionUser(UserMixin):
    id: int
    username: str
    role: str

    def can(self, action: str) -> bool:
        return action in PERMISSIONS.get(self.role, set())


def _engine():
    return current_app.extensions["sunter_engine"]


@login_manager.user_loader
def load_user(user_id: str) -> SessionUser | None:
    with Session(_engine()) as session:
        user = session.scalar(select(User).where(User.id == int(user_id), User.active.is_(True)))
        return SessionUser(user.id, user.username, user.role) if user else None


# A password hash takes ~100 ms to check on purpose; a script calling the API many
# times a minute with the same HTTP Basic credentials is checked once a minute.
# Only successes are remembered, by a digest of the credentials, never the password.
BASIC_TTL_SECONDS = 60
_verified: dict[str, tuple[float, SessionUser]] = {}


@login_manager.request_loader
def load_user_from_basic_auth(req) -> SessionUser | None:
    auth = req.authorization
    if auth is None or auth.type != "basic" or not auth.username:
        return None
    password = auth.password or ""
    key = hashlib.sha256(f"{auth.username}\0{password}".encode()).hexdigest()
    remembered = _verified.get(key)
    if remembered and remembered[0] > time.monotonic():
        return remembered[1]
    user = verify_password(_engine(), auth.username, password)
    if user is None:
        _verified.pop(key, None)
        return None
    if len(_verified) > 1000:
        _verified.clear()
    found = SessionUser(user.id, user.username, user.role)
    _verified[key] = (time.monotonic() + BASIC_TTL_SECONDS, found)
    return found


def _unauthorized():
    response = jsonify(error="Authentication required: log in, or send HTTP Basic credentials.")
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Basic realm="sunter_dash"'
    return response


def guard_api():
    """before_request: /api needs a user; a write needs a role that may write."""
    if not request.path.startswith("/api/") and request.path != "/api":
        return None
    if not current_user.is_authenticated:
        return _unauthorized()
    # The analysis workbench is the viewers' to write too; every other write is the admins'.
    needed = "analyse" if request.path.startswith("/api/analyses") else "upload"
    if request.method in WRITE_METHODS and not current_user.can(needed):
        return jsonify(error=f"User '{current_user.username}' (role {current_user.role}) may not change data."), 403
    return None


def init_app(server: Flask) -> None:
    login_manager.init_app(server)
    server.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    server.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    server.before_request(guard_api)
