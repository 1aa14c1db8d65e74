"""The review workflow (draft -> reviewed -> published), the review queue, and the history in
words with restore, as each persona uses them."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from conftest import PERSONAS, signed_in
from django.test import Client
from django.urls import reverse
from test_editor import all_errors, citation, incident_post, unchanged_post

from exiledb.access import audit
from exiledb.access.models import AuditEvent
from exiledb.access.policy import (
    allowed_statuses,
    authors_from_history,
    may_review,
    may_set_status,
    status_refusal,
)
from exiledb.cases.models import Incident, Person, Source
from exiledb.ingest import interchange, writer
from exiledb.vocab.codebook import TACTICS

pytestmark = pytest.mark.django_db

ADD = reverse("admin:cases_incident_add")
QUEUE = reverse("admin:review")
SECRET_TITLE = "Confidential draft about an informant"


@pytest.fixture(autouse=True)
def editor_settings(settings: Any, tmp_path: Any) -> None:
    """As in test_editor: static files without a manifest, a fast password hasher."""
    settings.STATIC_ROOT = tmp_path
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def data(minimal_doc: dict[str, Any]) -> dict[str, Any]:
    writer.apply(interchange.parse_document(minimal_doc))
    return {
        "exile": Person.objects.get(display_name="Shabnam Khudoydodova"),
        "incident": Incident.objects.get(title="Mob at a school in Kulob"),
        "source": Source.objects.get(title="Abuse of Dissidents' Families"),
    }


def change_url(incident: Incident) -> str:
    return reverse("admin:cases_incident_change", args=[incident.pk])


def status_url(incident: Any) -> str:
    return reverse("admin:cases_incident_status", args=[incident.pk])


def history_url(obj: Any) -> str:
    return reverse(f"admin:cases_{obj._meta.model_name}_history", args=[obj.pk])


def public_url(incident: Incident) -> str:
    return reverse("incident", args=[incident.pk])


def add_draft(client: Client, user: Any, source: Source, **fields: Any) -> Incident:
    """An incident added through the editor by `user` (so the history names them)."""
    signed_in(client, user)
    title = fields.pop("title", "Detained in Moscow on a Red Notice")
    response = client.post(ADD, incident_post(title=title, citations=[citation(source)], **fields))
    assert response.status_code == 302, all_errors(response)
    return Incident.objects.get(title=title)


def press(client: Client, incident: Incident, status: str, **extra: Any) -> Any:
    return client.post(status_url(incident), {"status": status, **extra}, follow=True)


def status_of(incident: Incident) -> str:
    return Incident.objects.values_list("review_status", flat=True).get(pk=incident.pk)


def shown_messages(response: Any) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def make(status: str, author: Any = None, visibility: str = "public") -> Incident:
    """An incident stored directly, its one history row by `author`."""
    incident = Incident(
        title=f"A {status} {visibility} incident",
        country="RU",
        origin_country="TJ",
        review_status=status,
        visibility=visibility,
    )
    incident._history_user = author  # type: ignore[attr-defined]
    incident.save()
    return incident


# --- the rules, for every persona ------------------------------------------------------------

# (from, to) -> the personas who may make that move (the author of the draft is nobody here).
MOVES = {
    ("draft", "reviewed"): {"editor", "admin"},
    ("draft", "published"): set(),
    ("reviewed", "published"): {"editor", "admin"},
    ("reviewed", "draft"): {"coder", "editor", "admin"},
    ("published", "draft"): {"editor", "admin"},
    ("published", "reviewed"): set(),
    ("draft", "draft"): set(),
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(("before", "after"), list(MOVES))
def test_the_policy_allows_each_move_to_exactly_the_right_personas(
    personas, persona, before, after
):
    user = personas[persona]
    incident = make(before, author=personas["coder"])
    allowed = persona in MOVES[(before, after)]
    assert may_set_status(user, incident, after) is allowed, status_refusal(user, incident, after)
    assert (after in allowed_statuses(user, incident)) is allowed


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_editors_and_admins_review(personas, persona):
    assert may_review(personas[persona]) is (persona in ("editor", "admin"))


@pytest.mark.parametrize("persona", ["editor", "admin"])
def test_a_reviewer_may_not_review_a_draft_they_wrote(personas, persona):
    own = make("draft", author=personas[persona])
    assert not may_review(personas[persona], own)
    assert "someone else must review it" in (
        status_refusal(personas[persona], own, "reviewed") or ""
    )
    other = "admin" if persona == "editor" else "editor"
    assert may_review(personas[other], own)


def test_an_editor_without_the_second_factor_may_do_nothing(personas):
    editor = personas["editor"]
    editor.is_verified = lambda: False  # a password alone, as django-otp marks the request
    assert allowed_statuses(editor, make("draft"), set()) == []
    assert allowed_statuses(editor, make("reviewed")) == []


def test_an_uncleared_role_cannot_move_a_confidential_incident(personas):
    incident = make("reviewed", visibility="confidential")
    assert not may_set_status(personas["coder"], incident, "draft")
    assert may_set_status(personas["editor"], incident, "draft")


def row(status: str, user: Any, reason: str | None = None, **content: Any) -> Any:
    """A history row as authors_from_history reads it (with the content fields it compares)."""
    fields = {f.attname: None for f in Incident._meta.concrete_fields}
    fields.update(content, review_status=status, updated_at=None)
    return SimpleNamespace(**fields, history_user_id=user, history_change_reason=reason)


def test_the_authors_of_a_draft_are_those_who_wrote_it_since_its_last_review():
    created = row("draft", "coder", title="a")
    edited = row("draft", "editor1", title="b")
    reviewed = row("reviewed", "editor2", "status: reviewed", title="b")
    published = row("published", "editor2", "status: published", title="b")
    changed = row("draft", "editor3", "edited: back to draft", title="c")
    returned = row("draft", "editor2", "status: draft", title="b")
    # newest first
    assert authors_from_history([edited, created]) == {"coder", "editor1"}
    assert authors_from_history([reviewed, edited, created]) == set()
    # a change after publication: only its author wrote the draft under review
    assert authors_from_history([changed, published, reviewed, edited, created]) == {"editor3"}
    # returned to draft without a change: the review is withdrawn, the earlier authors count
    assert authors_from_history([returned, published, reviewed, edited, created]) == {
        "coder",
        "editor1",
    }
    # a status reason on a row that changed the content is still authorship
    forged = row("draft", "editor2", "status: draft", title="forged")
    assert authors_from_history([forged, published, reviewed, edited, created]) == {"editor2"}


# --- the workflow through the editor -----------------------------------------------------------


def test_a_coders_draft_is_reviewed_and_published_by_an_editor_and_only_then_public(
    client, personas, data
):
    draft = add_draft(client, personas["coder"], data["source"])
    assert status_of(draft) == "draft"
    assert client.get(public_url(draft)).status_code == 404

    # the coder can neither review nor publish it
    refused = press(client, draft, "reviewed")
    assert "Only an editor or admin can mark an incident reviewed" in shown_messages(refused)
    assert status_of(draft) == "draft"

    signed_in(client, personas["editor"])
    done = press(client, draft, "reviewed")
    assert "Marked reviewed" in shown_messages(done)
    assert status_of(draft) == "reviewed"
    assert Client().get(public_url(draft)).status_code == 404

    signed_in(client, personas["coder"])
    assert "Only an editor or admin can publish" in shown_messages(
        press(client, draft, "published")
    )
    assert status_of(draft) == "reviewed"

    signed_in(client, personas["editor"])  # the reviewer may publish
    assert "Published" in shown_messages(press(client, draft, "published"))
    assert status_of(draft) == "published"
    assert Client().get(public_url(draft)).status_code == 200

    rows = list(draft.history.order_by("history_date"))
    assert [r.review_status for r in rows] == ["draft", "reviewed", "published"]
    assert [r.history_user.username for r in rows] == ["coder", "editor", "editor"]
    assert [r.history_change_reason for r in rows] == [
        None,
        "status: reviewed",
        "status: published",
    ]
    events = AuditEvent.objects.filter(action="status", object_id=str(draft.pk)).order_by("seq")
    assert [(e.username, e.detail["old"], e.detail["new"]) for e in events] == [
        ("editor", "draft", "reviewed"),
        ("editor", "reviewed", "published"),
    ]
    assert audit.verify().ok


@pytest.mark.parametrize("persona", ["editor", "admin"])
def test_a_reviewer_cannot_review_their_own_draft_but_another_can(client, personas, data, persona):
    draft = add_draft(client, personas[persona], data["source"])
    page = client.get(change_url(draft))
    assert b'value="reviewed"' not in page.content  # no button
    assert "another editor or admin must mark it reviewed" in page.content.decode()
    refused = press(client, draft, "reviewed")
    assert "someone else must review it" in shown_messages(refused)
    assert status_of(draft) == "draft"

    other = personas["admin" if persona == "editor" else "editor"]
    signed_in(client, other)
    assert b'value="reviewed"' in client.get(change_url(draft)).content
    press(client, draft, "reviewed")
    assert status_of(draft) == "reviewed"


def test_an_editor_who_changed_a_coders_draft_cannot_review_it(client, personas, data):
    draft = add_draft(client, personas["coder"], data["source"])
    signed_in(client, personas["editor"])
    post = unchanged_post(client.get(change_url(draft)))
    post["summary"] = "Corrected by the editor."
    assert client.post(change_url(draft), post).status_code == 302
    assert "someone else must review it" in shown_messages(press(client, draft, "reviewed"))
    signed_in(client, personas["admin"])
    press(client, draft, "reviewed")
    assert status_of(draft) == "reviewed"


def test_a_draft_cannot_be_published_without_a_review(client, personas, data):
    draft = add_draft(client, personas["coder"], data["source"])
    signed_in(client, personas["editor"])
    refused = press(client, draft, "published")
    assert "it must be reviewed first" in shown_messages(refused)
    assert status_of(draft) == "draft"


def test_publishing_needs_a_citation(client, personas, data):
    draft = add_draft(client, personas["coder"], data["source"])
    draft.citations.all().delete()
    signed_in(client, personas["editor"])
    press(client, draft, "reviewed")
    refused = press(client, draft, "published")
    assert "a published incident needs at least one citation" in shown_messages(refused)
    assert status_of(draft) == "reviewed"


@pytest.mark.parametrize("persona", ["anonymous", "viewer", "coder", "editor", "admin"])
def test_the_status_buttons_are_shown_only_to_who_may_press_them(client, personas, data, persona):
    draft = add_draft(client, personas["coder"], data["source"])
    reviewed = make("reviewed", author=personas["coder"])
    signed_in(client, personas[persona])
    pages = {
        "draft": client.get(change_url(draft)),
        "reviewed": client.get(change_url(reviewed)),
        "published": client.get(change_url(data["incident"])),
    }
    if persona == "anonymous":
        assert all(p.status_code == 302 for p in pages.values())
        return
    buttons = {
        name: {
            code
            for code in ("draft", "reviewed", "published")
            if f'value="{code}"'.encode() in page.content
            and b'name="review_action"' in page.content
        }
        for name, page in pages.items()
    }
    expected = {
        "viewer": {"draft": set(), "reviewed": set(), "published": set()},
        "coder": {"draft": set(), "reviewed": {"draft"}, "published": set()},
        "editor": {
            "draft": {"reviewed"},
            "reviewed": {"draft", "published"},
            "published": {"draft"},
        },
    }
    expected["admin"] = expected["editor"]
    assert buttons == expected[persona]


@pytest.mark.parametrize("persona", ["anonymous", "viewer", "coder"])
def test_a_forged_status_post_changes_nothing(client, personas, data, persona):
    incident = make("reviewed", author=personas["coder"])
    signed_in(client, personas[persona])
    response = client.post(status_url(incident), {"status": "published"})
    assert status_of(incident) == "reviewed"
    if persona == "anonymous":
        assert response["Location"].startswith("/editor/login/")
    else:
        assert response.status_code == 302
    assert not AuditEvent.objects.filter(action="status").exists()


def test_the_status_page_takes_no_get_and_no_post_without_a_csrf_token(client, personas, data):
    incident = make("draft", author=personas["coder"])
    signed_in(client, personas["editor"])
    assert client.get(status_url(incident)).status_code == 405
    strict = signed_in(Client(enforce_csrf_checks=True), personas["editor"])
    assert strict.post(status_url(incident), {"status": "reviewed"}).status_code == 403
    assert status_of(incident) == "draft"


def test_the_status_cannot_be_set_through_the_form(client, personas, data):
    """The change form shows the status read-only: a posted review_status is ignored, and the
    add form takes only 'draft'."""
    reviewed = make("reviewed", author=personas["coder"])
    signed_in(client, personas["editor"])
    page = client.get(change_url(reviewed))
    assert "review_status" not in page.context["adminform"].form.fields
    post = unchanged_post(page)
    post["review_status"] = "published"
    client.post(change_url(reviewed), post)
    assert status_of(reviewed) == "reviewed"

    for persona in ("coder", "editor"):
        signed_in(client, personas[persona])
        offered = client.get(ADD).context["adminform"].form.fields["review_status"].widget.choices
        assert [code for code, _ in offered] == ["draft"]
        for forged in ("reviewed", "published"):
            response = client.post(
                ADD,
                incident_post(
                    title=f"forged {forged}",
                    review_status=forged,
                    citations=[citation(data["source"])],
                ),
            )
            assert response.status_code == 200
            assert "review_status" in response.context["adminform"].form.errors
            assert not Incident.objects.filter(title=f"forged {forged}").exists()


def test_changing_a_published_incident_sends_it_back_to_draft(client, personas, data):
    incident = data["incident"]
    assert client.get(public_url(incident)).status_code == 200
    signed_in(client, personas["editor"])
    page = client.get(change_url(incident))
    assert "takes it off the public site" in page.content.decode()
    post = unchanged_post(page)
    post["summary"] = "A new paragraph nobody has reviewed."
    response = client.post(change_url(incident), post, follow=True)
    assert "took the incident off the public site" in shown_messages(response)
    assert status_of(incident) == "draft"
    assert Client().get(public_url(incident)).status_code == 404
    latest = incident.history.latest("history_date")
    assert (latest.review_status, latest.history_change_reason) == (
        "draft",
        "edited: back to draft",
    )
    assert latest.summary == "A new paragraph nobody has reviewed."
    event = AuditEvent.objects.get(action="status")
    assert (event.detail["old"], event.detail["new"], event.detail["why"]) == (
        "published",
        "draft",
        "content changed",
    )
    # the editor changed it: someone else reviews it
    assert "someone else must review it" in shown_messages(press(client, incident, "reviewed"))


def test_saving_without_a_change_keeps_the_status_and_writes_no_version(client, personas, data):
    incident = data["incident"]
    before = incident.history.count()
    signed_in(client, personas["editor"])
    response = client.post(change_url(incident), unchanged_post(client.get(change_url(incident))))
    assert response.status_code == 302, all_errors(response)
    assert status_of(incident) == "published"
    assert incident.history.count() == before


def test_a_coder_changing_a_reviewed_incident_sends_it_back_to_draft(client, personas, data):
    reviewed = make("reviewed", author=personas["editor"])
    reviewed.tactics.create(tactic="detention_abroad")
    signed_in(client, personas["coder"])
    post = unchanged_post(client.get(change_url(reviewed)))
    post["title"] = "Detained in Moscow, then released"
    response = client.post(change_url(reviewed), post, follow=True)
    assert "sent the incident back to draft" in shown_messages(response)
    assert status_of(reviewed) == "draft"


def test_returning_to_draft(client, personas, data):
    published = data["incident"]
    signed_in(client, personas["coder"])
    assert "Only an editor or admin can take" in shown_messages(press(client, published, "draft"))
    assert status_of(published) == "published"
    signed_in(client, personas["editor"])
    press(client, published, "draft")
    assert status_of(published) == "draft"
    assert Client().get(public_url(published)).status_code == 404


def test_the_list_actions_ask_the_policy_for_each_incident(client, personas, data):
    own = add_draft(client, personas["editor"], data["source"], title="Written by the editor")
    theirs = add_draft(client, personas["coder"], data["source"], title="Written by the coder")
    changelist = reverse("admin:cases_incident_changelist")
    signed_in(client, personas["coder"])
    offered = [
        a[0]
        for a in client.get(changelist)
        .context["cl"]
        .model_admin.get_action_choices(client.get(changelist).wsgi_request)
    ]
    assert "mark_reviewed" not in offered and "publish" not in offered
    signed_in(client, personas["editor"])
    response = client.post(
        changelist,
        {"action": "mark_reviewed", "_selected_action": [own.pk, theirs.pk]},
        follow=True,
    )
    assert status_of(theirs) == "reviewed"
    assert status_of(own) == "draft"
    assert "someone else must review it" in shown_messages(response)


# --- the queue ---------------------------------------------------------------------------------


@pytest.fixture
def queue_data(client: Client, personas: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    found = {
        "coder_draft": add_draft(client, personas["coder"], data["source"], title="Coder draft"),
        "editor_draft": add_draft(client, personas["editor"], data["source"], title="Editor draft"),
        "secret_draft": make("draft", author=personas["coder"], visibility="confidential"),
        "reviewed": make("reviewed", author=personas["coder"]),
    }
    found["secret_draft"].title = SECRET_TITLE
    found["secret_draft"].save()
    client.logout()
    return found


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_review_queue_per_persona(client, personas, queue_data, persona):
    signed_in(client, personas[persona])
    response = client.get(QUEUE)
    if persona == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith("/editor/login/")
        return
    assert response.status_code == 200
    html = response.content.decode()
    drafts = {e.incident.title: e for e in response.context["drafts"]}
    reviewed = [e.incident.title for e in response.context["reviewed"]]
    cleared = persona in ("editor", "admin")
    expected_drafts = {"Coder draft", "Editor draft"} | ({SECRET_TITLE} if cleared else set())
    assert set(drafts) == expected_drafts
    assert (SECRET_TITLE in html) is cleared
    assert reviewed == ["A reviewed public incident"]
    assert "Mob at a school in Kulob" not in html  # published: not in the queue
    assert drafts["Coder draft"].author_names == ["coder"]
    can_review = {t for t, e in drafts.items() if any(c == "reviewed" for c, _ in e.actions)}
    can_publish = [
        e.incident.title
        for e in response.context["reviewed"]
        if any(c == "published" for c, _ in e.actions)
    ]
    if persona == "editor":
        assert drafts["Editor draft"].yours
        assert "yours: needs someone else" in html
        assert can_review == {"Coder draft", SECRET_TITLE}
    elif persona == "admin":
        assert can_review == expected_drafts
    else:
        assert can_review == set()
    assert can_publish == (["A reviewed public incident"] if cleared else [])
    # the index links to it, with counts the reader may know
    index = client.get(reverse("admin:index")).content.decode()
    assert QUEUE in index
    assert f"{len(expected_drafts)} drafts await review" in index


def test_reviewing_from_the_queue_comes_back_to_the_queue(client, personas, queue_data):
    signed_in(client, personas["editor"])
    response = client.post(
        status_url(queue_data["coder_draft"]), {"status": "reviewed", "next": QUEUE}
    )
    assert response["Location"] == QUEUE
    assert status_of(queue_data["coder_draft"]) == "reviewed"
    outside = client.post(
        status_url(queue_data["reviewed"]), {"status": "published", "next": "https://evil.example/"}
    )
    assert outside["Location"] == change_url(queue_data["reviewed"])


# --- the history in words and restoring a version ---------------------------------------------


def test_the_history_reads_as_labels_and_dates_as_written(client, personas, data):
    draft = add_draft(client, personas["coder"], data["source"])
    post = unchanged_post(client.get(change_url(draft)))
    post.update(
        country="KZ",
        date="2017-03-14",
        tactics=["interpol_notice", "extradition"],
        host_state_role="refused",
    )
    assert client.post(change_url(draft), post).status_code == 302
    signed_in(client, personas["editor"])
    press(client, draft, "reviewed")
    signed_in(client, personas["viewer"])
    response = client.get(history_url(draft))
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "Russian Federation (RU)",  # country: labels, not codes
        "Kazakhstan (KZ)",
        "2017-03",  # dates as written, not invented days
        "2017-03-14",
        TACTICS.label("extradition"),  # tactics added
        TACTICS.label("detention_abroad"),  # tactics removed
        "Stage 2: detained",
        "Stage 3: rendered or attacked",
        "Marked reviewed",
        "by coder",
        "by editor",
    ):
        assert text in html, text
    version = response.context["versions"][1]  # the coder's change
    changes = {c.label: (c.old, c.new) for c in version.changes}
    assert changes["Country"] == ("Russian Federation (RU)", "Kazakhstan (KZ)")
    assert changes["Date"] == ("2017-03", "2017-03-14")
    assert changes["Host state role"][1] != "refused"  # the label, not the code
    assert version.added == [TACTICS.label("extradition")]
    assert version.removed == [TACTICS.label("detention_abroad")]
    assert "detention_abroad" not in html and "interpol_notice" not in html
    # a viewer may not restore: no link
    assert "Restore this version" not in html


def test_the_history_hides_versions_from_when_the_record_was_confidential(client, personas, data):
    incident = make("draft", author=personas["editor"], visibility="confidential")
    incident.title = "Still secret: the informant's village"
    incident.save()
    incident.title = "Made restricted, title changed"
    incident.visibility = "restricted"
    incident.save()
    signed_in(client, personas["coder"])
    html = client.get(history_url(incident)).content.decode()
    assert "informant" not in html
    assert "Made restricted, title changed" in html
    old = incident.history.earliest("history_date")
    version_url = reverse("admin:cases_incident_simple_history", args=[incident.pk, old.history_id])
    assert client.get(version_url).status_code == 404
    signed_in(client, personas["editor"])
    assert "informant" in client.get(history_url(incident)).content.decode()
    assert client.get(version_url).status_code == 200


def test_restoring_a_published_incident_makes_a_new_draft_version(client, personas, data):
    incident = data["incident"]
    original = incident.history.earliest("history_date")
    signed_in(client, personas["editor"])
    post = unchanged_post(client.get(change_url(incident)))
    post.update(title="A wrong title", tactics=["proxy_mob"])
    client.post(change_url(incident), post)
    signed_in(client, personas["admin"])
    press(client, incident, "reviewed")
    press(client, incident, "published")
    assert Client().get(public_url(incident)).status_code == 200
    versions = incident.history.count()

    restore_url = reverse("admin:cases_incident_restore", args=[incident.pk, original.history_id])
    assert restore_url in client.get(history_url(incident)).content.decode()
    page = client.get(restore_url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "A wrong title" in html and "Mob at a school in Kulob" in html
    assert "Public shaming" in html  # the tactic it brings back
    assert "Restoring takes it off the public site" in html
    assert Incident.objects.get(pk=incident.pk).title == "A wrong title"  # GET changes nothing

    response = client.post(restore_url, follow=True)
    assert "Restored the version of" in shown_messages(response)
    restored = Incident.objects.get(pk=incident.pk)
    assert restored.title == "Mob at a school in Kulob"
    assert sorted(restored.tactic_codes) == ["proxy_mob", "proxy_public_shaming"]
    assert restored.review_status == "draft"
    assert restored.stage == 1
    assert incident.history.count() == versions + 1
    latest = incident.history.latest("history_date")
    assert latest.history_change_reason.startswith("restore: ")
    assert latest.history_user == personas["admin"]
    assert Client().get(public_url(incident)).status_code == 404
    event = AuditEvent.objects.filter(action="status").latest("seq")
    assert (event.detail["new"], event.detail["why"]) == ("draft", "restored")
    # the history says so, in words
    assert "Restored an earlier version" in client.get(history_url(incident)).content.decode()


@pytest.mark.parametrize(
    ("persona", "expected"), [("viewer", 403), ("coder", 403), ("editor", 200), ("admin", 200)]
)
def test_only_who_may_change_the_record_may_restore(client, personas, data, persona, expected):
    incident = data["incident"]  # published: coders may not change it
    incident.summary = "changed"
    incident.save()
    version = incident.history.earliest("history_date")
    url = reverse("admin:cases_incident_restore", args=[incident.pk, version.history_id])
    signed_in(client, personas[persona])
    assert client.get(url).status_code == expected
    assert client.post(url).status_code in (expected, 302)
    assert Incident.objects.get(pk=incident.pk).summary == "changed" or expected == 200
    if expected == 403:
        assert "Restore this version" not in client.get(history_url(incident)).content.decode()


def test_a_coder_restores_a_person_without_touching_confidential_fields(client, personas, data):
    exile = data["exile"]
    exile.summary = "Left in 2015."
    exile.save()
    first = exile.history.earliest("history_date")
    exile.summary = "Left in 2015; vandalised."
    exile.contact_details = "Signal +992 00 000 0000"
    exile.save()
    signed_in(client, personas["coder"])
    middle = exile.history.order_by("history_date")[1]
    url = reverse("admin:cases_person_restore", args=[exile.pk, middle.history_id])
    page = client.get(url).content.decode()
    assert "vandalised" in page and "Signal" not in page
    assert client.post(url).status_code == 302
    exile.refresh_from_db()
    assert exile.summary == "Left in 2015."
    assert exile.contact_details == "Signal +992 00 000 0000"  # not the coder's to restore
    assert first.history_id != middle.history_id


def test_restoring_needs_a_csrf_token(personas, data):
    incident = data["incident"]
    incident.summary = "changed"
    incident.save()
    version = incident.history.earliest("history_date")
    url = reverse("admin:cases_incident_restore", args=[incident.pk, version.history_id])
    strict = signed_in(Client(enforce_csrf_checks=True), personas["editor"])
    assert strict.post(url).status_code == 403
    assert Incident.objects.get(pk=incident.pk).summary == "changed"


@pytest.mark.parametrize("persona", ["viewer", "coder"])
def test_the_new_pages_of_a_hidden_incident_answer_like_a_missing_one(
    client, personas, data, persona
):
    import uuid

    hidden = make("draft", author=personas["editor"], visibility="confidential")
    version = hidden.history.get().history_id
    missing = uuid.uuid4()
    signed_in(client, personas[persona])

    def answer(pk: Any) -> Any:
        responses = [
            client.get(reverse("admin:cases_incident_restore", args=[pk, version]), follow=True),
            client.post(status_url(SimpleNamespace(pk=pk)), {"status": "draft"}, follow=True),
            client.get(reverse("admin:cases_incident_history", args=[pk]), follow=True),
        ]
        return [
            (r.status_code, [(u.replace(str(pk), "ID"), s) for u, s in r.redirect_chain])
            for r in responses
        ]

    assert answer(hidden.pk) == answer(missing)
    assert status_of(hidden) == "draft"
