"""The `fedplan` command. Exit codes: 0 plan written, 1 solver error (no plan), 2 bad input,
3 the rules cannot be met (explained in words), 4 the plan failed independent verification (the
run directory is written with status "error" and the reasons; `bench` prints them in its JSON)."""
from __future__ import annotations

import argparse
import json
import math
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

EXIT_OK, EXIT_ERROR, EXIT_INPUT, EXIT_INFEASIBLE = 0, 1, 2, 3
EXIT_UNVERIFIED = 4   # a plan was written but failed independent verification


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="fedplan", description="Plan GP federations with proven bounds.")
    sub = ap.add_subparsers(dest="command", required=True)

    p = sub.add_parser("plan", help="plan federations for an area and write a run directory")
    p.add_argument("scenario", nargs="?", help="scenario TOML (default: Devon ICB with default rules)")
    p.add_argument("--out", help="run directory to create (default: ./fedplan-run-<area>-<time>)")
    area = p.add_mutually_exclusive_group()
    area.add_argument("--icb", help="plan this ICB (code, e.g. QJK); `fedplan data` lists them")
    area.add_argument("--sub-icb", dest="sub_icb", help="plan this sub-ICB location (code, e.g. 15N)")
    area.add_argument("--region", help="plan this NHS region (code, e.g. Y58), ICB by ICB in parallel")
    area.add_argument("--england", action="store_true",
                      help="plan all of England, ICB by ICB (sub-ICB by sub-ICB with nest_within = sub_icb) in parallel")
    p.add_argument("--exclude", help="comma-separated practice codes to leave out (opted out), e.g. E85124")
    p.add_argument("--solver", choices=["cbc", "cpsat", "highs", "scip"], help="override [solve] solver")
    p.add_argument("--method", choices=["branch_price", "compact"],
                   help="override [solve] method: branch_price (default; column generation with branching, "
                        "the solver settles the set-partitioning IPs) or compact (the assignment MIP)")
    p.add_argument("--time-limit", dest="time_limit", type=float, help="override [solve] time_limit_s")
    p.add_argument("--work-limit", dest="work_limit", type=float,
                   help="override [solve] work_limit: stop after this much deterministic work (units of about "
                        "a second on the reference machine) so that the run repeats exactly; the time limit "
                        "then only caps the wall time")
    p.add_argument("--seed", type=int, help="override [solve] seed")
    p.add_argument("--threads", type=int, help="override [solve] threads")
    p.add_argument("--scheduler", help="Dask scheduler for --england / --region parts, tcp://HOST:PORT "
                                       "(default: a local cluster)")
    p.add_argument("--workers", type=int, help="local cluster worker processes for the parts (default: one per core)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing run directory")
    p.add_argument("--quiet", action="store_true", help="no progress output")

    v = sub.add_parser("validate", help="check a scenario and its input files without solving")
    v.add_argument("scenario")

    mb = sub.add_parser("makebuy", help="what should one federation of N patients make or buy?")
    mb.add_argument("--population", type=int, required=True, help="registered patients of the federation")
    mb.add_argument("--catalogue", help="service catalogue CSV (default: the shipped, sourced catalogue)")
    mb.add_argument("--shared-hub-cost", dest="shared_hub_cost", type=float, default=0.0,
                    help="£/yr paid once if any clinical service is in-house (default 0)")
    mb.add_argument("--max-inhouse", dest="max_inhouse", type=int,
                    help="cap on the number of services run in-house")
    mb.add_argument("--staffing", choices=("teams", "sessions"), default="teams",
                    help="in-house staffing: whole teams (default), or sessions for person-only services")
    mb.add_argument("--json", action="store_true")

    b = sub.add_parser("bench", help="solve a standard capacitated p-median instance, print JSON")
    b.add_argument("file")
    b.add_argument("--format", required=True, choices=["orlib-pmedcap", "lorena-senne"])
    b.add_argument("--solver", choices=["cbc", "cpsat", "highs", "scip"], default="cbc",
                   help="MIP solver for the set-partitioning IPs of branch and price (default cbc)")
    b.add_argument("--method", choices=["branch_price", "compact"], default="branch_price",
                   help="branch_price (default) or compact (the assignment MIP, solved by --solver)")
    b.add_argument("--time-limit", dest="time_limit", type=float, default=300.0)
    b.add_argument("--work-limit", dest="work_limit", type=float,
                   help="stop on deterministic work instead of time (repeatable); --time-limit caps the wall time")
    b.add_argument("--seed", type=int, default=0)

    r = sub.add_parser("report", help="re-draw report.html from an existing run directory (does not solve)")
    r.add_argument("run_dir")
    r.add_argument("--out", help="write the report here instead of replacing RUN_DIR/report.html")

    c = sub.add_parser("compare", help="compare run directories side by side: comparison.html + plan_scores.csv")
    c.add_argument("run_dirs", nargs="+", metavar="RUN_DIR")
    c.add_argument("--out", help="folder to create (default: ./fedplan-compare-<time>)")
    c.add_argument("--overwrite", action="store_true", help="replace an existing comparison folder")
    c.add_argument("--no-maps", dest="maps", action="store_false",
                   help="skip the maps (they re-read each run's practice data)")

    sw = sub.add_parser("sweep", help="plan a grid of scenarios (resumable), with plan_scores.csv and a comparison")
    sw.add_argument("sweep_file", metavar="SWEEP.toml")
    sw.add_argument("--out", help="folder for the runs (default: ./fedplan-sweep-<sweep file name>)")
    sw.add_argument("--scheduler", help="an existing Dask scheduler, tcp://HOST:PORT (default: a local cluster)")
    sw.add_argument("--workers", type=int, help="local cluster worker processes (default: one per core)")
    sw.add_argument("--no-maps", dest="maps", action="store_false", help="no maps in comparison.html")
    sw.add_argument("--quiet", action="store_true", help="no progress bar")

    se = sub.add_parser("sensitivity", help="which figures carry the saving: tornado, Monte Carlo draws, stability "
                                            "and the robust plan (resumable)")
    se.add_argument("scenario", nargs="?", help="scenario TOML (default: Devon ICB with default rules)")
    se.add_argument("--out", help="folder for the results (default: ./fedplan-sensitivity-<area>)")
    se.add_argument("--draws", type=int, help="Monte Carlo draws (default 40; 0: the tornado only)")
    se.add_argument("--work-limit", dest="work_limit", type=float,
                    help="work units per re-solve (default 2: Devon's whole default run fits in 30 minutes on 2 cores)")
    se.add_argument("--seed", type=int, default=0, help="seed of the draws (default 0); the same seed, the same draws")
    se.add_argument("--figures", help="comma-separated figure keys to vary (default: every figure that applies), "
                                      "e.g. risk.risk_share,costs.federation_fixed_gbp")
    se.add_argument("--ranges", help="figure ranges CSV (default: the shipped figure_ranges.csv)")
    se.add_argument("--scheduler", help="an existing Dask scheduler, tcp://HOST:PORT (default: a local cluster)")
    se.add_argument("--workers", type=int, help="local cluster worker processes (default: one per core)")
    se.add_argument("--overwrite", action="store_true",
                    help="recompute finished tasks in --out that were computed with other settings")
    se.add_argument("--quiet", action="store_true", help="no progress output")

    sv = sub.add_parser("serve", help="the planner's workbench: edit a plan in the browser, re-scored at once")
    sv.add_argument("run_dirs", nargs="*", metavar="RUN_DIR", help="run directories written by `fedplan plan`")
    sv.add_argument("--host", default="127.0.0.1",
                    help="address to listen on (default 127.0.0.1; any other needs the token printed at start)")
    sv.add_argument("--port", type=int, default=8765, help="TCP port (default 8765; 0: any free port)")
    sv.add_argument("--save-dir", dest="save_dir", help="folder for saved runs (default: beside each source run)")

    d = sub.add_parser("data", help="list the ICBs and sub-ICBs shipped, with practices and patients")
    d.add_argument("--level", choices=["icb", "sub_icb", "all"], default="all")
    d.add_argument("--json", action="store_true")
    return ap


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    from fedplan.inputs.errors import InputError
    from fedplan.optimise import ProblemInfeasible

    try:
        if args.command == "plan":
            return _plan(args, argv)
        if args.command == "validate":
            return _validate(args)
        if args.command == "data":
            return _data(args)
        if args.command == "makebuy":
            return _makebuy(args)
        if args.command == "bench":
            return _bench(args)
        if args.command == "report":
            return _report(args)
        if args.command == "compare":
            return _compare(args)
        if args.command == "sweep":
            return _sweep(args)
        if args.command == "sensitivity":
            return _sensitivity(args)
        if args.command == "serve":
            from .serve.server import serve

            return serve([Path(p) for p in args.run_dirs], args.host, args.port,
                         Path(args.save_dir) if args.save_dir else None)
    except InputError as exc:
        print(f"fedplan: error: {exc}", file=sys.stderr)
        return EXIT_INPUT
    except ProblemInfeasible as exc:
        print("fedplan: no plan can meet these rules:", file=sys.stderr)
        for reason in exc.reasons:
            print(f"  - {reason}", file=sys.stderr)
        return EXIT_INFEASIBLE
    except KeyboardInterrupt:
        print("fedplan: interrupted; nothing was written.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader of our output went away (`fedplan plan | head -1`): the run directory is
        # complete; say nothing more to a pipe that is gone
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except OSError as exc:
        # an unwritable --out, a folder that vanished, a full disk: the staging folder is already
        # removed, so say which path and why, not a traceback
        where = exc.filename or "a file"
        print(f"fedplan: error: {where}: {exc.strerror or exc}. Fix: check that the folder exists, that you "
              "may write there and that the disk has space; no partial output was left.", file=sys.stderr)
        return EXIT_INPUT
    return EXIT_ERROR


def _scenario_from_args(args):
    from fedplan.inputs import load_scenario
    from fedplan.inputs.model import AreaSpec, Scenario

    sc = load_scenario(Path(args.scenario)) if args.scenario else Scenario()
    if args.icb or args.sub_icb or args.region or args.england:
        sc = replace(sc, area=AreaSpec(icb=args.icb.upper() if args.icb else None,
                                       sub_icb=args.sub_icb.upper() if args.sub_icb else None,
                                       region=args.region.upper() if args.region else None,
                                       england=bool(args.england), exclude=sc.area.exclude))
    if args.exclude:
        extra = tuple(c.strip().upper() for c in args.exclude.split(",") if c.strip())
        sc = replace(sc, area=replace(sc.area, exclude=tuple(dict.fromkeys(sc.area.exclude + extra))))
    solve = sc.solve
    for flag, key in (("solver", "solver"), ("time_limit", "time_limit_s"), ("seed", "seed"), ("threads", "threads"),
                      ("method", "method"), ("work_limit", "work_limit")):
        val = getattr(args, flag)
        if val is not None:
            solve = replace(solve, **{key: val})
    from fedplan.inputs.errors import InputError

    if solve.time_limit_s <= 0:
        raise InputError("--time-limit must be positive.", fix="give seconds, e.g. --time-limit 120.")
    if solve.threads < 1:
        raise InputError("--threads must be at least 1.", fix="e.g. --threads 1.")
    _check_work_limit(solve.work_limit, solve.solver)
    return replace(sc, solve=solve)


def _check_work_limit(work_limit, solver: str) -> None:
    from fedplan.inputs.errors import InputError
    from fedplan.inputs.scenario import check_work_limit

    if work_limit is None:
        return
    if not (work_limit > 0) or work_limit > 1e9:
        raise InputError(f"--work-limit must be a positive number of work units, not {work_limit:g}.",
                         fix="e.g. --work-limit 60 (about a minute of work on the reference machine).")
    check_work_limit(solver, "--work-limit")


class _Ticker:
    """A progress bar over the solver's budget (seconds, or work units under a work limit), so a
    long solve visibly moves."""

    def __init__(self, seconds: float, enabled: bool, work_limit: float | None = None):
        self.seconds, self.enabled, self.work_limit = seconds, enabled, work_limit
        self._stop = threading.Event()
        self._thread = None

    def __enter__(self):
        if self.enabled:
            from tqdm import tqdm

            def tick():
                if self.work_limit is not None:
                    from fedplan.optimise.clock import latest

                    total, unit, desc = math.ceil(self.work_limit), "unit", "solving (work budget)"
                    done = lambda: 0.0 if latest() is None else latest().work   # noqa: E731
                else:
                    total, unit, desc = int(self.seconds), "s", "solving (time budget)"
                    t0 = time.monotonic()
                    done = lambda: time.monotonic() - t0   # noqa: E731
                with tqdm(total=total, unit=unit, desc=desc, leave=False, file=sys.stderr) as bar:
                    while not self._stop.wait(1.0):
                        bar.n = min(total, int(done()))
                        bar.refresh()

            self._thread = threading.Thread(target=tick, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=2)


def _plan(args, argv) -> int:
    from . import api
    from .output import check_out_dir, staging, write_run
    from .problem import load_practices

    started = time.time()
    sc = _scenario_from_args(args)
    out = Path(args.out) if args.out else Path(
        f"fedplan-run-{_slug(sc.area.describe())}-{time.strftime('%Y%m%d-%H%M%S')}")
    check_out_dir(out.resolve(), args.overwrite)
    say = (lambda m: None) if args.quiet else (lambda m: print(f"fedplan: {m}", file=sys.stderr))
    if sc.area.england or sc.area.region:
        from .national import PartsFailed, is_national, plan_national

        scheduler = _dask_options(args)
        if is_national(sc, load_practices(sc)):
            if args.overwrite and out.exists():
                from fedplan.inputs.errors import InputError

                raise InputError("--overwrite is not supported for national runs.", file=str(out),
                                 fix="choose a new --out.")
            # a part's bad input (InputError, exit 2) or rules that cannot be met (ProblemInfeasible,
            # exit 3) propagate to main(); a part without a plan is exit 1; nothing is written then
            try:
                summary = plan_national(sc, out, ["fedplan", *argv], scheduler=scheduler, workers=args.workers,
                                        progress=not args.quiet, say=say)
            except PartsFailed as exc:
                print("fedplan: no plan: the solver produced no plan for part of the area; nothing was written:",
                      file=sys.stderr)
                for reason in exc.reasons:
                    print(f"  - {reason}", file=sys.stderr)
                return EXIT_ERROR
            _print_summary(summary, out)
            if not summary["verified"]:
                print("fedplan: WARNING: the merged plan failed verification: "
                      + "; ".join(summary.get("verification_problems") or []), file=sys.stderr)
                return EXIT_UNVERIFIED
            return EXIT_OK
    try:
        with staging(out, args.overwrite) as tmp:
            with _Ticker(sc.solve.time_limit_s, not args.quiet and sys.stderr.isatty(), sc.solve.work_limit):
                run = api.run(sc, log_path=tmp / "solver.log", on_stage=say)
            if not run.result.has_plan:
                # An honest failure: no plan, so no run directory pretending otherwise.
                raise _NoPlan(run)
            say("writing run directory")
            summary = write_run(run, tmp, ["fedplan", *argv], started)
    except _NoPlan as exc:
        res = exc.args[0].result
        print(f"fedplan: no plan: {res.status}: {res.message}", file=sys.stderr)
        return EXIT_INFEASIBLE if str(res.status) == "infeasible" else EXIT_ERROR
    _print_summary(summary, out)
    if not run.verification.ok:
        print(f"fedplan: the plan failed independent verification; {out} is written with status error and "
              "these reasons:", file=sys.stderr)
        for reason in run.verification.problems:
            print(f"  - {reason}", file=sys.stderr)
        return EXIT_UNVERIFIED
    return EXIT_OK


class _NoPlan(Exception):
    pass


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-")[:40] or "area"


def _print_summary(s: dict, out: Path) -> None:
    status = s["status"]
    gap = s.get("gap")
    proof = "proven optimal" if status == "optimal" else "FAILED VERIFICATION" if status == "error" else (
        f"feasible, within {gap:.2%} of optimal" if gap is not None else "feasible, gap unknown")
    if status == "feasible" and s.get("within_requested_gap") and s.get("requested_gap"):
        proof += f", the requested {s['requested_gap']:.2%} met"
    bound = "no bound" if s.get("bound_gbp") is None else f"bound £{s['bound_gbp']:,.0f}"
    print(f"{s['area']}: {s['n_practices']} practices, {s['population']:,} patients -> "
          f"{s['n_federations']} federations; cost £{s['objective_gbp']:,.0f}/yr ({proof}; {bound}).")
    b = s["baseline"]
    print(f"Today's {b['n_federations']} PCNs cost £{b['objective_gbp']:,.0f}/yr under the same model "
          f"({b['in_range_share']:.0%} within {s['bounds']['min_population']:,}-{s['bounds']['max_population']:,}).")
    print(f"Written to {out}/ (report.html, summary.json, assignment.csv, make_or_buy.csv, federations.gpkg, "
          "manifest.json).")


def _validate(args) -> int:
    from fedplan.inputs import load_scenario

    from .problem import build_problem, check_supported, load_outline, load_practices

    sc = load_scenario(Path(args.scenario))
    check_supported(sc)
    practices = load_practices(sc)
    if sc.inputs.catalogue is not None:
        from fedplan.inputs import read_catalogue

        read_catalogue(sc.inputs.catalogue)
    from fedplan.optimise.diagnose import diagnose

    from fedplan import geo
    load_outline(practices, sc)
    problem = build_problem(practices, sc, geo.distance_km(practices))   # reads and checks travel_times
    reasons = diagnose(problem, practices.name)
    print(f"{args.scenario}: OK — {sc.area.describe()}: {len(practices)} practices, "
          f"{practices.population:,} patients; bounds {sc.bounds.min_population:,}-{sc.bounds.max_population:,}; "
          f"solver {sc.solve.solver}, time limit {sc.solve.time_limit_s:g}s.")
    if reasons:
        from fedplan.optimise import ProblemInfeasible

        raise ProblemInfeasible(reasons)
    return EXIT_OK


def _bench(args) -> int:
    from fedplan.inputs.cpmp import read_cpmp
    from fedplan.inputs.errors import InputError
    from fedplan.optimise.cpmp import bench_json, cpmp_problem, solve_cpmp

    inst = read_cpmp(Path(args.file), args.format)
    try:
        problem = cpmp_problem(inst.ids, inst.demand, inst.capacity, inst.distances(), inst.p)
    except ValueError as exc:
        raise InputError(str(exc), file=args.file, fix="give every point the same capacity.") from None
    _check_work_limit(args.work_limit, args.solver)
    res = solve_cpmp(problem, args.solver, time_limit_s=args.time_limit, seed=args.seed, method=args.method,
                     work_limit=args.work_limit)
    out = bench_json(problem, res, instance=(Path(args.file), args.format))
    print(json.dumps(out, indent=1))
    if not res.has_plan:
        return EXIT_INFEASIBLE if str(res.status) == "infeasible" else EXIT_ERROR
    if not out["verified"]:
        print("fedplan: the answer failed independent verification:", file=sys.stderr)
        for reason in out["verification_problems"]:
            print(f"  - {reason}", file=sys.stderr)
        return EXIT_UNVERIFIED
    return EXIT_OK


def _makebuy(args) -> int:
    from fedplan.inputs import read_catalogue
    from fedplan.inputs.errors import InputError
    from fedplan.optimise.makebuy import make_or_buy

    if args.population <= 0:
        raise InputError(f"--population must be a positive number of patients, not {args.population}.",
                         fix="e.g. --population 50000.")
    if args.max_inhouse is not None and args.max_inhouse < 0:
        raise InputError("--max-inhouse cannot be negative.", fix="e.g. --max-inhouse 5, or leave it out.")
    if args.shared_hub_cost < 0:
        raise InputError("--shared-hub-cost cannot be negative.", fix="give £ per year, e.g. 50000.")
    from dataclasses import replace as _replace

    from fedplan.inputs import staffed
    from fedplan.inputs.model import MakeBuySpec

    cat = read_catalogue(Path(args.catalogue) if args.catalogue else None)
    cat = staffed(cat, _replace(MakeBuySpec(), staffing=getattr(args, "staffing", "teams")), "--staffing")
    plan = make_or_buy(cat, args.population, shared_hub_cost=args.shared_hub_cost, max_inhouse=args.max_inhouse)
    d = plan.as_dict()
    if args.json:
        print(json.dumps(d, indent=2))
        return EXIT_OK
    print(f"One federation of {plan.population:,} patients ({cat.source}):")
    print(f"{'service':30s} {'mode':8s} {'£/yr':>12s} {'break-even':>12s}")
    for s in plan.services:
        be = "never" if s.break_even_population is None else f"{s.break_even_population:,}"
        if s.break_even_population is not None and not s.break_even_monotone:
            be += "*"
        print(f"{s.service:30s} {s.mode:8s} {s.cost_gbp:12,.0f} {be:>12s}")
    if plan.shared_hub_gbp:
        print(f"{'shared clinical hub':30s} {'':8s} {plan.shared_hub_gbp:12,.0f}")
    print(f"{'total':30s} {'':8s} {plan.total_gbp:12,.0f}")
    if any(not s.break_even_monotone for s in plan.services):
        print("* in-house wins from this size but loses again just after some team steps (non-monotone).")
    return EXIT_OK


def _report(args) -> int:
    from .report import rerender

    path, changed = rerender(Path(args.run_dir), Path(args.out) if args.out else None)
    for c in changed:
        print(f"fedplan: caution: {c}.", file=sys.stderr)
    print(f"Report written to {path} (nothing was solved).")
    return EXIT_OK


def _compare(args) -> int:
    from .report import compare

    out = Path(args.out) if args.out else Path(f"fedplan-compare-{time.strftime('%Y%m%d-%H%M%S')}")
    compare([Path(p) for p in args.run_dirs], out, overwrite=args.overwrite, maps=args.maps)
    print(f"Comparison of {len(args.run_dirs)} runs written to {out}/ (comparison.html, plan_scores.csv).")
    return EXIT_OK


def _dask_options(args) -> str | None:
    """--workers and --scheduler, checked; returns the scheduler address (or None)."""
    from fedplan.inputs.errors import InputError
    from fedplan.inputs.scenario import check_scheduler

    if args.workers is not None and args.workers < 1:
        raise InputError("--workers must be at least 1.", fix="e.g. --workers 2, or leave it out.")
    return None if args.scheduler is None else check_scheduler(args.scheduler, "--scheduler")


def _sweep(args) -> int:
    from .sweep import run_sweep

    scheduler = _dask_options(args)
    src = Path(args.sweep_file)
    out = Path(args.out) if args.out else Path(f"fedplan-sweep-{_slug(src.stem)}")
    r = run_sweep(src, out, scheduler=scheduler, workers=args.workers, progress=not args.quiet,
                  maps=args.maps)
    print(f"Sweep {src.name}: {len(r['done'])} planned now, {len(r['skipped'])} already done, "
          f"{len(r['failed'])} without a plan. Written to {out}/ (one folder per scenario, plan_scores.csv, "
          "comparison.html).")
    for name, status, message in r["failed"]:
        print(f"  {name}: {status}: {message}", file=sys.stderr)
    return EXIT_OK if not r["failed"] else EXIT_ERROR


def _sensitivity(args) -> int:
    from fedplan.inputs.errors import InputError

    from .sensitivity import DEFAULT_DRAWS, DEFAULT_WORK_LIMIT, NoBasePlan, run_sensitivity

    scheduler = _dask_options(args)
    figures = None
    if args.figures is not None:
        figures = tuple(dict.fromkeys(f.strip() for f in args.figures.split(",") if f.strip()))
        if not figures:
            raise InputError("--figures names no figure.",
                             fix="give comma-separated keys, e.g. --figures risk.risk_share, or leave it out.")
    if args.ranges is not None and not Path(args.ranges).is_file():
        raise InputError("the --ranges file was not found.", file=args.ranges,
                         fix="give a CSV with the columns of the shipped figure_ranges.csv, or leave --ranges out.")
    say = (lambda m: None) if args.quiet else (lambda m: print(f"fedplan: {m}", file=sys.stderr))
    if args.out:
        out = Path(args.out)
    else:
        from fedplan.inputs import load_scenario
        from fedplan.inputs.model import Scenario

        area = (load_scenario(Path(args.scenario)) if args.scenario else Scenario()).area.describe()
        out = Path(f"fedplan-sensitivity-{_slug(area)}")
    try:
        r = run_sensitivity(args.scenario, out, draws=DEFAULT_DRAWS if args.draws is None else args.draws,
                            work_limit=DEFAULT_WORK_LIMIT if args.work_limit is None else args.work_limit,
                            seed=args.seed, figures=figures, ranges=args.ranges, scheduler=scheduler,
                            workers=args.workers, progress=not args.quiet, overwrite=args.overwrite, say=say)
    except NoBasePlan as exc:
        print(f"fedplan: no plan: {exc} Nothing was written.", file=sys.stderr)
        return EXIT_ERROR
    d = r["data"]
    base, robust = d["base"], d["robust_plan"]
    print(f"Sensitivity of {d['settings']['area']}: base saving £{base['saving_gbp']:,.0f}/yr "
          f"({base['saving_share']:.1%}); {len(d['tornado'])} figures varied, {len(d['draws'])} draws "
          f"({len(r['done'])} solved now, {len(r['skipped'])} already done).")
    if robust is not None:
        print(f"Robust plan: {robust['n_federations']} federations, expected saving "
              f"£{robust['expected_saving_gbp']:,.0f}/yr (first found by {robust['run']}).")
    print(f"Written to {out}/ (sensitivity.html, sensitivity.json, tornado.csv, draws.csv, stability.csv, "
          "robust_plan.csv, tasks/).")
    for name, message in r["failed"]:
        print(f"  {name}: {message}", file=sys.stderr)
    if r["failed"]:
        print("fedplan: some solves failed; run the same command again to finish them.", file=sys.stderr)
    return EXIT_OK if not r["failed"] else EXIT_ERROR


def _data(args) -> int:
    from fedplan import inputs
    table = inputs.list_areas(inputs.load_national_practices())
    if args.level != "all":
        table = table[table["level"] == args.level]
    if args.json:
        print(json.dumps(table.to_dict(orient="records"), indent=1))
    else:
        with_pd = table.to_string(index=False, formatters={"population": "{:,}".format})
        print(with_pd)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
