"""The planner-facing report: one self-contained HTML file.

Inline CSS and inline SVG maps only: no scripts, no stylesheets, fonts, images or tiles from
anywhere, and a Content-Security-Policy that forbids the browser to fetch anything. Every string
that comes from the inputs (names, codes, area, messages, the solver log) is HTML-escaped.
The report never solves; it reads ``summary`` (the dict written to summary.json), the practices
and the assignment, and is defensive about missing keys so a failed run still gets a report.
"""
from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

from .format import (CSP, CSS, PLAN_STATUSES, STATUS_SHORT, STATUS_WORDS, TERM_LABELS, as_dict, esc, finite, gbp,
                     id_key, key_label, num, pct, records, signed_gbp, value_text)
from .maps import draw_map, figure_svg
from .size import section_size
from .travel import section_travel

# above this many practices the per-practice member table would make the report too big to open
MEMBER_TABLE_MAX = 1500

# ---------------------------------------------------------------- formatting (the shared helpers: format.py)


def _deviation(pop, lo, hi) -> tuple[float | None, str]:
    """How far outside [lo, hi] a population is (0 inside), and the words for it."""
    p, lo, hi = finite(pop), finite(lo), finite(hi)
    if p is None or (lo is None and hi is None):
        return None, "–"
    if lo is not None and p < lo:
        return lo - p, f"{num(lo - p)} below"
    if hi is not None and p > hi:
        return p - hi, f"{num(p - hi)} above"
    return 0.0, "0"


def _bounds_text(lo, hi) -> str:
    if finite(lo) is not None and finite(hi) is not None:
        return f"{num(lo)}–{num(hi)} patients"
    if finite(lo) is not None:
        return f"at least {num(lo)} patients"
    if finite(hi) is not None:
        return f"at most {num(hi)} patients"
    return "no population bounds recorded"


# ---------------------------------------------------------------- analysis from the assignment


def _pcn_partners(practices, fed: list) -> dict:
    """Per PCN with 2+ practices: {federation key: [positions]}; positions with no PCN are skipped."""
    pcn = list(getattr(practices, "pcn_code", ()) or ())
    by: dict[str, dict] = {}
    for i, code in enumerate(pcn):
        if code:
            by.setdefault(code, {}).setdefault(fed[i], []).append(i)
    return {g: d for g, d in by.items() if sum(len(v) for v in d.values()) > 1}


def _home_federation(parts: dict, sizes: np.ndarray):
    """The federation holding most of a PCN's patients (ties: the smallest id)."""
    weight = {f: int(sizes[ms].sum()) for f, ms in parts.items()}
    return max(sorted(weight, key=lambda f: (isinstance(f, str), str(f) if isinstance(f, str) else f)),
               key=lambda f: weight[f])


# ---------------------------------------------------------------- sections


def _kpi(label: str, value: str, detail: str = "") -> str:
    d = f"<span class='d'>{detail}</span>" if detail else ""
    return f"<div class='kpi'><span class='l'>{label}</span><span class='v'>{value}</span>{d}</div>"


def _status_block(s: dict) -> tuple[str, str]:
    """(css class, sentence) describing the proof status in words."""
    status = str(s.get("status") or "").lower()
    obj, bound, gap = finite(s.get("objective_gbp")), finite(s.get("bound_gbp")), finite(s.get("gap"))
    gap_txt = "–" if gap is None else f"{gap:.2%}"
    if status == "optimal":
        txt = ("<b>Proven optimal.</b> No grouping of these practices under these rules costs less: the "
               f"solver's lower bound is {gbp(bound)} (gap {gap_txt}).")
        return "status", txt
    if status == "feasible":
        if obj is not None and bound is not None and bound > 0:
            above = max(0.0, (obj - bound) / bound)
            words = (f"up to {above:.2%} above the optimum (at most {gbp(max(0.0, obj - bound))} a year more than the "
                     f"best possible plan)")
        elif gap is not None and gap < 1:
            words = f"up to {gap / (1 - gap):.2%} above the optimum"
        else:
            words = "by an unknown amount above the optimum (no lower bound was proven)"
        txt = (f"<b>Best plan found, not proven optimal:</b> {words}. Lower bound {gbp(bound)}; "
               f"optimality gap {gap_txt} of the plan's cost.")
        return "status warn", txt
    if status == "infeasible":
        return "status bad", ("<b>No plan exists under these rules.</b> The solver proved that no grouping of "
                              "these practices meets them; see the message below and relax the bounds or "
                              "the area.")
    if status == "error" and s.get("federations"):
        problems = s.get("verification_problems") or []
        why = "; ".join(str(p) for p in problems[:5]) or str(s.get("message") or "")
        return "status bad", ("<b>This plan failed its checks and is not a result.</b> The independent "
                              "verification (or the engine's own bound check) found: " + esc(why) + ". The "
                              "plan is shown for inspection only.")
    if status == "error":
        return "status bad", ("<b>No plan.</b> The solver stopped without a plan (an error, or the time limit "
                              "was reached before any plan was found).")
    return "status bad", f"<b>Status {esc(status or 'unknown')}.</b> No proof information was recorded."


def _section_headline(ctx: dict) -> str:
    s, b = ctx["s"], ctx["b"]
    cost, base = finite(s.get("objective_gbp")), finite(b.get("objective_gbp"))
    out = ["<section id=\"headline\"><h2>Headline</h2>"]
    cls, sentence = _status_block(s)
    out.append(f"<div class='{cls}'>{sentence}</div>")
    msg = s.get("message")
    if msg and str(s.get("status")) not in PLAN_STATUSES:
        out.append(f"<p class='warning'>{esc(msg)}</p>")
    out.append("<div class='kpis'>")
    out.append(_kpi("Plan cost per year", gbp(cost), "proposed federations"))
    nb = b.get("n_federations") if finite(b.get("n_federations")) is not None else (len(ctx["bfeds"]) or None)
    out.append(_kpi("Today's PCNs, same model", gbp(base), f"{num(nb)} groups"))
    if cost is not None and base is not None:
        diff = cost - base
        share = f" ({pct(diff / base, 1, signed=True)})" if base else ""
        word = "saving" if diff < 0 else "extra cost"
        cls2 = "good" if diff < 0 else "bad"
        out.append(_kpi("Difference vs today", f"<span class='{cls2}'>{signed_gbp(diff)}</span>",
                        f"{word} a year{share}"))
    else:
        out.append(_kpi("Difference vs today", "–", "needs both costs"))
    nf = s.get("n_federations")
    nf = nf if finite(nf) is not None else (len(ctx["feds"]) or None)
    share = ctx["in_range"]
    out.append(_kpi("Federations", num(nf), "–" if share is None else
                    f"{share:.0%} within {_bounds_text(ctx['lo'], ctx['hi'])}"))
    out.append(_kpi("Lower bound", gbp(s.get("bound_gbp")),
                    "gap " + ("–" if finite(s.get("gap")) is None else f"{finite(s.get('gap')):.2%}")))
    st = str(s.get("status") or "").lower()
    short = STATUS_SHORT.get(st, st.capitalize() or "Unknown")
    # the card's value already says "Proven optimal"; its detail says what the proof is
    detail = "the lower bound equals the plan's cost" if st == "optimal" else STATUS_WORDS.get(st, "no proof information")
    out.append(_kpi("Status", esc(short), esc(detail)))
    split = ctx["split"]
    if split is not None:
        out.append(_kpi("PCNs split between federations", num(split["n_split"]),
                        f"of {num(split['n_pcns'])} PCNs with 2+ practices"))
    out.append("</div>")
    if "verified" in s:
        ok = bool(s.get("verified"))
        probs = [p for p in (s.get("verification_problems") or []) if p]
        out.append("<p class='note'>Independent check (populations, rules and cost recomputed from the "
                   f"assignment alone): <b class='{'good' if ok else 'bad'}'>{'passed' if ok else 'not passed'}"
                   "</b>" + (": " + "; ".join(esc(p) for p in probs) if probs and not ok else "") + ".</p>")
    for w in s.get("warnings") or []:
        out.append(f"<p class='warning'>{esc(w)}</p>")
    for w in ctx["notes"]:
        out.append(f"<p class='warning'>{esc(w)}</p>")
    out.append("</section>")
    return "\n".join(out)


def _section_map(ctx: dict) -> str:
    out = ["<section id=\"map\"><h2>Maps</h2><div class='maps'>"]
    p = ctx["p"]
    if ctx["has_plan"]:
        caption = ("<b>Proposed federations</b> (numbers are federation ids; ★ marks the hub practice). ")
        caption += ("Areas are the practices' catchments (Voronoi cells around practice sites, clipped to the "
                    "area) merged per federation: a picture of who is grouped with whom, not registered-patient "
                    "boundaries." if ctx["polygons"] is not None else
                    "Each dot is a practice, coloured by its federation.")
        fig = draw_map(p, ctx["fed"], polygons=ctx["polygons"], outline=ctx["outline"], hubs=ctx["hub_pos"])
        title = "Map of the proposed federations"
    else:
        caption = "<b>Practices in the area.</b> There is no plan to draw."
        fig = draw_map(p, [0] * len(p), outline=ctx["outline"], labels=False)
        title = "Map of the practices in the area"
    out.append(f"<figure>{figure_svg(fig, 'plan', title)}<figcaption>{caption}</figcaption></figure>")
    ctx["figures"]["plan"] = fig
    if ctx["baseline_polygons"] is not None:
        bfig = draw_map(p, ctx["pcn_key"], polygons=ctx["baseline_polygons"], outline=ctx["outline"],
                        hubs=ctx["baseline_hub_pos"], labels=False)
        n = len(ctx["baseline_polygons"])
        out.append(f"<figure>{figure_svg(bfig, 'baseline', 'Map of today’s Primary Care Networks')}"
                   f"<figcaption><b>Today's Primary Care Networks</b> ({num(n)} groups; a practice outside any "
                   "PCN counts as its own group"
                   + ("; ★ marks each group's cheapest hub" if ctx["baseline_hub_pos"] else "")
                   + "), drawn the same way.</figcaption>"
                   "</figure>")
        ctx["figures"]["baseline"] = bfig
    out.append("</div></section>")
    return "\n".join(out)


def _section_federations(ctx: dict) -> str:
    p, feds, lo, hi = ctx["p"], ctx["feds"], ctx["lo"], ctx["hi"]
    out = ["<section id=\"federations\"><h2>Federations</h2>"]
    if not feds:
        out.append("<p>No federations: there is no plan in this run.</p></section>")
        return "\n".join(out)
    shape = ctx["compactness"]
    minutes = any(f.get("minutes_max") is not None for f in feds)
    out.append(f"<p>{num(len(feds))} federations; population bounds {_bounds_text(lo, hi)}. "
               "Rows outside the bounds are highlighted. "
               + ("Travel is minutes by car from the furthest member practice to the hub (the Travel section "
                  "says how sure those times are), with the straight-line distance beside it."
                  if minutes else "Distances are straight-line kilometres from each practice to its hub.")
               + (" Shape measures of each federation's area (EPSG:27700), 1 for a disc and near 0 for a "
                  "sprawling shape: Polsby–Popper 4πA/P² punishes ragged edges, Reock (area over its smallest "
                  "enclosing circle) elongation, and the convex-hull ratio indentations." if shape else "")
               + "</p>")
    shape_head = ("<th class='n'>Polsby–Popper</th><th class='n'>Reock</th><th class='n'>Convex hull</th>"
                  if shape else "")
    out.append("<table><thead><tr><th>Federation</th><th class='n'>Patients</th><th class='n'>Outside bounds by"
               "</th><th class='n'>Practices</th><th>Hub practice</th><th class='n'>Cost £/yr</th>"
               + ("<th class='n'>Furthest practice to hub, minutes</th>" if minutes else "")
               + f"<th class='n'>Furthest practice to hub, km</th>{shape_head}</tr></thead><tbody>")
    tot_pop = tot_n = tot_cost = 0.0
    cost_known = True
    for f in feds:
        pop, npr = f["population"], f["n_practices"]
        dev, dev_txt = _deviation(pop, lo, hi)
        cls = " class='out'" if dev else ""
        out.append(f"<tr{cls}><td>{esc(f['id'])}</td><td class='n'>{num(pop)}</td><td class='n'>{dev_txt}</td>"
                   f"<td class='n'>{num(npr)}</td><td class='hub'>{esc(f['hub_name'])}"
                   f"{' (' + esc(f['hub']) + ')' if f['hub'] else ''}</td><td class='n'>{gbp(f['cost_gbp'])}</td>"
                   + (f"<td class='n'>{_minutes_text(f)}</td>" if minutes else "")
                   + f"<td class='n'>{num(f['max_distance_km'], 1)}</td>"
                   + ("".join(f"<td class='n'>{num(v, 2)}</td>" for v in shape.get(f["key"], (None,) * 3))
                      if shape else "")
                   + "</tr>")
        tot_pop += finite(pop) or 0
        tot_n += finite(npr) or 0
        if finite(f["cost_gbp"]) is None:
            cost_known = False
        else:
            tot_cost += finite(f["cost_gbp"])
    out.append(f"</tbody><tfoot><tr><td>Total</td><td class='n'>{num(tot_pop)}</td><td></td>"
               f"<td class='n'>{num(tot_n)}</td><td></td><td class='n'>{gbp(tot_cost) if cost_known else '–'}</td>"
               "<td></td>" + ("<td></td>" if minutes else "") + ("<td></td>" * 3 if shape else "")
               + "</tr></tfoot></table>")

    if len(p) > MEMBER_TABLE_MAX:
        out.append(f"<p class='note'>{num(len(p))} practices: the member list is in assignment.csv (and in each "
                   "part's report under parts/), not repeated here.</p></section>")
        return "\n".join(out)
    out.append("<h3>Member practices</h3>")
    out.append("<p class='note'>★ hub practice. “PCN split” means the practice's current PCN partners are not "
               "all in the same federation as the practice.</p>")
    out.append("<table><thead><tr><th>Code</th><th>Practice</th><th class='n'>List size</th>"
               "<th>Current PCN</th><th>PCN split</th></tr></thead>")
    members = ctx["members"]
    split_pos = ctx["split"]["positions"] if ctx["split"] else set()
    for f in feds:
        ms = members.get(f["key"], [])
        out.append(f"<tbody class='fed'><tr><th colspan='5'>Federation {esc(f['id'])}: {num(len(ms))} practices, "
                   f"{num(int(p.list_size[ms].sum()) if ms else 0)} patients</th></tr></tbody><tbody>")
        for i in sorted(ms, key=lambda i: (i != f["hub_pos"], -int(p.list_size[i]), p.code[i])):
            star = "★ " if i == f["hub_pos"] else ""
            out.append(f"<tr><td>{star}{esc(p.code[i])}</td><td>{esc(p.name[i])}</td>"
                       f"<td class='n'>{num(int(p.list_size[i]))}</td><td>{_pcn_text(p, i)}</td>"
                       f"<td>{'yes' if i in split_pos else ''}</td></tr>")
        out.append("</tbody>")
    out.append("</table>")
    unassigned = ctx["unassigned"]
    if unassigned:
        out.append(f"<p class='warning'>{num(len(unassigned))} practices have a federation id that is not in "
                   "the federation list: " + ", ".join(esc(p.code[i]) for i in unassigned[:30])
                   + (" …" if len(unassigned) > 30 else "") + "</p>")
    out.append("</section>")
    return "\n".join(out)


def _pcn_text(p, i: int) -> str:
    code, name = p.pcn_code[i], p.pcn_name[i]
    if not code and not name:
        return "<span class='note'>none</span>"
    if name and code and name != code:
        return f"{esc(name)} ({esc(code)})"
    return esc(name or code)


def _section_baseline(ctx: dict) -> str:
    b, bfeds, lo, hi, p = ctx["b"], ctx["bfeds"], ctx["lo"], ctx["hi"], ctx["p"]
    out = ["<section id=\"baseline\"><h2>Today's PCNs, costed by the same model</h2>"]
    if not b and not bfeds:
        out.append("<p>No baseline was recorded for this run.</p>")
    else:
        n = b.get("n_federations") if finite(b.get("n_federations")) is not None else len(bfeds)
        share = finite(b.get("in_range_share"))
        if share is None and bfeds:
            devs = [_deviation(f.get("population"), lo, hi)[0] for f in bfeds]
            known = [d for d in devs if d is not None]
            share = sum(1 for d in known if d == 0) / len(known) if known else None
        out.append(f"<p>Today {num(n)} groups (Primary Care Networks; a practice outside any PCN counts as its "
                   f"own group) would cost <b>{gbp(b.get('objective_gbp'))}</b> a year under the same cost model; "
                   f"{'–' if share is None else f'{share:.0%}'} of them are within {_bounds_text(lo, hi)}.</p>")
        for key in ("note", "description"):
            if b.get(key):
                out.append(f"<p class='note'>{esc(b.get(key))}</p>")
        if bfeds:
            out.append("<table><thead><tr><th>PCN</th><th class='n'>Patients</th><th class='n'>Outside bounds by"
                       "</th><th class='n'>Practices</th><th>Hub (cheapest member)</th><th class='n'>Cost £/yr</th>"
                       "</tr></thead><tbody>")
            for f in bfeds:
                dev, dev_txt = _deviation(f.get("population"), lo, hi)
                name, fid = f.get("name"), f.get("id")
                label = f"{esc(name)} ({esc(fid)})" if name and str(name) != str(fid) else esc(fid if fid is not None else name)
                hub = f.get("hub")
                hub_name = f.get("hub_name") or (p.name[p.index(hub)] if hub in p else "")
                out.append(f"<tr{' class=out' if dev else ''}><td>{label}</td><td class='n'>{num(f.get('population'))}"
                           f"</td><td class='n'>{dev_txt}</td><td class='n'>{num(f.get('n_practices'))}</td>"
                           f"<td>{esc(hub_name)}{' (' + esc(hub) + ')' if hub else ''}</td>"
                           f"<td class='n'>{gbp(f.get('cost_gbp'))}</td></tr>")
            out.append("</tbody></table>")

    out.append("<h3>Practices grouped differently from their PCN partners</h3>")
    split = ctx["split"]
    if split is None:
        out.append("<p>Not applicable: there is no plan, or no PCN membership in the practice data.</p>")
    else:
        out.append(f"<p>{num(split['n_whole'])} of {num(split['n_pcns'])} PCNs with two or more practices stay "
                   f"whole inside one federation; {num(split['n_split'])} are split. "
                   f"<b>{num(len(split['positions']))}</b> practices are in a federation that does not contain all "
                   f"of their current PCN partners, and <b>{num(split['moved'])}</b> practices would leave the "
                   "federation that holds most of their PCN's patients.</p>")
        if split["rows"] and len(p) > MEMBER_TABLE_MAX:
            out.append("<p class='note'>The practice-by-practice list is in each part's report (parts/).</p>")
        elif split["rows"]:
            out.append("<table><thead><tr><th>Current PCN</th><th>Federation in the plan</th><th class='n'>PCN "
                       "patients there</th><th>PCN practices there</th></tr></thead>")
            sizes = np.asarray(p.list_size)
            for g, parts in split["rows"]:
                first = parts[0][1][0]
                out.append("<tbody>")
                for k, (f, ms, home) in enumerate(parts):
                    pcn_cell = f"<td rowspan='{len(parts)}'>{_pcn_text(p, first)}</td>" if k == 0 else ""
                    note = " <span class='note'>(most of the PCN's patients)</span>" if home else ""
                    names = ", ".join(f"{esc(p.name[i])} ({esc(p.code[i])})" for i in ms)
                    out.append(f"<tr>{pcn_cell}<td>{esc(ctx['fed_label'](f))}{note}</td>"
                               f"<td class='n'>{num(int(sizes[ms].sum()))}</td><td>{names}</td></tr>")
                out.append("</tbody>")
            out.append("</table>")
    out.append("</section>")
    return "\n".join(out)


def _section_costs(ctx: dict) -> str:
    s, b = ctx["s"], ctx["b"]
    pc = as_dict(s.get("cost_breakdown"))
    bc = as_dict(s.get("baseline_cost_breakdown")) or as_dict(b.get("cost_breakdown"))
    out = ["<section id=\"costs\"><h2>Cost breakdown (£ per year)</h2>"]
    terms = list(pc) + [t for t in bc if t not in pc]
    if not terms:
        out.append(f"<p>No cost breakdown was recorded. Plan total {gbp(s.get('objective_gbp'))}; today's PCNs "
                   f"{gbp(b.get('objective_gbp'))}.</p></section>")
        return "\n".join(out)
    out.append("<table><thead><tr><th>Cost term</th><th class='n'>Plan</th><th class='n'>Today's PCNs</th>"
               "<th class='n'>Difference (plan − today)</th></tr></thead><tbody>")
    tp = tb = 0.0
    okp = okb = True
    for t in terms:
        a, c = finite(pc.get(t)), finite(bc.get(t))
        okp &= a is not None
        okb &= c is not None
        tp += a or 0
        tb += c or 0
        d = None if a is None or c is None else a - c
        out.append(f"<tr><td>{esc(TERM_LABELS.get(str(t), key_label(t)))}</td><td class='n'>{gbp(a)}</td>"
                   f"<td class='n'>{gbp(c)}</td><td class='n'>{signed_gbp(d)}</td></tr>")
    tp_v = tp if okp and pc else (finite(s.get("objective_gbp")) if not pc else None)
    tb_v = tb if okb and bc else (finite(b.get("objective_gbp")) if not bc else None)
    d = None if tp_v is None or tb_v is None else tp_v - tb_v
    out.append(f"</tbody><tfoot><tr><td>Total</td><td class='n'>{gbp(tp_v)}</td><td class='n'>{gbp(tb_v)}</td>"
               f"<td class='n'>{signed_gbp(d)}</td></tr></tfoot></table>")
    out.append("<p class='note'>Negative differences are savings of the plan against today's PCNs. The PCN "
               "baseline is today's groups costed as if each held the same capitated contract as a federation: the "
               "same services, risk and engagement terms at its own size, even outside the bounds.</p>")
    out += _by_service_table(as_dict(s.get("by_service")))
    out.append("</section>")
    return "\n".join(out)


def _by_service_table(bs: dict) -> list[str]:
    """The services term, service by service: where the plan's saving against today's PCNs comes from."""
    rows = [r for r in (bs.get("services") or []) if isinstance(r, dict)]
    if not rows:
        return []
    out = ["<h3>Services, one by one</h3>",
           f"<p>The services term split by service: £ a year over the plan's {num(bs.get('plan_groups'))} federations "
           f"and over today's {num(bs.get('baseline_groups'))} groups, and how many of each run the service "
           "in-house. Sorted by the difference, largest saving first.</p>",
           "<table><thead><tr><th>Service</th><th class='n'>Plan</th><th class='n'>In-house (plan)</th>"
           "<th class='n'>Today's PCNs</th><th class='n'>In-house (PCNs)</th><th class='n'>Difference</th>"
           "</tr></thead><tbody>"]
    for r in rows:
        out.append(f"<tr><td>{esc(r.get('service'))}</td><td class='n'>{gbp(r.get('plan_gbp'))}</td>"
                   f"<td class='n'>{num(r.get('plan_inhouse'))}</td><td class='n'>{gbp(r.get('baseline_gbp'))}</td>"
                   f"<td class='n'>{num(r.get('baseline_inhouse'))}</td>"
                   f"<td class='n'>{signed_gbp(finite(r.get('difference_gbp')))}</td></tr>")
    hub = as_dict(bs.get("shared_hub"))
    if hub:
        a, c = finite(hub.get("plan_gbp")), finite(hub.get("baseline_gbp"))
        out.append(f"<tr><td>Shared clinical hub</td><td class='n'>{gbp(a)}</td><td></td><td class='n'>{gbp(c)}</td>"
                   f"<td></td><td class='n'>{signed_gbp(None if a is None or c is None else a - c)}</td></tr>")
    out.append("</tbody></table>")
    return out


def _work_words(s: dict) -> str:
    """How much work the engine did, and whether re-running gives this same plan."""
    work = finite(s.get("work_units"))
    limit = finite(as_dict(s.get("parameters")).get("work_limit"))
    text = "–" if work is None else f"{work:,.1f} units" + (f" (work limit {limit:g})" if limit is not None else "")
    if s.get("repeatable") is False:
        text += (" — a time limit ended this run, so a re-run may end on a different plan; set a "
                 "work limit ([solve] work_limit) for a run that repeats exactly")
    elif s.get("repeatable") is True:
        text += " — the same inputs, seed and one thread give this same plan again"
    return text


def _section_solver(ctx: dict, log_excerpt: str) -> str:
    s = ctx["s"]
    status = str(s.get("status") or "")
    gap = finite(s.get("gap"))
    rt = finite(s.get("runtime_s"))
    solver = " ".join(str(x) for x in (s.get("solver"), s.get("solver_version")) if x)
    rows = [
        ("Status", f"{esc(status or 'unknown')} — {esc(STATUS_WORDS.get(status.lower(), 'unknown'))}"),
        ("Objective (plan cost)", gbp(s.get("objective_gbp"), 2)),
        ("Lower bound", gbp(s.get("bound_gbp"), 2)),
        ("Gap", "–" if gap is None else f"{gap:.4%}"),
        ("Runtime", "–" if rt is None else f"{rt:,.1f} s"),
        ("Work", _work_words(s)),
        ("Method", esc({"branch_price": "branch and price (column generation over whole federations)",
                       "compact": "compact assignment MIP"}.get(s.get("method"), s.get("method") or "–"))),
        ("Solver", esc(solver) or "–"),
        ("Seed", esc(s.get("seed")) if s.get("seed") is not None else "–"),
        ("Message", esc(s.get("message")) or "–"),
    ]
    timings = as_dict(s.get("timings_s"))
    if timings:
        rows.append(("Timings", "; ".join(f"{esc(key_label(str(k).removesuffix('_s')))} {num(v, 1)} s"
                                          for k, v in timings.items())))
    out = ["<section id=\"solver\"><h2>Solver</h2><table class='kv'><tbody>"]
    out += [f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows]
    out.append("</tbody></table>")
    out += _parts_table(as_dict(s.get("national")), as_dict(s.get("baseline")))
    out.append("<h3>Solver log (last lines)</h3>")
    out.append(f"<pre>{esc(log_excerpt) if log_excerpt else '(no log recorded)'}</pre></section>")
    return "\n".join(out)


def _parts_table(nat: dict, b: dict) -> list[str]:
    """For a national or regional run: each part's own proof, and distances to the hub."""
    parts = records(nat.get("parts"))
    if not parts:
        return []
    out = [f"<h3>Parts ({num(len(parts))}, solved separately; federations do not cross their borders)</h3>",
           "<table><thead><tr><th>Part</th><th>Status</th><th class='n'>Practices</th><th class='n'>Federations</th>"
           "<th class='n'>Plan £/yr</th><th class='n'>Bound £/yr</th><th class='n'>Gap</th><th class='n'>Runtime s</th>"
           "</tr></thead><tbody>"]
    for p in parts:
        st = str(p.get("status") or "")
        out.append(f"<tr><td>{esc(p.get('area') or p.get('part'))}</td><td>{esc(STATUS_SHORT.get(st, st))}</td>"
                   f"<td class='n'>{num(p.get('n_practices'))}</td><td class='n'>{num(p.get('n_federations'))}</td>"
                   f"<td class='n'>{gbp(p.get('objective_gbp'))}</td><td class='n'>{gbp(p.get('bound_gbp'))}</td>"
                   f"<td class='n'>{pct(p.get('gap'), 2)}</td><td class='n'>{num(p.get('runtime_s'), 1)}</td></tr>")
    out.append("</tbody></table>")
    d, bd = as_dict(nat.get("distance_to_hub")), as_dict(b.get("distance_to_hub"))
    if d or bd:
        out.append("<p>Straight-line distance from each practice to its hub: plan mean "
                   f"{num(d.get('mean_km'), 1)} km, 95th percentile {num(d.get('p95_km'), 1)} km; today's PCNs "
                   f"mean {num(bd.get('mean_km'), 1)} km, 95th percentile {num(bd.get('p95_km'), 1)} km. "
                   "Each part's own report is in parts/&lt;code&gt;/report.html.</p>")
    return out


def _section_assumptions(ctx: dict, attributions: str) -> str:
    s = ctx["s"]
    bounds = as_dict(s.get("bounds"))
    out = ["<section id=\"assumptions\"><h2>Inputs, assumptions and sources</h2><table class='kv'><tbody>"]
    out.append(f"<tr><th>Area</th><td>{esc(s.get('area')) or '–'}</td></tr>")
    out.append(f"<tr><th>Practices</th><td>{num(ctx['n_practices'])} practices, {num(ctx['population'])} "
               "registered patients</td></tr>")
    for k, v in bounds.items():
        out.append(f"<tr><th>{esc(key_label(k))}</th><td>{value_text(v)}</td></tr>")
    for k, v in as_dict(s.get("parameters")).items():
        val = value_text(v)
        if "gbp" in str(k) and isinstance(v, (int, float)) and not isinstance(v, bool):
            val = "£" + val
        out.append(f"<tr><th>{esc(key_label(k))}</th><td>{val}</td></tr>")
    out.append("</tbody></table>")
    if attributions:
        out.append("<h3>Data sources and licences</h3>")
        out.append(f"<pre>{esc(attributions)}</pre>")
    out.append("</section>")
    return "\n".join(out)


# ---------------------------------------------------------------- main entry


def _federation_rows(s: dict, p, fed: list, has_plan: bool) -> list[dict]:
    """Federations from the summary, completed from the assignment where fields are missing."""
    n = len(p)
    members: dict = {}
    for i, f in enumerate(fed):
        members.setdefault(f, []).append(i)
    rows = []
    given = records(s.get("federations"))
    if not given and has_plan:
        given = [{"id": k} for k in sorted(members, key=lambda v: (isinstance(v, str), str(v) if isinstance(v, str) else v))]
    xy = np.c_[np.asarray(p.easting, float), np.asarray(p.northing, float)] if n else np.zeros((0, 2))
    for f in given:
        key = id_key(f.get("id"))
        ms = members.get(key, [])
        hub = f.get("hub")
        hub_pos = p.index(hub) if isinstance(hub, str) and hub in p else None
        pop = f.get("population") if finite(f.get("population")) is not None else (
            int(p.list_size[ms].sum()) if ms else None)
        npr = f.get("n_practices") if finite(f.get("n_practices")) is not None else (len(ms) if ms else None)
        dist = finite(f.get("max_distance_km"))
        if dist is None and hub_pos is not None and ms:
            d = np.hypot(*(xy[ms] - xy[hub_pos]).T) / 1000
            dist = float(np.nanmax(d)) if np.isfinite(d).any() else None
        rows.append({"id": f.get("id"), "key": key, "population": pop, "n_practices": npr,
                     "hub": hub if isinstance(hub, str) else ("" if hub is None else str(hub)),
                     "hub_name": f.get("hub_name") or (p.name[hub_pos] if hub_pos is not None else ""),
                     "hub_pos": hub_pos, "cost_gbp": f.get("cost_gbp"), "max_distance_km": dist,
                     "minutes_max": finite(f.get("minutes_to_hub_max")),
                     "minutes_error": finite(f.get("minutes_to_hub_typical_error")),
                     "by_sea": bool(f.get("hub_trip_by_sea"))})
    return rows


def _minutes_text(f: dict) -> str:
    """"about 24, ±4" (and "by sea") for a federation's longest trip to its hub."""
    m = f.get("minutes_max")
    if m is None:
        return "–"
    err = f.get("minutes_error")
    return (f"about {m:.0f}" + (f", typically ±{err:.0f}" if err is not None else "")
            + (" (by sea)" if f.get("by_sea") else ""))


def _compactness(polygons) -> dict:
    """{federation key: (Polsby-Popper, Reock, convex-hull ratio)} from the federation polygons."""
    if polygons is None or "federation_id" not in getattr(polygons, "columns", ()):
        return {}
    from fedplan.geo import convex_hull_ratio, polsby_popper, reock

    out = {}
    for fid, geom in zip(polygons["federation_id"], polygons.geometry):
        if geom is None or geom.is_empty:
            continue
        out[id_key(fid)] = (polsby_popper(geom), reock(geom), convex_hull_ratio(geom))
    return out


def _makebuy_table(rows) -> dict:
    """make_or_buy.csv rows (dicts or tuples in its column order) -> {"services": [...], "cells":
    {(federation key, service): (mode, cost)}, "break_even": {service: int | None}}; bad rows skipped."""
    cols = ("federation_id", "service", "mode", "cost_gbp", "break_even_population")
    services: list[str] = []
    cells: dict = {}
    break_even: dict = {}
    for r in rows or ():
        if not isinstance(r, dict):
            if not isinstance(r, (list, tuple)) or len(r) < 4:
                continue
            r = dict(zip(cols, r))
        svc = r.get("service")
        if not svc:
            continue
        svc = str(svc)
        if svc not in break_even:
            services.append(svc)
            be = finite(r.get("break_even_population"))
            break_even[svc] = None if be is None else int(be)
        cells[(id_key(r.get("federation_id")), svc)] = (str(r.get("mode") or ""), finite(r.get("cost_gbp")))
    return {"services": services, "cells": cells, "break_even": break_even}


def _k(v) -> str:
    """£ in thousands for the dense make-or-buy matrix."""
    x = finite(v)
    if x is None:
        return "–"
    return f"£{x / 1000:,.0f}k" if abs(x) >= 9500 else f"£{x / 1000:,.1f}k"


def _section_makebuy(ctx: dict) -> str:
    out = ["<section id=\"makebuy\"><h2>Make or buy</h2>"]
    mb, feds = ctx["makebuy"], ctx["feds"]
    if not ctx["has_plan"] or not mb["services"]:
        out.append("<p>No make-or-buy table was recorded for this run.</p></section>")
        return "\n".join(out)
    s = ctx["s"]
    joint = as_dict(s.get("parameters")).get("make_or_buy_in_objective")
    out.append("<p>For each federation and service: <span class='make'>in-house</span> (its own team) or "
               "bought (subcontracted: price plus the cost of managing the contract), with the £ per year of "
               "the cheaper mode. The break-even population is the smallest federation at which running the "
               "service in-house is cheaper than buying it (“never” when it never is; team step costs can make "
               "in-house lose again above it). "
               + ("These choices were optimised together with the boundaries." if joint is True else
                  "These choices were made for the plan's boundaries after they were fixed ([makebuy] joint = "
                  "false)." if joint is False else "") + "</p>")
    out.append("<div class='wide'><table class='mb'><thead><tr><th>Service</th><th class='n'>Break-even "
               "population</th><th class='n'>In-house in</th>")
    for f in feds:
        out.append(f"<th class='n'>Fed. {esc(f['id'])}<br><span class='note'>{num(f['population'])}</span></th>")
    out.append("</tr></thead><tbody>")
    totals = {f["key"]: 0.0 for f in feds}
    for svc in mb["services"]:
        be = mb["break_even"].get(svc)
        n_make = sum(1 for f in feds if mb["cells"].get((f["key"], svc), ("",))[0] == "inhouse")
        out.append(f"<tr><th>{esc(key_label(svc))}</th><td class='n'>{'never' if be is None else num(be)}</td>"
                   f"<td class='n'>{num(n_make)} of {num(len(feds))}</td>")
        for f in feds:
            mode, cost = mb["cells"].get((f["key"], svc), ("", None))
            if cost is not None:
                totals[f["key"]] += cost
            word = {"inhouse": "in-house", "buy": "buy"}.get(mode, mode or "–")
            cls = "n make" if mode == "inhouse" else "n"
            out.append(f"<td class='{cls}' title='{esc(word)}: {gbp(cost)} a year'>{esc(word)}<br>{_k(cost)}</td>")
        out.append("</tr>")
    out.append("</tbody><tfoot><tr><td>All services</td><td></td><td></td>"
               + "".join(f"<td class='n'>{_k(totals[f['key']])}</td>" for f in feds) + "</tr></tfoot></table></div>")
    hub = finite(as_dict(s.get("parameters")).get("shared_hub_gbp"))
    out.append("<p class='note'>Columns are federations (patients below the id); shaded cells are run in-house. "
               "Costs in £ thousands a year. The same figures, unrounded, are in make_or_buy.csv."
               + (f" Not in the table: a shared clinical hub cost of {gbp(hub)} a year for each federation that "
                  "runs any clinical service in-house." if hub else "") + "</p></section>")
    return "\n".join(out)


def _split_analysis(p, fed: list) -> dict | None:
    """PCNs kept whole or split by the plan. ``rows``: per split PCN, its parts as (federation key,
    positions, is_home) with the federation holding most of its patients first."""
    pcns = _pcn_partners(p, fed)
    if not pcns:
        return None
    sizes = np.asarray(p.list_size)
    positions: set[int] = set()
    rows = []
    moved = 0
    for g in sorted(pcns):
        parts = pcns[g]
        home = _home_federation(parts, sizes)
        moved += sum(len(ms) for f, ms in parts.items() if f != home)
        if len(parts) < 2:
            continue
        order = [home] + sorted((f for f in parts if f != home), key=lambda f: (-int(sizes[parts[f]].sum()), str(f)))
        rows.append((g, [(f, sorted(parts[f], key=lambda i: (-int(sizes[i]), p.code[i])), f == home) for f in order]))
        for f in parts:
            positions.update(parts[f])
    return {"n_pcns": len(pcns), "n_split": len(rows), "n_whole": len(pcns) - len(rows), "positions": positions,
            "rows": rows, "moved": moved}


def render_report(summary: dict, practices, assignment: Sequence[int], *, polygons=None, outline=None,
                  baseline_polygons=None, log_excerpt: str = "", attributions: str = "",
                  make_or_buy: Sequence | None = None, hub_minutes: Sequence | None = None,
                  _figures: dict | None = None) -> str:
    """One self-contained HTML document for a run: headline, maps, federations, make-or-buy,
    why this size, baseline, costs, solver and assumptions sections (``<section id=...>``), everything from the
    inputs escaped.

    ``summary`` is the summary.json dict (any key may be missing); ``assignment[i]`` is the
    federation id of practice ``i`` (matching ``summary['federations'][*]['id']``); ``polygons``
    and ``baseline_polygons`` are GeoDataFrames (``federation_id``, geometry, EPSG:27700) and
    ``outline`` a shapely geometry of the area, all optional; ``make_or_buy`` the rows of
    make_or_buy.csv (dicts, or tuples in its column order). ``_figures``, when a dict, receives
    the matplotlib figures drawn (keys ``plan`` and ``baseline``) for callers that also want PNGs.
    ``hub_minutes[i]``: minutes from practice ``i`` to its hub (assignment.csv ``minutes_to_hub``), for
    the travel section's map; None when the run priced access in km.
    """
    s = summary if isinstance(summary, dict) else {}
    p = practices
    n = len(p)
    notes: list[str] = []
    raw = list(assignment) if assignment is not None else []
    if len(raw) != n:
        if len(raw):
            notes.append(f"The assignment has {len(raw)} entries for {n} practices; the plan's members are "
                         "not shown.")
        raw = [0] * n
    fed = [id_key(a) for a in raw]
    b = as_dict(s.get("baseline"))
    bfeds = records(b.get("federations"))
    bounds = as_dict(s.get("bounds"))
    lo, hi = bounds.get("min_population"), bounds.get("max_population")
    status = str(s.get("status") or "").lower()
    given = records(s.get("federations"))
    # a plan that failed its checks (status error) is still drawn, under the warning of _status_block
    has_plan = status in PLAN_STATUSES or ((not status or status == "error") and bool(given))
    feds = _federation_rows(s, p, fed, has_plan)
    id_label = {f["key"]: f["id"] for f in feds}

    def fed_label(k):
        return id_label.get(k, k)

    members: dict = {}
    for i, f in enumerate(fed):
        members.setdefault(f, []).append(i)
    known = {f["key"] for f in feds}
    unassigned = [i for i, f in enumerate(fed) if f not in known] if feds else []
    devs = [_deviation(f["population"], lo, hi)[0] for f in feds]
    devs_known = [d for d in devs if d is not None]
    in_range = sum(1 for d in devs_known if d == 0) / len(devs_known) if devs_known else None

    pcn_codes = list(p.pcn_code)
    groups = [c if c else f"no PCN: {code}" for c, code in zip(pcn_codes, p.code)]
    baseline_hubs = [f.get("hub") for f in bfeds]
    ctx = {
        "s": s, "b": b, "p": p, "feds": feds, "bfeds": bfeds, "lo": lo, "hi": hi, "fed": fed,
        "has_plan": has_plan and bool(feds), "members": members, "unassigned": unassigned, "in_range": in_range,
        "notes": notes, "polygons": polygons if has_plan else None, "outline": outline,
        "baseline_polygons": baseline_polygons,
        "hub_pos": [f["hub_pos"] for f in feds if f["hub_pos"] is not None],
        "baseline_hub_pos": [p.index(h) for h in baseline_hubs if isinstance(h, str) and h in p],
        "pcn_key": groups, "fed_label": fed_label,
        "split": _split_analysis(p, fed) if has_plan and feds else None,
        "n_practices": s.get("n_practices") if finite(s.get("n_practices")) is not None else n,
        "population": s.get("population") if finite(s.get("population")) is not None else int(np.sum(p.list_size)),
        "figures": _figures if isinstance(_figures, dict) else {},
        "compactness": _compactness(polygons) if has_plan else {},
        "makebuy": _makebuy_table(make_or_buy),
    }
    area = s.get("area") or "planning area"
    head = (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>GP federation plan: {esc(area)}</title><style>{CSS}</style></head><body>")
    intro = (f"<header><h1>GP federation plan: {esc(area)}</h1><p class='sub'>{num(ctx['n_practices'])} practices, "
             f"{num(ctx['population'])} registered patients; "
             + (f"federations of {_bounds_text(lo, hi)}." if bounds else "no population bounds recorded.") + "</p>"
             "<nav>" + "".join(f"<a href=\"#{k}\">{v}</a>" for k, v in (
                 ("headline", "Headline"), ("map", "Maps"), ("federations", "Federations"),
                 ("size", "Why this size"), ("travel", "Travel"), ("makebuy", "Make or buy"), ("baseline", "Today's PCNs"),
                 ("costs", "Costs"), ("solver", "Solver"),
                 ("assumptions", "Assumptions"))) + "</nav></header><main>")
    parts = [
        head, intro,
        _section_headline(ctx),
        _section_map(ctx),
        _section_federations(ctx),
        section_size(s),
        section_travel(s, p, fed, hub_minutes),
        _section_makebuy(ctx),
        _section_baseline(ctx),
        _section_costs(ctx),
        _section_solver(ctx, log_excerpt or ""),
        _section_assumptions(ctx, attributions or ""),
        "</main><footer>Made with fedplan. This file is self-contained: it works offline and loads nothing "
        "from the network. Maps: practice positions from postcode centroids; no background map tiles.</footer>",
        "</body></html>\n",
    ]
    return "\n".join(parts)


def write_report(path, html_text: str) -> Path:
    """Write the report as UTF-8; returns the path."""
    path = Path(path)
    path.write_text(html_text, encoding="utf-8")
    return path
