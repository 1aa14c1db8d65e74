"""The interchange JSON format (`exiledb/1`): the backbone every other format maps onto."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from exiledb.vocab import CODEBOOK_VERSION

from .base import RECORD_TYPES, Batch, ImportFailed, ImportProblem, Locator
from .schema import add_record

FORMAT = "exiledb/1"
TOP_LEVEL = {"format", "codebook", "title", "description", "exported_at", "audience", *RECORD_TYPES}


def read(path: str | Path) -> Batch:
    """Parse and canonicalise an interchange file; raise ImportFailed with every problem."""
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ImportFailed(
            [ImportProblem(name, "", f"cannot read the file: {exc.strerror}")]
        ) from None
    try:
        text = raw.decode("utf-8-sig")  # tolerate the BOM that Windows editors add
    except UnicodeDecodeError as exc:
        raise ImportFailed(
            [
                ImportProblem(
                    name, f"byte {exc.start}", "the file is not UTF-8 text; save it as UTF-8"
                )
            ]
        ) from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        hint = " (the file looks truncated)" if exc.pos >= len(text.rstrip()) - 1 else ""
        raise ImportFailed(
            [ImportProblem(name, f"{exc.lineno}:{exc.colno}", f"invalid JSON: {exc.msg}{hint}")]
        ) from None
    return parse_document(doc, name)


def parse_document(doc: Any, name: str = "<document>") -> Batch:
    """Canonicalise a parsed document. Record problems are collected on the batch, so that
    reference problems can be reported together with them."""
    problems: list[ImportProblem] = []
    if not isinstance(doc, dict):
        raise ImportFailed(
            [
                ImportProblem(
                    name, "", f'the document must be a JSON object with "format": "{FORMAT}"'
                )
            ]
        )
    if doc.get("format") != FORMAT:
        raise ImportFailed(
            [
                ImportProblem(
                    name, "format", f'expected "format": "{FORMAT}", found {doc.get("format")!r}'
                )
            ]
        )
    for key in doc:
        if key not in TOP_LEVEL:
            problems.append(
                ImportProblem(
                    name,
                    key,
                    f"unknown top-level key (expected one of {', '.join(sorted(TOP_LEVEL))})",
                )
            )
    codebook = doc.get("codebook", CODEBOOK_VERSION)
    if str(codebook).split(".")[0] != CODEBOOK_VERSION.split(".")[0]:
        problems.append(
            ImportProblem(
                name,
                "codebook",
                f"written for codebook {codebook}; this exiledb uses {CODEBOOK_VERSION}",
            )
        )
    batch = Batch(file=name)
    batch.problems.extend(problems)
    for kind in RECORD_TYPES:
        items = doc.get(kind, [])
        if not isinstance(items, list):
            batch.problems.append(ImportProblem(name, kind, "must be a list"))
            continue
        seen: dict[str, Any] = {}
        for i, raw in enumerate(items):
            rid = raw.get("id") if isinstance(raw, dict) else None
            where = f"{kind}[{i}]" + (f" (id {rid})" if rid else "")
            add_record(batch, kind, raw, _json_locator(name, where), seen)
    return batch


def _json_locator(name: str, where: str) -> Locator:
    return lambda field: (name, f"{where}: {field}" if field else where)


def document(records: dict[str, list[dict[str, Any]]], title: str = "") -> dict[str, Any]:
    """Wrap canonical record lists as an interchange document."""
    doc: dict[str, Any] = {"format": FORMAT, "codebook": CODEBOOK_VERSION}
    if title:
        doc["title"] = title
    for kind in RECORD_TYPES:
        doc[kind] = records.get(kind, [])
    return doc
