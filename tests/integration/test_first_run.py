"""First run: `python -m sunter_dash` on an empty database loads the demo and serves."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import text

from sunter_dash import queries
from sunter_dash.db import get_engine
from sunter_dash.services.signin import verify_password

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, process: subprocess.Popen, seconds: float) -> bytes:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read()
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {seconds} s")


@pytest.mark.slow
def test_first_start_loads_demo_creates_admin_and_serves(tmp_path, new_database):
    url = new_database("first", migrated=False)
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "SUNTER_ADMIN_PASSWORD": "rahasia-sunter-1",
           "PYTHONPATH": str(ROOT)}
    log = tmp_path / "serve.log"
    started = time.monotonic()
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "sunter_dash", "serve", "--port", str(port)],
                                   cwd=tmp_path, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            page = _wait_for(f"http://127.0.0.1:{port}/", process, 240)
            ready = time.monotonic() - started
        finally:
            process.terminate()
            process.wait(timeout=20)
    output = log.read_text()
    assert b"sunter_dash" in page
    assert "Traceback" not in output
    # One progress line per demo file, each loaded.
    progress = [line for line in output.splitlines() if line.strip().startswith("[")]
    assert len(progress) == 57 and all(": loaded," in line for line in progress), output
    engine = get_engine(url)
    with engine.connect() as conn:
        statuses = dict(conn.execute(text("SELECT status, count(*) FROM upload GROUP BY status")).all())
        periodes = conn.execute(text("SELECT count(DISTINCT periode) FROM mc")).scalar()
        customers = conn.execute(text("SELECT count(*) FROM mc WHERE periode = '2025-12'")).scalar()
    # 13 months (December 2024 beside December 2025); December's extracts to the 10th and the 20th.
    assert statuses == {"loaded": 57}
    assert (periodes, customers) == (13, 3000)
    forecast = queries.kpi_forecast.uncached(engine, "2025-12")
    assert (forecast["data_as_of"], len(forecast["periodes"])) == ("2025-12-20", 6) and forecast["forecast"]
    # A living Penagihan tab: follow-ups of the newest periode, promises in every state.
    assert "30 tindak lanjut penagihan demo dicatat." in output
    promised = queries.promises.uncached(engine, "2025-12")
    assert all(count >= 5 for count in promised["counts"].values()), promised["counts"]
    assert len(queries.kpi_by_petugas.uncached(engine, "2025-12")["rows"]) > 3
    assert verify_password(engine, "admin", "rahasia-sunter-1") is not None
    # How long the load takes is measured by the README's figure (about 20 s on SQLite), not asserted
    # here: a busy machine or PostgreSQL takes longer. The wait above (240 s) catches a hang.
    print(f"first start took {ready:.1f} s")


def test_admin_password_is_random_and_printed_once_without_the_variable(new_database, capsys):
    from sunter_dash.__main__ import first_run
    from sunter_dash.config import load_config
    from sunter_dash.db import upgrade

    url = new_database("x", migrated=False)
    env = {k: v for k, v in os.environ.items() if k != "SUNTER_ADMIN_PASSWORD"}
    config = load_config({**env, "DATABASE_URL": url}, dotenv=None)
    upgrade(url)
    first_run(config, with_demo=False)
    printed = capsys.readouterr().out
    password = printed.rsplit(": ", 1)[1].strip()
    engine = get_engine(url)
    assert verify_password(engine, "admin", password) is not None
    first_run(config, with_demo=False)  # a later start changes nothing and prints no password
    assert capsys.readouterr().out == ""
    with engine.connect() as conn:
        assert conn.execute(text("SELECT username, role FROM app_user")).all() == [("admin", "admin")]
        assert conn.execute(text("SELECT count(*) FROM upload")).scalar() == 0


def test_the_first_run_demo_stands_on_the_20th_of_its_newest_month(tmp_path):
    """The demo a first start loads: 13 months, exported as on 20 December 2025: no payment after
    that day in COLLECTION or MB, and the newest extracts end on it."""
    import pandas as pd

    from sunter_dash.__main__ import FIRST_RUN_MONTHS, FIRST_RUN_THROUGH
    from sunter_dash.demo import generate

    files = generate(tmp_path, customers=50, months=FIRST_RUN_MONTHS, through=FIRST_RUN_THROUGH)
    assert sorted(p.name for p in files if p.name.startswith("Collection-2025-12")) == [
        "Collection-2025-12-01_sd_2025-12-10.txt", "Collection-2025-12-01_sd_2025-12-20.txt"]
    newest = pd.read_csv(tmp_path / "Collection-2025-12-01_sd_2025-12-20.txt", sep="|", dtype=str)
    assert pd.to_datetime(newest["PAY_DT"], format="%d-%m-%Y").max() == pd.Timestamp("2025-12-20")
    mb = next(p for p in files if p.name.startswith("MB_"))
    history = pd.read_csv(mb, encoding="cp1252", dtype=str)
    assert pd.to_datetime(history["TGL_BAYAR"], format="%d/%m/%Y").max() <= pd.Timestamp("2025-12-20")
    assert any(p.name.startswith("MC1124") for p in files)  # the same month a year before is there
