"""The interchange JSON format (`exiledb/1`): the backbone every other format maps onto."""

from __future__ import annotations

import codecs
import json
import multiprocessing as mp
from collections.abc import Iterator
from pathlib import Path
from queue import Empty
from typing import Any

from exiledb.vocab import CODEBOOK_VERSION

from .base import RECORD_TYPES, Batch, ImportFailed, ImportProblem, Item, Locator
from .schema import add_record, normalise

FORMAT = "exiledb/1"
TOP_LEVEL = {"format", "codebook", "title", "description", "exported_at", "audience", *RECORD_TYPES}


def read(path: str | Path) -> JsonStream:
    """An interchange file as a streaming source: records are parsed, checked and handed to the
    writer a chunk at a time, so a file of a million incidents never sits in memory whole."""
    name = str(path)
    try:
        size = Path(path).stat().st_size
        fh = open(path, "rb")  # noqa: SIM115 - closed by the stream
    except OSError as exc:
        raise ImportFailed(
            [ImportProblem(name, "", f"cannot read the file: {exc.strerror}")]
        ) from None
    stream = JsonStream(name, fh, size)
    stream.prime()  # a file that is not text fails here, before any work
    return stream


class _Incomplete(Exception):
    pass


class JsonStream:
    """Reads an `exiledb/1` document incrementally.

    The top-level object is walked by hand; each record inside the five lists is decoded with
    `json.JSONDecoder.raw_decode` from a sliding buffer, so memory holds one block of text and
    one chunk of records at a time. Problems are located as `incidents[12] (id X): field`.
    """

    BLOCK = 1 << 22
    MAX_VALUE = 1 << 26  # one record may be at most 64 M characters of JSON
    BACKGROUND_FROM = 16 << 20  # bytes: files this large are parsed in a second process

    def __init__(self, file: str, fh: Any, size: int):
        self.file = file
        self.fh = fh
        self.size = size
        self.problems: list[ImportProblem] = []
        self.header: dict[str, Any] = {}
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.lines_before = 0  # newlines in text already dropped from the buffer
        self.bytes_read = 0
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self._decoder = json.JSONDecoder()
        # each record's id as written, by list and index, for messages about it later (mostly
        # the same string objects the writer keeps anyway)
        self.raw_ids: dict[str, list[Any]] = {kind: [] for kind in RECORD_TYPES}

    # --- the tokenizer ----------------------------------------------------------------------

    def prime(self) -> None:
        if not self.buf:
            self._fill()

    def _fill(self) -> bool:
        if self.eof:
            return False
        data = self.fh.read(self.BLOCK)
        final = not data
        if self.bytes_read == 0 and data.startswith(codecs.BOM_UTF8):
            data = data[3:]  # tolerate the BOM that Windows editors add
            self.bytes_read = 3
        try:
            block = self._utf8.decode(data, final)
        except UnicodeDecodeError as exc:
            self._fatal(
                f"byte {self.bytes_read + exc.start}",
                "the file is not UTF-8 text; save it as UTF-8",
            )
        self.bytes_read += len(data)
        if final:
            self.eof = True
            self.fh.close()
            if not block:
                return False
        self.lines_before += self.buf.count("\n", 0, self.pos)
        self.buf = self.buf[self.pos :] + block
        self.pos = 0
        return True

    def _peek(self) -> str:
        while True:
            buf, pos = self.buf, self.pos
            n = len(buf)
            while pos < n and buf[pos] in " \t\r\n":
                pos += 1
            self.pos = pos
            if pos < n:
                return buf[pos]
            if not self._fill():
                return ""

    def _where(self, pos: int) -> str:
        line = self.lines_before + self.buf.count("\n", 0, pos) + 1
        col = pos - self.buf.rfind("\n", 0, pos)
        return f"{line}:{col}"

    def _fatal(self, location: str, message: str) -> None:
        self.fh.close()
        raise ImportFailed([*self.problems, ImportProblem(self.file, location, message)])

    def _value(self) -> Any:
        """Decode the next JSON value, reading more of the file while it may be incomplete.

        A decoding error before the end of the file may only mean the value runs past the
        buffer, so more is read and the value decoded again - up to MAX_VALUE characters, past
        which the error is reported as it stands."""
        self._peek()
        while True:
            try:
                value, end = self._decoder.raw_decode(self.buf, self.pos)
                if end >= len(self.buf) and not self.eof and isinstance(value, int | float):
                    raise _Incomplete  # a number cut by the block boundary
            except (json.JSONDecodeError, _Incomplete) as exc:
                if len(self.buf) - self.pos < self.MAX_VALUE and self._fill():
                    continue
                assert isinstance(exc, json.JSONDecodeError)
                truncated = self.eof and (
                    exc.pos >= len(self.buf.rstrip()) - 1
                    or exc.msg.startswith("Unterminated string")
                )
                hint = " (the file looks truncated)" if truncated else ""
                self._fatal(self._where(exc.pos), f"invalid JSON: {exc.msg}{hint}")
            self.pos = end
            return value

    def _expect(self, chars: str, what: str) -> str:
        c = self._peek()
        if not c or c not in chars:
            found = f"'{c}'" if c else "the end of the file"
            hint = " (the file looks truncated)" if not c else ""
            self._fatal(
                self._where(self.pos), f"invalid JSON: expected {what}, found {found}{hint}"
            )
        self.pos += 1
        return c

    # --- the document -------------------------------------------------------------------------

    def _records(self) -> Iterator[tuple[str, int, Any]]:
        if self._peek() != "{":
            self._fatal("1:1", f'the document must be a JSON object with "format": "{FORMAT}"')
        self.pos += 1
        if self._peek() == "}":
            self.pos += 1
        else:
            while True:
                key = self._value()
                if not isinstance(key, str):
                    self._fatal(self._where(self.pos), "invalid JSON: expected a key")
                self._expect(":", "':'")
                if key in RECORD_TYPES and self._peek() == "[":
                    self.pos += 1
                    index = 0
                    if self._peek() == "]":
                        self.pos += 1
                    else:
                        while True:
                            yield key, index, self._value()
                            index += 1
                            if self._expect(",]", "',' or ']'") == "]":
                                break
                else:
                    self._top_level(key, self._value())
                if self._expect(",}", "',' or '}'") == "}":
                    break
        if self._peek():
            self._fatal(self._where(self.pos), "invalid JSON: extra data after the document")
        self._check_header(final=True)

    def _top_level(self, key: str, value: Any) -> None:
        self.header[key] = value
        if key in RECORD_TYPES:
            self.problems.append(ImportProblem(self.file, key, "must be a list"))
        elif key not in TOP_LEVEL:
            self.problems.append(
                ImportProblem(
                    self.file,
                    key,
                    f"unknown top-level key (expected one of {', '.join(sorted(TOP_LEVEL))})",
                )
            )
        elif key == "format":
            self._check_header()

    def _check_header(self, final: bool = False) -> None:
        fmt = self.header.get("format")
        if fmt != FORMAT and (final or "format" in self.header):
            self._fatal("format", f'expected "format": "{FORMAT}", found {fmt!r}')
        codebook = self.header.get("codebook", CODEBOOK_VERSION)
        if final and str(codebook).split(".")[0] != CODEBOOK_VERSION.split(".")[0]:
            self.problems.append(
                ImportProblem(
                    self.file,
                    "codebook",
                    f"written for codebook {codebook}; this exiledb uses {CODEBOOK_VERSION}",
                )
            )

    def chunks(self, size: int) -> Iterator[tuple[str, list[Item]]]:
        """Canonical records a chunk at a time (problems are collected on self.problems).

        A large file is parsed and checked in a second process while this one writes: the two
        halves of an import take about as long as each other, and a machine has two cores."""
        if self.size >= self.BACKGROUND_FROM and "fork" in mp.get_all_start_methods():
            yield from self._chunks_from_child(size)
        else:
            yield from self._chunks_here(size)

    def _chunks_here(self, size: int) -> Iterator[tuple[str, list[Item]]]:
        current = ""
        items: list[Item] = []
        for kind, index, raw in self._records():
            if (kind != current or len(items) >= size) and items:
                yield current, items
                items = []
            current = kind
            rec, problems, refs = normalise(kind, raw)
            rid = raw.get("id") if isinstance(raw, dict) else None
            self.raw_ids[kind].append(rid if isinstance(rid, str) else None)
            if problems:
                where = self._label(kind, index, raw)
                self.problems.extend(
                    ImportProblem(self.file, f"{where}: {f}" if f else where, msg)
                    for f, msg in problems
                )
            if rec is not None:
                items.append((rec, index, refs))
        if items:
            yield current, items

    def _produce(self, queue: Any, size: int) -> None:
        """In the child: parse and check, sending each chunk with what the parent must know
        to word messages later (ids as written, problems found)."""
        sent = {kind: 0 for kind in RECORD_TYPES}
        reported = 0
        try:
            for kind, items in self._chunks_here(size):
                ids = self.raw_ids[kind][sent[kind] :]
                sent[kind] = len(self.raw_ids[kind])
                queue.put(("chunk", kind, items, ids, self.problems[reported:], self.bytes_read))
                reported = len(self.problems)
            rest = {kind: self.raw_ids[kind][sent[kind] :] for kind in RECORD_TYPES}
            queue.put(("done", rest, self.problems[reported:], self.bytes_read))
        except ImportFailed as exc:
            queue.put(("fatal", exc.problems))

    def _chunks_from_child(self, size: int) -> Iterator[tuple[str, list[Item]]]:
        ctx = mp.get_context("fork")
        queue = ctx.Queue(maxsize=8)
        child = ctx.Process(target=self._produce, args=(queue, size), daemon=True)
        child.start()
        self.fh.close()  # the child reads the file from here on
        try:
            while True:
                try:
                    message = queue.get(timeout=5)
                except Empty:
                    if not child.is_alive():
                        raise ImportFailed(
                            [
                                ImportProblem(
                                    self.file, "", "the reading process stopped unexpectedly"
                                )
                            ]
                        ) from None
                    continue
                if message[0] == "fatal":
                    raise ImportFailed(message[1])
                if message[0] == "done":
                    for kind, ids in message[1].items():
                        self.raw_ids[kind].extend(ids)
                    self.problems.extend(message[2])
                    self.bytes_read = message[3]
                    return
                _, kind, items, ids, problems, self.bytes_read = message
                self.raw_ids[kind].extend(ids)
                self.problems.extend(problems)
                yield kind, items
        finally:
            if child.is_alive():
                child.terminate()
            child.join(timeout=5)

    @staticmethod
    def _label(kind: str, index: int, raw: Any) -> str:
        rid = raw.get("id") if isinstance(raw, dict) else None
        return f"{kind}[{index}]" + (f" (id {rid})" if rid else "")

    def problem(self, kind: str, index: int, field: str, message: str) -> ImportProblem:
        ids = self.raw_ids[kind]
        rid = ids[index] if index < len(ids) else None
        where = f"{kind}[{index}]" + (f" (id {rid})" if rid else "")
        return ImportProblem(self.file, f"{where}: {field}" if field else where, message)

    @property
    def done_fraction(self) -> float:
        return min(1.0, self.bytes_read / self.size) if self.size else 1.0


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
