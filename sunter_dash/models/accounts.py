"""Users, the audit log, and the manual-analysis cases with their history."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..domain.clock import now_utc
from .base import Base


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))  # admin | viewer | petugas
    # A petugas's officer name as RUTE has it (trimmed, upper-cased); None for the other roles.
    petugas: Mapped[str | None] = mapped_column(String(64), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    # Every session carries the generation it began in; raising it ends them all (sign-out, a new
    # password, a new role, deactivation, "end all sessions"; docs/SECURITY.md).
    session_generation: Mapped[int] = mapped_column(Integer, default=0)


class AuditLog(Base):
    """Who did what, when, from where: logins (and failures), uploads, deletions, user changes."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    username: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))  # login | login_failed | logout | ...
    detail: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_audit_log_created", "created_at"),
        # Recent failures of a user from an address: the login throttle's lookup.
        Index("ix_audit_log_throttle", "action", "username", "address", "created_at"),
    )


class Analysis(Base):
    """A manual-analysis case on a customer (the Analisa workbench)."""

    __tablename__ = "analysis"

    id: Mapped[int] = mapped_column(primary_key=True)
    nomen: Mapped[str] = mapped_column(String(20))
    periode: Mapped[str | None] = mapped_column(String(7))
    rayon: Mapped[str | None] = mapped_column(String(8))
    anomaly_type: Mapped[str | None] = mapped_column(String(32))
    description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")
    priority: Mapped[str] = mapped_column(String(16), default="sedang")
    assigned_to: Mapped[str | None] = mapped_column(String(120))
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    # Optimistic locking: an edit based on a stale version is refused.
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (
        Index("ix_analysis_nomen", "nomen"),
        Index("ix_analysis_status", "status", "periode"),
    )


class FollowUp(Base):
    """A field follow-up of a customer in a periode (METRICS.md): every record is kept; the latest
    of a customer and periode counts."""

    __tablename__ = "followup"

    id: Mapped[int] = mapped_column(primary_key=True)
    nomen: Mapped[str] = mapped_column(String(20))
    periode: Mapped[str] = mapped_column(String(7))
    result: Mapped[str] = mapped_column(String(16))
    visit_date: Mapped[dt.date] = mapped_column(Date)
    promise_date: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)

    __table_args__ = (Index("ix_followup_periode_nomen", "periode", "nomen", "id"),
                      Index("ix_followup_nomen", "nomen"))


class AnalysisEvent(Base):
    """History of an analysis: who changed what, when."""

    __tablename__ = "analysis_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    analysis_id: Mapped[int] = mapped_column(ForeignKey("analysis.id", ondelete="CASCADE"))
    username: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    change: Mapped[str] = mapped_column(Text)  # JSON: {"field": [old, new], ...}
    comment: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_analysis_event_analysis", "analysis_id"),)


class LoginAttempt(Base):
    """A sign-in attempt, counted by the throttle before the password is checked: one row under
    the (user, address) key and one under the address key (docs/SECURITY.md)."""

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(160))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)

    __table_args__ = (Index("ix_login_attempt_key", "key", "created_at"),)
