"""Browser libraries installed from npm (package.json) and served by the app, never a CDN."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, send_from_directory

NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"
# Public name -> file under node_modules; only these are served.
VENDORED = {
    "socket.io.min.js": "socket.io-client/dist/socket.io.min.js",
    # uPlot: the console dashboard's time-series charts (small, no dependencies).
    "uPlot.iife.min.js": "uplot/dist/uPlot.iife.min.js",
    "uPlot.min.css": "uplot/dist/uPlot.min.css",
}

bp = Blueprint("vendor", __name__, url_prefix="/vendor")


@bp.get("/<name>")
def vendored(name: str):
    """A vendored library, cached for a day (`make install` runs `npm ci` to fetch them)."""
    relative = VENDORED.get(name)
    if relative is None or not (NODE_MODULES / relative).is_file():
        abort(404)
    return send_from_directory(NODE_MODULES, relative, max_age=86_400)
