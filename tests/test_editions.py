"""Editions: freezing the data, the content hash, immutability, verify, the change log, and the
editions on the site as every persona sees them."""

from __future__ import annotations

import copy
import hashlib
import html
import io
import json
import os
import stat
import zipfile
from pathlib import Path
from typing import Any

import pytest
from conftest import DEMO, MINIMAL, PERSONAS, public_site, signed_in
from test_canaries import ALL, C, found_in, load_canaries, texts, uid

from exiledb.access.models import AuditEvent
from exiledb.cases.models import Incident, Person
from exiledb.editions import diff, store
from exiledb.editions.models import Edition, ImmutableEdition
from exiledb.ingest import interchange, writer
from exiledb.ingest.base import RECORD_TYPES, record_uuid

pytestmark = pytest.mark.django_db

SCHOOL = "incident/school"


@pytest.fixture(autouse=True)
def site(settings: Any, tmp_path: Path) -> None:
    public_site(settings, tmp_path)


def load(doc: dict[str, Any]) -> None:
    writer.apply(interchange.parse_document(copy.deepcopy(doc), "x.json"))


def load_demo() -> dict[str, Any]:
    doc = json.loads(DEMO.read_text(encoding="utf-8"))
    load(doc)
    return doc


def only_change(log: diff.ChangeLog) -> tuple[str, diff.Entry]:
    """The one changed record of a change log that must hold exactly one change."""
    assert not log.added and not log.removed, (log.added, log.removed)
    changed = [(kind, e) for kind, entries in log.changed.items() for e in entries]
    assert len(changed) == 1, changed
    return changed[0]


def public_log(a: Edition, b: Edition, audience: str = "public") -> diff.ChangeLog:
    return diff.compare(
        diff.read_package(store.package_path(a, audience)),
        diff.read_package(store.package_path(b, audience)),
        audience=audience,
    )


# --- the change log ----------------------------------------------------------------------------


def test_two_editions_with_one_corrected_incident_diff_names_exactly_that_change():
    load_demo()
    first = store.create("2026-05")
    incident = Incident.objects.get(
        pk=record_uuid("incidents", "incident/gadoev-detained-spain-2014")
    )
    old_confidence = incident.confidence
    new_confidence = "possible" if old_confidence != "possible" else "confirmed"
    incident.confidence = new_confidence
    incident.save()
    second = store.create("2026-11")
    for audience in ("public", "internal"):
        kind, entry = only_change(public_log(first, second, audience))
        assert (kind, entry.id) == ("incidents", str(incident.pk))
        assert [(f.field, f.old, f.new) for f in entry.fields] == [
            ("confidence", old_confidence, new_confidence)
        ]
    # The change log stored with the later edition says the same, and its summary counts it.
    stored = json.loads((store.folder(second) / store.CHANGES).read_text())
    assert stored["from"] == "2026-05" and stored["to"] == "2026-11"
    assert stored["records"]["incidents"]["changed"] == [
        {
            "id": str(incident.pk),
            "label": incident.title,
            "fields": [{"field": "confidence", "old": old_confidence, "new": new_confidence}],
        }
    ]
    assert second.changes["incidents"] == {"added": 0, "changed": 1, "removed": 0}
    assert sum(sum(n.values()) for n in second.changes.values()) == 1
    assert second.previous == first


def test_an_unchanged_database_gives_an_empty_change_log():
    load(MINIMAL)
    first = store.create("a")
    second = store.create("b")
    assert public_log(first, second).total == 0
    assert public_log(first, second, "internal").total == 0
    assert first.content_hash != second.content_hash  # the names and dates differ


def test_added_and_removed_records_are_listed_by_type_and_id():
    doc = copy.deepcopy(MINIMAL)
    load(doc)
    first = store.create("a")
    extra = copy.deepcopy(doc["incidents"][0])
    extra.update(id="incident/second", title="Second mob in Kulob", date="2016-10")
    load({**doc, "incidents": [extra]})
    Incident.objects.filter(pk=record_uuid("incidents", SCHOOL)).update(review_status="draft")
    second = store.create("b")
    log = public_log(first, second)
    assert [e.id for e in log.added["incidents"]] == [
        str(record_uuid("incidents", "incident/second"))
    ]
    assert [e.label for e in log.added["incidents"]] == ["Second mob in Kulob"]
    assert [e.id for e in log.removed["incidents"]] == [str(record_uuid("incidents", SCHOOL))]
    # A record withdrawn from the public is named by its id only (its text may be why).
    assert [e.label for e in log.removed["incidents"]] == [""]
    internal = public_log(first, second, "internal")
    assert "incidents" not in internal.removed  # internally it is still there, as a draft
    (entry,) = internal.changed["incidents"]
    assert [(f.field, f.old, f.new) for f in entry.fields] == [
        ("review_status", "published", "draft")
    ]


def test_the_public_change_log_shows_old_codes_but_never_old_free_text():
    load(MINIMAL)
    first = store.create("a")
    incident = Incident.objects.get(pk=record_uuid("incidents", SCHOOL))
    incident.title = "Mob at a school in Kulob (corrected)"
    incident.date = "2016-10"
    incident.save()
    second = store.create("b")
    kind, entry = only_change(public_log(first, second))
    fields = {f.field: f.as_json() for f in entry.fields}
    assert fields["date"] == {"field": "date", "old": "2016-09", "new": "2016-10"}
    assert fields["title"] == {"field": "title", "new": "Mob at a school in Kulob (corrected)"}
    internal = {
        f.field: f.as_json() for f in only_change(public_log(first, second, "internal"))[1].fields
    }
    assert internal["title"]["old"] == "Mob at a school in Kulob"


def test_a_file_that_is_not_an_exiledb_package_is_refused_with_a_message(tmp_path):
    not_zip = tmp_path / "x.zip"
    not_zip.write_text("not a zip")
    broken = tmp_path / "broken.zip"
    with zipfile.ZipFile(broken, "w") as zf:
        zf.writestr(
            "datapackage.json",
            json.dumps({"resources": [{"name": "incidents", "path": "data/incidents.csv"}]}),
        )
    for path in (not_zip, broken, tmp_path / "missing.zip"):
        with pytest.raises(diff.PackageError):
            diff.read_package(path)


# --- the files, the hash, immutability ---------------------------------------------------------


def test_an_edition_holds_both_packages_the_figures_and_a_reproducible_hash():
    load_demo()
    edition = store.create("2026-11", note="first")
    base = store.folder(edition)
    names = sorted(p.name for p in base.iterdir())
    assert names == sorted([*store.PACKAGES.values(), store.FIGURES, store.CHANGES, store.MANIFEST])
    # Recompute the hash as docs/editions.md tells readers to: sha256sum of each file, sorted.
    listing = "".join(
        f"{hashlib.sha256((base / n).read_bytes()).hexdigest()}  {n}\n" for n in names
    )
    assert hashlib.sha256(listing.encode()).hexdigest() == edition.content_hash
    figures = json.loads((base / store.FIGURES).read_text())
    assert figures == json.loads(json.dumps(edition.figures))
    assert figures["public"]["incidents"]["total"] == edition.counts["public"]["incidents"] == 22
    assert figures["internal"]["incidents"]["total"] == edition.counts["internal"]["incidents"]
    with zipfile.ZipFile(base / store.PACKAGES["public"]) as zf:
        descriptor = json.loads(zf.read("datapackage.json"))
    assert descriptor["exiledb"]["edition"] == "2026-11"
    assert descriptor["exiledb"]["audience"] == "public"
    records = diff.read_package(base / store.PACKAGES["public"])
    for kind in RECORD_TYPES:
        assert len(records[kind]) == edition.counts["public"][kind], kind
    for name in names:
        assert not (base / name).stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


def test_editions_refuse_every_change_and_deletion():
    load(MINIMAL)
    edition = store.create("a")
    edition.note = "rewritten"
    with pytest.raises(ImmutableEdition):
        edition.save()
    with pytest.raises(ImmutableEdition):
        edition.delete()
    with pytest.raises(ImmutableEdition):
        Edition.objects.filter(name="a").update(note="rewritten")
    with pytest.raises(ImmutableEdition):
        Edition.objects.all().delete()
    assert Edition.objects.get(name="a").note == ""


@pytest.mark.parametrize("name", ["Bad Name", "UPPER", "-dash-first", "a/b", "x" * 65, ""])
def test_a_bad_name_is_refused_before_anything_is_written(name):
    load(MINIMAL)
    with pytest.raises(store.EditionError, match="not a valid edition name"):
        store.create(name)
    assert not Edition.objects.exists()
    assert not store.root().exists() or not any(store.root().iterdir())


def test_a_failure_half_way_leaves_no_folder_and_no_row(monkeypatch):
    load(MINIMAL)

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the figures failed")

    monkeypatch.setattr(store.stored, "figures", broken)
    with pytest.raises(RuntimeError):
        store.create("a")
    assert not Edition.objects.exists()
    assert list(store.root().iterdir()) == []  # no partial folder either


def test_verify_names_a_changed_a_missing_and_an_added_file():
    load(MINIMAL)
    edition = store.create("a")
    assert store.verify(edition).ok
    base = store.folder(edition)
    figures = base / store.FIGURES
    figures.chmod(0o644)
    figures.write_text(figures.read_text().replace('"total": 1', '"total": 100'))
    (base / store.CHANGES).chmod(0o644)
    (base / store.CHANGES).unlink()
    (base / "extra.csv").write_text("x\n")
    problems = store.verify(edition).problems
    assert problems == [
        f"{store.CHANGES} is missing",
        f"{store.FIGURES} was changed (its SHA-256 differs)",
        "extra.csv was added",
    ]


def test_a_new_edition_is_refused_while_the_previous_one_fails_verification():
    load(MINIMAL)
    first = store.create("a")
    package = store.package_path(first, "public")
    package.chmod(0o644)
    package.write_bytes(package.read_bytes()[:-10])
    with pytest.raises(store.EditionError, match="previous edition 'a' fails verification"):
        store.create("b")
    assert list(Edition.objects.values_list("name", flat=True)) == ["a"]
    assert sorted(p.name for p in store.root().iterdir()) == ["a"]


# --- the command line --------------------------------------------------------------------------


def test_the_cli_creates_lists_diffs_and_verifies_editions(cli, write_doc, tmp_path):
    doc = copy.deepcopy(MINIMAL)
    assert cli("import", str(write_doc(doc))).returncode == 0
    created = cli("edition", "create", "2026-05", "--note", "first edition")
    assert created.returncode == 0, created.stderr
    assert "Created edition 2026-05" in created.stdout
    doc["incidents"][0]["confidence"] = "confirmed"
    assert cli("import", str(write_doc(doc, "corrected.json"))).returncode == 0
    assert cli("edition", "create", "2026-11").returncode == 0

    listed = cli("edition", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert [r["name"] for r in rows] == ["2026-05", "2026-11"]
    assert rows[0]["note"] == "first edition" and rows[1]["previous"] == "2026-05"
    assert all(len(r["content_hash"]) == 64 for r in rows)

    changed = cli("edition", "diff", "2026-05", "2026-11", "--json")
    assert changed.returncode == 0, changed.stderr
    log = json.loads(changed.stdout)
    school = str(record_uuid("incidents", SCHOOL))
    entries = [
        (kind, verb, e)
        for kind, verbs in log["records"].items()
        for verb, items in verbs.items()
        for e in items
    ]
    assert entries == [
        (
            "incidents",
            "changed",
            {
                "id": school,
                "label": "Mob at a school in Kulob",
                "fields": [{"field": "confidence", "old": "probable", "new": "confirmed"}],
            },
        )
    ]
    as_text = cli("edition", "diff", "2026-05", "2026-11", "--audience", "internal")
    assert f"changed incident {school}" in as_text.stdout
    assert "confidence: probable -> confirmed" in as_text.stdout

    assert cli("edition", "verify").returncode == 0
    figures = tmp_path / "data" / "editions" / "2026-05" / "figures.json"
    figures.chmod(0o644)
    figures.write_text("{}")
    tampered = cli("edition", "verify", "2026-05")
    assert tampered.returncode == 1
    assert "figures.json was changed" in tampered.stderr and "Traceback" not in tampered.stderr


def test_the_cli_refuses_a_taken_name_a_bad_name_and_unknown_editions(cli, write_doc, tmp_path):
    assert cli("import", str(write_doc(MINIMAL))).returncode == 0
    assert cli("edition", "create", "a").returncode == 0
    editions = tmp_path / "data" / "editions"
    before = sorted(p.name for p in editions.iterdir())
    for args, message in (
        (("edition", "create", "a"), "an edition named 'a' already exists"),
        (("edition", "create", "Not A Slug"), "is not a valid edition name"),
        (("edition", "diff", "a", "missing"), "no edition named 'missing'"),
        (("edition", "verify", "missing"), "no edition named 'missing'"),
    ):
        result = cli(*args)
        assert result.returncode == 1, args
        assert message in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert sorted(p.name for p in editions.iterdir()) == before == ["a"]


# --- the site ----------------------------------------------------------------------------------


@pytest.fixture
def two_editions() -> tuple[Edition, Edition]:
    load_demo()
    first = store.create("2026-05", note="spring")
    incident = Incident.objects.get(
        pk=record_uuid("incidents", "incident/gadoev-detained-spain-2014")
    )
    incident.confidence = "possible" if incident.confidence != "possible" else "confirmed"
    incident.save()
    return first, store.create("2026-11")


def page(response: Any) -> str:
    return html.unescape(response.content.decode())


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_persona_finds_the_editions_on_the_data_page(client, personas, persona, two_editions):
    signed_in(client, personas[persona])
    text = page(client.get("/data/"))
    for edition in two_editions:
        assert f'href="/data/editions/{edition.name}/"' in text
        assert f'href="/data/editions/{edition.name}/download/public/"' in text
        assert store.citation(edition) in text
        assert edition.content_hash in text
    assert "/download/internal/" not in text
    first = text.index("2026-11")
    assert first < text.index("2026-05")  # newest first


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_edition_page_shows_its_change_log_to_every_persona(
    client, personas, persona, two_editions
):
    _, second = two_editions
    signed_in(client, personas[persona])
    response = client.get("/data/editions/2026-11/")
    assert response.status_code == 200
    text = page(response)
    gadoev = str(record_uuid("incidents", "incident/gadoev-detained-spain-2014"))
    assert gadoev in text and "confidence" in text
    assert second.content_hash in text and "2026-05" in text
    assert second.files[store.PACKAGES["public"]] in text
    assert "<script" not in text.lower()


def test_the_first_edition_says_it_has_no_change_log_and_unknown_ones_answer_404(
    client, two_editions
):
    assert "first edition" in page(client.get("/data/editions/2026-05/"))
    assert client.get("/data/editions/nope/").status_code == 404
    assert client.get("/data/editions/2026-05/download/other/").status_code == 404


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_persona_downloads_the_public_package_and_it_is_audited(
    client, personas, persona, two_editions
):
    first, _ = two_editions
    signed_in(client, personas[persona])
    response = client.get("/data/editions/2026-05/download/public/")
    assert response.status_code == 200
    data = b"".join(response.streaming_content)
    assert hashlib.sha256(data).hexdigest() == first.files[store.PACKAGES["public"]]
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.audience, event.detail["edition"]) == (
        "export",
        "public",
        "2026-05",
    )
    assert "address" not in event.detail


EXPECTED_INTERNAL = {"anonymous": 404, "viewer": 403, "coder": 403, "editor": 200, "admin": 200}


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_cleared_staff_download_the_internal_package_and_it_is_audited(
    client, personas, persona, two_editions
):
    signed_in(client, personas[persona])
    before = AuditEvent.objects.count()
    response = client.get("/data/editions/2026-05/download/internal/")
    assert response.status_code == EXPECTED_INTERNAL[persona]
    if response.status_code != 200:
        assert b"PK" not in response.content[:4]
        assert AuditEvent.objects.count() == before
        return
    data = b"".join(response.streaming_content)
    assert zipfile.ZipFile(io.BytesIO(data)).read("datapackage.json")
    event = AuditEvent.objects.order_by("-seq").first()
    assert (event.action, event.audience, event.username) == ("export", "internal", persona)
    assert event.detail["edition"] == "2026-05"


def test_an_editor_without_the_second_factor_gets_no_internal_package(
    client, personas, two_editions
):
    signed_in(client, personas["editor"], second_factor=False)
    assert client.get("/data/editions/2026-05/download/internal/").status_code == 404


def test_a_tampered_package_is_not_served(client, two_editions):
    first, _ = two_editions
    path = store.package_path(first, "public")
    path.chmod(0o644)
    path.write_bytes(path.read_bytes() + b"x")
    assert client.get("/data/editions/2026-05/download/public/").status_code == 503


# --- nothing hidden leaks through a public change log ------------------------------------------


def test_the_public_change_log_never_shows_a_hidden_record_or_field(client, personas):
    load_canaries()
    first = store.create("a")
    # Between the editions: hidden records and hidden fields change, a published incident is
    # corrected, and a relative (public in the first edition) asks to be removed.
    Incident.objects.filter(pk=uid("incidents", "incident/draft")).update(
        title=C["draft-title"] + " edited", summary=C["draft-summary"] + " edited"
    )
    confidential = Incident.objects.get(pk=uid("incidents", "incident/confidential"))
    confidential.summary = C["conf-incident-summary"] + " edited"
    confidential.save()
    proxy = Incident.objects.get(pk=uid("incidents", "incident/proxy"))
    proxy.confidential_notes = C["incident-notes"] + " edited"
    proxy.confidence = "confirmed"
    proxy.save()
    from exiledb.access.redaction import redact

    redact(Person.objects.get(pk=uid("persons", "person/relative")), None, note="asked")
    second = store.create("b")

    log = public_log(first, second)
    as_json = json.dumps(log.as_json("a", "b"), ensure_ascii=False)
    assert found_in(as_json) == set()
    changed = {e.id for entries in log.changed.values() for e in entries}
    assert str(uid("incidents", "incident/proxy")) in changed  # the positive control
    assert str(uid("incidents", "incident/draft")) not in as_json
    assert str(uid("incidents", "incident/confidential")) not in as_json
    removed = log.removed.get("persons", [])
    assert [e.as_json() for e in removed] == [{"id": str(uid("persons", "person/relative"))}]

    # The page and the JSON download are the same for everyone and carry no canary either.
    for persona in PERSONAS:
        signed_in(client, personas[persona])
        for url in ("/data/", "/data/editions/b/", "/data/editions/a/"):
            response = client.get(url)
            assert response.status_code == 200
            assert found_in(page(response)) == set(), (persona, url)
        response = client.get("/data/editions/b/changes.json")
        assert found_in(b"".join(response.streaming_content).decode()) == set()
        public = client.get("/data/editions/b/download/public/")
        assert found_in(texts(b"".join(public.streaming_content))) == set(), persona

    # The internal package (cleared staff) holds every canary it can: the positive control.
    internal = texts(store.package_path(second, "internal").read_bytes())
    exported = set(ALL) - {
        "removal-requester",
        "removal-details",
        "person-contact-old",
        "incident-notes-old",
    }
    assert found_in(internal) >= exported - {"incident-notes"}


def test_the_data_folder_path_is_relative_to_the_data_dir(settings):
    load(MINIMAL)
    edition = store.create("a")
    assert edition.storage == "editions/a"
    assert store.folder(edition) == Path(settings.DATA_DIR) / "editions" / "a"
    assert os.path.isdir(store.folder(edition))
