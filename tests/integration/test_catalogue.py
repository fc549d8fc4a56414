"""A file type and an anomaly check added from inside a test (registered at runtime, no list
edited anywhere) appear everywhere the catalogues feed: the upload page's preview, the Meter
cards, /api/anomaly/summary and openapi.json."""
from __future__ import annotations

import base64
import io
import json
import sys
from pathlib import Path

import pytest
from sqlalchemy import Column as SqlColumn
from sqlalchemy import Date, ForeignKey, Integer, String, Table

from sunter_dash import create_app
from sunter_dash.domain import checks, files
from sunter_dash.domain.checks import Check, Hit, Need
from sunter_dash.domain.files import SNAPSHOT, Column, FileSpec
from sunter_dash.models import Base

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from dash_wire import callback_body  # noqa: E402

SBRS = b"cmr_account;cmr_prev_read;cmr_reading;Bill_Period\n60000001;100;100;2025-12\n60000002;100;110;2025-12\n"
COMPLAINTS = b"NOMEN;TGL_ADUAN;JENIS_ADUAN\n60000001;03-12-2025;air mati\n60000002;05-12-2025;bocor\n"
VIEW = {"shell-periode.value": "2025-12", "shell-rayon.value": "semua", "meter-key.data": "extreme"}

COMPLAINT = FileSpec(
    name="PENGADUAN", label="Pengaduan pelanggan", table="test_pengaduan", mode=SNAPSHOT,
    filename_words=("ADUAN", "PENGADUAN"),
    columns=(Column("nomen", "NOMEN", "nomen"), Column("tgl_aduan", "TGL_ADUAN", "date"),
             Column("jenis", "JENIS_ADUAN", "code")),
    required=(frozenset({"nomen", "tgl_aduan"}),))


def _zero_complaint(readings, thresholds) -> Hit:
    complained = readings.frame("PENGADUAN")["nomen"]
    mask = (readings.volume == 0) & readings.nomen.isin(complained).to_numpy(dtype=bool)
    return Hit(mask, readings.against_expected)


ZERO_AFTER_COMPLAINT = Check("zero_complaint", "Nol Setelah Aduan", "bi-megaphone",
                             "volume = 0 for a customer who complained in P", _zero_complaint,
                             needs=lambda t: (Need("SBRS"), Need("PENGADUAN")))


@pytest.fixture
def catalogue(engine):
    """The new type (with its table) and the new check, for this test only."""
    table = Table("test_pengaduan", Base.metadata,
                  SqlColumn("id", Integer, primary_key=True),
                  SqlColumn("upload_id", ForeignKey("upload.id", ondelete="CASCADE"), nullable=False),
                  SqlColumn("periode", String(7)), SqlColumn("nomen", String(20)),
                  SqlColumn("tgl_aduan", Date), SqlColumn("jenis", String(40)))
    table.create(engine)
    try:
        with files.registered(COMPLAINT), checks.registered(ZERO_AFTER_COMPLAINT):
            yield
    finally:
        Base.metadata.remove(table)
        table.drop(engine)


def post_file(client, users, name: str, content: bytes) -> dict:
    auth = {"Authorization": "Basic " + base64.b64encode(":".join(users["admin"]).encode()).decode()}
    data = {"file": (io.BytesIO(content), name)}
    return client.post("/api/uploads", data=data, headers=auth, content_type="multipart/form-data").get_json()


def test_a_new_file_type_and_check_appear_without_editing_any_list(catalogue, config, users, log_in,
                                                                   csrf_token):
    app = create_app(config)
    client = app.server.test_client()
    log_in(client, *users["admin"])

    # The upload page's preview knows the new type by its columns.
    # (the page's file transfer, assets/30-upload.js, then its answer handed to the page's store)
    sent = client.post("/upload/stage", data={"file": (io.BytesIO(COMPLAINTS), "ADUAN_2025-12.csv")},
                       headers={"X-CSRFToken": csrf_token(client)}, content_type="multipart/form-data").get_json()
    staged = client.post("/_dash-update-component", json=callback_body(
        app, "upload-staged-grid", {"upload-incoming.data": {**sent, "at": 1}},
        ["upload-incoming.data"])).get_json()["response"]
    preview = staged["upload-staged-grid"]["rowData"][0]
    assert (preview["type"], preview["periode"], preview["note"]) == ("PENGADUAN", "2025-12", "")

    assert post_file(client, users, "SBRS_2025-12.csv", SBRS)["status"] == "loaded"
    loaded = post_file(client, users, "ADUAN_2025-12.csv", COMPLAINTS)
    assert (loaded["type"], loaded["status"], loaded["stored"]) == ("PENGADUAN", "loaded", 2)

    # The check ran on both files: one customer read zero after complaining.
    summary = client.get("/api/anomaly/summary?periode=2025-12").get_json()["anomalies"]
    assert summary["zero_complaint"] == {"name": "Nol Setelah Aduan", "count": 1, "previous": None,
                                         "missing": [], "no_actual_reads": False}
    assert summary["zero"]["count"] == 1
    rows = client.get("/api/anomalies?periode=2025-12&type=zero_complaint").get_json()["rows"]
    assert [r["nomen"] for r in rows] == ["60000001"]

    cards = client.post("/_dash-update-component", json=callback_body(
        app, "meter-alert", VIEW, ["shell-periode.value"])).get_json()["response"]["meter-cards"]["children"]
    text = json.dumps(cards)
    assert "Nol Setelah Aduan" in text and "bi-megaphone" in text

    spec = client.get("/api/openapi.json").get_json()
    post = spec["paths"]["/api/uploads"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert "PENGADUAN" in post["properties"]["type"]["enum"]
    kinds = next(p for p in spec["paths"]["/api/anomalies"]["get"]["parameters"] if p["name"] == "type")
    assert "zero_complaint" in kinds["schema"]["enum"]


def test_without_the_complaints_the_check_says_what_is_missing(catalogue, client, users):
    assert post_file(client, users, "SBRS_2025-12.csv", SBRS)["status"] == "loaded"
    auth = {"Authorization": "Basic " + base64.b64encode(":".join(users["admin"]).encode()).decode()}
    summary = client.get("/api/anomaly/summary?periode=2025-12", headers=auth).get_json()["anomalies"]
    assert summary["zero_complaint"]["missing"] == ["PENGADUAN 2025-12"]
    assert summary["zero_complaint"]["count"] is None  # it cannot run: unknown, not 0
