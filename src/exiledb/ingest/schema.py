"""The canonical shape of each interchange record: its fields, defaults and references.

`normalise()` turns a record as a partner wrote it (defaults omitted, readable ids, spellings
without a script) into the canonical form that exports write, so that comparing a file with the
database is comparing two canonical dicts. Field order here is the order exports write.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

from exiledb.cases import rules
from exiledb.vocab import incident_stage

from .base import Batch, ImportProblem, Locator, record_uuid

# (field, default). A default of None means "null allowed"; "" means text; [] a list.
CITATION = (("source", None), ("locator", ""), ("quote", ""), ("note", ""))
NAME = (("value", ""), ("script", None), ("language", ""), ("source", None), ("note", ""))
RESIDENCE = (
    ("country", ""),
    ("place", ""),
    ("date_from", ""),
    ("date_to", ""),
    ("asylum_status", "unknown"),
    ("note", ""),
)
AFFILIATION = (
    ("organization", None),
    ("role", "member"),
    ("date_from", ""),
    ("date_to", ""),
    ("confidence", "probable"),
    ("note", ""),
)
DESIGNATION = (("type", ""), ("by_country", ""), ("authority", ""), ("date", ""), ("note", ""))
INVOLVEMENT = (
    ("person", None),
    ("role", ""),
    ("linked_exile", None),
    ("description", ""),
    ("note", ""),
)

FIELDS: dict[str, tuple[tuple[str, Any], ...]] = {
    "organizations": (
        ("id", ""),
        ("name", ""),
        ("abbreviation", ""),
        ("other_names", []),
        ("type", "other"),
        ("country", ""),
        ("founded", ""),
        ("dissolved", ""),
        ("summary", ""),
        ("designations", []),
        ("visibility", "public"),
        ("citations", []),
    ),
    "sources": (
        ("id", ""),
        ("type", "other"),
        ("title", ""),
        ("publisher", ""),
        ("author", ""),
        ("date", ""),
        ("url", ""),
        ("archive_url", ""),
        ("sha256", ""),
        ("language", ""),
        ("note", ""),
        ("visibility", "public"),
    ),
    "persons": (
        ("id", ""),
        ("display_name", ""),
        ("name_known", True),
        ("names", []),
        ("sex", "unknown"),
        ("birth_year", None),
        ("origin_country", ""),
        ("categories", []),
        ("is_minor", False),
        ("may_be_named", True),
        ("pseudonym", ""),
        ("summary", ""),
        ("redacted", False),
        ("residences", []),
        ("affiliations", []),
        ("contact_details", ""),
        ("confidential_notes", ""),
        ("visibility", "public"),
        ("citations", []),
    ),
    "relationships": (
        ("id", ""),
        ("person", None),
        ("kinship", ""),
        ("other", None),
        ("confidence", "probable"),
        ("visibility", "public"),
        ("note", ""),
        ("citations", []),
    ),
    "incidents": (
        ("id", ""),
        ("title", ""),
        ("summary", ""),
        ("date", ""),
        ("date_end", ""),
        ("country", ""),
        ("region", ""),
        ("place", ""),
        ("latitude", None),
        ("longitude", None),
        ("place_precision", "country"),
        ("origin_country", ""),
        ("proxy", False),
        ("tactics", []),
        ("stage", None),
        ("host_state_role", "unknown"),
        ("legal_channel", "unknown"),
        ("trigger_event", ""),
        ("trigger_date", ""),
        ("outcome", "unknown"),
        ("victims_estimated", None),
        ("perpetrators", []),
        ("involvements", []),
        ("confidence", "probable"),
        ("review_status", "draft"),
        ("visibility", "public"),
        ("confidential_notes", ""),
        ("citations", []),
    ),
}
CHILDREN: dict[str, tuple[tuple[str, Any], ...]] = {
    "citations": CITATION,
    "names": NAME,
    "residences": RESIDENCE,
    "affiliations": AFFILIATION,
    "designations": DESIGNATION,
    "involvements": INVOLVEMENT,
}
CHECKS: dict[str, Callable[[Mapping[str, Any]], list[rules.Problem]]] = {
    "organizations": rules.check_organization,
    "sources": rules.check_source,
    "persons": rules.check_person,
    "relationships": rules.check_relationship,
    "incidents": rules.check_incident,
}
# Which record type each reference field points to: (path pattern, target type).
REFERENCES: dict[str, tuple[tuple[str, str], ...]] = {
    "organizations": (("citations[].source", "sources"),),
    "sources": (),
    "persons": (
        ("names[].source", "sources"),
        ("affiliations[].organization", "organizations"),
        ("citations[].source", "sources"),
    ),
    "relationships": (
        ("person", "persons"),
        ("other", "persons"),
        ("citations[].source", "sources"),
    ),
    "incidents": (
        ("perpetrators[]", "organizations"),
        ("involvements[].person", "persons"),
        ("involvements[].linked_exile", "persons"),
        ("citations[].source", "sources"),
    ),
}
TEXT_FIELDS_STRIPPED = {
    "display_name",
    "title",
    "name",
    "value",
    "date",
    "date_end",
    "trigger_date",
    "founded",
    "dissolved",
    "date_from",
    "date_to",
    "country",
    "origin_country",
    "by_country",
}
_ID = re.compile(r"^[\w\-.:/]{1,200}$")
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_ARABIC = re.compile(r"[\u0600-\u06FF]")


def guess_script(value: str) -> str:
    """The writing system of a spelling, from the Unicode names of its letters."""
    if _CYRILLIC.search(value):
        return "cyrl"
    if _ARABIC.search(value):
        return "arab"
    letters = [c for c in value if c.isalpha()]
    if all(unicodedata.name(c, "").startswith("LATIN") for c in letters):
        return "latn"
    return "other"


_KNOWN: dict[int, frozenset[str]] = {}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NFC = unicodedata.normalize


def _fill(
    raw: Mapping[str, Any],
    spec: tuple[tuple[str, Any], ...],
    where: str,
    problems: list[tuple[str, str]],
) -> dict[str, Any]:
    """The record with every field of `spec` present (defaults filled), text in NFC so that a
    name typed with combining marks equals the precomposed spelling. This runs for every
    record and child of an import, so it is written for speed."""
    known = _KNOWN.get(id(spec))
    if known is None:
        known = _KNOWN[id(spec)] = frozenset(name for name, _ in spec)
    if not known.issuperset(raw):
        for key in raw:
            if key not in known:
                problems.append(
                    (f"{where}{key}", f"unknown field (known fields: {', '.join(sorted(known))})")
                )
    out: dict[str, Any] = {}
    for name, default in spec:
        value = raw.get(name, default)
        if value is None:
            if default.__class__ is list:
                value = []
            elif default.__class__ is str:
                value = default
        elif value.__class__ is str:
            if not value.isascii():
                value = _NFC("NFC", value)
            if not value.isprintable():
                # one line-ending convention in every format; no invisible control characters
                # (they break spreadsheets and are refused by PostgreSQL)
                value = value.replace("\r\n", "\n").replace("\r", "\n")
                bad = _CONTROL.search(value)
                if bad:
                    problems.append(
                        (
                            f"{where}{name}",
                            f"contains the control character U+{ord(bad.group()):04X}; remove it",
                        )
                    )
            if name in TEXT_FIELDS_STRIPPED:
                value = value.strip()
        elif value is default and default.__class__ is list:
            value = []  # never share the default list between records
        out[name] = value
    return out


_CANONICAL_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _ref(kind: str, value: Any) -> Any:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        return value
    if _CANONICAL_UUID.match(value):
        return value
    return str(record_uuid(kind, value))


Ref = tuple[str, str, str, str]  # (field, target type, uuid, id as written)


def normalise(
    kind: str, raw: Any
) -> tuple[dict[str, Any] | None, list[tuple[str, str]], list[Ref]]:
    """Canonicalise one record.

    Returns (record or None, problems as (field, message), references to check).
    """
    problems: list[tuple[str, str]] = []
    refs: list[Ref] = []
    if not isinstance(raw, Mapping):
        return None, [("", f"a record must be a JSON object, not {type(raw).__name__}")], refs
    rec = _fill(raw, FIELDS[kind], "", problems)
    for child, spec in CHILDREN.items():
        if child in rec:
            items = rec[child]
            if not isinstance(items, list):
                problems.append((child, "must be a list"))
                rec[child] = []
                continue
            filled = []
            for i, item in enumerate(items):
                if not isinstance(item, Mapping):
                    problems.append((f"{child}[{i}]", "must be an object"))
                    continue
                filled.append(_fill(item, spec, f"{child}[{i}].", problems))
            rec[child] = filled
    if kind == "persons" and "may_be_named" not in raw:
        rec["may_be_named"] = not rec["is_minor"]
    problems.extend((p.field, p.message) for p in CHECKS[kind](rec))
    problems.extend(_too_long(kind, rec))
    rid = rec.get("id")
    if not isinstance(rid, str) or not _ID.match(rid):
        problems.append(
            (
                "id",
                f"'{rid}' is not a valid id: use a UUID or letters, digits and "
                "-_.:/ (at most 200 characters)",
            )
        )
        return None, problems, refs
    rec["id"] = _ref(kind, rid)
    if kind == "persons":
        _normalise_person(rec, problems)
    elif kind == "incidents":
        rec["stage"] = (
            incident_stage(rec["tactics"], rec["proxy"] is True)
            if not any(f.startswith(("tactics", "stage")) for f, _ in problems)
            else None
        )
        for key in ("latitude", "longitude"):
            value = rec[key]
            if isinstance(value, str):
                try:
                    value = float(value.replace(",", "."))
                except ValueError:
                    continue  # check_place has reported it
            if isinstance(value, int | float) and not isinstance(value, bool):
                rec[key] = round(float(value), 6)
    elif (
        kind == "sources"
        and rec["visibility"] == "public"
        and "visibility" not in raw
        and (rec["type"] == "interview")
    ):
        rec["visibility"] = "confidential"
    if kind == "sources" and isinstance(rec.get("sha256"), str):
        rec["sha256"] = rec["sha256"].lower()
    for path, target in REFERENCES[kind]:
        _collect_refs(rec, path, target, refs, problems)
    if kind == "incidents" and all(isinstance(x, str) for x in rec["perpetrators"]):
        if len(set(rec["perpetrators"])) != len(rec["perpetrators"]):
            problems.append(("perpetrators", "an organisation is listed twice"))
        rec["perpetrators"] = sorted(rec["perpetrators"])  # a set: canonical order
    return rec, problems, refs


def _normalise_person(rec: dict[str, Any], problems: list[tuple[str, str]]) -> None:
    seen: set[str] = set()
    for i, name in enumerate(rec["names"]):
        value = name.get("value")
        if isinstance(value, str):
            if value in seen:
                problems.append((f"names[{i}].value", f"the spelling '{value}' is listed twice"))
            seen.add(value)
            if not name.get("script"):
                name["script"] = guess_script(value)
    if (
        rec["name_known"]
        and isinstance(rec["display_name"], str)
        and rec["display_name"]
        and (rec["display_name"] not in seen)
    ):
        rec["names"].insert(
            0,
            {
                "value": rec["display_name"],
                "script": guess_script(rec["display_name"]),
                "language": "",
                "source": None,
                "note": "",
            },
        )
    cats = rec["categories"]
    if isinstance(cats, list) and len(set(map(str, cats))) != len(cats):
        problems.append(("categories", "a category is listed twice"))


def _collect_refs(
    rec: dict[str, Any], path: str, target: str, refs: list[Ref], problems: list[tuple[str, str]]
) -> None:
    if "[]" not in path:
        value = rec.get(path)
        if value is not None:
            rec[path] = _ref(target, value)
            if isinstance(rec[path], str):
                refs.append((path, target, rec[path], value))
            else:
                problems.append((path, f"a reference must be an id string, not {value!r}"))
        return
    head, _, tail = path.partition("[]")
    items = rec.get(head) or []
    if not isinstance(items, list):
        problems.append((head, "must be a list"))
        rec[head] = []
        return
    for i, item in enumerate(items):
        if not tail:
            items[i] = _ref(target, item)
            field = f"{head}[{i}]"
            if isinstance(items[i], str):
                refs.append((field, target, items[i], item))
            else:
                problems.append((field, f"a reference must be an id string, not {item!r}"))
            continue
        key = tail.lstrip(".")
        value = item.get(key)
        if value is None:
            continue
        item[key] = _ref(target, value)
        field = f"{head}[{i}].{key}"
        if isinstance(item[key], str):
            refs.append((field, target, item[key], value))
        else:
            problems.append((field, f"a reference must be an id string, not {value!r}"))


def add_record(batch: Batch, kind: str, raw: Any, locate: Locator, seen: dict[str, Any]) -> None:
    """Canonicalise one raw record into the batch, reporting problems where `locate` says.

    `seen` maps the ids already added for this record type to their locator (duplicate ids).
    """
    rec, problems, refs = normalise(kind, raw)
    for field, message in problems:
        file, location = locate(field)
        batch.problems.append(ImportProblem(file, location, message))
    if rec is None:
        return
    if rec["id"] in seen:
        file, location = locate("id")
        other_file, other = seen[rec["id"]]("")
        batch.problems.append(
            ImportProblem(file, location, f"duplicate id: also used at {other_file}:{other}")
        )
        return
    seen[rec["id"]] = locate
    index = len(batch.records[kind])
    batch.origins[(kind, index)] = locate
    batch.refs.extend((kind, index, *ref) for ref in refs)
    batch.records[kind].append(rec)


_LIMITS: dict[str, dict[str, int]] = {}


def _limits(name: str) -> dict[str, int]:
    """Maximum lengths of the text columns behind a record type or child list."""
    if not _LIMITS:
        from exiledb.cases import models as m

        owners = {
            "organizations": m.Organization,
            "sources": m.Source,
            "persons": m.Person,
            "relationships": m.Relationship,
            "incidents": m.Incident,
            "citations": m.Citation,
            "names": m.Name,
            "residences": m.Residence,
            "affiliations": m.Affiliation,
            "designations": m.Designation,
            "involvements": m.Involvement,
        }
        for key, model in owners.items():
            _LIMITS[key] = {
                f.name: int(f.max_length or 0)
                for f in model._meta.concrete_fields
                if getattr(f, "max_length", None)
                and f.get_internal_type() in ("CharField", "URLField")
            }
    return _LIMITS.get(name, {})


def _too_long(kind: str, rec: dict[str, Any]) -> list[tuple[str, str]]:
    out = []

    def check(limits: dict[str, int], item: Mapping[str, Any], prefix: str) -> None:
        for key, limit in limits.items():
            value = item.get(key)
            if isinstance(value, str) and len(value) > limit:
                out.append(
                    (f"{prefix}{key}", f"is {len(value)} characters long; at most {limit} fit")
                )

    check(_limits(kind), rec, "")
    for child in CHILDREN:
        items = rec.get(child)
        if isinstance(items, list):
            for i, item in enumerate(items):
                if isinstance(item, Mapping):
                    check(_limits(child), item, f"{child}[{i}].")
    return out
