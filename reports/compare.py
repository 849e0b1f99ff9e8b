"""Side-by-side comparison of scenarios (one row per run) and the plan_scores.csv rows behind it.

Reads only what the runs recorded in summary.json; never solves. Self-contained HTML, as the
report: inline CSS and SVG, no scripts, a CSP that forbids any fetch, every input string escaped.
"""
from __future__ import annotations

from typing import Sequence

from .format import (CSP, CSS, STATUS_SHORT, TERM_LABELS, as_dict, esc, finite, gbp, key_label, num, pct, records,
                     value_text)


def plan_scores(name: str, run_dir: str, summary: dict) -> dict:
    """The comparable numbers of one run: cost, bound, gap, federations, share within the bounds,
    practices moved from their PCN, and the saving against today's PCNs under the same model."""
    s = summary if isinstance(summary, dict) else {}
    b = as_dict(s.get("baseline"))
    bounds = as_dict(s.get("bounds"))
    lo, hi = finite(bounds.get("min_population")), finite(bounds.get("max_population"))
    pops = [finite(f.get("population")) for f in records(s.get("federations"))]
    pops = [p for p in pops if p is not None]
    inside = [(lo is None or p >= lo) and (hi is None or p <= hi) for p in pops]
    cost, base = finite(s.get("objective_gbp")), finite(b.get("objective_gbp"))
    saving = None if cost is None or base is None else round(base - cost, 2)
    return {
        "scenario": name, "run_dir": run_dir, "area": s.get("area"), "status": s.get("status"),
        "objective_gbp": cost, "bound_gbp": finite(s.get("bound_gbp")), "gap": finite(s.get("gap")),
        "n_federations": s.get("n_federations") if finite(s.get("n_federations")) is not None else (len(pops) or None),
        "in_range_share": round(sum(inside) / len(inside), 4) if inside else None,
        "practices_moved": s.get("practices_moved") if finite(s.get("practices_moved")) is not None else None,
        "baseline_gbp": base, "saving_gbp": saving,
        "saving_share": round(saving / base, 6) if saving is not None and base else None,
        "n_practices": s.get("n_practices"), "population": s.get("population"),
        "min_population": None if lo is None else int(lo), "max_population": None if hi is None else int(hi),
        "method": s.get("method"), "solver": s.get("solver"), "runtime_s": finite(s.get("runtime_s")),
        "verified": s.get("verified") if isinstance(s.get("verified"), bool) else None,
    }


def _cheapest(scores: list[dict]) -> int | None:
    costs = [(sc["objective_gbp"], i) for i, sc in enumerate(scores)
             if sc["objective_gbp"] is not None and str(sc["status"]) in ("optimal", "feasible")]
    return min(costs)[1] if costs else None


def render_comparison(names: Sequence[str], summaries: Sequence[dict], scores: Sequence[dict],
                      differences: Sequence[tuple[str, list]] = (), figures: Sequence[str] = ()) -> str:
    """One HTML page comparing runs: scores table, what differs between the scenarios, cost terms
    side by side, and a small map per run (``figures``: inline SVG strings, may be empty)."""
    scores = list(scores)
    best = _cheapest(scores)
    areas = {str(sc["area"]) for sc in scores}
    one_area = len(areas) == 1
    out = [f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
           f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
           f"<title>fedplan: {len(scores)} scenarios compared</title><style>{CSS}</style></head><body>",
           f"<header><h1>{num(len(scores))} scenarios compared</h1><p class='sub'>Each column of numbers comes "
           "from one run directory's summary.json; nothing was solved again. “Today's PCNs” is the current "
           "PCN map costed by the same model as that run."
           + (f" Area: {esc(next(iter(areas)))}." if one_area else "") + "</p></header><main>"]

    out.append("<section id=\"scores\"><h2>Scores</h2><div class='wide'><table><thead><tr><th>#</th>"
               "<th>Scenario</th>" + ("" if one_area else "<th>Area</th>") + "<th>Status</th><th class='n'>Plan £/yr</th><th class='n'>Bound £/yr</th>"
               "<th class='n'>Gap</th><th class='n'>Feder&shy;ations</th><th class='n'>In bounds</th>"
               "<th class='n'>Practices moved</th><th class='n'>PCNs £/yr</th>"
               "<th class='n'>Saving vs PCNs</th><th class='n'>%</th></tr></thead><tbody>")
    for i, sc in enumerate(scores):
        st = str(sc["status"] or "").lower()
        mark = " ✔" if i == best and len(scores) > 1 else ""
        out.append(f"<tr><td>{i + 1}</td><td>{esc(sc['scenario'])}<span class='good' title='cheapest plan'>{mark}</span></td>"
                   + ("" if one_area else f"<td>{esc(sc['area'])}</td>")
                   + f"<td>{esc(STATUS_SHORT.get(st, st or 'unknown'))}</td>"
                   f"<td class='n'>{gbp(sc['objective_gbp'])}</td><td class='n'>{gbp(sc['bound_gbp'])}</td>"
                   f"<td class='n'>{pct(sc['gap'], 2)}</td><td class='n'>{num(sc['n_federations'])}</td>"
                   f"<td class='n'>{pct(sc['in_range_share'], 0)}</td><td class='n'>{num(sc['practices_moved'])}</td>"
                   f"<td class='n'>{gbp(sc['baseline_gbp'])}</td>"
                   f"<td class='n'>{gbp(sc['saving_gbp'])}</td><td class='n'>{pct(sc['saving_share'], 1)}</td></tr>")
    out.append("</tbody></table></div><p class='note'>✔ the cheapest plan. “In bounds”: share of federations inside that run's "
               "population bounds. “Practices moved”: practices not in the federation that holds most of their "
               "current PCN's patients. “PCNs”: today's PCN map costed by the same model. A gap above zero means the plan is not proven optimal: the true optimum "
               "lies between the bound and the plan cost.</p></section>")

    out.append("<section id=\"differences\"><h2>What differs between the scenarios</h2>")
    if differences:
        out.append("<div class='wide'><table><thead><tr><th>Setting</th>"
                   + "".join(f"<th>{i + 1}. {esc(n)}</th>" for i, n in enumerate(names)) + "</tr></thead><tbody>")
        for key, values in differences:
            out.append(f"<tr><th>{esc(key)}</th>" + "".join(f"<td>{'–' if v is None else value_text(v)}</td>"
                                                            for v in values) + "</tr>")
        out.append("</tbody></table></div>")
    else:
        out.append("<p>No recorded scenario setting differs (or the runs recorded none).</p>")
    out.append("</section>")

    out.append("<section id=\"costs\"><h2>Cost breakdown (£ per year)</h2>")
    breakdowns = [as_dict(as_dict(s).get("cost_breakdown")) for s in summaries]
    terms: list[str] = []
    for bd in breakdowns:
        terms += [t for t in bd if t not in terms]
    if terms:
        out.append("<div class='wide'><table><thead><tr><th>Cost term</th>"
                   + "".join(f"<th class='n'>{i + 1}. {esc(n)}</th>" for i, n in enumerate(names))
                   + "</tr></thead><tbody>")
        for t in terms:
            out.append(f"<tr><td>{esc(TERM_LABELS.get(t, key_label(t)))}</td>"
                       + "".join(f"<td class='n'>{gbp(bd.get(t))}</td>" for bd in breakdowns) + "</tr>")
        out.append("</tbody><tfoot><tr><td>Total</td>"
                   + "".join(f"<td class='n'>{gbp(sc['objective_gbp'])}</td>" for sc in scores)
                   + "</tr></tfoot></table></div>")
    else:
        out.append("<p>No run recorded a cost breakdown.</p>")
    out.append("</section>")

    out.append("<section id=\"maps\"><h2>Maps</h2>")
    if any(figures):
        out.append("<div class='maps'>")
        for i, (n, svg) in enumerate(zip(names, figures)):
            body = svg or "<p class='note'>No map: the run has no plan, or its practice data changed.</p>"
            out.append(f"<figure>{body}<figcaption><b>{i + 1}. {esc(n)}</b></figcaption></figure>")
        out.append("</div>")
    else:
        out.append("<p>No maps were drawn for this comparison.</p>")
    out.append("</section></main><footer>Made with fedplan. Self-contained: works offline and loads nothing "
               "from the network.</footer></body></html>\n")
    return "\n".join(out)
