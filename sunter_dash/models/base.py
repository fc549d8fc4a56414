"""The declarative base every table hangs on."""
from __future__ import annotations

import re

from sqlalchemy import ForeignKey, ForeignKeyConstraint, Integer
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ..domain.periodes import PERIODE_RE

# The tables PostgreSQL partitions by periode (LIST), one partition per periode named by
# ``partition`` (migration 0023); SQLite keeps each whole.
PARTITIONED = ("collection_customer",)
_PARTITION = re.compile(rf"({'|'.join(PARTITIONED)})_p\d{{6}}")


class Base(DeclarativeBase):
    pass


def upload_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("upload.id", ondelete="CASCADE"), nullable=False)


def data_upload() -> Mapped[int]:
    """A data row's upload: checked by :func:`data_upload_fk` on SQLite only."""
    return mapped_column(Integer, nullable=False)


def data_upload_fk() -> ForeignKeyConstraint:
    """The foreign key from a data table's ``upload_id`` to ``upload``, declared for SQLite only.

    Nothing deletes an upload (deletion marks it and deletes its rows by ``upload_id``), so the
    key only checks that a row names an upload, which the one writer (ingest) always does. On
    PostgreSQL that check, one probe of ``upload``'s key per row, made half the time of COPYing
    a million payments (12.4 s against 6.8 s without it); on SQLite it costs 7 %, and removing
    it there would rebuild every data table (migration 0019)."""
    return ForeignKeyConstraint(["upload_id"], ["upload.id"], ondelete="CASCADE").ddl_if(
        dialect="sqlite")


def partition(table: str, periode: str) -> str:
    """PostgreSQL: the partition of ``table`` (one of PARTITIONED) that holds ``periode``'s rows."""
    if table not in PARTITIONED or not PERIODE_RE.fullmatch(periode):
        raise ValueError(f"no partition of {table!r} for {periode!r}")
    return f"{table}_p{periode.replace('-', '')}"


def is_partition(name: str) -> bool:
    return _PARTITION.fullmatch(name) is not None


def declared_for(dialect: str):
    """Alembic's ``include_object`` for a database of ``dialect``: it leaves out what the models
    declare for another back end only (``Index(...).ddl_if(dialect=...)``, which ``create_all``
    honours and alembic's comparison does not), and PostgreSQL's partitions of a table (``partition``)."""
    def include(obj, name, type_, reflected, compare_to) -> bool:
        if type_ == "table" and reflected and is_partition(name):
            return False
        condition = getattr(obj, "_ddl_if", None)
        return reflected or condition is None or condition.dialect in (None, dialect)
    return include
