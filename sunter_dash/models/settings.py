"""What admins set in the app: settings that win over the environment's defaults, and the
column-mapping profiles of files whose headers no type knows."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, Float, String, Text
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
