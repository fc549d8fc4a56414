"""Tab "Pengguna" in a real browser: an admin adds a viewer, finds it in the grid, deactivates it."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from sunter_dash import create_app
from sunter_dash.queries import list_users
from sunter_dash.tabs import users as tab

from .pages import SCREENSHOTS, console

pytestmark = pytest.mark.browser

ROW = "#users-grid .ag-center-cols-container .ag-row[row-id='{}']"


def test_admin_adds_a_viewer_and_deactivates_it(dash_duo, config, engine, signed_in):
    signed_in(dash_duo, create_app(config), role="admin")
    dash_duo.driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                    {"width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": False})
    wait = WebDriverWait(dash_duo.driver, 10)
    dash_duo.find_element("#shell-tabs").find_element(By.LINK_TEXT, "Pengguna").click()
    wait.until(lambda driver: "tab=users" in driver.current_url)
    dash_duo.wait_for_element(ROW.format("viewer"))

    dash_duo.find_element(f"#{tab.ADD_USERNAME}").send_keys("rina")
    dash_duo.find_element(f"#{tab.ADD_PASSWORD}").send_keys("sandi-rahasia-1")
    dash_duo.find_element(f"#{tab.ADD_CONFIRM}").send_keys("sandi-rahasia-1")
    dash_duo.find_element(f"#{tab.ADD_BUTTON}").click()
    dash_duo.wait_for_contains_text(f"#{tab.ALERT}", "Pengguna rina ditambahkan sebagai Viewer")
    dash_duo.wait_for_contains_text(ROW.format("rina"), "Viewer")
    assert dash_duo.find_element(f"#{tab.ADD_PASSWORD}").get_attribute("value") == ""

    dash_duo.find_element(ROW.format("rina") + " [col-id='username']").click()
    dash_duo.wait_for_text_to_equal(f"#{tab.SELECTED_NAME}", "rina")
    # Deactivating asks first, naming the user: cancelled, nothing changes; confirmed, it is done.
    wait.until(EC.element_to_be_clickable((By.ID, tab.DEACTIVATE_BUTTON))).click()
    asked = wait.until(EC.alert_is_present())
    assert asked.text.startswith("Nonaktifkan rina?")
    asked.dismiss()
    assert {u["username"]: u["active"] for u in list_users(engine)}["rina"] is True
    dash_duo.find_element(f"#{tab.DEACTIVATE_BUTTON}").click()
    wait.until(EC.alert_is_present()).accept()
    dash_duo.wait_for_contains_text(f"#{tab.ALERT}", "rina dinonaktifkan")
    dash_duo.wait_for_contains_text(ROW.format("rina") + " [col-id='status']", "Nonaktif")
    # The selection follows the fresh rows: now only reactivation is offered.
    wait.until(EC.element_to_be_clickable((By.ID, tab.REACTIVATE_BUTTON)))
    assert not dash_duo.find_element(f"#{tab.DEACTIVATE_BUTTON}").is_displayed()
    assert {u["username"]: u["active"] for u in list_users(engine)}["rina"] is False

    wait.until(lambda driver: driver.execute_script(
        "return document.fonts.status === 'loaded'"
        " && !document.querySelector('[data-dash-is-loading=\"true\"]')"))
    assert dash_duo.driver.execute_script(
        "return document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    assert dash_duo.driver.save_screenshot(str(SCREENSHOTS / "pengguna.png"))
    assert console(dash_duo) == []
