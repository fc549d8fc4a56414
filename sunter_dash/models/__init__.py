"""The data model: a table per file type, uploads, users, analyses, and the summaries.

``data_table(file_type)`` is the table a file type's rows go to (its FileSpec names it), so
the loader, the summaries and the CLI need no list of types of their own.
"""
from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Column, Index, Integer, Table

from ..domain import files
from .accounts import Analysis, AnalysisEvent, AuditLog, FollowUp, LoginAttempt, User
from .base import Base
from .data import Ardebt, Mainbill, MbPayment, Mc, Payment, Rute, Sbrs
from .settings import MappingProfile, PeriodeGoal, SavedSetting, Subscription, SubscriptionSend
from .summaries import (
    AnomalySetting,
    ArrearsBucket,
    ArrearsCustomer,
    CollectionCustomer,
    CollectionGroup,
    Customer,
    CustomerRayon,
    CustomerSearch,
    DataVersion,
    KpiDay,
    KpiPeriode,
    MeterFlag,
    MeterFlagCount,
    PayCustomer,
    StoredCount,
)
from .uploads import PaymentCarrier, Upload, UploadError


def data_table(file_type: str) -> Table:
    return Base.metadata.tables[files.spec(file_type).table]


SUPERSEDED = "{}_superseded"  # where a replaced snapshot's rows are kept (DATA.md, Loading rules)


def superseded_table(file_type: str) -> Table | None:
    """The table keeping a type's replaced snapshots (None for a type that keeps none)."""
    return Base.metadata.tables.get(SUPERSEDED.format(files.spec(file_type).table))


def _superseded_tables() -> None:
    """Every snapshot table of the built-in types has a twin holding its superseded rows."""
    for spec in files.specs():
        if spec.mode == files.SNAPSHOT:
            table = Base.metadata.tables[spec.table]
            kept = [column for column in table.columns if column.name not in ("id", "upload_id")]
            archive = Table(SUPERSEDED.format(table.name), Base.metadata,
                            Column("upload_id", Integer, nullable=False, index=True),
                            *[Column(c.name, c.type, nullable=c.nullable) for c in kept])
            Index(f"ix_{archive.name}_periode", archive.c.periode)


_superseded_tables()


class _DataTables(Mapping):
    """file type -> its table, for every type in the catalogue (read afresh on each use)."""

    def __getitem__(self, file_type: str) -> Table:
        if file_type not in files.names():
            raise KeyError(file_type)
        return data_table(file_type)

    def __iter__(self):
        return iter(files.names())

    def __len__(self) -> int:
        return len(files.names())


DATA_TABLES = _DataTables()

__all__ = ["Analysis", "AnalysisEvent", "AnomalySetting", "Ardebt", "ArrearsBucket", "ArrearsCustomer", "AuditLog", "CollectionCustomer",
           "CollectionGroup", "FollowUp",
           "Base", "Customer", "CustomerRayon", "CustomerSearch", "DATA_TABLES", "DataVersion", "KpiDay", "KpiPeriode", "LoginAttempt", "Mainbill",
           "MbPayment", "Mc", "MeterFlag", "MeterFlagCount", "PayCustomer", "PaymentCarrier", "Payment", "Rute", "Sbrs",
           "StoredCount", "Upload",
           "UploadError", "User", "data_table", "superseded_table", "MappingProfile", "PeriodeGoal", "SavedSetting", "Subscription", "SubscriptionSend"]
