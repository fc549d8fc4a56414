"""Who is asking and what they may do: login, logout, the guard in front of every route.

- The browser logs in through /login (Flask-Login session, CSRF-protected form);
  scripts send HTTP Basic to /api. Every Dash route (the page, ``/_dash-layout``,
  ``/_dash-update-component``, ...) and every ``/api`` route needs a user: the
  guard runs in Flask's ``before_request``, so no route can forget it (STYLE.md 6).
- The permission matrix is domain/roles.py. Hiding a tab is not authorization:
  callbacks and API writes check it on the server (services check it again).
- Sign-in attempts (form and Basic alike) go through one throttle per (user, address) and
  per address, in the database so every worker sees the same count (services/signin.py).
- A session carries its user's session generation: signing out, a new password, a new role,
  deactivation and "end all sessions" raise it, which ends every session of that user at its
  next request, on every device (docs/SECURITY.md).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import time
from dataclasses import dataclass
from urllib.parse import urlparse

from flask import (
    Blueprint,
    Flask,
    current_app,
    g,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import UserMixin, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFError, CSRFProtect, generate_csrf
from sqlalchemy import select
from sqlalchemy.orm import Session

from .domain.errors import Forbidden, TooManyAttempts, Unauthorized
from .domain.roles import allowed
from .extensions import app_engine, login_manager
from .models import User
from .services import API, PAGE, Actor, record, signin

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# Served to anyone: the login page and the static files it and the app need (exact paths, so
# /loginx or /login/x are not the login page).
PUBLIC_PATHS = ("/login", "/_favicon.ico")
PUBLIC_PREFIXES = ("/assets/", "/_dash-component-suites/")
GENERATION = "generation"  # the session key holding the user's session generation

log = logging.getLogger(__name__)
bp = Blueprint("auth", __name__)
csrf = CSRFProtect()


@dataclass
class SessionUser(UserMixin):
    id: int
    username: str
    role: str
    petugas: str | None = None  # a petugas's officer name (services/scope.py)

    def can(self, action: str) -> bool:
        return allowed(self.role, action)


def may(action: str) -> bool:
    """Whether the user of this request may do ``action`` (for callbacks and API writes); outside
    a request nobody may."""
    return has_request_context() and current_user.is_authenticated and current_user.can(action)


def client_address() -> str:
    return (request.remote_addr or "-")[:64]


def current_actor() -> Actor:
    """The signed-in user of this request, as the services take it (outside a request, as when a
    test builds a panel: nobody, with no role)."""
    if not has_request_context():
        return Actor(None, None)
    channel = API if request.path.startswith("/api/") else PAGE
    if not current_user.is_authenticated:
        return Actor(None, None, client_address(), channel)
    return Actor(current_user.username, current_user.role, client_address(), channel, current_user.petugas)


def _audit(action: str, username: str | None) -> None:
    """A sign-in event of this request (its own transaction: it survives a failed request)."""
    record(app_engine(), Actor(username, None, client_address()), action)


@login_manager.user_loader
def load_user(user_id: str) -> SessionUser | None:
    """The session's user, while the session's generation is the user's (else it has ended)."""
    with Session(app_engine()) as db:
        user = db.scalar(select(User).where(User.id == int(user_id), User.active.is_(True)))
        if user is None or session.get(GENERATION) != user.session_generation:
            return None
        return SessionUser(user.id, user.username, user.role, user.petugas)


# A password hash takes ~100 ms to check on purpose; a script calling the API many
# times a minute with the same HTTP Basic credentials is checked once a minute.
# Only successes are remembered, by a digest of the credentials, never the password.
BASIC_TTL_SECONDS = 60
_verified: dict[str, tuple[float, str]] = {}  # digest -> (expiry, the password hash it matched)


@login_manager.request_loader
def load_user_from_basic_auth(req) -> SessionUser | None:
    auth = req.authorization
    if auth is None or auth.type != "basic" or not auth.username or not req.path.startswith("/api/"):
        return None
    username, password = auth.username[:64], auth.password or ""
    key = hashlib.sha256(f"{username}\0{password}".encode()).hexdigest()
    remembered = _verified.get(key)
    if remembered and remembered[0] > time.monotonic():
        # Re-read the user (cheap, no hash): deactivation, a new role or password count at once.
        with Session(app_engine()) as db:
            user = db.scalar(select(User).where(User.username == username, User.active.is_(True)))
        if user is not None and user.password_hash == remembered[1]:
            return SessionUser(user.id, user.username, user.role, user.petugas)
    wait, attempt = signin.attempt(app_engine(), username, client_address())
    if wait:
        g.throttled = wait
        return None
    user = signin.verify_password(app_engine(), username, password)
    if user is None:
        _verified.pop(key, None)
        record(app_engine(), Actor(username, None, client_address(), API), "login_failed", "HTTP Basic")
        return None
    signin.succeeded(app_engine(), username, client_address(), attempt)
    if len(_verified) > 1000:
        _verified.clear()
    _verified[key] = (time.monotonic() + BASIC_TTL_SECONDS, user.password_hash)
    return SessionUser(user.id, user.username, user.role, user.petugas)


def _throttled(wait: int):
    refused = TooManyAttempts(wait)
    response = jsonify(refused.as_json())
    response.status_code = refused.status
    response.headers["Retry-After"] = str(wait)
    return response


def _unauthorized():
    refused = Unauthorized("Perlu masuk: masuk lewat halaman login, atau kirim kredensial HTTP Basic.",
                           "Authentication required: log in, or send HTTP Basic credentials.")
    response = jsonify(refused.as_json())
    response.status_code = refused.status
    response.headers["WWW-Authenticate"] = 'Basic realm="sunter_dash"'
    return response


def guard():
    """before_request: everything but the public prefixes needs a user; /api writes need the role."""
    path = request.path
    if path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES):
        return None
    api = path.startswith("/api/") or path == "/api"
    if not current_user.is_authenticated:
        if api and g.get("throttled"):
            return _throttled(g.throttled)
        if api:
            return _unauthorized()
        if request.method == "GET" and not path.startswith("/_"):
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        ended = Unauthorized("Sesi berakhir: muat ulang halaman dan masuk kembali.",
                             "The session has ended: reload the page and sign in again.")
        return jsonify(ended.as_json()), ended.status
    if api and request.method in WRITE_METHODS:
        # The analysis workbench is the viewers' to write too; follow-ups need "collect"; every
        # other write is the admins'.
        needed = ("analyse" if path.startswith("/api/analyses") else
                  "collect" if path.startswith("/api/followups") else "upload")
        if not current_user.can(needed):
            refused = Forbidden(f"Pengguna '{current_user.username}' (peran {current_user.role}) tidak boleh "
                                "mengubah data.",
                                f"User '{current_user.username}' (role {current_user.role}) may not change data.")
            return jsonify(refused.as_json()), refused.status
    return None


# --- login and logout --------------------------------------------------------------------

def _safe_next(target: str | None) -> str:
    """Only a path of this site: never an absolute URL someone slipped into ?next=."""
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    error, status, headers = None, 200, {"Cache-Control": "no-store"}
    if request.args.get("ended"):
        error = "Sesi berakhir, silakan masuk lagi."
    username = ""
    if request.method == "POST":
        csrf.protect()
        username = request.form.get("username", "").strip()[:64]
        password = request.form.get("password", "")
        wait, attempt = signin.attempt(app_engine(), username, client_address()) if username else (0, [])
        if wait:
            error, status = f"Terlalu banyak percobaan gagal. Coba lagi dalam {wait} detik.", 429
            headers["Retry-After"] = str(wait)
        else:
            user = signin.credentials(app_engine(), username, password) if username and password else None
            if user is None:
                _audit("login_failed", username or None)
                error, status = "Nama pengguna atau kata sandi salah.", 401
            elif not user.active:
                # Said only after the right password: a guess learns nothing of the account.
                record(app_engine(), Actor(username, None, client_address()), "login_failed", "akun nonaktif")
                error, status = "Akun ini nonaktif. Hubungi admin cabang untuk mengaktifkannya kembali.", 403
            else:
                signin.succeeded(app_engine(), username, client_address(), attempt)
                session.clear()
                session.permanent = True
                session[GENERATION] = user.session_generation
                # A new CSRF secret now, in the session the redirect sets: otherwise the page's
                # first parallel requests would each make one, and the last cookie would win.
                g.pop("csrf_token", None)
                generate_csrf()
                login_user(SessionUser(user.id, user.username, user.role, user.petugas))
                _audit("login", user.username)
                return redirect(_safe_next(request.args.get("next")))
    page = render_template("login.html", error=error, username=username,
                           branch_name=current_app.config["SUNTER_CONFIG"].branch_name)
    return page, status, headers


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    """POST (with the form's CSRF token) signs out, ending every session of the user on every
    device; a GET (a link from elsewhere) only offers the button."""
    if request.method == "GET":
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login"))
        page = render_template("logout.html", username=current_user.username,
                               branch_name=current_app.config["SUNTER_CONFIG"].branch_name)
        return page, 200, {"Cache-Control": "no-store"}
    csrf.protect()
    if current_user.is_authenticated:
        signin.end_sessions(app_engine(), current_user.username)
        _audit("logout", current_user.username)
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


_warned_proxy: list[bool] = []


def _warn_untrusted_proxy():
    """before_request: proxy headers that are not trusted make every client one address (the
    throttle and the audit log then see the proxy); say so once."""
    if not _warned_proxy and request.headers.get("X-Forwarded-For") and \
            not current_app.config["SUNTER_CONFIG"].proxy_hops:
        _warned_proxy.append(True)
        log.warning("X-Forwarded-For arrives but SUNTER_PROXY_HOPS is 0: every client shares the proxy's "
                    "address for the sign-in throttle and the audit log; set SUNTER_PROXY_HOPS=1 behind nginx")


def _csrf_error(exc: CSRFError):
    page = render_template("login.html", error="Formulir kedaluwarsa; silakan masuk lagi.", username="",
                           branch_name=current_app.config["SUNTER_CONFIG"].branch_name)
    return page, 400


def init_app(server: Flask) -> None:
    config = server.config["SUNTER_CONFIG"]
    server.config.update(
        PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=config.session_hours),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.secure_cookies,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=config.secure_cookies,
        # Only the login form is checked; Dash's own POSTs carry no form token, and the
        # session cookie's SameSite=Lax keeps other sites from sending them.
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,
    )
    login_manager.init_app(server)
    csrf.init_app(server)
    server.register_blueprint(bp)
    server.register_error_handler(CSRFError, _csrf_error)
    server.before_request(_warn_untrusted_proxy)
    server.before_request(guard)
