"""Reports from a plan and its data: HTML, maps, GeoPackage. Never solves.

| module | job |
|---|---|
| ``html``    | the planner-facing report: one self-contained HTML file |
| ``compare`` | side-by-side comparison of runs, and the ``plan_scores.csv`` rows |
| ``format``  | what both pages share: stylesheet, CSP, status and cost-term words, value formatting |
| ``maps``    | static maps with matplotlib (inline SVG or PNG), no tiles or scripts |
| ``size``    | "Why this size": cost per patient by term against population, the rule that binds |
| ``travel`` | "Travel to the hub": the travel measure and its accuracy, trips per federation, sea links, a map of minutes to the hub |
| ``sensitivity`` | ``sensitivity.html``: tornado, draws, neighbour stability and the robust plan |
| ``gpkg``    | ``federations.gpkg``: one polygon per federation with its attributes |
"""
from .compare import plan_scores, render_comparison
from .gpkg import write_federations_gpkg
from .html import render_report, write_report
from .maps import draw_map, federation_map_svg, figure_png, figure_svg

__all__ = ["draw_map", "federation_map_svg", "figure_png", "figure_svg", "plan_scores", "render_comparison",
           "render_report", "write_federations_gpkg", "write_report"]
