"""The operator console in a real browser: Debian's headless Chromium, driven by Selenium.

One `inboxd console` process (the command as operators start it) over a store filled by a
real poll (tests/console_site.py), and one browser session for the whole module, which walks
through the console as an operator does: log in, filter, open a decision, correct it, train
and compare, promote, resolve an acknowledgement of unknown fate — and a subject that is
markup stays text, with no script run. Screenshots of the main pages go to a temporary
folder, or to $INBOXD_CONSOLE_SCREENSHOTS (docs/console for the README and docs/console.md).

Skipped, saying why, only where the browser is not installed (scripts/setup-system.sh
installs `chromium` and `chromium-driver`; nothing is downloaded at run time).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from testbed.dovecot import free_port
from tests.console_site import TOKEN, Site

pytestmark = pytest.mark.integration
CHROMIUM, DRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
if not (CHROMIUM.exists() and DRIVER.exists()):
    pytest.skip(
        f"no browser: {CHROMIUM} or {DRIVER} is missing (apt-get install chromium chromium-driver, "
        "as scripts/setup-system.sh does)",
        allow_module_level=True,
    )

from selenium import webdriver  # noqa: E402
from selenium.common.exceptions import NoAlertPresentException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402


@pytest.fixture(scope="module")
def console_url(console_site: Site) -> Iterator[str]:
    """`inboxd console` on a free loopback port, until the module ends."""
    port = free_port()
    log = console_site.root / "console.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "inboxd", "--config", str(console_site.config_path), "console", "--listen",
             f"127.0.0.1:{port}"],
            stdout=out, stderr=out, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"the console did not start: {log.read_text()}") from None
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1440,1000", "--lang=en-US"):  # fmt: skip
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(str(DRIVER)), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = os.environ.get("INBOXD_CONSOLE_SCREENSHOTS")
    path = Path(folder) if folder else tmp_path_factory.mktemp("screenshots")
    path.mkdir(parents=True, exist_ok=True)
    return path


def wait(browser: WebDriver, seconds: float = 30) -> WebDriverWait[WebDriver]:
    return WebDriverWait(browser, seconds)


def no_alert(browser: WebDriver) -> bool:
    try:
        browser.switch_to.alert  # noqa: B018 - raises when there is none
    except NoAlertPresentException:
        return True
    return False


def test_log_in(browser: WebDriver, console_url: str, shots: Path) -> None:
    browser.get(console_url + "/")
    assert "/login" in browser.current_url  # no page without logging in
    browser.find_element(By.ID, "name").send_keys("alice")
    browser.find_element(By.ID, "token").send_keys("wrong-token-0000000000")
    browser.find_element(By.ID, "login").click()
    # The click returns before the answer to the POST is shown on a slow first request: wait for it.
    refused = wait(browser).until(expected_conditions.presence_of_element_located((By.ID, "login-error")))
    assert "Unknown name or token" in refused.text
    browser.find_element(By.ID, "name").clear()
    browser.find_element(By.ID, "name").send_keys("alice")
    browser.find_element(By.ID, "token").send_keys(TOKEN)
    browser.find_element(By.ID, "login").click()
    wait(browser).until(expected_conditions.presence_of_element_located((By.ID, "decisions")))
    assert browser.find_element(By.CSS_SELECTOR, "header .operator").text == "alice"
    browser.save_screenshot(str(shots / "decisions.png"))


def test_markup_in_a_subject_stays_text(browser: WebDriver, console_url: str, console_site: Site) -> None:
    browser.get(console_url + "/")
    subjects = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#decisions td.subject")]
    assert any("<script>alert(1)</script>" in s and "<img src=x onerror=alert(2)>" in s for s in subjects)
    assert browser.find_elements(By.CSS_SELECTOR, "#decisions img, #decisions script") == []
    assert no_alert(browser)
    logs = [entry["message"] for entry in browser.get_log("browser")] if hasattr(browser, "get_log") else []
    assert not any("alert" in line for line in logs)


def test_filter(browser: WebDriver, console_url: str) -> None:
    browser.get(console_url + "/")
    Select(browser.find_element(By.NAME, "category")).select_by_value("deposit_withdrawal")  # submits on change
    wait(browser).until(lambda b: "category=deposit_withdrawal" in b.current_url)
    rows = browser.find_elements(By.CSS_SELECTOR, "#decisions tbody tr")
    assert rows and all("deposit_withdrawal" in r.find_elements(By.TAG_NAME, "td")[5].text for r in rows)
    browser.find_element(By.CSS_SELECTOR, "input[name=security]").click()
    wait(browser).until(lambda b: "security=1" in b.current_url)


def test_open_a_decision_and_correct_it(browser: WebDriver, console_url: str, shots: Path) -> None:
    browser.get(console_url + "/")
    link = next(a for a in browser.find_elements(By.CSS_SELECTOR, "#decisions td.subject a") if "<script>" in a.text)
    link.click()
    wait(browser).until(expected_conditions.presence_of_element_located((By.ID, "model-text")))
    assert "<script>alert(4)</script>" in browser.find_element(By.ID, "model-text").text
    assert browser.find_elements(By.CSS_SELECTOR, "#features tbody tr")  # the n-grams that decided
    browser.save_screenshot(str(shots / "decision.png"))
    browser.find_element(By.ID, "correct-complaint_suggestion").click()
    wait(browser).until(expected_conditions.presence_of_element_located((By.ID, "message")))
    assert "Corrected to complaint_suggestion" in browser.find_element(By.ID, "message").text
    assert browser.find_element(By.ID, "corrected").text == "complaint_suggestion"
    assert no_alert(browser)


def test_train_compare_and_promote(browser: WebDriver, console_url: str, shots: Path) -> None:
    browser.get(console_url + "/model")
    live = browser.find_element(By.ID, "live-model").text
    browser.find_element(By.ID, "train").click()
    promote = wait(browser, 90).until(expected_conditions.element_to_be_clickable((By.ID, "promote")))
    candidate = browser.find_element(By.ID, "candidate-id").text
    assert candidate and candidate != live
    assert browser.find_element(By.ID, "changes").is_displayed()
    browser.save_screenshot(str(shots / "model.png"))
    promote.click()
    browser.switch_to.alert.accept()  # "Make … the live model?"
    wait(browser).until(lambda b: b.find_element(By.ID, "live-model").text == candidate)
    assert browser.find_element(By.ID, "previous-id").text == live


def test_resolve_an_unknown_acknowledgement(browser: WebDriver, console_url: str, shots: Path) -> None:
    browser.get(console_url + "/queues")
    browser.save_screenshot(str(shots / "queues.png"))
    sent = browser.find_element(By.CSS_SELECTOR, "#unknown-acks button[value=sent]")
    sent.click()
    wait(browser).until(expected_conditions.presence_of_element_located((By.ID, "message")))
    assert ": sent." in browser.find_element(By.ID, "message").text
    assert "None." in browser.find_element(By.ID, "unknown-acks").text


def test_dashboard_and_templates(browser: WebDriver, console_url: str, shots: Path) -> None:
    browser.get(console_url + "/dashboard")
    assert len(browser.find_elements(By.CSS_SELECTOR, ".plots svg")) == 4
    browser.save_screenshot(str(shots / "dashboard.png"))
    browser.get(console_url + "/templates")
    assert browser.find_elements(By.CSS_SELECTOR, "article.sample pre")
    browser.save_screenshot(str(shots / "templates.png"))
    browser.get(console_url + "/audit")
    actions = browser.find_element(By.ID, "audit").text
    assert "alice" in actions and "correct" in actions and "promote" in actions and "ack sent" in actions
