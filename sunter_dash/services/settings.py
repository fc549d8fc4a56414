"""Settings: the environment gives the defaults, a value an admin saves wins and survives restarts
(METRICS.md, settings precedence). The meter-check settings the stored flags were computed with
are kept in the database too, so every process computes with the same ones and a change
recomputes the flags."""
from __future__ import annotations

import json

from sqlalchemy import Engine, delete, select, text, update
from sqlalchemy.engine import Connection

from ..domain import checks
from ..domain.checks import Thresholds
from ..domain.clock import now_utc
from ..domain.errors import BadParameter
from ..domain.periodes import periode_label, valid_periode
from ..domain.settings import GOAL
from ..ingest import flags, summaries
from ..models import AnomalySetting, PeriodeGoal, SavedSetting
from ..queries.cache import cached, invalidate
from . import Actor, record

CATALOGUE = "_checks"  # beside the thresholds: the check keys the stored flags were computed with


def saved(conn: Connection) -> dict:
    """The values admins saved: key -> value (as JSON keeps it)."""
    return {row.key: json.loads(row.value) for row in conn.execute(select(SavedSetting.key, SavedSetting.value))}


def effective(conn: Connection, defaults: Thresholds) -> Thresholds:
    """The environment's values, with every value an admin saved in their place."""
    values = defaults.as_dict()
    values.update({k: v for k, v in saved(conn).items() if k in values})
    return Thresholds.from_stored(values)


def _apply(conn: Connection, wanted: Thresholds) -> bool:
    """Store ``wanted`` as what the flags follow; recompute them when it differs. Safe when
    several processes start at once (gunicorn workers): the first stores the row, the others
    wait for it and find it equal."""
    catalogue = sorted(checks.names())
    wanted_json = json.dumps({**wanted.as_dict(), CATALOGUE: catalogue})
    created = conn.execute(text("INSERT INTO anomaly_setting (id, thresholds) VALUES (1, :t) "
                                "ON CONFLICT (id) DO NOTHING"), {"t": wanted_json}).rowcount
    if created:
        # Flags stored so far (by the migration) follow the defaults.
        changed = wanted != Thresholds()
        recompute = wanted.flagging() != Thresholds().flagging()
    else:
        raw = json.loads(conn.execute(
            select(AnomalySetting.thresholds).where(AnomalySetting.id == 1).with_for_update()).scalar())
        stored = Thresholds.from_stored(raw)
        # A check added or taken away since: an upload of MC or MAINBILL keeps the other checks'
        # flags as found (ingest/flags.py), so only a full recomputation brings them in line.
        # (A row written before the keys were kept: its flags were computed by migration 0014 with
        # today's checks; the keys are written now, so the next change is seen.)
        other_checks = raw.get(CATALOGUE, catalogue) != catalogue
        changed = stored != wanted or other_checks
        recompute = stored.flagging() != wanted.flagging() or other_checks
        if changed or CATALOGUE not in raw:
            conn.execute(update(AnomalySetting).where(AnomalySetting.id == 1).values(thresholds=wanted_json))
    if recompute:  # a collection setting changes figures read at request time, not the flags
        flags.rebuild(conn, wanted)
    if changed:
        summaries.bump_version(conn)
    return recompute


def sync_thresholds(engine: Engine, defaults: Thresholds) -> bool:
    """At start: the flags follow the environment's defaults and the values admins saved; True
    when a recomputation ran."""
    with engine.begin() as conn:
        return _apply(conn, effective(conn, defaults))


def save(engine: Engine, actor: Actor, defaults: Thresholds, key: str, value) -> Thresholds:
    """An admin's value for a setting (None: back to the environment's default); the flags are
    recomputed with it, and the change is audited."""
    actor.require("settings")
    setting = next((s for s in Thresholds.settings() if s.key == key), None)
    if setting is None:
        raise BadParameter(f"Setelan '{key}' tidak dikenal.", f"Unknown setting {key!r}.", field="key")
    try:
        checked = None if value is None else setting.check(setting.parse(value) if isinstance(value, str) else value)
    except ValueError as exc:
        raise BadParameter(f"{setting.label}: nilai {value!r} tidak dapat dipakai; {setting.hint}.", str(exc),
                           field=key) from None
    with engine.begin() as conn:
        before = effective(conn, defaults)
        conn.execute(delete(SavedSetting).where(SavedSetting.key == key))
        if checked is not None:
            stored = list(checked) if isinstance(checked, tuple) else checked
            conn.execute(SavedSetting.__table__.insert().values(key=key, value=json.dumps(stored),
                                                                updated_by=actor.username, updated_at=now_utc()))
        after = effective(conn, defaults)
        _apply(conn, after)
    # Audited even when the value in force stays: a saved value is pinned against the environment.
    old, new = getattr(before, key), getattr(after, key)
    record(engine, actor, "setting_changed", f"{setting.label}: {setting.shown(old)} → {setting.shown(new)}"
           + (" (kembali ke bawaan)" if checked is None else ""))
    invalidate()
    return after


def listed(engine: Engine, defaults: Thresholds) -> list[dict]:
    """Each setting as the Pengaturan page shows it: the environment's default, the value an admin
    saved (None when none), the value in force, and who saved it when."""
    with engine.connect() as conn:
        rows = {row.key: row for row in conn.execute(select(SavedSetting))}
        current = effective(conn, defaults)
    found = []
    for setting in Thresholds.settings():
        row = rows.get(setting.key)
        found.append({"key": setting.key, "label": setting.label, "env": setting.env,
                      "default": setting.shown(getattr(defaults, setting.key)),
                      "saved": setting.shown(getattr(current, setting.key)) if row else None,
                      "value": setting.shown(getattr(current, setting.key)),
                      "updated_by": row.updated_by if row else None,
                      "updated_at": row.updated_at if row else None})
    return found


def current(engine: Engine, defaults: Thresholds) -> Thresholds:
    """The values in force now (the environment's, with what admins saved in their place)."""
    with engine.connect() as conn:
        return effective(conn, defaults)


def collection_settings(engine: Engine, defaults: Thresholds) -> tuple[int, int]:
    """(N: the bills of a disconnection candidate, G: a promise's days of grace) in force now."""
    values = current(engine, defaults)
    return values.disconnect_bills, values.promise_grace_days


# --- the collection-rate goal of a periode ------------------------------------------------------

def goal(engine: Engine, defaults: Thresholds, periode: str) -> float:
    """METRICS.md's goal of P: the one an admin set for P, else the default in force."""
    return goals_of(engine, defaults, [periode])[periode]


@cached
def goals_of(engine: Engine, defaults: Thresholds, periodes: list[str]) -> dict[str, float]:
    """The goal of each of these periodes, read at once; memoized with the figures (a goal set
    bumps the data version, as a setting saved does)."""
    with engine.connect() as conn:
        found = dict(conn.execute(select(PeriodeGoal.periode, PeriodeGoal.goal).where(
            PeriodeGoal.periode.in_(periodes))).all()) if periodes else {}
        default = float(effective(conn, defaults).goal)
    return {p: float(found[p]) if p in found else default for p in periodes}


def goals(engine: Engine) -> list[dict]:
    """The goals admins set per periode, newest periode first."""
    with engine.connect() as conn:
        rows = conn.execute(select(PeriodeGoal).order_by(PeriodeGoal.periode.desc())).all()
    return [{"periode": r.periode, "goal": r.goal, "updated_by": r.updated_by, "updated_at": r.updated_at}
            for r in rows]


def set_goal(engine: Engine, actor: Actor, defaults: Thresholds, periode: str, value) -> float:
    """An admin's goal for one periode (None: back to the default); audited. Returns the goal in
    force for the periode after the change."""
    actor.require("settings")
    if not valid_periode(periode):
        raise BadParameter("Pilih periode (YYYY-MM) untuk target collection rate.",
                           f"Periode {periode!r} is not YYYY-MM.", field="periode")
    try:
        checked = None if value is None else GOAL.check(GOAL.parse(value) if isinstance(value, str) else value)
    except ValueError as exc:
        raise BadParameter(f"Target collection rate {periode_label(periode)}: nilai {value!r} tidak dapat "
                           f"dipakai; {GOAL.hint}.", str(exc), field="goal") from None
    before = goals_of.uncached(engine, defaults, [periode])[periode]
    with engine.begin() as conn:
        conn.execute(delete(PeriodeGoal).where(PeriodeGoal.periode == periode))
        if checked is not None:
            conn.execute(PeriodeGoal.__table__.insert().values(periode=periode, goal=checked,
                                                               updated_by=actor.username, updated_at=now_utc()))
        summaries.bump_version(conn)
    after = goals_of.uncached(engine, defaults, [periode])[periode]
    record(engine, actor, "setting_changed",
           f"Target collection rate {periode_label(periode)}: {GOAL.shown(before)} → {GOAL.shown(after)}"
           + (" (kembali ke bawaan)" if checked is None else ""))
    invalidate()
    return after
