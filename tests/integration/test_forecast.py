"""METRICS.md's month-end forecast, computed by hand: the worked example of METRICS.md, and a
small branch loaded through the real pipeline.

The branch: customers 60000001 (A) and 60000002 (B), each with a target of 100 in every MC from
2025-02 to 2025-06 (target 200). CURRENT payments:
  2025-02 (28 days): A on 10-02, B on 28-02     data as of 28-02, complete
  2025-03 (31 days): A on 05-03, B on 31-03     data as of 31-03, complete
  2025-04 (30 days): A on 20-04, B on 30-04     data as of 30-04, complete
  2025-05 (31 days): A on 30-05                 data as of 30-05 (day 30): the periode forecast
  2025-06: MC only                              no payment yet
For 2025-05 at day 30: f(04) = 200/200 = 1.0 (both paid by 30-04); f(03) = 100/200 = 0.5 (B paid
on the 31st); f(02) = 200/200 = 1.0 at 28-02, the last day of the shorter month. Median 1.0, max
1.0, min 0.5: forecast 100 (50 %), low 100 (50 %), high 200 (100 %). 2025-01 has no MC.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

from sunter_dash.domain.checks import Thresholds
from sunter_dash.domain.errors import BadParameter
from sunter_dash.domain.forecast import COMPLETE, NO_HISTORY, NO_PAYMENT, NO_TARGET, forecast, gap
from sunter_dash.ingest import delete_upload, ingest_file
from sunter_dash.queries import audit_log
from sunter_dash.queries.forecast import kpi_forecast
from sunter_dash.services import API, Actor
from sunter_dash.services import settings as settings_service

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures"))
from helpers import basic  # noqa: E402

ADMIN = Actor("admin", "admin", "127.0.0.1", API)

MC = "NOMEN;ZONA_NOVAK;NOMINAL\n60000001;341010101;100\n60000002;341010102;100\n"
PAYMENTS = {"2025-02": [("60000001", "10-02-2025"), ("60000002", "28-02-2025")],
            "2025-03": [("60000001", "05-03-2025"), ("60000002", "31-03-2025")],
            "2025-04": [("60000001", "20-04-2025"), ("60000002", "30-04-2025")],
            "2025-05": [("60000001", "30-05-2025")]}


def test_the_worked_example_of_metrics_md():
    found = forecast(1_000_000_000, 460_000_000, [.60, .55, .50, .58, .62, .57])
    assert found["reason"] is None
    assert found["forecast"] == {"rate": pytest.approx(80.0), "low": pytest.approx(74.19354838709677),
                                 "high": pytest.approx(92.0), "nominal": 800_000_000,
                                 "nominal_low": 741_935_484, "nominal_high": 920_000_000}
    # An even count's median is the mean of the middle two; fewer than three: no forecast.
    assert forecast(100, 50, [.5, 1.0, .25, 1.0])["forecast"]["nominal"] == 67  # 50 / 0.75 = 66.67
    assert forecast(100, 50, [.5, 1.0]) == {"forecast": None, "reason": NO_HISTORY}


@pytest.fixture
def uploads(engine, tmp_path) -> dict:
    """The branch loaded; its COLLECTION uploads by month."""
    loaded = {}
    for month in ("2025-02", "2025-03", "2025-04", "2025-05", "2025-06"):
        path = tmp_path / f"MC_{month}.csv"
        path.write_text(MC, encoding="utf-8")
        assert ingest_file(engine, path).status == "loaded"
    for month, paid in PAYMENTS.items():
        year, number = month.split("-")
        lines = "".join(f"{nomen}|{day}|-100|{number}{year}\n" for nomen, day in paid)
        path = tmp_path / f"Collection-{month}-01_sd_{month}-28.txt"
        path.write_text("NOMEN|PAY_DT|AMT_COLLECT|BILL_PERIOD\n" + lines, encoding="utf-8")
        loaded[month] = ingest_file(engine, path)
        assert loaded[month].status == "loaded"
    return loaded


@pytest.fixture
def branch(engine, uploads):
    return engine


def test_the_forecast_by_hand_with_a_shorter_month_cut_at_its_last_day(branch):
    found = kpi_forecast.uncached(branch, "2025-05")
    assert (found["data_as_of"], found["day"], found["reason"]) == ("2025-05-30", 30, None)
    assert found["periodes"] == [{"periode": "2025-04", "fraction": 1.0}, {"periode": "2025-03", "fraction": 0.5},
                                 {"periode": "2025-02", "fraction": 1.0}]
    assert found["forecast"] == {"rate": 50.0, "low": 50.0, "high": 100.0, "nominal": 100, "nominal_low": 100,
                                 "nominal_high": 200}
    # The same under the rayon filter (both customers are Rayon 34), and nothing in another.
    assert kpi_forecast.uncached(branch, "2025-05", "34")["forecast"] == found["forecast"]
    assert kpi_forecast.uncached(branch, "2025-05", "35")["periodes"] == []


def test_no_forecast_says_why(branch, uploads):
    assert kpi_forecast.uncached(branch, "2025-04")["reason"] == COMPLETE  # data as of its last day
    assert kpi_forecast.uncached(branch, "2025-06")["reason"] == NO_PAYMENT
    # Without February's payments, February is not usable: two periodes are fewer than three.
    delete_upload(branch, uploads["2025-02"].upload_id)
    fewer = kpi_forecast.uncached(branch, "2025-05")
    assert (fewer["forecast"], fewer["reason"]) == (None, NO_HISTORY)
    assert [p["periode"] for p in fewer["periodes"]] == ["2025-04", "2025-03"]



def test_the_goal_gap_is_exact_and_never_negative():
    assert gap(90.0, 1_000_000_000, 460_000_000) == 440_000_000
    assert gap(85.5, 1_234_567, 0) == 1_055_555  # 1 055 554,785 rounded up
    assert gap(16.1, 1000, 0) == 161  # exactly 161: a float's 16.1 x 1000 / 100 is 161.00000000000003, so 162
    assert gap(90.0, 100, 95) == 0


def test_the_api_gives_the_forecast_goal_gap_data_as_of_and_last_year(branch, client, users, tmp_path):
    auth = basic(*users["viewer"])
    found = client.get("/api/kpi/forecast?periode=2025-05", headers=auth).get_json()
    assert found == {"periode": "2025-05", "rayon": None, "data_as_of": "2025-05-30", "day": 30, "last_day": 31,
                     "goal": 90.0,
                     "periodes": [{"periode": "2025-04", "fraction": 1.0}, {"periode": "2025-03", "fraction": 0.5},
                                  {"periode": "2025-02", "fraction": 1.0}],
                     "forecast": {"rate": 50.0, "low": 50.0, "high": 100.0, "nominal": 100, "nominal_low": 100,
                                  "nominal_high": 200}, "reason": None}
    assert client.get("/api/kpi/forecast?periode=2025-08", headers=auth).get_json()["reason"] == NO_TARGET
    kpi = client.get("/api/kpi?periode=2025-05", headers=auth).get_json()
    # target 200, paid 100: 90 % of 200 is 180, so 80 to go; nothing stored for 2024-05.
    assert (kpi["data_as_of"], kpi["goal"], kpi["gap"], kpi["missing"]) == ("2025-05-30", 90.0, 80, [])
    assert kpi["previous_year"] is None
    # Last year's MC alone: its target stands beside this year's, its payment figures are null.
    path = tmp_path / "MC_2024-05.csv"
    path.write_text(MC.replace(";100\n", ";150\n"), encoding="utf-8")
    assert ingest_file(branch, path).status == "loaded"
    last_year = client.get("/api/kpi?periode=2025-05&rayon=34", headers=auth).get_json()["previous_year"]
    assert (last_year["periode"], last_year["target"], last_year["paid"], last_year["collection_rate"],
            last_year["missing"]) == ("2024-05", {"nomen": 2, "nominal": 300}, None, None, ["COLLECTION"])
    # An admin's goal for the periode wins over the default, for that periode alone, and is audited.
    assert settings_service.set_goal(branch, ADMIN, Thresholds(), "2025-05", "40") == 40.0
    assert client.get("/api/kpi?periode=2025-05", headers=auth).get_json()["gap"] == 0
    assert client.get("/api/kpi/forecast?periode=2025-04", headers=auth).get_json()["goal"] == 90.0
    assert audit_log(branch)[0]["detail"] == "Target collection rate Mei 2025: 90,0 → 40,0 (API)"
    assert settings_service.set_goal(branch, ADMIN, Thresholds(), "2025-05", None) == 90.0
    assert client.get("/api/kpi?periode=2025-05", headers=auth).get_json()["gap"] == 80


@pytest.mark.parametrize("value", ["abc", "100,5", "-1"])
def test_a_goal_out_of_range_is_refused_in_indonesian(branch, value):
    with pytest.raises(BadParameter) as refused:
        settings_service.set_goal(branch, ADMIN, Thresholds(), "2025-05", value)
    assert refused.value.message.startswith("Target collection rate Mei 2025: nilai")
    assert "maksimal 100" in refused.value.message


def test_the_data_as_of_follows_a_deletion(branch, uploads):
    from sunter_dash.queries.stored import data_as_of
    with branch.connect() as conn:
        assert data_as_of(conn, "2025-03").isoformat() == "2025-03-31"
    delete_upload(branch, uploads["2025-03"].upload_id)
    with branch.connect() as conn:
        assert data_as_of(conn, "2025-03") is None
