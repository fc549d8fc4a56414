"""The declarative base every table hangs on."""
from __future__ import annotations

from sqlalchemy import ForeignKey, ForeignKeyConstraint, Integer
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


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


def declared_for(dialect: str):
    """Alembic's ``include_object`` for a database of ``dialect``: it leaves out what the models
    declare for another back end only (``Index(...).ddl_if(dialect=...)``, which ``create_all``
    honours and alembic's comparison does not)."""
    def include(obj, name, type_, reflected, compare_to) -> bool:
        condition = getattr(obj, "_ddl_if", None)
        return reflected or condition is None or condition.dialect in (None, dialect)
    return include
