"""The planner-facing report: one self-contained HTML file (inline CSS and SVG, no network)."""
from __future__ import annotations

import html
from pathlib import Path
from typing import Sequence

import numpy as np

from .maps import federation_map_svg

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Arial,sans-serif;margin:0 auto;max-width:1100px;padding:1rem 1.5rem;color:#1d1d1d;line-height:1.4}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{border-bottom:2px solid #005eb8;padding-bottom:.2rem;margin-top:2rem;color:#003087}
.kpis{display:flex;flex-wrap:wrap;gap:.8rem;margin:1rem 0}.kpi{background:#f0f4f5;border-left:4px solid #005eb8;padding:.5rem .8rem;min-width:10rem}
.kpi b{display:block;font-size:1.3rem}.ok{color:#007f3b}.warn{color:#b35900}
table{border-collapse:collapse;width:100%;font-size:.85rem;margin:.5rem 0}th,td{border-bottom:1px solid #d8dde0;padding:.25rem .4rem;text-align:left;vertical-align:top}
th{background:#f0f4f5}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.maps{display:flex;flex-wrap:wrap;gap:1rem}.maps figure{flex:1 1 480px;margin:0}.maps svg{width:100%;height:auto}
pre{background:#f7f7f7;padding:.6rem;overflow:auto;font-size:.75rem;max-height:24rem;white-space:pre-wrap}
details{margin:.3rem 0}summary{cursor:pointer}
@media print{.maps figure{page-break-inside:avoid}details{display:block}}
"""


def e(v) -> str:
    return html.escape("" if v is None else str(v), quote=True)


def gbp(v) -> str:
    if v is None:
        return "–"
    return f"−£{-v:,.0f}" if v < -0.5 else f"£{abs(v):,.0f}"


def num(v) -> str:
    return "–" if v is None else f"{v:,}"


def _status_words(s: dict) -> str:
    status, gap = s.get("status"), s.get("gap")
    if status == "optimal":
        return '<span class="ok">proven optimal</span>'
    if status == "feasible":
        g = "unknown" if gap is None else f"{gap:.2%}"
        return f'<span class="warn">best plan found, not proven optimal: at most {e(g)} above the optimum</span>'
    return f'<span class="warn">{e(status or "no plan")}</span>'


def render_report(summary: dict, practices, assignment: Sequence[int], *, polygons=None, outline=None,
                  baseline_polygons=None, log_excerpt: str = "", attributions: str = "") -> str:
    s = summary or {}
    b = s.get("baseline") or {}
    feds = s.get("federations") or []
    bounds = s.get("bounds") or {}
    lo, hi = bounds.get("min_population", 25_000), bounds.get("max_population", 100_000)
    assignment = np.asarray(assignment)
    codes = list(practices.code)
    pos = {c: i for i, c in enumerate(codes)}
    hub_pos = [pos[f["hub"]] for f in feds if f.get("hub") in pos]
    cost, base_cost = s.get("objective_gbp"), b.get("objective_gbp")
    diff = "" if cost is None or not base_cost else (
        f"{gbp(cost - base_cost)} ({(cost - base_cost) / base_cost:+.1%}) vs today's PCNs")
    in_range = sum(lo <= f.get("population", 0) <= hi for f in feds) / len(feds) if feds else None
    out = [f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>fedplan: {e(s.get('area'))}</title>",
           f"<meta name='viewport' content='width=device-width, initial-scale=1'><style>{CSS}</style></head><body>",
           f"<h1>GP federation plan: {e(s.get('area', ''))}</h1>",
           f"<p>{num(s.get('n_practices'))} practices, {num(s.get('population'))} registered patients; "
           f"federations of {num(lo)}–{num(hi)} patients.</p>"]
    # headline
    out.append("<section id='headline'><h2>Headline</h2><div class='kpis'>")
    out.append(f"<div class='kpi'>Plan cost per year<b>{gbp(cost)}</b>{e(diff)}</div>")
    out.append(f"<div class='kpi'>Today's PCNs, same model<b>{gbp(base_cost)}</b>{num(b.get('n_federations'))} PCNs</div>")
    out.append(f"<div class='kpi'>Federations<b>{num(s.get('n_federations'))}</b>"
               f"{'' if in_range is None else f'{in_range:.0%} within {lo:,}–{hi:,}'}</div>")
    out.append(f"<div class='kpi'>Practices moved from their PCN group<b>{num(s.get('practices_moved'))}</b></div>")
    out.append(f"<div class='kpi'>Proof<b>{e(s.get('status'))}</b>lower bound {gbp(s.get('bound_gbp'))}</div></div>")
    out.append(f"<p>Status: {_status_words(s)}. A valid lower bound on the cost of any plan under these rules is "
               f"{gbp(s.get('bound_gbp'))}; gap {'–' if s.get('gap') is None else format(s['gap'], '.3%')}. "
               f"Independent verification: {'passed' if s.get('verified') else 'NOT passed'}.</p>")
    for w in s.get("warnings") or []:
        out.append(f"<p class='warn'>{e(w)}</p>")
    out.append("</section>")
    # maps
    out.append("<section id='map'><h2>Maps</h2><div class='maps'><figure>")
    out.append(federation_map_svg(practices, assignment, polygons, outline, hub_pos, "Proposed federations (★ hub)"))
    out.append("<figcaption>Federation areas are the practices' catchments (Voronoi cells of practice sites, "
               "clipped to the area), not registered-patient boundaries.</figcaption></figure>")
    if baseline_polygons is not None:
        groups = list(range(len(baseline_polygons)))
        out.append("<figure>" + federation_map_svg(practices, np.zeros(len(codes), int), baseline_polygons, outline, [],
                                                   "Today's Primary Care Networks", labels=False)
                   + f"<figcaption>{len(groups)} groups (PCNs; practices outside any PCN on their own).</figcaption></figure>")
    out.append("</div></section>")
    # federations table
    out.append("<section id='federations'><h2>Federations</h2><table><tr><th>id</th><th class='n'>patients</th>"
               "<th class='n'>outside bounds by</th><th class='n'>practices</th><th>hub</th><th class='n'>£/yr</th>"
               "<th class='n'>furthest to hub km</th></tr>")
    for f in feds:
        pop = f.get("population", 0)
        dev = lo - pop if pop < lo else (pop - hi if pop > hi else 0)
        out.append(f"<tr><td>{e(f.get('id'))}</td><td class='n'>{num(pop)}</td><td class='n'>{num(dev)}</td>"
                   f"<td class='n'>{num(f.get('n_practices'))}</td><td>{e(f.get('hub_name'))} ({e(f.get('hub'))})</td>"
                   f"<td class='n'>{gbp(f.get('cost_gbp'))}</td><td class='n'>{e(f.get('max_distance_km'))}</td></tr>")
    out.append("</table>")
    ids = [f.get("id") for f in feds]
    for fid in ids:
        ms = [i for i in range(len(codes)) if int(assignment[i]) == fid] if len(assignment) else []
        out.append(f"<details><summary>Federation {e(fid)}: {len(ms)} practices</summary><table><tr><th>code</th>"
                   "<th>practice</th><th class='n'>list size</th><th>current PCN</th></tr>")
        for i in ms:
            out.append(f"<tr><td>{e(codes[i])}</td><td>{e(practices.name[i])}</td><td class='n'>{num(int(practices.list_size[i]))}</td>"
                       f"<td>{e(practices.pcn_name[i] or practices.pcn_code[i] or 'none')}</td></tr>")
        out.append("</table></details>")
    out.append("</section>")
    # baseline
    bfeds = b.get("federations") or []
    out.append("<section id='baseline'><h2>Today's PCNs, costed by the same model</h2>")
    out.append(f"<p>{num(len(bfeds))} groups cost {gbp(base_cost)} a year; "
               f"{'–' if b.get('in_range_share') is None else format(b['in_range_share'], '.0%')} are within "
               f"{num(lo)}–{num(hi)} patients. {num(s.get('practices_moved'))} practices would leave the federation "
               "holding most of their PCN's patients.</p>")
    out.append("<details><summary>PCN table</summary><table><tr><th>PCN</th><th class='n'>patients</th>"
               "<th class='n'>practices</th><th>hub (cheapest member)</th><th class='n'>£/yr</th></tr>")
    for f in bfeds:
        out.append(f"<tr><td>{e(f.get('name'))} ({e(f.get('id'))})</td><td class='n'>{num(f.get('population'))}</td>"
                   f"<td class='n'>{num(f.get('n_practices'))}</td><td>{e(f.get('hub_name'))} ({e(f.get('hub'))})</td>"
                   f"<td class='n'>{gbp(f.get('cost_gbp'))}</td></tr>")
    out.append("</table></details></section>")
    # costs
    pc, bc = s.get("cost_breakdown") or {}, b.get("cost_breakdown") or {}
    out.append("<section id='costs'><h2>Cost breakdown (£ per year)</h2><table><tr><th>term</th>"
               "<th class='n'>plan</th><th class='n'>today's PCNs</th><th class='n'>difference</th></tr>")
    for term in sorted(set(pc) | set(bc)):
        a, c = pc.get(term), bc.get(term)
        d = None if a is None or c is None else a - c
        out.append(f"<tr><td>{e(term.replace('_', ' '))}</td><td class='n'>{gbp(a)}</td><td class='n'>{gbp(c)}</td>"
                   f"<td class='n'>{gbp(d)}</td></tr>")
    out.append("</table></section>")
    # solver
    out.append("<section id='solver'><h2>Solver</h2><table>")
    for label, key in (("status", "status"), ("objective £", "objective_gbp"), ("lower bound £", "bound_gbp"),
                       ("gap", "gap"), ("runtime s", "runtime_s"), ("solver", "solver"),
                       ("solver version", "solver_version"), ("seed", "seed"), ("notes", "message")):
        out.append(f"<tr><th>{e(label)}</th><td>{e(s.get(key))}</td></tr>")
    out.append(f"</table><details><summary>Solver log (last lines)</summary><pre>{e(log_excerpt)}</pre></details></section>")
    # assumptions
    params = s.get("parameters") or {}
    out.append("<section id='assumptions'><h2>Inputs, assumptions and sources</h2><table>")
    for k, v in params.items():
        out.append(f"<tr><th>{e(k)}</th><td>{e(v)}</td></tr>")
    out.append(f"</table><pre>{e(attributions)}</pre></section>")
    out.append("<footer><p>Made with fedplan. This file works offline and loads nothing from the network.</p></footer>")
    out.append("</body></html>")
    return "\n".join(out)


def write_report(path: Path, text: str) -> None:
    Path(path).write_text(text, encoding="utf-8")
