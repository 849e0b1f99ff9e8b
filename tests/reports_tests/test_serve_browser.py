"""`fedplan serve` in a real browser: headless Chromium against the workbench on loopback over the
Devon default run, every other host unreachable. Moves a practice on the map, checks the cost shown against the
independent verify's recomputation, pins it, re-optimises in the background, saves, and opens the
saved run with `fedplan report`. Skipped without chromium and chromedriver unless
FEDPLAN_REQUIRE_BROWSER=1; screenshots land in ``test-artefacts/`` (or ``$FEDPLAN_ARTEFACTS``)."""
from __future__ import annotations

import base64
import importlib.util
import json
import os
import shutil
import socket
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from fedplan.cli import main

ARTEFACTS = Path(os.environ.get("FEDPLAN_ARTEFACTS") or Path(__file__).resolve().parents[2] / "test-artefacts")


def browser_or_skip() -> tuple[str, str]:
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
def server(tmp_path_factory, devon_run_dir):
    """The workbench on a free loopback port, over the Devon default run (the session's own)."""
    import uvicorn

    from fedplan.serve.app import create_app
    from fedplan.serve.server import LOOPBACK_NAMES
    from fedplan.serve.workspace import load_plans

    d = tmp_path_factory.mktemp("serve-browser")
    shutil.copytree(devon_run_dir, d / "run")
    saves = d / "saved"
    saves.mkdir()
    app = create_app(load_plans([d / "run"]), save_dir=saves, allowed_hosts=LOOPBACK_NAMES)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not srv.started and time.time() < deadline:
        time.sleep(0.1)
    assert srv.started
    yield {"url": f"http://127.0.0.1:{port}/", "run": d / "run", "saves": saves}
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    chromium, chromedriver = browser_or_skip()
    from selenium import webdriver
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    opts = Options()
    opts.binary_location = chromium
    profile = tmp_path_factory.mktemp("chromium-profile")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-quic", "--disable-extensions", "--window-size=1400,1100", f"--user-data-dir={profile}",
                # the network is off: every host but loopback resolves nowhere, every proxy is a dead port
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--proxy-server=http://127.0.0.1:9",
                "--proxy-bypass-list=127.0.0.1"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(chromedriver), options=opts)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def screenshot(driver, name: str) -> Path:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    shot = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
    path = ARTEFACTS / name
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def wait(driver, condition, seconds: float = 30, what: str = "the page"):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = driver.execute_script(condition)
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}: {condition}")


def test_move_rescore_pin_reoptimise_save_in_chromium(browser, server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    from fedplan.optimise import verify
    from fedplan.rundir import read_run_dir

    browser.get_log("performance")
    browser.get(server["url"])
    wait(browser, "return document.body.getAttribute('data-ready')", 60, "the plan to load")
    start = json.loads(urllib.request.urlopen(server["url"] + "api/plans/run").read())
    n_practices = sum(len(f["members"]) for f in start["federations"])
    assert n_practices == 116          # Devon's default run: every practice on the map
    assert len(browser.find_elements(By.CSS_SELECTOR, "#practices circle")) == n_practices
    assert len(browser.find_elements(By.CSS_SELECTOR, "#federations tbody tr")) == len(start["federations"])
    # move a practice that does not host its federation into another federation
    fed = max(start["federations"], key=lambda f: f["n_practices"])
    code = next(c for c in fed["members"] if c != fed["hub"])
    target = next(f for f in start["federations"] if f["id"] != fed["id"])
    before = browser.find_element(By.ID, "cost").get_attribute("data-gbp")
    browser.find_element(By.CSS_SELECTOR, f"circle[data-code='{code}']").click()
    assert code in browser.find_element(By.ID, "practice-facts").text
    Select(browser.find_element(By.ID, "move-target")).select_by_value(str(target["id"]))
    browser.find_element(By.ID, "move-btn").click()
    wait(browser, f"return document.getElementById('cost').getAttribute('data-gbp') !== '{before}'", 30, "re-score")
    shown = float(browser.find_element(By.ID, "cost").get_attribute("data-gbp"))
    assert float(browser.find_element(By.ID, "verify").get_attribute("data-gbp")) == pytest.approx(shown, abs=0.01)
    # the independent recomputation, from the files, of the plan the browser now shows
    assignment = {c: f["id"] for f in start["federations"] for c in f["members"]}
    assignment[code] = target["id"]
    hubs = {f["id"]: f["hub"] for f in start["federations"]}
    check = verify(read_run_dir(server["run"]).scenario, assignment, hubs)
    assert shown == pytest.approx(check.cost_gbp, abs=0.01)
    screenshot(browser, "serve-moved.png")
    # pin it, re-optimise around it in the background, see the answer
    browser.find_element(By.ID, "pin-btn").click()
    wait(browser, f"return document.querySelector(\"circle[data-code='{code}']\").getAttribute('class')"
                  ".includes('pinned')", 30, "the pin")
    limit = browser.find_element(By.ID, "time-limit")
    limit.clear()
    limit.send_keys("20")
    browser.find_element(By.ID, "optimise-btn").click()
    wait(browser, "return document.getElementById('job-state').textContent === 'optimise: done'", 150,
         "the re-optimisation")
    assert "Price of the edits" in browser.find_element(By.ID, "message").text
    assert browser.find_element(By.ID, "gap").text not in ("", "—")
    screenshot(browser, "serve-reoptimised.png")
    # save and open the saved run
    browser.find_element(By.ID, "save-name").send_keys("browser-saved")
    browser.find_element(By.ID, "save-btn").click()
    run_dir = wait(browser, "return document.getElementById('message').getAttribute('data-run-dir')", 120, "save")
    assert Path(run_dir) == (server["saves"] / "browser-saved").resolve()
    manifest = json.loads((Path(run_dir) / "manifest.json").read_text())
    assert [e["op"] for e in manifest["workbench"]["edits"]] == ["move", "pin", "optimise"]
    assert main(["report", run_dir]) == 0
    assert main(["compare", str(server["run"]), run_dir, "--out", str(server["saves"] / "compare"), "--no-maps"]) == 0
    assert (server["saves"] / "compare" / "comparison.html").is_file()
    # nothing but this server was asked for anything, and the page logged no error
    asked = []
    for entry in browser.get_log("performance"):
        msg = json.loads(entry["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            asked.append(msg["params"]["request"]["url"])
    internal = ("data:", "chrome://", "chrome-untrusted://", "chrome-extension://", "devtools://")
    outside = [u for u in asked if not u.startswith(server["url"]) and not u.startswith(internal)]
    assert not outside, outside[:5]
    errors = [m for m in browser.get_log("browser") if m.get("level") == "SEVERE"]
    assert not errors, errors[:5]
