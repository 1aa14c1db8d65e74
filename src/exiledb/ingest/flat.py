"""Flat "one row per incident" sheets (Freedom House / ACLED style), CSV or XLSX.

A partner's sheet is loaded without editing it: a small mapping file (YAML or JSON) says which
of its columns holds which exiledb field, and what to assume where the sheet is silent:

    columns:
      "Date of incident": date
      "Host country": country
      "Victim": target
      "Relative of": relative_of
      "Relation": kinship
      "Methods": tactics
      "Source": source_title
      "Link": source_url
    defaults:
      origin_country: TJ
    separator: ";"

Without a mapping, headers that name a field (or a common alias such as "event_date",
"Location", "Victim") are used as they are. Names are matched to persons already stored by any
known spelling, or create a person; sources are matched by URL or title. Ids are derived from
the row's content, so loading the same sheet twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from exiledb.vocab import COUNTRIES, codebook

from .base import Batch, ImportFailed, ImportProblem, record_uuid
from .schema import FIELDS as CANONICAL
from .schema import add_record

# every incident field a sheet can give in a cell: the canonical ones but the nested lists
INCIDENT_FIELDS = tuple(
    name
    for name, default in CANONICAL["incidents"]
    if name not in ("perpetrators", "involvements", "citations")
)
PERSON_FIELDS = (
    "target",
    "target_id",
    "relative",
    "relative_id",
    "relative_of",
    "relative_of_id",
    "kinship",
    "target_category",
    "target_origin",
)
SOURCE_FIELDS = (
    "source_title",
    "source_url",
    "source_date",
    "source_publisher",
    "source_type",
    "source_id",
    "quote",
    "locator",
)
FIELDS = INCIDENT_FIELDS + PERSON_FIELDS + SOURCE_FIELDS
LIST_FIELDS = {"tactics", "target", "relative"}
IGNORE = "ignore"  # map a column to this to skip it

ALIASES = {
    "event_date": "date",
    "incident_date": "date",
    "date_of_incident": "date",
    "start_date": "date",
    "end_date": "date_end",
    "host_country": "country",
    "location_country": "country",
    "country_of_incident": "country",
    "location": "place",
    "city": "place",
    "town": "place",
    "admin1": "region",
    "province": "region",
    "origin": "origin_country",
    "origin_state": "origin_country",
    "country_of_origin": "origin_country",
    "perpetrator_state": "origin_country",
    "victim": "target",
    "target_name": "target",
    "name": "target",
    "exile": "target",
    "relative_name": "relative",
    "family_member": "relative",
    "exile_name": "relative_of",
    "relationship": "kinship",
    "relation": "kinship",
    "tactic": "tactics",
    "methods": "tactics",
    "method": "tactics",
    "description": "summary",
    "notes": "summary",
    "headline": "title",
    "source": "source_title",
    "source_name": "source_title",
    "url": "source_url",
    "link": "source_url",
    "source_link": "source_url",
    "publisher": "source_publisher",
    "outlet": "source_publisher",
    "fatalities": "victims_estimated",
}
COUNTRY_ALIASES = {
    "russia": "RU",
    "turkey": "TR",
    "türkiye": "TR",
    "turkiye": "TR",
    "uae": "AE",
    "united arab emirates": "AE",
    "usa": "US",
    "united states": "US",
    "united states of america": "US",
    "uk": "GB",
    "united kingdom": "GB",
    "great britain": "GB",
    "england": "GB",
    "czech republic": "CZ",
    "czechia": "CZ",
    "south korea": "KR",
    "north korea": "KP",
    "moldova": "MD",
    "iran": "IR",
    "syria": "SY",
    "vietnam": "VN",
    "laos": "LA",
    "bolivia": "BO",
    "venezuela": "VE",
    "tanzania": "TZ",
    "kyrgyzstan": "KG",
    "kirghizia": "KG",
    "belarus": "BY",
    "the netherlands": "NL",
    "holland": "NL",
    "netherlands": "NL",
    "macedonia": "MK",
    "kosovo": "XK",
    "palestine": "PS",
    "taiwan": "TW",
    "hong kong": "HK",
    "ivory coast": "CI",
    "democratic republic of the congo": "CD",
    "dr congo": "CD",
    "congo": "CG",
    "таджикистан": "TJ",
    "россия": "RU",
    "турция": "TR",
    "узбекистан": "UZ",
    "казахстан": "KZ",
    "кыргызстан": "KG",
    "туркменистан": "TM",
}
_NAME_TO_CODE = {name.lower(): code for code, name in COUNTRIES.items()}
DATE_FORMATS = (
    ("%d.%m.%Y", "day"),
    ("%d/%m/%Y", "day"),
    ("%Y/%m/%d", "day"),
    ("%d %B %Y", "day"),
    ("%d %b %Y", "day"),
    ("%B %d, %Y", "day"),
    ("%b %d, %Y", "day"),
    ("%B %Y", "month"),
    ("%b %Y", "month"),
    ("%m/%Y", "month"),
    ("%m.%Y", "month"),
)


def norm_header(text: str) -> str:
    return re.sub(r"[^\w]+", "_", str(text).strip().lower()).strip("_")


def load_mapping(path: str | Path | None) -> dict[str, Any]:
    if path is None:
        return {}
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFailed([ImportProblem(str(p), "", f"cannot read the mapping: {exc}")]) from None
    try:
        if p.suffix.lower() in (".yaml", ".yml"):
            import yaml

            data = yaml.safe_load(text)
        else:
            data = json.loads(text)
    except Exception as exc:  # noqa: BLE001 - yaml and json raise many types; all mean "invalid"
        raise ImportFailed([ImportProblem(str(p), "", f"invalid mapping file: {exc}")]) from None
    if not isinstance(data, dict):
        raise ImportFailed(
            [
                ImportProblem(
                    str(p),
                    "",
                    "the mapping must be an object with 'columns' and optional 'defaults'",
                )
            ]
        )
    problems = []
    for key in data:
        if key not in ("columns", "defaults", "separator", "sheet", "dayfirst"):
            problems.append(
                ImportProblem(str(p), key, "unknown key (columns, defaults, separator, sheet)")
            )
    for header, target in (data.get("columns") or {}).items():
        if target not in FIELDS and target != IGNORE:
            hint = codebook.Vocabulary(
                "f", "", "", tuple(codebook.Code(f, f, "") for f in FIELDS)
            ).suggest(str(target))
            problems.append(
                ImportProblem(
                    str(p),
                    f"columns.{header}",
                    f"unknown field '{target}'"
                    + (f" (did you mean {' or '.join(hint)}?)" if hint else ""),
                )
            )
    for key in data.get("defaults") or {}:
        if key not in FIELDS:
            problems.append(ImportProblem(str(p), f"defaults.{key}", f"unknown field '{key}'"))
    if problems:
        raise ImportFailed(problems)
    data["_file"] = str(p)
    return data


def country_code(value: str) -> str:
    text = value.strip()
    if text.upper() in COUNTRIES:
        return text.upper()
    low = text.lower()
    return COUNTRY_ALIASES.get(low) or _NAME_TO_CODE.get(low) or text


def partial_date(value: Any) -> str:
    """A cell as a partial date; common spreadsheet formats are understood (day first)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(int(value))
    text = str(value).strip()
    if not text or re.match(r"^\d{4}(-\d{2}(-\d{2})?)?$", text):
        return text
    for fmt, precision in DATE_FORMATS:
        try:
            parsed = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        return parsed.strftime("%Y-%m-%d" if precision == "day" else "%Y-%m")
    return text  # left as written: validation reports it with the accepted forms


def tactic_codes(value: str, sep: str) -> list[str]:
    labels = {c.label.lower(): c.code for c in codebook.TACTICS.codes}
    out = []
    for part in re.split(rf"[{re.escape(sep)},|]", value):
        part = part.strip()
        if part:
            out.append(
                labels.get(
                    part.lower(),
                    part.lower().replace(" ", "_")
                    if part.lower().replace(" ", "_") in codebook.TACTICS
                    else part,
                )
            )
    return out


def _key(text: str) -> str:
    return unicodedata.normalize("NFC", " ".join(text.split())).casefold()


class PersonIndex:
    """Finds stored persons by any known spelling; remembers the ones this sheet creates."""

    def __init__(self) -> None:
        from exiledb.cases.models import Name, Person

        self.by_key: dict[str, set[str]] = {}
        for pid, value in Name.objects.values_list("person_id", "value").iterator():
            self.by_key.setdefault(_key(value), set()).add(str(pid))
        for pid, value in (
            Person.objects.filter(name_known=True).values_list("pk", "display_name").iterator()
        ):
            self.by_key.setdefault(_key(value), set()).add(str(pid))
        self.created: dict[str, dict[str, Any]] = {}

    def find(self, name: str) -> tuple[str | None, str]:
        """(person id, '') when found or new, (None, message) when ambiguous."""
        hits = self.by_key.get(_key(name), set())
        if len(hits) > 1:
            return None, (
                f"'{name}' matches {len(hits)} stored persons; give an id column "
                "(target_id / relative_id) to say which"
            )
        if hits:
            return next(iter(hits)), ""
        return None, ""


def read(path: str | Path, mapping: dict[str, Any] | None = None) -> Batch:
    """Read a flat sheet (.csv or the first/named sheet of an .xlsx)."""
    from .tabular import _decode, open_workbook, sheet_rows

    p = Path(path)
    mapping = mapping or {}
    if p.suffix.lower() == ".xlsx":
        wb = open_workbook(p)
        try:
            name = mapping.get("sheet")
            if name and name not in wb.sheetnames:
                raise ImportFailed(
                    [
                        ImportProblem(
                            str(p),
                            "",
                            f"no sheet named '{name}' (sheets: {', '.join(wb.sheetnames)})",
                        )
                    ]
                )
            ws = wb[name] if name else wb.worksheets[0]
            header, rows = sheet_rows(ws)
            label = f"{p.name}[{ws.title}]"
        finally:
            wb.close()
    else:
        import csv
        import io

        try:
            text = _decode(p.read_bytes(), str(p))
        except OSError as exc:
            raise ImportFailed(
                [ImportProblem(str(p), "", f"cannot read: {exc.strerror}")]
            ) from None
        sample = text[:4096]
        try:
            dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        reader = csv.reader(io.StringIO(text, newline=""), dialect)
        header = [h.strip() for h in next(reader, [])]
        rows = []
        for values in reader:
            if any(v.strip() for v in values):
                rows.append((reader.line_num, dict(zip(header, values, strict=False))))
        label = str(p)
    return build(label, header, rows, mapping)


def _columns(
    label: str, header: list[str], mapping: dict[str, Any], problems: list[ImportProblem]
) -> dict[str, str]:
    """field -> header, from the mapping or from the headers themselves."""
    explicit = mapping.get("columns") or {}
    fields: dict[str, str] = {}
    for h in header:
        if h in explicit:
            target = explicit[h]
        elif not explicit:
            n = norm_header(h)
            target = n if n in FIELDS else ALIASES.get(n, "")
            if not target:
                problems.append(
                    ImportProblem(
                        label,
                        f"1:{h}",
                        "column not understood; map it "
                        "to a field (or to 'ignore') in a --mapping file",
                    )
                )
                continue
        else:
            problems.append(
                ImportProblem(
                    label, f"1:{h}", "column not in the mapping; map it to a field or to 'ignore'"
                )
            )
            continue
        if target == IGNORE:
            continue
        if target in fields:
            problems.append(
                ImportProblem(label, f"1:{h}", f"both '{fields[target]}' and '{h}' map to {target}")
            )
        fields[target] = h
    for h in explicit:
        if h not in header:
            problems.append(
                ImportProblem(
                    mapping.get("_file", "mapping"),
                    f"columns.{h}",
                    f"the sheet has no column '{h}'",
                )
            )
    defaults = mapping.get("defaults") or {}
    for required in ("date", "country", "origin_country"):
        if required not in fields and required not in defaults:
            problems.append(
                ImportProblem(
                    label,
                    "1",
                    f"no column gives the {required} of an incident (map one, or give a default)",
                )
            )
    if "target" not in fields and "relative_of" not in fields and "target_id" not in fields:
        problems.append(
            ImportProblem(label, "1", "no column names who was targeted (target or relative_of)")
        )
    if "tactics" not in fields and "tactics" not in defaults:
        problems.append(ImportProblem(label, "1", "no column gives the tactics"))
    return fields


_CODED = (
    "place_precision",
    "host_state_role",
    "legal_channel",
    "outcome",
    "confidence",
    "review_status",
    "visibility",
)


def build(
    label: str, header: list[str], rows: list[tuple[int, dict[str, Any]]], mapping: dict[str, Any]
) -> Batch:
    """Turn the rows of a flat sheet into a batch of incidents, persons, sources and ties."""
    batch = Batch(file=label)
    fields = _columns(label, header, mapping, batch.problems)
    if batch.problems:
        return batch
    FlatSheet(label, fields, mapping, batch).load(rows)
    return batch


class FlatSheet:
    """Reads the rows of one flat sheet into a batch."""

    def __init__(
        self, label: str, fields: dict[str, str], mapping: dict[str, Any], batch: Batch
    ) -> None:
        self.label = label
        self.fields = fields
        self.defaults = mapping.get("defaults") or {}
        self.sep = mapping.get("separator") or ";"
        self.batch = batch
        self.index = PersonIndex()
        self.sources = _source_index()
        self.new_persons: dict[str, dict[str, Any]] = {}
        self.new_sources: dict[str, dict[str, Any]] = {}
        self.new_relationships: dict[str, dict[str, Any]] = {}
        self.row: dict[str, Any] = {}
        self.rownum = 0

    # the current row
    def get(self, field: str) -> Any:
        h = self.fields.get(field)
        value = self.row.get(h) if h else None
        if value is None or (isinstance(value, str) and not value.strip()):
            return self.defaults.get(field)
        return value.strip() if isinstance(value, str) else value

    def where(self, field: str, rownum: int | None = None) -> tuple[str, str]:
        return self.label, f"{rownum or self.rownum}:{self.fields.get(field, field)}"

    def problem(self, field: str, message: str) -> None:
        self.batch.problems.append(ImportProblem(*self.where(field), message))

    def load(self, rows: list[tuple[int, dict[str, Any]]]) -> None:
        seen: dict[str, Any] = {}
        for rownum, cells in rows:
            self.rownum, self.row = rownum, cells
            inc = self.incident()
            add_record(self.batch, "incidents", inc, self._locator(rownum), seen)
        self._flush("persons", self.new_persons)
        self._flush("sources", self.new_sources)
        existing = _existing("relationships", list(self.new_relationships))
        self._flush(
            "relationships", {k: v for k, v in self.new_relationships.items() if k not in existing}
        )

    def _locator(self, rownum: int) -> Callable[[str], tuple[str, str]]:
        def locate(field: str) -> tuple[str, str]:
            head = field.split("[")[0].split(".")[0]
            if head == "involvements":
                return self.where("target", rownum)
            if head == "citations":
                return self.where("source_title", rownum)
            return self.where(head or "id", rownum)

        return locate

    def _flush(self, kind: str, records: dict[str, dict[str, Any]]) -> None:
        seen: dict[str, Any] = {}
        for rec in records.values():
            file, location = rec.pop("_where")
            add_record(self.batch, kind, rec, _fixed(file, location), seen)

    def incident(self) -> dict[str, Any]:
        inc: dict[str, Any] = {}
        for f in INCIDENT_FIELDS:
            value = self.get(f)
            if value is not None:
                value = self._convert(f, value)
            if value is not None:
                inc[f] = value
        if "place_precision" not in inc:
            # a sheet names a place or a region: say exactly that much, never more
            inc["place_precision"] = (
                "city" if inc.get("place") else "region" if inc.get("region") else "country"
            )
        exile_name = self.get("relative_of")
        exile_id = None
        categories = _categories(self.get("target_category"), self.sep)
        origin = inc.get("origin_country", "")
        target_origin = self.get("target_origin")
        exile_origin = country_code(str(target_origin)) if target_origin else origin
        if exile_name or self.get("relative_of_id"):
            exile_id = self.person(
                str(exile_name or ""),
                "relative_of_id",
                "relative_of",
                {"categories": categories, "origin_country": exile_origin},
            )
        involvements: list[dict[str, Any]] = []
        target_names = []
        for name in _split(self.get("target"), self.sep):
            pid = self.person(
                name,
                "target_id",
                "target",
                {"categories": categories, "origin_country": exile_origin},
            )
            if pid:
                involvements.append({"person": pid, "role": "target"})
                target_names.append(name)
        involvements += self.relatives(exile_name, exile_id, origin)
        if exile_id:
            inc.setdefault("proxy", True)
            if inc["proxy"]:
                inc.setdefault("host_state_role", "not_applicable")
        citation = self.citation()
        if citation:
            inc["citations"] = [citation]
        inc["involvements"] = involvements
        if "title" not in inc:
            tactics = inc.get("tactics") or []
            tactic = (
                codebook.TACTICS.label(tactics[0])
                if tactics and tactics[0] in codebook.TACTICS
                else "Incident"
            )
            who = ", ".join(target_names) or (f"relatives of {exile_name}" if exile_name else "")
            inc["title"] = f"{tactic}: {who}" if who else tactic
        if "id" not in inc:
            key = "|".join(
                [
                    str(inc.get("date", "")),
                    str(inc.get("country", "")),
                    inc["title"],
                    ";".join(map(str, inc.get("tactics", []))),
                ]
            )
            inc["id"] = str(record_uuid("incidents", f"flat:{key}"))
        return inc

    def _convert(self, f: str, value: Any) -> Any:
        if f in ("date", "date_end", "trigger_date"):
            return partial_date(value)
        if f in ("country", "origin_country"):
            return country_code(str(value))
        if f == "tactics":
            return tactic_codes(str(value), self.sep)
        if f == "proxy":
            return str(value).strip().lower() in ("true", "yes", "1", "y", "x")
        if f in ("stage", "victims_estimated", "latitude", "longitude"):
            try:
                number = float(str(value).replace(",", "."))
            except ValueError:
                self.problem(f, f"'{value}' is not a number")
                return None
            return number if f in ("latitude", "longitude") else int(number)
        if f in _CODED and isinstance(value, str):
            return _code_or_label(f, value)
        return value

    def person(self, name: str, id_field: str, field: str, extra: dict[str, Any]) -> str | None:
        """The id of the person a cell names: given, found by spelling, or newly created."""
        given_id = self.get(id_field)
        if given_id:
            return str(given_id)
        pid, message = self.index.find(name)
        if message:
            self.problem(field, message)
            return None
        if pid:
            return pid
        pid = str(record_uuid("persons", f"flat:{_key(name)}"))
        self.index.by_key.setdefault(_key(name), set()).add(pid)
        self.new_persons[pid] = {
            "id": pid,
            "display_name": name,
            **extra,
            "_where": self.where(field),
        }
        return pid

    def relatives(self, exile_name: Any, exile_id: str | None, origin: str) -> list[dict[str, Any]]:
        kinship = self.get("kinship")
        if kinship:
            kinship = _code_or_label("kinship", str(kinship))
        names = _split(self.get("relative"), self.sep)
        out: list[dict[str, Any]] = []
        if exile_id and not names and not self.get("relative_id"):
            # "his mother" with no name: an unnamed relative described in the involvement
            kin = codebook.KINSHIP.label(kinship) if kinship else "relative"
            out.append(
                {
                    "person": None,
                    "role": "relative_targeted",
                    "linked_exile": exile_id,
                    "description": f"{kin} of {exile_name}",
                }
            )
        for name in names:
            pid = self.person(name, "relative_id", "relative", {"origin_country": origin})
            if pid and exile_id:
                out.append({"person": pid, "role": "relative_targeted", "linked_exile": exile_id})
                if kinship:
                    rid = str(record_uuid("relationships", f"flat:{pid}:{kinship}:{exile_id}"))
                    self.new_relationships.setdefault(
                        rid,
                        {
                            "id": rid,
                            "person": pid,
                            "kinship": kinship,
                            "other": exile_id,
                            "_where": self.where("kinship"),
                        },
                    )
            elif pid:
                self.problem(
                    "relative",
                    "a relative needs the exile they were targeted for (a relative_of column)",
                )
        return out

    def citation(self) -> dict[str, Any] | None:
        given = self.get("source_id")
        title, url = self.get("source_title"), self.get("source_url")
        cite = {"locator": str(self.get("locator") or ""), "quote": str(self.get("quote") or "")}
        if given:
            return {"source": str(given), **cite}
        if not title and not url:
            return None
        sid = self.sources.get(f"url:{str(url).strip()}") if url else None
        sid = sid or (self.sources.get(f"title:{_key(str(title))}") if title else None)
        if sid:
            return {"source": sid, **cite}
        sid = str(record_uuid("sources", f"flat:{url or _key(str(title))}"))
        self.sources[f"url:{url}" if url else f"title:{_key(str(title))}"] = sid
        stype = self.get("source_type")
        self.new_sources[sid] = {
            "id": sid,
            "title": str(title or url),
            "url": str(url or ""),
            "date": partial_date(self.get("source_date")),
            "publisher": str(self.get("source_publisher") or ""),
            "type": _code_or_label("source_type", str(stype)) if stype else "other",
            "_where": self.where("source_title" if title else "source_url"),
        }
        return {"source": sid, **cite}


def _fixed(file: str, location: str) -> Callable[[str], tuple[str, str]]:
    """A locator that points every field of a derived record at the cell it came from."""
    return lambda _field: (file, location)


def _split(value: Any, sep: str) -> list[str]:
    if value is None:
        return []
    return [part.strip() for part in str(value).split(sep) if part.strip()]


def _categories(value: Any, sep: str) -> list[str]:
    return [_code_or_label("category", c) for c in _split(value, sep)]


_VOCAB_OF = {
    "place_precision": codebook.PLACE_PRECISION,
    "host_state_role": codebook.HOST_STATE_ROLES,
    "legal_channel": codebook.LEGAL_CHANNELS,
    "outcome": codebook.OUTCOMES,
    "confidence": codebook.CONFIDENCE,
    "review_status": codebook.REVIEW_STATUS,
    "visibility": codebook.VISIBILITY,
    "kinship": codebook.KINSHIP,
    "category": codebook.EXILE_CATEGORIES,
    "source_type": codebook.SOURCE_TYPES,
}


def _code_or_label(field: str, value: str) -> str:
    """Accept a code or its label, in any case ('Confirmed', 'daughter', 'Country only')."""
    vocab = _VOCAB_OF[field]
    text = value.strip()
    if text in vocab:
        return text
    low = text.lower()
    for c in vocab.codes:
        if low in (c.code, c.label.lower()):
            return c.code
    return low.replace(" ", "_") if low.replace(" ", "_") in vocab else text


def _source_index() -> dict[str, str]:
    from exiledb.cases.models import Source

    index: dict[str, str] = {}
    for pk, title, url in Source.objects.values_list("pk", "title", "url").iterator():
        if url:
            index[f"url:{url.strip()}"] = str(pk)
        index.setdefault(f"title:{_key(title)}", str(pk))
    return index


def _existing(kind: str, ids: list[str]) -> set[str]:
    from . import serialize

    found: set[str] = set()
    for start in range(0, len(ids), 900):
        found.update(
            str(pk)
            for pk in serialize.MODELS[kind]
            .objects.filter(pk__in=ids[start : start + 900])
            .values_list("pk", flat=True)
        )
    return found
