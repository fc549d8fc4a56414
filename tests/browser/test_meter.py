"""The Meter tab in a real browser, on the demo branch (3,000 customers, 3 periodes):
open an anomaly's card, page and sort its list on the server, filter a column, select
a row for a new case, open a customer's profile from the list.

Expected figures are read straight from meter_flag (the rules themselves are checked
by tests/integration/test_anomalies.py); this checks that the page shows them.
"""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from sqlalchemy import text

from sunter_dash import demo
from sunter_dash.db import get_engine, upgrade
from sunter_dash.formatting import number
from sunter_dash.ingest import ingest_file

from .pages import SCREENSHOTS, wait_for
from .pages import js_click as click

pytestmark = [pytest.mark.browser]

P = "2025-12"


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory) -> str:
    root = tmp_path_factory.mktemp("meter-demo")
    url = f"sqlite:///{root / 'demo.db'}"
    upgrade(url)
    for path in demo.generate(root / "files", customers=3000, months=3, seed=7):
        result = ingest_file(get_engine(url), path)
        assert result.status == "loaded", (path.name, result.message)
    return url


@pytest.fixture
def db_url(demo_url) -> str:
    """The shared fixtures (users, app, signed_in) on the loaded demo branch."""
    return demo_url


def flagged(engine, key: str, order: str) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(text(f"SELECT nomen, volume, at_stake FROM meter_flag WHERE periode = :p AND flag = :k "
                                 f"ORDER BY {order}"), {"p": P, "k": key}).all()


def wait_until(dash_duo, check, timeout: float = 10):
    wait_for(dash_duo, check, timeout, screenshot="meter-failure.png")


def card(dash_duo, name: str):
    return dash_duo.driver.find_element(
        By.XPATH, f"//button[contains(@class, 'meter-card')][.//span[text()='{name}']]")


def first_cell(dash_duo, column: str = "nomen") -> str:
    return dash_duo.find_element(
        f"#meter-grid .ag-center-cols-container .ag-row[row-index] [col-id='{column}'], "
        f"#meter-grid .ag-pinned-left-cols-container .ag-row [col-id='{column}']").text


def rows_on_page(dash_duo) -> list[str]:
    """The nomens of the grid's current page, as its row model holds them (rows off
    screen are not drawn, so the DOM alone would show only part of a page)."""
    return dash_duo.driver.execute_script("""
        const api = dash_ag_grid.getApi('meter-grid');
        const size = api.paginationGetPageSize(), page = api.paginationGetCurrentPage();
        const out = [];
        for (let i = page * size; i < (page + 1) * size; i++) {
            const node = api.getDisplayedRowAtIndex(i);
            if (!node) break;
            out.push(node.data ? node.data.nomen : null);
        }
        return out;""")


def test_open_a_card_then_page_sort_and_filter_its_list(dash_duo, app, engine, signed_in):
    drops = flagged(engine, "drop", "at_stake DESC NULLS LAST, nomen")
    assert len(drops) > 100, "the demo branch should give more than two pages of drops"
    signed_in(dash_duo, app, path=f"/?tab=meter&periode={P}")
    dash_duo.wait_for_text_to_equal("#shell-periode-value", "Desember 2025")

    # Every card shows its count; the drops card opens its list.
    wait_until(dash_duo, lambda: card(dash_duo, "Pemakaian Turun").find_element(
        By.CSS_SELECTOR, ".meter-card-value").text == number(len(drops)))
    card(dash_duo, "Pemakaian Turun").click()
    dash_duo.wait_for_text_to_equal("#meter-list-title", "Pemakaian Turun · Desember 2025")
    # The chosen card is in the address, so the view can be shared.
    wait_until(dash_duo, lambda: "cek=drop" in dash_duo.driver.current_url)
    wait_until(dash_duo, lambda: rows_on_page(dash_duo) == [d[0] for d in drops[:50]])
    summary = dash_duo.find_element("#meter-grid .ag-paging-row-summary-panel").text
    assert summary.replace("\n", " ").endswith(f"dari {len(drops)}"), summary
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    dash_duo.driver.save_screenshot(str(SCREENSHOTS / "meter.png"))

    # The second page comes from the server in the same order.
    click(dash_duo, "#meter-grid .ag-paging-button[aria-label='Next Page']")
    wait_until(dash_duo, lambda: rows_on_page(dash_duo) == [d[0] for d in drops[50:100]])

    # Sorting by volume, ascending: the first page again, the smallest volumes first.
    click(dash_duo, "#meter-grid .ag-header-cell[col-id='volume'] .ag-header-cell-label")
    by_volume = flagged(engine, "drop", "volume ASC, nomen")
    wait_until(dash_duo, lambda: rows_on_page(dash_duo) == [d[0] for d in by_volume[:50]])

    # A column filter (the floating filter under the header) narrows the list on the server.
    one = drops[0][0]
    box = dash_duo.find_element("#meter-grid .ag-floating-filter[aria-colindex='1'] input")
    box.send_keys(one[:6])
    prefix = [d[0] for d in by_volume if one[:6] in d[0]]
    wait_until(dash_duo, lambda: rows_on_page(dash_duo) == prefix[:50])
    box.send_keys(one[6:], Keys.ENTER)
    wait_until(dash_duo, lambda: rows_on_page(dash_duo) == [one])

    # A selected row becomes a new case in Analisa, prefilled.
    click(dash_duo, "#meter-grid .ag-center-cols-container .ag-row [col-id='nama']")
    wait_until(dash_duo, lambda: "new=1" in (dash_duo.find_element("#meter-new-case").get_attribute("href") or ""))
    href = dash_duo.find_element("#meter-new-case").get_attribute("href")
    assert f"nomen={one}" in href and "anomaly=drop" in href and f"periode={P}" in href and "tab=analisa" in href
    # ... and following it opens the Analisa tab's form with the row's customer and anomaly.
    click(dash_duo, "#meter-new-case")
    wait_until(dash_duo, lambda: dash_duo.find_element("#analisa-new-nomen").get_attribute("value") == one)
    assert dash_duo.find_element("#analisa-new-type").get_attribute("value") == "drop"
    assert dash_duo.find_element("#analisa-new-periode").get_attribute("value") == P


def test_a_shared_link_opens_its_card(dash_duo, app, engine, signed_in):
    signed_in(dash_duo, app, path=f"/?tab=meter&periode={P}&cek=zero")
    dash_duo.wait_for_text_to_equal("#meter-list-title", "Pemakaian Nol · Desember 2025")
    # The cards come from their own (slower) callback than the list's title.
    wait_for(dash_duo, lambda: "meter-card-active" in card(dash_duo, "Pemakaian Nol").get_attribute("class"))
    assert "cek=zero" in dash_duo.driver.current_url


def test_a_nomen_in_the_list_opens_the_customer_profile(dash_duo, app, engine, signed_in):
    zeros = flagged(engine, "zero", "at_stake DESC NULLS LAST, nomen")
    signed_in(dash_duo, app, path=f"/?tab=meter&periode={P}")
    card(dash_duo, "Pemakaian Nol").click()
    wait_until(dash_duo, lambda: rows_on_page(dash_duo)[:3] == [z[0] for z in zeros[:3]])
    dash_duo.driver.find_element(
        By.CSS_SELECTOR, "#meter-grid .ag-pinned-left-cols-container .ag-row[row-index='0'] [col-id='nomen'] a").click()
    wait_until(dash_duo, lambda: f"nomen={zeros[0][0]}" in dash_duo.driver.current_url
               and "tab=pelanggan" in dash_duo.driver.current_url)
    dash_duo.wait_for_contains_text("#shell-content", zeros[0][0])
