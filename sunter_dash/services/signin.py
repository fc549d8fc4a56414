"""Sign-in: the throttle shared by the login form and HTTP Basic, password checks that cost the
same whether the user exists or not, and sessions that can end (docs/SECURITY.md).

The throttle counts attempts per (user, address) and per address, never per user alone, so
nobody can lock an admin out from elsewhere. Each attempt is recorded *before* the password is
checked and the count read after: under any concurrency, at most the allowed number of attempts
in a window get their password checked.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from ..domain.clock import now_utc
from ..models import LoginAttempt, User
from . import Actor, record

WINDOW = dt.timedelta(minutes=15)
PER_USER_AND_ADDRESS = 5  # attempts in the window, per (user, address)
PER_ADDRESS = 30  # attempts in the window from one address, whatever the user
# Checked when no such user exists, so an unknown name costs the same time as a wrong password.
_DUMMY_HASH = generate_password_hash("not a password of anyone")


def _keys(username: str, address: str) -> list[tuple[str, int]]:
    return [(f"u:{username.strip().lower()[:64]}|a:{address}", PER_USER_AND_ADDRESS), (f"a:{address}", PER_ADDRESS)]


def attempt(engine: Engine, username: str, address: str) -> tuple[int, list[int]]:
    """Count a sign-in attempt: (0, its rows) when its password may be checked, else (the seconds
    to wait, its rows). A refused attempt counts too: hammering keeps the door shut."""
    now = now_utc()
    keys = _keys(username, address)
    with engine.begin() as conn:
        conn.execute(delete(LoginAttempt).where(LoginAttempt.created_at < now - WINDOW))
        rows = [conn.execute(insert(LoginAttempt).values(key=key, created_at=now)).inserted_primary_key[0]
                for key, _limit in keys]
    wait = 0
    with engine.connect() as conn:
        for key, limit in keys:
            times = conn.execute(select(LoginAttempt.created_at).where(
                LoginAttempt.key == key, LoginAttempt.created_at >= now - WINDOW)
                .order_by(LoginAttempt.created_at.desc()).limit(limit + 1)).scalars().all()
            if len(times) > limit:
                # When the oldest of the newest ``limit`` attempts leaves the window, one more fits.
                wait = max(wait, int((times[limit - 1] + WINDOW - now).total_seconds()) + 1)
    return wait, rows


def succeeded(engine: Engine, username: str, address: str, rows: list[int]) -> None:
    """A right password: the attempt does not count, and this user's count from this address
    starts again (the address keeps its failures)."""
    key = _keys(username, address)[0][0]
    with engine.begin() as conn:
        conn.execute(delete(LoginAttempt).where((LoginAttempt.key == key) | LoginAttempt.id.in_(rows)))


def verify_password(engine: Engine, username: str, password: str) -> User | None:
    """The active user with this name and password, or None; a hash is checked either way."""
    user = credentials(engine, username, password)
    return user if user is not None and user.active else None


def credentials(engine: Engine, username: str, password: str) -> User | None:
    """The user with this name and password, active or not (the sign-in form tells a deactivated
    user so, only once the password is right), or None; a hash is checked either way."""
    with Session(engine) as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            check_password_hash(_DUMMY_HASH, password)
            return None
        if not check_password_hash(user.password_hash, password):
            return None
        session.expunge(user)
        return user


def generation(engine: Engine, user_id: int) -> int | None:
    """The user's session generation (None: no such active user)."""
    with engine.connect() as conn:
        return conn.execute(select(User.session_generation).where(User.id == user_id, User.active.is_(True))).scalar()


def end_sessions(engine: Engine, username: str) -> bool:
    """End every session of the user, on every device (a new generation); False: no such user."""
    with engine.begin() as conn:
        return conn.execute(update(User).where(User.username == username).values(
            session_generation=User.session_generation + 1)).rowcount > 0


def end_sessions_of(engine: Engine, actor: Actor, username: str) -> None:
    """'Akhiri semua sesi': a user for themself, an admin for anyone; audited."""
    if username != actor.username:
        actor.require("manage_users")
    if not end_sessions(engine, username):
        from ..domain.errors import NotFound
        raise NotFound(f"Pengguna \"{username}\" tidak ditemukan.", f"User {username!r} does not exist.")
    record(engine, actor, "sessions_ended", username)
