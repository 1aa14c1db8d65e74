"""Stored statistics: computed once per data generation, never served once the data moved on."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from conftest import DEMO

from exiledb.access import policy
from exiledb.analysis import stats, stored
from exiledb.analysis.filters import Filters
from exiledb.analysis.models import Figures
from exiledb.cases.models import Incident, Relationship
from exiledb.ingest import interchange, writer

pytestmark = pytest.mark.django_db


def _load(doc: dict[str, Any]) -> None:
    writer.apply(interchange.parse_document(copy.deepcopy(doc), "demo.json"))


@pytest.fixture
def demo() -> dict[str, Any]:
    doc = json.loads(DEMO.read_text(encoding="utf-8"))
    _load(doc)
    return doc


def _fresh(user: Any = None, filters: Filters | None = None) -> dict[str, Any]:
    """The figures computed now, as stored.figures would compute them for `user`."""
    if user is None:
        return stats.compute(
            policy.visible_incidents(None), policy.visible_persons(None), filters=filters
        )
    return stats.compute(
        policy.visible_incidents(user),
        policy.visible_persons(user),
        filters=filters,
        relationships=policy.visible(Relationship.objects.all(), user),
    )


def _forbid_computing(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("computed again although the stored figures were current")

    monkeypatch.setattr(stats, "compute", refuse)


def test_stored_figures_are_the_computed_ones_in_the_same_order(demo):
    public = stored.figures()
    internal = stored.figures(internal=True)
    assert public == _fresh()
    assert internal == stats.compute()
    # The order of every mapping (largest first) is part of the figures: JSON text keeps it.
    assert json.dumps(public) == json.dumps(_fresh())
    assert list(public["incidents"]["by_host_country"]) == list(
        _fresh()["incidents"]["by_host_country"]
    )
    assert Figures.objects.filter(audience=policy.PUBLIC).count() == 1
    assert Figures.objects.filter(audience=policy.INTERNAL).count() == 1


def test_a_second_reader_gets_the_stored_row_without_counting_again(demo, monkeypatch):
    first = stored.figures()
    filtered = Filters.parse(min_confidence="probable", since="2014")
    first_filtered = stored.figures(filtered)
    _forbid_computing(monkeypatch)
    assert stored.figures() == first
    assert stored.figures(filtered) == first_filtered
    assert first_filtered != first


def test_an_edit_moves_the_figures_on(demo):
    before = stored.figures()
    published = Incident.objects.filter(review_status="published", visibility="public")
    target = published.filter(is_proxy=False).first()
    assert target is not None
    target.review_status = "draft"
    target.save()  # an editor's unpublishing: signals queue it, the next reader bumps
    after = stored.figures()
    assert after["incidents"]["total"] == before["incidents"]["total"] - 1
    assert after == _fresh()
    # the internal figures still count the draft
    assert stored.figures(internal=True)["incidents"]["total"] == Incident.objects.count()


def test_an_import_moves_the_figures_on(demo):
    before = stored.figures(internal=True)
    doc = copy.deepcopy(demo)
    extra = copy.deepcopy(next(i for i in doc["incidents"] if not i.get("proxy")))
    extra["id"] = "incident/added-by-a-second-import"
    extra["review_status"] = "draft"  # a draft: not in the public index, still counted inside
    doc["incidents"].append(extra)
    _load(doc)
    after = stored.figures(internal=True)
    assert after["incidents"]["total"] == before["incidents"]["total"] + 1
    assert after == stats.compute()


def test_a_relationship_changed_by_import_moves_the_internal_figures_on(demo):
    """Kinship comes from relationships, which an import can change without writing an
    incident."""
    before = stored.figures(internal=True)
    doc = copy.deepcopy(demo)
    assert doc["relationships"], "the demo has family ties"
    changed = doc["relationships"][0]
    changed["kinship"] = "cousin" if changed["kinship"] != "cousin" else "uncle"
    _load(doc)
    after = stored.figures(internal=True)
    assert after == stats.compute()
    assert after["proxy"]["kinship"] != before["proxy"]["kinship"]


@pytest.mark.parametrize("role", ["viewer", "coder", "editor", "admin"])
def test_each_role_reads_the_figures_of_what_it_may_see(demo, personas, role):
    user = personas[role]
    Incident.objects.filter(pk=Incident.objects.order_by("pk").first().pk).update(
        review_status="draft", visibility="confidential"
    )
    Incident.objects.filter(pk=Incident.objects.order_by("-pk").first().pk).update(
        review_status="draft"
    )
    ours = stored.figures(user=user)
    assert ours == _fresh(user)
    public = stored.figures()
    assert public == _fresh()
    assert ours["incidents"]["total"] > public["incidents"]["total"]
    expected = Incident.objects.count() - (0 if policy.may_see_confidential(user) else 1)
    assert ours["incidents"]["total"] == expected
    assert Figures.objects.get(audience=policy.audience(user)).figures == json.dumps(
        ours, ensure_ascii=False
    )


def test_an_editor_without_the_second_factor_reads_the_public_figures(demo, personas):
    editor = personas["editor"]
    editor.is_verified = lambda: False  # as django-otp's middleware marks a password-only login
    assert policy.audience(editor) == policy.PUBLIC
    assert stored.figures(user=editor) == stored.figures()


def test_figures_counted_while_a_write_landed_are_never_read_after_it(demo, monkeypatch):
    """A write that lands while the figures are being counted may be half in them: they are
    kept under the generation the count began at, which the next reader moves past."""
    real = stats.compute

    def racing(*args: Any, **kwargs: Any) -> dict[str, Any]:
        out = real(*args, **kwargs)
        incident = Incident.objects.filter(review_status="published").first()
        incident.review_status = "draft"
        incident.save()  # queued for the index: the data moved on
        return out

    monkeypatch.setattr(stats, "compute", racing)
    raced = stored.figures()
    monkeypatch.setattr(stats, "compute", real)
    after = stored.figures()
    assert after == _fresh()
    assert after["incidents"]["total"] == raced["incidents"]["total"] - 1


def test_figures_from_another_codebook_or_format_are_not_read(demo, monkeypatch):
    stored.figures()
    monkeypatch.setattr(stored, "FORMAT", stored.FORMAT + 1)
    _forbid_computing(monkeypatch)
    with pytest.raises(AssertionError, match="computed again"):
        stored.figures()


def test_filtered_figures_are_kept_up_to_a_limit(demo, monkeypatch):
    monkeypatch.setattr(stored, "FILTERED_KEPT", 3)
    stored.figures()
    for year in range(2010, 2016):
        stored.figures(Filters.parse(since=str(year)))
    assert Figures.objects.count() == 1 + 3
    newest = Figures.objects.exclude(key=stored.key(policy.PUBLIC, Filters()))
    assert sorted(f["since"] for f in newest.values_list("filters", flat=True)) == [
        "2013",
        "2014",
        "2015",
    ]


def test_rows_of_an_older_generation_are_dropped(demo):
    stored.figures()
    stored.figures(Filters.parse(since="2015"))
    assert Figures.objects.count() == 2
    incident = Incident.objects.filter(review_status="published").first()
    incident.summary += " Corrected."
    incident.save()
    stored.figures()
    assert Figures.objects.count() == 1


def test_the_cli_stats_reads_what_the_overview_stored(cli):
    assert cli("demo").returncode == 0
    first = cli("stats", "--json", "--audience", "public")
    assert first.returncode == 0, first.stderr
    again = cli("stats", "--json", "--audience", "public")
    assert again.stdout == first.stdout
    internal = json.loads(cli("stats", "--json").stdout)
    assert internal["incidents"]["total"] >= json.loads(first.stdout)["incidents"]["total"]


@pytest.mark.django_db(transaction=True)
def test_after_a_change_the_overview_shows_the_last_figures_while_new_ones_are_counted(
    settings, client, tmp_path, monkeypatch
):
    import threading

    from conftest import public_site

    public_site(settings, tmp_path)
    settings.EXILEDB_FIGURES_IN_BACKGROUND = True
    _load(json.loads(DEMO.read_text(encoding="utf-8")))
    first = stored.read(stale_ok=True)  # nothing stored yet: counted in the request
    assert first.current
    incident = Incident.objects.filter(review_status="published", is_proxy=False).first()
    incident.review_status = "draft"
    incident.save()
    counting = threading.Event()
    real = stats.compute

    def slow(*args: Any, **kwargs: Any) -> dict[str, Any]:
        counting.wait(30)  # a million incidents: the thread is still counting
        return real(*args, **kwargs)

    monkeypatch.setattr(stats, "compute", slow)
    shown = client.get("/")
    assert shown.status_code == 200
    assert "The latest changes are being counted" in shown.content.decode()
    stale = stored.read(stale_ok=True)
    assert not stale.current and stale.figures == first.figures
    counting.set()
    stored.wait_for_background()
    monkeypatch.setattr(stats, "compute", real)
    fresh = stored.read(stale_ok=True)
    assert fresh.current
    assert fresh.figures["incidents"]["total"] == first.figures["incidents"]["total"] - 1
    assert "The latest changes are being counted" not in client.get("/").content.decode()
    # readers who must not get older figures (the CLI, the API, editions) never do
    incident.review_status = "published"
    incident.save()
    assert stored.figures() == _fresh()
