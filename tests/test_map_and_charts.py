"""The map at /map/ and the overview's charts: server-drawn SVG with the same figures in tables.

The page tests load the demo (two detentions abroad, in Spain in 2014 and Finland in 2015, both
stage 2, and twenty published incidents against relatives in Tajikistan) and read the site as an
anonymous visitor. The geometry tests need no database.
"""

from __future__ import annotations

import html
import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import DEMO, public_site, signed_in
from django.db import connection
from django.test.utils import CaptureQueriesContext

from exiledb.cases.models import Incident
from exiledb.explore.models import Entry
from exiledb.ingest import interchange, writer
from exiledb.public import charts, geo, mapview
from exiledb.vocab import COUNTRIES

SVG = re.compile(r"<svg\b[^>]*>", re.S)


@pytest.fixture(autouse=True)
def site(settings: Any, tmp_path: Path) -> None:
    """Tests run without collectstatic's manifest (`exiledb serve` collects the static files)."""
    public_site(settings, tmp_path)


@pytest.fixture
def demo(db) -> dict[str, Any]:
    doc = json.loads(DEMO.read_text(encoding="utf-8"))
    writer.apply(interchange.parse_document(doc, str(DEMO)))
    return doc


def page(client: Any, url: str, **params: str) -> str:
    response = client.get(url, params)
    assert response.status_code == 200, url
    return html.unescape(response.content.decode())


def table(text: str, caption: str) -> list[list[str]]:
    """The body rows of the table with this caption, as lists of cell texts."""
    for found in re.findall(r"<table\b.*?</table>", text, re.S):
        if re.search(rf"<caption>\s*{re.escape(caption)}\s*</caption>", found):
            body = re.search(r"<tbody>(.*?)</tbody>", found, re.S)
            assert body, caption
            return [
                [
                    re.sub(r"<[^>]+>", "", cell).strip()
                    for cell in re.findall(r"<t[hd]\b[^>]*>(.*?)</t[hd]>", row, re.S)
                ]
                for row in re.findall(r"<tr>(.*?)</tr>", body.group(1), re.S)
            ]
    return []


HOSTS = "Incidents against exiles abroad, by host country"
FLOWS = "From origin state to host country"
HOME = "Incidents in the origin country"


def add_incident(**fields: Any) -> Incident:
    """An incident abroad, by Tajikistan, published and public unless told otherwise."""
    values = {
        "title": "Added for the map tests",
        "date": "2016",
        "country": "DE",
        "origin_country": "TJ",
        "review_status": "published",
        "visibility": "public",
    } | fields
    return Incident.objects.create(**values)


# --- the map page ------------------------------------------------------------------------------


def test_the_map_answers_200_with_one_h1_an_svg_of_countries_and_no_script(client, demo):
    text = page(client, "/map/")
    assert len(re.findall(r"<h1[\s>]", text)) == 1
    assert "<script" not in text.lower()
    svg = SVG.search(text)
    assert svg and 'role="img"' in svg.group(0)
    labelled = re.search(r'aria-labelledby="([^"]+)"', svg.group(0))
    assert labelled and f'id="{labelled.group(1)}"' in text
    assert 'viewBox="0 0 960 ' in svg.group(0)
    countries = re.search(r'<g class="countries">(.*?)</g>', text, re.S)
    assert countries and len(re.findall(r'<path d="M', countries.group(1))) > 150
    for landmark in ("<header", "<nav", "<main", "<footer"):
        assert landmark in text
    for found in re.findall(r"<table\b.*?</table>", text, re.S):
        assert "<caption>" in found
    assert all('scope="' in th for th in re.findall(r"<th\b[^>]*>", text))
    assert 'aria-current="page"' in re.search(r"<nav.*?</nav>", text, re.S).group(0)


def test_spain_and_finland_are_shaded_and_counted(client, demo):
    text = page(client, "/map/")
    assert table(text, HOSTS) == [["Finland", "1"], ["Spain", "1"]]
    for name in ("Spain", "Finland"):
        shaded = re.search(
            rf'<path d="[^"]+" class="([^"]+)"><title>{name}: 1 incident abroad</title>', text
        )
        assert shaded, name
        assert "host" in shaded.group(1).split() and re.search(r"\bq\d\b", shaded.group(1))
    # a country without incidents is drawn but not shaded and has no title
    assert "France:" not in text
    assert "2 documented incidents against exiles abroad" in text


def test_the_flows_table_has_tajikistan_to_spain_and_the_map_draws_it(client, demo):
    text = page(client, "/map/")
    assert ["Tajikistan", "Spain", "1"] in table(text, FLOWS)
    assert ["Tajikistan", "Finland", "1"] in table(text, FLOWS)
    flows = re.search(r'<g class="flows">(.*?)</g>', text, re.S).group(1)
    assert "<title>Tajikistan to Spain: 1 incident</title>" in flows
    assert flows.count("<path ") == 2


def test_relatives_at_home_are_a_ring_on_the_origin_and_a_row_of_the_table(client, demo):
    text = page(client, "/map/")
    assert table(text, HOME) == [["Tajikistan", "20"]]
    rings = re.search(r'<g class="rings">(.*?)</g>\s*</svg>', text, re.S).group(1)
    assert "<title>Tajikistan: 20 incidents against relatives at home</title>" in rings
    assert rings.count("<circle ") == 1


def test_stage_1_leaves_out_the_detentions_abroad(client, demo):
    text = page(client, "/map/", stage="1")
    assert table(text, HOSTS) == [] and table(text, FLOWS) == []
    assert "Spain" not in text and "Finland:" not in text
    assert table(text, HOME) == [["Tajikistan", "20"]]  # proxy incidents are stage 1
    assert '<option value="1" selected>' in text
    two = page(client, "/map/", stage="2")
    assert table(two, HOSTS) == [["Finland", "1"], ["Spain", "1"]] and table(two, HOME) == []


def test_a_year_range_keeps_only_the_incidents_of_those_years(client, demo):
    assert table(page(client, "/map/", year_from="2015"), HOSTS) == [["Finland", "1"]]
    assert table(page(client, "/map/", year_to="2014"), HOSTS) == [["Spain", "1"]]
    reversed_range = page(client, "/map/", year_from="2015", year_to="2014")
    assert table(reversed_range, HOSTS) == [["Finland", "1"], ["Spain", "1"]]
    # the form shows what was chosen
    text = page(client, "/map/", year_from="2015")
    assert (
        'name="year_from" min="1900" max="2100" step="1" inputmode="numeric" value="2015"' in text
    )
    assert 'name="year_to" min="1900" max="2100" step="1" inputmode="numeric" value=""' in text


@pytest.mark.parametrize(
    "params",
    [
        {"stage": "9"},
        {"stage": "x"},
        {"year_from": "20x5"},
        {"year_to": "99999"},
        {"year_from": ""},
    ],
)
def test_a_filter_value_that_is_not_a_choice_is_ignored(client, demo, params):
    assert table(page(client, "/map/", **params), HOSTS) == [["Finland", "1"], ["Spain", "1"]]


@pytest.mark.parametrize(
    "fields",
    [
        {"review_status": "draft"},
        {"review_status": "reviewed"},
        {"visibility": "restricted"},
        {"visibility": "confidential"},
    ],
)
def test_an_incident_the_public_may_not_see_never_counts(client, demo, fields):
    add_incident(**fields)
    add_incident(is_proxy=True, country="TJ", **fields)
    text = page(client, "/map/")
    assert "Germany" not in text
    assert table(text, HOME) == [["Tajikistan", "20"]]
    assert table(text, HOSTS) == [["Finland", "1"], ["Spain", "1"]]
    # the control: the same incident, published and public, is counted
    add_incident()
    assert ["Germany", "1"] in table(page(client, "/map/"), HOSTS)


def test_countries_too_small_or_without_an_outline_are_counted_without_crashing(client, demo):
    add_incident(country="SG")
    add_incident(country="XK")
    add_incident(country="TJ", origin_country="UZ")  # abroad: the host is another state
    add_incident(country="TJ")  # at home, but not against relatives
    text = page(client, "/map/")
    hosts = table(text, HOSTS)
    assert ["Singapore", "1"] in hosts and ["Kosovo", "1"] in hosts and ["Tajikistan", "1"] in hosts
    assert "Too small to draw at this scale (counted in the tables): Singapore" in text
    assert "<title>Kosovo: 1 incident abroad</title>" in text
    assert ["Uzbekistan", "Tajikistan", "1"] in table(text, FLOWS)
    assert table(text, HOME) == [["Tajikistan", "20", "1"]]


def test_the_map_loads_nothing_from_another_host(client, demo):
    text = page(client, "/map/")
    for attr, value in re.findall(r'\b(src|href|action)="([^"]*)"', text):
        assert not re.match(r"^(?:[a-z]+:)?//", value, re.I), (attr, value)
        assert not value.lower().startswith(("http:", "https:", "data:", "javascript:")), value
    assert not re.search(r"url\((?!#)", text)


def test_the_map_is_the_same_for_staff_and_the_public(client, demo, personas):
    def main(text: str) -> str:
        return text[text.index("<main") : text.index("</main>")]

    anonymous = main(page(client, "/map/"))
    signed_in(client, personas["editor"])
    assert main(page(client, "/map/")) == anonymous


def test_the_counts_are_one_group_by_query(db, demo):
    with CaptureQueriesContext(connection) as queries:
        data = mapview.counts(Entry.objects.all())
    assert len(queries) == 1
    sql = queries[0]["sql"].upper()
    assert "GROUP BY" in sql and "ORDER BY" not in sql
    assert data.hosts == {"ES": 1, "FI": 1} and data.proxy == {"TJ": 20}
    assert data.flows == {("TJ", "ES"): 1, ("TJ", "FI"): 1}


def test_the_page_with_no_incidents_at_all(client, db):
    text = page(client, "/map/")
    assert "No documented incidents abroad match these filters." in text
    assert SVG.search(text)


# --- the overview's charts ---------------------------------------------------------------------


def test_the_overview_charts_are_named_images_beside_their_tables(client, demo):
    text = page(client, "/")
    svgs = [s for s in SVG.findall(text) if 'class="chart"' in s]
    assert len(svgs) == 4
    for svg in svgs:
        assert 'role="img"' in svg
        ids = re.search(r'aria-labelledby="([^"]+)"', svg).group(1).split()
        title = re.search(rf'<title id="{ids[0]}">([^<]+)</title>', text)
        assert title and title.group(1).strip()
    for caption in (
        "Documented incidents and cases",
        "Cases by highest stage reached",
        "Documented incidents per year",
        "Host countries of incidents abroad",
    ):
        assert table(text, caption), caption
    assert table(text, "Documented incidents per year") == [
        ["2014", "1"],
        ["2015", "4"],
        ["2016", "10"],
        ["2017", "3"],
        ["year unknown", "4"],
    ]
    assert "Documented cases by highest stage reached" in text
    assert "Against relatives at home (proxy): 20 (91%)" in text
    assert '/methodology/#undercount"' in text
    assert "<script" not in text.lower()


def test_the_overview_with_no_data_draws_no_empty_chart(client, db):
    text = page(client, "/")
    assert len([s for s in SVG.findall(text) if 'class="chart"' in s]) == 1  # the stages


def test_chart_labels_are_escaped():
    svg = str(charts.hbars("k", "<b>title</b>", [("<script>", 3), ("Spain", 1)]))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "&lt;b&gt;" in svg
    assert svg.count("<rect ") == 2


def test_bar_lengths_are_proportional_to_the_counts():
    svg = str(charts.hbars("k", "t", [("a", 4), ("b", 2), ("c", 0)]))
    widths = [float(w) for w in re.findall(r'<rect [^>]*width="([\d.]+)"', svg)]
    assert widths[0] == pytest.approx(2 * widths[1]) and widths[2] == 0
    split = str(charts.split_bar("s", "t", [("abroad", 1, "a"), ("home", 3, "b")]))
    assert "abroad: 1 (25%)" in split and "home: 3 (75%)" in split


@pytest.mark.parametrize(("maximum", "step"), [(0, 1), (3, 1), (10, 5), (22, 10), (1000, 500)])
def test_nice_steps(maximum, step):
    assert charts.nice_step(maximum) == step


# --- TopoJSON, projection and drawing ----------------------------------------------------------

# A square of two arcs sharing their ends, quantised: positions 0..2 in steps of 0.5 degrees
# from (10, 20).
TINY = {
    "type": "Topology",
    "transform": {"scale": [0.5, 0.5], "translate": [10, 20]},
    "arcs": [[[0, 0], [2, 0], [0, 2]], [[2, 2], [-2, 0], [0, -2]], [[4, 4], [0, 1]]],
    "objects": {
        "countries": {
            "type": "GeometryCollection",
            "geometries": [
                {"type": "Polygon", "arcs": [[0, 1]], "id": "724"},
                {"type": "MultiPolygon", "arcs": [[[0, 1]], [[~1, ~0]]], "id": "246"},
                {"type": "LineString", "arcs": [2], "id": "250"},
                {"type": "Polygon", "arcs": [[0, 1]], "properties": {"name": "Kosovo"}},
            ],
        }
    },
}


def test_quantised_arcs_are_delta_decoded_and_transformed():
    arcs = geo.decode_arcs(TINY)
    assert arcs[0] == [(10.0, 20.0), (11.0, 20.0), (11.0, 21.0)]
    assert arcs[1] == [(11.0, 21.0), (10.0, 21.0), (10.0, 20.0)]
    assert arcs[2] == [(12.0, 22.0), (12.0, 22.5)]


def test_arcs_without_a_transform_are_absolute():
    arcs = geo.decode_arcs({"arcs": [[[1, 2], [3, 4]]]})
    assert arcs == [[(1.0, 2.0), (3.0, 4.0)]]


def test_rings_join_arcs_once_and_reverse_negative_indexes():
    arcs = geo.decode_arcs(TINY)
    square = geo.ring([0, 1], arcs)
    assert square == [(10, 20), (11, 20), (11, 21), (10, 21), (10, 20)]
    assert geo.ring([~1, ~0], arcs) == square[::-1]
    kinds = [geo.polygons(g, arcs) for g in TINY["objects"]["countries"]["geometries"]]
    assert kinds[0] == [[square]] and len(kinds[1]) == 2 and kinds[2] == []


def test_codes_come_from_numeric_ids_or_known_names():
    geometries = TINY["objects"]["countries"]["geometries"]
    assert [geo.shape_code(g) for g in geometries] == ["ES", "FI", "FR", "XK"]
    assert geo.shape_code({"id": "999"}) == "" and geo.shape_code({"properties": {}}) == ""


def test_every_outline_in_the_shipped_file_has_a_known_code_or_is_known_to_have_none():
    topology = json.loads(geo.TOPOLOGY.read_text(encoding="utf-8"))
    for g in topology["objects"]["countries"]["geometries"]:
        code = geo.shape_code(g)
        assert code in COUNTRIES or g["properties"]["name"] in geo.UNCODED, g["properties"]
    assert set(geo.NUMERIC.values()) <= set(COUNTRIES)


def test_the_natural_earth_projection():
    assert geo.natural_earth(0, 0) == (0.0, 0.0)
    x, y = geo.natural_earth(180, 0)
    assert x == pytest.approx(math.pi * 0.8707) and y == 0
    assert geo.natural_earth(0, 90)[1] == pytest.approx(1.4224, abs=1e-3)
    a, b = geo.natural_earth(30, 40), geo.natural_earth(-30, -40)
    assert a == pytest.approx((-b[0], -b[1]))
    # meridians converge towards the poles
    assert geo.natural_earth(90, 60)[0] < geo.natural_earth(90, 0)[0]


def test_the_frame_spans_the_drawing_north_up():
    frame = geo.Frame()
    assert frame(-180, 0)[0] == pytest.approx(geo.PAD)
    assert frame(180, 0)[0] == pytest.approx(geo.WIDTH - geo.PAD)
    assert frame(0, geo.LAT_MAX)[1] == pytest.approx(geo.PAD)
    assert frame(0, geo.LAT_MIN)[1] == pytest.approx(frame.height - geo.PAD, abs=1)
    assert frame(0, 50)[1] < frame(0, 0)[1]


def test_rings_crossing_the_antimeridian_are_cut_in_two():
    fiji = [(179.0, -16.0), (-179.0, -16.0), (-179.0, -17.0), (179.0, -17.0)]
    pieces = geo.split_antimeridian(fiji)
    assert len(pieces) == 2
    for piece in pieces:
        lons = [p[0] for p in piece]
        assert max(lons) - min(lons) <= 1.0 + 1e-9
    assert geo.split_antimeridian([(1.0, 1.0), (2.0, 1.0), (2.0, 2.0)]) == [
        [(1.0, 1.0), (2.0, 1.0), (2.0, 2.0)]
    ]


def test_path_data_is_relative_in_tenths_and_drops_what_rounds_away():
    assert geo.path_data([[(0, 0), (1, 0), (1.04, 0), (1, 1), (0, 0)]]) == "M0 0l1 0 0 1z"
    assert geo.path_data([[(0.26, 0.5), (2.5, 0.5), (2.5, 3)]]) == "M0.3 0.5l2.2 0 0 2.5z"
    assert geo.path_data([[(0, 0), (0.01, 0.01)]]) == ""


def test_the_world_is_projected_once_without_antarctica_and_fits_the_drawing():
    world = geo.world()
    assert world is geo.world()
    codes = {s.code for s in world.shapes}
    assert "AQ" not in codes and {"ES", "FI", "TJ", "RU", "FJ", "XK"} <= codes
    assert len(world.shapes) > 170 and all(s.d for s in world.shapes)
    for shape in world.shapes:
        for sub in shape.d.split("M")[1:]:
            x = y = 0.0
            xs, ys = [], []
            head, _, rest = sub.partition("l")
            x, y = (float(v) for v in head.split())
            xs.append(x)
            ys.append(y)
            numbers = [float(v) for v in rest.rstrip("z").split()]
            for dx, dy in zip(numbers[::2], numbers[1::2], strict=True):
                x, y = x + dx, y + dy
                xs.append(x)
                ys.append(y)
            # no outline jumps across the map (the antimeridian is cut)
            assert max(xs) - min(xs) < world.width / 2, shape.name
            assert min(xs) >= 0 and max(xs) <= world.width + 0.5, shape.name
            assert min(ys) >= -0.5 and max(ys) <= world.height + 0.5, shape.name
    spain, tajikistan = world.centroids["ES"], world.centroids["TJ"]
    assert spain[0] < tajikistan[0]  # west of it


def test_shading_classes_cover_every_count():
    assert mapview.classes(0) == []
    assert mapview.classes(1) == [(1, 1)]
    assert mapview.classes(3) == [(1, 1), (2, 2), (3, 3)]
    bands = mapview.classes(1000)
    assert len(bands) == 5 and bands[0][0] == 1 and bands[-1][1] == 1000
    assert all(b[0] == a[1] + 1 for a, b in zip(bands, bands[1:], strict=False))
    shades = [mapview.shade(n, bands) for n in (1, 10, 100, 1000)]
    assert shades == sorted(shades) and shades[0] == 0 and shades[-1] == 4
