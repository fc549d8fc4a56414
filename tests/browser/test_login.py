"""Logging in and out in a real browser; what each role is offered."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from sunter_dash import create_app

from .pages import SCREENSHOTS, console, tab_labels

pytestmark = pytest.mark.browser



def test_login_form_refuses_a_wrong_password_then_signs_in_and_out(dash_duo, config, users):
    dash_duo.start_server(create_app(config), navigate=False)
    dash_duo.driver.get(f"{dash_duo.server.url.rstrip('/')}/?tab=tren")
    # The app sends an anonymous visitor to the login form, remembering where they were going.
    dash_duo.wait_for_element("#login-form")
    assert "/login?next=" in dash_duo.driver.current_url
    dash_duo.find_element("#username").send_keys("admin")
    dash_duo.find_element("#password").send_keys("wrong-password")
    dash_duo.find_element("#login-submit").click()
    dash_duo.wait_for_text_to_equal("#login-error", "Nama pengguna atau kata sandi salah.")
    dash_duo.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False})
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    dash_duo.driver.save_screenshot(str(SCREENSHOTS / "login.png"))

    dash_duo.find_element("#password").send_keys(users["admin"][1])
    dash_duo.find_element("#login-submit").click()
    dash_duo.wait_for_contains_text(".navbar-user", "admin")
    assert dash_duo.driver.current_url.endswith("/?tab=tren")
    dash_duo.find_element("#shell-logout").click()
    dash_duo.wait_for_element("#login-form")
    # Back to the app: the session is gone.
    dash_duo.driver.get(dash_duo.server.url)
    dash_duo.wait_for_element("#login-form")


def test_viewer_is_not_offered_the_admin_tabs(dash_duo, config, signed_in):
    signed_in(dash_duo, create_app(config), role="viewer")
    dash_duo.wait_for_contains_text(".navbar-user", "viewer · Viewer")
    assert tab_labels(dash_duo) == ["Ringkasan", "Tunggakan", "Penagihan", "Tren", "Meter", "Pelanggan", "Analisa",
                                    "Status Data", "Riwayat"]
    # Asking for the tab by URL shows the first tab instead.
    dash_duo.driver.get(f"{dash_duo.server_url.rstrip('/')}/?tab=audit")
    dash_duo.wait_for_element("#overview-cards")
    assert not dash_duo.find_elements("#audit-grid")
    assert console(dash_duo) == []


def test_admin_reads_the_audit_log(dash_duo, config, signed_in):
    signed_in(dash_duo, create_app(config), role="admin")
    assert tab_labels(dash_duo)[-1] == "Audit"
    dash_duo.find_element("#shell-tabs").find_element(By.LINK_TEXT, "Audit").click()
    WebDriverWait(dash_duo.driver, 10).until(lambda driver: "tab=audit" in driver.current_url)
    dash_duo.wait_for_contains_text("#audit-grid", "Masuk")
    first = dash_duo.find_elements("#audit-grid .ag-center-cols-container .ag-row")
    assert len(first) == 1 and "admin" in first[0].text
    assert console(dash_duo) == []
