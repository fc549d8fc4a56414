"""E-mail subscriptions against a real SMTP server on loopback (aiosmtpd): ``report send-due``
sends the daily summary and the monthly report with its PDF, records each send, sends nothing the
second time, retries a failed send 3 times 10 minutes apart and then gives up; and the schedule
run by a real Celery beat and worker on the CI's Redis.

The branch: 4 demo months ending at the current month (the monthly report is of the previous
month, which must be stored)."""
from __future__ import annotations

import datetime as dt
import email
import io
import os
import signal
import socket
import subprocess
import sys
import time
from email import policy

import pytest
from aiosmtpd.controller import Controller
from pypdf import PdfReader

from sunter_dash import demo
from sunter_dash.__main__ import main
from sunter_dash.domain import subscriptions as rule
from sunter_dash.domain.clock import local, now_utc
from sunter_dash.domain.errors import BadParameter
from sunter_dash.domain.periodes import periode_label, shift_periode
from sunter_dash.formatting import percent
from sunter_dash.ingest import ingest_file
from sunter_dash.queries import kpi_month
from sunter_dash.services import CLI, Actor, subscriptions

from .test_redis_celery import REDIS_VARIABLE, ROOT, redis_url  # noqa: F401  (the fixture)

ADMIN = Actor("admin", "admin", None, CLI)
TODAY = local(now_utc()).date()
THIS_MONTH = TODAY.strftime("%Y-%m")
LAST_MONTH = shift_periode(THIS_MONTH, -1)
NEAR_MIDNIGHT_SECONDS = 150  # longer than any test here takes


@pytest.fixture(autouse=True)
def _within_one_wib_day():
    """The sends are of today's WIB day, and some are made at the real time (the CLI, Celery
    beat): a test starting just before WIB midnight waits for the new day, and TODAY is the day
    the test runs in, not the day the module was imported (a run across midnight failed)."""
    global TODAY, THIS_MONTH, LAST_MONTH
    now = local(now_utc())
    left = (dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(), tzinfo=now.tzinfo) - now).total_seconds()
    if left < NEAR_MIDNIGHT_SECONDS:
        time.sleep(left + 1)
    TODAY = local(now_utc()).date()
    THIS_MONTH = TODAY.strftime("%Y-%m")
    LAST_MONTH = shift_periode(THIS_MONTH, -1)


class Inbox:
    """What the SMTP server received: (envelope recipients, parsed message)."""

    def __init__(self):
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos),
                              email.message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, inbox
    controller.stop()


@pytest.fixture
def branch(engine, tmp_path):
    for path in demo.generate(tmp_path / "demo", customers=200, months=4, seed=3, end_periode=THIS_MONTH):
        assert ingest_file(engine, path).status == "loaded", path.name
    return engine


def smtp_env(monkeypatch, db_url: str, port: int) -> None:
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("SUNTER_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SUNTER_SMTP_PORT", str(port))
    monkeypatch.setenv("SUNTER_SMTP_TLS", "none")
    monkeypatch.setenv("SUNTER_SMTP_FROM", "dashboard@sunter.test")


def test_send_due_sends_each_subscription_once_with_its_content(branch, db_url, smtp, monkeypatch, capsys):
    port, inbox = smtp
    smtp_env(monkeypatch, db_url, port)
    daily_id = subscriptions.add(branch, ADMIN, "daily", "manajer@sunter.test, Kepala@Sunter.test")
    subscriptions.add(branch, ADMIN, "monthly", "pusat@pamjaya.test", day=1)

    assert main(["report", "send-due"]) == 0
    out = capsys.readouterr().out
    assert out.count("terkirim") == 2, out
    by_subject = {m["Subject"]: (to, m) for to, m in inbox.messages}
    assert len(by_subject) == 2

    # The daily summary: rate against the goal, the gap, the new anomalies; as HTML and text.
    (to, daily), = [v for k, v in by_subject.items() if k.startswith("Ringkasan harian")]
    assert sorted(to) == ["kepala@sunter.test", "manajer@sunter.test"]
    assert daily["From"] == "dashboard@sunter.test"
    kpi = kpi_month(branch, THIS_MONTH, None, 90.0)
    html = daily.get_body(("html",)).get_content()
    assert f"{percent(kpi['collection_rate'])} (target 90,0%)" in html
    flagged = subscriptions.queries.flagged(branch, THIS_MONTH)
    assert f"Anomali meter baru</td><td style='padding:4px 0;font-weight:600'>{len(flagged)} pelanggan" in html
    assert f"Ringkasan harian PAM JAYA Cabang Sunter · {periode_label(THIS_MONTH)}" in daily.get_body(("plain",)).get_content()

    # The monthly report: last month's, the PDF attached.
    (to, monthly), = [v for k, v in by_subject.items() if k.startswith("Laporan bulanan")]
    assert to == ["pusat@pamjaya.test"]
    assert "Catatan" not in monthly.get_body(("plain",)).get_content()  # last month's data are complete
    attachment, = list(monthly.iter_attachments())
    assert attachment.get_filename() == f"laporan-bulanan_{LAST_MONTH}.pdf"
    pages = PdfReader(io.BytesIO(attachment.get_content())).pages
    assert len(pages) == 6 and f"Laporan Bulanan {periode_label(LAST_MONTH)}" in pages[0].extract_text()

    # Recorded; a second run (cron again) sends nothing.
    sent = subscriptions.sends(branch)
    assert sorted((s["kind"], s["due"], s["status"], s["attempts"]) for s in sent) == [
        ("daily", TODAY.isoformat(), "sent", 1), ("monthly", LAST_MONTH, "sent", 1)]
    assert main(["report", "send-due"]) == 0
    assert len(inbox.messages) == 2

    # The next day: a new daily summary, whose new anomalies are none (the same flags as before).
    config = subscriptions_config(port)
    lines = subscriptions.send_due(branch, config, now_utc() + dt.timedelta(days=1))
    # (on a month's last day the next day also brings the new month's report)
    assert (f"terkirim Ringkasan harian #{daily_id} ({(TODAY + dt.timedelta(days=1)).isoformat()}) "
            "ke manajer@sunter.test, kepala@sunter.test") in lines
    latest = next(m for _to, m in reversed(inbox.messages) if m["Subject"].startswith("Ringkasan harian"))
    assert "Anomali meter baru</td><td style='padding:4px 0;font-weight:600'>0 pelanggan" in \
        latest.get_body(("html",)).get_content()


def subscriptions_config(port: int):
    from sunter_dash.config import load_config
    return load_config({"SUNTER_SMTP_HOST": "127.0.0.1", "SUNTER_SMTP_PORT": str(port), "SUNTER_SMTP_TLS": "none"},
                       dotenv=None)


def _this_morning() -> dt.datetime:
    """09:00 WIB of today, naive UTC as ``now_utc()``: steps through an hour of retries stay within
    one WIB day whenever the test runs (from 23:30 WIB they ran into the next day's send)."""
    return dt.datetime.combine(local(now_utc()).date(), dt.time(2, 0))  # WIB is UTC+7


def test_a_failed_send_is_retried_three_times_ten_minutes_apart_then_given_up(branch, smtp):
    port, inbox = smtp
    subscriptions.add(branch, ADMIN, "daily", "manajer@sunter.test")
    down = subscriptions_config(free_port())  # nothing listens there
    start = _this_morning()
    first, = subscriptions.send_due(branch, down, start)
    assert first.startswith("GAGAL Ringkasan harian") and "percobaan 1" in first
    row, = subscriptions.sends(branch)
    assert (row["status"], row["attempts"], row["next_attempt_at"]) == ("failed", 1, start + dt.timedelta(minutes=10))
    assert row["error"] == f"Server SMTP 127.0.0.1:{down.smtp_port} tidak dapat dihubungi (Connection refused)."
    assert subscriptions.send_due(branch, down, start + dt.timedelta(minutes=9)) == []  # not yet
    for attempt in (2, 3, 4):
        lines = subscriptions.send_due(branch, down, start + dt.timedelta(minutes=10 * (attempt - 1)))
        assert len(lines) == 1 and f"percobaan {attempt}" in lines[0]
    row, = subscriptions.sends(branch)
    assert (row["status"], row["attempts"], row["next_attempt_at"]) == ("gave_up", 4, None)
    assert subscriptions.send_due(branch, subscriptions_config(port), start + dt.timedelta(hours=1)) == []
    assert inbox.messages == []
    # A failed send that comes through on a retry is sent once.
    subscriptions.add(branch, ADMIN, "monthly", "pusat@pamjaya.test", day=1)
    subscriptions.send_due(branch, down, start)
    lines = subscriptions.send_due(branch, subscriptions_config(port), start + dt.timedelta(minutes=10))
    assert lines == [f"terkirim Laporan bulanan #2 ({LAST_MONTH}) ke pusat@pamjaya.test"]
    assert len(inbox.messages) == 1


def test_an_unexpected_failure_is_recorded_and_the_other_subscriptions_still_go(branch, smtp, monkeypatch):
    port, inbox = smtp
    subscriptions.add(branch, ADMIN, "monthly", "pusat@pamjaya.test", day=1)
    subscriptions.add(branch, ADMIN, "daily", "manajer@sunter.test")

    def broken(*_args, **_kwargs):
        raise ValueError("a chart library's bug")
    monkeypatch.setattr(subscriptions.reports, "monthly", broken)
    start = now_utc()
    lines = subscriptions.send_due(branch, subscriptions_config(port), start)
    assert lines[0] == (f"GAGAL Laporan bulanan #1 ({LAST_MONTH}), percobaan 1: Kesalahan tak terduga saat "
                        "menyiapkan kiriman (ValueError); lihat log server.")
    assert lines[1].startswith("terkirim Ringkasan harian #2")
    assert [m["Subject"].split(" ")[0] for _to, m in inbox.messages] == ["Ringkasan"]
    failed = {s["kind"]: s for s in subscriptions.sends(branch)}["monthly"]
    assert (failed["status"], failed["attempts"]) == ("failed", 1)


def test_a_send_is_claimed_once_and_a_stale_or_outdated_one_gives_up(branch, smtp):
    port, inbox = smtp
    config = subscriptions_config(port)
    daily_id = subscriptions.add(branch, ADMIN, "daily", "manajer@sunter.test")
    subscription = subscriptions.listed(branch)[0]
    # Two runs racing for the same send: the second claim finds it taken, and a stale view moves nothing.
    send_id = subscriptions._claim_new(branch, subscription, TODAY.isoformat())
    assert subscriptions._claim_new(branch, subscription, TODAY.isoformat()) is None
    assert subscriptions._move(branch, send_id, "sending", 1, status="sent") is True
    assert subscriptions._move(branch, send_id, "sending", 1, status="failed") is False
    assert subscriptions.send_due(branch, config) == []  # sent today already
    # A run killed mid-send with no tries left: given up, not tried forever.
    with branch.begin() as conn:
        conn.execute(subscriptions.update(subscriptions.SubscriptionSend).values(
            status="sending", attempts=rule.RETRIES + 1, claimed_at=now_utc() - dt.timedelta(hours=1)))
    assert subscriptions.send_due(branch, config) == [
        f"GAGAL Ringkasan harian #{daily_id} ({TODAY.isoformat()}): jatah percobaan habis"]
    assert subscriptions.sends(branch)[0]["status"] == "gave_up"
    # Yesterday's failed summary is not sent late: today's goes out instead.
    with branch.begin() as conn:
        conn.execute(subscriptions.update(subscriptions.SubscriptionSend).values(
            status="failed", attempts=1, due=(TODAY - dt.timedelta(days=1)).isoformat(),
            next_attempt_at=now_utc() - dt.timedelta(minutes=1)))
    lines = subscriptions.send_due(branch, config)
    assert lines == [f"terkirim Ringkasan harian #{daily_id} ({TODAY.isoformat()}) ke manajer@sunter.test"]
    by_due = {s["due"]: s for s in subscriptions.sends(branch)}
    assert by_due[(TODAY - dt.timedelta(days=1)).isoformat()]["status"] == "gave_up"
    assert len(inbox.messages) == 1


def test_without_smtp_settings_nothing_is_sent_or_recorded(branch, db_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.delenv("SUNTER_SMTP_HOST", raising=False)
    subscriptions.add(branch, ADMIN, "daily", "manajer@sunter.test")
    assert main(["report", "send-due"]) == 1
    assert "SMTP belum diatur" in capsys.readouterr().out
    assert subscriptions.sends(branch) == []


@pytest.mark.parametrize(("kind", "recipients", "day", "message"), [
    ("daily", "", None, "Isi minimal satu alamat e-mail penerima."),
    ("daily", "manajer@sunter.test, bukan-alamat", None, "'bukan-alamat' bukan alamat e-mail"),
    ("monthly", "pusat@pamjaya.test", 31, "Tanggal kirim laporan bulanan harus 1 sampai 28"),
    ("weekly", "pusat@pamjaya.test", None, "Jenis langganan harus Ringkasan harian (daily) atau Laporan bulanan (monthly)"),
])
def test_a_subscription_that_cannot_be_kept_says_why(engine, kind, recipients, day, message):
    with pytest.raises(BadParameter) as refused:
        subscriptions.add(engine, ADMIN, kind, recipients, day)
    assert refused.value.message.startswith(message), refused.value.message


def test_when_a_send_is_due():
    assert rule.due("daily", None, dt.date(2025, 12, 21)) == "2025-12-21"
    assert rule.due("monthly", 5, dt.date(2025, 12, 4)) is None
    assert rule.due("monthly", 5, dt.date(2025, 12, 5)) == "2025-11"
    assert rule.due("monthly", 5, dt.date(2026, 1, 20)) == "2025-12"  # a machine that was down catches up


# --- the schedule through a real Celery beat and worker ------------------------------------------

def test_celery_beat_and_a_worker_send_what_is_due(branch, config, redis_url, smtp, tmp_path):  # noqa: F811
    port, inbox = smtp
    subscriptions.add(branch, ADMIN, "daily", "manajer@sunter.test")
    env = {**os.environ, "DATABASE_URL": config.database_url, "CACHE_REDIS_URL": redis_url,
           "SECRET_KEY": config.secret_key, "SUNTER_SMTP_HOST": "127.0.0.1", "SUNTER_SMTP_PORT": str(port),
           "SUNTER_SMTP_TLS": "none", "SUNTER_SCHEDULE_SECONDS": "1"}
    env.pop("CACHE_TYPE", None)
    app = [sys.executable, "-m", "celery", "-A", "sunter_dash.worker:celery_app"]
    started = [
        subprocess.Popen([*app, "worker", "--concurrency", "1", "--loglevel", "INFO", "--without-mingle",
                          "--without-gossip"], cwd=ROOT, env=env,
                         stdout=(tmp_path / "worker.log").open("w"), stderr=subprocess.STDOUT),
        subprocess.Popen([*app, "beat", "--loglevel", "INFO", "--schedule", str(tmp_path / "beat-schedule")],
                         cwd=ROOT, env=env, stdout=(tmp_path / "beat.log").open("w"), stderr=subprocess.STDOUT),
    ]
    try:
        deadline = time.monotonic() + 120
        while not inbox.messages and time.monotonic() < deadline:
            if any(p.poll() is not None for p in started):
                break
            time.sleep(0.5)
        logs = "\n".join((tmp_path / n).read_text()[-2000:] for n in ("worker.log", "beat.log"))
        assert inbox.messages, f"nothing arrived within 120 s:\n{logs}"
        time.sleep(3)  # beat asks every second: the send is still one
        assert len(inbox.messages) == 1, logs
        assert inbox.messages[0][1]["Subject"].startswith("Ringkasan harian")
        row, = subscriptions.sends(branch)
        assert (row["status"], row["attempts"]) == ("sent", 1)
    finally:
        for process in started:
            process.send_signal(signal.SIGTERM)
        for process in started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
