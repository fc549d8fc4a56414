"""Recording a field follow-up (METRICS.md, "Collection work"): admins, and a petugas for the
customers of its own PCEZs in the follow-up's periode, for a customer the periode's MC or ARDEBT
knows; every record is kept."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, insert, select

from ..domain.clock import now_utc
from ..domain.errors import NotFound
from ..domain.followups import RESULT_LABELS, check_followup
from ..ingest import summaries
from ..models import Ardebt, FollowUp, Mc
from ..queries.cache import invalidate
from ..queries.followups import followup
from . import Actor, record, scope


def add(engine: Engine, actor: Actor, payload: dict, today: dt.date) -> dict:
    """Record a follow-up and return it. ``today`` is the branch's date (SUNTER_TIMEZONE), the
    default visit date and the latest one allowed."""
    actor.require("collect")
    values = check_followup(payload, today)
    scope.check_customer(engine, actor, values["nomen"], values["periode"])
    with engine.begin() as conn:
        known = conn.scalar(select(Mc.id).where(Mc.periode == values["periode"], Mc.nomen == values["nomen"])
                            .limit(1)) or conn.scalar(select(Ardebt.id).where(
                                Ardebt.periode == values["periode"], Ardebt.nomen == values["nomen"]).limit(1))
        if not known:
            raise NotFound(f"Pelanggan {values['nomen']} tidak ada di MC maupun ARDEBT periode {values['periode']}; "
                           "periksa nomen dan periodenya.",
                           f"Customer {values['nomen']} is in neither MC nor ARDEBT of {values['periode']}.",
                           field="nomen")
        new_id = conn.execute(insert(FollowUp).values(**values, created_by=actor.username, created_at=now_utc())
                              ).inserted_primary_key[0]
        summaries.bump_version(conn)  # the lists show the latest follow-up
    invalidate()
    saved = followup(engine, new_id)
    record(engine, actor, "followup_recorded",
           f"{saved['nomen']} {saved['periode']}: {RESULT_LABELS.get(saved['result'], saved['result'])}"
           + (f" janji {saved['promise_date']}" if saved["promise_date"] else ""))
    return saved
