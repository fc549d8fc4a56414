"""What a migration asks to be computed again from the stored rows (the summaries, the
customer directory, the meter flags). ``db.upgrade`` computes it once the schema is at head,
with today's code: a migration computing with today's code on its own revision's schema
would break as soon as a later revision changed a table that code writes."""
from __future__ import annotations

from alembic import op
from sqlalchemy.engine import Connection

ATTRIBUTE = "recompute"  # the alembic Config attribute the requests are collected in
ORDER = ("summaries", "rayons", "collection", "directory", "flags")  # summaries first: the others read them


def request(name: str) -> None:
    """From a migration's ``upgrade``: compute ``name`` again once the schema is at head."""
    assert name in ORDER, name
    op.get_context().config.attributes.setdefault(ATTRIBUTE, set()).add(name)


def recompute(conn: Connection, names: set[str]) -> None:
    """Compute what the migrations just run asked for, in ``ORDER``."""
    from ..ingest import directory, flags, summaries

    steps = {"summaries": summaries.rebuild_all, "rayons": summaries.rebuild_customer_rayon,
             "collection": summaries.rebuild_collection,
             "directory": lambda c: directory.refresh(c, None, None), "flags": flags.rebuild}
    if "summaries" in names:  # summaries.rebuild_all computes the rayons and collection summaries too
        names = set(names) - {"rayons", "collection"}
    for name in ORDER:
        if name in names:
            steps[name](conn)
