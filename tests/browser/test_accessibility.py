"""Accessibility, measured with axe-core (tests/browser/vendor/axe.min.js, from the npm registry):
the login page and every tab a user may open, as an admin and as a viewer, have no serious or
critical violation of WCAG 2.1 A/AA (contrast included); and the shell can be driven by keyboard.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from sunter_dash import create_app
from sunter_dash.tabs import TABS

from .pages import wait_idle

pytestmark = pytest.mark.browser

AXE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text(encoding="utf-8")
RUN = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
                   resultTypes: ['violations']})
  .then(result => done(result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 8).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}))))
  .catch(error => done([{id: 'axe-error', help: String(error)}]));
"""


def violations(dash_duo) -> list[dict]:
    """axe-core's serious and critical violations on the page as it is now."""
    driver = dash_duo.driver
    if not driver.execute_script("return typeof axe !== 'undefined'"):
        driver.execute_script(AXE)
    driver.set_script_timeout(60)
    return driver.execute_async_script(RUN)


@pytest.fixture
def db_url(demo_database) -> str:
    return demo_database(customers=400, months=3, seed=7)


@pytest.fixture
def branch(config):
    return create_app(config)


def test_the_login_page_has_no_serious_violation(dash_duo, branch):
    dash_duo.start_server(branch, navigate=False)
    dash_duo.driver.get(f"{dash_duo.server.url.rstrip('/')}/login")
    dash_duo.wait_for_element("#username")
    found = violations(dash_duo)
    assert found == [], json.dumps(found, indent=1, ensure_ascii=False)


@pytest.mark.parametrize("role", ["admin", "viewer"])
def test_every_tab_has_no_serious_violation(dash_duo, branch, signed_in, role):
    signed_in(dash_duo, branch, role=role)
    labels = [a.text for a in dash_duo.find_elements("#shell-tabs .nav-link")]
    assert labels and set(labels) <= {tab.label for tab in TABS}
    found = {}
    for label in labels:
        dash_duo.find_element("#shell-tabs").find_element(By.LINK_TEXT, label).click()
        dash_duo.wait_for_text_to_equal("#shell-tabs .nav-link.active", label)
        WebDriverWait(dash_duo.driver, 15).until(
            lambda driver: driver.find_elements(By.CSS_SELECTOR, "#shell-content > *"))
        wait_idle(dash_duo)
        if seen := violations(dash_duo):
            found[label] = seen
    assert found == {}, json.dumps(found, indent=1, ensure_ascii=False)


def test_the_shell_is_driven_by_keyboard(dash_duo, branch, signed_in):
    """Tab reaches the periode filter, the rayon filter, Keluar and then the tabs; the arrow keys
    move along the tabs and Enter opens one."""
    signed_in(dash_duo, branch)
    driver = dash_duo.driver
    where = "const el = document.activeElement; return [el.closest('[id]') ? el.closest('[id]').id : '', " \
            "el.getAttribute('role') || '', el.textContent.trim()]"
    reached = []
    driver.find_element(By.TAG_NAME, "body").send_keys(Keys.TAB)
    for _ in range(15):
        reached.append(driver.execute_script(where))
        if reached[-1][1] == "tab":
            break
        driver.switch_to.active_element.send_keys(Keys.TAB)
    places = [place for place, _role, _text in reached]
    assert reached[-1][1:] == ["tab", "Ringkasan"], reached
    assert places.index("shell-periode") < places.index("shell-rayon") < places.index("shell-logout"), reached
    driver.switch_to.active_element.send_keys(Keys.ARROW_RIGHT)
    assert driver.execute_script(where)[1:] == ["tab", "Tunggakan"]
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    dash_duo.wait_for_text_to_equal("#shell-tabs .nav-link.active", "Tunggakan")
    dash_duo.wait_for_element("#card-os-nomen")
