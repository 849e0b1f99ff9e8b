"""The report's "Travel to the hub" section: how access was measured (road minutes from the fitted
model, a travel-time file, or straight-line km) and how good that measure is, each federation's
longest and mean trip to its hub, the island and sea-link notes, and a map of every practice's trip.

Draws only what it is given (``summary["travel"]``, the federations' ``minutes_to_hub_*`` figures,
``hub_minutes`` per practice): no travel time is computed here. The one exception is the map when
no per-practice figure was given: it then shows straight-line km from the coordinates, and says so.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from .format import as_dict, esc, finite, id_key, num, records
from .maps import figure_svg

CMAP = "YlOrRd"          # sequential, light = near the hub, dark red = far; readable in greyscale
NO_VALUE = "#bdbdbd"
# colour bands rather than a continuous scale: one long ferry trip would otherwise wash every
# mainland trip into the same pale yellow, and a planner reads "20–30 min" more easily than a shade
BANDS = {"min": (0, 10, 20, 30, 45, 60, 90, 120, 180), "km": (0, 2, 5, 10, 15, 20, 30, 50, 80)}


def _about(v, err, unit: str) -> str:
    """``about 24 min, typically ±4``; ``–`` when there is no figure."""
    x = finite(v)
    if x is None:
        return "–"
    text = f"about {num(x, 0 if abs(x) >= 10 or unit == 'min' else 1)} {unit}"
    e = finite(err)
    if e is not None:
        text += f", typically ±{num(e, 0 if e >= 1 else 1)}"
    return text


def _members(assignment: Sequence, n: int) -> np.ndarray:
    ids = list(assignment) if assignment is not None else []
    if len(ids) != n:
        ids = [0] * n
    return np.array([id_key(a) for a in ids], dtype=object)


def _values(hub_minutes, n: int) -> np.ndarray | None:
    if hub_minutes is None:
        return None
    vals = [finite(v) for v in hub_minutes]
    if len(vals) != n:
        return None
    return np.array([np.nan if v is None else v for v in vals], dtype=float)


def _hub_positions(practices, feds: list[dict]) -> dict:
    """Federation id -> index of its hub practice (when the hub code is among the practices)."""
    out = {}
    codes = {c: i for i, c in enumerate(getattr(practices, "code", ()))}
    for f in feds:
        i = codes.get(str(f.get("hub", "")))
        if i is not None:
            out[id_key(f.get("id"))] = i
    return out


def _straight_km(practices, fed: np.ndarray, hubs: dict) -> np.ndarray:
    """Straight-line km from each practice to its federation's hub (NaN without one): geometry of
    the given coordinates, only for the map when no per-practice trip was given."""
    x, y = np.asarray(practices.easting, float), np.asarray(practices.northing, float)
    out = np.full(len(x), np.nan)
    for i, f in enumerate(fed):
        h = hubs.get(f)
        if h is not None:
            out[i] = math.hypot(x[i] - x[h], y[i] - y[h]) / 1000.0
    return out


def _method(travel: dict, measure: str) -> str:
    if not travel:
        return ("<p>This run did not record how travel to the hub was measured; the figures below are "
                "those it gave.</p>")
    if measure == "km":
        return ("<p>Access is priced by <b>straight-line distance</b> (km) from each practice to its "
                "federation's hub, not by time on the road: a river, an estuary or the sea between them "
                "does not count.</p>")
    model = as_dict(travel.get("model"))
    if travel.get("source") == "file":
        text = "Minutes by car from the travel-time file given with the scenario."
    else:
        text = ("Minutes by car from a model fitted to routed road times (OpenStreetMap routes from every "
                "neighbourhood of England to hospitals), priced from practice to hub.")
    typ, p90 = finite(model.get("held_out_median_abs_min")), finite(model.get("held_out_p90_abs_min"))
    if typ is not None:
        text += f" On routed trips held out of the fit it is typically ±{num(typ, 1)} min"
        text += f" (one trip in ten is off by more than {num(p90, 0)} min)." if p90 is not None else "."
    devon = finite(model.get("devon_median_abs_min"))
    if devon is not None:
        text += (f" Against independent car times for Devon it is typically ±{num(devon, 1)} min "
                 "(the model is faster than them on longer trips).")
    out = f"<p>{esc(text)}</p>"
    if model.get("note"):
        out += f"<p class='note'>{esc(model.get('note'))}</p>"
    return out


def _table(feds: list[dict], practices, fed: np.ndarray, vals: np.ndarray | None, measure: str) -> str:
    unit = "km" if measure == "km" else "min"
    names = tuple(getattr(practices, "name", ()) or ()) if practices is not None else ()
    codes = tuple(getattr(practices, "code", ()) or ()) if practices is not None else ()
    sizes = np.asarray(getattr(practices, "list_size", []), float) if practices is not None else np.zeros(0)
    rows = []
    for f in feds:
        fid = id_key(f.get("id"))
        if unit == "min":
            longest, err, mean = (f.get("minutes_to_hub_max"), f.get("minutes_to_hub_typical_error"),
                                  f.get("minutes_to_hub_mean"))
        else:
            longest, err, mean = f.get("max_distance_km"), None, f.get("mean_distance_km")
        far = "–"
        if vals is not None:
            m = np.flatnonzero((fed == fid) & np.isfinite(vals))
            if len(m):
                j = m[np.argmax(vals[m])]
                far = esc(names[j] if j < len(names) and names[j] else (codes[j] if j < len(codes) else ""))
                # a run that gave per-practice trips but not the federation's figures: read them off those
                if finite(longest) is None:
                    longest = vals[j]
                if finite(mean) is None and len(sizes) == len(vals) and sizes[m].sum() > 0:
                    mean = float(np.average(vals[m], weights=sizes[m]))
        sea = f.get("hub_trip_by_sea")
        sea_text = "–" if not isinstance(sea, (bool, np.bool_)) else ("by sea" if sea else "no")
        hub = f.get("hub_name") or f.get("hub")
        rows.append(f"<tr><td>{esc(f.get('id'))}</td><td>{esc(hub) if hub else '–'}</td>"
                    f"<td class='n'>{num(f.get('population'))}</td><td>{_about(longest, err, unit)}</td>"
                    f"<td>{far}</td><td class='n'>{num(mean, 0 if unit == 'min' else 1)}"
                    f"{' ' + unit if finite(mean) is not None else ''}</td><td>{sea_text}</td></tr>")
    if not rows:
        return "<p>There is no plan, so no federation's trips to its hub to show.</p>"
    what = "minutes by car" if unit == "min" else "straight-line km"
    return ("<div class='wide'><table><thead><tr><th>Federation</th><th>Hub</th><th class='n'>Population</th>"
            f"<th>Longest trip to the hub ({what})</th><th>Longest trip from</th>"
            f"<th class='n'>Mean trip (weighted by list size)</th><th>Sea crossing</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table></div>")


def _links_table(links: list[dict]) -> str:
    if not links:
        return ""
    rows = "".join(
        f"<tr><td>{esc(lk.get('island'))}</td><td>{esc(lk.get('from'))}</td><td>{esc(lk.get('to'))}</td>"
        f"<td class='n'>{num(lk.get('crossing_min'))} min</td><td class='n'>{num(lk.get('boarding_min'))} min</td>"
        f"<td>{esc(lk.get('source'))}</td></tr>" for lk in links)
    return ("<h3>Sea links</h3><table><thead><tr><th>Island</th><th>From</th><th>To</th><th class='n'>Crossing</th>"
            "<th class='n'>Boarding and waiting</th><th>Source</th></tr></thead><tbody>" + rows + "</tbody></table>")


def _nice_step(span: float) -> float:
    p = 10 ** math.floor(math.log10(span)) if span > 0 else 1.0
    return next((m * p for m in (5, 2, 1) if m * p <= span), p)


def draw_travel_map(practices, values: np.ndarray, hubs: Sequence[int], unit: str,
                    links: Sequence[dict] = (), width_in: float = 6.4):
    """A matplotlib Figure: practices as dots coloured by their trip to the hub (sequential colour
    bands, ``BANDS``, with a colour bar), hubs as stars, the sea links that fall on the map as dashed
    lines, a km scale bar."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import BoundaryNorm
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    x = np.asarray(practices.easting, float) / 1000
    y = np.asarray(practices.northing, float) / 1000
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.any():
        x0, x1, y0, y1 = x[ok].min(), x[ok].max(), y[ok].min(), y[ok].max()
    else:
        x0, x1, y0, y1 = 0.0, 10.0, 0.0, 10.0
    span = max(x1 - x0, y1 - y0, 2.0)
    pad = 0.06 * span
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    w, h = max(x1 - x0, span * 0.3) / 2 + pad, max(y1 - y0, span * 0.3) / 2 + pad
    x0, x1, y0, y1 = cx - w, cx + w, cy - h, cy + h
    fig = Figure(figsize=(width_in, min(max(width_in * h / w * 0.85, 3.2), 9.0)), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.01, 0.01, 0.82, 0.98))
    for lk in links:
        a, b = lk.get("island_port_bng"), lk.get("mainland_port_bng")
        if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b) == 2:
            px, py = [float(a[0]) / 1000, float(b[0]) / 1000], [float(a[1]) / 1000, float(b[1]) / 1000]
            if all(x0 <= v <= x1 for v in px) and all(y0 <= v <= y1 for v in py):
                ax.plot(px, py, linestyle="--", color="#005eb8", linewidth=1.1, zorder=2)
    has = ok & np.isfinite(values)
    top = float(np.nanmax(values[has])) if has.any() else 1.0
    bands = BANDS.get(unit, BANDS["min"])
    bounds = [b for b in bands if b < top] or [0]
    bounds.append(next((b for b in bands if b >= top), math.ceil(top)))
    if len(bounds) < 2 or bounds[-1] <= bounds[-2]:
        bounds = [0, max(1, math.ceil(top))]
    norm = BoundaryNorm(bounds, ncolors=256)
    if (ok & ~has).any():
        ax.scatter(x[ok & ~has], y[ok & ~has], s=22, c=NO_VALUE, edgecolors="#555555", linewidths=0.5, zorder=3)
    dots = ax.scatter(x[has], y[has], s=30, c=values[has], cmap=CMAP, norm=norm, edgecolors="#333333",
                      linewidths=0.5, zorder=4)
    hub = np.array([i for i in hubs if 0 <= i < len(x) and ok[i]], dtype=int)
    if len(hub):
        ax.scatter(x[hub], y[hub], s=110, marker="*", c="#ffffff", edgecolors="#000000", linewidths=0.9, zorder=5)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    for s in ax.spines.values():
        s.set_visible(False)
    bar = _nice_step((x1 - x0) / 5)
    bx, by = x0 + (x1 - x0) * 0.04, y0 + (y1 - y0) * 0.035
    ax.plot([bx, bx + bar], [by, by], color="#000000", linewidth=2.2, solid_capstyle="butt", zorder=7)
    ax.text(bx + bar / 2, by + (y1 - y0) * 0.015, f"{bar:g} km", ha="center", va="bottom", fontsize=9, zorder=7)
    handles = [Line2D([], [], marker="*", linestyle="", markersize=10, markerfacecolor="#ffffff",
                      markeredgecolor="#000000", label="hub")]
    if (ok & ~has).any():
        handles.append(Line2D([], [], marker="o", linestyle="", markersize=5, markerfacecolor=NO_VALUE,
                              markeredgecolor="#555555", label="not known"))
    if any(line.get_linestyle() == "--" for line in ax.get_lines()):
        handles.append(Line2D([], [], linestyle="--", color="#005eb8", label="ferry"))
    ax.legend(handles=handles, loc="lower right", fontsize=8.5, framealpha=0.85, edgecolor="#cccccc")
    cax = fig.add_axes((0.85, 0.15, 0.03, 0.7))
    bar_ = fig.colorbar(dots, cax=cax, ticks=bounds)
    bar_.set_label("minutes to the hub" if unit == "min" else "straight-line km to the hub", fontsize=9)
    bar_.ax.tick_params(labelsize=8)
    return fig


def section_travel(summary: dict, practices, assignment: Sequence[int],
                   hub_minutes: Sequence[float] | None) -> str:
    """``<section id="travel">``: the travel measure and its accuracy, each federation's trips to its
    hub, the island and sea-link notes, and a map of every practice's trip to its hub."""
    s = as_dict(summary)
    travel = as_dict(s.get("travel"))
    measure = "km" if travel.get("measure") == "km" else "minutes"
    feds = records(s.get("federations"))
    out = ["<section id=\"travel\"><h2>Travel to the hub</h2>", _method(travel, measure)]

    n = len(practices) if practices is not None else 0
    fed = _members(assignment, n)
    vals = _values(hub_minutes, n)
    # a km run may still hand over minutes per practice; without them its figures are km
    out.append(_table(feds, practices, fed, vals, "km" if measure == "km" and vals is None else "minutes"))

    for note in travel.get("notes") or []:
        out.append(f"<p class='note'>{esc(note)}</p>")
    links = records(travel.get("sea_links"))
    out.append(_links_table(links))

    if n:
        hubs = _hub_positions(practices, feds)
        unit = "min"
        if vals is None:
            vals, unit = _straight_km(practices, fed, hubs), "km"
        if np.isfinite(vals).any():
            fig = draw_travel_map(practices, vals, sorted(set(hubs.values())), unit, links)
            what = ("Minutes by car from each practice to its federation's hub" if unit == "min"
                    else "Straight-line km from each practice to its federation's hub")
            caption = f"<b>{what}</b> (colour: light is near, dark is far; ★ marks the hubs"
            caption += "; dashed lines are ferry routes)." if links else ")."
            if unit == "km" and measure == "minutes":
                caption += " Minutes per practice were not given, so the map shows straight-line distance."
            out.append(f"<div class='maps'><figure>{figure_svg(fig, 'travel', what)}"
                       f"<figcaption>{caption}</figcaption></figure></div>")
        else:
            out.append("<p>No practice has a known trip to a hub, so there is no map.</p>")
    out.append("</section>")
    return "\n".join(x for x in out if x)
