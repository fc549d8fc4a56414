"""Every ingestion attempt and the rows it could not load."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..domain.clock import now_utc
from ..domain.files import NAME_LENGTH
from .base import Base, upload_fk


class Upload(Base):
    """Every ingestion attempt, loaded or refused (DATA.md: loading rules)."""

    __tablename__ = "upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    sha256: Mapped[str | None] = mapped_column(String(64))
    file_type: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    periode: Mapped[str | None] = mapped_column(String(7))
    periode_rule: Mapped[str | None] = mapped_column(String(32))
    # Comma-separated periodes of the stored rows (a payment file can span months);
    # deleting an upload looks only there, so data tables need no upload_id index.
    row_periodes: Mapped[str | None] = mapped_column(Text)
    username: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=now_utc)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_stored: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    rows_duplicate: Mapped[int] = mapped_column(Integer, default=0)
    rows_warned: Mapped[int] = mapped_column(Integer, default=0)  # optional values left empty (warnings)
    profile: Mapped[str | None] = mapped_column(String(64))  # the mapping profile that applied, if any
    # A replaced snapshot whose rows are kept (superseded), so deleting its successor brings it back;
    # uploads replaced before version 0.2.0 were not kept.
    kept: Mapped[bool] = mapped_column(Boolean, default=False)
    # loaded | refused | replaced (a newer snapshot took its place) | deleted
    status: Mapped[str] = mapped_column(String(16), default="running")
    message: Mapped[str | None] = mapped_column(Text)
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    deleted_by: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_upload_type_periode", "file_type", "periode"),
        Index("ix_upload_created", "created_at"),
    )


class UploadError(Base):
    """One rejected row (or file-level problem, row NULL) of an upload, or a warning: a row stored
    with an optional value left empty."""

    __tablename__ = "upload_error"

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = upload_fk()
    row: Mapped[int | None] = mapped_column(Integer)
    column: Mapped[str | None] = mapped_column(String(64))
    value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(8), default="error")  # error | warning

    __table_args__ = (Index("ix_upload_error_upload", "upload_id", "row"),)


class PaymentCarrier(Base):
    """A payment an upload carried but did not store, because another upload had stored it
    already (overlapping extracts). Deleting the upload that stored it hands the payment to a
    remaining carrier instead of losing it (DATA.md, Loading rules)."""

    __tablename__ = "payment_carrier"

    table_name: Mapped[str] = mapped_column(String(32), primary_key=True)  # payment or mb_payment
    pay_key: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    upload_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)

    __table_args__ = (Index("ix_payment_carrier_upload", "upload_id"),)
