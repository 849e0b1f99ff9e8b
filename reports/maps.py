"""Static maps drawn with matplotlib, for the offline report: no tiles, no web fonts, no scripts.

Figures are built on a ``matplotlib.figure.Figure`` with an explicit Agg canvas, so nothing here
selects a pyplot backend or keeps figures alive in pyplot's registry; style settings are applied
through ``rc_context`` and restored afterwards. Coordinates are EPSG:27700 metres and are drawn in
kilometres.
"""
from __future__ import annotations

import io
import math
import re
from typing import Iterable, Sequence

import numpy as np

from .format import id_key

# Light qualitative colours (readable under black labels), in an order that keeps early picks distinct.
PALETTE = ("#8dd3c7", "#fdb462", "#bebada", "#fb8072", "#80b1d3", "#b3de69", "#fccde5", "#ffed6f",
           "#bc80bd", "#ccebc5", "#d9d9d9", "#e5c494")

_RC = {
    "svg.fonttype": "none",        # text stays text: small file, no embedded or downloaded font
    "svg.hashsalt": "fedplan",     # stable element ids, so the same inputs give the same file
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "path.simplify": True,
}
_BNG_EPSG = 27700


def _rc():
    import matplotlib

    return matplotlib.rc_context(_RC)


# ---------------------------------------------------------------- geometry helpers


def _to_bng(gdf):
    """A GeoDataFrame / GeoSeries in EPSG:27700 (reprojected when it says it is in another CRS)."""
    crs = getattr(gdf, "crs", None)
    if crs is not None:
        try:
            if crs.to_epsg() != _BNG_EPSG:
                return gdf.to_crs(_BNG_EPSG)
        except Exception:  # an unusual CRS object: draw as given
            return gdf
    return gdf


def _polygon_parts(geom) -> list:
    """Polygon parts of any shapely geometry (collections from clipping may hold lines or points)."""
    import shapely

    if geom is None:
        return []
    try:
        if geom.is_empty:
            return []
    except AttributeError:
        return []
    if geom.geom_type == "Polygon":
        return [geom]
    if geom.geom_type in ("MultiPolygon", "GeometryCollection"):
        out = []
        for part in shapely.get_parts(geom):
            out.extend(_polygon_parts(part))
        return out
    return []


def _outline_geometry(outline):
    """A single shapely geometry from a geometry, GeoSeries or GeoDataFrame (or None)."""
    if outline is None:
        return None
    if hasattr(outline, "geometry") and hasattr(outline, "crs") and not hasattr(outline, "geom_type"):
        import shapely

        g = _to_bng(outline)
        geoms = [x for x in (g.geometry.values if hasattr(g, "geometry") else g.values) if x is not None]
        return shapely.union_all(geoms) if geoms else None
    if hasattr(outline, "geom_type"):
        return outline
    return None


def _path(polys: Iterable, scale: float = 1000.0):
    """One matplotlib Path for many polygons, holes included (even-odd needs no winding care)."""
    from matplotlib.path import Path

    verts, codes = [], []
    for poly in polys:
        for ring in (poly.exterior, *poly.interiors):
            xy = np.asarray(ring.coords, dtype=float)[:, :2] / scale
            if len(xy) < 3:
                continue
            verts.append(xy)
            c = np.full(len(xy), Path.LINETO, dtype=np.uint8)
            c[0], c[-1] = Path.MOVETO, Path.CLOSEPOLY
            codes.append(c)
    if not verts:
        return None
    return Path(np.concatenate(verts), np.concatenate(codes))


def _neighbours_polygons(geoms: Sequence) -> list[set[int]]:
    import shapely

    n = len(geoms)
    nb: list[set[int]] = [set() for _ in range(n)]
    valid = [k for k, g in enumerate(geoms) if g is not None and not g.is_empty]
    if len(valid) < 2:
        return nb
    arr = np.array([geoms[k] for k in valid], dtype=object)
    # a hair of tolerance: simplified or separately clipped cells may not share exact edges
    tree = shapely.STRtree(arr)
    left, right = tree.query(shapely.buffer(arr, 1.0), predicate="intersects")
    for a, b in zip(left.tolist(), right.tolist()):
        if a != b:
            nb[valid[a]].add(valid[b])
            nb[valid[b]].add(valid[a])
    return nb


def _neighbours_points(x: np.ndarray, y: np.ndarray, group: np.ndarray, groups: list, k: int = 4) -> list[set[int]]:
    """Groups are neighbours when a member's k nearest practices include one of the other group."""
    gi = {g: i for i, g in enumerate(groups)}
    nb: list[set[int]] = [set() for _ in groups]
    ok = np.isfinite(x) & np.isfinite(y)
    idx = np.flatnonzero(ok)
    if len(idx) < 2:
        return nb
    xy = np.c_[x[idx], y[idx]]
    kk = min(k, len(idx) - 1)
    for start in range(0, len(idx), 512):
        block = xy[start:start + 512]
        d = ((block[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2)
        near = np.argpartition(d, kk, axis=1)[:, :kk + 1]
        for r, row in enumerate(near):
            a = gi[group[idx[start + r]]]
            for j in row:
                b = gi[group[idx[j]]]
                if a != b:
                    nb[a].add(b)
                    nb[b].add(a)
    return nb


def greedy_colours(neighbours: list[set[int]], n_colours: int = len(PALETTE)) -> list[int]:
    """Colour indices so that neighbours differ where ``n_colours`` allows (Welsh–Powell order:
    most-connected first); when every colour is taken by a neighbour, the one fewest neighbours use."""
    n = len(neighbours)
    order = sorted(range(n), key=lambda v: (-len(neighbours[v]), v))
    colour = [-1] * n
    used_total = [0] * n_colours
    for v in order:
        taken = [0] * n_colours
        for u in neighbours[v]:
            if colour[u] >= 0:
                taken[colour[u]] += 1
        free = [c for c in range(n_colours) if taken[c] == 0]
        if free:  # the least used free colour, so the whole palette gets used
            c = min(free, key=lambda c: (used_total[c], c))
        else:
            c = min(range(n_colours), key=lambda c: (taken[c], c))
        colour[v] = c
        used_total[c] += 1
    return colour


def _nice_length(target_km: float) -> float:
    if not math.isfinite(target_km) or target_km <= 0:
        return 1.0
    p = 10 ** math.floor(math.log10(target_km))
    for m in (5, 2, 1):
        if m * p <= target_km:
            return m * p
    return p


def _km_label(v: float) -> str:
    return f"{v:g} km"


# ---------------------------------------------------------------- drawing


def draw_map(practices, assignment, *, polygons=None, outline=None, hubs: Sequence[int] = (),
             labels: bool = True, width_in: float = 6.4, simplify_m: float | None = None):
    """A matplotlib Figure of federations.

    ``polygons`` (GeoDataFrame with ``federation_id`` and geometry, EPSG:27700) are filled with a
    palette in which touching federations get different colours; without polygons, practices are
    drawn coloured by ``assignment``. ``hubs`` are practice positions drawn as stars; ``labels``
    writes each federation id at a point inside it. A scale bar in km, no axes.
    """
    import shapely
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import PatchCollection
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import PathPatch
    import matplotlib.patheffects as pe

    with _rc():
        x = np.asarray(practices.easting, dtype=float)
        y = np.asarray(practices.northing, dtype=float)
        n = len(x)
        assignment = list(assignment) if assignment is not None else []
        if len(assignment) != n:
            assignment = [0] * n
        fed = np.array([id_key(a) for a in assignment], dtype=object)
        finite = np.isfinite(x) & np.isfinite(y)
        outline_geom = _outline_geometry(outline)

        geoms, ids = [], []
        if polygons is not None and len(polygons):
            gdf = _to_bng(polygons)
            col = gdf["federation_id"] if "federation_id" in getattr(gdf, "columns", ()) else range(len(gdf))
            ids = [id_key(v) for v in col]
            geoms = list(gdf.geometry.values)

        # extent (m) from everything drawn
        boxes = []
        if finite.any():
            boxes.append((x[finite].min(), y[finite].min(), x[finite].max(), y[finite].max()))
        for g in [*geoms, outline_geom]:
            if g is not None and not g.is_empty:
                boxes.append(tuple(g.bounds))
        if boxes:
            b = np.array(boxes, dtype=float)
            x0, y0, x1, y1 = b[:, 0].min(), b[:, 1].min(), b[:, 2].max(), b[:, 3].max()
        else:
            x0, y0, x1, y1 = 0.0, 0.0, 10_000.0, 10_000.0
        span = max(x1 - x0, y1 - y0, 2_000.0)
        cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
        w, h = max(x1 - x0, span * 0.3), max(y1 - y0, span * 0.3)
        pad = 0.04 * span
        x0, x1, y0, y1 = cx - w / 2 - pad, cx + w / 2 + pad, cy - h / 2 - pad, cy + h / 2 + pad
        tol = simplify_m if simplify_m is not None else span / 2500.0

        aspect = (y1 - y0) / (x1 - x0)
        height_in = min(max(width_in * aspect, 3.2), 9.0)
        fig = Figure(figsize=(width_in, height_in), dpi=100)
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.01, 0.01, 0.98, 0.98))
        halo = [pe.withStroke(linewidth=2.8, foreground="white")]

        if geoms:
            simple = [shapely.simplify(g, tol, preserve_topology=True) if g is not None else None for g in geoms]
            colours = greedy_colours(_neighbours_polygons(geoms))
            patches = []
            for k, g in enumerate(simple):
                path = _path(_polygon_parts(g))
                if path is not None:
                    patches.append(PathPatch(path, facecolor=PALETTE[colours[k] % len(PALETTE)]))
            ax.add_collection(PatchCollection(patches, match_original=True, edgecolor="#ffffff",
                                              linewidth=0.8, zorder=1))
            if labels:
                for fid, g in zip(ids, geoms):
                    parts = _polygon_parts(g)
                    if not parts:
                        continue
                    pt = max(parts, key=lambda p: p.area).representative_point()
                    ax.text(pt.x / 1000, pt.y / 1000, str(fid), fontsize=10.5, fontweight="bold", ha="center",
                            va="center", color="#1a1a1a", zorder=6, path_effects=halo)
        elif finite.any():
            groups = sorted(set(fed[finite].tolist()), key=lambda v: (isinstance(v, str), str(v) if isinstance(v, str) else v))
            colours = greedy_colours(_neighbours_points(x, y, fed, groups))
            cmap = {g: PALETTE[c % len(PALETTE)] for g, c in zip(groups, colours)}
            ax.scatter(x[finite] / 1000, y[finite] / 1000, s=26, c=[cmap[g] for g in fed[finite]],
                       edgecolors="#333333", linewidths=0.5, zorder=3)
            if labels and len(groups) > 1:
                for g in groups:
                    m = finite & np.array([v == g for v in fed])
                    mx, my = x[m].mean(), y[m].mean()
                    j = np.flatnonzero(m)[np.argmin((x[m] - mx) ** 2 + (y[m] - my) ** 2)]
                    ax.text(x[j] / 1000, y[j] / 1000 + span / 1000 * 0.018, str(g), fontsize=10.5,
                            fontweight="bold", ha="center", va="bottom", color="#1a1a1a", zorder=6,
                            path_effects=halo)

        if outline_geom is not None:
            for part in _polygon_parts(shapely.simplify(outline_geom, tol, preserve_topology=True)):
                for ring in (part.exterior, *part.interiors):
                    xy = np.asarray(ring.coords)[:, :2] / 1000
                    ax.plot(xy[:, 0], xy[:, 1], color="#303030", linewidth=0.9, zorder=2)

        if geoms and finite.any():
            ax.scatter(x[finite] / 1000, y[finite] / 1000, s=5, c="#222222", linewidths=0, zorder=4)
        hub_idx = np.array([h for h in hubs if 0 <= int(h) < n and finite[int(h)]], dtype=int)
        if len(hub_idx):
            ax.scatter(x[hub_idx] / 1000, y[hub_idx] / 1000, s=70, marker="*", c="#ffffff",
                       edgecolors="#000000", linewidths=0.8, zorder=5)

        ax.set_xlim(x0 / 1000, x1 / 1000)
        ax.set_ylim(y0 / 1000, y1 / 1000)
        ax.set_aspect("equal", adjustable="box")
        ax.set_xticks([])
        ax.set_yticks([])
        for s in ax.spines.values():
            s.set_visible(False)

        # scale bar, bottom left, about a fifth of the width
        wk = (x1 - x0) / 1000
        hk = (y1 - y0) / 1000
        bar = _nice_length(wk / 5)
        bx, by = x0 / 1000 + wk * 0.04, y0 / 1000 + hk * 0.035
        ax.plot([bx, bx + bar], [by, by], color="#000000", linewidth=2.2, solid_capstyle="butt", zorder=7)
        for t in (bx, bx + bar):
            ax.plot([t, t], [by - hk * 0.008, by + hk * 0.008], color="#000000", linewidth=1, zorder=7)
        ax.text(bx + bar / 2, by + hk * 0.015, _km_label(bar), ha="center", va="bottom", fontsize=10, zorder=7,
                path_effects=halo)

        if geoms or not finite.any():
            dot = Line2D([], [], marker="o", linestyle="", markersize=3, color="#222222", label="practice")
        else:
            dot = Line2D([], [], marker="o", linestyle="", markersize=5, markerfacecolor="#d9d9d9",
                         markeredgecolor="#333333", markeredgewidth=0.5, label="practice")
        handles = [dot]
        if len(hub_idx):
            handles.append(Line2D([], [], marker="*", linestyle="", markersize=9, markerfacecolor="#ffffff",
                                  markeredgecolor="#000000", label="hub"))
        if outline_geom is not None:
            handles.append(Line2D([], [], color="#303030", linewidth=0.9, label="area outline"))
        ax.legend(handles=handles, loc="lower right", fontsize=9, frameon=True, framealpha=0.85,
                  edgecolor="#cccccc")
        if not finite.any() and not geoms:
            ax.text(0.5, 0.5, "no practice coordinates to draw", transform=ax.transAxes, ha="center",
                    va="center", fontsize=9, color="#555555")
    return fig


_ID = re.compile(r'\bid="([^"]+)"')
_HREF = re.compile(r'\b(?:xlink:)?href="#([^"]+)"')
_URL = re.compile(r"url\(#([^)]+)\)")


def figure_svg(fig, prefix: str = "map", label: str = "") -> str:
    """Inline-ready SVG of ``fig``: no XML prolog, metadata or namespace URLs, ids prefixed so two
    maps in one page never clash, fragment links only."""
    with _rc():
        buf = io.StringIO()
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    svg = buf.getvalue()
    svg = svg[svg.find("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    svg = re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg)
    pfx = re.sub(r"[^A-Za-z0-9_-]", "-", prefix)
    svg = _ID.sub(lambda m: f'id="{pfx}-{m.group(1)}"', svg)
    svg = _HREF.sub(lambda m: f'href="#{pfx}-{m.group(1)}"', svg)
    svg = _URL.sub(lambda m: f"url(#{pfx}-{m.group(1)})", svg)
    from html import escape

    svg = svg.replace("<svg", f'<svg role="img" aria-label="{escape(label, quote=True)}"', 1)
    return svg.strip()


def figure_png(fig, target=None, dpi: int = 150) -> bytes:
    """PNG bytes of ``fig``; also written to ``target`` (a path) when given."""
    with _rc():
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi)
    data = buf.getvalue()
    if target is not None:
        from pathlib import Path

        Path(target).write_bytes(data)
    return data


def federation_map_svg(practices, assignment, polygons=None, outline=None, hubs=(), title: str = "",
                       labels: bool = True, prefix: str = "map") -> str:
    """``draw_map`` straight to inline SVG (``title`` becomes the image's accessible label)."""
    fig = draw_map(practices, assignment, polygons=polygons, outline=outline, hubs=hubs, labels=labels)
    return figure_svg(fig, prefix=prefix, label=title)
