"""Tab "Pengaturan" in a real browser: a setting saved beside its default (the flags follow), back
to the default, and the column-mapping profiles changed and deleted."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import text

from sunter_dash import create_app
from sunter_dash.ingest import ingest_file
from sunter_dash.services import Actor, profiles

from .pages import (
    click,
    console,
    pattern,
    screenshot,
    select_value,
    tab_labels,
    wait_for,
    wait_rows,
    wait_text,
    wait_until,
)

pytestmark = pytest.mark.browser

SBRS = ("cmr_account|cmr_prev_read|cmr_reading|Read_Method\n60000001|10|20|SE\n60000002|10|20|PS\n"
        "60000003|10|20|30/PE\n")


def estimated(engine) -> list[str]:
    with engine.connect() as conn:
        return conn.execute(text("SELECT nomen FROM meter_flag WHERE flag = 'estimated' ORDER BY nomen")).scalars().all()


def row(key: str) -> str:
    return pattern("settings-row", key=key)


def row_text(dash_duo, key: str) -> str:
    return dash_duo.find_element(row(key)).text


def test_admin_saves_the_actual_read_codes_and_manages_profiles(dash_duo, config, signed_in, tmp_path, engine):
    app = create_app(config)
    (tmp_path / "SBRS_2025-12.txt").write_text(SBRS, encoding="utf-8")
    ingest_file(engine, tmp_path / "SBRS_2025-12.txt")
    profiles.save(engine, Actor("admin", "admin"), "Setoran Bank X", "COLLECTION",
                  ["NO_PEL", "TANGGAL", "NILAI", "KET"], {"PAY_DT": "TANGGAL", "AMT_COLLECT": "NILAI"})
    assert estimated(engine) == ["60000001", "60000002", "60000003"]
    signed_in(dash_duo, app, path="/?tab=settings")
    wait_for(dash_duo, lambda: "ACTUAL" in row_text(dash_duo, "actual_read_methods"), screenshot="settings-fail.png")
    assert "SUNTER_ACTUAL_READ_METHODS" in row_text(dash_duo, "actual_read_methods")
    assert "bawaan" in row_text(dash_duo, "actual_read_methods")

    field = dash_duo.find_element(f"{row('actual_read_methods')} input")
    field.clear()
    field.send_keys("se, ps")
    click(dash_duo, f"{row('actual_read_methods')} button")
    wait_text(dash_duo, "#settings-alert .alert",
              "Kode metode baca yang dihitung sebagai baca aktual disimpan: SE, PS. Anomali dihitung ulang.")
    wait_for(dash_duo, lambda: "disimpan admin" in row_text(dash_duo, "actual_read_methods"))
    assert estimated(engine) == ["60000003"]
    # A value that cannot be used says why, and nothing changes.
    extreme = dash_duo.find_element(f"{row('extreme_m3')} input")
    extreme.clear()
    extreme.send_keys("banyak")
    click(dash_duo, f"{row('extreme_m3')} button")
    wait_text(dash_duo, "#settings-alert .alert", "Pemakaian ekstrem di atas (m³): nilai 'banyak' tidak dapat dipakai; "
                                                  "isi bilangan bulat, minimal 0.")
    for size in ((1280, 800), (390, 844)):
        dash_duo.driver.set_window_size(*size)
        screenshot(dash_duo, f"pengaturan-{size[0]}.png")
    dash_duo.driver.set_window_size(1280, 800)

    # Back to the environment's default.
    buttons = dash_duo.find_elements(f"{row('actual_read_methods')} button")
    dash_duo.driver.execute_script("arguments[0].click()", buttons[1])
    wait_text(dash_duo, "#settings-alert .alert", "Kode metode baca yang dihitung sebagai baca aktual dikembalikan "
                                                  "ke bawaan: ACTUAL. Anomali dihitung ulang.")
    assert estimated(engine) == ["60000001", "60000002", "60000003"]

    # Profiles: renamed with another mapping, then deleted.
    wait_rows(dash_duo, "settings-profiles", ("name", "file_type"), [("Setoran Bank X", "COLLECTION")])
    click(dash_duo, "#settings-profiles .ag-row .ag-cell[col-id='name']")
    wait_until(dash_duo, lambda d: d.find_element(By.ID, "settings-profile-name").get_attribute("value")
               == "Setoran Bank X", "profile not selected")
    name = dash_duo.find_element("#settings-profile-name")
    name.clear()
    name.send_keys("Bank X")
    mapping = dash_duo.find_element("#settings-profile-mapping")
    mapping.clear()
    mapping.send_keys("PAY_DT=TANGGAL\nAMT_COLLECT=NILAI\nBILL_PERIOD=KET")
    click(dash_duo, "#settings-profile-save")
    wait_text(dash_duo, "#settings-profile-alert .alert", "Profil 'Bank X' disimpan.")
    wait_rows(dash_duo, "settings-profiles", ("name",), [("Bank X",)])
    click(dash_duo, "#settings-profile-delete")
    wait_text(dash_duo, "#settings-profile-alert .alert", "Profil 'Bank X' dihapus.")
    wait_rows(dash_duo, "settings-profiles", ("name",), [])
    assert console(dash_duo) == []


def test_a_viewer_is_not_offered_the_tab(dash_duo, config, signed_in):
    signed_in(dash_duo, create_app(config), role="viewer")
    dash_duo.wait_for_element("#shell-tabs .nav-link")
    assert "Pengaturan" not in tab_labels(dash_duo)


def test_admin_keeps_the_e_mail_subscriptions(dash_duo, config, signed_in, engine):
    from sunter_dash.services import subscriptions

    signed_in(dash_duo, create_app(config), path="/?tab=settings")
    wait_text(dash_duo, "#mail-list", "Belum ada langganan.")
    assert "SMTP belum diatur" in dash_duo.find_element("#mail-smtp").text
    # An address that is none says which.
    field = dash_duo.find_element("#mail-recipients")
    field.send_keys("manajer@sunter.test, kepala-sunter")
    click(dash_duo, "#mail-add")
    wait_text(dash_duo, "#mail-alert .alert", "'kepala-sunter' bukan alamat e-mail; tulis seperti nama@pamjaya.co.id, "
                                              "dipisah koma.")
    field.clear()
    field.send_keys("manajer@sunter.test, kepala@sunter.test")
    select_value(dash_duo, "#mail-kind", "monthly")
    day = dash_duo.find_element("#mail-day")
    day.clear()
    day.send_keys("5")
    click(dash_duo, "#mail-add")
    wait_text(dash_duo, "#mail-alert .alert", "Langganan #1 (Laporan bulanan) disimpan.")
    wait_for(dash_duo, lambda: "tiap tanggal 5" in dash_duo.find_element("#mail-list").text)
    assert [(s["kind"], s["recipients"], s["day"]) for s in subscriptions.listed(engine)] == [
        ("monthly", "manajer@sunter.test, kepala@sunter.test", 5)]
    screenshot(dash_duo, "pengaturan-langganan.png")
    click(dash_duo, pattern("mail-remove", id=1))
    wait_text(dash_duo, "#mail-alert .alert", "Langganan #1 dihapus.")
    wait_text(dash_duo, "#mail-list", "Belum ada langganan.")
    assert subscriptions.listed(engine) == []
    assert console(dash_duo) == []
