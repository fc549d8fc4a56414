"""What admins set in the app: settings that win over the environment's defaults, the goal of a
periode, the column-mapping profiles of files whose headers no type knows, and the e-mail
subscriptions with a record of every send."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..domain.clock import now_utc
from ..domain.files import NAME_LENGTH
from .base import Base


class SavedSetting(Base):
    """A setting an admin saved (its key as the environment's, without the prefix); JSON value."""

    __tablename__ = "saved_setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)


class PeriodeGoal(Base):
    """The collection-rate goal (percent) an admin set for one periode, in place of the default."""

    __tablename__ = "periode_goal"

    periode: Mapped[str] = mapped_column(String(7), primary_key=True)
    goal: Mapped[float] = mapped_column(Float)
    updated_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)


class MappingProfile(Base):
    """Which file column holds which column of a type, for files with this set of headers."""

    __tablename__ = "mapping_profile"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    file_type: Mapped[str] = mapped_column(String(NAME_LENGTH))
    signature: Mapped[str] = mapped_column(String(64), index=True)  # of the normalised headers
    headers: Mapped[str] = mapped_column(Text)  # JSON list, as the file wrote them
    mapping: Mapped[str] = mapped_column(Text)  # JSON {type column: file column}
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    updated_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)


class Subscription(Base):
    """Who receives the daily summary or the monthly report by e-mail (domain/subscriptions.py)."""

    __tablename__ = "subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # daily | monthly
    recipients: Mapped[str] = mapped_column(Text)  # comma-separated addresses
    rayon: Mapped[str | None] = mapped_column(String(8))  # None: every rayon
    day: Mapped[int | None] = mapped_column(Integer)  # monthly: the WIB day of month it is sent on
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)


class SubscriptionSend(Base):
    """One send of a subscription for its day (daily) or periode (monthly): claimed, then sent or
    failed; a failed one is tried again (domain/subscriptions.py's RETRIES) until it gives up."""

    __tablename__ = "subscription_send"
    __table_args__ = (UniqueConstraint("subscription_id", "due", name="ux_subscription_send_due"),
                      Index("ix_subscription_send_status", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscription.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    due: Mapped[str] = mapped_column(String(10))  # the WIB day (YYYY-MM-DD) or the periode (YYYY-MM)
    recipients: Mapped[str] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # sending | sent | failed | gave_up
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    flagged: Mapped[str | None] = mapped_column(Text)  # daily: JSON {"periode", "nomens"} flagged when sent
    claimed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
