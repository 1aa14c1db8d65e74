"""Writing the public index: one Entry per published incident, through the Publication.

Every title, place and word of search text comes from the access policy's public transform of
the incident and of the persons, sources and organisations it brings, so the index cannot hold
a name, a place or a note the public may not read: a withheld spelling is not searchable, and
an unnameable relative is found only by their public pseudonym.

- `rebuild()` writes the whole index (the importer calls it inside its own transaction, so the
  index never lags a bulk load).
- `fresh()` is called before every read: it rewrites the incidents that edits queued
  (exiledb.explore.signals) and returns the index generation, the key of cached counts.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection, transaction
from django.db.models import F, TextField
from django.db.models.functions import Cast
from django.utils import timezone, translation

from exiledb.access.policy import Publication
from exiledb.cases.models import Incident
from exiledb.ingest import bulk
from exiledb.vocab import COUNTRIES, codebook
from exiledb.vocab.codebook import translated

from . import fulltext, text
from .models import Entry, EntryValue, Pending, State

CHUNK = 2000
BUILD_CHUNK = 5000  # incidents read per range in a full build: fewer, larger queries
LANGUAGES = ("en", "ru")  # the interface languages whose words for codes are indexed


_INCIDENT_FIELDS = (
    "id",
    "title",
    "summary",
    "date",
    "date_end",
    "country",
    "region",
    "place",
    "latitude",
    "longitude",
    "place_precision",
    "origin_country",
    "is_proxy",
    "stage",
    "host_state_role",
    "legal_channel",
    "trigger_event",
    "trigger_date",
    "outcome",
    "victims_estimated",
    "confidence",
    "review_status",
    "visibility",
    "confidential_notes",
)
DERIVED = ("date_earliest", "year")  # read with the record, kept beside it


def incident_records(
    ids: Sequence[Any],
    derived: dict[str, dict[str, Any]] | None = None,
    span: tuple[Any, Any] | None = None,
) -> list[dict[str, Any]]:
    """The canonical records (exiledb.ingest.serialize.incident's shape) of these incidents,
    read with a few plain queries instead of model instances: the index reads a million.

    With `span` (the first and last of `ids` in key order), rows are read by key range rather
    than by a list of thousands of keys, and those of other incidents in the range dropped."""
    from exiledb.cases.models import Citation, IncidentTactic, Involvement

    def coord(value: Any) -> float | None:
        return None if value is None else round(float(value), 6)

    recs: dict[str, dict[str, Any]] = {}
    derived = {} if derived is None else derived
    wanted = {str(pk) for pk in ids}
    mine = {"pk__range": span} if span else {"pk__in": ids}
    theirs = {"incident__gte": span[0], "incident__lte": span[1]} if span else {"incident__in": ids}
    for row in Incident.objects.filter(**mine).order_by("pk").values(*_INCIDENT_FIELDS, *DERIVED):
        if str(row["id"]) not in wanted:
            continue
        rec = dict(row)
        derived[str(rec["id"])] = {key: rec.pop(key) for key in DERIVED}
        rec["id"] = str(rec["id"])
        rec["proxy"] = rec.pop("is_proxy")
        rec["latitude"], rec["longitude"] = coord(rec["latitude"]), coord(rec["longitude"])
        rec.update(tactics=[], perpetrators=[], involvements=[], citations=[])
        recs[rec["id"]] = rec
    for incident, tactic in (
        IncidentTactic.objects.filter(**theirs)
        .order_by("pk")
        .values_list(_text("incident"), "tactic")
    ):
        if (found := recs.get(_key(incident))) is not None:
            found["tactics"].append(tactic)
    for incident, org in Incident.perpetrators.through.objects.filter(**theirs).values_list(
        _text("incident"), _text("organization")
    ):
        if (found := recs.get(_key(incident))) is not None:
            found["perpetrators"].append(_key(org))
    for rec in recs.values():
        rec["perpetrators"].sort()
    for incident, person, role, exile, description, note in (
        Involvement.objects.filter(**theirs)
        .order_by("pk")
        .values_list(
            _text("incident"), _text("person"), "role", _text("linked_exile"), "description", "note"
        )
    ):
        if (found := recs.get(_key(incident))) is not None:
            found["involvements"].append(
                {
                    "person": _key_or_none(person),
                    "role": role,
                    "linked_exile": _key_or_none(exile),
                    "description": description,
                    "note": note,
                }
            )
    for incident, source, locator, quote, note in (
        Citation.objects.filter(**theirs)
        .order_by("pk")
        .values_list(_text("incident"), _text("source"), "locator", "quote", "note")
    ):
        if (found := recs.get(_key(incident))) is not None:
            found["citations"].append(
                {"source": _key_or_none(source), "locator": locator, "quote": quote, "note": note}
            )
    return list(recs.values())


def _text(field: str) -> Cast:
    """A key column read as text: millions of keys are not worth a uuid.UUID each."""
    return Cast(field, output_field=TextField())


def _key(value: str) -> str:
    """A key read by `_text` in its canonical form (SQLite keeps 32 hex digits,
    PostgreSQL's text has the dashes)."""
    if len(value) != 32:
        return value
    value = value.lower()
    return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"


def _key_or_none(value: str | None) -> str | None:
    return None if value is None else _key(value)


def _code_words(country: str, origin: str, tactics: tuple[str, ...]) -> list[str]:
    """The names of these countries and tactics in every indexed language."""
    out: list[str] = []
    for language in LANGUAGES:
        out += [_label(language, "country", country), _label(language, "country", origin)]
        out += [_label(language, "tactic", t) for t in tactics if t in codebook.TACTICS]
    return out


@functools.lru_cache(maxsize=4096)
def _label(language: str, kind: str, code: str) -> str:
    """A country's or tactic's name in one language, looked up in the catalogue once (not
    once per incident: a million incidents name the same few hundred codes)."""
    with translation.override(language):
        if kind == "country":
            return str(translated(COUNTRIES.get(code, "")))
        return str(codebook.TACTICS.label(code))


def _rows(
    pub: Publication, ids: Sequence[Any], span: tuple[Any, Any] | None = None
) -> tuple[list[Entry], dict[str, list[tuple[str, str]]]]:
    """The entries (unsaved) and multi-valued facets of these incidents, as `pub` shows them;
    incidents the public may not see give nothing. The text is English (tactic and country
    names) whatever language the request that set off a refresh reads in."""
    with translation.override("en"):
        return _rows_in_english(pub, ids, span)


def _rows_in_english(
    pub: Publication, ids: Sequence[Any], span: tuple[Any, Any] | None
) -> tuple[list[Entry], dict[str, list[tuple[str, str]]]]:
    from exiledb.cases.models import Organization, PersonCategory, Source

    if span is None:  # only what the public may see: the transform does not check that
        ids = list(pub.incident_qs.filter(pk__in=ids).values_list("pk", flat=True))
    derived: dict[str, dict[str, Any]] = {}
    incidents = [
        out
        for rec in incident_records(ids, derived, span)
        if (out := pub.transform("incidents", rec)) is not None
    ]
    people = {
        pid
        for rec in incidents
        for inv in rec["involvements"]
        for pid in (inv["person"], inv["linked_exile"])
        if pid
    }
    names = pub.searchable_names(people)
    categories: dict[str, list[str]] = {}
    for pid, category in PersonCategory.objects.filter(person__in=list(people)).values_list(
        "person", "category"
    ):
        categories.setdefault(str(pid), []).append(category)
    source_text: dict[str, list[str]] = {}
    wanted = list({c["source"] for r in incidents for c in r["citations"]})
    for start in range(0, len(wanted), 900):
        for row in Source.objects.filter(pk__in=wanted[start : start + 900]).values(
            "id", "title", "author", "publisher"
        ):
            public = pub.transform("sources", {**row, "id": str(row["id"])})
            if public is not None:
                source_text[public["id"]] = [public["title"], public["author"]]
    org_text: dict[str, list[str]] = {}
    wanted = list({o for r in incidents for o in r["perpetrators"]})
    for org in Organization.objects.filter(pk__in=wanted).values("id", "name", "abbreviation"):
        public = pub.transform(
            "organizations", {**org, "id": str(org["id"]), "designations": [], "summary": ""}
        )
        if public is not None:
            org_text[public["id"]] = [public["name"], public["abbreviation"]]
    entries: list[Entry] = []
    values: dict[str, list[tuple[str, str]]] = {}
    for rec in incidents:
        parts = [rec["title"], rec["summary"], rec["place"], rec["region"], rec["trigger_event"]]
        # Countries and tactics in English and Russian, so either language's words find them.
        parts += _code_words(rec["country"], rec["origin_country"], tuple(rec["tactics"]))
        cats: set[str] = set()
        for inv in rec["involvements"]:
            parts.append(inv["description"])
            for pid in (inv["person"], inv["linked_exile"]):
                if pid:
                    parts += names.get(pid, [])
                    parts += text.name_keys(names.get(pid, []))  # find any spelling's variants
                    if pid == inv["linked_exile"] or inv["role"] == "target":
                        cats.update(categories.get(pid, []))
        for cit in rec["citations"]:
            parts += source_text.get(cit["source"], [])
        for oid in rec["perpetrators"]:
            parts += org_text.get(oid, [])
        dates = derived[rec["id"]]
        proxy = bool(rec["proxy"])
        entries.append(
            Entry(
                incident_id=uuid.UUID(rec["id"]),
                title=rec["title"][:300],
                date=rec["date"] or "",
                date_end=rec["date_end"] or "",
                date_earliest=dates["date_earliest"],
                year=dates["year"],
                stage=rec["stage"],
                kind="proxy" if proxy else "abroad",
                country=rec["country"],
                host="" if proxy else rec["country"],
                origin=rec["origin_country"],
                place=rec["place"],
                region=rec["region"],
                place_precision=rec["place_precision"],
                confidence=rec["confidence"],
                outcome=rec["outcome"],
                text=text.document(parts),
                record=json.dumps(rec, ensure_ascii=False, separators=(",", ":")),
            )
        )
        values[rec["id"]] = [("tactic", t) for t in dict.fromkeys(rec["tactics"])] + [
            ("category", c) for c in sorted(cats)
        ]
    return entries, values


def _write(entries: list[Entry], values: dict[str, list[tuple[str, str]]]) -> list[int]:
    """Write entries and their facet values straight to the tables (exiledb.ingest.bulk:
    executemany on SQLite, COPY on PostgreSQL); return the entries' ids. Keys are taken up
    front so the values can name their entry without reading it back."""
    if not entries:
        return []
    first = bulk.reserve_ids(Entry, len(entries))
    table = bulk.table(Entry)
    rows = []
    facet_rows = []
    for n, entry in enumerate(entries):
        entry.id = first + n
        rows.append({name: entry.__dict__[name] for name in table.attnames})
        facet_rows += [
            {"entry_id": entry.id, "facet": facet, "value": value}
            for facet, value in values.get(str(entry.incident_id), [])
        ]
    table.insert(rows)
    if facet_rows:
        start = bulk.reserve_ids(EntryValue, len(facet_rows))
        for n, row in enumerate(facet_rows):
            row["id"] = start + n
        bulk.table(EntryValue).insert(facet_rows)
    return [e.id for e in entries]


def _analyze() -> None:
    """Give the query planners statistics on the index (SQLite keeps none until asked, and
    picks poor plans for the facet counts without them)."""
    with connection.cursor() as cursor:
        for model in (Entry, EntryValue):
            cursor.execute(f'ANALYZE "{model._meta.db_table}"')


def bump() -> int:
    """Move the index to a new generation after rows were written."""
    return _bump()


def _bump(built: bool | None = None) -> int:
    state, _ = State.objects.get_or_create(pk=1)
    State.objects.filter(pk=1).update(generation=F("generation") + 1, changed_at=timezone.now())
    if built is not None:
        State.objects.filter(pk=1).update(built=built, built_at=timezone.now())
    return state.generation + 1


def rebuild(progress: Callable[[int], None] | None = None, pub: Publication | None = None) -> int:
    """Write the whole index anew; return the number of incidents indexed.

    The rows are bulk-loaded with the plain indexes dropped (on PostgreSQL the full-text GIN
    index too) and the indexes built once afterwards, then SQLite's FTS5 table is filled from
    the rows in one statement and both engines get planner statistics. All in one transaction:
    SQLite readers keep the old index until it commits; PostgreSQL readers of the index wait
    for it (the dropped indexes lock the table)."""
    with transaction.atomic():
        State.objects.select_for_update().get_or_create(pk=1)
        fulltext.cleared()
        with connection.cursor() as cursor:
            # Table names from the models, no input: plain DELETEs, not a million-row cascade.
            cursor.execute(f"DELETE FROM {EntryValue._meta.db_table}")  # noqa: S608
            cursor.execute(f"DELETE FROM {Entry._meta.db_table}")  # noqa: S608
        Pending.objects.all().delete()
        pub = Publication() if pub is None else pub
        ids = list(pub.incident_qs.order_by("pk").values_list("pk", flat=True))
        done = 0
        with bulk.deferred_indexes([Entry._meta.db_table, EntryValue._meta.db_table]):
            for start in range(0, len(ids), BUILD_CHUNK):
                chunk = ids[start : start + BUILD_CHUNK]  # published ids, in key order
                entries, values = _rows(pub, chunk, span=(chunk[0], chunk[-1]))
                _write(entries, values)
                done += len(entries)
                if progress:
                    progress(len(chunk))
        fulltext.rebuilt()
        bulk.fix_sequence(Entry)
        bulk.fix_sequence(EntryValue)
        _analyze()
        _bump(built=True)
    return done


def refresh(incident_ids: Iterable[Any], pub: Publication | None = None) -> int:
    """Rewrite the rows of these incidents: dropped if the public may no longer see them.
    Return the number of incidents rewritten (those the public may see).

    With `pub` (the public view of everything, as a full rebuild uses), the rows come out as
    a rebuild would write them; without, each chunk is written through the public view of its
    own incidents (an edit's refresh, which must not build the view of everything)."""
    ids = list({uuid.UUID(str(pk)) for pk in incident_ids})
    written = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        old = list(Entry.objects.filter(incident_id__in=chunk).values_list("id", flat=True))
        fulltext.removing(old)
        Entry.objects.filter(id__in=old).delete()
        view = pub or Publication(scope=Incident.objects.filter(pk__in=chunk))
        entries, values = _rows(view, chunk)
        fulltext.written(_write(entries, values))
        written += len(entries)
    bulk.fix_sequence(Entry)
    bulk.fix_sequence(EntryValue)
    return written


def fresh() -> str:
    """Bring the index up to date with every committed edit; return its generation."""
    state = State.objects.filter(pk=1).values_list("built", "generation").first()
    if state is None or not state[0]:
        rebuild()
    elif Pending.objects.exists():
        with transaction.atomic():
            # One writer at a time (PostgreSQL; SQLite's write lock already serialises).
            State.objects.select_for_update().get(pk=1)
            ids = list(Pending.objects.values_list("incident_id", flat=True))
            if ids:
                refresh(ids)
                Pending.objects.filter(incident_id__in=ids).delete()
                _bump()
    return generation()


def changed_at() -> Any:
    """When the public index last changed (None before its first build)."""
    return State.objects.filter(pk=1).values_list("changed_at", flat=True).first()


def generation() -> str:
    """The index's generation: it changes with every write, and differs between databases and
    rebuilds (the key of cached counts, which must never outlive what they count)."""
    number, built_at = State.objects.values_list("generation", "built_at").get(pk=1)
    return f"{number}:{built_at.isoformat() if built_at else ''}"
