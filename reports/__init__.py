"""Reports from a plan and its data: HTML, maps, GeoPackage. Never solves."""
from .gpkg import write_federations_gpkg
from .html import render_report, write_report
from .maps import federation_map_svg

__all__ = ["federation_map_svg", "render_report", "write_federations_gpkg", "write_report"]
