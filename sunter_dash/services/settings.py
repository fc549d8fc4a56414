"""Settings kept in the database so that every process computes with the same ones."""
from __future__ import annotations

import json

from sqlalchemy import Engine, select, text, update

from ..domain.checks import Thresholds
from ..ingest import flags, summaries
from ..models import AnomalySetting


def sync_thresholds(engine: Engine, wanted: Thresholds) -> bool:
    """Store the configured thresholds; when they differ from those the flags were
    computed with, recompute every flag. True when a recomputation ran. Safe when
    several processes start at once (gunicorn workers): the first stores the row,
    the others wait for it and find it equal."""
    wanted_json = json.dumps(wanted.as_dict())
    with engine.begin() as conn:
        created = conn.execute(text("INSERT INTO anomaly_setting (id, thresholds) VALUES (1, :t) "
                                    "ON CONFLICT (id) DO NOTHING"), {"t": wanted_json}).rowcount
        if created:
            # Flags stored so far (by the migration) follow the defaults.
            changed = wanted != Thresholds()
        else:
            stored = conn.execute(select(AnomalySetting.thresholds).where(AnomalySetting.id == 1)
                                  .with_for_update()).scalar()
            changed = Thresholds.from_stored(json.loads(stored)) != wanted
            if changed:
                conn.execute(update(AnomalySetting).where(AnomalySetting.id == 1).values(thresholds=wanted_json))
        if not changed:
            return False
        flags.rebuild(conn, wanted)
        summaries.bump_version(conn)
        return True
