"""The vocabulary every layer shares: periodes, the catalogues of file types and checks, the
errors, and the labels that exist once."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from sunter_dash.domain import checks, files
from sunter_dash.domain.checks import AnyOf, Check, Hit, Need, Thresholds
from sunter_dash.domain.clock import local
from sunter_dash.domain.errors import BadParameter, FileTooLarge, NotFound, PaymentConflict, SunterError
from sunter_dash.domain.periodes import periode_label, shift_periode, short_periode, valid_periode

DOCS = Path(__file__).parents[2] / "docs"


@pytest.mark.parametrize("periode, months, shifted", [("2025-12", 1, "2026-01"), ("2025-01", -1, "2024-12"),
                                                      ("2025-06", -18, "2023-12"), ("2025-06", 0, "2025-06")])
def test_shift_periode(periode, months, shifted):
    assert shift_periode(periode, months) == shifted


def test_periode_forms_and_labels():
    assert [valid_periode(v) for v in ("2025-12", "2025-13", "2025-1", 202512, None)] == [True, False, False,
                                                                                         False, False]
    assert (periode_label("2025-12"), short_periode("2025-08"), periode_label(None)) == (
        "Desember 2025", "Agu 25", "-")


def test_a_utc_time_is_shown_in_wib():
    assert local(dt.datetime(2025, 12, 31, 18, 30)).strftime("%Y-%m-%d %H:%M %Z") == "2026-01-01 01:30 WIB"


def test_the_file_catalogue_resolves_names_and_aliases():
    assert files.names() == ("MC", "COLLECTION", "SBRS", "MAINBILL", "MB", "ARDEBT", "RUTE")
    assert [files.resolve(n).name for n in ("coll", " Collection ", "masterbayar", "mb")] == [
        "COLLECTION", "COLLECTION", "MB", "MB"]
    assert files.resolve("KWH") is None
    assert files.header_score(["NOMEN", "Tgl. Bayar", "apa ini", None]) == 2


def test_the_check_catalogue_in_metrics_order_with_its_settings():
    assert list(checks.names()) == ["extreme", "drop", "zero", "negative", "misrecord", "rebill", "estimated",
                                    "spike", "stuck", "inactive_use", "tamper"]
    assert checks.lookback(Thresholds()) == 6 and checks.lookback(Thresholds(spike_history=2)) == 2
    assert [s.env for s in Thresholds.settings()][:2] == ["SUNTER_ANOMALY_EXTREME_M3", "SUNTER_ANOMALY_DROP_PERCENT"]
    with pytest.raises(TypeError):
        Thresholds(nonsense=1)
    with pytest.raises(ValueError):
        Thresholds(extreme_m3=-1)
    assert Thresholds.from_stored({"extreme_m3": 70, "retired_setting": 1}) == Thresholds(extreme_m3=70)


def test_what_a_check_misses_follows_its_needs():
    stored = {("SBRS", 0), ("SBRS", 1), ("SBRS", 3)}

    def has(need: Need) -> bool:
        return (need.file_type, need.back) in stored
    spike = checks.check("spike")
    assert [n.back for n in spike.missing(Thresholds(), has)] == [2, 4, 5, 6]  # 2 of 6, 3 needed
    assert spike.missing(Thresholds(spike_min_readings=2), has) == []
    assert checks.check("rebill").missing(Thresholds(), lambda n: n.file_type == "MAINBILL") == []
    assert checks.check("inactive_use").runnable(Thresholds(), {"SBRS"}) is False
    assert checks.check("inactive_use").runnable(Thresholds(), {"SBRS", "MC"}) is True
    assert checks.check("rebill").runnable(Thresholds(), {"MAINBILL"}) is True


def test_a_check_registered_for_a_while():
    extra = Check("test_only", "Uji", "bi-x", "never", lambda r, t: Hit(None, None),
                  needs=lambda t: (AnyOf((Need("SBRS"), Need("MC")), 2),))
    with checks.registered(extra):
        assert "test_only" in checks.names()
        with pytest.raises(ValueError):
            checks.register(extra)
    assert "test_only" not in checks.names()


def test_a_check_marked_by_a_file_needs_that_file_and_it_marks_customers():
    def hit(r, t):
        return Hit(None, None)
    for marked_by, needs in (("MAINBILL", (Need("SBRS"), Need("MC"))), ("ARDEBT", (Need("SBRS"), Need("ARDEBT")))):
        with pytest.raises(ValueError, match="marked_by"):
            checks.register(Check("test_marked", "Uji", "bi-x", "never", hit, needs=lambda t, n=needs: n,
                                  marked_by=marked_by))
    assert "test_marked" not in checks.names()
    with checks.registered(Check("test_marked", "Uji", "bi-x", "never", hit,
                                 needs=lambda t: (Need("SBRS"), Need("MC")), marked_by="MC")):
        assert "test_marked" in checks.names()


def test_the_docs_table_of_checks_is_the_catalogue():
    assert checks.markdown_table() in (DOCS / "ANOMALIES.md").read_text(encoding="utf-8")


def test_an_error_carries_both_languages_and_its_status():
    error = BadParameter("Periode salah.", "Bad periode.", field="periode")
    assert error.as_json() == {"error": "Periode salah.", "detail": "Bad periode.", "field": "periode"}
    assert "Periode salah." in str(error) and "Bad periode." in str(error)
    assert (NotFound("x").status, FileTooLarge("x").status, PaymentConflict("x").status) == (404, 413, 409)
    assert isinstance(PaymentConflict("x"), SunterError) and SunterError("x").detail == "x"


def test_names_that_would_not_fit_their_columns_are_refused():
    with pytest.raises(ValueError, match="at most 16"):
        checks.register(Check("a_key_longer_than_16", "Uji", "bi-x", "never", lambda r, t: Hit(None, None)))
    with pytest.raises(ValueError, match="upper case"):
        files.register(files.FileSpec("aduan", "x", (), (), files.SNAPSHOT, (), "t"))
