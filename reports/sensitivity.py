"""``sensitivity.html``: the page of a ``fedplan sensitivity`` run, from its sensitivity.json dict
(and the practices, for the maps). Which figures carry the saving (a tornado chart and a table),
how the saving and the federation sizes spread over the Monte Carlo draws, how often neighbouring
practices share a federation, and the robust plan. Inline CSS and SVG, no scripts, the CSP of
``format``: the file works offline. Never solves.
"""
from __future__ import annotations

import numpy as np

from .format import CSP, CSS, as_dict, esc, finite, gbp, num, pct, records, value_text
from .maps import draw_map, figure_svg

LOW, HIGH, BAR = "#4c78a8", "#e45756", "#72b7b2"
TORNADO_BARS = 20          # the chart shows the largest swings; the table lists every figure


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    return fig


def _tornado_svg(rows: list[dict], base_saving: float) -> str:
    rows = [r for r in rows if finite(r.get("swing_gbp")) is not None][:TORNADO_BARS][::-1]
    fig = _figure(8.5, 1.2 + 0.3 * len(rows))
    ax = fig.add_subplot(1, 1, 1)
    y = np.arange(len(rows))
    b = base_saving / 1e6
    for side, off, colour, label in (("low", 0.2, LOW, "figure at its low"), ("high", -0.2, HIGH, "figure at its high")):
        v = np.array([float(r[f"saving_{side}_gbp"]) / 1e6 for r in rows])
        ax.barh(y + off, v - b, left=b, height=0.38, color=colour, label=label)
    ax.axvline(b, color="#222222", linewidth=1)
    ax.axvline(0, color="#b1261a", linewidth=0.8, linestyle="--")
    ax.set_yticks(y, [str(r["parameter"]) for r in rows], fontsize=7)
    ax.set_xlabel("Saving against today's PCNs (£ million a year); black line: the base plan's saving")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return figure_svg(fig, prefix="tornado", label="Tornado chart of the saving against today's PCNs")


def _histogram_svg(values: list[float], marks: list[tuple[float, str, str]], xlabel: str, prefix: str,
                   label: str) -> str:
    fig = _figure(5.6, 3.2)
    ax = fig.add_subplot(1, 1, 1)
    ax.hist(values, bins=min(30, max(5, len(values) // 2)), color=BAR, edgecolor="#ffffff")
    for x, colour, name in marks:
        ax.axvline(x, color=colour, linewidth=1, linestyle="--", label=name)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("count")
    if marks:
        ax.legend(fontsize=7)
    fig.tight_layout()
    return figure_svg(fig, prefix=prefix, label=label)


def _stability_svg(practices, pairs: list[dict]) -> str:
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.collections import LineCollection
    from matplotlib.colors import Normalize

    pos = {c: i for i, c in enumerate(practices.code)}
    x = np.asarray(practices.easting, dtype=float) / 1000
    y = np.asarray(practices.northing, dtype=float) / 1000
    segs, shares = [], []
    for r in pairs:
        i, j, s = pos.get(r.get("practice_a")), pos.get(r.get("practice_b")), finite(r.get("share_together"))
        if i is None or j is None or s is None or not np.isfinite([x[i], y[i], x[j], y[j]]).all():
            continue
        segs.append([(x[i], y[i]), (x[j], y[j])])
        shares.append(s)
    ok = np.isfinite(x) & np.isfinite(y)
    span_x = max(float(np.ptp(x[ok])) if ok.any() else 1.0, 1.0)
    span_y = max(float(np.ptp(y[ok])) if ok.any() else 1.0, 1.0)
    fig = _figure(6.8, min(max(6.0 * span_y / span_x, 3.5), 9.0))
    ax = fig.add_subplot(1, 1, 1)
    cmap, norm = colormaps["viridis"], Normalize(0.0, 1.0)
    ax.add_collection(LineCollection(segs, colors=cmap(norm(np.asarray(shares))), linewidths=1.6, zorder=1))
    ax.scatter(x[ok], y[ok], s=8, c="#222222", zorder=2)
    ax.set_aspect("equal", adjustable="datalim")
    ax.autoscale_view()
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, shrink=0.7)
    bar.set_label("share of draws in one federation")
    fig.tight_layout()
    return figure_svg(fig, prefix="stability", label="How often neighbouring practices share a federation")


def _kpi(value: str, label: str, detail: str = "") -> str:
    return (f"<div class='kpi'><span class='v'>{value}</span><span class='l'>{esc(label)}</span>"
            + (f"<span class='d'>{esc(detail)}</span>" if detail else "") + "</div>")


def _section_summary(d: dict) -> str:
    base = as_dict(d.get("base"))
    summ = as_dict(as_dict(d.get("draws_summary")).get("saving_gbp"))
    robust = as_dict(d.get("robust_plan"))
    stab = as_dict(d.get("stability"))
    kpis = [_kpi(gbp(base.get("saving_gbp")), "base plan's saving a year",
                 f"{pct(base.get('saving_share'))} of today's PCNs' cost; {num(base.get('n_federations'))} federations")]
    if summ:
        kpis.append(_kpi(gbp(summ.get("median")), "median saving over the draws",
                         f"10-90%: {gbp(summ.get('p10'))} to {gbp(summ.get('p90'))}"))
        kpis.append(_kpi(pct(summ.get("share_positive"), 0), "of draws save money"))
    if robust:
        kpis.append(_kpi(gbp(robust.get("expected_saving_gbp")), "robust plan's expected saving",
                         f"from run {robust.get('run')}"))
    if finite(stab.get("mean_share")) is not None:
        kpis.append(_kpi(pct(stab.get("unsettled_share"), 0), "of neighbour pairs unsettled",
                         "together in some draws, apart in others"))
    return "<section id='summary'><h2>Summary</h2><div class='kpis'>" + "".join(kpis) + "</div></section>"


def _section_tornado(d: dict) -> str:
    rows = records(d.get("tornado"))
    base = finite(as_dict(d.get("base")).get("saving_gbp"))
    out = ["<section id='tornado'><h2>Which figures move the saving</h2>"]
    if not rows or base is None:
        return out[0] + "<p>No figure was varied.</p></section>"
    if any(finite(r.get("swing_gbp")) is not None for r in rows):
        out.append("<figure>" + _tornado_svg(rows, base) + "<figcaption>Each bar: the saving with one figure at the "
                   f"low or high end of its range and every other figure as in the scenario (largest {TORNADO_BARS} "
                   "swings). Dashed red: no saving.</figcaption></figure>")
    out.append("<div class='wide'><table><thead><tr><th>Figure</th><th class='n'>Low</th><th class='n'>High</th>"
               "<th class='n'>Saving at low</th><th class='n'>Saving at high</th><th class='n'>Swing</th>"
               "<th>Re-solves (status, gap)</th><th class='n'>Mean size low / high</th></tr></thead><tbody>")
    for r in rows:
        solves = "; ".join(
            "unchanged (the base plan)" if r.get(f"no_effect_{s}") else
            f"{esc(r.get(f'status_{s}'))}" + ("" if finite(r.get(f"gap_{s}")) is None else f", {pct(r.get(f'gap_{s}'))}")
            for s in ("low", "high"))
        out.append(f"<tr><td>{esc(r.get('parameter'))}<br><span class='note'>{esc(r.get('unit'))}</span></td>"
                   f"<td class='n'>{value_text(r.get('low'))}</td><td class='n'>{value_text(r.get('high'))}</td>"
                   f"<td class='n'>{gbp(r.get('saving_low_gbp'))}</td><td class='n'>{gbp(r.get('saving_high_gbp'))}</td>"
                   f"<td class='n'>{gbp(r.get('swing_gbp'))}</td><td>{solves}</td>"
                   f"<td class='n'>{num(r.get('mean_size_low'))} / {num(r.get('mean_size_high'))}</td></tr>")
    out.append("</tbody></table></div></section>")
    return "\n".join(out)


def _section_drivers(d: dict) -> str:
    rows = [r for r in records(d.get("drivers")) if (finite(r.get("swing_gbp")) or 0) > 0]
    out = ["<section id='drivers'><h2>Which figures carry the saving</h2>"]
    if not rows:
        return out[0] + "<p>No figure moves the saving.</p></section>"
    out.append("<table><thead><tr><th>Figure</th><th class='n'>Swing a year</th><th class='n'>Share of all swings</th>"
               "<th class='n'>Rank correlation with the saving (draws)</th><th>Saving at both ends</th></tr></thead><tbody>")
    for r in rows:
        stays = r.get("saving_stays_positive")
        word = ("<span class='good'>still a saving</span>" if stays else
                "<span class='bad'>no saving at one end</span>" if stays is False else "–")
        rho = finite(r.get("rank_correlation"))
        out.append(f"<tr><td>{esc(r.get('parameter'))}</td><td class='n'>{gbp(r.get('swing_gbp'))}</td>"
                   f"<td class='n'>{pct(r.get('share_of_swing'))}</td>"
                   f"<td class='n'>{'–' if rho is None else f'{rho:+.2f}'}</td><td>{word}</td></tr>")
    out.append("</tbody></table><p class='note'>Swing: how far the saving moves between the figure's low and high, "
               "the others held. The rank correlation (Spearman) says how the saving follows the figure when every "
               "figure is drawn at once: near ±1 the figure decides it, near 0 others swamp it.</p></section>")
    return "\n".join(out)


def _section_draws(d: dict) -> str:
    draws = records(d.get("draws"))
    out = ["<section id='draws'><h2>The saving over the draws</h2>"]
    savings = [float(x["saving_gbp"]) / 1e6 for x in draws if finite(x.get("saving_gbp")) is not None]
    if not savings:
        return out[0] + "<p>No draws were run (--draws 0) or none found a plan.</p></section>"
    base = finite(as_dict(d.get("base")).get("saving_gbp"))
    marks = [(0.0, "#b1261a", "no saving")] + ([(base / 1e6, "#222222", "base plan")] if base is not None else [])
    sizes = [float(s) / 1000 for x in draws for s in (x.get("sizes") or []) if finite(s) is not None]
    bounds = as_dict(as_dict(d.get("settings")).get("bounds"))
    size_marks = [(float(bounds[k]) / 1000, "#555555", "population rule" if k == "min_population" else "_nolegend_")
                  for k in ("min_population", "max_population") if finite(bounds.get(k)) is not None]
    out.append("<div class='maps'><figure>" + _histogram_svg(
        savings, marks, "Saving against today's PCNs (£ million a year)", "saving",
        "Histogram of the saving over the draws") + f"<figcaption>{len(savings)} draws with a plan.</figcaption></figure>")
    if sizes:
        out.append("<figure>" + _histogram_svg(
            sizes, size_marks, "Federation population (thousands of patients)", "sizes",
            "Histogram of federation sizes over the draws") + "<figcaption>Every federation of every draw; dashed: the "
            "population rules.</figcaption></figure>")
    out.append("</div><p class='note'>Each draw sets every varied figure at once, each drawn from a triangular "
               "distribution over its low, central and high; each draw is re-planned under the work limit.</p></section>")
    return "\n".join(out)


def _section_stability(d: dict, practices) -> str:
    s = as_dict(d.get("stability"))
    out = ["<section id='stability'><h2>Which neighbours stay together</h2>"]
    pairs = records(s.get("pairs"))
    if finite(s.get("mean_share")) is None:
        return out[0] + "<p>No draws with a plan, so nothing to count.</p></section>"
    if practices is not None and pairs:
        out.append("<figure class='maps'>" + _stability_svg(practices, pairs) + "</figure>")
    out.append(f"<p>Over {num(s.get('n_draws'))} draws and {num(s.get('n_pairs'))} pairs of neighbouring practices "
               f"(Delaunay neighbours): on average a pair shares a federation in {pct(s.get('mean_share'), 0)} of draws; "
               f"{pct(s.get('always_together_share'), 0)} of pairs are always together, "
               f"{pct(s.get('never_together_share'), 0)} never, and {pct(s.get('unsettled_share'), 0)} change with the "
               "figures. Yellow lines join practices the figures never part; dark ones, practices they rarely "
               "join.</p></section>")
    return "\n".join(out)


def _section_robust(d: dict, practices) -> str:
    r = as_dict(d.get("robust_plan"))
    out = ["<section id='robust'><h2>The robust plan</h2>"]
    if not r:
        return out[0] + "<p>No robust plan: it needs at least one draw to re-cost the plans under.</p></section>"
    base = as_dict(r.get("base_plan"))
    out.append(f"<p>Of {num(r.get('n_candidates'))} distinct plans found (the base plan, the tornado and the draws), the "
               f"plan of least mean cost over the {num(r.get('n_draws'))} draws was first found by <strong>"
               f"{esc(r.get('run'))}</strong>: {num(r.get('n_federations'))} federations, mean cost "
               f"{gbp(r.get('expected_cost_gbp'))} a year (from {gbp(r.get('best_cost_gbp'))} to "
               f"{gbp(r.get('worst_cost_gbp'))}), an expected saving of {gbp(r.get('expected_saving_gbp'))} "
               f"({pct(r.get('expected_saving_share'))}) and a mean regret of {gbp(r.get('expected_regret_gbp'))} "
               "against the best of the plans in each draw."
               + (f" The base plan's mean cost is {gbp(base.get('expected_cost_gbp'))}, its mean regret "
                  f"{gbp(base.get('expected_regret_gbp'))}." if base else "")
               + f" Plans that break a draw's rules are excluded ({num(r.get('n_excluded'))}).</p>")
    assignment, hubs = as_dict(r.get("assignment")), as_dict(r.get("hubs"))
    if practices is not None and assignment:
        pos = {c: i for i, c in enumerate(practices.code)}
        fed = [assignment.get(c, 0) for c in practices.code]
        hub_idx = [pos[c] for c in hubs.values() if c in pos]
        out.append("<figure class='maps'>" + figure_svg(draw_map(practices, fed, hubs=hub_idx), prefix="robust",
                                                        label="Map of the robust plan")
                   + "<figcaption>Practices coloured by federation of the robust plan; stars: hubs.</figcaption></figure>")
    feds = records(r.get("federations"))
    if feds:
        out.append("<table><thead><tr><th>Federation</th><th>Hub</th><th class='n'>Patients</th>"
                   "<th class='n'>Practices</th></tr></thead><tbody>"
                   + "".join(f"<tr><td>{esc(f.get('id'))}</td><td>{esc(f.get('hub'))}</td><td class='n'>"
                             f"{num(f.get('population'))}</td><td class='n'>{num(f.get('n_practices'))}</td></tr>"
                             for f in feds) + "</tbody></table>")
    out.append("<p class='note'>robust_plan.csv lists each practice's federation and hub.</p></section>")
    return "\n".join(out)


def _section_method(d: dict) -> str:
    s = as_dict(d.get("settings"))
    skipped = records(d.get("skipped"))
    rows = [("Scenario", s.get("scenario")), ("Area", s.get("area")), ("Practices", num(s.get("n_practices"))),
            ("Figures varied", num(len(s.get("figures_varied") or []))), ("Draws", num(s.get("draws"))),
            ("Seed", s.get("seed")), ("Distribution", s.get("distribution")),
            ("Work limit per re-solve", f"{s.get('work_limit')} units"), ("Solver", f"{s.get('solver')}, {s.get('method')}"),
            ("Ranges", s.get("ranges"))]
    out = ["<section id='method'><h2>Method and settings</h2><table class='kv'><tbody>"
           + "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows) + "</tbody></table>",
           "<p class='note'>Every re-solve stops at the same amount of deterministic work, so a rerun repeats "
           "exactly; a plan not proven optimal carries its gap. Tornado ends and draws start from the base plan. "
           "A figure whose change leaves every cost of the plans unchanged is not re-solved.</p>"]
    missing = d.get("missing_tasks") or []
    if missing:
        out.append(f"<p class='warning'>{len(missing)} solves are missing (a worker was lost): "
                   f"{esc(', '.join(map(str, missing[:10])))}. Run the same command again to finish them.</p>")
    if skipped:
        out.append("<h3>Figures not varied</h3><table><thead><tr><th>Figure</th><th>Why</th></tr></thead><tbody>"
                   + "".join(f"<tr><td>{esc(x.get('parameter'))}</td><td>{esc(x.get('reason'))}</td></tr>"
                             for x in skipped) + "</tbody></table>")
    out.append("</section>")
    return "\n".join(out)


def render_sensitivity(data: dict, practices=None) -> str:
    """The whole page as one string (``practices``: the run's Practices, for the maps)."""
    d = as_dict(data)
    s = as_dict(d.get("settings"))
    area = s.get("area") or "planning area"
    nav = (("summary", "Summary"), ("tornado", "Tornado"), ("drivers", "What carries the saving"),
           ("draws", "Draws"), ("stability", "Neighbours"), ("robust", "Robust plan"), ("method", "Method"))
    parts = [
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"{CSP}\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>Sensitivity of the saving: {esc(area)}</title><style>{CSS}</style></head><body>",
        f"<header><h1>Sensitivity of the saving: {esc(area)}</h1><p class='sub'>How the plan's saving against "
        "today's PCNs moves with the uncertain figures of the model, and which plan holds up.</p><nav>"
        + "".join(f"<a href=\"#{k}\">{v}</a>" for k, v in nav) + "</nav></header><main>",
        _section_summary(d), _section_tornado(d), _section_drivers(d), _section_draws(d),
        _section_stability(d, practices), _section_robust(d, practices), _section_method(d),
        "</main><footer>Made with fedplan. This file is self-contained: it works offline and loads nothing from "
        "the network.</footer></body></html>\n",
    ]
    return "\n".join(parts)
