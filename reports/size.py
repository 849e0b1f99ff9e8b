"""The report's "Why this size" section: the cost per patient by term against population (from
summary.json's ``size_analysis``), where each federation and each of today's PCNs sits on it,
which population rule holds each federation, and the minimum viable population."""
from __future__ import annotations

from .format import as_dict, esc, finite, gbp, num, records
from .maps import figure_svg

TERMS = (("services", "Services (make or buy)", "#4c78a8"), ("federation_fixed", "Fixed core team", "#9d755d"),
         ("risk", "Financial risk", "#e45756"), ("engagement", "Engagement", "#72b7b2"))
RULE_WORDS = {"ceiling": "held at the ceiling", "floor": "held at the floor", "none": "inside the range"}


def _curve_svg(curve: list[dict], feds: list[dict], pcns: list[dict], lo, hi) -> str:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.5, 3.8))
    ax = fig.add_subplot(1, 1, 1)
    x = [r["population"] / 1000 for r in curve]
    bottom = [0.0] * len(curve)
    for key, label, colour in TERMS:
        top = [b + float(r.get(key, 0.0)) for b, r in zip(bottom, curve)]
        ax.fill_between(x, bottom, top, color=colour, alpha=0.55, linewidth=0, label=label)
        bottom = top
    ax.plot(x, bottom, color="#222222", linewidth=1.2, label="Total without access")
    for rows, marker, colour, label in ((pcns, "o", "#888888", "Today's PCNs"), (feds, "D", "#111111", "Plan")):
        pts = [(f["population"] / 1000, sum(float(v) for k, v in as_dict(f.get("per_patient")).items()
                                               if k != "access")) for f in rows if finite(f.get("population"))]
        if pts:
            ax.scatter(*zip(*pts), marker=marker, s=18, color=colour, zorder=5, label=label)
    for v in (lo, hi):
        if finite(v) is not None:
            ax.axvline(float(v) / 1000, color="#555555", linestyle="--", linewidth=0.8)
    ax.set_xlabel("Federation population (thousands of registered patients)")
    ax.set_ylabel("£ per patient per year")
    totals = [b for b in bottom if b == b]
    if totals:
        ax.set_ylim(0, min(max(totals), 2.5 * min(totals)) * 1.05)
    ax.legend(fontsize=7, loc="upper right", ncol=2)
    fig.tight_layout()
    return figure_svg(fig, prefix="size", label="Cost per patient by term against federation population")


def _pcn_points(b: dict, fixed) -> list[dict]:
    out = []
    for f in records(b.get("federations")):
        n = finite(f.get("population"))
        if not n:
            continue
        per = {k: (finite(f.get(f"{k}_gbp")) or 0.0) / n for k in ("services", "risk", "engagement")}
        if finite(fixed) is not None:
            per["federation_fixed"] = float(fixed) / n
        out.append({"population": n, "per_patient": per})
    return out


def _below(s: dict, mvp) -> str:
    pops = [finite(f.get("population")) for f in records(s.get("federations"))]
    pops = [p for p in pops if p is not None]
    if mvp is None or not pops:
        return ""
    n = sum(1 for p in pops if p < float(mvp))
    return f" {n} of the plan's {len(pops)} federations are below it."


def section_size(s: dict) -> str:
    """HTML of the section (an explanation in words when the run recorded no size analysis)."""
    a = as_dict(s.get("size_analysis"))
    out = ["<section id=\"size\"><h2>Why this size</h2>"]
    via = as_dict(s.get("min_viable_population_detail"))
    mvp = s.get("min_viable_population")
    if via.get("by_risk_share"):
        shares = ", ".join(f"{float(k):.0%} kept: {num(v) if v is not None else 'not reached'}"
                           for k, v in sorted(as_dict(via["by_risk_share"]).items(), key=lambda kv: -float(kv[0])))
        out.append(f"<p><strong>Minimum viable population: {num(mvp) if mvp is not None else 'not reached'}"
                   f"</strong> patients: the {esc(via.get('test', ''))}, with the federation keeping "
                   f"{float(via.get('risk_share') or 1):.0%} of every overspend or underspend (the rest shared with the "
                   f"commissioner). How the risk share moves it: {esc(shares)}. Below it, a federation needs "
                   "a risk share, stop-loss cover or more members." + _below(s, mvp) + "</p>")
    if not a:
        out.append("<p>No size analysis was recorded for this run (no plan, or a run from an earlier version).</p>"
                   "</section>")
        return "\n".join(out)
    bounds = as_dict(s.get("bounds"))
    lo, hi = bounds.get("min_population"), bounds.get("max_population")
    curve = records(a.get("curve"))
    feds = records(a.get("federations"))
    fixed = as_dict(s.get("parameters")).get("federation_fixed_gbp")
    if curve:
        out.append("<figure>" + _curve_svg(curve, feds, _pcn_points(as_dict(s.get("baseline")), fixed), lo, hi)
                   + "<figcaption>" + esc(a.get("curve_note", "")) + ". Dashed lines: the population rules. "
                   "Diamonds: this plan's federations; circles: today's PCNs.</figcaption></figure>")
    low = as_dict(a.get("curve_lowest"))
    held = int(a.get("held_by_ceiling") or 0)
    if low:
        where = (f"above the ceiling of {num(hi)}" if finite(hi) is not None and low["population"] > hi else
                 f"below the floor of {num(lo)}" if finite(lo) is not None and low["population"] < lo else
                 "inside the planners' range")
        out.append(f"<p>Without geography, the cost per patient is lowest at about <strong>{num(low['population'])}"
                   f"</strong> patients ({gbp(low['total'], 2)} per patient), {where}. {held} of {len(feds)} "
                   "federations are held at the ceiling and "
                   f"{int(a.get('held_by_floor') or 0)} at the floor (one practice of the median list, "
                   f"{num(a.get('median_practice_list'))} patients, more or fewer would cross it); the others settle "
                   "where patient travel and the practices' sizes put them.</p>")
    out += _drivers_text(as_dict(a.get("drivers")))
    out += _steps_summary(records(a.get("federations")))
    prices = as_dict(s.get("rule_prices"))
    if prices:
        out.append("<h3>What each binding rule costs</h3><table><thead><tr><th>Rule</th><th>Widened</th>"
                   "<th class='n'>Saving a year if widened</th><th>Re-solve</th></tr></thead><tbody>")
        for name, p in prices.items():
            p = as_dict(p)
            amount = gbp(p.get("gbp"))
            most = finite(p.get("gbp_at_most"))
            if most is not None and finite(p.get("gbp")) is not None and most > float(p["gbp"]) + 0.5:
                amount += f" (up to {gbp(most)})"
            gap = finite(p.get("gap"))
            out.append(f"<tr><td>{esc(name)}</td><td>{esc(p.get('step', ''))}</td><td class='n'>{amount}</td>"
                       f"<td>{esc(p.get('status', ''))}" + ("" if gap is None else f", gap {gap:.2%}") + "</td></tr>")
        out.append("</tbody></table><p class='note'>Each price is the plan's cost less the cost of a re-solve with "
                   "that rule widened, started from this plan; \"up to\" is what the re-solve's bound still allows.</p>")
    if feds:
        out.append("<table><thead><tr><th>Federation</th><th class='n'>Patients</th><th class='n'>Practices</th>"
                   + "".join(f"<th class='n'>{esc(lbl)} £/patient</th>" for _, lbl, _ in TERMS)
                   + "<th class='n'>Access £/patient</th><th>Population rule</th>"
                   "<th>One more median practice would need</th></tr></thead><tbody>")
        for f in feds:
            per = as_dict(f.get("per_patient"))
            out.append(f"<tr><td>{esc(f.get('id'))}</td><td class='n'>{num(f.get('population'))}</td>"
                       f"<td class='n'>{num(f.get('n_practices'))}</td>"
                       + "".join(f"<td class='n'>{gbp(per.get(k), 2)}</td>" for k, _, _ in TERMS)
                       + f"<td class='n'>{gbp(per.get('access'), 2)}</td>"
                       f"<td>{esc(RULE_WORDS.get(str(f.get('binding_rule')), f.get('binding_rule')))}</td>"
                       f"<td>{_steps_text(f.get('next_step'))}</td></tr>")
        out.append("</tbody></table>")
    pooled = as_dict(as_dict(s.get("parameters")).get("engagement")).get("pooled_incentive")
    engagement = ("engagement rises with the number of member practices (coordination per member, and a pooled "
                  "incentive lost if any member misses its target)" if pooled else
                  "engagement is coordination per member practice, the same per patient at any size (the pooled "
                  "network incentive, which rises with the member count, is off in this run: "
                  "[engagement] pooled_incentive = true)")
    out.append("<p class='note'>Risk falls per patient as a federation grows (its random part pools away; the "
               f"allocation formula's error only partly does); {engagement}. Today's PCNs are costed as if they held "
               "the same capitated contract.</p></section>")
    return "\n".join(out)


def _drivers_text(d: dict) -> list[str]:
    """The terms that made the plan's federations the size they are, in words."""
    change = as_dict(d.get("change_per_patient"))
    if not change:
        return []
    labels = {k: lbl for k, lbl, _ in TERMS}
    parts = []
    for k in sorted(change, key=lambda k: -abs(float(change[k]))):
        v = finite(change[k])
        if v is None or abs(v) < 0.005:
            continue
        parts.append(f"{labels.get(k, k).lower()} {'falls' if v < 0 else 'rises'} {gbp(abs(v), 2)}")
    if not parts:
        return []
    return [f"<p>What made them this size: from {num(d.get('from_population'))} to {num(d.get('to_population'))} "
            f"patients (the plan's median federation), the cost per patient of a federation of the area's mean "
            f"practices changes by term: {esc('; '.join(parts))}. The largest mover is "
            f"<strong>{esc(labels.get(str(d.get('largest')), d.get('largest')).lower())}</strong>; patient travel "
            "(access) is what grows with size and holds federations back where no rule does.</p>"]


def _steps_summary(feds: list[dict]) -> list[str]:
    """The service step most federations stop below, in words (the team one more practice would
    need): the make-or-buy steps, not only travel, hold federations where no rule does."""
    tops = []
    for f in feds:
        steps = [r for r in (f.get("next_step") or []) if isinstance(r, dict) and finite(r.get("extra_gbp"))]
        if steps and f.get("binding_rule") == "none":
            tops.append(max(steps, key=lambda r: float(r["extra_gbp"])))
    if not tops:
        return []
    names = [str(t.get("service")) for t in tops]
    common = max(sorted(set(names)), key=names.count)
    extra = max(float(t["extra_gbp"]) for t in tops if t.get("service") == common)
    held = sum(1 for f in feds if f.get("binding_rule") == "none")
    return [f"<p>{names.count(common)} of the {held} federations no rule holds stop just below a step in "
            f"<strong>{esc(common)}</strong>: one more practice of the median list would need another team "
            f"(up to {gbp(extra)} a year more).</p>"]


def _steps_text(steps) -> str:
    rows = [r for r in (steps or []) if isinstance(r, dict)]
    if not rows:
        return "no new team"
    return esc(", ".join(f"{r.get('service')} ({'+' + gbp(r.get('extra_gbp')) if finite(r.get('extra_gbp')) else ''})"
                         for r in rows[:3]) + (f" and {len(rows) - 3} more" if len(rows) > 3 else ""))
