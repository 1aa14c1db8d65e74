"""The canary test: unique strings planted wherever the public (or an uncleared role) must not
look, then every page, download, autocomplete, history page and export fetched as every persona.

Each canary belongs to a class that says who may see it:

- "staff": restricted records, unpublished incidents, working notes, the names of minors,
  pseudonymised relatives and redacted persons - every role sees them in the editor, the public
  never does;
- "cleared": confidential records and confidential fields - editors and admins only.

The anonymous reader must find no canary anywhere; viewers and coders exactly the staff ones;
editors and admins every one (the positive control, so that an empty page cannot pass).
"""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from conftest import PERSONAS, signed_in
from django.contrib import admin
from django.db import models
from django.urls import reverse

from exiledb.access.models import AuditEvent, RemovalRequest
from exiledb.access.policy import visible_incidents, visible_persons
from exiledb.access.redaction import redact
from exiledb.analysis import stats
from exiledb.cases.models import Incident, Organization, Person, Relationship, Source
from exiledb.ingest import export, interchange, writer
from exiledb.ingest.base import record_uuid

pytestmark = pytest.mark.django_db

TAG = "7f3a"


def canary(key: str) -> str:
    """One word (underscores, no hyphens or spaces): the public withholder replaces names word
    by word, and canaries sharing a word would mask each other's leaks."""
    return f"CANARY_{key.replace('-', '_')}_{TAG}"


STAFF = (
    "restr-person",
    "restr-person-spelling",
    "restr-incident-title",
    "restr-incident-summary",
    "restr-source-title",
    "restr-rel-note",
    "draft-title",
    "draft-summary",
    "reviewed-title",
    "reviewed-summary",
    "minor",
    "minor-spelling",
    "relative",
    "relative-spelling",
    "redacted",
    "redacted-spelling",
    "name-note",
    "designation-note",
    "affiliation-note",
    "residence-note",
    "residence-place",
    "source-note",
    "relationship-note",
    "involvement-note",
    "citation-note",
    "exact-address",
)
CLEARED = (
    "person-contact",
    "person-contact-old",
    "person-notes",
    "incident-notes",
    "incident-notes-old",
    "conf-person",
    "conf-person-spelling",
    "conf-person-summary",
    "conf-person-notes",
    "interview-title",
    "interview-publisher",
    "interview-url",
    "interview-note",
    "conf-incident-title",
    "conf-incident-summary",
    "conf-org",
    "conf-org-summary",
    "conf-rel-note",
    "removal-requester",
    "removal-details",
)
# Canaries that live outside the five record types (the removal request) or only in the edit
# history (old values): the exports, which hold current records, cannot contain them.
NOT_EXPORTED = ("removal-requester", "removal-details", "person-contact-old", "incident-notes-old")
ALL = STAFF + CLEARED
C = {key: canary(key) for key in ALL}
EXILE = "Shabnam Khudoydodova"
ALLOWED: dict[str, set[str]] = {
    "anonymous": set(),
    "viewer": set(STAFF),
    "coder": set(STAFF),
    "editor": set(ALL),
    "admin": set(ALL),
}


def canary_doc() -> dict[str, Any]:
    """Published incidents that mention people the public may not see by name, and records and
    fields the public (or an uncleared role) may not see at all."""
    c = C
    return {
        "format": "exiledb/1",
        "organizations": [
            {
                "id": "org/g24",
                "name": "Group 24",
                "type": "movement",
                "country": "TJ",
                "designations": [
                    {"type": "extremist", "by_country": "TJ", "note": c["designation-note"]}
                ],
            },
            {"id": "org/gknb", "name": "State Committee for National Security", "country": "TJ"},
            {
                "id": "org/conf",
                "name": c["conf-org"],
                "summary": c["conf-org-summary"],
                "visibility": "confidential",
            },
        ],
        "sources": [
            {
                "id": "src/hrw",
                "type": "ngo_report",
                "title": "Abuse of Dissidents' Families",
                "publisher": "Human Rights Watch",
                "note": c["source-note"],
            },
            {
                "id": "src/interview",
                "type": "interview",
                "title": c["interview-title"],
                "publisher": c["interview-publisher"],
                "url": f"https://example.org/{c['interview-url']}",
                "note": c["interview-note"],
                "visibility": "confidential",
            },
            {
                "id": "src/restricted",
                "type": "news",
                "title": c["restr-source-title"],
                "visibility": "restricted",
            },
        ],
        "persons": [
            {
                "id": "person/exile",
                "display_name": EXILE,
                "names": [{"value": "Khudoydodova", "source": "src/hrw", "note": c["name-note"]}],
                "origin_country": "TJ",
                "summary": f"An opposition activist; her daughter {c['minor-spelling']} stayed.",
                "contact_details": c["person-contact-old"],
                "confidential_notes": c["person-notes"],
                "residences": [
                    {"country": "PL", "place": c["residence-place"], "note": c["residence-note"]}
                ],
                "affiliations": [
                    {"organization": "org/g24", "note": c["affiliation-note"]},
                    {"organization": "org/conf"},
                ],
                "citations": [{"source": "src/hrw"}, {"source": "src/interview"}],
            },
            {
                "id": "person/minor",
                "display_name": c["minor"],
                "names": [{"value": c["minor-spelling"]}],
                "is_minor": True,
                "may_be_named": False,
                "origin_country": "TJ",
            },
            {
                "id": "person/relative",
                "display_name": c["relative"],
                "names": [{"value": c["relative-spelling"]}],
                "may_be_named": False,
                "origin_country": "TJ",
            },
            {
                "id": "person/redacted",
                "display_name": c["redacted"],
                "names": [{"value": c["redacted-spelling"]}],
                "origin_country": "TJ",
            },
            {
                "id": "person/confidential",
                "display_name": c["conf-person"],
                "names": [{"value": c["conf-person-spelling"]}],
                "summary": c["conf-person-summary"],
                "confidential_notes": c["conf-person-notes"],
                "visibility": "confidential",
            },
            {
                "id": "person/restricted",
                "display_name": c["restr-person"],
                "names": [{"value": c["restr-person-spelling"]}],
                "visibility": "restricted",
            },
        ],
        "relationships": [
            {
                "id": "rel/minor",
                "person": "person/minor",
                "kinship": "daughter",
                "other": "person/exile",
            },
            {
                "id": "rel/relative",
                "person": "person/relative",
                "kinship": "brother",
                "other": "person/exile",
                "note": c["relationship-note"],
            },
            {
                "id": "rel/restricted",
                "person": "person/redacted",
                "kinship": "cousin",
                "other": "person/exile",
                "visibility": "restricted",
                "note": c["restr-rel-note"],
            },
            {
                "id": "rel/confidential",
                "person": "person/restricted",
                "kinship": "friend",
                "other": "person/exile",
                "visibility": "confidential",
                "note": c["conf-rel-note"],
            },
        ],
        "incidents": [
            {
                "id": "incident/proxy",
                "title": "Relatives of an exile harassed at the family home",
                "summary": (
                    f"Officers questioned {c['minor']} and {c['relative']} at home, watched "
                    f"by {c['restr-person']}."
                ),
                "date": "2016-09",
                "country": "TJ",
                "place": c["exact-address"],
                "place_precision": "exact",
                "latitude": 37.914321,
                "longitude": 69.784567,
                "origin_country": "TJ",
                "proxy": True,
                "tactics": ["proxy_threat", "proxy_public_shaming"],
                "perpetrators": ["org/gknb"],
                "involvements": [
                    {
                        "person": "person/minor",
                        "role": "relative_targeted",
                        "linked_exile": "person/exile",
                        "note": c["involvement-note"],
                    },
                    {
                        "person": "person/relative",
                        "role": "relative_targeted",
                        "linked_exile": "person/exile",
                    },
                    {"person": "person/confidential", "role": "witness"},
                    {"person": "person/restricted", "role": "witness"},
                ],
                "citations": [
                    {"source": "src/hrw", "locator": "para 1", "note": c["citation-note"]},
                    {"source": "src/interview", "locator": "transcript p. 2"},
                    {"source": "src/restricted"},
                ],
                "review_status": "published",
                "confidential_notes": c["incident-notes-old"],
            },
            {
                "id": "incident/abroad",
                "title": "Two exiles detained in Moscow",
                "summary": (
                    f"{EXILE} and {c['redacted']} were detained; police had visited her "
                    f"brother {c['relative-spelling']} the week before."
                ),
                "date": "2017-03",
                "country": "RU",
                "origin_country": "TJ",
                "tactics": ["interpol_notice", "detention_abroad"],
                "involvements": [
                    {"person": "person/exile", "role": "target"},
                    {"person": "person/redacted", "role": "target"},
                ],
                "citations": [{"source": "src/hrw"}],
                "review_status": "published",
            },
            {
                "id": "incident/confidential",
                "title": c["conf-incident-title"],
                "summary": c["conf-incident-summary"],
                "date": "2018",
                "country": "TR",
                "origin_country": "TJ",
                "tactics": ["surveillance"],
                "involvements": [{"person": "person/exile", "role": "target"}],
                "citations": [{"source": "src/hrw"}],
                "review_status": "published",
                "visibility": "confidential",
            },
            {
                "id": "incident/restricted",
                "title": c["restr-incident-title"],
                "summary": c["restr-incident-summary"],
                "date": "2018",
                "country": "DE",
                "origin_country": "TJ",
                "tactics": ["threat"],
                "perpetrators": ["org/conf"],
                "involvements": [
                    {"person": "person/exile", "role": "target"},
                    {"person": "person/confidential", "role": "witness"},
                ],
                "citations": [{"source": "src/hrw"}, {"source": "src/interview"}],
                "review_status": "published",
                "visibility": "restricted",
            },
            {
                "id": "incident/draft",
                "title": c["draft-title"],
                "summary": c["draft-summary"],
                "date": "2019",
                "country": "RU",
                "origin_country": "TJ",
                "tactics": ["threat"],
                "involvements": [{"person": "person/exile", "role": "target"}],
                "review_status": "draft",
            },
            {
                "id": "incident/reviewed",
                "title": c["reviewed-title"],
                "summary": c["reviewed-summary"],
                "date": "2019",
                "country": "RU",
                "origin_country": "TJ",
                "tactics": ["threat"],
                "involvements": [{"person": "person/exile", "role": "target"}],
                "citations": [{"source": "src/hrw"}],
                "review_status": "reviewed",
            },
        ],
    }


UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
CSRF = re.compile(r'value="[A-Za-z0-9]{32,64}"')


def uid(kind: str, local_id: str) -> uuid.UUID:
    return record_uuid(kind, local_id)


def load_canaries() -> None:
    """Import the canary document, then edit two confidential fields (so the edit history holds
    an old and a new confidential value) and honour a removal request."""
    writer.apply(interchange.parse_document(canary_doc(), "x.json"))
    incident = Incident.objects.get(pk=uid("incidents", "incident/proxy"))
    incident.confidential_notes = C["incident-notes"]
    incident.save()
    exile = Person.objects.get(pk=uid("persons", "person/exile"))
    exile.contact_details = C["person-contact"]
    exile.save()
    request = redact(
        Person.objects.get(pk=uid("persons", "person/redacted")), None, note=C["removal-details"]
    )
    request.requester = C["removal-requester"]
    request.save()


@pytest.fixture(autouse=True)
def site(settings: Any, tmp_path: Path) -> None:
    """Downloads are cached under DATA_DIR; the admin pages link static files and tests run
    without collectstatic's manifest; a fast hasher keeps the personas cheap."""
    settings.DATA_DIR = tmp_path
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- reading what came back ----------------------------------------------------------------


def texts(data: bytes) -> str:
    """All text in a response or file: zip members unpacked, workbooks read cell by cell."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        return data.decode("utf-8", errors="replace")
    parts = []
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        names = zf.namelist()
        parts.extend(texts(zf.read(name)) for name in names)
    if any(name.startswith("xl/") for name in names):
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(data), read_only=True)
        for sheet in workbook.worksheets:
            for row in sheet.iter_rows(values_only=True):
                parts.append("\t".join("" if v is None else str(v) for v in row))
        workbook.close()
    return "\n".join(parts)


def body(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def found_in(text: str, keys: Iterable[str] = ALL) -> set[str]:
    return {key for key in keys if C[key] in text}


def report(leaks: dict[str, set[str]]) -> str:
    return "\n".join(f"  {where} -> {', '.join(sorted(keys))}" for where, keys in leaks.items())


# --- every URL the site has -----------------------------------------------------------------


def history_admin(model_admin: Any) -> bool:
    return hasattr(model_admin, "history_form_view")


def editor_urls() -> list[str]:
    """Every page of the editor for every registered model and every stored record: list,
    search, add, change, delete, history and each old version; plus the autocomplete for every
    relation to a searchable model."""
    urls = ["/editor/", "/editor/cases/", "/editor/access/"]
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        changelist = reverse("admin:{}_{}_changelist".format(*info))
        urls += [changelist, f"{changelist}?q=CANARY", reverse("admin:{}_{}_add".format(*info))]
        history = getattr(model, "history", None) if history_admin(model_admin) else None
        for pk in model._default_manager.values_list("pk", flat=True):
            urls += [
                reverse("admin:{}_{}_change".format(*info), args=[pk]),
                reverse("admin:{}_{}_history".format(*info), args=[pk]),
                reverse("admin:{}_{}_delete".format(*info), args=[pk]),
            ]
            if history is not None:
                for version in history.filter(id=pk).values_list("history_id", flat=True):
                    urls.append(
                        reverse("admin:{}_{}_simple_history".format(*info), args=[pk, version])
                    )
    return urls + autocomplete_urls()


def autocomplete_urls() -> list[str]:
    """The admin's autocomplete endpoint, for every relation (of any model, registered or not)
    that points at a registered model with search fields."""
    from django.apps import apps

    urls = []
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if not (field.is_relation and field.concrete and field.related_model):
                continue
            target = admin.site._registry.get(field.related_model)
            if target is None or not target.search_fields:
                continue
            for term in ("CANARY", ""):
                urls.append(
                    f"{reverse('admin:autocomplete')}?term={term}&app_label="
                    f"{model._meta.app_label}&model_name={model._meta.model_name}"
                    f"&field_name={field.name}"
                )
    return urls


RECORD_MODELS: tuple[type[models.Model], ...] = (
    Incident,
    Person,
    Source,
    Organization,
    Relationship,
)


def site_urls() -> list[str]:
    """Every URL pattern of the site outside the editor (which `editor_urls` covers), filled in
    with every stored record's id (and a random one) or every download format. A pattern the
    test does not know how to fill fails the test, so that a new page cannot go unchecked."""
    from django.urls import URLResolver, get_resolver
    from django.urls.converters import SlugConverter, StringConverter, UUIDConverter

    from exiledb.editions.models import Edition

    ids = [
        pk for model in RECORD_MODELS for pk in model._default_manager.values_list("pk", flat=True)
    ]
    ids.append(uuid.uuid4())
    editions = [*Edition.objects.values_list("name", flat=True), "no-such-edition"]
    urls = []
    for pattern in get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            # The editor and the API have their own crawls (editor_urls, api_urls).
            assert str(pattern.pattern) in ("editor/", "api/v1/"), (
                f"unknown URL include {pattern.pattern}"
            )
            continue
        converters = getattr(pattern.pattern, "converters", {})
        kinds = {name: type(conv) for name, conv in converters.items()}
        if not kinds:
            url = reverse(pattern.name)
            urls += [url, f"{url}?q=CANARY", f"{url}?q={TAG}&page=2&sort=stage"]
        elif kinds == {"pk": UUIDConverter}:
            urls += [reverse(pattern.name, args=[pk]) for pk in ids]
        elif kinds == {"fmt": StringConverter} and pattern.name == "download":
            urls += [reverse(pattern.name, args=[fmt]) for fmt in export.DOWNLOADS]
        elif kinds == {"name": SlugConverter}:
            urls += [reverse(pattern.name, args=[name]) for name in editions]
        elif kinds == {"name": SlugConverter, "audience": StringConverter}:
            urls += [
                reverse(pattern.name, args=[name, audience])
                for name in editions
                for audience in ("public", "internal")
            ]
        else:
            raise AssertionError(f"the canary test cannot fill in {pattern.pattern} ({kinds})")
    return urls


def crawl(client: Any, urls: list[str]) -> dict[str, tuple[int, str]]:
    pages = {}
    for url in urls:
        response = client.get(url)
        pages[url] = (response.status_code, texts(body(response)))
    return pages


# --- the matrix ---------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_canary_reaches_exactly_the_personas_allowed_to_see_it(client, personas, persona):
    from exiledb.editions import store

    load_canaries()
    store.create("canaries")  # its pages and both of its packages are crawled too
    signed_in(client, personas[persona])
    pages = crawl(client, site_urls() + editor_urls())
    allowed = ALLOWED[persona]
    leaks = {url: found_in(text) - allowed for url, (_, text) in pages.items()}
    leaks = {url: keys for url, keys in leaks.items() if keys}
    seen = set().union(*(found_in(text) for _, text in pages.values()))
    problems = []
    if leaks:
        problems.append(f"{persona} sees canaries it may not see:\n{report(leaks)}")
    # The positive control: an empty or broken page would show nothing and pass.
    if allowed - seen:
        problems.append(f"{persona} does not see {sorted(allowed - seen)}")
    assert not problems, "\n".join(problems)
    assert pages["/"][0] == 200
    assert all(pages[f"/data/download/{fmt}/"][0] == 200 for fmt in export.DOWNLOADS)
    if persona != "anonymous":
        assert pages[reverse("admin:cases_incident_changelist")][0] == 200
    assert_urls_carry_uuids_only(pages)


def api_urls() -> list[str]:
    """Every read of the API: each list (plain, searched for a canary, as CSV, with facets) and
    every stored record's detail under each record type (and a random id). Every GET route of
    the API must be covered here, so that a new one cannot go unchecked."""
    from exiledb.api.views import api

    kinds = {
        "incidents": Incident,
        "persons": Person,
        "sources": Source,
        "organizations": Organization,
        "relationships": Relationship,
    }
    urls = ["/api/v1/codebook", "/api/v1/stats"]
    for kind, model in kinds.items():
        base = f"/api/v1/{kind}"
        urls += [f"{base}?limit=500", f"{base}?format=csv&limit=500"]
        if kind in ("incidents", "persons", "sources", "organizations"):
            urls += [f"{base}?q=CANARY", f"{base}?q={TAG}"]
        ids = [*model._default_manager.values_list("pk", flat=True), uuid.uuid4()]
        urls += [f"{base}/{pk}" for pk in ids]
    urls.append("/api/v1/incidents?facets=true&limit=500")
    paths = {u.split("?")[0] for u in urls}
    routes = [
        route
        for _prefix, router in api._routers
        for route, view in router.path_operations.items()
        if any("GET" in op.methods for op in view.operations)
    ]
    assert routes
    for route in routes:
        prefix = "/api/v1" + route.split("{")[0]
        assert any(p == prefix or (prefix.endswith("/") and p.startswith(prefix)) for p in paths), (
            f"api_urls does not cover GET {route}"
        )
    return urls


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_api_gives_each_persona_exactly_the_canaries_it_may_see(client, personas, persona):
    from exiledb.access import tokens

    load_canaries()
    headers = {}
    if personas[persona] is not None:
        _, plain = tokens.create(personas[persona], "canaries", "read")
        headers = {"HTTP_AUTHORIZATION": f"Bearer {plain}"}
    pages = {}
    for url in api_urls():
        response = client.get(url, **headers)
        pages[url] = (response.status_code, texts(body(response)))
    assert not [u for u, (status, _) in pages.items() if status >= 500]
    allowed = ALLOWED[persona]
    leaks = {url: found_in(text) - allowed for url, (_, text) in pages.items()}
    leaks = {url: keys for url, keys in leaks.items() if keys}
    assert not leaks, f"{persona} sees canaries it may not see:\n{report(leaks)}"
    seen = set().union(*(found_in(text) for _, text in pages.values()))
    # The positive control: the API serves current records only (no history, no requests).
    assert allowed - set(NOT_EXPORTED) - seen == set()
    assert pages["/api/v1/incidents?limit=500"][0] == 200


def assert_urls_carry_uuids_only(pages: dict[str, tuple[int, str]]) -> None:
    """Every link to a record, in the editor and on the public site, names it by UUID: never a
    sequential number that would reveal how many records exist or invite enumeration."""
    public_prefixes = {
        reverse(name, args=[uuid.uuid4()]).strip("/").split("/")[0]
        for name in public_record_pages()
    }
    links: set[str] = set()
    for _, text in pages.values():
        links |= set(re.findall(r'href="(/[^"?#]*)', text))
    record_links = []
    for link in links:
        parts = link.strip("/").split("/")
        if parts[:2] == ["editor", "cases"] and len(parts) >= 4 and parts[3] != "add":
            record_links.append((link, parts[3]))
        elif parts[0] in public_prefixes and len(parts) >= 2:
            record_links.append((link, parts[1]))
    assert record_links, "no link to a record: the check would prove nothing"
    assert [link for link, key in record_links if not UUID.fullmatch(key)] == []
    for model in RECORD_MODELS:
        assert isinstance(model._meta.pk, models.UUIDField)


EXPORTS = [
    ("json", "x.json"),
    ("csv", "csv-folder"),
    ("csv", "x.zip"),
    ("xlsx", "x.xlsx"),
    ("datapackage", "package-folder"),
    ("datapackage", "package.zip"),
]


def export_texts(fmt: str, audience: str, target: Path) -> dict[str, str]:
    """The text of every file an export writes (folders walked, zips and workbooks opened)."""
    export.export(fmt, audience, target)
    if target.is_file():
        return {target.name: texts(target.read_bytes())}
    files = sorted(p for p in target.rglob("*") if p.is_file())
    return {str(f.relative_to(target)): texts(f.read_bytes()) for f in files}


@pytest.mark.parametrize(("fmt", "name"), EXPORTS)
def test_the_public_export_holds_no_canary_and_the_internal_one_holds_all(tmp_path, fmt, name):
    load_canaries()
    problems = []
    public = export_texts(fmt, "public", tmp_path / "public" / name)
    assert any(EXILE in text for text in public.values()), "an empty export would prove nothing"
    leaks = {f"{name}/{file}": found_in(text) for file, text in public.items() if found_in(text)}
    if leaks:
        problems.append(f"the public {fmt} export leaks:\n{report(leaks)}")
    # The positive control: the canaries are there to be found.
    internal = export_texts(fmt, "internal", tmp_path / "internal" / name)
    seen = set().union(*(found_in(text) for text in internal.values()))
    if set(ALL) - set(NOT_EXPORTED) - seen:
        problems.append(f"the internal export lacks {sorted(set(ALL) - set(NOT_EXPORTED) - seen)}")
    assert not problems, "\n".join(problems)


def test_the_public_statistics_count_only_what_the_public_export_shows(tmp_path):
    """No figure lets a reader infer a hidden record: the public statistics equal counts taken
    from the public export itself, and hold no canary."""
    load_canaries()
    figures = stats.compute(visible_incidents(None), visible_persons(None))
    assert found_in(json.dumps(figures, ensure_ascii=False)) == set()
    export.export("json", "public", tmp_path / "public.json")
    doc = json.loads((tmp_path / "public.json").read_text(encoding="utf-8"))
    incidents = doc["incidents"]
    assert figures["incidents"]["total"] == len(incidents) == 2
    assert figures["incidents"]["proxy"] == sum(1 for i in incidents if i["proxy"]) == 1
    involvements = [inv for i in incidents for inv in i["involvements"]]
    cases = {inv["person"] for inv in involvements if inv["role"] == "target" and inv["person"]}
    cases |= {inv["linked_exile"] for inv in involvements if inv["linked_exile"]}
    assert figures["cases"]["total"] == len(cases) == 1  # the redacted exile is no case
    relatives = {
        inv["person"]
        for inv in involvements
        if inv["role"] == "relative_targeted" and inv["person"]
    }
    assert figures["relatives_targeted"] == len(relatives) == 2
    tactics: dict[str, int] = {}
    for incident in incidents:
        for tactic in incident["tactics"]:
            tactics[tactic] = tactics.get(tactic, 0) + 1
    assert figures["incidents"]["by_tactic"] == tactics
    hosts = {i["country"] for i in incidents if not i["proxy"]}
    assert set(figures["incidents"]["by_host_country"]) == hosts == {"RU"}


def test_the_public_json_withholds_protected_names_but_keeps_the_story(tmp_path):
    """The positive side of the scrubbing: the published incidents are there, with hidden and
    unnameable people replaced rather than the whole text dropped."""
    load_canaries()
    export.export("json", "public", tmp_path / "public.json")
    doc = json.loads((tmp_path / "public.json").read_text(encoding="utf-8"))
    incidents = {i["id"]: i for i in doc["incidents"]}
    proxy = incidents[str(uid("incidents", "incident/proxy"))]
    assert f"relative of {EXILE} (daughter)" in proxy["summary"]
    assert f"relative of {EXILE} (brother)" in proxy["summary"]
    assert "[name withheld]" in proxy["summary"]  # the restricted witness
    abroad = incidents[str(uid("incidents", "incident/abroad"))]
    assert abroad["summary"].startswith(f"{EXILE} and [name withheld] were detained")
    persons = {p["id"]: p for p in doc["persons"]}
    assert str(uid("persons", "person/redacted")) not in persons
    minor = persons[str(uid("persons", "person/minor"))]  # shown, never named
    assert minor["display_name"] == f"relative of {EXILE} (daughter)" and minor["names"] == []
    exile = persons[str(uid("persons", "person/exile"))]
    assert exile["summary"] == (
        f"An opposition activist; her daughter relative of {EXILE} (daughter) stayed."
    )


# --- the leaks, one by one (each also fails the matrix above) -------------------------------


def public_json(tmp_path: Path) -> dict[str, Any]:
    export.export("json", "public", tmp_path / "public.json")
    doc: dict[str, Any] = json.loads((tmp_path / "public.json").read_text(encoding="utf-8"))
    return doc


def test_a_relative_who_may_not_be_named_is_withheld_from_every_published_incident(tmp_path):
    """The brother (may_be_named false) takes part in the proxy incident; the summary of the
    exile's own detention names him too. Scrubbing must not depend on his being a party to the
    incident whose text names him."""
    load_canaries()
    doc = public_json(tmp_path)
    abroad = next(
        i for i in doc["incidents"] if i["id"] == str(uid("incidents", "incident/abroad"))
    )
    assert C["relative-spelling"] not in abroad["summary"]


def test_an_exact_address_is_not_published(tmp_path):
    """Place precision 'exact' means an address or a point is known (codebook) - often a
    family's home. The public gets neither the address nor a precise point."""
    load_canaries()
    doc = public_json(tmp_path)
    proxy = next(i for i in doc["incidents"] if i["id"] == str(uid("incidents", "incident/proxy")))
    assert proxy["place_precision"] != "exact"
    for key in ("latitude", "longitude"):  # no point more precise than about a kilometre
        assert proxy[key] is None or round(proxy[key], 2) == proxy[key]
    assert C["exact-address"] not in json.dumps(proxy)


def test_a_pseudonym_never_reveals_a_confidential_tie(tmp_path):
    """A relative who may not be named is shown as 'relative of X (kinship)' - but only a tie
    the public may see may say so; a confidential tie must not surface through the pseudonym."""
    doc = {
        "format": "exiledb/1",
        "sources": [{"id": "src/hrw", "type": "ngo_report", "title": "A report"}],
        "persons": [
            {"id": "person/exile", "display_name": EXILE},
            {"id": "person/brother", "display_name": "Firdavs", "may_be_named": False},
        ],
        "relationships": [
            {
                "id": "rel/secret",
                "person": "person/brother",
                "kinship": "brother",
                "other": "person/exile",
                "visibility": "confidential",
            }
        ],
        "incidents": [
            {
                "id": "incident/1",
                "title": "Detained in Moscow",
                "date": "2017",
                "country": "RU",
                "origin_country": "TJ",
                "tactics": ["detention_abroad"],
                "involvements": [
                    {"person": "person/exile", "role": "target"},
                    {"person": "person/brother", "role": "witness"},
                ],
                "citations": [{"source": "src/hrw"}],
                "review_status": "published",
            }
        ],
    }
    writer.apply(interchange.parse_document(doc, "x.json"))
    public = public_json(tmp_path)
    brother = next(p for p in public["persons"] if p["id"] == str(uid("persons", "person/brother")))
    assert public["relationships"] == []
    assert "brother" not in brother["display_name"], brother["display_name"]
    assert EXILE not in brother["display_name"], brother["display_name"]


@pytest.mark.parametrize("persona", ["viewer", "coder"])
def test_a_confidential_organisation_is_not_shown_through_a_relation(client, personas, persona):
    """An affiliation (person page) and a perpetrator (incident page) that point at a
    confidential organisation must not show its name to an uncleared role."""
    load_canaries()
    signed_in(client, personas[persona])
    pages = {
        "affiliation": reverse("admin:cases_person_change", args=[uid("persons", "person/exile")]),
        "perpetrator": reverse(
            "admin:cases_incident_change", args=[uid("incidents", "incident/restricted")]
        ),
    }
    shown = {}
    for what, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200
        if C["conf-org"] in response.content.decode():
            shown[what] = url
    assert not shown, f"the confidential organisation's name is shown via {shown}"


# --- hidden means not found ---------------------------------------------------------------

MODELS: dict[str, type[models.Model]] = {
    "incident": Incident,
    "person": Person,
    "source": Source,
    "organization": Organization,
    "relationship": Relationship,
}
HIDDEN = {
    "incident": ("incidents", "incident/confidential"),
    "person": ("persons", "person/confidential"),
    "source": ("sources", "src/interview"),
    "organization": ("organizations", "org/conf"),
    "relationship": ("relationships", "rel/confidential"),
}


def record_urls(model: str, pk: Any) -> dict[str, str]:
    """Every editor URL that names one record: its pages, its history and an old version."""
    from django.contrib.contenttypes.models import ContentType

    model_class: Any = MODELS[model]
    version = (
        model_class.history.filter(id=pk).values_list("history_id", flat=True).first()
        or uuid.uuid4()
    )
    content_type = ContentType.objects.get_for_model(model_class).pk
    return {
        "change": reverse(f"admin:cases_{model}_change", args=[pk]),
        "bare": f"/editor/cases/{model}/{pk}/",
        "history": reverse(f"admin:cases_{model}_history", args=[pk]),
        "version": reverse(f"admin:cases_{model}_simple_history", args=[pk, version]),
        "delete": reverse(f"admin:cases_{model}_delete", args=[pk]),
        "view_on_site": reverse("admin:view_on_site", args=[content_type, pk]),
    }


def answer(client: Any, url: str) -> tuple[list[tuple[str, int]], int, str]:
    """Everything a page answers (redirects followed, messages shown), with ids and tokens taken
    out so that the answers for two ids can be compared."""
    response = client.get(url, follow=True)
    chain = [(UUID.sub("ID", target), status) for target, status in response.redirect_chain]
    text = CSRF.sub("", UUID.sub("ID", response.content.decode()))
    return chain, response.status_code, text


@pytest.mark.parametrize("persona", ["anonymous", "viewer", "coder"])
def test_a_hidden_record_answers_exactly_like_one_that_does_not_exist(client, personas, persona):
    """For each of the five record types: every editor URL naming a confidential record answers
    as for a random id (status, redirects, messages and page), so an uncleared reader cannot
    even learn that the record exists."""
    load_canaries()
    signed_in(client, personas[persona])
    differ = []
    for model in MODELS:
        hidden = record_urls(model, uid(*HIDDEN[model]))
        missing = record_urls(model, uuid.uuid4())
        for page, url in hidden.items():
            got, expected = answer(client, url), answer(client, missing[page])
            if got != expected:
                differ.append(f"{url}: {got[:2]} but a missing record gives {expected[:2]}")
    assert not differ, "a hidden record can be told from a missing one:\n" + "\n".join(differ)


def public_record_pages() -> list[Any]:
    from django.urls import URLResolver, get_resolver
    from django.urls.converters import UUIDConverter

    return [
        p.name
        for p in get_resolver().url_patterns
        if not isinstance(p, URLResolver)
        and {type(c) for c in getattr(p.pattern, "converters", {}).values()} == {UUIDConverter}
    ]


@pytest.mark.parametrize("persona", ["anonymous", "coder", "editor"])
def test_a_public_page_for_a_hidden_record_answers_exactly_like_a_missing_one(
    client, personas, persona
):
    """Every public page that takes a record id answers either with a record the public may
    see, or exactly as for an id that does not exist - for every visitor, staff included (the
    public site shows the public view; staff use the editor)."""
    from exiledb.access.policy import Publication

    load_canaries()
    publication = Publication()
    public_ids = {
        *publication.persons,
        *publication.source_ids,
        *publication.organization_ids,
        *(str(pk) for pk in publication.incident_qs.values_list("pk", flat=True)),
    }
    signed_in(client, personas[persona])
    differ = []
    shown = []
    for name in public_record_pages():
        missing = answer(client, reverse(name, args=[uuid.uuid4()]))
        for model in RECORD_MODELS:
            for pk in model._default_manager.values_list("pk", flat=True):
                url = reverse(name, args=[pk])
                got = answer(client, url)
                if got[1] == 200 and str(pk) in public_ids:
                    shown.append(url)
                elif got != missing:
                    differ.append(f"{url} ({model.__name__}): {got[:2]}, missing: {missing[:2]}")
    assert not differ, "a hidden record can be told from a missing one:\n" + "\n".join(differ)
    if public_record_pages():
        assert shown, "no public record page answered: the test would prove nothing"


HIDDEN_NAMES = (
    "minor",
    "minor-spelling",
    "relative",
    "relative-spelling",
    "redacted",
    "redacted-spelling",
    "conf-person",
    "conf-person-spelling",
    "restr-person",
    "restr-person-spelling",
    "conf-org",
    "interview-title",
    "draft-title",
    "conf-incident-title",
    "restr-incident-title",
    "exact-address",
)


def test_a_public_search_for_a_hidden_name_finds_nothing(client):
    """Searching the public pages for a name or title the public may not see answers exactly
    as searching for a word that occurs nowhere: no result reveals whom a hidden name belongs
    to."""
    from django.urls import URLResolver, get_resolver

    load_canaries()
    pages = [
        reverse(p.name)
        for p in get_resolver().url_patterns
        if not isinstance(p, URLResolver) and not getattr(p.pattern, "converters", {})
    ]
    nowhere = canary("nowhere")
    found = []
    for url in pages:
        expected = answer(client, f"{url}?q={nowhere}")
        for key in HIDDEN_NAMES:
            got = answer(client, f"{url}?q={C[key]}")
            if repr(got).replace(C[key], nowhere) != repr(expected):
                found.append(f"{url}?q={C[key]}")
    assert not found, "a search for a hidden name answers differently:\n" + "\n".join(found)


def test_an_editor_opens_the_confidential_records(client, personas):
    """The control of the tests above: the same URLs do reach the records for a cleared role."""
    load_canaries()
    signed_in(client, personas["editor"])
    for model in MODELS:
        urls = record_urls(model, uid(*HIDDEN[model]))
        for page in ("change", "history", "version"):
            assert client.get(urls[page]).status_code == 200, urls[page]


@pytest.mark.parametrize("persona", ["viewer", "coder"])
def test_neither_search_nor_filters_reveal_what_is_hidden(client, personas, persona):
    """The incident search looks through the names of the persons involved: a name the reader
    may not see must not find the incidents it is attached to (that would say who was there).
    Filter choices come from visible records only (the confidential incident is the only one in
    Turkey)."""
    load_canaries()
    signed_in(client, personas[persona])
    changelist = reverse("admin:cases_incident_changelist")
    response = client.get(changelist)
    assert response.status_code == 200
    choices = [
        c["display"]
        for spec in response.context["cl"].filter_specs
        for c in spec.choices(response.context["cl"])
    ]
    assert any("(RU)" in str(c) for c in choices), "no country filter: nothing to judge"
    assert not any("(TR)" in str(c) for c in choices)
    found = {}
    for term in (C["conf-person"], C["conf-person-spelling"]):
        response = client.get(changelist, {"q": term})
        assert response.status_code == 200
        shown = sorted(str(i.title) for i in response.context["cl"].result_list)
        if shown:
            found[term] = shown
    assert not found, f"searching a hidden person's name finds incidents: {found}"


def test_the_canary_dataset_is_what_the_tests_above_assume():
    load_canaries()
    assert RemovalRequest.objects.get().status == "honoured"
    assert AuditEvent.objects.filter(action="redact").count() == 1
    assert Person.objects.get(pk=uid("persons", "person/redacted")).redacted
    assert Incident.objects.filter(review_status="published", visibility="public").count() == 2
    assert Source.objects.get(pk=uid("sources", "src/interview")).visibility == "confidential"


@pytest.mark.parametrize("visibility", ["confidential", "restricted"])
def test_a_hidden_person_named_only_in_the_text_of_another_incident_is_withheld(
    client, visibility, minimal_doc, tmp_path
):
    """A summary may name someone who takes part in no published incident (a witness kept
    confidential, recorded only on a draft). Their name is withheld from every public output
    all the same: the incident page, the API, the search index and the public export."""
    import copy

    doc = copy.deepcopy(minimal_doc)
    secret = canary("unconnected")
    doc["persons"].append(
        {
            "id": "person/witness",
            "display_name": f"Zarina {secret}",
            "origin_country": "TJ",
            "visibility": visibility,
        }
    )
    published = doc["incidents"][0]
    published["review_status"] = "published"
    published["summary"] = f"A neighbour, Zarina {secret}, saw the mob."
    writer.apply(interchange.parse_document(doc, "x.json"))
    pk = uid("incidents", published["id"])
    assert Incident.objects.get(pk=pk).review_status == "published"
    for url in (f"/incidents/{pk}/", f"/api/v1/incidents/{pk}", "/api/v1/incidents", "/cases/"):
        response = client.get(url)
        assert secret not in response.content.decode(), url
    assert client.get(f"/incidents/{pk}/").status_code == 200
    assert client.get(f"/api/v1/incidents?q={secret}").json()["count"] == 0
    assert client.get("/api/v1/incidents?q=neighbour").json()["count"] == 1
    texts_out = export_texts("json", "public", tmp_path / "export")
    assert texts_out and not any(secret in t for t in texts_out.values())
