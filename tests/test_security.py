"""Security controls: escaping, harmless search input, headers, lockout, the second factor, the
audit log and redaction - as a hostile state's security service would probe them."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import PASSWORD, signed_in
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from exiledb.access import audit
from exiledb.access.auth import FAILURES_PER_ADDRESS, FAILURES_PER_NAME, LOCKED_MESSAGE, WINDOW
from exiledb.access.models import AuditEvent, LoginAttempt, RemovalRequest
from exiledb.access.redaction import redact
from exiledb.cases.models import Incident, Organization, Person, Relationship, Source
from exiledb.ingest import interchange, writer
from exiledb.ingest.base import record_uuid

pytestmark = pytest.mark.django_db

LOGIN = "/editor/login/"
OTP = "/account/otp/"


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


def load(doc: dict[str, Any]) -> None:
    writer.apply(interchange.parse_document(doc, "x.json"))


def uid(kind: str, local_id: str) -> Any:
    return record_uuid(kind, local_id)


# --- XSS ------------------------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
RAW = (SCRIPT, "<img src=x onerror=alert(1)>")


def xss(field: str) -> str:
    """A payload that says which field it was planted in."""
    return f"{field}:{SCRIPT}{IMG}"


def xss_doc() -> dict[str, Any]:
    """A published incident, persons, a source and an organisation with a payload in every text
    field."""
    return {
        "format": "exiledb/1",
        "organizations": [
            {
                "id": "org/x",
                "name": xss("org.name"),
                "abbreviation": f"ab:{SCRIPT}",
                "other_names": [xss("org.other_names")],
                "summary": xss("org.summary"),
                "designations": [
                    {
                        "type": "banned",
                        "by_country": "TJ",
                        "authority": xss("designation.authority"),
                        "note": xss("designation.note"),
                    }
                ],
            }
        ],
        "sources": [
            {
                "id": "src/x",
                "type": "news",
                "title": xss("source.title"),
                "publisher": xss("source.publisher"),
                "author": xss("source.author"),
                "url": "https://example.org/" + xss("source.url"),
                "archive_url": "https://archive.example.org/" + xss("source.archive_url"),
                "note": xss("source.note"),
            }
        ],
        "persons": [
            {
                "id": "person/x",
                "display_name": xss("person.display_name"),
                "names": [{"value": xss("name.value"), "note": xss("name.note")}],
                "origin_country": "TJ",
                "summary": xss("person.summary"),
                "contact_details": xss("person.contact_details"),
                "confidential_notes": xss("person.confidential_notes"),
                "residences": [
                    {
                        "country": "DE",
                        "place": xss("residence.place"),
                        "note": xss("residence.note"),
                    }
                ],
                "affiliations": [{"organization": "org/x", "note": xss("affiliation.note")}],
            },
            {
                "id": "person/y",
                "display_name": xss("relative.display_name"),
                "may_be_named": False,
                "pseudonym": xss("relative.pseudonym"),
            },
        ],
        "relationships": [
            {
                "id": "rel/x",
                "person": "person/y",
                "kinship": "brother",
                "other": "person/x",
                "note": xss("relationship.note"),
            }
        ],
        "incidents": [
            {
                "id": "incident/x",
                "title": xss("incident.title"),
                "summary": xss("incident.summary"),
                "date": "2017-03",
                "country": "RU",
                "region": xss("incident.region"),
                "place": xss("incident.place"),
                "place_precision": "city",
                "origin_country": "TJ",
                "tactics": ["detention_abroad"],
                "trigger_event": xss("incident.trigger_event"),
                "perpetrators": ["org/x"],
                "involvements": [
                    {"person": "person/x", "role": "target", "note": xss("involvement.note")},
                    {
                        "role": "witness",
                        "description": xss("involvement.description"),
                    },
                ],
                "citations": [
                    {
                        "source": "src/x",
                        "locator": xss("citation.locator"),
                        "quote": xss("citation.quote"),
                        "note": xss("citation.note"),
                    }
                ],
                "review_status": "published",
                "confidential_notes": xss("incident.confidential_notes"),
            }
        ],
    }


# Where the editor shows each field (the escaped payload must be on that page).
SHOWN_ON = {
    ("incident", "incident/x"): [
        "incident.title",
        "incident.summary.changed",
        "incident.region",
        "incident.place",
        "incident.trigger_event",
        "incident.confidential_notes",
        "involvement.note",
        "involvement.description",
        "citation.locator",
        "citation.quote",
        "citation.note",
    ],
    ("person", "person/x"): [
        "person.display_name",
        "person.summary",
        "person.contact_details",
        "person.confidential_notes",
        "name.value",
        "name.note",
        "residence.place",
        "residence.note",
        "affiliation.note",
        "relationship.note",
    ],
    ("person", "person/y"): ["relative.display_name", "relative.pseudonym"],
    ("source", "src/x"): [
        "source.title",
        "source.publisher",
        "source.author",
        "source.url",
        "source.archive_url",
        "source.note",
    ],
    ("organization", "org/x"): [
        "org.name",
        "org.summary",
        "designation.authority",
        "designation.note",
    ],
    ("relationship", "rel/x"): ["relationship.note"],
}
KINDS = {
    "incident": "incidents",
    "person": "persons",
    "source": "sources",
    "organization": "organizations",
    "relationship": "relationships",
}
MODELS = {
    "incident": Incident,
    "person": Person,
    "source": Source,
    "organization": Organization,
    "relationship": Relationship,
}


def editor_pages() -> list[str]:
    """Every editor page of the case records: lists, searches, change, history, old versions,
    delete confirmations, autocompletes."""
    urls = ["/editor/"]
    for name, model in MODELS.items():
        changelist = reverse(f"admin:cases_{name}_changelist")
        urls += [changelist, f"{changelist}?q=script", reverse(f"admin:cases_{name}_add")]
        for pk in model._default_manager.values_list("pk", flat=True):
            urls += [
                reverse(f"admin:cases_{name}_change", args=[pk]),
                reverse(f"admin:cases_{name}_history", args=[pk]),
                reverse(f"admin:cases_{name}_delete", args=[pk]),
            ]
            for version in model.history.filter(id=pk).values_list("history_id", flat=True):  # type: ignore[attr-defined]
                urls.append(reverse(f"admin:cases_{name}_simple_history", args=[pk, version]))
    return urls


def raw_payloads(content: str) -> list[str]:
    return [raw for raw in RAW if raw in content]


# Where the public pages show each field of the published incident.
SHOWN_PUBLICLY = [
    "incident.title",
    "incident.summary.changed",
    "incident.trigger_event",
    "citation.locator",
    "citation.quote",
    "source.title",
    "source.publisher",
    "source.url",
    "org.name",
]


@pytest.mark.parametrize("persona", ["anonymous", "viewer", "editor"])
def test_xss_payloads_in_every_text_field_come_out_escaped(client, personas, persona):
    from test_canaries import site_urls

    load(xss_doc())
    incident = Incident.objects.get()
    incident.summary = xss("incident.summary.changed")  # so the history shows a change
    incident.save()
    signed_in(client, personas[persona])
    urls = site_urls() + (editor_pages() if persona != "anonymous" else [])
    unescaped = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 302, 403, 404), url
        content = b"".join(response) if getattr(response, "streaming", False) else response.content
        if response["Content-Type"].startswith("text/html"):
            found = raw_payloads(content.decode())
            if found:
                unescaped[url] = found
    assert not unescaped, f"payloads come out raw: {unescaped}"
    # ... and they are shown, escaped, where the fields are (else the test proved nothing).
    missing = []
    public_page = client.get(reverse("incident", args=[incident.pk])).content.decode()
    missing += [
        f"public page lacks {f}" for f in SHOWN_PUBLICLY if escape(xss(f)) not in public_page
    ]
    if persona == "anonymous":
        assert not missing
        return
    for (name, local_id), fields in SHOWN_ON.items():
        page = client.get(
            reverse(f"admin:cases_{name}_change", args=[uid(KINDS[name], local_id)])
        ).content.decode()
        for field in fields:
            if persona == "viewer" and ("confidential" in field or "contact" in field):
                continue
            if escape(xss(field)) not in page:
                missing.append(f"{name} page lacks {field}")
    assert not missing
    history = client.get(reverse("admin:cases_incident_history", args=[incident.pk]))
    if persona == "editor":
        assert escape(xss("incident.summary.changed")) in history.content.decode()


def test_autocomplete_answers_json_that_browsers_will_not_sniff_as_html(client, personas):
    load(xss_doc())
    signed_in(client, personas["coder"])
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "term": "person",
            "app_label": "cases",
            "model_name": "involvement",
            "field_name": "person",
        },
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert [r["text"] for r in response.json()["results"]] == [xss("person.display_name")]


@pytest.mark.parametrize(
    "url",
    [
        f"{LOGIN}?next=/editor/%22%3E%3Cscript%3Ealert(1)%3C/script%3E",
        f"{OTP}?next=/editor/%22%3E%3Cscript%3Ealert(1)%3C/script%3E",
        f"{OTP}?next=javascript:alert(1)",
    ],
)
def test_a_reflected_next_parameter_comes_out_escaped(client, personas, url):
    signed_in(client, personas["editor"], second_factor=False)
    content = client.get(url).content.decode()
    assert raw_payloads(content) == []
    assert 'href="javascript:' not in content and 'value="javascript:' not in content


# --- SQL metacharacters -------------------------------------------------------------------

METACHARACTERS = ["' OR 1=1 --", '"; DROP TABLE cases_incident; --', "%", "_", "\\", "%_%"]


def counts() -> dict[str, int]:
    return {name: model._default_manager.count() for name, model in MODELS.items()}


@pytest.mark.parametrize("persona", ["coder", "editor"])
def test_search_input_with_sql_metacharacters_is_harmless(client, personas, minimal_doc, persona):
    load(minimal_doc)
    before = counts()
    signed_in(client, personas[persona])
    for term in METACHARACTERS:
        for name in MODELS:
            response = client.get(reverse(f"admin:cases_{name}_changelist"), {"q": term})
            assert response.status_code == 200, (name, term)
            if name == "incident":
                # matched literally: no incident text holds these characters
                assert list(response.context["cl"].result_list) == [], term
        response = client.get(
            reverse("admin:autocomplete"),
            {
                "term": term,
                "app_label": "cases",
                "model_name": "involvement",
                "field_name": "person",
            },
        )
        assert response.status_code == 200
        assert response.json()["results"] == []
    assert counts() == before
    incident = client.get(reverse("admin:cases_incident_changelist"), {"q": "Kulob"})
    assert len(incident.context["cl"].result_list) == 1


# --- headers ------------------------------------------------------------------------------


def directives(csp: str) -> dict[str, list[str]]:
    out = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


@pytest.mark.parametrize("url", ["/", "/cases/", "/methodology/", "/data/", LOGIN])
def test_every_page_carries_the_security_headers(client, url):
    response = client.get(url)
    assert response.status_code == 200
    csp = directives(response["Content-Security-Policy"])
    script_src = csp.get("script-src", csp.get("default-src"))
    assert script_src and "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    assert "*" not in script_src and not any(s.startswith("http") for s in script_src)
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] in ("same-origin", "no-referrer", "strict-origin")
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response  # plain HTTP: HSTS would be ignored


def test_the_templates_hold_no_inline_script():
    """CSP forbids inline script; a template that needs one would silently break."""
    from exiledb import settings as exiledb_settings

    templates = sorted(exiledb_settings.BASE_DIR.rglob("*.html"))
    assert templates
    found = []
    for template in templates:
        text = template.read_text(encoding="utf-8")
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\son\w+=", text):
            found.append(str(template))
    assert found == []


@pytest.mark.parametrize("persona", ["viewer", "coder", "editor", "admin"])
def test_pages_for_signed_in_staff_are_never_stored(client, personas, persona, minimal_doc):
    load(minimal_doc)
    signed_in(client, personas[persona])
    for url in ("/", "/data/", "/editor/", reverse("admin:cases_incident_changelist")):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url
    download = client.get("/data/download/json/")
    assert "no-store" in download["Cache-Control"]
    assert b"".join(download.streaming_content)


def test_hsts_is_sent_over_https_when_configured(client, settings):
    settings.SECURE_HSTS_SECONDS = 31536000
    secure = client.get("/", secure=True)
    assert secure["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Strict-Transport-Security" not in client.get("/")


def test_session_and_csrf_cookies_are_http_only_and_same_site(client, personas):
    client.get(LOGIN)  # sets the CSRF cookie
    response = client.post(LOGIN, {"username": "coder", "password": PASSWORD, "next": "/editor/"})
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["httponly"] and session["samesite"] == "Lax"
    csrf = client.cookies["csrftoken"]
    assert csrf["httponly"] and csrf["samesite"] == "Lax"


def test_exiledb_https_makes_the_cookies_secure_and_turns_hsts_on(tmp_path):
    code = (
        "import os; os.environ['DJANGO_SETTINGS_MODULE'] = 'exiledb.settings'; "
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_SECONDS)"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("EXILEDB_")}
    env.update(EXILEDB_DATA_DIR=str(tmp_path), EXILEDB_HTTPS="1")
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert result.stdout.split() == ["True", "True", "31536000"], result.stderr


# --- lockout ------------------------------------------------------------------------------

CSRF_VALUE = re.compile(r'value="[A-Za-z0-9]{32,64}"')


def sign_in_form(client: Any, username: str, password: str, **extra: Any) -> Any:
    return client.post(
        LOGIN, {"username": username, "password": password, "next": "/editor/"}, **extra
    )


def page_for_comparison(response: Any, username: str) -> str:
    return CSRF_VALUE.sub("", response.content.decode()).replace(username, "NAME")


def test_five_wrong_passwords_lock_the_name_even_against_the_right_one(client, personas):
    for _ in range(FAILURES_PER_NAME):
        response = sign_in_form(client, "coder", "wrong password 1234")
        assert response.status_code == 200
        assert LOCKED_MESSAGE not in response.content.decode()
    refused = sign_in_form(client, "coder", PASSWORD)
    assert refused.status_code == 200
    assert LOCKED_MESSAGE in refused.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/editor/").status_code == 302
    events = AuditEvent.objects.filter(username="coder")
    assert events.filter(action="login_failed").count() == FAILURES_PER_NAME
    assert events.filter(action="locked_out").count() == 1
    assert audit.verify().ok
    # Another account is not affected by this name's lock.
    assert sign_in_form(Client(), "viewer", PASSWORD).status_code == 302


def test_an_unknown_name_locks_and_answers_exactly_like_a_real_one(client, personas):
    """No account enumeration: the pages for a real and a made-up name are the same at every
    step, lockout included."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    user = get_user_model().objects.create_user("zarina-k", password=PASSWORD, is_staff=True)
    user.groups.add(Group.objects.get(name="editor"))
    real, ghost = Client(), Client()
    for _ in range(FAILURES_PER_NAME):
        a = sign_in_form(real, "zarina-k", "wrong password 1234")
        b = sign_in_form(ghost, "nobody-xy", "wrong password 1234")
        assert (a.status_code, page_for_comparison(a, "zarina-k")) == (
            b.status_code,
            page_for_comparison(b, "nobody-xy"),
        )
    a, b = sign_in_form(real, "zarina-k", PASSWORD), sign_in_form(ghost, "nobody-xy", PASSWORD)
    assert LOCKED_MESSAGE in b.content.decode()
    assert page_for_comparison(a, "zarina-k") == page_for_comparison(b, "nobody-xy")
    assert AuditEvent.objects.filter(username="nobody-xy", action="locked_out").count() == 1


def test_the_lock_ends_when_the_window_has_passed(client, personas):
    for _ in range(FAILURES_PER_NAME):
        sign_in_form(client, "coder", "wrong password 1234")
    assert LOCKED_MESSAGE in sign_in_form(client, "coder", PASSWORD).content.decode()
    LoginAttempt.objects.update(at=timezone.now() - WINDOW - dt.timedelta(minutes=1))
    response = sign_in_form(client, "coder", PASSWORD)
    assert response.status_code == 302
    assert client.get("/editor/").status_code == 200
    assert AuditEvent.objects.filter(username="coder", action="login").count() == 1


def test_a_name_is_locked_case_insensitively(client, personas):
    for name in ("Coder", "CODER", "coder", "cOdEr", "coDer"):
        sign_in_form(client, name, "wrong password 1234")
    assert LOCKED_MESSAGE in sign_in_form(client, "coder", PASSWORD).content.decode()


def test_failures_from_one_address_lock_that_address(client, personas):
    for n in range(FAILURES_PER_ADDRESS):
        sign_in_form(client, f"guess-{n}", "wrong password 1234", REMOTE_ADDR="203.0.113.9")
    refused = sign_in_form(Client(), "coder", PASSWORD, REMOTE_ADDR="203.0.113.9")
    assert LOCKED_MESSAGE in refused.content.decode()
    elsewhere = sign_in_form(Client(), "coder", PASSWORD, REMOTE_ADDR="198.51.100.7")
    assert elsewhere.status_code == 302


# --- the second factor ----------------------------------------------------------------------


def totp_now(device: Any) -> str:
    from django_otp.oath import totp

    token = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{token:0{device.digits}d}"


@pytest.mark.parametrize("persona", ["editor", "admin"])
def test_a_password_alone_does_not_open_the_editor(client, personas, persona, minimal_doc):
    load(minimal_doc)
    incident = Incident.objects.get()
    response = sign_in_form(client, persona, PASSWORD)
    assert response.status_code == 302
    for url in (
        "/editor/",
        reverse("admin:cases_incident_changelist"),
        reverse("admin:cases_incident_change", args=[incident.pk]),
        reverse("admin:cases_incident_history", args=[incident.pk]),
        f"{reverse('admin:autocomplete')}?term=&app_label=cases&model_name=involvement"
        "&field_name=person",
        reverse("admin:access_auditevent_changelist"),
    ):
        response = client.get(url, follow=True)
        assert response.redirect_chain, url
        assert response.request["PATH_INFO"] == OTP, url
        assert "Kulob" not in response.content.decode()


@pytest.mark.parametrize("persona", ["viewer", "coder"])
def test_viewers_and_coders_need_no_second_factor(client, personas, persona):
    response = sign_in_form(client, persona, PASSWORD)
    assert response.status_code == 302
    assert client.get("/editor/").status_code == 200


def test_enrolling_a_real_totp_code_confirms_the_device_and_shows_ten_codes_once(client, personas):
    from django_otp.plugins.otp_static.models import StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    editor = personas["editor"]
    sign_in_form(client, "editor", PASSWORD)
    setup = client.get(OTP)
    assert setup.status_code == 200 and setup.context["enrol"]
    device = TOTPDevice.objects.get(user=editor, confirmed=False)
    assert setup.context["secret"] in setup.content.decode()
    assert "<svg" in setup.content.decode()

    wrong = client.post(OTP, {"token": "000000" if totp_now(device) != "000000" else "111111"})
    assert wrong.status_code == 200 and "does not match" in wrong.content.decode()
    assert client.get("/editor/").status_code == 302
    device.refresh_from_db()
    assert not device.confirmed
    device.throttling_failure_count = 0  # the wrong code above slowed the next try down
    device.throttling_failure_timestamp = None
    device.save()

    done = client.post(OTP, {"token": totp_now(device)})
    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 10 == len(set(codes))
    assert all(code in done.content.decode() for code in codes)
    device.refresh_from_db()
    assert device.confirmed
    assert StaticToken.objects.filter(device__user=editor).count() == 10
    assert client.get("/editor/").status_code == 200
    assert AuditEvent.objects.filter(username="editor", action="otp_enrolled").count() == 1

    later = Client()  # the next sign-in asks for a code; the recovery codes are not shown again
    sign_in_form(later, "editor", PASSWORD)
    page = later.get(OTP)
    assert not page.context["enrol"]
    assert not any(code in page.content.decode() for code in codes)
    assert "secret" not in page.context or not page.context.get("secret")


def test_a_second_sign_in_cannot_set_up_another_authenticator(client, personas):
    """Whoever has only the password of an enrolled editor must not be offered enrolment."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    signed_in(Client(), personas["editor"])  # enrolled: a confirmed device
    sign_in_form(client, "editor", PASSWORD)
    page = client.get(OTP)
    assert page.status_code == 200 and not page.context["enrol"]
    assert TOTPDevice.objects.filter(user=personas["editor"]).count() == 1


def enrolled_with_recovery_codes(editor: Any) -> list[str]:
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken

    signed_in(Client(), editor)  # a confirmed authenticator
    device = StaticDevice.objects.create(user=editor, name="recovery codes", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(10)]
    for code in codes:
        device.token_set.create(token=code)
    return codes


def test_a_recovery_code_works_once_and_not_twice(personas):
    codes = enrolled_with_recovery_codes(personas["editor"])
    first = Client()
    sign_in_form(first, "editor", PASSWORD)
    response = first.post(OTP, {"token": codes[0], "next": "/editor/"})
    assert response.status_code == 302 and response["Location"] == "/editor/"
    assert first.get("/editor/").status_code == 200

    again = Client()
    sign_in_form(again, "editor", PASSWORD)
    refused = again.post(OTP, {"token": codes[0], "next": "/editor/"})
    assert refused.status_code == 200 and "not valid" in refused.content.decode()
    assert again.get("/editor/").status_code == 302


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "javascript:x"])
def test_the_second_factor_never_sends_anyone_off_site(client, personas, target):
    codes = enrolled_with_recovery_codes(personas["editor"])
    sign_in_form(client, "editor", PASSWORD)
    response = client.post(OTP, {"token": codes[0], "next": target})
    assert response.status_code == 302 and response["Location"] == "/editor/"


def test_a_wrong_code_is_refused(client, personas):
    enrolled_with_recovery_codes(personas["editor"])
    sign_in_form(client, "editor", PASSWORD)
    for token in ("000000", "12345678", "not-a-code"):
        response = client.post(OTP, {"token": token, "next": "/editor/"})
        assert response.status_code == 200, token
        assert "not valid" in response.content.decode()
    assert client.get("/editor/").status_code == 302


def test_nobody_reads_another_accounts_second_factor_secrets_in_the_editor(client, personas):
    """An admin (or whoever holds an admin's session) must not be able to copy an editor's
    authenticator key or recovery codes: with them the second factor is worth nothing, and
    nothing in the log would show it. Resetting is `exiledb user otp-reset`."""
    import base64

    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    codes = enrolled_with_recovery_codes(personas["editor"])
    totp = TOTPDevice.objects.get(user=personas["editor"])
    static = StaticDevice.objects.get(user=personas["editor"])
    secrets = [totp.key, base64.b32encode(totp.bin_key).decode().rstrip("="), *codes]
    signed_in(client, personas["admin"])
    shown = {}
    for url in (
        "/editor/otp_totp/totpdevice/",
        f"/editor/otp_totp/totpdevice/{totp.pk}/change/",
        f"/editor/otp_totp/totpdevice/{totp.pk}/config/",
        f"/editor/otp_totp/totpdevice/{totp.pk}/qrcode/",
        "/editor/otp_static/staticdevice/",
        f"/editor/otp_static/staticdevice/{static.pk}/change/",
    ):
        response = client.get(url)
        content = response.content.decode(errors="replace")
        found = sum(secret in content for secret in secrets)
        if found or (url.endswith("/qrcode/") and response.status_code == 200):
            shown[url] = found or "a QR code of the key"
    assert not shown, f"second-factor secrets are shown: {shown}"


@pytest.mark.parametrize("persona", ["editor", "admin"])
def test_a_password_alone_gets_no_more_than_the_public(client, personas, persona):
    """Until the second factor is given, an editor's or admin's session is read by the policy
    as an anonymous reader's: a stolen password shows no more than the public site."""
    from test_canaries import load_canaries

    from exiledb.access.policy import may_see_confidential, visible_incidents, visible_persons

    load_canaries()
    sign_in_form(client, persona, PASSWORD)
    response = client.get("/")
    assert response.status_code == 200
    assert "Türkiye" not in response.content.decode()  # the confidential incident's country
    user = response.wsgi_request.user
    assert user.is_authenticated and not user.is_verified()
    assert set(visible_incidents(user)) == set(visible_incidents(None))
    assert set(visible_persons(user)) == set(visible_persons(None))
    assert not may_see_confidential(user)


# --- audit ----------------------------------------------------------------------------------


def two_incidents() -> tuple[Incident, Incident]:
    doc = interchange.parse_document(
        {
            "format": "exiledb/1",
            "sources": [{"id": "src/a", "type": "news", "title": "A"}],
            "incidents": [
                {
                    "id": f"incident/{visibility}",
                    "title": f"A {visibility} incident",
                    "country": "RU",
                    "origin_country": "TJ",
                    "tactics": ["threat"],
                    "citations": [{"source": "src/a"}],
                    "review_status": "published",
                    "visibility": visibility,
                }
                for visibility in ("public", "restricted")
            ],
        },
        "x.json",
    )
    writer.apply(doc)
    return (
        Incident.objects.get(visibility="public"),
        Incident.objects.get(visibility="restricted"),
    )


def test_opening_a_restricted_record_is_audited_and_a_public_one_is_not(client, personas):
    public, restricted = two_incidents()
    signed_in(client, personas["coder"])
    assert client.get(reverse("admin:cases_incident_change", args=[public.pk])).status_code == 200
    assert not AuditEvent.objects.filter(action="view").exists()
    assert (
        client.get(reverse("admin:cases_incident_change", args=[restricted.pk])).status_code == 200
    )
    event = AuditEvent.objects.get(action="view")
    assert (event.username, event.object_type, event.object_id, event.visibility) == (
        "coder",
        "incident",
        str(restricted.pk),
        "restricted",
    )
    assert event.detail["address"] == "127.0.0.1"
    assert audit.verify().ok


def test_reading_a_restricted_record_through_its_history_is_audited(client, personas):
    _, restricted = two_incidents()
    signed_in(client, personas["coder"])
    version = restricted.history.values_list("history_id", flat=True).first()  # type: ignore[attr-defined]
    for url in (
        reverse("admin:cases_incident_history", args=[restricted.pk]),
        reverse("admin:cases_incident_simple_history", args=[restricted.pk, version]),
    ):
        before = AuditEvent.objects.filter(action="view").count()
        assert client.get(url).status_code == 200
        assert AuditEvent.objects.filter(action="view").count() == before + 1, url


def test_a_download_is_audited_without_the_readers_address(client, minimal_doc):
    load(minimal_doc)
    response = client.get("/data/download/json/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content)
    event = AuditEvent.objects.get(action="export")
    assert (event.audience, event.detail["format"], event.username) == ("public", "json", "")
    assert "address" not in event.detail


def test_the_chain_detects_a_changed_a_removed_and_an_inserted_event(personas):
    events = [audit.record(personas["coder"], "export", audience="public", n=n) for n in range(5)]
    assert audit.verify().ok and audit.verify().checked == 5

    AuditEvent.objects.filter(seq=events[2].seq).update(detail={"n": 99})
    result = audit.verify()
    assert (result.ok, result.first_bad, result.checked) == (False, events[2].seq, 2)
    AuditEvent.objects.filter(seq=events[2].seq).update(detail=events[2].detail)
    assert audit.verify().ok

    AuditEvent.objects.filter(seq=events[1].seq).delete()
    assert audit.verify().first_bad == events[2].seq


def test_rehashing_a_changed_event_still_breaks_the_chain(personas):
    events = [audit.record(personas["coder"], "view", n=n) for n in range(3)]
    forged = AuditEvent.objects.get(seq=events[1].seq)
    forged.username = "someone-else"
    forged.hash = forged.compute_hash()
    forged.save()
    result = audit.verify()
    assert not result.ok and result.first_bad == events[2].seq


# --- the command line: exports, audit verify, redaction --------------------------------------


def cli_python(tmp_path: Path, code: str) -> str:
    """Run Python against the database of the `cli` fixture (the same URL it builds from
    tmp_path and the process id: see tests/conftest.py), to read or tamper with it."""
    from django.conf import settings

    db = settings.DATABASES["default"]
    env = dict(os.environ)
    env["EXILEDB_DATA_DIR"] = str(tmp_path / "data")
    env["EXILEDB_SECRET_KEY"] = "test-only-secret"
    env["DJANGO_SETTINGS_MODULE"] = "exiledb.settings"
    if db["ENGINE"].endswith("sqlite3"):
        env["EXILEDB_DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    else:
        env["EXILEDB_DATABASE_URL"] = (
            f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/exiledb_cli_{os.getpid()}"
        )
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + code],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


EVENTS = (
    "from exiledb.access.models import AuditEvent; import json; "
    "print(json.dumps([[e.seq, e.action, e.audience, e.detail] "
    "for e in AuditEvent.objects.order_by('seq')]))"
)


def test_exports_are_audited_and_audit_verify_finds_a_changed_or_deleted_event(cli, tmp_path):
    out = tmp_path / "public.json"
    result = cli("export", "--format", "json", "--audience", "public", "--out", str(out))
    assert result.returncode == 0, result.stderr
    # Two more events, so that there is a middle one to tamper with.
    cli_python(
        tmp_path,
        "from exiledb.access import audit\n"
        "for n in range(2): audit.record(None, 'export', audience='internal', n=n)",
    )
    events = json.loads(cli_python(tmp_path, EVENTS))
    assert [e[1:3] for e in events] == [["export", "public"], ["export", "internal"]] + [
        ["export", "internal"]
    ]
    assert events[0][3]["format"] == "json" and events[0][3]["path"] == str(out)

    intact = cli("audit", "verify")
    assert intact.returncode == 0, intact.stderr
    assert "intact: 3 events" in intact.stdout

    first, middle, last = (e[0] for e in events)
    cli_python(
        tmp_path,
        "from exiledb.access.models import AuditEvent\n"
        f"AuditEvent.objects.filter(seq={middle}).update(detail={{'n': 7}})",
    )
    changed = cli("audit", "verify")
    assert changed.returncode == 1
    assert f"broken at event {middle}" in changed.stderr and "changed" in changed.stderr

    cli_python(
        tmp_path,
        "from exiledb.access.models import AuditEvent\n"
        f"AuditEvent.objects.filter(seq={middle}).update(detail={{'n': 0}})\n"
        f"AuditEvent.objects.filter(seq={first}).delete()",
    )
    deleted = cli("audit", "verify")
    assert deleted.returncode == 1
    assert f"broken at event {middle}" in deleted.stderr


def test_redact_removes_a_person_from_public_output_and_keeps_the_internal_trail(
    cli, tmp_path, write_doc, minimal_doc
):
    assert cli("import", str(write_doc(minimal_doc))).returncode == 0
    exile = str(record_uuid("persons", "person/exile"))
    before, after = tmp_path / "before.json", tmp_path / "after.json"
    cli("export", "--format", "json", "--audience", "public", "--out", str(before))
    assert exile in before.read_text(encoding="utf-8")  # else the test proves nothing

    result = cli("redact", exile, "--note", "asked by e-mail")
    assert result.returncode == 0, result.stderr

    cli("export", "--format", "json", "--audience", "public", "--out", str(after))
    text = after.read_text(encoding="utf-8")
    assert exile not in text and "Khudoydodova" not in text and "Худойдодова" not in text
    assert json.loads(text)["incidents"], "the incident stays, without her"
    figures = json.loads(cli("stats", "--json", "--audience", "public").stdout)
    assert figures["cases"]["total"] == 0 and figures["incidents"]["total"] == 1

    recorded = json.loads(
        cli_python(
            tmp_path,
            "from exiledb.access.models import RemovalRequest, AuditEvent\n"
            "from exiledb.ingest.export import export\n"
            "import json, tempfile, pathlib\n"
            "out = pathlib.Path(tempfile.mkdtemp()) / 'internal.json'\n"
            "export('json', 'internal', out)\n"
            "persons = json.loads(out.read_text(encoding='utf-8'))['persons']\n"
            "r = RemovalRequest.objects.get()\n"
            "print(json.dumps([[p['display_name'] for p in persons if p['redacted']], "
            "str(r.person_id), r.status, r.details, r.decided_at is not None, "
            "AuditEvent.objects.filter(action='redact', object_id=str(r.person_id)).count()]))",
        )
    )
    assert recorded == [
        ["Shabnam Khudoydodova"],  # the internal export keeps her, marked redacted
        exile,
        "honoured",
        "asked by e-mail",
        True,
        1,
    ]


def test_the_public_download_is_rebuilt_after_a_redaction(client, settings, minimal_doc):
    from exiledb.access.policy import visible_incidents, visible_persons
    from exiledb.analysis import stats

    load(minimal_doc)
    first = b"".join(client.get("/data/download/json/").streaming_content)
    assert b"Khudoydodova" in first
    assert stats.compute(visible_incidents(None), visible_persons(None))["cases"]["total"] == 1
    redact(Person.objects.get(pk=uid("persons", "person/exile")), None)
    second = b"".join(client.get("/data/download/json/").streaming_content)
    assert b"Khudoydodova" not in second
    assert stats.compute(visible_incidents(None), visible_persons(None))["cases"]["total"] == 0
    assert RemovalRequest.objects.get().status == "honoured"
    # The file from before the redaction is gone from the disk too.
    folders = [p for p in (Path(settings.DATA_DIR) / "exports").iterdir() if p.is_dir()]
    assert len(folders) == 1
    assert not any(b"Khudoydodova" in f.read_bytes() for f in folders[0].iterdir())


def test_the_public_download_is_rebuilt_when_an_incident_is_unpublished(client, minimal_doc):
    load(minimal_doc)
    assert b"Kulob" in b"".join(client.get("/data/download/json/").streaming_content)
    incident = Incident.objects.get()
    incident.visibility = "confidential"
    incident.save()
    assert b"Kulob" not in b"".join(client.get("/data/download/json/").streaming_content)


def test_only_admins_browse_the_audit_log_and_nobody_edits_it(client, personas):
    event = audit.record(personas["coder"], "view")
    url = reverse("admin:access_auditevent_change", args=[event.seq])
    for persona in ("viewer", "coder", "editor"):
        signed_in(client, personas[persona])
        assert client.get(reverse("admin:access_auditevent_changelist")).status_code == 403
        assert client.get(url).status_code in (302, 403)
    signed_in(client, personas["admin"])
    assert client.get(reverse("admin:access_auditevent_changelist")).status_code == 200
    page = client.get(url)
    assert page.status_code == 200 and b'name="_save"' not in page.content
    assert client.post(url, {"action": "login"}).status_code == 403
    assert (
        client.get(reverse("admin:access_auditevent_delete", args=[event.seq])).status_code == 403
    )
    assert client.get(reverse("admin:access_auditevent_add")).status_code == 403


def test_every_registered_model_keeps_out_staff_without_a_role(client, db):
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.create_user("no-role", password=PASSWORD, is_staff=True)
    signed_in(client, staff)
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(LOGIN), url
