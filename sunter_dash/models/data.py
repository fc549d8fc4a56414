"""One table per file type of the billing system (its FileSpec names the table).

Every stored data row points at the upload that stored it (``upload_id``), so deleting an
upload removes exactly its rows. Money is integer Rupiah, volumes and stands integer m3,
periodes ``YYYY-MM`` text. Column names are DATA.md's concepts, whatever the file called them.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Date, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, data_upload, data_upload_fk


class Mc(Base):
    """MC, the customer master of a periode: its rows are the collection target."""

    __tablename__ = "mc"

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = data_upload()
    periode: Mapped[str] = mapped_column(String(7))
    nomen: Mapped[str] = mapped_column(String(20))
    nama: Mapped[str | None] = mapped_column(String(200))
    alamat: Mapped[str | None] = mapped_column(String(400))
    zona_novak: Mapped[str | None] = mapped_column(String(12))
    rayon: Mapped[str | None] = mapped_column(String(8))
    pcez: Mapped[str | None] = mapped_column(String(8))
    tarif: Mapped[str | None] = mapped_column(String(16))
    nomet: Mapped[str | None] = mapped_column(String(40))
    tgl_catat: Mapped[dt.date | None] = mapped_column(Date)
    stan_awal: Mapped[int | None] = mapped_column(BigInteger)
    stan_akir: Mapped[int | None] = mapped_column(BigInteger)
    kubik: Mapped[int | None] = mapped_column(BigInteger)
    nominal: Mapped[int] = mapped_column(BigInteger)
    notagihan: Mapped[str | None] = mapped_column(String(40))
    cust_type: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (
        data_upload_fk(),
        Index("ix_mc_periode_nomen", "periode", "nomen"),
        Index("ix_mc_nomen_periode", "nomen", "periode"),
    )


class Payment(Base):
    """COLLECTION: one payment transaction. ``periode`` is the month of pay_date.

    Clustered on (periode, nomen, pay_key) (WITHOUT ROWID in SQLite): a month's
    extract appends to one region of the table, a customer's payments of a month
    sit together, and no separate rowid tree has to be maintained on insert.
    """

    __tablename__ = "payment"

    periode: Mapped[str] = mapped_column(String(7), primary_key=True)
    nomen: Mapped[str] = mapped_column(String(20), primary_key=True)
    # 64-bit hash of DATA.md's payment key; unique so a payment is stored once.
    pay_key: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    upload_id: Mapped[int] = data_upload()
    pay_date: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    bill_period: Mapped[str | None] = mapped_column(String(7))
    jenis: Mapped[str] = mapped_column(String(8))  # CURRENT | UNDUE
    notag: Mapped[str | None] = mapped_column(String(40))
    no_transaksi: Mapped[str | None] = mapped_column(String(64))
    bill_reason: Mapped[str | None] = mapped_column(String(64))
    vol_collect: Mapped[int | None] = mapped_column(BigInteger)
    freeze_dttm: Mapped[str | None] = mapped_column(String(32))
    loket: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        data_upload_fk(),
        # A composite key fixes nomen and pay date, so the primary key already makes
        # it unique; only a NO_TRANSAKSI key can recur in another month. A full unique
        # index on random 64-bit keys would double the cost of every insert.
        Index("ux_payment_transaksi", "pay_key", unique=True,
              sqlite_where=text("no_transaksi IS NOT NULL"),
              postgresql_where=text("no_transaksi IS NOT NULL")),
        {"sqlite_with_rowid": False},
    )


class MbPayment(Base):
    """MB (Master Bayar): payment history over many periodes; clustered like Payment.

    Its key is always composite (no NO_TRANSAKSI), so the primary key keeps it unique.
    """

    __tablename__ = "mb_payment"

    periode: Mapped[str] = mapped_column(String(7), primary_key=True)
    nomen: Mapped[str] = mapped_column(String(20), primary_key=True)
    pay_key: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    upload_id: Mapped[int] = data_upload()
    bill_period: Mapped[str] = mapped_column(String(7))
    pay_date: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    notag: Mapped[str | None] = mapped_column(String(40))

    __table_args__ = (
        data_upload_fk(),
        Index("ix_mb_payment_nomen", "nomen", "bill_period"),
        {"sqlite_with_rowid": False},
    )


class Sbrs(Base):
    """SBRS: one meter reading; ``periode`` is the bill month of the reading."""

    __tablename__ = "sbrs"

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = data_upload()
    periode: Mapped[str] = mapped_column(String(7))
    nomen: Mapped[str] = mapped_column(String(20))
    stand_lalu: Mapped[int] = mapped_column(BigInteger)
    stand_kini: Mapped[int] = mapped_column(BigInteger)
    pakai: Mapped[int | None] = mapped_column(BigInteger)  # as stated in the file
    volume: Mapped[int] = mapped_column(BigInteger)  # stated PAKAI, else kini - lalu
    read_method: Mapped[str | None] = mapped_column(String(32))
    skip_code: Mapped[str | None] = mapped_column(String(64))
    trouble_code: Mapped[str | None] = mapped_column(String(64))
    special_msg: Mapped[str | None] = mapped_column(String(200))
    read_date: Mapped[dt.date | None] = mapped_column(Date)
    route: Mapped[str | None] = mapped_column(String(32))
    rayon: Mapped[str | None] = mapped_column(String(8))
    nama: Mapped[str | None] = mapped_column(String(200))
    alamat: Mapped[str | None] = mapped_column(String(400))
    nomet: Mapped[str | None] = mapped_column(String(40))
    tarif: Mapped[str | None] = mapped_column(String(16))
    bill_period: Mapped[str | None] = mapped_column(String(7))
    bill_amount: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        data_upload_fk(),
        Index("ix_sbrs_periode_nomen", "periode", "nomen"),
        Index("ix_sbrs_nomen_periode", "nomen", "periode"),
    )


class Mainbill(Base):
    """MAINBILL: one bill issued (a correction is a further row)."""

    __tablename__ = "mainbill"

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = data_upload()
    periode: Mapped[str] = mapped_column(String(7))
    nomen: Mapped[str] = mapped_column(String(20))
    total: Mapped[int] = mapped_column(BigInteger)
    bill_period: Mapped[str | None] = mapped_column(String(7))
    tgl_tagihan: Mapped[dt.date | None] = mapped_column(Date)
    pakai: Mapped[int | None] = mapped_column(BigInteger)
    tarif: Mapped[str | None] = mapped_column(String(16))
    pcezbk: Mapped[str | None] = mapped_column(String(12))
    rayon: Mapped[str | None] = mapped_column(String(8))
    jenis_rek: Mapped[str | None] = mapped_column(String(16))

    __table_args__ = (
        data_upload_fk(),
        Index("ix_mainbill_periode_nomen", "periode", "nomen"),
    )


class Ardebt(Base):
    """ARDEBT: outstanding arrears at a periode, per unpaid bill or per customer."""

    __tablename__ = "ardebt"

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = data_upload()
    periode: Mapped[str] = mapped_column(String(7))
    nomen: Mapped[str] = mapped_column(String(20))
    bill_period: Mapped[str | None] = mapped_column(String(7))  # per-bill layout
    amount: Mapped[int | None] = mapped_column(BigInteger)  # per-bill layout
    volume: Mapped[int | None] = mapped_column(BigInteger)
    bills: Mapped[int | None] = mapped_column(Integer)  # per-customer layout
    total: Mapped[int | None] = mapped_column(BigInteger)  # per-customer layout
    rayon: Mapped[str | None] = mapped_column(String(8))  # the row's own, used where no MC knows the customer
    pcez: Mapped[str | None] = mapped_column(String(8))  # 5 digits

    __table_args__ = (
        data_upload_fk(),
        Index("ix_ardebt_periode_nomen", "periode", "nomen"),
    )


class Rute(Base):
    """RUTE: which officer reads and collects each route (PCEZ, 5 digits). An undated RUTE is stored
    under the periode ``UNDATED`` (domain/periodes.py)."""

    __tablename__ = "rute"

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = data_upload()
    periode: Mapped[str] = mapped_column(String(7))
    pcez: Mapped[str] = mapped_column(String(16))
    petugas: Mapped[str] = mapped_column(String(120))
    rayon: Mapped[str | None] = mapped_column(String(8))

    __table_args__ = (
        data_upload_fk(),
        Index("ix_rute_periode_pcez", "periode", "pcez"),
    )
