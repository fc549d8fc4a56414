"""The data model: one table per billing-export type, uploads, users, analyses.

Every stored data row points at the upload that stored it (``upload_id``), so
deleting an upload removes exactly its rows. Money is integer Rupiah, volumes
and stands integer m3, periodes ``YYYY-MM`` text. Column names are DATA.md's
concepts, whatever the source file called them.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _upload_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("upload.id", ondelete="CASCADE"), nullable=False)


class Upload(Base):
    """Every ingestion attempt, loaded or refused (DATA.md: loading rules)."""

    __tablename__ = "upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    sha256: Mapped[str | None] = mapped_column(String(64))
    file_type: Mapped[str | None] = mapped_column(String(16))
    periode: Mapped[str | None] = mapped_column(String(7))
    periode_rule: Mapped[str | None] = mapped_column(String(32))
    # Comma-separated periodes of the stored rows (a payment file can span months);
    # deleting an upload looks only there, so data tables need no upload_id index.
    row_periodes: Mapped[str | None] = mapped_column(Text)
    username: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_stored: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    rows_duplicate: Mapped[int] = mapped_column(Integer, default=0)
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
    """One rejected row (or file-level problem, row NULL) of an upload."""

    __tablename__ = "upload_error"

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = _upload_fk()
    row: Mapped[int | None] = mapped_column(Integer)
    column: Mapped[str | None] = mapped_column(String(64))
    value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_upload_error_upload", "upload_id", "row"),)


class Mc(Base):
    """MC, the customer master of a periode: its rows are the collection target."""

    __tablename__ = "mc"

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = _upload_fk()
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
    upload_id: Mapped[int] = _upload_fk()
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
    upload_id: Mapped[int] = _upload_fk()
    bill_period: Mapped[str] = mapped_column(String(7))
    pay_date: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    notag: Mapped[str | None] = mapped_column(String(40))

    __table_args__ = (
        Index("ix_mb_payment_nomen", "nomen", "bill_period"),
        {"sqlite_with_rowid": False},
    )


class Sbrs(Base):
    """SBRS: one meter reading; ``periode`` is the bill month of the reading."""

    __tablename__ = "sbrs"

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = _upload_fk()
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
        Index("ix_sbrs_periode_nomen", "periode", "nomen"),
        Index("ix_sbrs_nomen_periode", "nomen", "periode"),
    )


class Mainbill(Base):
    """MAINBILL: one bill issued (a correction is a further row)."""

    __tablename__ = "mainbill"

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = _upload_fk()
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
        Index("ix_mainbill_periode_nomen", "periode", "nomen"),
    )


class Ardebt(Base):
    """ARDEBT: outstanding arrears at a periode, per unpaid bill or per customer."""

    __tablename__ = "ardebt"

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = _upload_fk()
    periode: Mapped[str] = mapped_column(String(7))
    nomen: Mapped[str] = mapped_column(String(20))
    bill_period: Mapped[str | None] = mapped_column(String(7))  # per-bill layout
    amount: Mapped[int | None] = mapped_column(BigInteger)  # per-bill layout
    volume: Mapped[int | None] = mapped_column(BigInteger)
    bills: Mapped[int | None] = mapped_column(Integer)  # per-customer layout
    total: Mapped[int | None] = mapped_column(BigInteger)  # per-customer layout

    __table_args__ = (
        Index("ix_ardebt_periode_nomen", "periode", "nomen"),
    )


class Rute(Base):
    """RUTE: which officer reads and collects each route (PCEZ)."""

    __tablename__ = "rute"

    id: Mapped[int] = mapped_column(primary_key=True)
    upload_id: Mapped[int] = _upload_fk()
    periode: Mapped[str] = mapped_column(String(7))
    pcez: Mapped[str] = mapped_column(String(16))
    petugas: Mapped[str] = mapped_column(String(120))
    rayon: Mapped[str | None] = mapped_column(String(8))

    __table_args__ = (
        Index("ix_rute_periode_pcez", "periode", "pcez"),
    )


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))  # admin | viewer
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)


class AuditLog(Base):
    """Who did what, when, from where: logins (and failures), uploads, deletions, user changes."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
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
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    # Optimistic locking: an edit based on a stale version is refused.
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (
        Index("ix_analysis_nomen", "nomen"),
        Index("ix_analysis_status", "status", "periode"),
    )


class AnalysisEvent(Base):
    """History of an analysis: who changed what, when."""

    __tablename__ = "analysis_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    analysis_id: Mapped[int] = mapped_column(ForeignKey("analysis.id", ondelete="CASCADE"))
    username: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=_now)
    change: Mapped[str] = mapped_column(Text)  # JSON: {"field": [old, new], ...}
    comment: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_analysis_event_analysis", "analysis_id"),)


# --- summaries -------------------------------------------------------------------
# Kept up to date inside the transaction that stores or deletes an upload
# (ingest/summaries.py), so that the dashboard reads a handful of rows instead of
# aggregating millions of payments. rayon '' holds customers with no rayon: they
# count in the all-rayon figures only (METRICS.md).


class DataVersion(Base):
    """One row; bumped by every upload and deletion, so every process's cache sees it."""

    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class StoredCount(Base):
    """Rows stored per file type and periode: the data overview and the periode list
    without counting millions of payments on every page load."""

    __tablename__ = "stored_count"

    file_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    periode: Mapped[str] = mapped_column(String(7), primary_key=True)
    rows: Mapped[int] = mapped_column(BigInteger, default=0)


class PayCustomer(Base):
    """COLLECTION per customer and pay month: CURRENT and UNDUE payments and sums.
    Payments only ever add to it, so an upload folds its new rows in without a rescan."""

    __tablename__ = "pay_customer"

    periode: Mapped[str] = mapped_column(String(7), primary_key=True)
    nomen: Mapped[str] = mapped_column(String(20), primary_key=True)
    cur_n: Mapped[int] = mapped_column(BigInteger, default=0)
    cur_sum: Mapped[int] = mapped_column(BigInteger, default=0)
    undue_n: Mapped[int] = mapped_column(BigInteger, default=0)
    undue_sum: Mapped[int] = mapped_column(BigInteger, default=0)

    __table_args__ = ({"sqlite_with_rowid": False},)


class CustomerRayon(Base):
    """The rayon of each customer's most recent MC that gives one (METRICS.md's fallback)."""

    __tablename__ = "customer_rayon"

    nomen: Mapped[str] = mapped_column(String(20), primary_key=True)
    rayon: Mapped[str] = mapped_column(String(8))
    periode: Mapped[str] = mapped_column(String(7))

    __table_args__ = (Index("ix_customer_rayon_periode", "periode"),)


class KpiPeriode(Base):
    """METRICS.md's collection KPI of a periode, per rayon; the all-rayon figure is the sum."""

    __tablename__ = "kpi_periode"

    periode: Mapped[str] = mapped_column(String(7), primary_key=True)
    rayon: Mapped[str] = mapped_column(String(8), primary_key=True)
    mc_rows: Mapped[int] = mapped_column(BigInteger, default=0)
    mc_kubik: Mapped[int] = mapped_column(BigInteger, default=0)
    mc_kubik_rows: Mapped[int] = mapped_column(BigInteger, default=0)  # rows with a KUBIK value
    sbrs_volume: Mapped[int] = mapped_column(BigInteger, default=0)
    target_nomen: Mapped[int] = mapped_column(BigInteger, default=0)
    target_nominal: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_nomen: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_nominal: Mapped[int] = mapped_column(BigInteger, default=0)
    unpaid_nomen: Mapped[int] = mapped_column(BigInteger, default=0)
    unpaid_nominal: Mapped[int] = mapped_column(BigInteger, default=0)
    undue_nomen: Mapped[int] = mapped_column(BigInteger, default=0)
    undue_count: Mapped[int] = mapped_column(BigInteger, default=0)
    undue_nominal: Mapped[int] = mapped_column(BigInteger, default=0)
    unmatched_nomen: Mapped[int] = mapped_column(BigInteger, default=0)
    unmatched_count: Mapped[int] = mapped_column(BigInteger, default=0)
    unmatched_nominal: Mapped[int] = mapped_column(BigInteger, default=0)


class KpiDay(Base):
    """CURRENT payments per pay day by customers of the periode's target, per rayon."""

    __tablename__ = "kpi_day"

    periode: Mapped[str] = mapped_column(String(7), primary_key=True)
    rayon: Mapped[str] = mapped_column(String(8), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    payments: Mapped[int] = mapped_column(BigInteger, default=0)
    nominal: Mapped[int] = mapped_column(BigInteger, default=0)


class ArrearsCustomer(Base):
    """ARDEBT(P) per customer: bills outstanding, total, oldest bill; rayon by METRICS.md's rule."""

    __tablename__ = "arrears_customer"

    periode: Mapped[str] = mapped_column(String(7), primary_key=True)
    nomen: Mapped[str] = mapped_column(String(20), primary_key=True)
    rayon: Mapped[str] = mapped_column(String(8), default="")
    bills: Mapped[int] = mapped_column(BigInteger, default=0)
    total: Mapped[int] = mapped_column(BigInteger, default=0)
    oldest_bill: Mapped[str | None] = mapped_column(String(7))

    __table_args__ = (
        Index("ix_arrears_customer_top", "periode", "total"),
        Index("ix_arrears_customer_rayon_top", "periode", "rayon", "total"),
    )


class ArrearsBucket(Base):
    """Aging buckets of ARDEBT(P) per rayon (customers with total > 0)."""

    __tablename__ = "arrears_bucket"

    periode: Mapped[str] = mapped_column(String(7), primary_key=True)
    rayon: Mapped[str] = mapped_column(String(8), primary_key=True)
    bucket: Mapped[str] = mapped_column(String(8), primary_key=True)
    nomen: Mapped[int] = mapped_column(BigInteger, default=0)
    nominal: Mapped[int] = mapped_column(BigInteger, default=0)



# --- meter-reading anomalies and the customer directory ---------------------------------
# Maintained with the summaries (ingest/anomalies.py): when SBRS, MC or MAINBILL of a
# periode changes, the flags of that periode and of the periodes whose checks look back
# at it are recomputed.


class MeterFlag(Base):
    """One anomaly of METRICS.md found for a customer in a periode (a customer can carry
    several: one row each, and ``flags`` lists all of them)."""

    __tablename__ = "meter_flag"

    periode: Mapped[str] = mapped_column(String(7), primary_key=True)
    flag: Mapped[str] = mapped_column(String(16), primary_key=True)
    nomen: Mapped[str] = mapped_column(String(20), primary_key=True)
    rayon: Mapped[str] = mapped_column(String(8), default="")
    nama: Mapped[str | None] = mapped_column(String(200))
    tarif: Mapped[str | None] = mapped_column(String(16))
    stand_lalu: Mapped[int | None] = mapped_column(BigInteger)
    stand_kini: Mapped[int | None] = mapped_column(BigInteger)
    pakai: Mapped[int | None] = mapped_column(BigInteger)  # stated in SBRS
    volume: Mapped[int | None] = mapped_column(BigInteger)
    prev_stand_kini: Mapped[int | None] = mapped_column(BigInteger)
    prev_volume: Mapped[int | None] = mapped_column(BigInteger)
    median_volume: Mapped[int | None] = mapped_column(BigInteger)  # of the last readings, when any
    read_method: Mapped[str | None] = mapped_column(String(32))
    trouble_code: Mapped[str | None] = mapped_column(String(64))
    flags: Mapped[str] = mapped_column(String(160))  # every flag of the customer in P, comma-separated
    delta_m3: Mapped[int | None] = mapped_column(BigInteger)  # the volume in question (see anomalies.py)
    price_m3: Mapped[int | None] = mapped_column(BigInteger)  # Rupiah per m3, from MAINBILL(P) or MC(P)
    at_stake: Mapped[int | None] = mapped_column(BigInteger)  # Rupiah

    __table_args__ = (
        Index("ix_meter_flag_rayon", "periode", "flag", "rayon"),
        Index("ix_meter_flag_nomen", "nomen", "periode"),
        {"sqlite_with_rowid": False},
    )


class AnomalySetting(Base):
    """The thresholds the stored flags were computed with (one row), so that every
    process computes with the same ones and a change of settings recomputes them."""

    __tablename__ = "anomaly_setting"

    id: Mapped[int] = mapped_column(primary_key=True)
    thresholds: Mapped[str] = mapped_column(Text)  # JSON


class Customer(Base):
    """Each customer as last seen: the most recent MC that lists it, else its most
    recent SBRS reading. The search box and the profile read it."""

    __tablename__ = "customer"

    nomen: Mapped[str] = mapped_column(String(20), primary_key=True)
    nama: Mapped[str | None] = mapped_column(String(200))
    alamat: Mapped[str | None] = mapped_column(String(400))
    rayon: Mapped[str] = mapped_column(String(8), default="")
    tarif: Mapped[str | None] = mapped_column(String(16))
    zona_novak: Mapped[str | None] = mapped_column(String(12))
    pcez: Mapped[str | None] = mapped_column(String(8))
    nomet: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str | None] = mapped_column(String(32))
    periode: Mapped[str] = mapped_column(String(7))  # of the row it was taken from
    source: Mapped[str] = mapped_column(String(8))  # MC | SBRS
    search_text: Mapped[str] = mapped_column(Text, default="")  # lower-case name and address

    __table_args__ = (Index("ix_customer_periode", "periode"),)


DATA_TABLES = {
    "MC": Mc.__table__,
    "COLLECTION": Payment.__table__,
    "SBRS": Sbrs.__table__,
    "MAINBILL": Mainbill.__table__,
    "MB": MbPayment.__table__,
    "ARDEBT": Ardebt.__table__,
    "RUTE": Rute.__table__,
}
