"""Reads of user accounts."""
from __future__ import annotations

from sqlalchemy import Engine, func, select

from ..models import User


def list_users(engine: Engine) -> list[dict]:
    """Every account by name: username, role, petugas (a petugas's officer name), active,
    created_at (naive UTC)."""
    stmt = select(User.username, User.role, User.petugas, User.active, User.created_at).order_by(User.username)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(stmt)]


def count_users(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(User)).scalar() or 0


def active_role(engine: Engine, username: str | None) -> str | None:
    """The role of an active user of that name (None: no such active user)."""
    with engine.connect() as conn:
        return conn.execute(select(User.role).where(User.username == username, User.active.is_(True))).scalar()
