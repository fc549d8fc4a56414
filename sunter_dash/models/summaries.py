"""Summary tables, kept up to date inside the transaction that stores or deletes an upload
(ingest/summaries.py, ingest/flags.py), so that the dashboard reads a handful of rows
instead of aggregating millions of payments. rayon '' holds customers with no rayon: they
count in the all-rayon figures only (METRICS.md)."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Date, Float, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from ..domain.checks import KEY_LENGTH
from ..domain.files import NAME_LENGTH
from .base import Base


class DataVersion(Base):
    """One row; bumped by every upload and deletion, so every process's cache sees it."""

    __tablename__ = "data_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class StoredCount(Base):
    """Rows stored per file type and periode: the data overview and the periode list
    without counting millions of payments on every page load."""

    __tablename__ = "stored_count"

    file_type: Mapped[str] = mapped_column(String(NAME_LENGTH), primary_key=True)
    periode: Mapped[str] = mapped_column(String(7), primary_key=True)
    rows: Mapped[int] = mapped_column(BigInteger, default=0)
    # The latest date of the type's dated rows (FileSpec.date_field) in the periode: for
    # COLLECTION, METRICS.md's "data as of". None for types without one.
    last_day: Mapped[dt.date | None] = mapped_column(Date)
    # The distinct values of the type's code (FileSpec.code_field) in the periode, as a JSON
    # list, sorted; None for types without one.
    codes: Mapped[str | None] = mapped_column(Text)


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
    """The rayon of each customer's most recent MC that gives one (METRICS.md's fallback), and the
    first periode of its current run in it: its earliest MC periode after the last MC that gave
    another rayon (summaries.refresh_customer_rayon reads it to know who an MC(P) can move)."""

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


UNNAMED_FLAG = "read_nama IS NULL"  # a meter flag whose reading gave no name


class MeterFlag(Base):
    """One anomaly of METRICS.md found for a customer in a periode (a customer can carry
    several: one row each, and ``flags`` lists all of them)."""

    __tablename__ = "meter_flag"

    periode: Mapped[str] = mapped_column(String(7), primary_key=True)
    flag: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
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
    delta_m3: Mapped[int | None] = mapped_column(BigInteger)  # the volume in question (domain/meter_checks.py)
    price_m3: Mapped[int | None] = mapped_column(BigInteger)  # Rupiah per m3, from MAINBILL(P) or MC(P)
    at_stake: Mapped[int | None] = mapped_column(BigInteger)  # Rupiah
    # What the flag was found with, kept so that a change of MC or MAINBILL prices and names the
    # flags again without reading the readings' history (ingest/flags.py, ``reprice``): the
    # rayon, name and tarif of the reading that raised it, the volume in question unrounded, the
    # money at stake the check gave itself, and whether at_stake is |delta| x price (1) or that.
    read_rayon: Mapped[str | None] = mapped_column(String(8))
    read_nama: Mapped[str | None] = mapped_column(String(200))
    read_tarif: Mapped[str | None] = mapped_column(String(16))
    delta_exact: Mapped[float | None] = mapped_column(Float)
    given_stake: Mapped[float | None] = mapped_column(Float)
    priced: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (
        Index("ix_meter_flag_rayon", "periode", "flag", "rayon"),
        Index("ix_meter_flag_nomen", "nomen", "periode"),
        # The few flags whose reading gave no name, some named from the directory (ingest/flags.py).
        Index("ix_meter_flag_unnamed", "nomen", "periode", sqlite_where=text(UNNAMED_FLAG),
              postgresql_where=text(UNNAMED_FLAG)),
        {"sqlite_with_rowid": False},
    )


class MeterFlagCount(Base):
    """meter_flag's customers per periode, rayon and check, kept with it (ingest/flags.py), so
    that the Meter cards count a periode of a million customers without reading its flags."""

    __tablename__ = "meter_flag_count"

    periode: Mapped[str] = mapped_column(String(7), primary_key=True)
    rayon: Mapped[str] = mapped_column(String(8), primary_key=True)
    flag: Mapped[str] = mapped_column(String(KEY_LENGTH), primary_key=True)
    customers: Mapped[int] = mapped_column(BigInteger, default=0)


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

    __table_args__ = (Index("ix_customer_periode", "periode"),)


class CustomerSearch(Base):
    """Each directory entry's name and address in lower case, which the search by words reads
    (ingest/directory.py keeps it). A table of its own, written only where a name or address
    changed, so that on PostgreSQL its trigram index (a search by words looks the words up
    instead of scanning every name) is not written for the customers who kept theirs."""

    __tablename__ = "customer_search"

    nomen: Mapped[str] = mapped_column(String(20), primary_key=True)
    search_text: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_customer_search_trigram", "search_text", postgresql_using="gin",
                            postgresql_ops={"search_text": "gin_trgm_ops"}).ddl_if(dialect="postgresql"),)


# Customers of a periode who may be disconnection candidates: in MC(P), no COLLECTION payment
# (CURRENT or UNDUE) and no MB payment dated in P. Written as the candidates' query writes it, so
# that both back ends use the partial index below.
CANDIDATES = "in_mc = 1 AND cur_n + undue_n = 0 AND mb_paid = 0"
UNPAID = "unpaid = 1"  # the unpaid list's customers, as its query writes it


class CollectionCustomer(Base):
    """METRICS.md's collection work per customer of a periode (ingest/collection.py): every
    customer of MC(P) (``in_mc``) and every UNDUE payer of P outside it, with the rayon and PCEZ
    METRICS.md gives it, its target, its CURRENT and UNDUE payments dated in P and ARDEBT(P).
    The unpaid list and the disconnection candidates read a page of it through its indexes."""

    __tablename__ = "collection_customer"

    periode: Mapped[str] = mapped_column(String(7), primary_key=True)
    nomen: Mapped[str] = mapped_column(String(20), primary_key=True)
    in_mc: Mapped[int] = mapped_column(Integer, default=1)
    rayon: Mapped[str] = mapped_column(String(8), default="")
    pcez: Mapped[str | None] = mapped_column(String(8))
    borrowed: Mapped[int] = mapped_column(Integer, default=0)  # 1: MC(P) gives it no PCEZ (in_mc 0 too)
    pcez_from: Mapped[str | None] = mapped_column(String(7))  # the MC periode its PCEZ came from
    nama: Mapped[str | None] = mapped_column(String(200))
    alamat: Mapped[str | None] = mapped_column(String(400))
    tarif: Mapped[str | None] = mapped_column(String(16))
    nominal: Mapped[int] = mapped_column(BigInteger, default=0)
    unpaid: Mapped[int] = mapped_column(Integer, default=0)  # in target.nomen(P), no CURRENT dated in P
    cur_sum: Mapped[int] = mapped_column(BigInteger, default=0)
    cur_n: Mapped[int] = mapped_column(BigInteger, default=0)
    undue_sum: Mapped[int] = mapped_column(BigInteger, default=0)
    undue_n: Mapped[int] = mapped_column(BigInteger, default=0)
    bills: Mapped[int] = mapped_column(BigInteger, default=0)  # ARDEBT(P); 0 when not in it
    arrears: Mapped[int] = mapped_column(BigInteger, default=0)
    # 1: an MB payment dated in P. Kept for the customers the disconnection list can hold (in
    # MC(P), with bills, no COLLECTION payment dated in P: ingest/collection.py), 0 for others.
    mb_paid: Mapped[int] = mapped_column(Integer, default=0)
    # MC(P)'s rows of the customer, their KUBIK and how many have one (0 outside MC(P)): the
    # KPI's target part sums them per rayon from collection_group rather than MC again.
    mc_rows: Mapped[int] = mapped_column(Integer, default=0)
    kubik: Mapped[int] = mapped_column(BigInteger, default=0)
    kubik_rows: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (
        # The unpaid list's orders (queries/collection.py), each read a page at a time; partial, so
        # that the customers who paid (most of a periode) cost no write in them; the rayon last, so
        # that a page of one rayon is found in the index alone (migration 0024).
        Index("ix_collection_customer_unpaid", "periode", nominal.desc(), "nomen", "rayon",
              sqlite_where=text(UNPAID), postgresql_where=text(UNPAID)),
        Index("ix_collection_customer_route", "periode", "pcez", "alamat", "nomen", "rayon",
              sqlite_where=text(UNPAID), postgresql_where=text(UNPAID)),
        Index("ix_collection_customer_arrears", "periode", arrears.desc(), "nomen", "rayon",
              sqlite_where=text(UNPAID), postgresql_where=text(UNPAID)),
        # The disconnection candidates (queries/collection.py): counted and paged in the index.
        Index("ix_collection_customer_candidates", "periode", "bills", "rayon", "arrears", "nomen",
              sqlite_where=text(CANDIDATES), postgresql_where=text(CANDIDATES)),
        Index("ix_collection_customer_borrowed", "borrowed", "pcez_from"),
    )


class CollectionGroup(Base):
    """The collection KPI's parts per periode, rayon and PCEZ ('' for none), summed from
    ``collection_customer``: the KPI per PCEZ and per officer read a few hundred rows."""

    __tablename__ = "collection_group"

    periode: Mapped[str] = mapped_column(String(7), primary_key=True)
    rayon: Mapped[str] = mapped_column(String(8), primary_key=True)
    pcez: Mapped[str] = mapped_column(String(8), primary_key=True)
    customers: Mapped[int] = mapped_column(BigInteger, default=0)  # of MC(P)
    target_nomen: Mapped[int] = mapped_column(BigInteger, default=0)
    target_nominal: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_nomen: Mapped[int] = mapped_column(BigInteger, default=0)
    paid_nominal: Mapped[int] = mapped_column(BigInteger, default=0)
    unpaid_nomen: Mapped[int] = mapped_column(BigInteger, default=0)
    unpaid_nominal: Mapped[int] = mapped_column(BigInteger, default=0)
    undue_nomen: Mapped[int] = mapped_column(BigInteger, default=0)
    undue_nominal: Mapped[int] = mapped_column(BigInteger, default=0)
    mc_rows: Mapped[int] = mapped_column(BigInteger, default=0)
    mc_kubik: Mapped[int] = mapped_column(BigInteger, default=0)
    mc_kubik_rows: Mapped[int] = mapped_column(BigInteger, default=0)
