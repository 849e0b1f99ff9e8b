"""Static maps drawn with matplotlib into inline SVG: no tiles, no fonts or scripts from the web."""
from __future__ import annotations

import io

import numpy as np

PALETTE = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
           "#9c755f", "#bab0ac", "#86bcb6", "#d4a6c8"]


def _colours(polygons) -> dict:
    """Greedy colouring so touching federations get different colours where the palette allows."""
    colour: dict = {}
    geoms = list(polygons.geometry)
    ids = list(polygons["federation_id"])
    order = sorted(range(len(ids)), key=lambda k: -geoms[k].area)
    for k in order:
        used = {colour[ids[j]] for j in range(len(ids)) if ids[j] in colour and geoms[k].intersects(geoms[j])}
        free = [c for c in range(len(PALETTE)) if c not in used]
        colour[ids[k]] = free[0] if free else k % len(PALETTE)
    return {f: PALETTE[c] for f, c in colour.items()}


def federation_map_svg(practices, assignment, polygons=None, outline=None, hubs=(), title: str = "",
                       labels: bool = True) -> str:
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    plt.rcParams["svg.fonttype"] = "none"   # text stays text: small file, no embedded font
    fig, ax = plt.subplots(figsize=(7.5, 6.5), dpi=100)
    x, y = np.asarray(practices.easting) / 1000, np.asarray(practices.northing) / 1000
    assignment = np.asarray(assignment)
    if polygons is not None and len(polygons):
        colours = _colours(polygons)
        for fid, geom in zip(polygons["federation_id"], polygons.geometry):
            for part in getattr(geom, "geoms", [geom]):
                if part.geom_type != "Polygon":
                    continue
                gx, gy = part.exterior.xy
                ax.fill(np.asarray(gx) / 1000, np.asarray(gy) / 1000, color=colours.get(fid, "#ccc"), alpha=0.55,
                        linewidth=0.6, edgecolor="white")
            if labels:
                pt = geom.representative_point()
                ax.text(pt.x / 1000, pt.y / 1000, str(fid), fontsize=7, ha="center", va="center", weight="bold",
                        color="#222")
    else:
        ids = sorted(set(assignment.tolist()))
        cmap = {f: PALETTE[k % len(PALETTE)] for k, f in enumerate(ids)}
        ax.scatter(x, y, s=14, c=[cmap[f] for f in assignment], zorder=3)
    if outline is not None:
        for part in getattr(outline, "geoms", [outline]):
            if part.geom_type == "Polygon":
                ox, oy = part.exterior.xy
                ax.plot(np.asarray(ox) / 1000, np.asarray(oy) / 1000, color="#333", linewidth=0.9)
    ax.scatter(x, y, s=5, c="#222", zorder=4, linewidths=0)
    if len(hubs):
        h = np.asarray(hubs)
        ax.scatter(x[h], y[h], s=46, marker="*", c="#ffffff", edgecolors="#000", linewidths=0.7, zorder=5)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for s in ax.spines.values():
        s.set_visible(False)
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    span = x1 - x0
    bar = max(1, int(round(span / 5 / 10.0)) * 10) if span > 20 else max(1, int(round(span / 5)))
    ax.plot([x0 + span * 0.05, x0 + span * 0.05 + bar], [y0 + (y1 - y0) * 0.04] * 2, color="#000", linewidth=2)
    ax.text(x0 + span * 0.05 + bar / 2, y0 + (y1 - y0) * 0.06, f"{bar} km", ha="center", fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    plt.close(fig)
    svg = buf.getvalue()
    return svg[svg.find("<svg"):]
