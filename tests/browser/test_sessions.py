"""Sessions that end, in a real browser: a session ended elsewhere takes the page to the login
form and back to the same view; a refused callback replaces the panel, never leaving the old
figures under a new label; the pages satisfy their Content-Security-Policy on every tab.

The branch: MC 2025-11 (Rp 150.000: 100.000 + 50.000) and MC 2025-12 (Rp 350.000: 150.000 +
200.000), both Rayon 34.
"""
from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from sunter_dash import create_app
from sunter_dash.ingest import ingest_file
from sunter_dash.tabs import TABS

from .pages import choose, column_cells, console, open_tab, wait_card, wait_idle, wait_text, wait_until, wait_view

pytestmark = pytest.mark.browser

MC = {"MC_2025-11.csv": "NOMEN;ZONA_NOVAK;NOMINAL\n60000001;341010101;100000\n60000002;341010102;50000\n",
      "MC_2025-12.csv": "NOMEN;ZONA_NOVAK;NOMINAL\n60000001;341010101;150000\n60000002;341010102;200000\n"}


@pytest.fixture
def branch_app(engine, config, tmp_path: Path):
    for name, text in MC.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        assert ingest_file(engine, path).status == "loaded"
    return create_app(config)


def test_a_session_ended_in_another_tab_brings_the_same_view_back_after_signing_in(dash_duo, branch_app,
                                                                                   signed_in, users):
    signed_in(dash_duo, branch_app, path="/?tab=tren&periode=2025-12")
    open_tab(dash_duo, "Ringkasan")
    wait_card(dash_duo, "card-target", "Rp 350.000")
    view = {"periode": "2025-12"}  # Ringkasan is the default tab
    wait_view(dash_duo, view)
    first = dash_duo.driver.current_window_handle

    # A second tab of the same browser signs out (the POST of the navbar's form).
    dash_duo.driver.switch_to.new_window("tab")
    dash_duo.driver.get(f"{dash_duo.server_url.rstrip('/')}/logout")
    dash_duo.find_element("#logout-submit").click()
    dash_duo.wait_for_element("#login-form")
    dash_duo.driver.close()
    dash_duo.driver.switch_to.window(first)

    # The first tab still shows December; changing the periode now meets the ended session.
    dash_duo.find_element("#shell-periode").click()
    wait_until(dash_duo, EC.element_to_be_clickable((
        By.XPATH, "//*[contains(@class, 'dash-dropdown-option')][normalize-space(.) = 'November 2025']")),
        "November not offered").click()
    wait_until(dash_duo, lambda driver: "/login" in driver.current_url, "never sent to the login form")
    wait_text(dash_duo, "#login-error", "Sesi berakhir, silakan masuk lagi.")
    back_to = parse_qs(urlparse(dash_duo.driver.current_url).query)["next"][0]
    assert parse_qs(urlparse(back_to).query) == {"periode": ["2025-12"]}, back_to

    # Signing in again brings that view back, with its own figures, and the filter works again.
    dash_duo.find_element("#username").send_keys(users["admin"][0])
    dash_duo.find_element("#password").send_keys(users["admin"][1])
    dash_duo.find_element("#login-submit").click()
    wait_card(dash_duo, "card-target", "Rp 350.000")
    wait_text(dash_duo, "#shell-periode-value", "Desember 2025")
    wait_view(dash_duo, view)
    choose(dash_duo, "shell-periode", "November 2025")
    wait_card(dash_duo, "card-target", "Rp 150.000")
    # The console has the refused callbacks' 401s, and nothing else.
    others = [message for message in console(dash_duo) if "status of 401" not in message]
    assert not others, others


def test_a_refused_job_says_why_and_the_page_keeps_working(dash_duo, branch_app, signed_in):
    """A viewer's page asks for the upload job (as a crafted request would): the server refuses
    before anything is spawned, and the page says why above the tab (the job's output is a store,
    on no panel), while the figures stay usable."""
    signed_in(dash_duo, branch_app, role="viewer", path="/?periode=2025-12")
    wait_card(dash_duo, "card-target", "Rp 350.000")
    status = dash_duo.driver.execute_async_script("""
        var done = arguments[arguments.length - 1];
        fetch('/_dash-update-component', {method: 'POST', headers: {'Content-Type': 'application/json'},
              body: JSON.stringify({output: 'upload-results-store.data',
                                    outputs: {id: 'upload-results-store', property: 'data'},
                                    inputs: [{id: 'upload-run', property: 'data', value: 1}],
                                    state: [{id: 'upload-token', property: 'data', value: 'x'}],
                                    changedPropIds: ['upload-run.data']})})
            .then(function (response) { done(response.status); });
    """)
    assert status == 403
    dash_duo.wait_for_contains_text("#shell-error", "Anda tidak berhak menjalankan pekerjaan ini. (403, kode ")
    assert dash_duo.find_element("#card-target .kpi-value").text == "Rp 350.000"
    assert not dash_duo.find_elements(".panel-failed")


def test_no_tab_breaks_the_content_security_policy(dash_duo, branch_app, signed_in):
    """Every tab an admin has, opened in turn: the browser reports no CSP violation (they appear
    in the console as errors), and the header is the one the pages are built to satisfy."""
    signed_in(dash_duo, branch_app, path="/?periode=2025-12")
    wait_card(dash_duo, "card-target", "Rp 350.000")
    violations = []
    dash_duo.driver.execute_script("""
        window.__cspViolations = [];
        document.addEventListener('securitypolicyviolation', function (event) {
            window.__cspViolations.push(event.violatedDirective + ' ' + event.blockedURI);
        });
    """)
    for tab in TABS:
        open_tab(dash_duo, tab.label)
        wait_idle(dash_duo)
        if tab.id == "history":  # grids format their cells with {"function": ...}: no eval needed
            wait_until(dash_duo, lambda _d: column_cells(dash_duo, "history-grid", "read") == ["2", "2"],
                       "Riwayat's formatted counts")
        violations += dash_duo.driver.execute_script("return window.__cspViolations")
    logs = console(dash_duo)
    assert violations == [] and logs == [], (violations, logs)
    policy = requests.get(dash_duo.server_url).headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in policy and "frame-ancestors 'none'" in policy, policy
