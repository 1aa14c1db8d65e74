"""The JSON API, driven as a client would: reads for every persona, writes with scoped tokens,
the error shape, paging, fields, CSV, conditional requests, rate limits and tokens.

The canary matrix for the API (every record read by every persona) is in test_canaries.py.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import uuid
from typing import Any

import pandas as pd
import pytest
from conftest import DEMO, PERSONAS, public_site, signed_in
from django.test import Client
from django.utils import timezone

from exiledb.access import tokens
from exiledb.access.models import ApiToken, AuditEvent
from exiledb.cases.models import Incident, Person
from exiledb.ingest import interchange, writer
from exiledb.ingest.base import record_uuid

pytestmark = pytest.mark.django_db

API = "/api/v1"
GADOEV = record_uuid("incidents", "incident/gadoev-detained-spain-2014")


@pytest.fixture(autouse=True)
def site(settings: Any, tmp_path: Any) -> None:
    public_site(settings, tmp_path)
    settings.EXILEDB_API_ANON_RATE = "10000/min"
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def demo() -> dict[str, Any]:
    doc = json.loads(DEMO.read_text(encoding="utf-8"))
    writer.apply(interchange.parse_document(doc, str(DEMO)))
    return doc


def token_for(user: Any, scope: str = "read") -> dict[str, str]:
    if user is None:
        return {}
    _, plain = tokens.create(user, "tests", scope)
    return {"HTTP_AUTHORIZATION": f"Bearer {plain}"}


def get(client: Client, url: str, auth: dict[str, str] | None = None, **extra: Any) -> Any:
    return client.get(url, **(auth or {}), **extra)


def post(client: Client, url: str, body: Any, auth: dict[str, str] | None = None) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json", **(auth or {}))


def patch(client: Client, url: str, body: Any, auth: dict[str, str] | None = None) -> Any:
    return client.patch(url, json.dumps(body), content_type="application/json", **(auth or {}))


def assert_error(response: Any, status: int, path: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert error["status"] == status and error["code"] and error["message"]
    assert isinstance(error["fields"], list)
    if path is not None:
        assert path in [f["path"] for f in error["fields"]], error
    return error


def demo_incident(demo: dict[str, Any], local: str) -> dict[str, Any]:
    return next(i for i in demo["incidents"] if i["id"] == local)


# --- the schema ----------------------------------------------------------------------------


def test_the_openapi_document_lists_incidents_persons_sources_and_stats(client):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    paths = doc["paths"]
    for path in (
        "/api/v1/incidents",
        "/api/v1/incidents/{pk}",
        "/api/v1/persons",
        "/api/v1/persons/{pk}",
        "/api/v1/sources",
        "/api/v1/organizations",
        "/api/v1/relationships",
        "/api/v1/codebook",
        "/api/v1/stats",
    ):
        assert "get" in paths[path], path
    assert "post" in paths["/api/v1/incidents"]
    assert "patch" in paths["/api/v1/incidents/{pk}"]
    params = {p["name"] for p in paths["/api/v1/incidents"]["get"]["parameters"]}
    assert {
        "q",
        "stage",
        "tactic",
        "host",
        "origin",
        "year",
        "cursor",
        "fields",
        "format",
    } <= params
    assert "422" in paths["/api/v1/incidents"]["get"]["responses"]
    assert "401" in paths["/api/v1/incidents"]["post"]["responses"]


def test_the_interactive_docs_load_only_local_assets(client):
    response = client.get(f"{API}/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "https://" not in html


# --- reading -------------------------------------------------------------------------------


def test_stage_2_narrows_the_incidents_to_the_interpol_detentions(client, demo):
    response = get(client, f"{API}/incidents?stage=2")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert {r["country"] for r in body["results"]} == {"ES", "FI"}
    assert all(
        "interpol_notice" in r["tactics"] or "interpol_detention" in " ".join(r["tactics"])
        for r in body["results"]
    )
    titles = " ".join(r["title"] for r in body["results"])
    assert "Gadoev" in titles and "Finland" in titles


def test_the_api_and_the_site_give_the_same_incidents_for_the_same_filters(client, demo):
    for query in (
        "stage=2",
        "q=gadoev",
        "kind=proxy",
        "host=ES&host=FI",
        "tactic=proxy_mob",
        "year_from=2015&year_to=2016",
        "q=Худойдодова",
    ):
        api = get(client, f"{API}/incidents?{query}&limit=500").json()
        page = client.get(f"/incidents/?{query}").content.decode()
        assert api["count"] > 0, query
        for rec in api["results"]:
            assert f"/incidents/{rec['id']}/" in page, (query, rec["title"])
        assert f"{api['count']}" in page


def test_search_finds_gadoev_in_spain_in_either_script(client, demo):
    for q in ("Gadoev", "gadoev", "Гадоев"):
        results = get(client, f"{API}/incidents?q={q}").json()["results"]
        assert str(GADOEV) in {r["id"] for r in results}, q


@pytest.mark.parametrize("q", ["Khudoydodova", "Khodoydodova", "Khudodoyeva", "Худойдодова"])
def test_persons_are_found_by_any_spelling_of_their_name(client, demo, personas, q):
    shabnam = str(record_uuid("persons", "person/khudoydodova-shabnam"))
    for auth in (None, token_for(personas["viewer"])):
        found = get(client, f"{API}/persons?q={q}&limit=500&fields=id", auth).json()
        assert shabnam in {r["id"] for r in found["results"]}, (q, auth is not None)


def test_a_person_who_may_not_be_named_is_not_found_by_spelling_for_the_public(
    client, demo, personas
):
    daughter = str(record_uuid("persons", "person/khudoydodova-daughter"))
    # the minor is public only under her pseudonym; no spelling of her mother's name finds her
    public = get(client, f"{API}/persons?q=Khodoydodova&limit=500&fields=id").json()
    assert daughter not in {r["id"] for r in public["results"]}


def test_facets_come_with_counts_from_the_same_code_as_the_site(client, demo):
    body = get(client, f"{API}/incidents?kind=abroad&facets=true").json()
    assert body["facets"]["stage"]["2"] == 2
    assert body["facets"]["kind"] == {"abroad": body["count"]}
    assert sum(body["facets"]["host"].values()) == body["count"]


def test_a_bad_filter_value_is_a_422_naming_the_parameter(client, demo):
    assert_error(get(client, f"{API}/incidents?stage=9"), 422, "query.stage")
    assert_error(get(client, f"{API}/incidents?tactic=poison"), 422, "query.tactic")
    assert_error(get(client, f"{API}/incidents?stage=two"), 422, "query.stage[0]")
    assert_error(get(client, f"{API}/incidents?stge=2"), 422, "query.stge")
    assert_error(get(client, f"{API}/incidents?limit=0"), 422, "query.limit")
    assert_error(get(client, f"{API}/incidents?fields=title,secret"), 422, "query.fields")
    assert_error(get(client, f"{API}/persons?category=spy"), 422, "query.category")
    assert_error(get(client, f"{API}/incidents?cursor=not-a-cursor"), 400, "query.cursor")


def test_cursor_paging_walks_every_match_once_in_a_stable_order(client, demo):
    expected = get(client, f"{API}/incidents?limit=500&fields=id").json()
    seen: list[str] = []
    url = f"{API}/incidents?limit=3&fields=id"
    pages = 0
    while url:
        body = get(client, url).json()
        assert body["count"] == expected["count"]
        seen += [r["id"] for r in body["results"]]
        url = body["next"]
        pages += 1
    assert seen == [r["id"] for r in expected["results"]]
    assert len(seen) == len(set(seen)) == expected["count"]
    assert pages == -(-expected["count"] // 3)
    oldest = get(client, f"{API}/incidents?limit=500&fields=id&sort=date").json()
    assert {r["id"] for r in oldest["results"]} == set(seen)


def test_paging_other_records_by_cursor(client, demo):
    everyone = get(client, f"{API}/persons?limit=500&fields=id").json()
    seen: list[str] = []
    url = f"{API}/persons?limit=4&fields=id"
    while url:
        body = get(client, url).json()
        seen += [r["id"] for r in body["results"]]
        url = body["next"]
    assert seen == sorted(seen) == [r["id"] for r in everyone["results"]]


def test_fields_selects_what_comes_back(client, demo):
    body = get(client, f"{API}/incidents?stage=2&fields=title,country").json()
    assert all(set(r) == {"id", "title", "country"} for r in body["results"])
    one = get(client, f"{API}/incidents/{GADOEV}?fields=date").json()
    assert one == {"id": str(GADOEV), "date": "2014"}


def test_csv_opens_in_pandas_with_the_same_rows(client, demo):
    response = get(client, f"{API}/incidents?kind=proxy&format=csv&limit=500")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    frame = pd.read_csv(io.StringIO(response.content.decode()))
    as_json = get(client, f"{API}/incidents?kind=proxy&limit=500").json()
    assert len(frame) == as_json["count"] == int(response["X-Total-Count"])
    assert set(frame["id"]) == {r["id"] for r in as_json["results"]}
    assert frame["proxy"].astype(str).str.lower().eq("true").all()
    narrow = pd.read_csv(
        io.StringIO(
            get(client, f"{API}/incidents?format=csv&fields=title,tactics&limit=2").content.decode()
        )
    )
    assert list(narrow.columns) == ["id", "title", "tactics"]


def test_a_hidden_record_is_a_404_like_a_missing_one(client, demo, personas):
    incident = Incident.objects.get(pk=GADOEV)
    incident.review_status = "draft"
    incident.save()
    hidden = get(client, f"{API}/incidents/{GADOEV}")
    missing = get(client, f"{API}/incidents/{uuid.uuid4()}")
    assert_error(hidden, 404)
    assert hidden.json()["error"]["message"] == missing.json()["error"]["message"]
    assert str(GADOEV) not in get(client, f"{API}/incidents?limit=500").content.decode()
    coder = token_for(personas["coder"])
    assert get(client, f"{API}/incidents/{GADOEV}", coder).json()["review_status"] == "draft"


@pytest.mark.parametrize("persona", PERSONAS)
def test_each_persona_reads_what_the_site_shows_it(client, demo, personas, persona):
    draft = Incident.objects.get(pk=GADOEV)
    draft.review_status = "draft"
    draft.confidential_notes = "NOTE_FOR_CLEARED_EYES"
    draft.save()
    auth = token_for(personas[persona])
    body = get(client, f"{API}/incidents?limit=500&q=gadoev", auth).json()
    ids = {r["id"] for r in body["results"]}
    detail = get(client, f"{API}/incidents/{GADOEV}", auth)
    if persona == "anonymous":
        assert str(GADOEV) not in ids and detail.status_code == 404
        return
    assert str(GADOEV) in ids and detail.status_code == 200
    notes = detail.json()["confidential_notes"]
    assert notes == ("NOTE_FOR_CLEARED_EYES" if persona in ("editor", "admin") else "")


def test_codebook_and_stats(client, demo):
    codebook = get(client, f"{API}/codebook").json()
    names = {v["name"] for v in codebook["vocabularies"]}
    assert {"tactics", "stages"} <= names or len(names) > 10
    assert codebook["countries"]["TJ"]
    stats = get(client, f"{API}/stats").json()
    assert stats["cases"]["by_stage"]["2"] >= 2
    assert {"ES", "FI"} <= set(stats["incidents"]["by_host_country"])
    assert stats["incidents"]["proxy"] >= 10
    assert "floor" in stats["note"]


# --- conditional requests and rate limits ------------------------------------------------------


def test_reads_carry_an_etag_and_answer_304_when_unchanged(client, demo):
    first = get(client, f"{API}/incidents?stage=2")
    etag = first["ETag"]
    assert etag and first["Last-Modified"]
    again = get(client, f"{API}/incidents?stage=2", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again.content == b""
    since = get(client, f"{API}/incidents?stage=2", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert since.status_code == 304
    other = get(client, f"{API}/incidents?stage=1", HTTP_IF_NONE_MATCH=etag)
    assert other.status_code == 200
    # a change to the public data changes the answer
    incident = Incident.objects.get(pk=GADOEV)
    incident.title = "Sharofiddin Gadoev held in Madrid on a Tajik Interpol notice"
    incident.save()
    changed = get(client, f"{API}/incidents?stage=2", HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and "Madrid" in changed.content.decode()


def test_anonymous_clients_are_rate_limited_and_tokens_are_not(client, demo, personas, settings):
    settings.EXILEDB_API_ANON_RATE = "3/min"
    for _ in range(3):
        assert get(client, f"{API}/codebook").status_code == 200
    limited = get(client, f"{API}/codebook")
    error = assert_error(limited, 429)
    assert int(limited["Retry-After"]) > 0 and "token" in error["message"]
    viewer = token_for(personas["viewer"])
    assert all(get(client, f"{API}/codebook", viewer).status_code == 200 for _ in range(5))
    # another address has its own allowance; X-Forwarded-For is not trusted by default
    assert get(client, f"{API}/codebook", REMOTE_ADDR="10.0.0.9").status_code == 200
    assert get(client, f"{API}/codebook", HTTP_X_FORWARDED_FOR="10.1.1.1").status_code == 429


# --- tokens --------------------------------------------------------------------------------


def test_tokens_are_stored_hashed_and_refused_once_revoked_or_expired(client, demo, personas):
    token, plain = tokens.create(personas["viewer"], "R scripts", "read", days=30)
    stored = ApiToken.objects.get(pk=token.pk)
    assert plain not in json.dumps(list(ApiToken.objects.values()), default=str)
    assert stored.digest == ApiToken.hash(plain) and plain.startswith(stored.hint)
    auth = {"HTTP_AUTHORIZATION": f"Bearer {plain}"}
    assert get(client, f"{API}/incidents", auth).status_code == 200
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None
    tokens.revoke(stored)
    assert_error(get(client, f"{API}/incidents", auth), 401)
    expired, plain2 = tokens.create(personas["viewer"], "old", "read", days=1)
    ApiToken.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert_error(get(client, f"{API}/incidents", {"HTTP_AUTHORIZATION": f"Bearer {plain2}"}), 401)
    assert_error(
        get(client, f"{API}/incidents", {"HTTP_AUTHORIZATION": "Bearer exdb_nonsense"}), 401
    )
    assert_error(get(client, f"{API}/incidents", {"HTTP_AUTHORIZATION": "Basic abc"}), 401)
    events = [
        e["event"]
        for e in AuditEvent.objects.filter(action="token").values_list("detail", flat=True)
    ]
    assert events.count("revoked") == 1 and events.count("created") == 2


def test_a_deactivated_account_cannot_get_or_use_a_token(client, personas):
    _, plain = tokens.create(personas["coder"], "sync", "write")
    personas["coder"].is_active = False
    personas["coder"].save()
    assert_error(get(client, f"{API}/incidents", {"HTTP_AUTHORIZATION": f"Bearer {plain}"}), 401)
    with pytest.raises(tokens.TokenError, match="deactivated"):
        tokens.create(personas["coder"], "again", "read")


def test_token_create_list_revoke_on_the_command_line(cli):
    assert (
        cli(
            "user",
            "add",
            "amina",
            "--role",
            "coder",
            input="a long enough passphrase 1\na long enough passphrase 1\n",
        ).returncode
        == 0
    )
    made = cli("token", "create", "--user", "amina", "--scope", "write", "--name", "partner sync")
    assert made.returncode == 0, made.stderr
    plain = made.stdout.strip()
    assert plain.startswith("exdb_") and "Shown once" in made.stderr
    listed = cli("token", "list")
    assert "partner sync" in listed.stdout and plain not in listed.stdout
    assert "active" in listed.stdout
    revoked = cli("token", "revoke", "1")
    assert revoked.returncode == 0 and "Revoked" in revoked.stdout
    assert "revoked" in cli("token", "list", "--user", "amina").stdout
    for args, message in (
        (("token", "create", "--user", "nobody", "--scope", "read"), "no account named"),
        (("token", "create", "--user", "amina", "--scope", "admin"), "scope"),
        (("token", "create", "--user", "amina", "--scope", "read", "--days", "9999"), "days"),
        (("token", "revoke", "42"), "no token with id 42"),
    ):
        failed = cli(*args)
        assert failed.returncode != 0 and message in failed.stderr + failed.stdout, args
        assert "Traceback" not in failed.stderr


@pytest.mark.parametrize("persona", PERSONAS[1:])
def test_each_role_creates_its_own_tokens_in_the_editor_and_sees_it_once(client, personas, persona):
    signed_in(client, personas[persona])
    other, _ = tokens.create(
        personas["viewer" if persona != "viewer" else "coder"], "theirs", "read"
    )
    page = client.get("/editor/access/apitoken/add/")
    assert page.status_code == 200
    made = client.post(
        "/editor/access/apitoken/add/", {"name": "laptop", "scope": "read", "days": "30"}
    )
    assert made.status_code == 200 and made["Cache-Control"] == "no-store"
    html = made.content.decode()
    token = ApiToken.objects.get(user=personas[persona], name="laptop")
    plain = html.split('readonly value="')[1].split('"')[0]
    assert ApiToken.hash(plain) == token.digest
    listing = client.get("/editor/access/apitoken/").content.decode()
    assert plain not in listing and "laptop" in listing
    assert ("theirs" in listing) == (persona == "admin")
    client.post("/editor/access/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None


def test_anonymous_cannot_reach_the_token_pages(client):
    assert client.get("/editor/access/apitoken/add/").status_code == 302


# --- writing -------------------------------------------------------------------------------


def new_incident(source: str, **changes: Any) -> dict[str, Any]:
    rec = {
        "title": "Exile's brother summoned by the GKNB in Vahdat",
        "date": "2019-03",
        "country": "TJ",
        "place": "Vahdat",
        "place_precision": "city",
        "origin_country": "TJ",
        "proxy": True,
        "tactics": ["proxy_threat"],
        "host_state_role": "not_applicable",
        "legal_channel": "none",
        "confidence": "probable",
        "involvements": [
            {
                "person": "person/kabiri-tillo",
                "role": "relative_targeted",
                "linked_exile": "person/kabiri-muhiddin",
            },
        ],
        "citations": [{"source": source}],
    }
    rec.update(changes)
    return rec


def a_source() -> str:
    from exiledb.cases.models import Source

    return str(Source.objects.filter(visibility="public").values_list("pk", flat=True).first())


def test_an_anonymous_write_is_refused(client, demo):
    response = post(client, f"{API}/incidents", new_incident(a_source()))
    error = assert_error(response, 401)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "token" in error["message"]
    assert_error(patch(client, f"{API}/incidents/{GADOEV}", {"title": "x"}), 401)
    assert_error(post(client, f"{API}/incidents/{GADOEV}/publish", {}), 401)


def test_a_read_token_or_a_viewer_cannot_write(client, demo, personas):
    assert_error(
        post(
            client,
            f"{API}/incidents",
            new_incident(a_source()),
            token_for(personas["coder"], "read"),
        ),
        403,
    )
    assert_error(
        post(
            client,
            f"{API}/incidents",
            new_incident(a_source()),
            token_for(personas["viewer"], "write"),
        ),
        403,
    )


def test_a_coders_write_is_a_draft_off_the_public_site_until_reviewed_and_published(
    client, demo, personas
):
    coder = token_for(personas["coder"], "write")
    made = post(client, f"{API}/incidents", new_incident(a_source()), coder)
    assert made.status_code == 201, made.content
    body = made.json()
    pk = body["id"]
    assert body["created"] and body["review_status"] == "draft"
    assert body["record"]["place"] == "Vahdat"
    assert_error(get(client, f"{API}/incidents/{pk}"), 404)
    history = Incident.objects.get(pk=pk).history.first()
    assert history.history_user == personas["coder"]
    assert AuditEvent.objects.filter(action="api_write", object_id=pk).exists()
    # the coder cannot review or publish; the editor reviews and publishes
    assert_error(post(client, f"{API}/incidents/{pk}/status", {"status": "reviewed"}, coder), 403)
    assert_error(post(client, f"{API}/incidents/{pk}/publish", {}, coder), 403)
    editor = token_for(personas["editor"], "write")
    assert_error(post(client, f"{API}/incidents/{pk}/publish", {}, editor), 409)
    reviewed = post(client, f"{API}/incidents/{pk}/status", {"status": "reviewed"}, editor)
    assert reviewed.status_code == 200 and reviewed.json()["review_status"] == "reviewed"
    published = post(client, f"{API}/incidents/{pk}/publish", {}, editor)
    assert published.status_code == 200 and published.json()["review_status"] == "published"
    public = get(client, f"{API}/incidents/{pk}")
    assert public.status_code == 200 and public.json()["title"].startswith("Exile's brother")
    assert pk in {r["id"] for r in get(client, f"{API}/incidents?q=vahdat").json()["results"]}
    # a change sends it back to draft and off the public site
    changed = patch(client, f"{API}/incidents/{pk}", {"date": "2019-03-14"}, coder)
    assert changed.status_code == 200 and changed.json()["review_status"] == "draft"
    assert_error(get(client, f"{API}/incidents/{pk}"), 404)


def test_an_editor_may_not_review_their_own_draft(client, demo, personas):
    editor = token_for(personas["editor"], "write")
    pk = post(client, f"{API}/incidents", new_incident(a_source()), editor).json()["id"]
    error = assert_error(
        post(client, f"{API}/incidents/{pk}/status", {"status": "reviewed"}, editor), 403
    )
    assert "someone else" in error["message"]
    admin = token_for(personas["admin"], "write")
    assert (
        post(client, f"{API}/incidents/{pk}/status", {"status": "reviewed"}, admin).status_code
        == 200
    )


def test_validation_errors_name_the_field_and_store_nothing(client, demo, personas):
    coder = token_for(personas["coder"], "write")
    before = Incident.objects.count()
    bad = new_incident(a_source(), stage=7, tactics=["poisoning"], date="2019-13")
    error = assert_error(post(client, f"{API}/incidents", bad, coder), 422)
    paths = {f["path"] for f in error["fields"]}
    assert "body.tactics[0]" in paths or "body.tactics" in paths
    assert "body.date" in paths
    dangling = new_incident(str(uuid.uuid4()))
    error = assert_error(post(client, f"{API}/incidents", dangling, coder), 422)
    assert any(f["path"].startswith("body.citations[0]") for f in error["fields"])
    assert_error(
        post(client, f"{API}/incidents", {**new_incident(a_source()), "colour": "red"}, coder),
        422,
        "body.colour",
    )
    assert_error(post(client, f"{API}/incidents", [1, 2], coder), 422)
    assert_error(
        post(
            client, f"{API}/incidents", new_incident(a_source(), review_status="published"), coder
        ),
        422,
        "body.review_status",
    )
    malformed = client.post(
        f"{API}/incidents", "{not json", content_type="application/json", **coder
    )
    assert malformed.status_code in (400, 422) and "error" in malformed.json()
    assert Incident.objects.count() == before


def test_creating_an_existing_id_is_a_409_and_patching_a_missing_one_a_404(client, demo, personas):
    coder = token_for(personas["coder"], "write")
    rec = new_incident(a_source(), id="incident/gadoev-detained-spain-2014")
    assert_error(post(client, f"{API}/incidents", rec, coder), 409, "body.id")
    assert_error(patch(client, f"{API}/incidents/{uuid.uuid4()}", {"title": "x"}, coder), 404)
    assert_error(
        patch(client, f"{API}/incidents/{GADOEV}", {"id": str(uuid.uuid4())}, coder), 422, "body.id"
    )


def test_an_uncleared_role_may_not_write_confidential_fields(client, demo, personas):
    coder = token_for(personas["coder"], "write")
    exile = Person.objects.filter(visibility="public").first()
    assert_error(
        patch(client, f"{API}/persons/{exile.pk}", {"contact_details": "+992"}, coder),
        403,
        "body.contact_details",
    )
    assert_error(
        patch(client, f"{API}/persons/{exile.pk}", {"visibility": "confidential"}, coder),
        403,
        "body.visibility",
    )
    editor = token_for(personas["editor"], "write")
    done = patch(client, f"{API}/persons/{exile.pk}", {"contact_details": "+992 555"}, editor)
    assert done.status_code == 200 and done.json()["record"]["contact_details"] == "+992 555"


def test_a_patch_keeps_the_fields_it_does_not_name(client, demo, personas):
    editor = token_for(personas["editor"], "write")
    before = get(client, f"{API}/incidents/{GADOEV}", editor).json()
    done = patch(client, f"{API}/incidents/{GADOEV}", {"outcome": "released"}, editor).json()
    after = done["record"]
    assert after["outcome"] == "released"
    for key in ("title", "citations", "involvements", "tactics", "date", "place"):
        assert after[key] == before[key], key


def test_other_record_types_are_written_too(client, demo, personas):
    coder = token_for(personas["coder"], "write")
    source = post(
        client,
        f"{API}/sources",
        {
            "type": "news",
            "title": "Relatives of exiles questioned in Vahdat",
            "publisher": "Radio Ozodi",
            "date": "2019-03-15",
            "url": "https://rus.ozodi.org/a/1.html",
        },
        coder,
    )
    assert source.status_code == 201, source.content
    person = post(
        client,
        f"{API}/persons",
        {
            "display_name": "Umarali Quvvatov",
            "names": [{"value": "Kuvvatov"}],
            "origin_country": "TJ",
            "categories": ["opposition"],
        },
        coder,
    )
    assert person.status_code == 201, person.content
    record = person.json()["record"]
    assert "Kuvvatov" in [n["value"] for n in record["names"]]
    assert record["display_name"] == "Umarali Quvvatov"
    assert Person.objects.filter(pk=record["id"]).exists()


def test_stats_take_the_clis_filters_and_name_a_bad_one(client, demo):
    everything = get(client, f"{API}/stats").json()
    since = get(client, f"{API}/stats?since=2016&min_confidence=confirmed").json()
    assert since["incidents"]["total"] < everything["incidents"]["total"]
    assert_error(get(client, f"{API}/stats?since=2016-13"), 422, "query.since")
    assert_error(get(client, f"{API}/stats?min_confidence=sure"), 422, "query.min_confidence")
    assert_error(get(client, f"{API}/stats?since=2017&until=2015"), 422, "query.until")


def test_exiledb_serve_with_several_workers_answers_concurrent_api_requests(cli, tmp_path):
    """`exiledb serve` forks its workers after migrating and checking the index: each must
    open its own database connection (a shared PostgreSQL socket mixed answers up)."""
    import os
    import socket
    import subprocess
    import sys
    import time
    import urllib.request
    from concurrent.futures import ThreadPoolExecutor

    assert cli("demo").returncode == 0
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(cli.env, EXILEDB_API_ANON_RATE="100000/min")
    server = subprocess.Popen(
        [sys.executable, "-m", "exiledb", "serve", "--port", str(port), "--workers", "3"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/codebook", timeout=5).read()  # noqa: S310
                break
            except OSError:
                time.sleep(0.5)
        urls = [f"{base}/incidents?stage={1 + i % 2}&limit={1 + i % 7}" for i in range(60)]
        urls += [f"{base}/stats", f"{base}/persons?limit=3"] * 10

        def fetch(url: str) -> int:
            with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310
                json.loads(response.read())
                return int(response.status)

        with ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(fetch, urls))
        assert statuses == [200] * len(urls)
    finally:
        os.killpg(server.pid, 15)
        server.wait(30)
