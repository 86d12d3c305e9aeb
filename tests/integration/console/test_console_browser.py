"""The console in a real browser: headless Chromium from Debian, driven by selenium with the system's
chromedriver (nothing is downloaded), against a whole stack that issued the demo's invoices."""

from __future__ import annotations

import base64
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from conftest import TOKEN, Demo
from fapiao.streams.topics import topic_name

pytestmark = pytest.mark.integration
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
if not (CHROMIUM and CHROMEDRIVER):
    pytest.skip("needs Debian's chromium and chromium-driver (.ci/run installs them: "
                "apt-get install -y chromium chromium-driver)", allow_module_level=True)
webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium (pip install -e '.[dev]')")
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--window-size=1280,1000")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    profile = tempfile.mkdtemp(prefix="fapiao-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=CHROMEDRIVER))
    try:
        driver.set_page_load_timeout(30)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def signed_in(browser: Any, demo: Demo) -> Any:
    """The browser after logging in through the form, the way a person does."""
    browser.get(f"{demo.stack.console_url}/serials/{demo.blue}")
    # The server echoes nothing; the script alone puts the page's own path into the form (`next`).
    assert "fapiao console: log in" in browser.title and demo.blue not in heading(browser)
    assert "issued" not in browser.page_source and "kingdee" not in browser.page_source
    browser.find_element(By.NAME, "token").send_keys(TOKEN)
    browser.find_element(By.CSS_SELECTOR, "form.login button").click()
    # The address changes when the navigation starts; the page is there once its heading names the serial. The
    # console reads the topics on its own and may not have reached the serial yet: its page then says so, and
    # keeps itself current until the status shows.
    until(browser, lambda: browser.current_url.endswith(f"/serials/{demo.blue}") and demo.blue in heading(browser),
          "back on the serial's page")
    until(browser, lambda: "issued" in heading(browser), "the serial's status, once the console has read it")
    return browser


def until(browser: Any, check: Callable[[], bool], what: str, timeout_s: float = 30) -> None:
    # A page that navigates away between finding an element and reading it leaves the element stale: look again.
    WebDriverWait(browser, timeout_s, poll_frequency=0.2,
                  ignored_exceptions=(StaleElementReferenceException,)).until(lambda _: check(), message=what)


def heading(browser: Any) -> str:
    """The page's heading, or "" while the page has none yet."""
    found = browser.find_elements(By.TAG_NAME, "h1")
    return str(found[0].text) if found else ""


def test_login_lands_on_the_serial_with_its_status_and_a_strict_httponly_cookie(signed_in: Any, demo: Demo) -> None:
    assert demo.blue in heading(signed_in) and "issued" in heading(signed_in)
    cookie = next(c for c in signed_in.get_cookies() if c["name"] == "fapiao_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and TOKEN not in cookie["value"]
    assert not signed_in.get_log("browser") or all("Content Security Policy" not in entry["message"]
                                                   for entry in signed_in.get_log("browser"))


def test_a_blue_shows_its_reds_and_a_red_its_blue_form_and_time_left(signed_in: Any, demo: Demo) -> None:
    signed_in.get(f"{demo.stack.console_url}/serials/{demo.blue}")
    until(signed_in, lambda: demo.reds[0] in signed_in.page_source, "the blue lists its reds")
    assert demo.reds[1] in signed_in.page_source and "What remains" in signed_in.page_source
    signed_in.find_element(By.LINK_TEXT, demo.reds[0]).click()
    until(signed_in, lambda: demo.reds[0] in heading(signed_in), "the red's page")
    text = signed_in.find_element(By.TAG_NAME, "main").text
    assert "awaiting_counterparty" in heading(signed_in) and f"RF{demo.reds[0]}" in text
    assert "66 h" in text or "67 h" in text  # raised five hours ago, 72 hours to answer
    signed_in.find_element(By.LINK_TEXT, demo.blue).click()
    until(signed_in, lambda: demo.blue in heading(signed_in) and demo.reds[0] not in heading(signed_in), "its blue")


def test_search_by_erp_order_number_goes_to_the_serial(signed_in: Any, demo: Demo) -> None:
    serial = str(demo.requests[3]["serial"])
    signed_in.get(f"{demo.stack.console_url}/")
    box = signed_in.find_element(By.NAME, "q")
    box.send_keys(str(demo.requests[3]["erp_order_no"]))
    box.submit()
    until(signed_in, lambda: signed_in.current_url.endswith(f"/serials/{serial}") and serial in heading(signed_in),
          "the serial's page")
    assert "erp_order_no" not in signed_in.current_url


def test_the_overview_has_the_chart_the_waiting_form_and_keeps_itself_current(signed_in: Any, demo: Demo) -> None:
    signed_in.get(f"{demo.stack.console_url}/")
    main = signed_in.find_element(By.TAG_NAME, "main")
    assert main.find_elements(By.CSS_SELECTOR, "svg.chart rect") and demo.reds[0] in main.text
    signed_in.execute_script("window.fapiaoStayed = true;")  # gone if the page reloads
    key = f"{demo.blue}-BAD"
    out = demo.stack.cluster.producer()
    out.produce(topic_name(demo.prefix, "requests"), key=key.encode(), value=b"{this is not JSON")
    out.flush(10)
    until(signed_in, lambda: key in signed_in.find_element(By.TAG_NAME, "main").text,
          "the dead letter shows without a reload")
    assert signed_in.execute_script("return window.fapiaoStayed;") is True
    assert "{this is not JSON" in signed_in.page_source


def test_screenshots_for_the_docs(signed_in: Any, demo: Demo, screenshots: Path | None) -> None:
    """Taken only when FAPIAO_CONSOLE_SCREENSHOTS names a folder (the docs' are in docs/)."""
    if screenshots is None:
        pytest.skip("FAPIAO_CONSOLE_SCREENSHOTS is not set")
    for name, path in (("console-overview.png", "/"), ("console-serial.png", f"/serials/{demo.blue}")):
        signed_in.get(f"{demo.stack.console_url}{path}")
        until(signed_in, lambda: signed_in.find_element(By.TAG_NAME, "main").text != "", "the page")
        size = signed_in.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
        shot = signed_in.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 4000), "scale": 1}})
        (screenshots / name).write_bytes(base64.b64decode(shot["data"]))
