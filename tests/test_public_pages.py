"""The public pages: incident pages, cases, a case's page, the methodology, the overview.

Every test loads the demo (the FPC article's cases) through the importer and reads the site as
an anonymous visitor would. The protected names are planted where the public must never find
them: in the spellings of a minor and of a pseudonymised relative who is a case.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from conftest import DEMO, public_site, signed_in

from exiledb.access.redaction import redact
from exiledb.cases.models import Incident, Name, Person, Residence
from exiledb.ingest import interchange, writer
from exiledb.ingest.base import record_uuid
from exiledb.public import display
from exiledb.vocab import VOCABULARIES, codebook

pytestmark = pytest.mark.django_db

KABIRI = "person/kabiri-muhiddin"
GADOEV_SPAIN = "incident/gadoev-detained-spain-2014"
MINOR = "person/khudoydodova-daughter"  # a minor, pseudonymised in the demo
DILBAR = "person/yorov-dilbar"  # a relative who may not be named; the sources print "Dilbar"
YOROV_BROTHER = "person/yorov-brother"  # a case: his wife and her daughter were targeted
MINOR_SPELLINGS = ("Zarina Khudoydodova", "Зарина Худойдодова")
CASE_SPELLINGS = ("Rustam Yorov", "Рустам Ёров")
LINK = re.compile(r'href="(/(?:incidents|cases)/[0-9a-f-]{36}/)"')


def uid(kind: str, local_id: str) -> str:
    return str(record_uuid(kind, local_id))


@pytest.fixture(autouse=True)
def site(settings: Any, tmp_path: Path) -> None:
    """Tests run without collectstatic's manifest (`exiledb serve` collects the static files)."""
    public_site(settings, tmp_path)


@pytest.fixture
def demo() -> dict[str, Any]:
    """The demo, with a minor's real name planted among her spellings."""
    doc = json.loads(DEMO.read_text(encoding="utf-8"))
    writer.apply(interchange.parse_document(doc, str(DEMO)))
    minor = Person.objects.get(pk=uid("persons", MINOR))
    assert minor.is_minor
    for value in MINOR_SPELLINGS:
        Name.objects.create(person=minor, value=value)
    return doc


def published(doc: dict[str, Any]) -> set[str]:
    """The demo's published public incidents, read from the file rather than the database."""
    return {
        uid("incidents", i["id"])
        for i in doc["incidents"]
        if i.get("review_status") == "published" and i.get("visibility", "public") == "public"
    }


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def crawl(client: Any, doc: dict[str, Any]) -> dict[str, str]:
    """Every public page: the fixed pages, every incident and case page they link to (followed
    to the end), and every published incident whether linked or not."""
    todo = ["/", "/cases/", "/cases/?sort=stage", "/methodology/", "/data/", "/map/"]
    todo += ["/incidents/", "/incidents/?stage=2", "/incidents/?q=Kabiri&sort=date"]
    todo += [f"/incidents/{pk}/" for pk in sorted(published(doc))]
    pages: dict[str, str] = {}
    while todo:
        url = todo.pop()
        if url in pages:
            continue
        response = client.get(url)
        assert response.status_code == 200, url
        pages[url] = text(response)
        todo += [link for link in LINK.findall(response.content.decode()) if link not in pages]
    return pages


def h1_count(page: str) -> int:
    return len(re.findall(r"<h1[\s>]", page))


# --- every page --------------------------------------------------------------------------------


def test_every_public_page_answers_200_with_one_h1_landmarks_and_no_script(client, demo):
    pages = crawl(client, demo)
    cases = [url for url in pages if url.startswith("/cases/") and url != "/cases/"]
    incidents = [url for url in pages if re.fullmatch(r"/incidents/[0-9a-f-]{36}/", url)]
    # the crawl reached the pages under test (an empty site would pass the checks below)
    assert len(incidents) == len(published(demo)) == 22
    assert f"/cases/{uid('persons', KABIRI)}/" in cases and len(cases) >= 10
    for url, page in pages.items():
        assert h1_count(page) == 1, url
        assert "<script" not in page.lower(), url
        for landmark in ("<header", "<nav", "<main", "<footer"):
            assert landmark in page, (url, landmark)
        for caption_free in re.findall(r"<table\b(?:(?!</table>).)*</table>", page, re.S):
            assert re.search(r"<caption[\s>]", caption_free), url
        assert all('scope="' in th for th in re.findall(r"<th\b[^>]*>", page)), url


def test_every_page_is_the_same_for_staff_and_the_public(client, demo, personas):
    urls = ["/", "/cases/", f"/cases/{uid('persons', KABIRI)}/"]
    urls.append(f"/incidents/{uid('incidents', GADOEV_SPAIN)}/")
    anonymous = {url: main(text(client.get(url))) for url in urls}
    signed_in(client, personas["editor"])
    for url in urls:
        assert main(text(client.get(url))) == anonymous[url], url


def main(page: str) -> str:
    return page[page.index("<main") : page.index("</main>")]


# --- incident pages ----------------------------------------------------------------------------


def test_gadoevs_detention_in_spain_shows_stage_2_spain_and_its_source(client, demo):
    page = text(client.get(f"/incidents/{uid('incidents', GADOEV_SPAIN)}/"))
    assert codebook.STAGES.label("2") in page
    assert "Spain (country only)" in page
    assert codebook.TACTICS.label("detention_abroad") in page
    assert codebook.HOST_STATE_ROLES.label("refused") in page
    assert codebook.LEGAL_CHANNELS.label("interpol") in page
    assert '<a href="https://fpc.org.uk/' in page and "<blockquote>" in page
    assert f'href="/cases/{uid("persons", "person/gadoev-sharofiddin")}/"' in page


@pytest.mark.parametrize(
    ("incident", "when", "where"),
    [
        ("incident/yaqubov-mob-khujand-2016-09-22", "22 September 2016", "Khujand (city)"),
        (
            "incident/khudoydodova-school-mob-kulob-2016-09",
            "September 2016 (month known)",
            "Kulob (city), Tajikistan",
        ),
        (GADOEV_SPAIN, "2014 (year known)", "Spain (country only)"),
        ("incident/khudoydodova-passports-kulob", "date unknown", "Kulob (city)"),
        (
            "incident/rahmatulloi-rajab-beaten-in-prison-2016",
            "June 2016 (month known)",
            "Tajikistan (country only)",
        ),
    ],
)
def test_incident_pages_show_dates_and_places_with_their_precision(
    client, demo, incident, when, where
):
    page = text(client.get(f"/incidents/{uid('incidents', incident)}/"))
    assert when in page
    assert where in page


def test_an_exact_place_is_shown_no_more_precisely_than_a_city_and_with_no_point(client, demo):
    incident = Incident.objects.get(pk=uid("incidents", "incident/yaqubov-mob-khujand-2016-09-22"))
    incident.place_precision = "exact"
    incident.latitude, incident.longitude = 40.285714, 69.619048
    incident.save()
    page = text(client.get(f"/incidents/{incident.pk}/"))
    assert re.search(r"\((city|region only|country only)\)", page)
    assert "40.28" not in page and "69.61" not in page
    assert codebook.PLACE_PRECISION.label("exact") not in page


def test_the_address_of_an_exact_place_is_never_shown(client, demo):
    incident = Incident.objects.get(pk=uid("incidents", "incident/yaqubov-mob-khujand-2016-09-22"))
    incident.place_precision = "exact"
    incident.place = "ulitsa Kooperativnaya 12"
    incident.save()
    page = text(client.get(f"/incidents/{incident.pk}/"))
    assert page.count("<h1>") == 1  # the page itself renders
    assert "Kooperativnaya" not in page


def test_the_incident_page_links_case_pages_only_for_cases(client, demo):
    page = text(
        client.get(f"/incidents/{uid('incidents', 'incident/kabiri-tillo-passport-confiscated')}/")
    )
    assert f'href="/cases/{uid("persons", KABIRI)}/"' in page
    assert "Tillo (father of Muhiddin Kabiri)" in page
    assert f"/cases/{uid('persons', 'person/kabiri-tillo')}/" not in page  # a relative, no case


HIDDEN = [
    ("review_status", "draft"),
    ("review_status", "reviewed"),
    ("visibility", "restricted"),
    ("visibility", "confidential"),
]


@pytest.mark.parametrize(("field", "value"), HIDDEN)
def test_an_incident_the_public_may_not_see_answers_404_with_no_hint(client, demo, field, value):
    incident = Incident.objects.get(pk=uid("incidents", GADOEV_SPAIN))
    before = client.get(f"/incidents/{incident.pk}/")
    assert before.status_code == 200 and incident.title in text(before)
    Incident.objects.filter(pk=incident.pk).update(**{field: value})
    response = client.get(f"/incidents/{incident.pk}/")
    assert response.status_code == 404
    assert incident.title not in text(response) and "Gadoev" not in text(response)
    assert text(response) == text(client.get(f"/incidents/{uuid.uuid4()}/"))


@pytest.mark.parametrize(
    "url",
    [
        lambda: f"/incidents/{uuid.uuid4()}/",
        lambda: "/incidents/not-a-uuid/",
        lambda: f"/incidents/{uid('incidents', 'incident/businessman-sister-dismissed')}/",
        lambda: f"/incidents/{uid('incidents', 'incident/farrukh-moscow-brother-visited-2015')}/",
    ],
    ids=["random", "malformed", "reviewed-restricted", "restricted"],
)
def test_unknown_and_unpublished_incidents_answer_404(client, demo, url):
    assert client.get(url()).status_code == 404


# --- cases -------------------------------------------------------------------------------------


def test_kabiris_case_page_lists_his_father_among_the_targeted_relatives(client, demo):
    page = text(client.get(f"/cases/{uid('persons', KABIRI)}/"))
    assert h1_count(page) == 1 and "<h1>Muhiddin Kabiri</h1>" in page
    relatives = page[page.index('<ul class="relatives">') :]
    relatives = relatives[: relatives.index("</ul>")]
    father = next(li for li in relatives.split("<li>") if "Tillo" in li)
    assert "is the father of Muhiddin Kabiri" in father
    assert "Targeted in 2 published incidents" in father
    assert "<svg" in page and '<title id="network-title">' in page  # drawn, and listed
    # the timeline holds every published incident linked to him, by date
    linked = [
        i
        for i in demo["incidents"]
        if any(v.get("linked_exile") == KABIRI for v in i["involvements"])
        and uid("incidents", i["id"]) in published(demo)
    ]
    assert linked
    for incident in linked:
        assert f"/incidents/{uid('incidents', incident['id'])}/" in page


def test_a_case_page_shows_spellings_categories_and_host_countries_but_no_places(client, demo):
    kabiri = Person.objects.get(pk=uid("persons", KABIRI))
    Name.objects.create(person=kabiri, value="Муҳиддин Кабирӣ", script="cyrl", language="tg")
    Residence.objects.create(person=kabiri, country="DE", place="Hauptstrasse 5", date_from="2015")
    page = text(client.get(f"/cases/{kabiri.pk}/"))
    assert "Муҳиддин Кабирӣ" in page
    assert codebook.EXILE_CATEGORIES.label("opposition") in page
    assert "Germany" in page and "since 2015 (year known)" in page
    assert "Hauptstrasse" not in page
    assert "Islamic Renaissance Party of Tajikistan" in page
    assert "https://fpc.org.uk/" in page  # every public source cited


def test_the_case_list_sorts_by_stage_and_counts_incidents(client, demo):
    page = text(client.get("/cases/?sort=stage"))
    rows = re.findall(
        r'<tr><th scope="row"><a href="/cases/[^"]+/">([^<]+)</a></th><td>([^<]+)', page
    )
    assert rows, "the case list is empty"
    stages = [stage for _name, stage in rows]
    assert stages[:2] == [codebook.STAGES.label("2")] * 2
    assert {name for name, _ in rows[:2]} == {"Sharofiddin Gadoev", "Sulaimon Davlatov"}
    by_name = text(client.get("/cases/"))
    names = re.findall(r'<tr><th scope="row"><a href="/cases/[^"]+/">([^<]+)</a>', by_name)
    assert names == sorted(names, key=str.casefold)
    assert len(names) == len(rows)


def test_the_case_list_pages_fifty_at_a_time(client, demo):
    exiles = [
        {"id": f"person/x{n}", "display_name": f"Test Exile {n:02d}", "origin_country": "TJ"}
        for n in range(55)
    ]
    incidents = [
        {
            "id": f"incident/x{n}",
            "title": f"Test exile {n} threatened",
            "date": "2019",
            "country": "TR",
            "origin_country": "TJ",
            "tactics": ["threat"],
            "involvements": [{"person": f"person/x{n}", "role": "target"}],
            "citations": [{"source": "src/x"}],
            "review_status": "published",
        }
        for n in range(55)
    ]
    doc = {
        "format": "exiledb/1",
        "sources": [{"id": "src/x", "type": "news", "title": "A report"}],
        "persons": exiles,
        "incidents": incidents,
    }
    writer.apply(interchange.parse_document(doc, "x.json"))
    first = text(client.get("/cases/"))
    total = len(re.findall(r'<tr><th scope="row"><a href="/cases/', first))
    assert total == 50
    assert 'rel="next"' in first
    second = text(client.get("/cases/?page=2"))
    rest = len(re.findall(r'<tr><th scope="row"><a href="/cases/', second))
    assert rest == 55 + 11 - 50
    assert 'rel="prev"' in second and 'rel="next"' not in second


@pytest.mark.parametrize(
    "url",
    [
        lambda: f"/cases/{uuid.uuid4()}/",
        lambda: "/cases/not-a-uuid/",
        lambda: f"/cases/{uid('persons', 'person/irpt-exile-poland')}/",  # restricted
        lambda: f"/cases/{uid('persons', 'person/businessman-special-forces')}/",  # restricted
        lambda: f"/cases/{uid('persons', 'person/kabiri-tillo')}/",  # a relative, not a case
        lambda: f"/cases/{uid('persons', MINOR)}/",  # a minor relative, not a case
    ],
    ids=["random", "malformed", "restricted-exile", "restricted-insider", "relative", "minor"],
)
def test_persons_who_are_not_public_cases_answer_404(client, demo, url):
    assert client.get(url()).status_code == 404


@pytest.mark.parametrize("change", ["confidential", "restricted", "redacted"])
def test_a_case_hidden_from_the_public_answers_404_and_leaves_the_list(client, demo, change):
    gadoev = Person.objects.get(pk=uid("persons", "person/gadoev-sharofiddin"))
    assert client.get(f"/cases/{gadoev.pk}/").status_code == 200
    if change == "redacted":
        redact(gadoev, None, note="asked to be removed")
    else:
        Person.objects.filter(pk=gadoev.pk).update(visibility=change)
    assert client.get(f"/cases/{gadoev.pk}/").status_code == 404
    listing = text(client.get("/cases/"))
    assert "Gadoev" not in listing and str(gadoev.pk) not in listing
    assert "Muhiddin Kabiri" in listing  # the list itself still works
    incident = text(client.get(f"/incidents/{uid('incidents', GADOEV_SPAIN)}/"))
    assert "Gadoev" not in incident  # his name is withheld from the published incident too


# --- names that must never be shown or searchable --------------------------------------------


@pytest.fixture
def unnameable_case(demo: dict[str, Any], request: Any) -> Person:
    """The brother of Buzurgmehr Yorov - a case - with a real name among his spellings, made a
    minor or marked as someone who may not be named."""
    person = Person.objects.get(pk=uid("persons", YOROV_BROTHER))
    for value in CASE_SPELLINGS:
        Name.objects.create(person=person, value=value)
    if request.param == "minor":
        person.is_minor = True
    else:
        person.may_be_named = False
        person.pseudonym = "an exiled conference speaker"
    person.save()
    return person


def test_no_page_shows_the_name_of_a_minor_or_of_a_pseudonymised_relative(client, demo):
    pages = crawl(client, demo)
    everything = "\n".join(pages.values()).casefold()
    for name in (*MINOR_SPELLINGS, "Dilbar"):
        leaks = [url for url, page in pages.items() if name.casefold() in page.casefold()]
        assert not leaks, f"{name!r} is shown on {leaks}"
    # the positive control: they are there, under their pseudonyms
    assert "daughter of an exiled dissident (minor)".casefold() in everything
    assert "sister-in-law of Buzurgmehr Yorov".casefold() in everything


@pytest.mark.parametrize("unnameable_case", ["minor", "pseudonymised"], indirect=True)
def test_a_search_never_finds_a_case_by_a_name_that_may_not_be_shown(client, demo, unnameable_case):
    case_url = f"/cases/{unnameable_case.pk}/"
    assert client.get(case_url).status_code == 200  # still a case, under a public name
    for query in (*CASE_SPELLINGS, "rustam", "РУСТАМ", "Ёров", *MINOR_SPELLINGS, "Dilbar"):
        page = text(client.get("/cases/", {"q": query}))
        assert case_url not in page, query
        assert "0 cases match" in page, query
    pages = crawl(client, demo)
    for name in (*CASE_SPELLINGS, *MINOR_SPELLINGS):
        assert not any(name.casefold() in page.casefold() for page in pages.values()), name


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kabiri", KABIRI),
        ("MUHIDDIN", KABIRI),
        ("кабирӣ", KABIRI),  # a Cyrillic spelling, in another case than the stored one
        ("КАБИРӢ", KABIRI),
        ("Khodoydodova", "person/khudoydodova-shabnam"),  # a variant spelling from the article
    ],
)
def test_a_search_finds_a_nameable_case_by_any_published_spelling(client, demo, query, expected):
    kabiri = Person.objects.get(pk=uid("persons", KABIRI))
    Name.objects.create(person=kabiri, value="Муҳиддин Кабирӣ", script="cyrl", language="tg")
    page = text(client.get("/cases/", {"q": query}))
    assert f"/cases/{uid('persons', expected)}/" in page
    assert "1 case matches" in page


def test_no_public_page_shows_a_canary(client):
    """The canary document (tests/test_canaries.py): restricted, confidential, unpublished and
    redacted records, unnameable people, notes and an exact address. The anonymous crawl of
    every page here must find none of them - and must find the story that may be told."""
    from test_canaries import ALL, EXILE, TAG, canary_doc, load_canaries

    load_canaries()
    pages = crawl(client, canary_doc())
    # the key and tag, not the whole canary: withholding a name may replace only a word of it
    leaks = {url: [k for k in ALL if f"{k}-{TAG}" in page] for url, page in pages.items()}
    assert not any(leaks.values()), {url: keys for url, keys in leaks.items() if keys}
    exile = f"/cases/{uid('persons', 'person/exile')}/"
    assert exile in pages and EXILE in pages[exile]
    proxy = pages[f"/incidents/{uid('incidents', 'incident/proxy')}/"]
    assert f"relative of {EXILE} (brother)" in proxy and "[name withheld]" in proxy


# --- methodology -------------------------------------------------------------------------------


def test_the_methodology_lists_every_code_of_the_codebook(client, demo):
    page = text(client.get("/methodology/"))
    assert h1_count(page) == 1
    for tactic in codebook.TACTICS:
        assert tactic.label in page, tactic.code
        assert f"<code>{tactic.code}</code>" in page
    for vocab in VOCABULARIES:
        assert vocab.title in page
        for code in vocab:
            assert code.definition in page, (vocab.name, code.code)
    assert "no judgement of guilt or innocence on the state's charges" in page
    assert "a floor" in page
    assert "Interviews are confidential" in page
    assert "the maintainers of this site" in page


def test_the_methodology_names_the_configured_contact(client, monkeypatch):
    monkeypatch.setenv("EXILEDB_CONTACT_EMAIL", "removals@example.org")
    page = text(client.get("/methodology/"))
    assert 'href="mailto:removals@example.org"' in page
    assert "the maintainers of this site" not in page


# --- wording, no database needed --------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2016-09-22", "22 September 2016"),
        ("2016-09", "September 2016 (month known)"),
        ("2016", "2016 (year known)"),
        ("", "date unknown"),
        (None, "date unknown"),
    ],
)
def test_dates_are_worded_with_their_precision(value, expected):
    assert display.date_text(value) == expected


@pytest.mark.parametrize(
    ("rec", "expected"),
    [
        ({"country": "TJ", "place": "Khujand", "place_precision": "city"}, "Khujand (city), "),
        ({"country": "TJ", "place": "Khujand", "place_precision": "exact"}, "Khujand (city), "),
        (
            {"country": "TJ", "region": "Sughd", "place": "", "place_precision": "region"},
            "Sughd (region only), Tajikistan",
        ),
        (
            {"country": "TJ", "region": "Sughd", "place": "Khujand", "place_precision": "country"},
            "Tajikistan (country only)",
        ),
    ],
)
def test_places_are_never_worded_more_precisely_than_coded(rec, expected):
    assert display.place_text(rec).startswith(expected)


def test_a_public_person_outside_the_published_incidents_is_named_not_withheld(client, demo):
    """Buzurgmehr Yorov (public, nameable) is in no published incident, only tied to his
    brother: his name is no secret and stays in the brother's public text."""
    yorov = Person.objects.get(pk=uid("persons", "person/yorov-buzurgmehr"))
    assert yorov.visibility == "public" and yorov.may_be_named and not yorov.is_minor
    page = text(client.get(f"/cases/{uid('persons', 'person/yorov-brother')}/"))
    assert "human-rights lawyer Buzurgmehr Yorov" in page
    assert "lawyer [name withheld]" not in page


def test_a_missing_page_is_a_styled_404_that_says_nothing_about_the_request(client, demo):
    response = client.get("/incidents/00000000-0000-4000-8000-000000000000/")
    page = text(response)
    assert response.status_code == 404
    assert page.count("<h1>") == 1 and "Not found" in page
    assert "00000000-0000-4000-8000-000000000000" not in page


def test_a_server_error_page_renders_without_a_request_context():
    from django.template import loader

    page = loader.get_template("500.html").render({})
    assert "<h1>Something went wrong</h1>" in page
