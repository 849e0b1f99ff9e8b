"""Reports from a plan and its data: HTML, maps, GeoPackage. Never solves."""
from .compare import plan_scores, render_comparison
from .gpkg import write_federations_gpkg
from .html import render_report, write_report
from .maps import draw_map, federation_map_svg, figure_png, figure_svg

__all__ = ["draw_map", "federation_map_svg", "figure_png", "figure_svg", "plan_scores", "render_comparison",
           "render_report", "write_federations_gpkg", "write_report"]
