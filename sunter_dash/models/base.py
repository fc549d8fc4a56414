"""The declarative base every table hangs on."""
from __future__ import annotations

from sqlalchemy import ForeignKey
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


def upload_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("upload.id", ondelete="CASCADE"), nullable=False)
