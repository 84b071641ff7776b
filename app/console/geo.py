"""A map of compounds without map tiles: each centre and radius drawn to scale in an SVG.

The console loads nothing from other sites, so instead of a tile map it projects the
compounds (equirectangular around their mean latitude: metres are metres at city scale)
into one picture with a scale bar.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

METRES_PER_DEGREE = 111_320
NICE_LENGTHS = (50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000)


@dataclass(frozen=True)
class Circle:
    id: int
    name: str
    x: float
    y: float
    r: float
    radius_m: int


@dataclass(frozen=True)
class CompoundMap:
    width: int
    height: int
    circles: list[Circle]
    scale_px: float
    scale_label: str


def compound_map(compounds, width: int = 720, height: int = 360, margin: int = 36) -> CompoundMap | None:
    """The compounds as circles in a width x height picture, or None when there are none."""
    if not compounds:
        return None
    mean_lat = sum(c.lat for c in compounds) / len(compounds)
    shrink = math.cos(math.radians(mean_lat))
    points = [(c, c.lng * METRES_PER_DEGREE * shrink, c.lat * METRES_PER_DEGREE) for c in compounds]
    left = min(x - c.radius_m for c, x, _ in points)
    right = max(x + c.radius_m for c, x, _ in points)
    bottom = min(y - c.radius_m for c, _, y in points)
    top = max(y + c.radius_m for c, _, y in points)
    span_x, span_y = max(right - left, 1.0), max(top - bottom, 1.0)
    scale = min((width - 2 * margin) / span_x, (height - 2 * margin) / span_y)
    offset_x = (width - span_x * scale) / 2
    offset_y = (height - span_y * scale) / 2
    circles = [Circle(c.id, c.name, x=round(offset_x + (x - left) * scale, 1),
                      y=round(offset_y + (top - y) * scale, 1),
                      r=round(max(c.radius_m * scale, 3.0), 1), radius_m=c.radius_m)
               for c, x, y in points]
    metres = scale_bar_metres(width / 4 / scale)
    return CompoundMap(width, height, circles, round(metres * scale, 1),
                       f"{metres // 1000} km" if metres >= 1000 else f"{metres} m")


def scale_bar_metres(at_most: float) -> int:
    """The longest round length (50 m, 100 m, 200 m, 500 m, 1 km, ...) that fits."""
    fitting = [length for length in NICE_LENGTHS if length <= at_most]
    return fitting[-1] if fitting else NICE_LENGTHS[0]
