"""Field follow-ups for the demo's newest periode, so a first run shows a living Penagihan tab:
promises kept, broken and pending, and visits of every other result. Recorded through the
service, as an admin would, after the demo's files are loaded; chosen deterministically."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, text

from ..domain.followups import GRACE_DAYS, RESULTS
from ..queries.collection import whole_list
from ..queries.stored import data_as_of
from ..services import Actor, followups

EACH = 6  # customers per kind of follow-up


def record(engine: Engine, actor: Actor, today: dt.date) -> int:
    """Follow-ups for the newest periode with an MC; returns how many were recorded."""
    with engine.connect() as conn:
        periode = conn.execute(text("SELECT MAX(periode) FROM mc")).scalar()
        if periode is None:
            return 0
        as_of = data_as_of(conn, periode)
        # Paid customers and the day they first paid: their promises were kept.
        paid = conn.execute(text(
            "SELECT nomen, MIN(pay_date) FROM payment WHERE periode = :p AND jenis = 'CURRENT' "
            "GROUP BY nomen ORDER BY nomen LIMIT :n"), {"p": periode, "n": EACH}).all()
    if as_of is None:
        return 0
    unpaid = [row["nomen"] for row in whole_list(engine, "unpaid", periode, sort="nomen")]
    visits = []
    for nomen, day in paid:
        day = dt.date.fromisoformat(str(day)[:10])
        visits.append((nomen, "janji_bayar", day - dt.timedelta(days=2), day + dt.timedelta(days=1)))
    broken, pending, others = unpaid[:EACH], unpaid[EACH:2 * EACH], unpaid[2 * EACH:]
    for nomen in broken:  # promised well before the data end, and nothing came
        promised = as_of - dt.timedelta(days=GRACE_DAYS + 5)
        visits.append((nomen, "janji_bayar", promised - dt.timedelta(days=4), promised))
    for nomen in pending:  # still within the promise and its grace when the data end
        visits.append((nomen, "janji_bayar", as_of - dt.timedelta(days=1), as_of + dt.timedelta(days=2)))
    other_results = [r for r in RESULTS if r != "janji_bayar"]
    for i, nomen in enumerate(others[:EACH * 2]):
        visits.append((nomen, other_results[i % len(other_results)], as_of - dt.timedelta(days=i % 7), None))
    for nomen, result, visit, promised in visits:
        followups.add(engine, actor, {"nomen": nomen, "periode": periode, "result": result,
                                      "visit_date": min(visit, today).isoformat(),
                                      "promise_date": promised.isoformat() if promised else None,
                                      "note": "data demo"}, today)
    return len(visits)
