"""`fedplan serve`'s JSON API through Starlette's test client, on a run of ten Devon practices:
every edit re-scored through the cost model equals the independent verify's cost; rules broken are
named with their practices; sessions are separate; pins hold through a re-optimisation in the
background (cancellable); a saved run opens with `fedplan report` and `fedplan compare`; bad
requests are 4xx JSON naming the key, never a traceback; a token guards a non-loopback server."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from fedplan.cli import main

DATA = Path(__file__).parents[1] / "data"
# Starlette asks for httpx2 in its test client; httpx still works and is what the test extra installs
pytestmark = pytest.mark.filterwarnings("ignore:Using .httpx. with .starlette.testclient")


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    """Ten Devon practices (148,081 patients), bounds 20,000-60,000: proven optimal in seconds."""
    d = tmp_path_factory.mktemp("serve")
    lines = (DATA / "practices_small.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    (d / "practices.csv").write_text("".join(lines[:11]), encoding="utf-8")
    (d / "s.toml").write_text('[area]\nengland = true\n[inputs]\npractices = "practices.csv"\n'
                              "[bounds]\nmin_population = 20000\nmax_population = 60000\n"
                              "[solve]\ntime_limit_s = 20\nprice_rules = false\n", encoding="utf-8")
    out = d / "run"
    assert main(["plan", str(d / "s.toml"), "--out", str(out), "--quiet"]) == 0
    return out


@pytest.fixture(scope="module")
def plans(tiny_run):
    from fedplan.serve.workspace import load_plans

    return load_plans([tiny_run])


@pytest.fixture
def client(plans, tmp_path):
    from starlette.testclient import TestClient

    from fedplan.serve.app import create_app

    with TestClient(create_app(plans, save_dir=tmp_path), raise_server_exceptions=False) as c:
        yield c


def independent_cost(tiny_run: Path, plan: dict) -> float:
    """verify's cost of the plan as the API shows it, re-reading every file itself."""
    from fedplan.optimise import verify
    from fedplan.rundir import read_run_dir

    sc = read_run_dir(tiny_run).scenario
    assignment = {c: f["id"] for f in plan["federations"] for c in f["members"]}
    return verify(sc, assignment, {f["id"]: f["hub"] for f in plan["federations"]}).cost_gbp


def other_federation(plan: dict, code: str) -> int:
    mine = next(f["id"] for f in plan["federations"] if code in f["members"])
    return next(f["id"] for f in plan["federations"] if f["id"] != mine)


def test_the_contract_shapes_and_the_loaded_plan(client, tiny_run):
    listed = client.get("/api/plans").json()
    assert listed == [{"id": "run", "name": "run"}]
    plan = client.get("/api/plans/run").json()
    summary = json.loads((tiny_run / "summary.json").read_text())
    for key in ("status", "objective_gbp", "bound_gbp", "gap", "federations", "breaches"):
        assert key in plan
    assert plan["status"] == summary["status"] == "optimal"
    assert plan["objective_gbp"] == pytest.approx(summary["objective_gbp"], abs=0.01)
    assert plan["bound_gbp"] == pytest.approx(summary["bound_gbp"], abs=0.01)
    assert plan["breaches"] == [] and plan["verify"]["ok"] and plan["verify"]["agrees"]
    for f in plan["federations"]:
        assert {"id", "population", "hub", "members"} <= set(f) and f["hub"] in f["members"]
    assert sorted(c for f in plan["federations"] for c in f["members"]) == sorted(
        line.split(",")[0] for line in (tiny_run / "assignment.csv").read_text().splitlines()[1:])


def test_every_edit_is_rescored_as_verify_recomputes_it(client, tiny_run):
    plan = client.get("/api/plans/run").json()
    code = plan["federations"][0]["members"][-1]
    edits = [("move", {"practice": code, "federation": other_federation(plan, code)}),
             ("move", {"practice": code, "federation": 99}),                     # a new federation
             ("hub", None), ("merge", None), ("split", None), ("exclude", {"practice": code})]
    for op, body in edits:
        if op == "hub":
            f = next(f for f in plan["federations"] if len(f["members"]) > 1)
            body = {"federation": f["id"], "practice": next(c for c in f["members"] if c != f["hub"])}
        elif op == "merge":
            body = {"federations": [plan["federations"][0]["id"], plan["federations"][1]["id"]]}
        elif op == "split":
            body = {"federation": max(plan["federations"], key=lambda f: f["n_practices"])["id"]}
        r = client.post(f"/api/plans/run/{op}", json=body)
        assert r.status_code == 200, r.text
        plan = r.json()
        assert plan["verify"]["agrees"], (op, plan["objective_gbp"], plan["verify"])
        if op != "exclude":      # verify re-reads the run's scenario: no practice left out yet
            assert plan["objective_gbp"] == pytest.approx(independent_cost(tiny_run, plan), abs=0.01)
        assert sum(plan["cost_breakdown"].values()) == pytest.approx(plan["objective_gbp"], abs=0.05)
        assert plan["compare"]["pcns"]["gbp"] == pytest.approx(
            plan["objective_gbp"] - plan["compare"]["pcns"]["of_gbp"], abs=0.02)
    assert code in plan["excluded"] and all(code not in f["members"] for f in plan["federations"])
    # undo walks back to the loaded plan, redo forward again
    for _ in edits:
        r = client.post("/api/plans/run/undo")
        assert r.status_code == 200
    assert r.json()["status"] == "optimal" and not r.json()["can"]["undo"]
    assert client.post("/api/plans/run/undo").status_code == 409
    assert client.post("/api/plans/run/redo").json()["can"]["undo"]


def test_a_broken_rule_is_named_with_its_practices(client):
    plan = client.get("/api/plans/run").json()
    big = max(plan["federations"], key=lambda f: f["population"])
    # move practices into the largest federation until it is over the maximum (60,000)
    others = [c for f in plan["federations"] if f["id"] != big["id"] for c in f["members"] if c != f["hub"]]
    for code in others:
        plan = client.post("/api/plans/run/move", json={"practice": code, "federation": big["id"]}).json()
        if next(f for f in plan["federations"] if f["id"] == big["id"])["population"] > 60000:
            break
    assert plan["status"] == "breaks_rules" and plan["gap"] is None
    rules = {b["rule"] for b in plan["breaches"]}
    assert rules & {"min_population", "max_population"}
    b = next(b for b in plan["breaches"] if b["rule"] in ("min_population", "max_population"))
    assert b["practices"] and all(isinstance(c, str) for c in b["practices"]) and "patients" in b["message"]
    assert not plan["verify"]["ok"] and plan["verify"]["agrees"]


def test_sessions_do_not_see_each_others_edits(client):
    a = client.post("/api/session").json()["session"]
    b = client.post("/api/session").json()["session"]
    plan = client.get("/api/plans/run", headers={"X-Fedplan-Session": a}).json()
    code = plan["federations"][0]["members"][0]
    moved = client.post("/api/plans/run/move", headers={"X-Fedplan-Session": a},
                        json={"practice": code, "federation": other_federation(plan, code)}).json()
    seen_by_b = client.get("/api/plans/run", headers={"X-Fedplan-Session": b}).json()
    assert moved["objective_gbp"] != seen_by_b["objective_gbp"]
    assert seen_by_b["objective_gbp"] == plan["objective_gbp"]


@pytest.mark.parametrize("path, body, status, words", [
    ("/api/plans/run/move", {"practice": "L83002"}, 400, "'federation'"),
    ("/api/plans/run/move", {"practice": "NOPE1", "federation": 1}, 404, "'practice'"),
    ("/api/plans/run/move", {"practice": "L83002", "federation": "three"}, 400, "'federation'"),
    ("/api/plans/run/move", {"practice": "L83002", "federation": 1, "colour": "red"}, 400, "'colour'"),
    ("/api/plans/run/merge", {"federations": [1]}, 400, "'federations'"),
    ("/api/plans/run/pin", {"practices": []}, 400, "'practices'"),
    ("/api/plans/run/save", {"name": "../escape"}, 400, "'name'"),
    ("/api/plans/run/save", {"name": "/etc/passwd"}, 400, "'name'"),
    ("/api/plans/run/optimise", {"time_limit_s": -4}, 400, "'time_limit_s'"),
    ("/api/plans/nope/move", {"practice": "L83002", "federation": 1}, 404, "'id'"),
    ("/api/plans/run/teleport", {}, 404, "teleport"),
    ("/api/jobs/0000", None, 404, "'job'"),
])
def test_bad_requests_are_4xx_json_naming_the_key(client, path, body, status, words):
    r = client.get(path) if body is None else client.post(path, json=body)
    assert r.status_code == status, r.text
    assert words in r.json()["error"] and "Traceback" not in r.text


def test_malformed_bodies_and_unknown_addresses(client):
    r = client.post("/api/plans/run/move", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 400 and "not JSON" in r.json()["error"] and "e.g." in r.json()["error"]
    r = client.post("/api/plans/run/move", json=[1, 2])
    assert r.status_code == 400 and "JSON object" in r.json()["error"]
    r = client.get("/static/../../summary.json")
    assert r.status_code == 404 and "error" in r.json()
    r = client.get("/static/%2e%2e%2fsummary.json")
    assert r.status_code == 404
    assert client.get("/nothing/here").status_code == 404
    assert client.put("/api/plans").status_code == 405


def test_the_page_and_its_assets_come_from_the_package(client):
    r = client.get("/")
    assert r.status_code == 200 and "fedplan_session" in r.headers.get("set-cookie", "")
    assert "default-src 'self'" in r.headers["content-security-policy"]
    for name in ("app.js", "app.css"):
        assert client.get(f"/static/{name}").status_code == 200
    geo = client.get("/api/plans/run/map").json()
    assert len(geo["practices"]) == 10 and geo["sites"] and geo["viewbox"][2] > 0


def test_pins_hold_through_a_background_reoptimisation_and_save(client, tiny_run, tmp_path, capsys):
    plan = client.get("/api/plans/run").json()
    code = plan["federations"][0]["members"][-1]
    target = other_federation(plan, code)
    plan = client.post("/api/plans/run/move", json={"practice": code, "federation": target}).json()
    hub = next(f["hub"] for f in plan["federations"] if f["id"] == target)
    r = client.post("/api/plans/run/pin", json={"practices": [code]})
    assert r.status_code == 200 and code in r.json()["pins"]
    r = client.post("/api/plans/run/optimise", json={"time_limit_s": 20})
    assert r.status_code == 202, r.text
    job = r.json()["job"]
    deadline = time.time() + 120
    while (state := client.get(f"/api/jobs/{job}").json())["state"] == "running" and time.time() < deadline:
        time.sleep(0.5)
    assert state["state"] == "done", state
    new = state["plan"]
    mine = next(f for f in new["federations"] if code in f["members"])
    assert mine["hub"] == hub, "the pinned practice keeps its federation's hub"
    assert new["source"] == "optimised" and new["bound_gbp"] is not None and new["gap"] is not None
    assert new["objective_gbp"] >= plan["bound_gbp"] - 0.01
    price = state["price_of_edits"]
    assert price["gbp"] == pytest.approx(new["objective_gbp"] - plan["compare"]["optimum"]["of_gbp"], abs=0.02)
    assert new["verify"]["agrees"] and new["objective_gbp"] == pytest.approx(
        independent_cost(tiny_run, new), abs=0.01)
    assert client.get("/api/plans/run").json()["objective_gbp"] == new["objective_gbp"]
    # save: a run directory that report and compare read, the edits and pins in its manifest
    r = client.post("/api/plans/run/save", json={"name": "edited"})
    assert r.status_code == 201, r.text
    out = Path(r.json()["run_dir"])
    assert out == (tmp_path / "edited").resolve()
    for name in ("summary.json", "assignment.csv", "make_or_buy.csv", "report.html", "manifest.json"):
        assert (out / name).is_file(), name
    manifest = json.loads((out / "manifest.json").read_text())
    assert [e["op"] for e in manifest["workbench"]["edits"]] == ["move", "pin", "optimise"]
    assert manifest["workbench"]["pins"] == [code]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["verified"] and summary["objective_gbp"] == pytest.approx(new["objective_gbp"], abs=0.01)
    assert client.post("/api/plans/run/save", json={"name": "edited"}).status_code == 409
    assert main(["report", str(out)]) == 0
    assert main(["compare", str(tiny_run), str(out), "--out", str(tmp_path / "cmp"), "--no-maps"]) == 0
    capsys.readouterr()


def test_a_running_job_can_be_cancelled(client):
    from fedplan.serve import jobs

    r = client.post("/api/plans/run/repair", json={"time_limit_s": 60})
    assert r.status_code == 202, r.text
    job = r.json()["job"]
    assert client.post("/api/plans/run/optimise", json={}).status_code == 409    # one solve per session
    r = client.post(f"/api/jobs/{job}/cancel")
    assert r.status_code == 200 and r.json()["state"] == "failed" and r.json()["cancelled"]
    assert client.post(f"/api/jobs/{job}/cancel").status_code == 409
    assert jobs.MAX_RUNNING >= 1


def test_repair_from_todays_pcns_moves_few_practices(client):
    pcns = client.post("/api/plans/run/reset", json={"to": "pcns"}).json()
    assert pcns["source"] == "pcns" and pcns["breaches"]          # 80% of these PCNs are out of bounds
    job = client.post("/api/plans/run/repair", json={"time_limit_s": 20}).json()["job"]
    deadline = time.time() + 120
    while (state := client.get(f"/api/jobs/{job}").json())["state"] == "running" and time.time() < deadline:
        time.sleep(0.5)
    assert state["state"] == "done", state
    assert state["plan"]["breaches"] == [] and state["plan"]["source"] == "repaired"
    assert 0 < state["practices_moved"] < 10


def test_a_token_guards_a_server_off_loopback(plans):
    from starlette.testclient import TestClient

    from fedplan.serve.app import create_app

    with TestClient(create_app(plans, token="s3cret-token")) as c:
        r = c.get("/api/plans")
        assert r.status_code == 401 and "Authorization" in r.json()["error"]
        assert c.get("/api/plans", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert c.get("/api/plans", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
        assert c.get("/").status_code == 401
        page = c.get("/?token=s3cret-token")              # the printed URL: the page keeps it in a cookie
        assert page.status_code == 200
        assert c.get("/static/app.js").status_code == 200
    with TestClient(create_app(plans, allowed_hosts=("127.0.0.1", "localhost"))) as c:
        assert c.get("/api/plans").status_code == 403              # Host: testserver (DNS rebinding)
        assert c.get("/api/plans", headers={"Host": "127.0.0.1:8765"}).status_code == 200


def test_cli_refuses_a_serve_without_a_run(capsys):
    assert main(["serve"]) == 2
    assert "RUN_DIR" in capsys.readouterr().err
