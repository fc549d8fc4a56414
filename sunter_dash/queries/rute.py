"""Which RUTE applies to a periode (DATA.md): the latest dated RUTE at or before it, else the
undated one; the officer of a PCEZ in P, and of a customer in P (METRICS.md: its PCEZ is MC(P)'s,
else its most recent MC's), come from that RUTE, names trimmed and upper-cased."""
from __future__ import annotations

from sqlalchemy import Connection, Engine, func, select, text

from ..domain.periodes import UNDATED
from ..models import Rute


def rute_in_effect(conn: Connection, periode: str | None) -> str | None:
    """The stored periode of the RUTE that applies to ``periode`` (None: the newest); None when
    no RUTE applies."""
    dated = select(func.max(Rute.periode)).where(Rute.periode != UNDATED)
    if periode:
        dated = dated.where(Rute.periode <= periode)
    found = conn.scalar(dated)
    if found:
        return found
    return UNDATED if conn.scalar(select(Rute.id).where(Rute.periode == UNDATED).limit(1)) else None


def officer_of(conn: Connection, pcez: str, periode: str | None) -> str | None:
    """The PETUGAS of a PCEZ in the RUTE that applies to ``periode``."""
    effective = rute_in_effect(conn, periode)
    if effective is None:
        return None
    return conn.scalar(select(Rute.petugas).where(Rute.periode == effective, Rute.pcez == pcez.strip()).limit(1))


def officer_names(engine: Engine) -> list[str]:
    """Every officer name any stored RUTE has, trimmed and upper-cased, in order (the names a
    petugas user may be linked to)."""
    with engine.connect() as conn:
        rows = conn.execute(select(func.upper(func.trim(Rute.petugas))).distinct()
                            .where(Rute.petugas.is_not(None), func.trim(Rute.petugas) != ""))
        return sorted(name for (name,) in rows)


def officer_pcezs(conn: Connection, name: str, periode: str | None) -> set[str]:
    """The PCEZs of an officer in the RUTE that applies to ``periode``."""
    effective = rute_in_effect(conn, periode)
    if effective is None:
        return set()
    return set(conn.scalars(select(Rute.pcez).where(Rute.periode == effective,
                                                    func.upper(func.trim(Rute.petugas)) == name.strip().upper())))


def officers(conn: Connection, periode: str, nomens: list[str]) -> dict[str, str | None]:
    """The officer of each customer in ``periode``: its PCEZ (MC(P), else its most recent MC) in
    the RUTE in effect, names trimmed and upper-cased."""
    if not nomens:
        return {}
    names = {f"n{i}": nomen for i, nomen in enumerate(nomens)}
    listed = ", ".join(f":{name}" for name in names)
    rows = conn.execute(text(f"""
        SELECT m.nomen, (SELECT MAX(UPPER(TRIM(r.petugas))) FROM rute r
                         WHERE r.periode = :rp AND r.pcez = m.pcez) AS petugas
        FROM (SELECT nomen, COALESCE(
                  (SELECT MAX(pcez) FROM mc WHERE periode = :p AND nomen = x.nomen),
                  (SELECT m2.pcez FROM mc m2 WHERE m2.nomen = x.nomen AND m2.pcez IS NOT NULL
                   ORDER BY m2.periode DESC LIMIT 1)) AS pcez
              FROM (SELECT DISTINCT nomen FROM mc WHERE nomen IN ({listed})) x) m"""),
        {**names, "p": periode, "rp": rute_in_effect(conn, periode) or ""}).all()
    found = {nomen: petugas for nomen, petugas in rows}
    return {nomen: found.get(nomen) for nomen in nomens}
