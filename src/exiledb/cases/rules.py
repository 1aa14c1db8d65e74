"""Validation rules for records, as pure functions over interchange-shaped dicts.

One implementation serves the importers (which validate hundreds of thousands of plain dicts
before touching the database), the models' clean() and the editor's forms. Each checker returns
a list of Problem(field, message); an empty list means the record is valid on its own. Rules that
span records (references, proxy links, citations) take the related values as arguments.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from exiledb.vocab import COUNTRIES, codebook, dates

_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


@dataclass(frozen=True)
class Problem:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


def _code(
    problems: list[Problem],
    field: str,
    value: Any,
    vocab: codebook.Vocabulary,
    required: bool = False,
) -> None:
    if value in (None, ""):
        if required:
            problems.append(Problem(field, f"{vocab.title.lower()} code is required"))
        return
    if not isinstance(value, str) or value not in vocab:
        hint = vocab.suggest(str(value))
        tail = f" (did you mean {' or '.join(hint)}?)" if hint else ""
        noun = vocab.name.rstrip("s").replace("_", " ")
        if vocab is codebook.TACTICS:
            noun = "tactic"
        problems.append(Problem(field, f"unknown {noun} '{value}'{tail}"))


def _country(problems: list[Problem], field: str, value: Any, required: bool = False) -> None:
    if value in (None, ""):
        if required:
            problems.append(Problem(field, "country code is required"))
        return
    if not isinstance(value, str) or value not in COUNTRIES:
        hint = ""
        if isinstance(value, str) and value.upper() in COUNTRIES:
            hint = f" (codes are upper case: {value.upper()})"
        else:
            matches = [c for c, n in COUNTRIES.items() if str(value).lower() == n.lower()]
            if matches:
                hint = f" (the ISO code of {value} is {matches[0]})"
        problems.append(
            Problem(field, f"'{value}' is not an ISO 3166-1 alpha-2 country code{hint}")
        )


def _date(problems: list[Problem], field: str, value: Any) -> bool:
    if value is None:
        return True
    if not isinstance(value, str):
        problems.append(
            Problem(field, f"a date must be written as text like 2016-09, not {value!r}")
        )
        return False
    try:
        dates.parse(value)
    except dates.PartialDateError as exc:
        problems.append(Problem(field, str(exc)))
        return False
    return True


def _range(problems: list[Problem], start_field: str, start: Any, end_field: str, end: Any) -> None:
    ok = _date(problems, start_field, start) & _date(problems, end_field, end)
    if ok:
        try:
            dates.check_range(start, end)
        except dates.PartialDateError as exc:
            problems.append(Problem(end_field, str(exc)))


def _text(
    problems: list[Problem],
    field: str,
    value: Any,
    required: bool = False,
    max_length: int | None = None,
) -> None:
    if value is None or value == "":
        if required:
            problems.append(Problem(field, "is required"))
        return
    if not isinstance(value, str):
        problems.append(Problem(field, f"must be text, not {type(value).__name__}"))
        return
    if required and not value.strip():
        problems.append(Problem(field, "is required"))
    if max_length and len(value) > max_length:
        problems.append(Problem(field, f"is longer than {max_length} characters"))


def _citations(problems: list[Problem], field: str, citations: Any) -> None:
    if citations is None:
        return
    if not isinstance(citations, list):
        problems.append(Problem(field, "must be a list"))
        return
    for i, cit in enumerate(citations):
        if not isinstance(cit, Mapping):
            problems.append(Problem(f"{field}[{i}]", "must be an object"))
        elif not cit.get("source") and not (cit.get("locator") or cit.get("quote")):
            # A citation whose source was deleted stays as an "unresolved" trail (locator,
            # quote); one with nothing at all is an error.
            problems.append(Problem(f"{field}[{i}].source", "is required"))


def check_person(rec: Mapping[str, Any]) -> list[Problem]:
    p: list[Problem] = []
    _text(p, "display_name", rec.get("display_name"), required=True, max_length=300)
    _code(p, "sex", rec.get("sex"), codebook.SEX)
    _country(p, "origin_country", rec.get("origin_country"))
    _code(p, "visibility", rec.get("visibility"), codebook.VISIBILITY)
    by = rec.get("birth_year")
    if by is not None and (
        not isinstance(by, int) or isinstance(by, bool) or not 1880 <= by <= 2100
    ):
        p.append(Problem("birth_year", f"'{by}' is not a plausible year of birth"))
    for i, cat in enumerate(rec.get("categories") or []):
        _code(p, f"categories[{i}]", cat, codebook.EXILE_CATEGORIES, required=True)
    if rec.get("is_minor") and rec.get("may_be_named"):
        p.append(Problem("may_be_named", "a minor may never be named publicly"))
    for i, name in enumerate(rec.get("names") or []):
        if not isinstance(name, Mapping):
            p.append(Problem(f"names[{i}]", "must be an object"))
            continue
        _text(p, f"names[{i}].value", name.get("value"), required=True, max_length=300)
        _code(p, f"names[{i}].script", name.get("script"), codebook.SCRIPTS)
    for i, res in enumerate(rec.get("residences") or []):
        _country(p, f"residences[{i}].country", res.get("country"), required=True)
        _range(
            p,
            f"residences[{i}].date_from",
            res.get("date_from"),
            f"residences[{i}].date_to",
            res.get("date_to"),
        )
        _code(p, f"residences[{i}].asylum_status", res.get("asylum_status"), codebook.ASYLUM_STATUS)
    for i, aff in enumerate(rec.get("affiliations") or []):
        if not aff.get("organization"):
            p.append(Problem(f"affiliations[{i}].organization", "is required"))
        _code(p, f"affiliations[{i}].role", aff.get("role"), codebook.AFFILIATION_ROLES)
        _code(p, f"affiliations[{i}].confidence", aff.get("confidence"), codebook.CONFIDENCE)
        _range(
            p,
            f"affiliations[{i}].date_from",
            aff.get("date_from"),
            f"affiliations[{i}].date_to",
            aff.get("date_to"),
        )
    _citations(p, "citations", rec.get("citations"))
    return p


def check_organization(rec: Mapping[str, Any]) -> list[Problem]:
    p: list[Problem] = []
    _text(p, "name", rec.get("name"), required=True, max_length=300)
    _code(p, "type", rec.get("type"), codebook.ORGANIZATION_TYPES)
    _country(p, "country", rec.get("country"))
    _range(p, "founded", rec.get("founded"), "dissolved", rec.get("dissolved"))
    _code(p, "visibility", rec.get("visibility"), codebook.VISIBILITY)
    other = rec.get("other_names")
    if other is not None and not (
        isinstance(other, list) and all(isinstance(o, str) for o in other)
    ):
        p.append(Problem("other_names", "must be a list of names"))
    for i, des in enumerate(rec.get("designations") or []):
        _code(
            p, f"designations[{i}].type", des.get("type"), codebook.DESIGNATION_TYPES, required=True
        )
        _country(p, f"designations[{i}].by_country", des.get("by_country"), required=True)
        _date(p, f"designations[{i}].date", des.get("date"))
    _citations(p, "citations", rec.get("citations"))
    return p


def check_source(rec: Mapping[str, Any]) -> list[Problem]:
    p: list[Problem] = []
    _text(p, "title", rec.get("title"), required=True, max_length=500)
    _code(p, "type", rec.get("type"), codebook.SOURCE_TYPES)
    _date(p, "date", rec.get("date"))
    _code(p, "visibility", rec.get("visibility"), codebook.VISIBILITY)
    for key in ("url", "archive_url"):
        url = rec.get(key)
        if url and not (isinstance(url, str) and url.split(":", 1)[0].lower() in {"http", "https"}):
            p.append(Problem(key, f"'{url}' is not an http(s) address"))
    sha = rec.get("sha256")
    if sha and not (isinstance(sha, str) and _SHA256.fullmatch(sha)):
        p.append(Problem("sha256", "must be 64 hexadecimal characters"))
    return p


def check_relationship(rec: Mapping[str, Any]) -> list[Problem]:
    p: list[Problem] = []
    for key in ("person", "other"):
        if not rec.get(key):
            p.append(Problem(key, "is required"))
    _code(p, "kinship", rec.get("kinship"), codebook.KINSHIP, required=True)
    _code(p, "confidence", rec.get("confidence"), codebook.CONFIDENCE)
    _code(p, "visibility", rec.get("visibility"), codebook.VISIBILITY)
    if rec.get("person") and rec.get("person") == rec.get("other"):
        p.append(Problem("other", "a person cannot be related to themselves"))
    _citations(p, "citations", rec.get("citations"))
    return p


def check_place(rec: Mapping[str, Any]) -> list[Problem]:
    """Never let an imprecise place look precise."""
    p: list[Problem] = []
    precision = rec.get("place_precision") or "country"
    _code(p, "place_precision", precision, codebook.PLACE_PRECISION)
    has_coords = rec.get("latitude") is not None or rec.get("longitude") is not None
    if has_coords:
        lat, lon = rec.get("latitude"), rec.get("longitude")
        if lat is None or lon is None:
            p.append(
                Problem(
                    "longitude" if lon is None else "latitude", "latitude and longitude go together"
                )
            )
        else:
            try:
                if not (-90 <= float(lat) <= 90 and -180 <= float(lon) <= 180):
                    p.append(Problem("latitude", "coordinates out of range"))
            except (TypeError, ValueError):
                p.append(Problem("latitude", "coordinates must be numbers"))
        if precision not in ("exact", "city"):
            p.append(
                Problem(
                    "latitude",
                    f"coordinates are not allowed with place precision "
                    f"'{precision}': they would look more precise than known",
                )
            )
    if precision in ("exact", "city") and not rec.get("place"):
        p.append(Problem("place", f"place precision '{precision}' needs a place name"))
    if precision == "region" and not rec.get("region"):
        p.append(Problem("region", "place precision 'region' needs a region name"))
    if precision == "country" and rec.get("place"):
        p.append(
            Problem(
                "place_precision",
                f"a place name ('{rec.get('place')}') is given but the precision says country only",
            )
        )
    return p


def check_incident(rec: Mapping[str, Any], *, children: bool = True) -> list[Problem]:
    """Field rules, plus (with children=True) the rules over the incident's tactics,
    involvements and citations. The model's clean() checks fields only: the editor's forms
    check the children, which are not saved yet when the incident is cleaned."""
    p: list[Problem] = []
    _text(p, "title", rec.get("title"), required=True, max_length=300)
    _range(p, "date", rec.get("date"), "date_end", rec.get("date_end"))
    if rec.get("date_end") and not rec.get("date"):
        p.append(Problem("date_end", "an end date needs a start date (date)"))
    _date(p, "trigger_date", rec.get("trigger_date"))
    _country(p, "country", rec.get("country"), required=True)
    _country(p, "origin_country", rec.get("origin_country"), required=True)
    p.extend(check_place(rec))
    for field, vocab in (
        ("host_state_role", codebook.HOST_STATE_ROLES),
        ("legal_channel", codebook.LEGAL_CHANNELS),
        ("outcome", codebook.OUTCOMES),
        ("confidence", codebook.CONFIDENCE),
        ("review_status", codebook.REVIEW_STATUS),
        ("visibility", codebook.VISIBILITY),
    ):
        _code(p, field, rec.get(field), vocab)
    proxy = rec.get("proxy", False)
    if not isinstance(proxy, bool):
        p.append(Problem("proxy", f"must be true or false, not {proxy!r}"))
    ve = rec.get("victims_estimated")
    if ve is not None and (not isinstance(ve, int) or isinstance(ve, bool) or ve < 0):
        p.append(Problem("victims_estimated", f"must be a whole number, not {ve!r}"))
    if not children:
        return p
    p.extend(check_tactics(rec.get("tactics"), proxy is True, rec.get("stage")))
    involvements = rec.get("involvements") or []
    for i, inv in enumerate(involvements):
        p.extend(check_involvement(inv, f"involvements[{i}]"))
    p.extend(
        incident_link_problems(
            proxy is True, involvements, rec.get("review_status") or "draft", rec.get("citations")
        )
    )
    _citations(p, "citations", rec.get("citations"))
    return p


def check_tactics(tactics: Any, proxy: bool, stage: Any = None) -> list[Problem]:
    p: list[Problem] = []
    if not isinstance(tactics, list) or not tactics:
        return [Problem("tactics", "at least one tactic is required")]
    for i, t in enumerate(tactics):
        _code(p, f"tactics[{i}]", t, codebook.TACTICS, required=True)
    if len(set(map(str, tactics))) != len(tactics):
        p.append(Problem("tactics", "a tactic is listed twice"))
    if stage is not None and not p:
        from exiledb.vocab import incident_stage

        derived = incident_stage(tactics, proxy)
        if str(stage) != str(derived):
            p.append(
                Problem(
                    "stage", f"stage {stage} does not match the tactics (they give stage {derived})"
                )
            )
    return p


def check_involvement(inv: Any, field: str = "") -> list[Problem]:
    prefix = f"{field}." if field else ""
    if not isinstance(inv, Mapping):
        return [Problem(field, "must be an object")]
    p: list[Problem] = []
    _code(p, f"{prefix}role", inv.get("role"), codebook.INVOLVEMENT_ROLES, required=True)
    if not inv.get("person") and not (inv.get("description") or "").strip():
        p.append(Problem(f"{prefix}person", "give a person, or a description of who was involved"))
    if inv.get("role") == "relative_targeted" and not inv.get("linked_exile"):
        p.append(
            Problem(
                f"{prefix}linked_exile",
                "a targeted relative needs the exile they were targeted for",
            )
        )
    if inv.get("linked_exile") and inv.get("linked_exile") == inv.get("person"):
        p.append(
            Problem(f"{prefix}linked_exile", "the linked exile cannot be the relative themselves")
        )
    return p


def incident_link_problems(
    proxy: bool, involvements: Iterable[Mapping[str, Any]], review_status: str, citations: Any
) -> list[Problem]:
    """Rules across an incident and its children; the editor's inline forms call this too."""
    p: list[Problem] = []
    if proxy and not any(
        isinstance(inv, Mapping)
        and inv.get("role") == "relative_targeted"
        and inv.get("linked_exile")
        for inv in involvements
    ):
        p.append(
            Problem(
                "involvements",
                "a proxy incident needs a targeted relative linked to the exile it was aimed at",
            )
        )
    resolved = [c for c in citations or [] if isinstance(c, Mapping) and c.get("source")]
    if review_status == "published" and not resolved:
        p.append(Problem("citations", "a published incident needs at least one citation"))
    return p
