"""Reports from a plan and its data: HTML, maps, GeoPackage. Never solves."""
from .gpkg import write_federations_gpkg
from .html import render_report, write_report
from .maps import draw_map, federation_map_svg, figure_png, figure_svg

__all__ = ["draw_map", "federation_map_svg", "figure_png", "figure_svg", "render_report",
           "write_federations_gpkg", "write_report"]
