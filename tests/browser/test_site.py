"""The public site in a real browser, on the demo data (the FPC article's cases).

Each test reads the site as an anonymous visitor would, in headless Chromium. Every page it opens
is also checked for requests to other hosts, browser errors and serious accessibility problems
(see conftest.py).
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from exiledb.ingest.base import record_uuid

from .conftest import DEMO, Site

pytestmark = pytest.mark.browser

KABIRI = "person/kabiri-muhiddin"
GADOEV_SPAIN = "incident/gadoev-detained-spain-2014"
DAVLATOV_FINLAND = "incident/davlatov-detained-finland-2015"
INCIDENT_LINK = re.compile(r"/incidents/[0-9a-f-]{36}/$")


def uid(kind: str, local_id: str) -> str:
    return str(record_uuid(kind, local_id))


def title(incident: str) -> str:
    doc = json.loads(DEMO.read_text(encoding="utf-8"))
    return next(i["title"] for i in doc["incidents"] if i["id"] == incident)


def results(site: Site) -> list[str]:
    """The titles listed in #results; every one must link to an incident page."""
    links = site.page.locator("#results a[href^='/incidents/']")
    hrefs = links.evaluate_all("els => els.map(a => a.getAttribute('href'))")
    assert all(INCIDENT_LINK.search(h) for h in hrefs), hrefs
    return sorted(" ".join(t.split()) for t in links.all_inner_texts())


def focused(site: Site) -> dict[str, Any]:
    return site.page.evaluate(
        """() => { const e = document.activeElement;
                   return {tag: e.tagName.toLowerCase(), id: e.id, name: e.name || '',
                           cls: e.className || '', labels: e.labels ? e.labels.length : 0}; }"""
    )


# --- every page ---------------------------------------------------------------------------------

PAGES = [
    "/",
    "/incidents/",
    f"/incidents/{uid('incidents', GADOEV_SPAIN)}/",
    "/cases/",
    f"/cases/{uid('persons', KABIRI)}/",
    "/map/",
    "/methodology/",
    "/data/",
]


@pytest.mark.parametrize("path", PAGES)
def test_every_public_page_renders_with_one_h1(site, path):
    site.goto(path)
    assert site.page.locator("h1").count() == 1
    assert site.page.locator("h1").inner_text().strip()
    assert site.page.locator("main").count() == 1


def test_an_unknown_address_answers_a_404_page_with_one_h1(site):
    site.goto(f"/incidents/{uid('incidents', 'incident/no-such-incident')}/", status=404)
    assert site.page.locator("h1").count() == 1


# --- incidents: facets and search ---------------------------------------------------------------


def test_the_stage_2_facet_narrows_the_list_to_the_two_interpol_detentions(site):
    site.goto("/incidents/")
    everything = results(site)
    assert len(everything) > 2
    facet = site.page.locator(
        "nav[aria-label='Filters'] a[href*='stage=2'], aside a[href*='stage=2']"
    ).first
    site.follow(facet.click)
    assert "stage=2" in site.page.url  # bookmarkable
    expected = sorted([title(GADOEV_SPAIN), title(DAVLATOV_FINLAND)])
    assert results(site) == expected
    assert re.match(r"\s*2\b", site.page.locator("#result-count").inner_text())
    site.follow(site.page.reload)
    assert results(site) == expected


def test_searching_gadoev_finds_his_detention_in_spain(site):
    site.goto("/incidents/")
    box = site.page.locator("form[role='search'] input[name='q']")
    box.fill("Gadoev")
    site.follow(lambda: box.press("Enter"))
    assert "q=Gadoev" in site.page.url
    assert title(GADOEV_SPAIN) in results(site)


# --- cases --------------------------------------------------------------------------------------


def test_kabiris_case_lists_his_father_among_the_targeted_relatives(site):
    site.goto("/cases/")
    box = site.page.locator("form[role='search'] input[name='q']")
    box.fill("Kabiri")
    site.follow(lambda: box.press("Enter"))
    site.follow(site.page.get_by_role("link", name="Muhiddin Kabiri", exact=True).click)
    assert site.page.url.endswith(f"/cases/{uid('persons', KABIRI)}/")
    assert site.page.locator("h1").inner_text().strip() == "Muhiddin Kabiri"
    # The demo codes him as "Tillo (father of Muhiddin Kabiri)": a given name, no surname.
    father = site.page.locator("ul.relatives li", has_text="Tillo")
    assert father.count() == 1
    text = " ".join(father.inner_text().split())
    assert "father" in text
    assert re.search(r"Targeted in \d+ published incidents? linked to this case", text), text


# --- the map ------------------------------------------------------------------------------------


def test_the_map_draws_the_countries_and_shades_spain(site):
    site.goto("/map/")
    svg = site.page.locator("main svg").first
    assert svg.is_visible()
    assert svg.locator("path").count() > 100
    spain = site.page.evaluate(
        """() => {
            const paths = [...document.querySelectorAll('main svg path')];
            const named = (p, code, name) => [p.id, p.dataset.code, p.dataset.country,
                                              p.getAttribute('aria-label') || '']
                  .some(v => v && (v === code || v.startsWith(name)))
                || [...p.querySelectorAll('title')].some(t => t.textContent.startsWith(name));
            const fill = p => p ? getComputedStyle(p).fill : null;
            const counts = {};
            for (const p of paths) counts[fill(p)] = (counts[fill(p)] || 0) + 1;
            const plain = Object.keys(counts).sort((a, b) => counts[b] - counts[a])[0];
            return {spain: fill(paths.find(p => named(p, 'ES', 'Spain'))), plain: plain};
        }"""
    )
    assert spain["spain"], "no path for Spain (by id, data-code, aria-label or <title>)"
    # most countries have no documented incident and share one fill; Spain has two
    assert spain["spain"] != spain["plain"], spain
    assert site.page.locator("main table", has_text="Spain").count() >= 1


# --- keyboard and small screens -----------------------------------------------------------------


def test_the_skip_link_is_the_first_tab_stop_and_moves_to_the_content(site):
    site.goto("/")
    site.page.keyboard.press("Tab")
    first = focused(site)
    assert first["tag"] == "a" and "skip" in first["cls"], first
    site.page.keyboard.press("Enter")
    assert site.page.url.endswith("#main")
    assert focused(site)["id"] == "main"


@pytest.mark.parametrize("path", ["/incidents/", "/cases/"])
def test_the_search_box_is_reachable_by_tab_and_labelled(site, path):
    site.goto(path)
    for _ in range(40):
        site.page.keyboard.press("Tab")
        now = focused(site)
        if now["tag"] == "input" and now["name"] == "q":
            break
    else:
        pytest.fail(f"the search box on {path} is not reached in 40 Tab presses")
    assert now["labels"] >= 1


@pytest.mark.parametrize("path", ["/", "/incidents/"])
def test_no_horizontal_scroll_on_a_phone(phone, path):
    phone.goto(path)
    width = phone.page.evaluate(
        "() => ({scroll: document.scrollingElement.scrollWidth, inner: window.innerWidth})"
    )
    assert width["inner"] == 375
    assert width["scroll"] <= width["inner"] + 1, width
