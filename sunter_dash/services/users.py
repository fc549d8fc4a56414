"""User accounts: creating, role and status changes, passwords. The guard rails live here (name
rules, no self-demotion, never without an active admin) so that no page can skip one;
``upsert`` is the command line's, run by whoever holds the server, and has none."""
from __future__ import annotations

import re
import secrets

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from werkzeug.security import generate_password_hash

from ..domain.errors import BadParameter, Conflict, NotFound
from ..domain.roles import ROLE_LABELS, ROLES
from ..models import User
from ..queries.rute import officer_names
from . import Actor, record

MIN_PASSWORD = 8
# ASCII only: a Cyrillic "а" must not make a second "admin" that looks like the first.
USERNAME = re.compile(r"[A-Za-z0-9._-]{1,64}")


def random_password() -> str:
    return secrets.token_urlsafe(12)


def clean_username(name) -> str:
    """The name trimmed, or BadParameter when it is not 1-64 letters, digits, '.', '_' or '-'."""
    name = name.strip() if isinstance(name, str) else ""
    if not USERNAME.fullmatch(name):
        raise BadParameter("Nama pengguna harus 1–64 karakter: huruf, angka, titik (.), garis bawah (_) "
                           "atau tanda hubung (-), tanpa spasi.",
                           "A username is 1-64 letters, digits, '.', '_' or '-'.", field="username")
    return name


def check_password(password, confirm=None) -> str:
    """The password, or BadParameter when it is too short or (given ``confirm``) typed differently."""
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise BadParameter(f"Kata sandi minimal {MIN_PASSWORD} karakter.",
                           f"A password has at least {MIN_PASSWORD} characters.", field="password")
    if confirm is not None and password != confirm:
        raise BadParameter("Kedua kata sandi tidak sama.", "The two passwords differ.", field="password")
    return password


def check_role(role) -> str:
    if role not in ROLES:
        raise BadParameter(f"Peran harus salah satu dari: {', '.join(ROLES)}.",
                           f"The role is one of {', '.join(ROLES)}.", field="role")
    return role


def check_officer(engine: Engine, role: str, petugas) -> str | None:
    """The officer name a user of ``role`` is linked to: for a petugas, a name some stored RUTE
    has (trimmed and upper-cased, as names compare); no name for the other roles."""
    name = petugas.strip().upper() if isinstance(petugas, str) else ""
    if role != "petugas":
        if name:
            raise BadParameter("Nama petugas hanya untuk peran petugas.",
                               "Only a petugas is linked to an officer name.", field="petugas")
        return None
    if not name:
        raise BadParameter("Peran petugas perlu nama petugas seperti di RUTE (kolom PETUGAS).",
                           "A petugas needs its officer name of RUTE.", field="petugas")
    if name not in officer_names(engine):
        raise BadParameter(f"Tidak ada RUTE dengan petugas {name!r}. Periksa ejaannya, atau unggah RUTE yang "
                           "memuatnya dahulu.", f"No stored RUTE has the officer {name!r}.", field="petugas")
    return name


def upsert(engine: Engine, username: str, role: str, password: str, petugas: str | None = None) -> bool:
    """Create the user, or update its role (and officer) and password; True when created (the
    CLI's way)."""
    username = username.strip()
    if not username:
        raise BadParameter("Nama pengguna tidak boleh kosong.", "The username is empty.", field="username")
    check_role(role)
    officer = check_officer(engine, role, petugas)
    check_password(password)
    with engine.begin() as conn:
        found = conn.execute(select(User.id).where(User.username == username)).scalar()
        values = {"role": role, "petugas": officer, "active": True,
                  "password_hash": generate_password_hash(password)}
        if found is None:
            conn.execute(insert(User).values(username=username, **values))
        else:  # a new password ends the user's sessions everywhere
            conn.execute(update(User).where(User.id == found).values(
                session_generation=User.session_generation + 1, **values))
    return found is None


def create(engine: Engine, actor: Actor, username, role, password, confirm=None, petugas=None) -> str:
    """Add a new account and return its (trimmed) name; an existing name is refused, never
    overwritten, also when it differs only in case. A petugas is linked to its officer name."""
    actor.require("manage_users")
    username = clean_username(username)
    check_role(role)
    officer = check_officer(engine, role, petugas)
    password_hash = generate_password_hash(check_password(password, confirm))
    exists = Conflict(f"Nama pengguna \"{username}\" sudah ada. Pilih pengguna itu di daftar untuk "
                      "mengubah peran, kata sandi atau statusnya.", f"User {username!r} exists already.",
                      field="username")
    try:
        with engine.begin() as conn:
            if conn.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
                raise exists
            conn.execute(insert(User).values(username=username, role=role, petugas=officer, active=True,
                                             password_hash=password_hash))
    except IntegrityError:  # created by someone else between the check and the insert
        raise exists from None
    record(engine, actor, "user_created", f"{username} (peran {ROLE_LABELS.get(role, role)}{f', petugas {officer}' if officer else ''})")
    return username


def set_password(engine: Engine, actor: Actor, username: str, password, confirm=None, *,
                 generated: bool = False) -> None:
    actor.require("manage_users")
    password_hash = generate_password_hash(check_password(password, confirm))
    with engine.begin() as conn:
        # A new password ends the user's sessions everywhere (docs/SECURITY.md).
        changed = conn.execute(update(User).where(User.username == username).values(
            password_hash=password_hash, session_generation=User.session_generation + 1))
        if changed.rowcount == 0:
            raise _not_found(username)
    # The audit log never holds the password itself.
    record(engine, actor, "user_password_reset", f"{username} (acak)" if generated else username)


def set_role(engine: Engine, actor: Actor, username: str, role, petugas=None) -> str | None:
    """Give the user ``role`` (a petugas: and its officer name): the role it had, None when it
    had these already. The acting admin may not demote themself, and the last active admin stays
    an admin."""
    actor.require("manage_users")
    role = check_role(role)
    officer = check_officer(engine, role, petugas)
    before = _change(engine, username, "role", role, actor.username, officer)
    if before is not None:
        record(engine, actor, "user_role_changed",
               f"{username}: {ROLE_LABELS.get(before, before)} → {ROLE_LABELS.get(role, role)}"
               f"{f' ({officer})' if officer else ''}")
    return before


def set_active(engine: Engine, actor: Actor, username: str, active: bool) -> bool:
    """(De)activate the user; True when it changed. A deactivated user can't log in and their
    sessions end at the next request. The acting admin may not deactivate themself; the last
    active admin stays active."""
    actor.require("manage_users")
    changed = _change(engine, username, "active", bool(active), actor.username) is not None
    if changed:
        record(engine, actor, "user_reactivated" if active else "user_deactivated", username)
    return changed


REFUSALS = {
    "role": ("Anda tidak dapat menurunkan peran akun Anda sendiri. Minta admin lain melakukannya.",
             "{name} adalah admin aktif terakhir: perannya tidak dapat diubah. "
             "Jadikan pengguna lain admin terlebih dahulu."),
    "active": ("Anda tidak dapat menonaktifkan akun Anda sendiri. Minta admin lain melakukannya.",
               "{name} adalah admin aktif terakhir: tidak dapat dinonaktifkan. "
               "Jadikan pengguna lain admin terlebih dahulu."),
}


def _change(engine: Engine, username: str, field: str, value, acting: str | None, officer: str | None = None):
    """Set ``field`` (role, with the ``officer`` of a petugas, or active) of the user and return
    its previous value (None when it had ``value`` already), refusing what would take away an
    active admin when that is the acting admin themself or the last one."""
    with engine.begin() as conn:
        user = conn.execute(select(User.id, User.role, User.active, User.petugas)
                            .where(User.username == username)).first()
        if user is None:
            raise _not_found(username)
        previous = getattr(user, field)
        also = {"petugas": officer} if field == "role" else {}
        if previous == value and all(getattr(user, key) == new for key, new in also.items()):
            return None
        # A new role, officer or status ends the user's sessions everywhere (docs/SECURITY.md).
        stmt = update(User).where(User.id == user.id).values(
            {field: value, **also, "session_generation": User.session_generation + 1})
        if not (user.role == "admin" and user.active):
            conn.execute(stmt)
            return previous
        # Any change of role or status of an active admin takes an admin away.
        own, last = REFUSALS[field]
        if username == acting:
            raise Conflict(own, "An admin may not demote or deactivate themself.")
        # Two admins demoting each other at once must not both succeed: lock the active admins
        # (PostgreSQL; SQLite ignores FOR UPDATE and runs one writer at a time) and make the
        # update itself conditional on another active admin remaining.
        conn.execute(select(User.id).where(User.role == "admin", User.active.is_(True)).with_for_update())
        other = aliased(User)
        remains = select(other.id).where(other.role == "admin", other.active.is_(True), other.id != user.id)
        if conn.execute(stmt.where(remains.exists())).rowcount == 0:
            raise Conflict(last.format(name=username), f"{username} is the last active admin.")
    return previous


def _not_found(username: str) -> NotFound:
    return NotFound(f"Pengguna \"{username}\" tidak ditemukan.", f"User {username!r} does not exist.")
