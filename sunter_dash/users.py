"""User accounts: creation, password checks, role and status changes. Roles are admin and viewer.

Plain functions of an engine (no Dash, no Flask). The Pengguna tab's functions below hold
the guard rails (name rules, no self-demotion, never without an active admin) so no page
can skip one; ``upsert_user`` is the CLI's, run by whoever holds the server, and has none.
"""
from __future__ import annotations

import re
import secrets

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased
from werkzeug.security import check_password_hash, generate_password_hash

from .models import User

ROLES = ("admin", "viewer")
MIN_PASSWORD = 8
# ASCII only: a Cyrillic "а" must not make a second "admin" that looks like the first.
USERNAME = re.compile(r"[A-Za-z0-9._-]{1,64}")


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


# --- managing accounts (the Pengguna tab) -----------------------------------------------------

def clean_username(name) -> str:
    """The name trimmed, or UserError when it is not 1-64 letters, digits, '.', '_' or '-'."""
    name = name.strip() if isinstance(name, str) else ""
    if not USERNAME.fullmatch(name):
        raise UserError("Nama pengguna harus 1–64 karakter: huruf, angka, titik (.), garis bawah (_) "
                        "atau tanda hubung (-), tanpa spasi.")
    return name


def check_password(password, confirm=None) -> str:
    """The password, or UserError when it is too short or (given ``confirm``) typed differently."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise UserError(f"Kata sandi minimal {MIN_PASSWORD} karakter.")
    if confirm is not None and password != confirm:
        raise UserError("Kedua kata sandi tidak sama.")
    return password


def _check_role(role) -> str:
    if role not in ROLES:
        raise UserError(f"Peran harus salah satu dari: {', '.join(ROLES)}.")
    return role


def list_users(engine: Engine) -> list[dict]:
    """Every account by name: username, role, active, created_at (naive UTC)."""
    stmt = select(User.username, User.role, User.active, User.created_at).order_by(User.username)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(stmt)]


def create_user(engine: Engine, username, role, password, confirm=None) -> str:
    """Add a new account and return its (trimmed) name; an existing name is refused, never
    overwritten, also when it differs only in case (``upsert_user`` is the CLI's way to update)."""
    username = clean_username(username)
    _check_role(role)
    password_hash = generate_password_hash(check_password(password, confirm))
    exists = UserError(f"Nama pengguna \"{username}\" sudah ada. Pilih pengguna itu di daftar untuk "
                       "mengubah peran, kata sandi atau statusnya.")
    try:
        with engine.begin() as conn:
            if conn.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
                raise exists
            conn.execute(insert(User).values(username=username, role=role, active=True,
                                             password_hash=password_hash))
    except IntegrityError:  # created by someone else between the check and the insert
        raise exists from None
    return username


def set_password(engine: Engine, username: str, password, confirm=None) -> None:
    password_hash = generate_password_hash(check_password(password, confirm))
    with engine.begin() as conn:
        changed = conn.execute(update(User).where(User.username == username).values(password_hash=password_hash))
        if changed.rowcount == 0:
            raise _not_found(username)


def set_role(engine: Engine, username: str, role, *, acting: str | None = None) -> str | None:
    """Give the user ``role``: the role it had, None when it had this one already. ``acting``
    (the admin doing it) may not demote themself, and the last active admin stays an admin."""
    return _change(engine, username, "role", _check_role(role), acting)


def set_active(engine: Engine, username: str, active: bool, *, acting: str | None = None) -> bool:
    """(De)activate the user; True when it changed. A deactivated user can't log in and their
    sessions end at the next request (``verify_password`` and ``auth.load_user`` read active
    users only). ``acting`` may not deactivate themself; the last active admin stays active."""
    return _change(engine, username, "active", bool(active), acting) is not None


REFUSALS = {
    "role": ("Anda tidak dapat menurunkan peran akun Anda sendiri. Minta admin lain melakukannya.",
             "{name} adalah admin aktif terakhir: perannya tidak dapat diubah. "
             "Jadikan pengguna lain admin terlebih dahulu."),
    "active": ("Anda tidak dapat menonaktifkan akun Anda sendiri. Minta admin lain melakukannya.",
               "{name} adalah admin aktif terakhir: tidak dapat dinonaktifkan. "
               "Jadikan pengguna lain admin terlebih dahulu."),
}


def _change(engine: Engine, username: str, field: str, value, acting: str | None):
    """Set ``field`` (role or active) of the user and return its previous value (None when it
    had ``value`` already), refusing what would take away an active admin when that is the
    acting admin themself or the last one."""
    with engine.begin() as conn:
        user = conn.execute(select(User.id, User.role, User.active).where(User.username == username)).first()
        if user is None:
            raise _not_found(username)
        previous = getattr(user, field)
        if previous == value:
            return None
        stmt = update(User).where(User.id == user.id).values({field: value})
        if not (user.role == "admin" and user.active):
            conn.execute(stmt)
            return previous
        # Any change of role or status of an active admin takes an admin away.
        own, last = REFUSALS[field]
        if username == acting:
            raise UserError(own)
        # Two admins demoting each other at once must not both succeed: lock the active admins
        # (PostgreSQL; SQLite ignores FOR UPDATE and runs one writer at a time) and make the
        # update itself conditional on another active admin remaining.
        conn.execute(select(User.id).where(User.role == "admin", User.active.is_(True)).with_for_update())
        other = aliased(User)
        remains = select(other.id).where(other.role == "admin", other.active.is_(True), other.id != user.id)
        if conn.execute(stmt.where(remains.exists())).rowcount == 0:
            raise UserError(last.format(name=username))
    return previous


def _not_found(username: str) -> UserError:
    return UserError(f"Pengguna \"{username}\" tidak ditemukan.")
