"""The workbench's web application (Starlette): the page, its assets and the JSON API under /api/.

Every answer to a bad request is a 4xx JSON ``{"error": message}`` naming the key and the fix;
an unexpected failure is a 500 with a sentence, its traceback only in the server's log. Files are
served from the package by a fixed list of names, and the only folders written are new run
directories named by a bare folder name (``save``), so nothing the browser sends reaches another
path. Access: on a loopback address anyone on this machine may connect (and the Host header must
be a loopback name, against DNS rebinding); on any other address every request must carry the
token printed at start (``Authorization: Bearer <token>``; the page gets it once from the URL
and keeps it in a same-site cookie so that it can load its own script and styles).
"""
from __future__ import annotations

import contextlib
import hmac
import json
import logging
import re
import time
from importlib import resources
from pathlib import Path

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from fedplan.inputs.errors import InputError

from . import edits as ed
from .errors import ApiError, bad
from .jobs import Jobs
from .save import save_plan
from .score import halves, pick_hub, score
from .session import Sessions, Workbench
from .solve import answer_state, moved_count, optimise_payload, price_of_edits, repair_payload, time_limit
from .workspace import LoadedPlan

log = logging.getLogger("fedplan.serve")
SESSION_COOKIE, TOKEN_COOKIE, SESSION_HEADER = "fedplan_session", "fedplan_token", "x-fedplan-session"
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
MAX_BODY = 1 << 20
ASSETS = {"app.js": "text/javascript; charset=utf-8", "app.css": "text/css; charset=utf-8"}
SECURITY_HEADERS = {
    # the page runs only its own script and fetches only this server: nothing from outside, ever
    "content-security-policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "x-content-type-options": "nosniff", "referrer-policy": "no-referrer", "cache-control": "no-store",
}
# which body keys each edit takes; anything else is refused by name
KEYS = {"move": {"practice", "federation"}, "hub": {"federation", "practice"}, "merge": {"federations"},
        "split": {"federation", "practices"}, "exclude": {"practice"}, "include": {"practice", "federation"},
        "undo": set(), "redo": set(), "reset": {"to"}, "optimise": {"time_limit_s"}, "repair": {"time_limit_s"},
        "save": {"name"}, "pin": {"practices", "federation", "pairs"}, "unpin": {"practices", "federation", "pairs",
                                                                                  "all"}}
EXAMPLES = {"move": '{"practice": "L83002", "federation": 3}', "hub": '{"federation": 3, "practice": "L83002"}',
            "merge": '{"federations": [3, 7]}', "split": '{"federation": 3}', "exclude": '{"practice": "L83002"}',
            "include": '{"practice": "L83002", "federation": 3}', "reset": '{"to": "run"}',
            "optimise": '{"time_limit_s": 60}', "repair": '{"time_limit_s": 60}', "save": '{"name": "devon-edited"}',
            "pin": '{"practices": ["L83002"]}', "unpin": '{"all": true}', "undo": "{}", "redo": "{}"}


def _asset(name: str) -> bytes:
    return resources.files("fedplan.serve").joinpath("static", name).read_bytes()


def _json(data, status: int = 200) -> JSONResponse:
    return JSONResponse(data, status_code=status, headers=SECURITY_HEADERS)


class WorkbenchApp:
    """The application's state: loaded plans, sessions, jobs; the handlers below use it."""

    def __init__(self, plans: dict[str, LoadedPlan], token: str | None, save_dir: Path | None,
                 allowed_hosts: tuple[str, ...] | None):
        self.sessions = Sessions(plans)
        self.jobs = Jobs()
        self.token, self.save_dir, self.allowed_hosts = token, save_dir, allowed_hosts

    # ---------------------------------------------------------------- request plumbing

    def check_access(self, request: Request) -> None:
        if self.allowed_hosts is not None:
            host = (request.headers.get("host") or "").rsplit(":", 1)[0].strip("[]").lower()
            if host not in self.allowed_hosts:
                raise ApiError(403, f"'Host': {host!r} is not this server's address; open the URL the server "
                                    "printed.")
        if self.token is None:
            return
        given = ""
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            given = auth[7:].strip()
        elif request.url.path == "/" and request.query_params.get("token"):
            given = request.query_params["token"]
        else:
            given = request.cookies.get(TOKEN_COOKIE, "")
        if not given or not hmac.compare_digest(given.encode(), self.token.encode()):
            raise ApiError(401, "'Authorization': this server needs its token: send 'Authorization: Bearer <token>' "
                                "(the token the server printed at start), or open the URL it printed.")

    @staticmethod
    def session_id(request: Request) -> str:
        sid = request.headers.get(SESSION_HEADER) or request.cookies.get(SESSION_COOKIE)
        if sid is None:
            return "default"
        if not SESSION_ID.match(sid):
            raise bad(f"'{SESSION_HEADER}': a session id is 8-64 letters, digits, '-' or '_'; POST /api/session "
                      "gives one, or send none.")
        return sid

    @staticmethod
    async def body(request: Request, op: str) -> dict:
        raw = await request.body()
        if len(raw) > MAX_BODY:
            raise ApiError(413, "the request body is over 1 MB; send only the keys of the edit.")
        if not raw.strip():
            data = {}
        else:
            try:
                data = json.loads(raw)
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise bad(f"the body is not JSON ({exc}); send e.g. {EXAMPLES.get(op, '{}')}.") from None
        if not isinstance(data, dict):
            raise bad(f"the body must be a JSON object, e.g. {EXAMPLES.get(op, '{}')}.")
        unknown = sorted(set(data) - KEYS.get(op, set()))
        if unknown:
            allowed = ", ".join(f"'{k}'" for k in sorted(KEYS.get(op, set()))) or "no keys"
            raise bad(f"unknown key '{unknown[0]}' for {op}; it takes {allowed}, e.g. {EXAMPLES.get(op, '{}')}.")
        return data

    # ---------------------------------------------------------------- the plan answers

    def scored(self, bench: Workbench, started: float | None = None) -> dict:
        out = score(bench.plan, bench.state)
        out["can"] = bench.can()
        out["edits"] = len(bench.edits())
        if started is not None:
            out["latency_ms"] = round(1000 * (time.perf_counter() - started), 1)
        return out

    def apply(self, bench: Workbench, op: str, data: dict) -> dict:
        started = time.perf_counter()
        with bench.lock:
            st = bench.state
            model = bench.plan.model(st.excluded)
            hub_of = lambda ms: pick_hub(model, ms)   # noqa: E731
            if op == "move":
                for k in ("practice", "federation"):
                    if k not in data:
                        raise bad(f"missing key '{k}'; send e.g. {EXAMPLES['move']}.")
                new = ed.move(st, data["practice"], data["federation"], hub_of)
            elif op == "hub":
                new = ed.set_hub(st, data.get("federation"), data.get("practice"))
            elif op == "merge":
                new = ed.merge(st, data.get("federations"), hub_of)
            elif op == "split":
                new = ed.split(st, data.get("federation"), data.get("practices"), hub_of,
                               lambda ms: halves(model, ms))
            elif op == "exclude":
                new = ed.leave_out(st, data.get("practice"), hub_of)
            elif op == "include":
                new = ed.include(st, data.get("practice"), data.get("federation"))
            elif op in ("pin", "unpin"):
                new = ed.pin(st, data, on=op == "pin")
            elif op == "reset":
                new = self.reset(bench, data.get("to", "run"))
            elif op == "undo":
                bench.undo()
                return self.scored(bench, started)
            elif op == "redo":
                bench.redo()
                return self.scored(bench, started)
            else:
                raise ApiError(404, f"there is no edit {op!r}; use one of {', '.join(sorted(KEYS))}.")
            if new.excluded != st.excluded:
                bench.plan.model(new.excluded)        # a new participant set: rebuild its model first
            bench.push(new)
            return self.scored(bench, started)

    @staticmethod
    def reset(bench: Workbench, to) -> ed.PlanState:
        """Back to the run's plan, or to today's PCNs (the practices left out stay out)."""
        plan, st = bench.plan, bench.state
        if to == "run":
            return ed.PlanState(dict(plan.start_assignment), dict(plan.start_hubs), pins=st.pins, pairs=st.pairs,
                                edit={"op": "reset", "to": "run"})
        if to == "pcns":
            model = plan.model(st.excluded)
            groups = sorted(set(model.baseline.groups))
            fid = {g: k + 1 for k, g in enumerate(groups)}
            assignment = {c: fid[g] for c, g in zip(model.practices.code, model.baseline.groups)}
            return ed.PlanState(assignment, {fid[g]: model.baseline.hubs[g] for g in groups}, excluded=st.excluded,
                                pins=frozenset(), pairs=(), source="pcns", edit={"op": "reset", "to": "pcns"})
        raise bad(f"'to' must be \"run\" (the loaded plan) or \"pcns\" (today's PCNs), not {to!r}.")

    def start_job(self, session: str, bench: Workbench, kind: str, data: dict) -> dict:
        limit = time_limit(data)
        with bench.lock:
            state = bench.state
            make = optimise_payload if kind == "optimise" else repair_payload
            payload = make(bench.plan, state, limit)

        def on_done(job) -> dict:
            new = answer_state(bench.plan, state, job.id, kind, job.result)
            with bench.lock:
                bench.push(new)
                out = self.scored(bench)
            if kind == "optimise":
                job.extra["price_of_edits"] = out["price_of_edits"] = price_of_edits(bench.plan, state, job.result)
            else:
                model = bench.plan.model(new.excluded)
                job.extra["practices_moved"] = out["practices_moved"] = moved_count(model, new)
            return out

        job = self.jobs.start(session, bench.plan.id, kind, payload, on_done)
        return {"job": job.id, **job.as_dict()}


def create_app(plans: dict[str, LoadedPlan], *, token: str | None = None, save_dir: Path | None = None,
               allowed_hosts: tuple[str, ...] | None = None) -> Starlette:
    """The ASGI application over ``plans`` (``workspace.load_plans``). ``token``: required on every
    request when given. ``save_dir``: where saved runs go (default: beside each source run).
    ``allowed_hosts``: Host header names accepted (None: any)."""
    wb = WorkbenchApp(plans, token, save_dir, allowed_hosts)

    async def page(request: Request) -> Response:
        wb.check_access(request)
        resp = Response(_asset("index.html"), media_type="text/html; charset=utf-8", headers=SECURITY_HEADERS)
        sid = request.cookies.get(SESSION_COOKIE)
        if sid is None or not SESSION_ID.match(sid):
            # every browser gets its own session: its edits are its own
            resp.set_cookie(SESSION_COOKIE, Sessions.new_id(), httponly=True, samesite="strict")
        if wb.token and request.query_params.get("token"):
            resp.set_cookie(TOKEN_COOKIE, wb.token, httponly=True, samesite="strict")
        return resp

    async def asset(request: Request) -> Response:
        wb.check_access(request)
        name = request.path_params["name"]
        if name not in ASSETS:
            raise ApiError(404, f"no such file {name!r}; the page needs only {', '.join(ASSETS)}.")
        return Response(_asset(name), media_type=ASSETS[name], headers=SECURITY_HEADERS)

    async def list_plans(request: Request) -> Response:
        wb.check_access(request)
        return _json([{"id": p.id, "name": p.name} for p in wb.sessions.plans.values()])

    async def get_plan(request: Request) -> Response:
        wb.check_access(request)
        bench = wb.sessions.bench(wb.session_id(request), request.path_params["id"])
        return _json(await run_in_threadpool(wb.scored, bench, time.perf_counter()))

    async def get_map(request: Request) -> Response:
        wb.check_access(request)
        plan = wb.sessions.plan(request.path_params["id"])
        return _json(await run_in_threadpool(plan.geometry))

    async def get_federation(request: Request) -> Response:
        wb.check_access(request)
        bench = wb.sessions.bench(wb.session_id(request), request.path_params["id"])
        raw = request.path_params["fid"]
        if not raw.isdigit() or int(raw) not in bench.state.hubs:
            raise ApiError(404, f"'federation': there is no federation {raw!r} in this plan.")
        fid = int(raw)
        model = bench.plan.model(bench.state.excluded)
        members = bench.state.members(fid)
        pop = int(sum(int(model.practices.list_size[model.index[c]]) for c in members))
        mob = model.make_or_buy(pop).as_dict() if model.scenario.makebuy.joint else None
        return _json({"id": fid, "population": pop, "hub": bench.state.hubs[fid], "members": members,
                      "make_or_buy": mob})

    async def edit(request: Request) -> Response:
        wb.check_access(request)
        op = request.path_params["op"]
        if op not in KEYS:
            raise ApiError(404, f"there is no action {op!r}; use one of {', '.join(sorted(KEYS))}.")
        sid = wb.session_id(request)
        bench = wb.sessions.bench(sid, request.path_params["id"])
        data = await wb.body(request, op)
        if op in ("optimise", "repair"):
            return _json(await run_in_threadpool(wb.start_job, sid, bench, op, data), 202)
        if op == "save":
            if "name" not in data:
                raise bad(f"missing key 'name'; send e.g. {EXAMPLES['save']}.")
            with bench.lock:
                state, done = bench.state, bench.edits()
            where = wb.save_dir or (bench.plan.path.parent if bench.plan.path else Path.cwd())
            out = await run_in_threadpool(save_plan, bench.plan, state, done, data["name"], where)
            return _json({"run_dir": str(out)}, 201)
        return _json(await run_in_threadpool(wb.apply, bench, op, data))

    async def get_job(request: Request) -> Response:
        wb.check_access(request)
        return _json(wb.jobs.get(request.path_params["job"], wb.session_id(request)).as_dict())

    async def cancel_job(request: Request) -> Response:
        wb.check_access(request)
        job = await run_in_threadpool(wb.jobs.cancel, request.path_params["job"], wb.session_id(request))
        return _json(job.as_dict())

    async def new_session(request: Request) -> Response:
        wb.check_access(request)
        sid = Sessions.new_id()
        resp = _json({"session": sid}, 201)
        resp.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="strict")
        return resp

    async def api_error(request: Request, exc: ApiError) -> Response:
        return _json({"error": exc.message}, exc.status)

    async def http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 404:
            msg = f"no such address: {request.method} {request.url.path}; the API is under /api/ (GET /api/plans)."
        elif exc.status_code == 405:
            msg = f"{request.method} is not accepted at {request.url.path}; reads are GET, edits are POST."
        else:
            msg = str(exc.detail)
        return _json({"error": msg}, exc.status_code)

    async def input_error(request: Request, exc: InputError) -> Response:
        # e.g. leaving out a practice the scenario names in a rule: the message names file, key and fix
        return _json({"error": str(exc)}, 422)

    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("fedplan serve: %s %s failed", request.method, request.url.path)
        return _json({"error": f"the server could not do this ({type(exc).__name__}); the server log has the "
                               "details. The plan was not changed."}, 500)

    routes = [
        Route("/", page), Route("/static/{name}", asset),
        Route("/api/plans", list_plans), Route("/api/plans/{id}", get_plan),
        Route("/api/plans/{id}/map", get_map), Route("/api/plans/{id}/federations/{fid}", get_federation),
        Route("/api/plans/{id}/{op}", edit, methods=["POST"]),
        Route("/api/jobs/{job}", get_job), Route("/api/jobs/{job}/cancel", cancel_job, methods=["POST"]),
        Route("/api/session", new_session, methods=["POST"]),
    ]
    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        wb.jobs.shutdown()          # no solver outlives the server

    app = Starlette(routes=routes, exception_handlers={ApiError: api_error, HTTPException: http_error,
                                                       InputError: input_error, Exception: server_error},
                    lifespan=lifespan)
    app.state.workbench = wb
    return app
