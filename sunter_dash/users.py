"""User accounts: creation, password checks. Roles are admin and viewer."""
from __future__ import annotations

import secrets

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from .models import User

ROLES = ("admin", "viewer")


class UserError(ValueError):
    """A user operation that cannot be done; the message says why."""


def upsert_user(engine: Engine, username: str, role: str, password: str) -> bool:
    """Create the user, or update its role and password; True when created."""
    username = username.strip()
    if not username:
        raise UserError("Nama pengguna tidak boleh kosong.")
    if role not in ROLES:
        raise UserError(f"Peran harus salah satu dari: {', '.join(ROLES)}.")
    if len(password) < 8:
        raise UserError("Kata sandi minimal 8 karakter.")
    with Session(engine) as session, session.begin():
        user = session.scalar(select(User).where(User.username == username))
        created = user is None
        if created:
            user = User(username=username)
            session.add(user)
        user.role = role
        user.active = True
        user.password_hash = generate_password_hash(password)
    return created


def verify_password(engine: Engine, username: str, password: str) -> User | None:
    with Session(engine) as session:
        user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
        if user is None or not check_password_hash(user.password_hash, password):
            return None
        session.expunge(user)
        return user


def count_users(engine: Engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(User)) or 0


def random_password() -> str:
    return secrets.token_urlsafe(12)
