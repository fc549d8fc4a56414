"""/api/uploads: the upload history, loading a file and deleting an upload through the API."""
from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from sunter_dash.models import AuditLog, Mc

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from helpers import basic  # noqa: E402

MC = b"NOMEN;ZONA_NOVAK;NOMINAL\n60000001;341010101;150000\n60000002;351010101;250000\n"



def post_file(client, auth, content: bytes = MC, name: str = "MC_2025-12.csv", **fields):
    data = {"file": (io.BytesIO(content), name), **fields}
    return client.post("/api/uploads", data=data, headers=auth, content_type="multipart/form-data")


def mc_rows(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Mc)).scalar()


def test_admin_loads_lists_and_deletes_an_upload(client, users, engine):
    admin = basic(*users["admin"])
    loaded = post_file(client, admin)
    assert loaded.status_code == 200
    summary = loaded.get_json()
    assert {k: summary[k] for k in ("file", "type", "periode", "periode_rule", "status", "read", "stored",
                                    "rejected", "duplicate")} == {
        "file": "MC_2025-12.csv", "type": "MC", "periode": "2025-12", "periode_rule": "filename",
        "status": "loaded", "read": 2, "stored": 2, "rejected": 0, "duplicate": 0}
    assert client.get("/api/kpi?periode=2025-12", headers=admin).get_json()["target"]["nominal"] == 400000
    history = client.get("/api/uploads", headers=admin).get_json()["uploads"]
    assert [(u["id"], u["file"], u["user"], u["status"]) for u in history] == [
        (summary["upload_id"], "MC_2025-12.csv", "admin", "loaded")]

    deleted = client.delete(f"/api/uploads/{summary['upload_id']}", headers=admin)
    assert deleted.get_json() == {"upload_id": summary["upload_id"], "removed": 2, "restored_upload": None, "kept": 0,
                                  "kept_by": []}
    assert mc_rows(engine) == 0
    after = client.get("/api/kpi?periode=2025-12", headers=admin).get_json()
    assert (after["target"], after["missing"]) == (None, ["MC", "COLLECTION", "SBRS"])  # unknown now, not 0
    again = client.delete(f"/api/uploads/{summary['upload_id']}", headers=admin)
    assert again.status_code == 409 and "sudah dihapus" in again.get_json()["error"]
    assert client.delete("/api/uploads/999", headers=admin).status_code == 404
    with engine.connect() as conn:
        actions = conn.execute(select(AuditLog.action, AuditLog.username).order_by(AuditLog.id)).all()
    assert [tuple(a) for a in actions] == [("upload", "admin"), ("upload_deleted", "admin")]


def test_the_type_and_periode_can_be_given(client, users):
    summary = post_file(client, basic(*users["admin"]), name="master.csv", type="MC", periode="2025-11").get_json()
    assert (summary["type"], summary["periode"], summary["periode_rule"]) == ("MC", "2025-11", "explicit")


def test_a_refused_file_says_why_and_stores_nothing(client, users, engine):
    summary = post_file(client, basic(*users["admin"]), content=bytes(range(256)) * 8, name="MC_2025-12.xlsx")
    assert summary.get_json()["status"] == "refused"
    assert summary.get_json()["message"]
    assert mc_rows(engine) == 0


@pytest.mark.parametrize("fields, message", [
    ({"periode": "2025-13"}, "'periode' must be YYYY-MM"),
    ({"type": "KWH"}, "'type' must be one of"),
])
def test_bad_parameters_are_400s_naming_them(client, users, fields, message):
    response = post_file(client, basic(*users["admin"]), **fields)
    assert response.status_code == 400
    assert message in response.get_json()["detail"]


def test_a_post_without_a_file_is_a_400(client, users):
    response = client.post("/api/uploads", data={}, headers=basic(*users["admin"]))
    assert response.status_code == 400
    assert "'file'" in response.get_json()["error"]


def test_viewer_may_list_but_not_load_or_delete(client, users, engine):
    viewer = basic(*users["viewer"])
    assert client.get("/api/uploads", headers=viewer).status_code == 200
    assert post_file(client, viewer).status_code == 403
    assert mc_rows(engine) == 0
    upload_id = post_file(client, basic(*users["admin"])).get_json()["upload_id"]
    assert client.delete(f"/api/uploads/{upload_id}", headers=viewer).status_code == 403
    assert mc_rows(engine) == 2
