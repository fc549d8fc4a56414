"""What the browser tests do on a page, in one place: explicit waits that poll through elements
re-rendered meanwhile, the shell's tabs and filters, AG Grid rows, form controls, screenshots."""
from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

WAIT = 10  # seconds, for every explicit wait
ROOT = Path(__file__).parents[2]
# Screenshots of the pages the tests visit; SUNTER_SCREENSHOTS_DOCS=1 writes docs/screenshots.
SCREENSHOTS = ROOT / "docs" / "screenshots" if os.environ.get("SUNTER_SCREENSHOTS_DOCS") else Path(
    os.environ.get("SUNTER_SCREENSHOTS", ROOT / "build" / "screenshots"))


# Chrome's own notice when a web font is slow to arrive (a busy machine, not the page's doing).
SLOW_NETWORK = "Slow network is detected"


def console(dash_duo) -> list[str]:
    """The browser console's messages since the last call, but Chrome's slow-font notice: what a
    page logged (errors, AG Grid's warnings, refused requests) is what the tests assert on."""
    return [log["message"] for log in dash_duo.get_logs() if SLOW_NETWORK not in log["message"]]


def wait_until(dash_duo, condition, message: str = "", timeout: float = WAIT):
    """WebDriverWait on ``condition(driver)``, polling every 0.1 s."""
    return WebDriverWait(dash_duo.driver, timeout, poll_frequency=0.1,
                         ignored_exceptions=(NoSuchElementException, StaleElementReferenceException)).until(
        condition, message)


def wait_for(dash_duo, check, timeout: float = WAIT, screenshot: str | None = None) -> None:
    """Wait until ``check()`` holds, an assertion inside it counting as not yet; on a timeout,
    keep a screenshot of the page when ``screenshot`` names one."""
    try:
        WebDriverWait(dash_duo.driver, timeout, poll_frequency=0.1,
                      ignored_exceptions=(NoSuchElementException, StaleElementReferenceException, IndexError,
                                          AssertionError)).until(lambda _d: check())
    except TimeoutException:
        if screenshot:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            dash_duo.driver.save_screenshot(str(SCREENSHOTS / screenshot))
        raise


def wait_text(dash_duo, selector: str, text: str) -> None:
    """Wait until the element's visible text is exactly ``text``."""
    seen = []

    def shows(driver):
        seen[:] = [driver.find_element(By.CSS_SELECTOR, selector).text]
        return seen[0] == text
    try:
        wait_until(dash_duo, shows, selector)
    except TimeoutException as error:
        raise AssertionError(f"{selector}: expected {text!r}, found {seen}") from error


def wait_card(dash_duo, card_id: str, value: str, detail: str | None = None) -> None:
    wait_text(dash_duo, f"#{card_id} .kpi-value", value)
    if detail is not None:
        wait_text(dash_duo, f"#{card_id} .kpi-detail", detail)


def open_tab(dash_duo, label: str) -> None:
    link = dash_duo.find_element("#shell-tabs").find_element(By.LINK_TEXT, label)
    # The theme scrolls smoothly: clicked while the page still moves, the click lands beside the link.
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'nearest', behavior: 'instant'})", link)
    link.click()
    wait_text(dash_duo, "#shell-tabs .nav-link.active", label)


def tab_labels(dash_duo) -> list[str]:
    return [link.text for link in dash_duo.find_elements("#shell-tabs .nav-link")]


def choose(dash_duo, dropdown_id: str, label: str) -> None:
    """Pick an option of a Dash 4 dropdown by its text: the list opens in a popover."""
    dash_duo.find_element(f"#{dropdown_id}").click()
    option = wait_until(dash_duo, EC.element_to_be_clickable((
        By.XPATH, "//div[contains(@class, 'dash-dropdown-options')]"
                  f"//*[contains(@class, 'dash-dropdown-option')][normalize-space(.) = '{label}']")),
        f"option {label!r} of #{dropdown_id} not offered")
    option.click()
    wait_text(dash_duo, f"#{dropdown_id}-value", label)
    dash_duo.wait_for_element(f"#{dropdown_id}[aria-expanded='false']")


def select_value(dash_duo, selector: str, value: str) -> None:
    """Pick an option of a plain <select> (dbc.Select) by its value."""
    Select(dash_duo.find_element(selector)).select_by_value(value)


def value_of(dash_duo, selector: str) -> str:
    return dash_duo.find_element(selector).get_attribute("value")


def wait_value(dash_duo, selector: str, value: str) -> None:
    wait_until(dash_duo, lambda _d: value_of(dash_duo, selector) == value, f"{selector} never {value!r}")


def wait_enabled(dash_duo, selector: str, enabled: bool) -> None:
    wait_until(dash_duo, lambda driver: driver.find_element(By.CSS_SELECTOR, selector).is_enabled() == enabled,
               f"{selector} never {'enabled' if enabled else 'disabled'}")


def click(dash_duo, selector: str) -> None:
    """Scrolled to the middle at once (Bootstrap scrolls smoothly), then clicked when clickable."""
    button = dash_duo.find_element(selector)
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", button)
    wait_until(dash_duo, EC.element_to_be_clickable((By.CSS_SELECTOR, selector)), f"{selector} not clickable").click()


def query(dash_duo) -> dict[str, str]:
    """The address bar's query parameters."""
    return {key: values[0] for key, values in parse_qs(urlparse(dash_duo.driver.current_url).query).items()}


def wait_view(dash_duo, wanted: dict[str, str]) -> None:
    """Wait until the address bar's query parameters are ``wanted``: the URL follows a tab or
    filter change by a callback, after the panel may already show."""
    seen = []

    def shows(_driver):
        seen[:] = [query(dash_duo)]
        return seen[0] == wanted
    try:
        wait_until(dash_duo, shows, "address bar")
    except TimeoutException as error:
        raise AssertionError(f"address bar: expected {wanted}, found {seen[0] if seen else None}") from error


def wait_query(dash_duo, wanted: str) -> None:
    wait_until(dash_duo, lambda driver: urlparse(driver.current_url).query == wanted,
               f"address bar never had ?{wanted}")


def wait_idle(dash_duo) -> None:
    """Wait until no callback is running (Dash marks the outputs it is computing)."""
    wait_until(dash_duo, lambda driver: driver.execute_script(
        "return !document.querySelector('[data-dash-is-loading=\"true\"]')"), "callbacks still running")


def grid_rows(dash_duo, grid_id: str, columns: tuple[str, ...], pinned: bool = False) -> list[tuple[str, ...]]:
    """The rendered rows of an AG Grid (or its pinned bottom rows), in row order, as cell texts.
    A row with pinned columns is split over several containers: they share its row-index."""
    by_index: dict[str, dict[str, str]] = {}
    for row in dash_duo.find_elements(f"#{grid_id} .ag-row"):
        index = row.get_attribute("row-index") or ""
        if index.startswith("b-") == pinned and not index.startswith("t-"):
            cells = by_index.setdefault(index, {})
            for cell in row.find_elements(By.CSS_SELECTOR, ".ag-cell"):
                cells[cell.get_attribute("col-id")] = cell.text
    order = sorted(by_index, key=lambda i: int(i.removeprefix("b-")))
    return [tuple(by_index[i].get(c) for c in columns) for i in order]


def wait_rows(dash_duo, grid_id: str, columns: tuple[str, ...], expected: list[tuple], pinned: bool = False,
              timeout: float = WAIT) -> None:
    seen = []

    def matches(_driver):
        seen[:] = grid_rows(dash_duo, grid_id, columns, pinned)
        return seen == expected
    try:
        wait_until(dash_duo, matches, f"#{grid_id} rows", timeout)
    except TimeoutException as error:
        raise AssertionError(f"#{grid_id}: expected {expected}, found {seen}") from error


def column_cells(dash_duo, grid_id: str, column: str) -> list[str]:
    """The rendered texts of one column of an AG Grid, in row order."""
    return [row[0] for row in grid_rows(dash_duo, grid_id, (column,))]


def wait_cells(dash_duo, grid_id: str, column: str, expected: list[str]) -> None:
    wait_rows(dash_duo, grid_id, (column,), [(cell,) for cell in expected])


def screenshot(dash_duo, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    dash_duo.driver.save_screenshot(str(path))
    return path


def js_click(dash_duo, selector: str) -> None:
    """Scrolled to the middle and clicked by the page's own script (an element under a sticky
    header or a grid overlay still takes the click)."""
    element = dash_duo.find_element(selector)
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].click()", element)


def choose_within(dash_duo, container: str, label: str) -> None:
    """Pick an option of the Dash 4 dropdown inside ``container`` (a dropdown whose id is a
    pattern-matching dict has no CSS-friendly id of its own)."""
    toggle = dash_duo.find_element(f"{container} [aria-expanded]")
    dash_duo.driver.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'})", toggle)
    toggle.click()
    option = wait_until(dash_duo, EC.element_to_be_clickable((
        By.XPATH, "//div[contains(@class, 'dash-dropdown-options')]"
                  f"//*[contains(@class, 'dash-dropdown-option')][normalize-space(.) = '{label}']")),
        f"option {label!r} in {container} not offered")
    option.click()
    wait_until(dash_duo, lambda d: label in d.find_element(By.CSS_SELECTOR, container).text,
               f"{container} never showed {label!r}")


def pattern(kind: str, **keys) -> str:
    """The CSS selector of a component whose id is a pattern-matching dict (Dash writes such an
    id as JSON with its keys sorted)."""
    return f"[id='{json.dumps({**keys, 'type': kind}, sort_keys=True, separators=(',', ':'))}']"
