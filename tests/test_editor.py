"""The data-entry editor (the Django admin at /editor/) as each persona uses it."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import signed_in
from django.urls import reverse

from exiledb.cases.models import Incident, IncidentTactic, Person, Source
from exiledb.ingest import interchange, writer

SECRET_CONTACT = "Signal +992 00 000 0000"
SECRET_NOTE = "met informant at the bazaar"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def editor_settings(settings: Any, tmp_path: Any) -> None:
    """The admin pages link static files; tests run without collectstatic's manifest. A fast
    password hasher keeps the five personas cheap to create."""
    settings.STATIC_ROOT = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def data(minimal_doc: dict[str, Any]) -> dict[str, Any]:
    """The minimal document, with confidential material, loaded through the importer."""
    minimal_doc["persons"][0]["contact_details"] = SECRET_CONTACT
    minimal_doc["persons"][0]["confidential_notes"] = SECRET_NOTE
    minimal_doc["incidents"][0]["confidential_notes"] = SECRET_NOTE
    writer.apply(interchange.parse_document(minimal_doc))
    return {
        "exile": Person.objects.get(display_name="Shabnam Khudoydodova"),
        "daughter": Person.objects.get(display_name="daughter of Shabnam Khudoydodova"),
        "incident": Incident.objects.get(title="Mob at a school in Kulob"),
        "source": Source.objects.get(title="Abuse of Dissidents' Families"),
    }


def login(client: Any, user: Any) -> None:
    if user is not None:
        signed_in(client, user)


def inline(prefix: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """POST data of one admin inline formset holding new rows."""
    out: dict[str, Any] = {
        f"{prefix}-TOTAL_FORMS": len(rows),
        f"{prefix}-INITIAL_FORMS": 0,
        f"{prefix}-MIN_NUM_FORMS": 0,
        f"{prefix}-MAX_NUM_FORMS": 1000,
    }
    for i, row in enumerate(rows):
        out.update({f"{prefix}-{i}-{key}": value for key, value in row.items()})
    return out


def incident_post(
    involvements: list[dict[str, Any]] | None = None,
    citations: list[dict[str, Any]] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """What the incident add form posts: a draft detention in Russia unless told otherwise."""
    data: dict[str, Any] = {
        "title": "Detained in Moscow on a Red Notice",
        "summary": "",
        "is_proxy": False,
        "tactics": ["interpol_notice", "detention_abroad"],
        "outcome": "unknown",
        "victims_estimated": "",
        "date": "2017-03",
        "date_end": "",
        "trigger_event": "",
        "trigger_date": "",
        "country": "RU",
        "place_precision": "country",
        "region": "",
        "place": "",
        "latitude": "",
        "longitude": "",
        "origin_country": "TJ",
        "host_state_role": "cooperated",
        "legal_channel": "interpol",
        "confidence": "probable",
        "review_status": "draft",
        "visibility": "public",
        "confidential_notes": "",
        "_save": "Save",
    }
    data.update(fields)
    data.update(inline("involvements", involvements or []))
    data.update(inline("citations", citations or []))
    return data


def involvement(person: Any, role: str, linked_exile: Any = None) -> dict[str, Any]:
    return {
        "person": person.pk,
        "role": role,
        "linked_exile": linked_exile.pk if linked_exile else "",
        "description": "",
        "note": "",
    }


def citation(source: Any) -> dict[str, Any]:
    return {"source": source.pk, "locator": "para 2", "quote": "", "note": ""}


def all_errors(response: Any) -> str:
    """Every error the change form shows: the form's and each inline formset's."""
    form = response.context["adminform"].form
    parts = [str(form.errors)]
    for formset in response.context["inline_admin_formsets"]:
        parts.append(str(formset.formset.non_form_errors()))
        parts.extend(str(f.errors) for f in formset.formset.forms)
    return " ".join(parts)


def unchanged_post(page: Any) -> dict[str, Any]:
    """What a change page posts back when the user edits nothing: the form and its inlines."""

    def fill(form: Any, data: dict[str, Any]) -> None:
        for name in form.fields:
            value = form[name].value()
            if value is True:
                data[form.add_prefix(name)] = "on"
            elif value not in (None, False):
                data[form.add_prefix(name)] = value

    data: dict[str, Any] = {"_save": "Save"}
    fill(page.context["adminform"].form, data)
    for inline_formset in page.context["inline_admin_formsets"]:
        formset = inline_formset.formset
        rows = formset.initial_forms
        data.update(inline(formset.prefix, []))
        data[f"{formset.prefix}-TOTAL_FORMS"] = data[f"{formset.prefix}-INITIAL_FORMS"] = len(rows)
        for row in rows:
            fill(row, data)
    return data


ADD = reverse("admin:cases_incident_add")
CHANGELIST = reverse("admin:cases_incident_changelist")


# --- Who may open what ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "changelist", "change", "add"),
    [
        ("anonymous", 302, 302, 302),
        ("viewer", 200, 200, 403),
        ("coder", 200, 200, 200),
        ("editor", 200, 200, 200),
        ("admin", 200, 200, 200),
    ],
)
def test_each_persona_gets_the_expected_incident_pages(
    client, personas, data, persona, changelist, change, add
):
    login(client, personas[persona])
    change_url = reverse("admin:cases_incident_change", args=[data["incident"].pk])
    responses = {
        "changelist": client.get(CHANGELIST),
        "change": client.get(change_url),
        "add": client.get(ADD),
    }
    assert {k: r.status_code for k, r in responses.items()} == {
        "changelist": changelist,
        "change": change,
        "add": add,
    }
    if persona == "anonymous":
        assert all(r["Location"].startswith("/editor/login/") for r in responses.values())
    if persona == "viewer":
        assert b'name="title"' not in responses["change"].content  # read-only page
        assert b"Mob at a school in Kulob" in responses["change"].content
        assert b"Mob at the family home; Public shaming" in responses["change"].content
        assert b"Stage 1: on notice" in responses["change"].content


def test_it_keeps_staff_without_a_role_out(client, personas, data):
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.create_user("no-role", is_staff=True)
    signed_in(client, staff)
    for url in (reverse("admin:index"), CHANGELIST, ADD):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/editor/login/")


def test_the_index_groups_cases_apart_from_evidence(client, personas):
    signed_in(client, personas["coder"])
    response = client.get(reverse("admin:index"))
    sections = [app["name"] for app in response.context["app_list"]]
    assert sections[:2] == ["Cases", "Evidence and organisations"]
    assert [m["object_name"] for m in response.context["app_list"][0]["models"]] == [
        "Incident",
        "Person",
        "Relationship",
    ]
    assert b"exiledb editor" in response.content
    assert client.get(reverse("admin:app_list", args=["cases"])).status_code == 200


@pytest.mark.parametrize("model", ["incident", "person", "relationship", "source", "organization"])
def test_every_editor_page_renders_for_an_editor(client, personas, data, model):
    signed_in(client, personas["editor"])
    for url in (
        reverse(f"admin:cases_{model}_changelist"),
        reverse(f"admin:cases_{model}_add"),
        reverse(f"admin:cases_{model}_changelist") + "?q=Khudoydodova",
    ):
        assert client.get(url).status_code == 200, url


def test_the_history_of_an_incident_is_browsable(client, personas, data):
    signed_in(client, personas["viewer"])
    url = reverse("admin:cases_incident_history", args=[data["incident"].pk])
    response = client.get(url)
    assert response.status_code == 200
    assert b"Mob at a school in Kulob" in response.content


def test_a_coder_may_not_delete_and_a_viewer_may_not_change(client, personas, data):
    incident = data["incident"]
    signed_in(client, personas["coder"])
    assert client.get(reverse("admin:cases_incident_delete", args=[incident.pk])).status_code == 403
    signed_in(client, personas["viewer"])
    change_url = reverse("admin:cases_incident_change", args=[incident.pk])
    assert client.post(change_url, incident_post()).status_code == 403
    signed_in(client, personas["editor"])
    assert client.get(reverse("admin:cases_incident_delete", args=[incident.pk])).status_code == 200


# --- Review status --------------------------------------------------------------------------


def test_a_coder_cannot_publish(client, personas, data):
    signed_in(client, personas["coder"])
    offered = client.get(ADD).context["adminform"].form.fields["review_status"].widget.choices
    assert "published" not in [code for code, _ in offered]

    before = Incident.objects.count()
    response = client.post(
        ADD, incident_post(review_status="published", citations=[citation(data["source"])])
    )
    assert response.status_code == 200
    assert "Only an editor or admin can publish" in all_errors(response)
    assert Incident.objects.count() == before


def test_an_editor_cannot_add_an_incident_as_published(client, personas, data):
    """Publishing goes through review (tests/test_review.py): a new incident is a draft."""
    signed_in(client, personas["editor"])
    response = client.post(
        ADD, incident_post(review_status="published", citations=[citation(data["source"])])
    )
    assert response.status_code == 200
    assert "A new incident starts as a draft" in all_errors(response)
    assert not Incident.objects.filter(title="Detained in Moscow on a Red Notice").exists()


def test_a_coder_can_read_but_not_change_a_published_incident(client, personas, data):
    """Once published, a record changes only under an editor's eye: a coder's change would
    otherwise reach the public site unreviewed."""
    incident = data["incident"]
    url = reverse("admin:cases_incident_change", args=[incident.pk])
    signed_in(client, personas["coder"])
    page = client.get(url)
    assert page.status_code == 200
    assert not page.context["has_change_permission"]
    before = Incident.objects.get(pk=incident.pk).title
    refused = client.post(url, {"title": "changed by a coder"})
    assert refused.status_code == 403
    assert Incident.objects.get(pk=incident.pk).title == before
    signed_in(client, personas["editor"])
    assert client.get(url).context["has_change_permission"]


# --- Cross-record rules ---------------------------------------------------------------------


def test_a_proxy_incident_without_a_linked_relative_is_refused_and_nothing_is_stored(
    client, personas, data
):
    signed_in(client, personas["coder"])
    before = (Incident.objects.count(), IncidentTactic.objects.count())
    response = client.post(
        ADD,
        incident_post(
            title="Relatives summoned in Kulob",
            is_proxy=True,
            tactics=["proxy_detention"],
            country="TJ",
            involvements=[involvement(data["exile"], "target")],
        ),
    )
    assert response.status_code == 200
    assert "a proxy incident needs a targeted relative linked to the exile" in all_errors(response)
    assert (Incident.objects.count(), IncidentTactic.objects.count()) == before


def test_a_proxy_incident_with_a_linked_relative_is_stored_at_stage_1(client, personas, data):
    signed_in(client, personas["coder"])
    response = client.post(
        ADD,
        incident_post(
            title="Relatives summoned in Kulob",
            is_proxy=True,
            tactics=["proxy_detention", "proxy_assault"],
            country="TJ",
            involvements=[involvement(data["daughter"], "relative_targeted", data["exile"])],
        ),
    )
    assert response.status_code == 302, all_errors(response)
    stored = Incident.objects.get(title="Relatives summoned in Kulob")
    assert stored.stage == 1
    assert stored.involvements.get().linked_exile == data["exile"]


def test_a_targeted_relative_needs_the_exile_as_a_row_error(client, personas, data):
    signed_in(client, personas["coder"])
    response = client.post(
        ADD,
        incident_post(
            is_proxy=True,
            tactics=["proxy_detention"],
            country="TJ",
            involvements=[involvement(data["daughter"], "relative_targeted")],
        ),
    )
    assert response.status_code == 200
    assert "a targeted relative needs the exile they were targeted for" in all_errors(response)


def test_an_unchanged_published_proxy_incident_saves_and_loses_no_rows(client, personas, data):
    incident = data["incident"]
    signed_in(client, personas["editor"])
    url = reverse("admin:cases_incident_change", args=[incident.pk])
    response = client.post(url, unchanged_post(client.get(url)))
    assert response.status_code == 302, all_errors(response)
    incident.refresh_from_db()
    assert (incident.stage, incident.review_status) == (1, "published")
    assert sorted(incident.tactic_codes) == ["proxy_mob", "proxy_public_shaming"]
    assert incident.citations.count() == incident.involvements.count() == 1


def test_removing_the_last_citation_of_a_published_incident_is_refused(client, personas, data):
    incident = data["incident"]
    signed_in(client, personas["editor"])
    url = reverse("admin:cases_incident_change", args=[incident.pk])
    post = unchanged_post(client.get(url))
    post["citations-0-DELETE"] = "on"
    response = client.post(url, post)
    assert response.status_code == 200
    assert "a published incident needs at least one citation" in all_errors(response)
    assert incident.citations.count() == 1


def test_the_model_rules_show_as_field_errors(client, personas, data):
    signed_in(client, personas["coder"])
    response = client.post(
        ADD, incident_post(place_precision="city", date="2017-02-30", date_end="2016")
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "needs a place name" in str(errors["place"])
    assert "there is no day 30" in str(errors["date"])


def test_an_incident_needs_a_tactic(client, personas, data):
    signed_in(client, personas["coder"])
    response = client.post(ADD, incident_post(tactics=[]))
    assert response.status_code == 200
    assert "at least one tactic is required" in str(
        response.context["adminform"].form.errors["tactics"]
    )


# --- Tactics and stage ----------------------------------------------------------------------


def test_adding_an_incident_with_tactics_derives_its_stage(client, personas, data):
    signed_in(client, personas["coder"])
    response = client.post(ADD, incident_post(tactics=["interpol_notice", "detention_abroad"]))
    assert response.status_code == 302, all_errors(response)
    stored = Incident.objects.get(title="Detained in Moscow on a Red Notice")
    assert sorted(stored.tactic_codes) == ["detention_abroad", "interpol_notice"]
    assert stored.stage == 2
    assert (stored.year, stored.date_precision) == (2017, "month")

    change_url = reverse("admin:cases_incident_change", args=[stored.pk])
    response = client.post(change_url, incident_post(tactics=["interpol_notice", "extradition"]))
    assert response.status_code == 302, all_errors(response)
    stored.refresh_from_db()
    assert sorted(stored.tactic_codes) == ["extradition", "interpol_notice"]
    assert stored.stage == 3


def test_the_tactics_are_grouped_by_stage_with_codebook_labels(client, personas):
    signed_in(client, personas["coder"])
    html = client.get(ADD).content.decode()
    for heading in (
        "Stage 1: on notice",
        "Stage 2: detained",
        "Stage 3: rendered or attacked",
        "Proxy: acts against relatives at home",
    ):
        assert heading in html
    assert "Mob at the family home" in html


def test_a_required_country_starts_empty_instead_of_on_the_first_country(client, personas):
    signed_in(client, personas["coder"])
    form = client.get(ADD).context["adminform"].form
    for name in ("country", "origin_country"):
        assert form[name].value() in ("", None)
        assert form.fields[name].choices[0][0] == ""
    response = client.post(ADD, incident_post(country=""))
    assert "This field is required" in str(response.context["adminform"].form.errors["country"])


def test_the_tactic_filter_uses_codebook_labels(client, personas, data):
    signed_in(client, personas["viewer"])
    response = client.get(CHANGELIST + "?tactics__tactic=proxy_mob")
    assert response.context["cl"].result_count == 1
    assert "Mob at the family home (proxy)" in response.content.decode()
    assert client.get(CHANGELIST + "?tactics__tactic=rendition").context["cl"].result_count == 0


# --- Persons ---------------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", ["Khodoydodova", "Худойдодова"])
def test_the_person_search_finds_every_spelling(client, personas, data, spelling):
    signed_in(client, personas["viewer"])
    response = client.get(reverse("admin:cases_person_changelist"), {"q": spelling})
    assert [p.display_name for p in response.context["cl"].result_list] == ["Shabnam Khudoydodova"]


def test_the_person_form_writes_the_ticked_categories(client, personas, data):
    exile = data["exile"]
    signed_in(client, personas["coder"])
    url = reverse("admin:cases_person_change", args=[exile.pk])
    names = sorted(exile.names.values_list("value", flat=True))
    page = client.get(url)
    assert page.context["adminform"].form["categories"].value() == ["opposition"]
    post = unchanged_post(page)
    post["categories"] = ["opposition", "civil_society"]
    response = client.post(url, post)
    assert response.status_code == 302, all_errors(response)
    assert sorted(c.category for c in exile.categories.all()) == ["civil_society", "opposition"]
    assert sorted(exile.names.values_list("value", flat=True)) == names


# --- Confidential fields ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "shown"),
    [("viewer", False), ("coder", False), ("editor", True), ("admin", True)],
)
def test_confidential_fields_are_shown_to_editors_and_admins_only(
    client, personas, data, persona, shown
):
    signed_in(client, personas[persona])
    person_page = client.get(reverse("admin:cases_person_change", args=[data["exile"].pk]))
    incident_page = client.get(reverse("admin:cases_incident_change", args=[data["incident"].pk]))
    assert person_page.status_code == incident_page.status_code == 200
    person_html, incident_html = person_page.content.decode(), incident_page.content.decode()
    assert ("field-contact_details" in person_html) is shown
    assert ("field-confidential_notes" in person_html) is shown
    assert (SECRET_CONTACT in person_html) is shown
    assert (SECRET_NOTE in person_html) is shown
    assert ("field-confidential_notes" in incident_html) is shown
    assert (SECRET_NOTE in incident_html) is shown


def test_a_coder_saving_a_person_leaves_the_confidential_fields_alone(client, personas, data):
    exile = data["exile"]
    signed_in(client, personas["coder"])
    url = reverse("admin:cases_person_change", args=[exile.pk])
    page = client.get(url)
    assert "contact_details" not in page.context["adminform"].form.fields
    post = unchanged_post(page)
    post.update(summary="edited by a coder", contact_details="overwritten")
    response = client.post(url, post)
    assert response.status_code == 302, all_errors(response)
    exile.refresh_from_db()
    assert exile.summary == "edited by a coder"
    assert (exile.contact_details, exile.confidential_notes) == (SECRET_CONTACT, SECRET_NOTE)


@pytest.mark.parametrize(("persona", "shown"), [("coder", False), ("editor", True)])
def test_the_history_hides_confidential_changes_from_uncleared_roles(
    client, personas, data, persona, shown
):
    exile = data["exile"]
    exile.confidential_notes = "moved to a safe house"
    exile.save()
    signed_in(client, personas[persona])
    response = client.get(reverse("admin:cases_person_history", args=[exile.pk]))
    assert response.status_code == 200
    assert ("moved to a safe house" in response.content.decode()) is shown


def test_old_versions_can_be_read_but_not_reverted(client, personas, data):
    exile = data["exile"]
    version = exile.history.earliest()
    url = reverse("admin:cases_person_simple_history", args=[exile.pk, version.history_id])
    signed_in(client, personas["coder"])
    page = client.get(url)
    assert page.status_code == 200
    assert SECRET_CONTACT not in page.content.decode()
    signed_in(client, personas["admin"])
    assert client.post(url, {"display_name": "x"}).status_code == 403
