"""E-mail subscriptions: admins set who receives the daily summary and the monthly report; a
scheduler (Celery beat, or cron running ``report send-due``) calls ``send_due``, which sends what
is due over SMTP and records every send. The rules are domain/subscriptions.py.

Two runs at once never send twice: a send is claimed by inserting its row (unique per
subscription and day or periode) or by moving a failed row on from its attempt count, before
anything is sent. A failure is recorded and tried again later; it never reaches a page."""
from __future__ import annotations

import datetime as dt
import html
import json
import logging
import smtplib
import ssl
from email.message import EmailMessage

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from .. import queries
from ..config import Config
from ..domain import subscriptions as rule
from ..domain.checks import names as check_names
from ..domain.clock import local, now_utc
from ..domain.errors import NotFound, SunterError
from ..domain.periodes import date_label, default_periode, periode_label
from ..formatting import number, percent, rupiah
from ..models import Subscription, SubscriptionSend
from . import Actor, record, reports, settings

NEW_LISTED = 10  # new anomalies named in the daily summary
log = logging.getLogger(__name__)


# --- what admins set ---------------------------------------------------------------------------

def add(engine: Engine, actor: Actor, kind: str, recipients: str, day=None, rayon: str | None = None) -> int:
    actor.require("settings")
    day = rule.check_day(kind, day)
    addresses = rule.recipients(recipients)
    with engine.begin() as conn:
        new_id = conn.execute(insert(Subscription).values(
            kind=kind, recipients=", ".join(addresses), rayon=rayon or None, day=day, created_by=actor.username,
            created_at=now_utc())).inserted_primary_key[0]
    when = f", tanggal {day}" if day else ""
    record(engine, actor, "subscription_added", f"{rule.KINDS[kind]} #{new_id} ke {', '.join(addresses)}{when}")
    return new_id


def remove(engine: Engine, actor: Actor, subscription_id: int) -> None:
    actor.require("settings")
    with engine.begin() as conn:
        found = conn.execute(select(Subscription).where(Subscription.id == subscription_id)).first()
        if found is None:
            raise NotFound(f"Langganan #{subscription_id} tidak ada (mungkin sudah dihapus).",
                           f"No subscription {subscription_id}.")
        conn.execute(delete(SubscriptionSend).where(SubscriptionSend.subscription_id == subscription_id))
        conn.execute(delete(Subscription).where(Subscription.id == subscription_id))
    record(engine, actor, "subscription_removed", f"{rule.KINDS[found.kind]} #{subscription_id} ke {found.recipients}")


def listed(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(select(Subscription).order_by(Subscription.id)).all()
    return [{"id": r.id, "kind": r.kind, "kind_label": rule.KINDS[r.kind], "recipients": r.recipients,
             "rayon": r.rayon, "day": r.day, "created_by": r.created_by, "created_at": r.created_at} for r in rows]


def sends(engine: Engine, limit: int = 50) -> list[dict]:
    """The latest sends, newest first: what, to whom, when, and the result."""
    shown = [c for c in SubscriptionSend.__table__.columns if c.name != "flagged"]  # the flagged can be large
    with engine.connect() as conn:
        rows = conn.execute(select(*shown).order_by(SubscriptionSend.claimed_at.desc(),
                                                    SubscriptionSend.id.desc()).limit(limit)).all()
    return [{"id": r.id, "subscription_id": r.subscription_id, "kind": r.kind, "due": r.due,
             "recipients": r.recipients, "subject": r.subject, "status": r.status,
             "status_label": rule.STATUS_LABELS[r.status], "attempts": r.attempts, "error": r.error,
             "claimed_at": r.claimed_at, "sent_at": r.sent_at, "next_attempt_at": r.next_attempt_at} for r in rows]


# --- what is sent ------------------------------------------------------------------------------

def _current_periode(engine: Engine) -> str | None:
    """The periode the daily summary is of: the one the dashboard opens on."""
    return default_periode(queries.periodes(engine))


def _previous_flagged(engine: Engine, subscription_id: int, periode: str) -> set[str]:
    """The customers flagged for P at this subscription's previous summary (none for another P)."""
    with engine.connect() as conn:
        found = conn.scalar(select(SubscriptionSend.flagged).where(
            SubscriptionSend.subscription_id == subscription_id, SubscriptionSend.status == rule.SENT,
            SubscriptionSend.flagged.is_not(None)).order_by(SubscriptionSend.sent_at.desc()).limit(1))
    before = json.loads(found) if found else {}
    return set(before.get("nomens", [])) if before.get("periode") == periode else set()


def daily(engine: Engine, config: Config, subscription: dict) -> tuple[EmailMessage, str]:
    """The daily summary: rate against the goal, forecast, gap, the latest day's payments and the
    customers flagged since the previous summary; and what to remember of it (the flagged)."""
    periode, rayon = _current_periode(engine), subscription["rayon"]
    if periode is None:
        raise NotFound("Belum ada data MC atau COLLECTION tersimpan untuk ringkasan harian.", "No periode stored.")
    goal = settings.goal(engine, config.thresholds, periode)
    month = queries.kpi_month(engine, periode, rayon, goal)
    forecast = queries.kpi_forecast(engine, periode, rayon)
    flagged = queries.flagged(engine, periode, rayon)
    new = sorted(set(flagged) - _previous_flagged(engine, subscription["id"], periode))
    names = check_names()
    as_of = month["data_as_of"]
    day = queries.kpi_daily(engine, periode, rayon)["days"][forecast["day"] - 1] if forecast["day"] else None
    found = forecast["forecast"]
    where = f"Rayon {rayon}" if rayon else "semua rayon"
    lines = [("Collection rate", f"{percent(month['collection_rate'])} (target {percent(goal, 1)})"),
             ("Kekurangan terhadap target", rupiah(month["gap"])),
             ("Perkiraan akhir bulan", f"{percent(found['rate'])} ({percent(found['low'])} – {percent(found['high'])})"
              if found else forecast["reason"] or "-"),
             (f"Pembayaran {date_label(as_of)}" if as_of else "Pembayaran",
              f"{number(day['nomen'])} pembayaran, {rupiah(day['nominal'])}" if day else "belum ada"),
             ("Anomali meter baru", f"{number(len(new))} pelanggan")]
    listed_new = [f"{nomen} {flagged[nomen]['nama'] or ''}: "
                  f"{', '.join(names.get(f, f) for f in flagged[nomen]['flags'])}"
                  for nomen in new[:NEW_LISTED]]
    subject = (f"Ringkasan harian {config.branch_name} · {periode_label(periode)}"
               + (f" · data per {date_label(as_of)}" if as_of else ""))
    text = "\n".join([subject, where, ""] + [f"{k}: {v}" for k, v in lines] + [""] + listed_new)
    rows = "".join(f"<tr><td style='padding:4px 12px 4px 0;color:#5a636b'>{html.escape(k)}</td>"
                   f"<td style='padding:4px 0;font-weight:600'>{html.escape(v)}</td></tr>" for k, v in lines)
    items = "".join(f"<li>{html.escape(line)}</li>" for line in listed_new)
    body = (f"<div style='font-family:Arial,sans-serif;font-size:14px;color:#212529'>"
            f"<h2 style='margin:0 0 4px;color:#1a66c0'>Ringkasan harian {html.escape(periode_label(periode))}</h2>"
            f"<p style='margin:0 0 12px;color:#5a636b'>{html.escape(config.branch_name)} · {html.escape(where)}"
            f"{' · data per ' + html.escape(date_label(as_of)) if as_of else ''}</p><table>{rows}</table>"
            + (f"<p style='margin:12px 0 4px'>Anomali baru:</p><ul>{items}</ul>" if items else "") + "</div>")
    message = _message(config, subject, text, body)
    return message, json.dumps({"periode": periode, "nomens": sorted(flagged)})


def monthly(engine: Engine, config: Config, subscription: dict, periode: str) -> EmailMessage:
    """The monthly report of ``periode`` as a PDF attachment."""
    found = reports.monthly(engine, config, periode, subscription["rayon"], "pdf")
    subject = f"Laporan bulanan {config.branch_name} · {periode_label(periode)}"
    with engine.connect() as conn:
        as_of = queries.data_as_of(conn, periode)
    # A month whose payments do not reach its last day is reported as it stands, and says so.
    complete = as_of is not None and (as_of + dt.timedelta(days=1)).month != as_of.month
    caveat = "" if complete else (f"Catatan: data pembayaran {periode_label(periode)} baru sampai "
                                  f"{date_label(as_of.isoformat()) if as_of else '-'}; angka laporan belum final.")
    text = f"{subject}\n\nTerlampir laporan bulanan {periode_label(periode)} (PDF, enam bagian).\n{caveat}"
    body = (f"<div style='font-family:Arial,sans-serif;font-size:14px'><p>Terlampir laporan bulanan "
            f"<b>{html.escape(periode_label(periode))}</b> {html.escape(config.branch_name)} (PDF).</p>"
            + (f"<p style='color:#b35c00'>{html.escape(caveat)}</p>" if caveat else "") + "</div>")
    message = _message(config, subject, text, body)
    message.add_attachment(found.content, maintype="application", subtype="pdf", filename=found.name)
    return message


def _message(config: Config, subject: str, text: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = config.smtp_from
    message.set_content(text)
    message.add_alternative(body, subtype="html")
    return message


def deliver(config: Config, message: EmailMessage, recipients: list[str]) -> None:
    """Over SMTP (``SUNTER_SMTP_*``), TLS with the server's certificate checked; any failure is an
    exception the caller records."""
    message["To"] = ", ".join(recipients)
    secure = ssl.create_default_context()
    if config.smtp_security == "ssl":
        server = smtplib.SMTP_SSL(config.smtp_host, config.smtp_port, timeout=config.smtp_timeout, context=secure)
    else:
        server = smtplib.SMTP(config.smtp_host, config.smtp_port, timeout=config.smtp_timeout)
    with server:
        if config.smtp_security == "starttls":
            server.starttls(context=secure)
        if config.smtp_user:
            server.login(config.smtp_user, config.smtp_password or "")
        server.send_message(message)


def failure(config: Config, exc: Exception) -> str:
    """What went wrong with a send, in Indonesian, for Pengaturan and the command line."""
    if isinstance(exc, SunterError):
        return exc.message
    where = f"{config.smtp_host}:{config.smtp_port}"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"Server SMTP {where} menolak nama pengguna atau kata sandi (SUNTER_SMTP_USER/PASSWORD)."
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return f"Server SMTP {where} menolak alamat penerima: {', '.join(exc.recipients)}."
    if isinstance(exc, smtplib.SMTPException):
        return f"Server SMTP {where} menolak kiriman ({exc})."
    if isinstance(exc, ssl.SSLError):
        return f"Sambungan TLS ke server SMTP {where} gagal: periksa SUNTER_SMTP_TLS dan sertifikat server."
    if isinstance(exc, OSError):
        return f"Server SMTP {where} tidak dapat dihubungi ({exc.strerror or exc})."
    return f"Kesalahan tak terduga saat menyiapkan kiriman ({type(exc).__name__}); lihat log server."


# --- the schedule --------------------------------------------------------------------------------

def _claim_new(engine: Engine, subscription: dict, due: str) -> int | None:
    try:
        with engine.begin() as conn:
            return conn.execute(insert(SubscriptionSend).values(
                subscription_id=subscription["id"], kind=subscription["kind"], due=due,
                recipients=subscription["recipients"], status=rule.SENDING, attempts=1, claimed_at=now_utc(),
            )).inserted_primary_key[0]
    except IntegrityError:
        return None  # another run has it


def _move(engine: Engine, row_id: int, seen_status: str, seen_attempts: int, **values) -> bool:
    """Move a send on from the state it was seen in; False when another run moved it first."""
    with engine.begin() as conn:
        return conn.execute(update(SubscriptionSend).where(
            SubscriptionSend.id == row_id, SubscriptionSend.status == seen_status,
            SubscriptionSend.attempts == seen_attempts).values(**values)).rowcount == 1


def _attempt(engine: Engine, config: Config, subscription: dict, send_id: int, due: str, attempts: int,
             now: dt.datetime) -> str:
    flagged = None
    subject = None
    try:
        if subscription["kind"] == rule.DAILY:
            message, flagged = daily(engine, config, subscription)
        else:
            message = monthly(engine, config, subscription, due)
        subject = message["Subject"]
        deliver(config, message, subscription["recipients"].split(", "))
    except Exception as exc:  # noqa: BLE001  (whatever fails is recorded and tried again, never raised)
        if not isinstance(exc, (SunterError, OSError, smtplib.SMTPException)):
            log.exception("subscription #%s (%s) failed", subscription["id"], due)
        error = failure(config, exc)
        retry = rule.retry_at(attempts, now)
        _move(engine, send_id, rule.SENDING, attempts, status=rule.FAILED if retry else rule.GAVE_UP,
              error=error[:1000], next_attempt_at=retry, subject=subject)
        return f"GAGAL {rule.KINDS[subscription['kind']]} #{subscription['id']} ({due}), percobaan {attempts}: {error}"
    _move(engine, send_id, rule.SENDING, attempts, status=rule.SENT, sent_at=now_utc(), error=None,
          next_attempt_at=None, subject=subject, flagged=flagged)
    return f"terkirim {rule.KINDS[subscription['kind']]} #{subscription['id']} ({due}) ke {subscription['recipients']}"


_SCHEDULE = (SubscriptionSend.id, SubscriptionSend.subscription_id, SubscriptionSend.kind, SubscriptionSend.due,
             SubscriptionSend.status, SubscriptionSend.attempts, SubscriptionSend.next_attempt_at,
             SubscriptionSend.claimed_at)


def _retry(engine: Engine, config: Config, subscriptions: dict, row, today: dt.date, now: dt.datetime) -> str | None:
    """A failed send whose time has come, or one claimed long ago by a run that never finished."""
    stale = row.status == rule.SENDING and row.claimed_at < now_utc() - dt.timedelta(minutes=rule.STALE_MINUTES)
    waited = row.status == rule.FAILED and row.next_attempt_at is not None and row.next_attempt_at <= now
    if not (stale or waited) or row.subscription_id not in subscriptions:
        return None
    kind = rule.KINDS[row.kind]
    if row.kind == rule.DAILY and row.due != today.isoformat():
        # Yesterday's summary is not worth sending today: today's own goes out instead.
        _move(engine, row.id, row.status, row.attempts, status=rule.GAVE_UP, next_attempt_at=None,
              error="Hari kirimnya sudah lewat; ringkasan hari ini dikirim tersendiri.")
        return None
    if row.attempts > rule.RETRIES:
        _move(engine, row.id, row.status, row.attempts, status=rule.GAVE_UP, next_attempt_at=None,
              error="Pengiriman terhenti sebelum selesai, dan jatah percobaan sudah habis.")
        return f"GAGAL {kind} #{row.subscription_id} ({row.due}): jatah percobaan habis"
    if not _move(engine, row.id, row.status, row.attempts, status=rule.SENDING, attempts=row.attempts + 1,
                 claimed_at=now_utc()):
        return None  # another run took it
    return _attempt(engine, config, subscriptions[row.subscription_id], row.id, row.due, row.attempts + 1, now)


def send_due(engine: Engine, config: Config, now: dt.datetime | None = None) -> list[str]:
    """Send every subscription that is due, and try again the failed sends whose time has come;
    one line per send. Without SMTP settings nothing is sent or recorded."""
    now = now or now_utc()
    subscriptions = {s["id"]: s for s in listed(engine)}
    if not subscriptions:
        return []
    if not config.smtp_host:
        return ["GAGAL SMTP belum diatur: isi SUNTER_SMTP_HOST (dan SUNTER_SMTP_* lainnya, docs/DEPLOYMENT.md)."]
    today = local(now, config.timezone).date()
    wanted = {s["id"]: rule.due(s["kind"], s["day"], today) for s in subscriptions.values()}
    with engine.connect() as conn:
        pending = conn.execute(select(*_SCHEDULE).where(
            SubscriptionSend.status.in_((rule.FAILED, rule.SENDING)))).all()
        done_before = {(r.subscription_id, r.due) for r in conn.execute(select(
            SubscriptionSend.subscription_id, SubscriptionSend.due).where(
            SubscriptionSend.due.in_({d for d in wanted.values() if d})))}
    lines = [line for row in pending if (line := _retry(engine, config, subscriptions, row, today, now))]
    for subscription_id, due in wanted.items():
        if due is None or (subscription_id, due) in done_before:
            continue
        send_id = _claim_new(engine, subscriptions[subscription_id], due)
        if send_id is not None:
            lines.append(_attempt(engine, config, subscriptions[subscription_id], send_id, due, 1, now))
    return lines
