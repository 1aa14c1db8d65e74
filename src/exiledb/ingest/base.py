"""The importer interface shared by every format.

Each format module turns a file into the canonical record lists of the interchange format
(`Batch`), reporting every problem it finds as an `ImportProblem`. `exiledb.ingest.writer`
then validates references against the database and writes the batch in one transaction.
Adding a format means adding one module with a `read(path) -> Batch` function.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

RECORD_TYPES = ("organizations", "sources", "persons", "relationships", "incidents")

# Fixed namespace: a readable id such as "person/kabiri" maps to the same UUID on every machine.
ID_NAMESPACE = uuid.UUID("6f1c4d1e-3b1a-5c9e-9a57-0e6c1b9d2f10")


def record_uuid(kind: str, ref: str) -> uuid.UUID:
    """The UUID for a record id: itself if it is a UUID, else UUID 5 of type and id."""
    try:
        return uuid.UUID(ref)
    except (ValueError, AttributeError, TypeError):
        return uuid.uuid5(ID_NAMESPACE, f"{kind}:{ref}")


@dataclass(frozen=True)
class ImportProblem:
    """One problem, located as precisely as the format allows (file:row:column or JSON path)."""

    file: str
    location: str
    message: str

    def __str__(self) -> str:
        return (
            f"{self.file}:{self.location}: {self.message}"
            if self.location
            else (f"{self.file}: {self.message}")
        )


class ImportFailed(Exception):
    """Raised with every problem found; nothing has been stored."""

    def __init__(self, problems: list[ImportProblem]):
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s)")


Locator = Callable[[str], tuple[str, str]]
Item = tuple[dict[str, Any], int, list[tuple[str, str, str, str]]]  # record, index, references


class Source(Protocol):
    """What the writer reads from: an in-memory Batch, or a stream such as JsonStream."""

    file: str
    problems: list[ImportProblem]

    def chunks(self, size: int) -> Iterator[tuple[str, list[Item]]]: ...

    @property
    def done_fraction(self) -> float: ...

    def problem(self, kind: str, index: int, field: str, message: str) -> ImportProblem: ...


@dataclass
class Batch:
    """Records in canonical interchange form, ready for the writer."""

    file: str
    records: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {k: [] for k in RECORD_TYPES}
    )
    # where each record came from, for error messages: (type, index) -> locator, a function
    # from a field path ("involvements[0].person") to (file, location), e.g.
    # ("data.json", "incidents[3] (id X): involvements[0].person") or
    # ("involvements.csv", "7:person_id")
    origins: dict[tuple[str, int], Locator] = field(default_factory=dict)
    # references to check: (type, index, field, target type, uuid, id as written)
    refs: list[tuple[str, int, str, str, str, str]] = field(default_factory=list)
    # problems found while reading; the writer adds reference problems and refuses to write
    problems: list[ImportProblem] = field(default_factory=list)

    def chunks(self, size: int) -> Iterator[tuple[str, list[Item]]]:
        """The records a chunk at a time, each with its index and its references."""
        refs: dict[tuple[str, int], list[tuple[str, str, str, str]]] = {}
        for kind, index, *ref in self.refs:
            refs.setdefault((kind, index), []).append(tuple(ref))  # type: ignore[arg-type]
        total = sum(len(v) for v in self.records.values()) or 1
        done = 0
        for kind in RECORD_TYPES:
            records = self.records[kind]
            for start in range(0, len(records), size):
                done += min(size, len(records) - start)
                self._done = done / total
                yield (
                    kind,
                    [
                        (rec, i, refs.get((kind, i), []))
                        for i, rec in enumerate(records[start : start + size], start)
                    ],
                )

    @property
    def done_fraction(self) -> float:
        return getattr(self, "_done", 0.0)

    def problem(self, kind: str, index: int, field: str, message: str) -> ImportProblem:
        locate = self.origins.get((kind, index))
        if locate is None:
            return ImportProblem(self.file, f"{kind}[{index}]: {field}", message)
        file, location = locate(field)
        return ImportProblem(file, location, message)


@dataclass
class Summary:
    """What an import did (or would do, on a dry run), per record type."""

    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RECORD_TYPES, 0))
    updated: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RECORD_TYPES, 0))
    unchanged: dict[str, int] = field(default_factory=lambda: dict.fromkeys(RECORD_TYPES, 0))
    dry_run: bool = False
    # Incidents whose public index row the import wrote (all of them when it built the index).
    indexed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "dry_run": self.dry_run,
        }

    @property
    def changed(self) -> int:
        return sum(self.created.values()) + sum(self.updated.values())
