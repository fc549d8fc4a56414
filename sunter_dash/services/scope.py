"""Row-level security: what a scoped role (a petugas, domain/roles.py) may see and touch.

A petugas sees the collection work and the profiles of the customers of its own PCEZs: those its
officer name holds in the RUTE in effect for the requested periode (for a profile and the
customer search: the latest stored periode). Every other role is unscoped, and each function
here returns what it was given. The tabs and the API call these same functions, so a crafted
request meets the same check as the page.
"""
from __future__ import annotations

from sqlalchemy import Engine

from ..domain.errors import Forbidden
from ..domain.roles import scoped
from ..queries import collection
from ..queries.customers import customer_search as search
from ..queries.rute import officer_pcezs, officers
from ..queries.stored import periodes
from . import Actor


def officer(actor: Actor) -> str | None:
    """The officer name a scoped actor is held to (None: not scoped)."""
    if not scoped(actor.role):
        return None
    return (actor.petugas or "").strip().upper() or "-"  # a petugas without a name sees nobody


def petugas_filter(actor: Actor, asked: str | None) -> str | None:
    """The officer filter a request may use: what it asked for, or for a petugas its own name;
    another officer's name is refused."""
    own = officer(actor)
    if own is None:
        return asked
    if asked and asked.strip().upper() != own:
        raise Forbidden(f"Anda hanya dapat melihat pelanggan rute Anda sendiri ({own}).",
                        f"A petugas sees only its own officer's customers ({own}), not {asked.strip()!r}.",
                        field="petugas")
    return own


def pcezs(engine: Engine, actor: Actor, periode: str | None) -> tuple[str, ...] | None:
    """The PCEZs a scoped actor may see in ``periode``, in order (None: any)."""
    own = officer(actor)
    if own is None:
        return None
    with engine.connect() as conn:
        return tuple(sorted(officer_pcezs(conn, own, periode)))


def pcez_filter(engine: Engine, actor: Actor, periode: str, asked: str | None) -> str | None:
    """The PCEZ filter a request may use: a petugas's must be one of its own PCEZs."""
    allowed = pcezs(engine, actor, periode)
    if asked and allowed is not None and asked not in allowed:
        raise Forbidden(f"PCEZ {asked} bukan rute Anda pada periode {periode}.",
                        f"PCEZ {asked} is not the petugas's own in {periode}.", field="pcez")
    return asked


def groups(engine: Engine, actor: Actor, result: dict, key: str) -> dict:
    """The collection KPI per PCEZ or per officer (queries/collection.py) as the actor may see
    it: a petugas's own rows only, with their total."""
    own = officer(actor)
    if own is None:
        return result
    keep = {own} if key == "petugas" else set(pcezs(engine, actor, result["periode"]))
    return collection.only(result, key, keep)


def latest_periode(engine: Engine) -> str | None:
    stored = periodes(engine)
    return stored[0]["periode"] if stored else None


def customers(engine: Engine, actor: Actor, nomens: list[str]) -> set[str]:
    """Those of ``nomens`` the actor may open (a petugas: its own customers in the latest
    stored periode)."""
    own = officer(actor)
    if own is None:
        return set(nomens)
    periode = latest_periode(engine)
    if periode is None:
        return set()
    with engine.connect() as conn:
        by = officers(conn, periode, nomens)
    return {nomen for nomen, name in by.items() if name == own}


def customer_search(engine: Engine, actor: Actor, q: str, rayon: str | None, limit: int) -> list[dict]:
    """The customer search (queries/customers.py) as the actor may see it: a petugas's is narrowed
    to its PCEZs in the query, so the limit still means something, then to its own customers."""
    if officer(actor) is None:
        return search(engine, q, rayon, limit)
    found = search(engine, q, rayon, limit, pcezs(engine, actor, latest_periode(engine)))
    mine = customers(engine, actor, [row["nomen"] for row in found])
    return [row for row in found if row["nomen"] in mine]


def check_customer(engine: Engine, actor: Actor, nomen: str, periode: str | None = None) -> None:
    """Refuse a customer the actor may not open: for a petugas, one outside its own PCEZs in
    ``periode`` (None: the latest stored periode)."""
    own = officer(actor)
    if own is None:
        return
    periode = periode or latest_periode(engine)
    with engine.connect() as conn:
        name = officers(conn, periode, [nomen]).get(nomen) if periode else None
    if name != own:
        raise Forbidden(f"Pelanggan {nomen} bukan pelanggan rute Anda ({own}).",
                        f"Customer {nomen} is not in the petugas's own PCEZs.", field="nomen")


def profile(actor: Actor, found: dict) -> dict:
    """A customer profile as the actor may see it: a petugas's has no analyses."""
    if officer(actor) is None:
        return found
    return {key: value for key, value in found.items() if key != "analyses"}
