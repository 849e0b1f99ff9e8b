"""The report in a real browser: headless Chromium, network blocked, opened from file://.

Fails on any request that is not the report file itself (or an inline data: URL), on any
console error (a Content-Security-Policy violation is one), on a missing or empty section, and
on a report over 5 MB. A full-page screenshot is kept in ``test-artefacts/`` (or
``$FEDPLAN_ARTEFACTS``). Needs Debian's ``chromium`` and ``chromium-driver``; `.ci/run` installs
them and sets FEDPLAN_REQUIRE_BROWSER=1 so that CI fails rather than skips without them.
"""
from __future__ import annotations

import base64
import importlib.util
import json
import os
import shutil
from pathlib import Path

import pytest

REPORT_SECTIONS = ["headline", "map", "federations", "size", "travel", "makebuy", "baseline", "costs", "solver", "assumptions"]
ARTEFACTS = Path(os.environ.get("FEDPLAN_ARTEFACTS") or Path(__file__).resolve().parents[2] / "test-artefacts")


def _browser_or_skip() -> tuple[str, str]:
    chromium = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")
                     if shutil.which(n)), None)
    driver = shutil.which("chromedriver")
    missing = [name for name, path in (("chromium", chromium), ("chromedriver", driver)) if not path]
    if importlib.util.find_spec("selenium") is None:
        missing.append("the selenium package (pip install '.[test]')")
    if missing:
        why = "needs " + " and ".join(missing) + " (Debian: apt-get install chromium chromium-driver)"
        if os.environ.get("FEDPLAN_REQUIRE_BROWSER"):
            pytest.fail(why + "; FEDPLAN_REQUIRE_BROWSER is set, so this may not be skipped")
        pytest.skip(why)
    return chromium, driver


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    chromium, chromedriver = _browser_or_skip()
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    opts = Options()
    opts.binary_location = chromium
    profile = tmp_path_factory.mktemp("chromium-profile")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-quic", "--disable-extensions", "--window-size=1280,1000", f"--user-data-dir={profile}",
                # belt and braces: every host resolves nowhere and every proxy is a dead port
                "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=http://127.0.0.1:9",
                "--proxy-bypass-list=<-loopback>"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(chromedriver), options=opts)
    driver.set_page_load_timeout(60)
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setBlockedURLs",
                           {"urls": ["http://*", "https://*", "ws://*", "wss://*", "ftp://*"]})
    yield driver
    driver.quit()


def open_page(driver, path: Path) -> dict:
    """Load ``path`` and return what the browser did: requests, console messages."""
    driver.get_log("performance")  # drop anything logged before this page
    driver.get_log("browser")
    driver.get(path.resolve().as_uri())
    driver.execute_script("return document.readyState")
    requests = []
    for entry in driver.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            requests.append(msg["params"]["request"]["url"])
    return {"requests": requests, "console": driver.get_log("browser")}


def screenshot(driver, name: str) -> Path:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
    path = ARTEFACTS / name
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def assert_offline(seen: dict, page: Path) -> None:
    own = page.resolve().as_uri()
    # the browser's own pages (chrome://, devtools://) log requests too on some Chromium builds
    # (seen on a fresh Debian install: chrome://resources/cr_elements/...); a file:// page cannot
    # load those, so they say nothing about the report
    internal = ("data:", "chrome://", "chrome-untrusted://", "chrome-extension://", "devtools://")
    outside = [u for u in seen["requests"] if u != own and not u.startswith(internal)]
    assert not outside, f"the page asked for something outside itself: {outside[:5]}"
    errors = [m for m in seen["console"] if m.get("level") == "SEVERE"]
    assert not errors, f"console errors: {errors[:5]}"


def test_devon_report_in_chromium_offline(browser, devon_run_dir):
    from selenium.webdriver.common.by import By

    page = devon_run_dir / "report.html"
    assert page.stat().st_size < 5_000_000
    seen = open_page(browser, page)
    assert_offline(seen, page)
    ids = [s.get_attribute("id") for s in browser.find_elements(By.CSS_SELECTOR, "section[id]")]
    assert ids == REPORT_SECTIONS
    for sid in ids:
        el = browser.find_element(By.ID, sid)
        assert el.size["height"] > 40 and el.text.strip(), f"section {sid} is empty"
    maps = browser.find_elements(By.CSS_SELECTOR, "#map svg")
    assert len(maps) == 2 and all(m.size["width"] > 300 and m.size["height"] > 300 for m in maps)
    # what a planner must be able to read: members, make-or-buy, the comparison with today
    summary = json.loads((devon_run_dir / "summary.json").read_text())
    text = browser.find_element(By.TAG_NAME, "body").text
    first = summary["federations"][0]
    assert first["hub_name"] in text and "Federation 1:" in text
    assert "business planning" in browser.find_element(By.ID, "makebuy").text
    assert "Today's PCNs" in browser.find_element(By.ID, "costs").text
    shot = screenshot(browser, "devon-report.png")
    assert shot.stat().st_size > 50_000


def test_hostile_names_are_text_in_the_browser(browser, tmp_path):
    from selenium.common.exceptions import NoAlertPresentException
    from selenium.webdriver.common.by import By
    from factories import ASSIGNMENT, EVIL, MAKE_OR_BUY, OUTLINE, polygons, practices, summary

    from fedplan.reports import render_report, write_report

    page = write_report(tmp_path / "evil.html", render_report(
        summary(), practices(), ASSIGNMENT, polygons=polygons(), outline=OUTLINE, baseline_polygons=polygons(),
        log_excerpt=EVIL, attributions=EVIL, make_or_buy=MAKE_OR_BUY))
    seen = open_page(browser, page)
    assert_offline(seen, page)
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018 - the script must not have run
    assert browser.execute_script("return document.scripts.length") == 0
    assert EVIL in browser.find_element(By.ID, "federations").text  # shown as text, not run
    screenshot(browser, "hostile-names.png")


def test_comparison_page_in_chromium_offline(browser, devon_run_dir, tmp_path):
    from selenium.webdriver.common.by import By

    from fedplan.report import compare

    out = compare([devon_run_dir, devon_run_dir], tmp_path / "cmp")
    page = out / "comparison.html"
    seen = open_page(browser, page)
    assert_offline(seen, page)
    ids = [s.get_attribute("id") for s in browser.find_elements(By.CSS_SELECTOR, "section[id]")]
    assert ids == ["scores", "differences", "costs", "maps"]
    assert len(browser.find_elements(By.CSS_SELECTOR, "#scores tbody tr")) == 2
    screenshot(browser, "comparison.png")


def test_the_offline_check_catches_a_leaky_page(browser, tmp_path):
    """The check above must bite: a page that fetches a web font and an image, and logs an error."""
    page = tmp_path / "leaky.html"
    page.write_text("<!DOCTYPE html><html><head><link rel=stylesheet href='https://fonts.example.org/a.css'>"
                    "</head><body><img src='http://tiles.example.org/1/2/3.png'>"
                    "<script>console.error('boom')</script></body></html>", encoding="utf-8")
    seen = open_page(browser, page)
    with pytest.raises(AssertionError, match="outside itself"):
        assert_offline(seen, page)
    assert any("example.org" in u for u in seen["requests"])
    assert any(m.get("level") == "SEVERE" and "boom" in m.get("message", "") for m in seen["console"])
