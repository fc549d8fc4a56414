"""The audit log, newest first."""
from __future__ import annotations

from sqlalchemy import Engine, select

from ..models import AuditLog


def audit_log(engine: Engine, limit: int = 1000) -> list[dict]:
    """The newest audit events first (not cached: it changes with every login)."""
    stmt = select(AuditLog).order_by(AuditLog.created_at.desc(), AuditLog.id.desc()).limit(limit)
    with engine.connect() as conn:
        return [{"created_at": row.created_at, "username": row.username,
                 "address": row.address, "action": row.action, "detail": row.detail}
                for row in conn.execute(stmt)]
