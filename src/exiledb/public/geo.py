"""The world map's geometry: Natural Earth country outlines, projected and drawn as SVG paths.

The outlines are world-atlas 2.0.2's countries-110m.json (TopoJSON, public domain Natural Earth
data; see geo/README.md), shipped with the app: nothing is fetched at runtime. The file is read,
its arcs decoded, projected with the Natural Earth I projection and turned into SVG path strings
once per process (`world()`, cached); a request only chooses colours for them.

Pure Python, no database, no third-party package.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from exiledb.vocab import COUNTRIES

TOPOLOGY = Path(__file__).with_name("geo") / "countries-110m.json"

WIDTH = 960  # SVG user units; the page scales the drawing to its width
PAD = 4
LAT_MIN = -58.0  # crop: Antarctica is left out, Tierra del Fuego stays in
LAT_MAX = 84.0

Point = tuple[float, float]

# ISO 3166-1 numeric -> alpha-2, for every id in countries-110m.json (Antarctica included, though
# it is not drawn). tests/test_map_and_charts.py checks that the table covers the file.
NUMERIC: dict[str, str] = {
    "004": "AF", "008": "AL", "010": "AQ", "012": "DZ", "024": "AO", "031": "AZ", "032": "AR",
    "036": "AU", "040": "AT", "044": "BS", "050": "BD", "051": "AM", "056": "BE", "064": "BT",
    "068": "BO", "070": "BA", "072": "BW", "076": "BR", "084": "BZ", "090": "SB", "096": "BN",
    "100": "BG", "104": "MM", "108": "BI", "112": "BY", "116": "KH", "120": "CM", "124": "CA",
    "140": "CF", "144": "LK", "148": "TD", "152": "CL", "156": "CN", "158": "TW", "170": "CO",
    "178": "CG", "180": "CD", "188": "CR", "191": "HR", "192": "CU", "196": "CY", "203": "CZ",
    "204": "BJ", "208": "DK", "214": "DO", "218": "EC", "222": "SV", "226": "GQ", "231": "ET",
    "232": "ER", "233": "EE", "238": "FK", "242": "FJ", "246": "FI", "250": "FR", "260": "TF",
    "262": "DJ", "266": "GA", "268": "GE", "270": "GM", "275": "PS", "276": "DE", "288": "GH",
    "300": "GR", "304": "GL", "320": "GT", "324": "GN", "328": "GY", "332": "HT", "340": "HN",
    "348": "HU", "352": "IS", "356": "IN", "360": "ID", "364": "IR", "368": "IQ", "372": "IE",
    "376": "IL", "380": "IT", "384": "CI", "388": "JM", "392": "JP", "398": "KZ", "400": "JO",
    "404": "KE", "408": "KP", "410": "KR", "414": "KW", "417": "KG", "418": "LA", "422": "LB",
    "426": "LS", "428": "LV", "430": "LR", "434": "LY", "440": "LT", "442": "LU", "450": "MG",
    "454": "MW", "458": "MY", "466": "ML", "478": "MR", "484": "MX", "496": "MN", "498": "MD",
    "499": "ME", "504": "MA", "508": "MZ", "512": "OM", "516": "NA", "524": "NP", "528": "NL",
    "540": "NC", "548": "VU", "554": "NZ", "558": "NI", "562": "NE", "566": "NG", "578": "NO",
    "586": "PK", "591": "PA", "598": "PG", "600": "PY", "604": "PE", "608": "PH", "616": "PL",
    "620": "PT", "624": "GW", "626": "TL", "630": "PR", "634": "QA", "642": "RO", "643": "RU",
    "646": "RW", "682": "SA", "686": "SN", "688": "RS", "694": "SL", "703": "SK", "704": "VN",
    "705": "SI", "706": "SO", "710": "ZA", "716": "ZW", "724": "ES", "728": "SS", "729": "SD",
    "732": "EH", "740": "SR", "748": "SZ", "752": "SE", "756": "CH", "760": "SY", "762": "TJ",
    "764": "TH", "768": "TG", "780": "TT", "784": "AE", "788": "TN", "792": "TR", "795": "TM",
    "800": "UG", "804": "UA", "807": "MK", "818": "EG", "826": "GB", "834": "TZ", "840": "US",
    "854": "BF", "858": "UY", "860": "UZ", "862": "VE", "887": "YE", "894": "ZM",
}  # fmt: skip
# Outlines without an ISO numeric id in world-atlas: Kosovo has the code exiledb uses; N. Cyprus
# and Somaliland are drawn but never shaded (no incident can name them).
BY_NAME: dict[str, str] = {"Kosovo": "XK"}
UNCODED = frozenset({"N. Cyprus", "Somaliland"})
NOT_DRAWN = frozenset({"AQ"})


@dataclass(frozen=True)
class Shape:
    """One country outline: its alpha-2 code ('' when it has none), its name, the SVG path and
    the point flows start and end at (the area centroid of its largest part)."""

    code: str
    name: str
    d: str
    centroid: Point


@dataclass(frozen=True)
class World:
    """The projected countries, in a drawing `width` by `height` user units."""

    width: int
    height: int
    shapes: tuple[Shape, ...]
    centroids: dict[str, Point]


# --- TopoJSON --------------------------------------------------------------------------------


def decode_arcs(topology: dict[str, Any]) -> list[list[Point]]:
    """The topology's arcs as lists of (longitude, latitude). A quantised topology (one with a
    `transform`) stores each arc's first position and then deltas, in integer steps of `scale`
    from `translate`."""
    transform = topology.get("transform")
    arcs: list[list[Point]] = []
    if transform is None:
        for arc in topology["arcs"]:
            arcs.append([(float(p[0]), float(p[1])) for p in arc])
        return arcs
    (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
    for arc in topology["arcs"]:
        x = y = 0
        points: list[Point] = []
        for p in arc:
            x += p[0]
            y += p[1]
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(indexes: list[int], arcs: list[list[Point]]) -> list[Point]:
    """A closed ring from arc indexes: index ~i (that is -i-1) is arc i reversed; consecutive
    arcs share their joining position, which is kept once."""
    points: list[Point] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc[1:] if points else arc)
    return points


def polygons(geometry: dict[str, Any], arcs: list[list[Point]]) -> list[list[list[Point]]]:
    """A Polygon or MultiPolygon geometry as polygons, each a list of rings (the first is the
    outline, the others holes). Other geometry types have no area to shade: []."""
    kind = geometry.get("type")
    if kind == "Polygon":
        return [[ring(r, arcs) for r in geometry["arcs"]]]
    if kind == "MultiPolygon":
        return [[ring(r, arcs) for r in polygon] for polygon in geometry["arcs"]]
    return []


# --- the antimeridian ------------------------------------------------------------------------


def _clip(points: list[Point], edge: float, keep_below: bool) -> list[Point]:
    """Sutherland-Hodgman: the part of a ring with longitude <= edge (or >= edge)."""
    if not points:
        return []

    def inside(p: Point) -> bool:
        return p[0] <= edge if keep_below else p[0] >= edge

    out: list[Point] = []
    for (x1, y1), (x2, y2) in zip(points[-1:] + points[:-1], points, strict=True):
        a, b = inside((x1, y1)), inside((x2, y2))
        if a != b:
            t = (edge - x1) / (x2 - x1)
            out.append((edge, y1 + t * (y2 - y1)))
        if b:
            out.append((x2, y2))
    return out


def split_antimeridian(points: list[Point]) -> list[list[Point]]:
    """A ring that crosses the 180th meridian (Fiji, the east of Russia) as one ring per side:
    the longitudes are first made continuous (no jump of more than 180 degrees between two
    positions), then the ring is cut at +-180 and each piece moved back into -180..180. A ring
    that goes round a pole cannot be cut this way and is returned as it is."""
    if len(points) < 3:
        return [points]
    unwrapped = [points[0]]
    for lon, lat in points[1:]:
        prev = unwrapped[-1][0]
        while lon - prev > 180:
            lon -= 360
        while lon - prev < -180:
            lon += 360
        unwrapped.append((lon, lat))
    lons = [p[0] for p in unwrapped]
    if abs(unwrapped[-1][0] - unwrapped[0][0]) > 180:
        return [points]  # round a pole
    if min(lons) >= -180 and max(lons) <= 180:
        return [unwrapped]
    pieces = []
    for shift in (-360.0, 0.0, 360.0):
        moved = [(lon + shift, lat) for lon, lat in unwrapped]
        piece = _clip(_clip(moved, 180.0, keep_below=True), -180.0, keep_below=False)
        if len(piece) >= 3:
            pieces.append(piece)
    return pieces


# --- projection ------------------------------------------------------------------------------


def natural_earth(lon: float, lat: float) -> Point:
    """The Natural Earth I projection (Šavrič, Jenny, Patterson and Hurni 2011) of a position in
    degrees, in units of the earth's radius, y pointing north."""
    lam, phi = math.radians(lon), math.radians(lat)
    phi2 = phi * phi
    phi4 = phi2 * phi2
    x = lam * (
        0.8707 - 0.131979 * phi2 + phi4 * (-0.013791 + phi4 * (0.003971 * phi2 - 0.001529 * phi4))
    )
    y = phi * (
        1.007226 + phi2 * (0.015085 + phi4 * (-0.044475 + 0.028874 * phi2 - 0.005916 * phi4))
    )
    return x, y


class Frame:
    """From degrees to SVG user units: the whole width of the world, cropped to LAT_MIN..LAT_MAX,
    y pointing down."""

    def __init__(self, width: int = WIDTH, pad: int = PAD) -> None:
        x_max = natural_earth(180.0, 0.0)[0]
        y_top, y_bottom = natural_earth(0.0, LAT_MAX)[1], natural_earth(0.0, LAT_MIN)[1]
        self.scale = (width - 2 * pad) / (2 * x_max)
        self.x0, self.y0, self.pad = -x_max, y_top, pad
        self.width = width
        self.height = math.ceil((y_top - y_bottom) * self.scale + 2 * pad)

    def __call__(self, lon: float, lat: float) -> Point:
        x, y = natural_earth(lon, lat)
        return (x - self.x0) * self.scale + self.pad, (self.y0 - y) * self.scale + self.pad


# --- SVG -------------------------------------------------------------------------------------


def _num(tenths: int) -> str:
    """An integer number of tenths as the shortest decimal: 25 -> '2.5', -30 -> '-3'."""
    whole, frac = divmod(abs(tenths), 10)
    text = f"{whole}.{frac}" if frac else str(whole)
    return "-" + text if tenths < 0 else text


def path_data(rings: list[list[Point]]) -> str:
    """SVG path data for rings already in SVG units, to a tenth of a unit: an absolute move to
    the first point, relative lines after it (short text), each ring closed. Points that round
    onto the previous one are dropped, and so are rings left with fewer than three points."""
    parts: list[str] = []
    for points in rings:
        grid: list[tuple[int, int]] = []
        for x, y in points:
            q = (round(x * 10), round(y * 10))
            if not grid or q != grid[-1]:
                grid.append(q)
        if len(grid) > 1 and grid[0] == grid[-1]:
            grid.pop()
        if len(grid) < 3:
            continue
        (x0, y0), out = grid[0], []
        px, py = x0, y0
        for x, y in grid[1:]:
            out.append(f"{_num(x - px)} {_num(y - py)}")
            px, py = x, y
        parts.append(f"M{_num(x0)} {_num(y0)}l" + " ".join(out) + "z")
    return "".join(parts)


def area_centroid(points: list[Point]) -> tuple[float, Point]:
    """Absolute area and area centroid of a ring (the mean of its points when it has no area)."""
    a = cx = cy = 0.0
    for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1], strict=True):
        cross = x1 * y2 - x2 * y1
        a += cross
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    if abs(a) < 1e-9:
        n = max(len(points), 1)
        return 0.0, (sum(p[0] for p in points) / n, sum(p[1] for p in points) / n)
    return abs(a) / 2, (cx / (3 * a), cy / (3 * a))


def shape_code(geometry: dict[str, Any]) -> str:
    """The alpha-2 code of a world-atlas geometry, '' when it has none we know."""
    ident = geometry.get("id")
    if ident is not None:
        return NUMERIC.get(str(ident).zfill(3), "")
    name = (geometry.get("properties") or {}).get("name", "")
    return BY_NAME.get(name, "")


def build(topology: dict[str, Any], frame: Frame | None = None) -> World:
    """Project every country of a topology's `countries` object (Antarctica left out)."""
    frame = frame or Frame()
    arcs = decode_arcs(topology)
    shapes: list[Shape] = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        code = shape_code(geometry)
        if code in NOT_DRAWN:
            continue
        projected: list[list[list[Point]]] = []
        for polygon in polygons(geometry, arcs):
            # a polygon cut in two by the antimeridian becomes one polygon per side
            sides: dict[int, list[list[Point]]] = {}
            for r in polygon:
                for piece in split_antimeridian(r):
                    side = 1 if sum(p[0] for p in piece) > 0 else -1
                    sides.setdefault(side, []).append([frame(lon, lat) for lon, lat in piece])
            projected.extend(sides.values())
        outlines = [polygon[0] for polygon in projected if polygon and polygon[0]]
        if not outlines:
            continue
        _area, centroid = max((area_centroid(r) for r in outlines), key=lambda ac: ac[0])
        d = path_data([r for polygon in projected for r in polygon])
        if not d:
            continue
        name = COUNTRIES.get(code) or (geometry.get("properties") or {}).get("name", "")
        shapes.append(
            Shape(
                code=code, name=name, d=d, centroid=(round(centroid[0], 1), round(centroid[1], 1))
            )
        )
    shapes.sort(key=lambda s: (s.code == "", s.code, s.name))
    return World(
        width=frame.width,
        height=frame.height,
        shapes=tuple(shapes),
        centroids={s.code: s.centroid for s in shapes if s.code},
    )


@lru_cache(maxsize=1)
def world() -> World:
    """The shipped world, projected once per process."""
    with TOPOLOGY.open(encoding="utf-8") as f:
        return build(json.load(f))


def flow_path(start: Point, end: Point, bend: float = 0.2) -> str:
    """A quadratic curve from start to end, bowed to the left of the direction of travel by
    `bend` times its length, so that flows in opposite directions do not overlap."""
    (x1, y1), (x2, y2) = start, end
    dx, dy = x2 - x1, y2 - y1
    cx, cy = (x1 + x2) / 2 + dy * bend, (y1 + y2) / 2 - dx * bend
    return f"M{x1:.1f} {y1:.1f}Q{cx:.1f} {cy:.1f} {x2:.1f} {y2:.1f}"
