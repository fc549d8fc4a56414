"""The declarative base every table hangs on."""
from __future__ import annotations

from sqlalchemy import ForeignKey
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


def upload_fk() -> Mapped[int]:
    return mapped_column(ForeignKey("upload.id", ondelete="CASCADE"), nullable=False)


def declared_for(dialect: str):
    """Alembic's ``include_object`` for a database of ``dialect``: it leaves out what the models
    declare for another back end only (``Index(...).ddl_if(dialect=...)``, which ``create_all``
    honours and alembic's comparison does not)."""
    def include(obj, name, type_, reflected, compare_to) -> bool:
        condition = getattr(obj, "_ddl_if", None)
        return reflected or condition is None or condition.dialect in (None, dialect)
    return include
