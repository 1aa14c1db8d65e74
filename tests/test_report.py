"""The charts (Altair, rendered offline by vl-convert) and the self-contained HTML report."""

from __future__ import annotations

import json
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from conftest import DEMO, public_site
from test_canaries import found_in, load_canaries

from exiledb.access.policy import published_incidents, visible_incidents, visible_persons
from exiledb.analysis import stats
from exiledb.cases.models import Incident
from exiledb.editions import store
from exiledb.ingest import interchange, writer
from exiledb.reports import charts, report

pytestmark = pytest.mark.django_db

# Attributes through which a document can make a browser fetch something.
FETCHING = {
    "src",
    "href",
    "xlink:href",
    "action",
    "formaction",
    "data",
    "poster",
    "srcset",
    "background",
    "manifest",
    "ping",
    "longdesc",
    "codebase",
    "cite",
}


@pytest.fixture(autouse=True)
def site(settings: Any, tmp_path: Path) -> None:
    public_site(settings, tmp_path)


def load_demo() -> None:
    doc = json.loads(DEMO.read_text(encoding="utf-8"))
    writer.apply(interchange.parse_document(doc, str(DEMO)))


class Parsed(HTMLParser):
    """Every tag, every attribute, the text of every <table>, and the text of <style>."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: Counter[str] = Counter()
        self.attributes: list[tuple[str, str, str]] = []
        self.styles: list[str] = []
        self.tables: list[list[list[str]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        self.attributes += [(tag, name, value or "") for name, value in attrs]
        if tag == "style":
            self._in_style = True
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.styles.append(data)
        if self._cell is not None:
            self._cell.append(data)


def parse(text: str) -> Parsed:
    parsed = Parsed()
    parsed.feed(text)
    parsed.close()
    return parsed


def assert_loads_nothing(text: str) -> Parsed:
    parsed = parse(text)
    for tag in ("script", "link", "img", "iframe", "object", "embed", "image", "use", "base"):
        assert parsed.tags[tag] == 0, tag
    fetching = [(t, n, v) for t, n, v in parsed.attributes if n.lower() in FETCHING]
    # in-page anchors are all a self-contained report may link to
    assert all(v.startswith("#") for _t, _n, v in fetching), fetching
    assert not [
        a
        for a in parsed.attributes
        if a[2].lower().lstrip().startswith(("http", "//")) and not a[1].startswith("xmlns")
    ]
    assert not re.search(r"url\s*\(", text, re.I)
    assert "@import" not in text
    for style in [v for _t, n, v in parsed.attributes if n == "style"] + parsed.styles:
        assert "url(" not in style
    return parsed


def table_after(parsed: Parsed, header: list[str]) -> list[list[str]]:
    """The rows of the first table whose header row is `header`."""
    for table in parsed.tables:
        if table and table[0] == header:
            return table[1:]
    raise AssertionError(f"no table with header {header}")


# --- the report from the command line ----------------------------------------------------------


def test_the_report_renders_every_chart_inline_and_loads_nothing(cli, tmp_path):
    assert cli("demo").returncode == 0
    out = tmp_path / "report.html"
    result = cli("report", "--out", str(out))
    assert result.returncode == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    parsed = assert_loads_nothing(text)
    assert parsed.tags["svg"] == len(charts.CHARTS) == 6
    assert parsed.tags["figure"] == 6
    assert stats.FLOOR_NOTE in text
    assert "Codebook version" in text and "Generated" in text
    assert "Methodology and caveats" in text
    # a table under each chart, with the demo's figures (the article's cases)
    stages = table_after(parsed, ["stage", "cases"])
    assert int(dict(stages)["2 detained"]) >= 2
    hosts = dict(table_after(parsed, ["host country", "incidents"]))
    assert {"Spain (ES)", "Finland (FI)"} <= set(hosts)
    dyads = dict(table_after(parsed, ["origin \u2192 host", "incidents"]))
    assert all(key.startswith("Tajikistan (TJ)") for key in dyads)
    years = table_after(parsed, ["year", "abroad", "proxy", "total"])
    assert sum(int(r[2]) for r in years) >= 10  # at least ten proxy incidents with a year
    kinship = dict(table_after(parsed, ["kinship", "relatives"]))
    assert sum(int(n) for n in kinship.values()) >= 8


def test_the_report_of_an_edition_names_it_with_its_hash(cli, tmp_path):
    assert cli("demo").returncode == 0
    assert cli("edition", "create", "2026-11").returncode == 0
    listed = json.loads(cli("edition", "list", "--json").stdout)
    out = tmp_path / "edition.html"
    result = cli("report", "--out", str(out), "--edition", "2026-11")
    assert result.returncode == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    assert_loads_nothing(text)
    assert "2026-11" in text and listed[0]["content_hash"] in text


BAD_OPTIONS = [
    (("--edition", "nope"), "no edition named 'nope'"),
    (("--edition", "nope", "--since", "2015"), "an edition's figures are frozen"),
    (("--since", "2015-13"), "--since"),
    (("--min-confidence", "certain"), "--min-confidence"),
    (("--since", "2017", "--until", "2015"), "--until"),
]


def test_the_report_refuses_bad_options_with_one_line(cli, tmp_path):
    # one database for every case: each command-line run migrates it first
    out = tmp_path / "r.html"
    for args, message in BAD_OPTIONS:
        result = cli("report", "--out", str(out), *args)
        assert result.returncode == 1, args
        assert message in result.stderr and "Traceback" not in result.stderr, result.stderr
        assert not out.exists()


# --- the report in-process: figures, filters, audiences ---------------------------------------


def test_the_report_tables_are_the_statistics_module_figures():
    load_demo()
    source = report.live_figures("public")
    expected = stats.compute(visible_incidents(None), visible_persons(None))
    assert source.figures == expected
    parsed = assert_loads_nothing(report.render(source))
    stages = table_after(parsed, ["stage", "cases"])
    assert [int(n) for _s, n in stages] == [expected["cases"]["by_stage"][s] for s in "123"]
    summary = dict(row for row in parsed.tables[1])  # the summary table
    assert summary["Incidents documented"] == str(expected["incidents"]["total"])


def test_the_yearly_split_matches_incidents_counted_directly():
    load_demo()
    figures = stats.compute(visible_incidents(None), visible_persons(None))
    chart = charts.incidents_per_year(figures)
    counted: dict[int, list[int]] = {}
    for year, proxy in published_incidents().exclude(year=None).values_list("year", "is_proxy"):
        counted.setdefault(year, [0, 0])[1 if proxy else 0] += 1
    drawn = {row[0]: [row[1], row[2]] for row in chart.rows if row[3]}
    assert drawn == counted
    undated = published_incidents().filter(year=None).count()
    assert chart.notes == (
        [f"{undated} incident(s) with no known year are not drawn."] if undated else []
    )


def test_filters_narrow_the_report_and_are_stated_in_it():
    load_demo()
    everything = report.live_figures("public")
    narrowed = report.live_figures("public", since="2016", min_confidence="confirmed")
    assert narrowed.figures["incidents"]["total"] < everything.figures["incidents"]["total"]
    expected = (
        published_incidents()
        .filter(confidence="confirmed", date_earliest__gte="2016-01-01")
        .count()
    )
    assert narrowed.figures["incidents"]["total"] == expected
    text = report.render(narrowed)
    assert "since=2016" in text and "min_confidence=confirmed" in text


def test_the_public_report_counts_only_public_records_and_the_internal_one_says_so():
    load_canaries()
    public = report.render(report.live_figures("public"))
    internal = report.render(report.live_figures("internal"))
    assert found_in(public) == set() and found_in(internal) == set()  # figures, not records
    total = Incident.objects.count()
    public_total = published_incidents().count()
    assert public_total < total
    assert f'<th scope="row">Incidents documented</th><td class="n">{public_total}</td>' in public
    assert f'<th scope="row">Incidents documented</th><td class="n">{total}</td>' in internal
    assert "Internal report - do not publish" in internal
    assert "do not publish" not in public


def test_an_edition_report_uses_its_frozen_figures_not_the_live_data():
    load_demo()
    edition = store.create("2026-11")
    Incident.objects.filter(review_status="published").update(review_status="draft")
    source = report.edition_figures("2026-11", "public")
    assert source.figures == edition.figures["public"]
    assert source.figures["incidents"]["total"] == 22
    text = report.render(source)
    assert edition.content_hash in text


# --- the charts ---------------------------------------------------------------------------------


def test_every_chart_inlines_its_data_and_renders_to_svg():
    load_demo()
    figures = stats.compute()
    made = charts.all_charts(figures)
    assert [c.key for c in made] == ["stages", "years", "hosts", "dyads", "kinship", "outcomes"]
    for chart in made:
        assert chart.spec is not None and chart.rows, chart.key
        text = json.dumps(chart.spec)
        assert '"url"' not in text, chart.key  # no data, font or image fetched by URL
        rows = chart.spec["data"]["values"]
        assert isinstance(rows, list) and rows, chart.key
        svg = charts.render_svg(chart.spec)
        assert svg.startswith("<svg") and "<script" not in svg
        assert not re.search(r"(?:src|href)=", svg)


def test_an_empty_database_gives_a_report_without_charts_but_with_its_caveats():
    parsed = assert_loads_nothing(report.render(report.live_figures("internal")))
    assert parsed.tags["svg"] == 0
    assert parsed.tags["section"] == 6


def test_the_top_charts_say_how_much_they_leave_out():
    figures = {"incidents": {"by_host_country": {f"X{i}": 20 - i for i in range(15)}}}
    chart = charts.host_countries(figures)
    assert len(chart.rows) == charts.TOP
    assert chart.notes == [f"3 more with {sum(20 - i for i in range(12, 15))} incidents in all."]
