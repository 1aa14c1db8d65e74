"""The interface in Russian: every public page, the language switcher, and a complete catalogue.

Readers choose the language with the switcher (a cookie) or their browser's Accept-Language;
URLs stay the same. The catalogue (src/exiledb/locale/ru/LC_MESSAGES/django.po, compiled to
django.mo and shipped) must translate every string the public pages use: a string added
without a translation fails here with its text. scripts/update-translations brings the
catalogue up to date.
"""

from __future__ import annotations

import ast
import gettext
import glob
import html
import io
import json
import re
import tokenize
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import DEMO, REPO
from django.test import Client
from django.utils import translation
from django.utils.translation.template import templatize

from exiledb.analysis import stats
from exiledb.explore.models import Entry, State
from exiledb.ingest import interchange, writer
from exiledb.ingest.base import record_uuid
from exiledb.vocab import COUNTRIES, VOCABULARIES, codebook
from exiledb.vocab.codebook import translated

SRC = REPO / "src" / "exiledb"
LOCALE = SRC / "locale" / "ru" / "LC_MESSAGES"
PO = LOCALE / "django.po"
MO = LOCALE / "django.mo"
# The templates the public (and staff signing in) read: every string in them is translated.
PUBLIC_TEMPLATES = sorted(
    [
        *SRC.glob("templates/*.html"),
        *SRC.glob("public/templates/public/*.html"),
        *SRC.glob("access/templates/access/*.html"),
    ]
)
# The Python whose marked strings reach public pages.
PUBLIC_PYTHON = sorted(
    [
        *SRC.glob("public/*.py"),
        SRC / "access" / "views.py",
        SRC / "explore" / "filters.py",
        SRC / "vocab" / "codebook.py",
        SRC / "vocab" / "countries.py",
    ]
)
GETTEXT_CALLS = {
    "_": (1,),
    "gettext": (1,),
    "gettext_lazy": (1,),
    "gettext_noop": (1,),
    "ngettext": (1, 2),
    "ngettext_lazy": (1, 2),
    "pgettext": (2,),
    "pgettext_lazy": (2,),
    "npgettext": (2, 3),
    "npgettext_lazy": (2, 3),
}
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
PLACEHOLDER = re.compile(r"%(?:\([a-z_]+\))?[sd]")
RU = {"HTTP_ACCEPT_LANGUAGE": "ru"}
UPDATE = "run scripts/update-translations and translate"
UUID_A, UUID_B = "00000000-0000-4000-8000-000000000000", "11111111-1111-4111-8111-111111111111"
PAGES = ["/", "/incidents/", "/cases/", "/map/", "/methodology/", "/data/"]


# --- reading the catalogue ---------------------------------------------------------------------


def po_entries(path: Path = PO) -> list[dict[str, Any]]:
    """The entries of a .po file: msgid, msgid_plural, msgstr (a list), flags, obsolete."""
    entries: list[dict[str, Any]] = []
    entry: dict[str, Any] | None = None
    field = ""
    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if not line:
            if entry is not None:
                entries.append(entry)
            entry = None
            continue
        if entry is None:
            entry = {"msgid": "", "plural": None, "msgstr": {}, "flags": set(), "obsolete": False}
        if line.startswith("#~"):
            entry["obsolete"] = True
            continue
        if line.startswith("#,"):
            entry["flags"] |= {f.strip() for f in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        match = re.match(r"(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")$", line)
        if match:
            keyword, index, value = match.groups()
            field = {"msgid_plural": "plural"}.get(keyword, keyword.split("[")[0])
            if field == "msgstr":
                field = f"msgstr{int(index or 0)}"
                entry["msgstr"][int(index or 0)] = ""
            entry.setdefault(field, "")
            line = value
        text = json.loads(line)  # a C string literal is a JSON string for what .po files hold
        if field.startswith("msgstr"):
            entry["msgstr"][int(field[6:])] += text
        else:
            entry[field] = (entry.get(field) or "") + text
    return entries


@pytest.fixture(scope="module")
def catalogue() -> set[str]:
    """Every msgid (and plural msgid) the catalogue holds."""
    entries = po_entries()
    assert entries and entries[0]["msgid"] == "", "django.po has no header"
    live = [e for e in entries[1:] if not e["obsolete"]]
    return {e["msgid"] for e in live} | {e["plural"] for e in live if e["plural"] is not None}


# --- strings the code uses ---------------------------------------------------------------------


def string_args(source: str, calls: dict[str, tuple[int, ...]]) -> Iterator[str]:
    """The string literals passed to gettext-style calls, as xgettext reads them (adjacent
    literals joined); calls whose argument is not a literal are skipped."""
    tokens = [
        t
        for t in tokenize.generate_tokens(io.StringIO(source).readline)
        if t.type not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT)
    ]
    for i, token in enumerate(tokens[:-1]):
        if token.type != tokenize.NAME or token.string not in calls:
            continue
        if tokens[i + 1].string != "(":
            continue
        args: list[str | None] = []
        current: list[str] = []
        literal = True
        depth = 0
        for tok in tokens[i + 2 :]:
            if tok.string in "([{" and tok.type == tokenize.OP:
                depth += 1
            elif tok.string in ")]}" and tok.type == tokenize.OP:
                if depth == 0:
                    args.append("".join(current) if literal and current else None)
                    break
                depth -= 1
            if depth == 0 and tok.string == "," and tok.type == tokenize.OP:
                args.append("".join(current) if literal and current else None)
                current, literal = [], True
            elif tok.type == tokenize.STRING and depth == 0:
                current.append(ast.literal_eval(tok.string))
            elif not (tok.string == ")" and depth == 0):
                literal = False
        for position in calls[token.string]:
            if len(args) >= position and args[position - 1] is not None:
                yield str(args[position - 1])


def template_msgids(path: Path) -> set[str]:
    """Every msgid of a template's {% translate %} and {% blocktranslate %} tags."""
    text = templatize(path.read_text(encoding="utf-8"))
    # templatize keeps the layout: drop the indentation, which Python's tokenizer would judge
    text = "\n".join(line.strip() for line in text.splitlines())
    return set(string_args(text, GETTEXT_CALLS))


def python_msgids(path: Path) -> set[str]:
    return set(string_args(path.read_text(encoding="utf-8"), GETTEXT_CALLS))


# --- the site in Russian -----------------------------------------------------------------------


@pytest.fixture(autouse=True)
def site(settings: Any, tmp_path: Path) -> Iterator[None]:
    """Tests run without collectstatic's manifest; each leaves the thread in English (the
    locale middleware activates a language and leaves it active after the request)."""
    settings.DATA_DIR = tmp_path
    settings.STATIC_ROOT = tmp_path
    settings.DEBUG = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    yield
    translation.deactivate()


@pytest.fixture
def demo(db: Any) -> dict[str, Any]:
    doc = json.loads(DEMO.read_text(encoding="utf-8"))
    writer.apply(interchange.parse_document(doc, str(DEMO)))
    return doc


def page_text(response: Any) -> str:
    return html.unescape(response.content.decode())


def h1(page: str) -> str:
    found = re.findall(r"<h1[^>]*>(.*?)</h1>", page, re.S)
    assert len(found) == 1, found
    return re.sub(r"<[^>]+>", "", found[0]).strip()


def first_link(page: str, prefix: str) -> str:
    match = re.search(rf'href="({prefix}[0-9a-f-]{{36}}/)"', page)
    assert match, f"no link to {prefix}"
    return match.group(1)


@pytest.mark.parametrize("url", PAGES)
def test_every_public_page_speaks_russian_to_a_russian_browser(client, demo, url):
    response = client.get(url, **RU)
    assert response.status_code == 200
    assert response["Content-Language"] == "ru"
    assert "Accept-Language" in response["Vary"]
    page = page_text(response)
    assert '<html lang="ru">' in page
    assert CYRILLIC.search(h1(page)), h1(page)
    assert ">Обзор</a>" in page and ">Методология</a>" in page  # the navigation too
    # and it stays English for everyone else, at the same address
    english = page_text(Client().get(url, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.8"))
    assert '<html lang="en">' in english
    assert not CYRILLIC.search(h1(english)), h1(english)


def test_russian_pages_show_codebook_labels_countries_and_dates_in_russian(client, demo):
    home = page_text(client.get("/", **RU))
    incident_url = first_link(home, "/incidents/")
    spain = f"/incidents/{record_uuid('incidents', 'incident/gadoev-detained-spain-2014')}/"
    page = page_text(client.get(spain, **RU))
    assert '<html lang="ru">' in page
    assert "Этап 2: задержание" in page  # the stage label from the codebook
    assert "Задержание за рубежом" in page  # a tactic label
    assert "Испания (только страна)" in page  # a country, with its precision
    assert "2014 г. (известен год)" in page
    mob = "incident/yaqubov-mob-khujand-2016-09-22"
    page = page_text(client.get(f"/incidents/{record_uuid('incidents', mob)}/", **RU))
    assert "22 сентября 2016 г." in page  # a day and a month in the genitive
    assert "Khujand (город), Таджикистан" in page  # a place name is data, kept as written
    cases = page_text(client.get("/cases/", **RU))
    assert "Профиль" in page_text(client.get(first_link(cases, "/cases/"), **RU))
    methodology = page_text(client.get("/methodology/", **RU))
    with translation.override("ru"):
        for vocab in VOCABULARIES:
            assert translated(vocab.title) in methodology
            for code in vocab.codes:
                assert translated(code.label) in methodology
                assert translated(code.definition) in methodology
    assert "Threat or intimidation" not in methodology
    assert incident_url


def test_an_incident_and_a_case_page_are_russian_around_their_data(client, demo):
    home = page_text(client.get("/", **RU))
    cases = page_text(client.get("/cases/", **RU))
    for url in (first_link(home, "/incidents/"), first_link(cases, "/cases/")):
        page = page_text(client.get(url, **RU))
        assert '<html lang="ru">' in page, url
        headings = re.findall(r"<h2[^>]*>(.*?)</h2>", page)
        assert headings and all(CYRILLIC.search(h) for h in headings), (url, headings)


def test_the_switcher_works_without_javascript_and_keeps_the_address(demo):
    client = Client(enforce_csrf_checks=True)  # as a browser: the switcher needs no token
    response = client.get("/cases/?sort=stage")
    page = response.content.decode()
    form = re.search(r'<form method="post" action="/language/"[^>]*>(.*?)</form>', page, re.S)
    assert form, "no language switcher"
    body = form.group(1)
    assert '<label for="site-language">' in body and 'id="site-language" name="language"' in body
    assert '<option value="ru" lang="ru">Русский</option>' in body
    assert '<option value="en" lang="en" selected>English</option>' in body
    assert '<button type="submit">' in body
    assert 'name="next" value="/cases/?sort=stage"' in body
    response = client.post("/language/", {"language": "ru", "next": "/cases/?sort=stage"})
    assert response.status_code == 302
    assert response["Location"] == "/cases/?sort=stage"
    cookie = response.cookies["django_language"]
    assert cookie.value == "ru"
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert not cookie["max-age"] and not cookie["expires"]  # gone when the browser closes
    # the cookie wins over the browser's own language
    page = client.get("/cases/?sort=stage", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="ru">' in page
    assert 'name="next" value="/cases/?sort=stage"' in page
    assert '<option value="ru" lang="ru" selected>Русский</option>' in page
    # and back
    client.post("/language/", {"language": "en", "next": "/"})
    assert '<html lang="en">' in client.get("/").content.decode()


def test_a_reader_who_does_not_switch_gets_no_cookie_and_identical_pages(client, demo):
    """The switcher carries no CSRF token: a token would set a cookie on every reader's
    browser and make two answers to the same request differ (a 404 must give no hint)."""
    for url in [*PAGES, f"/incidents/{record_uuid('incidents', 'nothing')}/"]:
        first, second = client.get(url, **RU), client.get(url, **RU)
        assert not first.cookies, (url, first.cookies)
        assert "csrfmiddlewaretoken" not in first.content.decode(), url
        assert first.content == second.content, url
    # a page that is not there says nothing about the request, in either language
    for headers in ({}, RU):
        missing = [client.get(f"/incidents/{uuid}/", **headers) for uuid in (UUID_A, UUID_B)]
        assert [r.status_code for r in missing] == [404, 404]
        assert missing[0].content == missing[1].content
        assert 'name="next"' not in missing[0].content.decode()


def test_the_switcher_refuses_a_foreign_next_and_a_get_changes_nothing(client, demo):
    response = client.post("/language/", {"language": "ru", "next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/"
    response = client.get("/language/?language=ru")
    assert response.status_code in (302, 204)
    assert "django_language" not in response.cookies


def test_downloads_and_the_search_index_keep_english_whatever_the_reader_chose(client, demo):
    response = client.get("/data/download/csv/", **RU)
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        flat = next(n for n in archive.namelist() if n.endswith("incidents_flat.csv"))
        text = archive.read(flat).decode("utf-8-sig")
    assert codebook.TACTICS.label("detention_abroad", translate=False) in text
    assert not CYRILLIC.search(text.split("\n", 1)[0])  # the header
    assert "Задержание за рубежом" not in text
    # The index is the same whoever sets off its rebuild: English data, and the words of both
    # interface languages for codes (so "Испания" and "Spain" both find an incident in Spain).
    State.objects.update(built=False)
    client.get("/incidents/")
    in_english = dict(Entry.objects.values_list("incident_id", "text"))
    State.objects.update(built=False)
    client.get("/incidents/", **RU)  # rebuilds the index in a Russian request
    assert dict(Entry.objects.values_list("incident_id", "text")) == in_english
    words = " ".join(in_english.values())
    assert "detention" in words and "задержание" in words


# --- the codebook ------------------------------------------------------------------------------


def test_codebook_labels_translate_for_display_and_stay_english_as_data():
    threat = codebook.TACTICS.get("threat")
    assert codebook.TACTICS.label("threat") == threat.label == "Threat or intimidation"
    with translation.override("ru"):
        assert codebook.TACTICS.label("threat") == "Угрозы или запугивание"
        assert codebook.TACTICS.label("threat", translate=False) == "Threat or intimidation"
        assert threat.label == "Threat or intimidation"  # the data itself never changes
        assert codebook.TACTICS.choices()[0] == ("threat", "Threat or intimidation")
        assert codebook.TACTICS.label("no_such_code") == "no_such_code"
        assert codebook.TACTICS.label(None) == ""
        assert translated(COUNTRIES["TJ"]) == "Таджикистан"
        from exiledb.vocab import docs

        assert "| `threat` | Threat or intimidation |" in docs.render()


def test_every_codebook_text_and_country_is_in_the_catalogue(catalogue):
    texts = {COUNTRIES[code] for code in COUNTRIES} | set(codebook.GROUPS)
    for vocab in VOCABULARIES:
        texts |= {vocab.title, vocab.description}
        for code in vocab.codes:
            texts |= {code.label, code.definition}
    missing = sorted(t for t in texts if t not in catalogue)
    assert not missing, (
        f"codebook texts not in django.po (run scripts/update-translations): {missing}"
    )


def test_the_floor_note_the_pages_translate_is_in_the_catalogue(catalogue):
    assert stats.FLOOR_NOTE in catalogue, "stats.FLOOR_NOTE changed: update public/views.py"


# --- the catalogue is complete and compiled ----------------------------------------------------


def test_the_catalogue_has_no_untranslated_fuzzy_or_obsolete_entry():
    entries = po_entries()
    header = entries[0]["msgstr"][0]
    assert "Language: ru\n" in header
    assert "nplurals=3;" in header
    assert "fuzzy" not in entries[0]["flags"]
    problems = []
    for e in entries[1:]:
        if e["obsolete"]:
            problems.append(f"obsolete: {e['msgid']!r}")
            continue
        if "fuzzy" in e["flags"]:
            problems.append(f"fuzzy: {e['msgid']!r}")
        forms = [e["msgstr"].get(i, "") for i in range(3 if e["plural"] is not None else 1)]
        if not all(forms):
            problems.append(f"untranslated: {e['msgid']!r}")
        wanted = sorted(PLACEHOLDER.findall(e["msgid"] + (e["plural"] or "")))
        for form in forms:
            found = PLACEHOLDER.findall(form)
            if form and set(found) != set(wanted):
                problems.append(f"placeholders differ: {e['msgid']!r} -> {form!r}")
    assert not problems, "django.po:\n" + "\n".join(problems)


def test_the_compiled_catalogue_matches_the_po_file():
    with MO.open("rb") as fh:
        mo = gettext.GNUTranslations(fh)
    stale = []
    for e in po_entries()[1:]:
        if e["obsolete"]:
            continue
        if e["plural"] is None:
            if mo.gettext(e["msgid"]) != e["msgstr"][0]:
                stale.append(e["msgid"])
        else:
            for n, index in ((1, 0), (3, 1), (5, 2)):
                if mo.ngettext(e["msgid"], e["plural"], n) != e["msgstr"][index]:
                    stale.append(e["msgid"])
    assert not stale, f"django.mo is older than django.po ({UPDATE}): {stale}"


@pytest.mark.parametrize("path", PUBLIC_TEMPLATES, ids=lambda p: str(p.relative_to(SRC)))
def test_every_string_in_the_public_templates_is_translated(catalogue, path):
    msgids = template_msgids(path)
    missing = sorted(m for m in msgids if m not in catalogue)
    assert not missing, (
        f"{path.name}: not in django.po (run scripts/update-translations): {missing}"
    )


@pytest.mark.parametrize("path", PUBLIC_PYTHON, ids=lambda p: str(p.relative_to(SRC)))
def test_every_marked_string_in_the_public_python_is_translated(catalogue, path):
    msgids = python_msgids(path)
    missing = sorted(m for m in msgids if m not in catalogue)
    assert not missing, (
        f"{path.name}: not in django.po (run scripts/update-translations): {missing}"
    )


# Words a public template may show untranslated: the site's name.
UNTRANSLATED_WORDS = {"exiledb"}


def bare_text(source: str) -> list[str]:
    """Text in a template outside {% translate %} and {% blocktranslate %}: what a reader
    would see in English whatever their language."""
    source = re.sub(r"{#.*?#}", "", source, flags=re.S)
    source = re.sub(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", "", source, flags=re.S)
    source = re.sub(r"{%\s*blocktranslate\b.*?{%\s*endblocktranslate\s*%}", "", source, flags=re.S)
    source = re.sub(r"{%.*?%}|{{.*?}}", " ", source, flags=re.S)
    attributes = re.findall(
        r"\b(?:aria-label|title|alt|placeholder|aria-description)=\"([^\"]*)\"", source
    )
    source = re.sub(r"<(script|style)\b.*?</\1>", " ", source, flags=re.S)
    source = re.sub(r"<[^>]*>", " ", source, flags=re.S)
    source = re.sub(r"&[a-z]+;|&#\d+;", " ", source)
    words = re.findall(r"[A-Za-z][A-Za-z'-]+", " ".join([source, *attributes]))
    return [w for w in words if w not in UNTRANSLATED_WORDS]


@pytest.mark.parametrize("path", PUBLIC_TEMPLATES, ids=lambda p: str(p.relative_to(SRC)))
def test_no_public_template_shows_text_outside_a_translate_tag(path):
    found = bare_text(path.read_text(encoding="utf-8"))
    assert not found, f"{path.name}: wrap in {{% translate %}}: {found}"


def test_the_checks_above_see_strings_and_bare_text():
    page = '<p>Hello {% translate "World" %} <a title="Go" class="far">there</a> exiledb</p>'
    assert bare_text(page) == ["Hello", "there", "Go"]
    assert bare_text("{% blocktranslate %}All {{ n }}{% endblocktranslate %}") == []
    assert template_msgids(PUBLIC_TEMPLATES[0]) and len(PUBLIC_TEMPLATES) >= 10
    calls = '_("a" "b"); ngettext("one", "many", n); gettext(name); _(f(x)); y = "no"'
    assert set(string_args(calls, GETTEXT_CALLS)) == {"ab", "one", "many"}
    assert glob.glob(str(LOCALE / "*.po")) == [str(PO)]
