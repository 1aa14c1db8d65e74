"""Facet counts and list pages from bitmaps kept in memory, one set per index generation.

Counting the facet values of a selection in the database means reading the facet rows of every
matching incident: at a million incidents that is most of a second per page
(docs/performance.md). Here each value of each facet is a bitmap - a Python int whose bit `i`
is set when the index row (Entry) with id `i` has that value - read from the index once per
process and generation. A selection is the AND over the chosen facets of the OR of their chosen
values, and of the rows the full-text index matches; the count of any value within it is the
popcount of one AND. Nine facets and a few hundred values cost a few milliseconds, whatever the
size of the collection. A page is the first rows of the selection in date order, found in an
order of all rows computed at load; only those rows are then read from the database.

Everything here is derived from the public index (Entry and EntryValue rows, written through
the access policy), so it holds nothing the public index does not. Bit positions are Entry ids:
a rebuild numbers rows from 1, and refreshed rows take ids after the largest, so the bitmaps
are as long as the largest id (a few hundred kilobytes each at a million incidents).

Each worker process loads them once per index generation (after an edit, its first reader of
the list waits for it): 2.8 s on SQLite and 5.1 s on PostgreSQL for the 761,528 rows of a
million-incident collection (bench/bench_explore.py, docs/performance.md).
"""

from __future__ import annotations

import re
import threading
from array import array
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import repeat
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, transaction

from .models import Entry, EntryValue

if TYPE_CHECKING:
    from .filters import Query

# Up to this many matches, a page is found by listing the matches and sorting them by their
# place in the date order; beyond, by walking the date order until the page is full.
LIST_AND_SORT = 20_000
# Search results kept per generation (about 100 KB each at a million incidents); the setting
# EXPLORE_SEARCHES_KEPT overrides it (the benchmark's cold runs keep none).
SEARCHES_KEPT = 256
_NONZERO = re.compile(rb"[^\x00]")


def _bit_ids(data: bytes) -> list[int]:
    """The positions of the set bits of a little-endian bitmap, in increasing order."""
    out: list[int] = []
    for m in _NONZERO.finditer(data):
        byte = data[m.start()]
        base = m.start() << 3
        while byte:
            low = byte & -byte
            out.append(base + low.bit_length() - 1)
            byte ^= low
    return out


@dataclass
class Bitmaps:
    generation: str
    size: int  # bits: the largest id + 1
    everything: int
    values: dict[str, dict[str, int]]  # facet param -> value as in URLs -> bitmap
    order: array  # type: ignore[type-arg]  # ids, newest first (date desc, undated last; id desc)
    dated: int  # how many ids at the start of `order` have a date
    rank: array  # type: ignore[type-arg]  # rank[id]: the id's position in `order`
    _searches: OrderedDict[tuple[Any, ...], int] = field(default_factory=OrderedDict)
    _searches_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def nbytes(self) -> int:
        return (self.size + 7) >> 3

    def of_ids(self, ids: Iterable[int]) -> int:
        size = self.size
        return _bitmap([pk for pk in ids if 0 <= pk < size], size)

    def ids(self, mask: int) -> list[int]:
        """The ids of a bitmap's rows, in increasing order."""
        return _bit_ids(mask.to_bytes(self.nbytes, "little"))

    def searched(self, key: tuple[Any, ...], fetch: Callable[[], Iterable[int]]) -> int:
        """The bitmap of a full-text search's matches, fetched once per generation: a common
        word matches most of the index, and reading its matches from the engine costs more
        than everything else a page does (0.6 s for a word in every row at a million)."""
        with self._searches_lock:
            found = self._searches.get(key)
            if found is not None:
                self._searches.move_to_end(key)
                return found
        found = self.of_ids(fetch())
        kept = getattr(settings, "EXPLORE_SEARCHES_KEPT", SEARCHES_KEPT)
        with self._searches_lock:
            self._searches[key] = found
            while len(self._searches) > kept:
                self._searches.popitem(last=False)
        return found

    def select(self, query: Query, matched: int | None = None) -> int:
        """The rows of the query's facets and years, and of `matched` (the bitmap of its
        full-text matches) when given."""
        from .filters import BY_PARAM, INTEGER_COLUMNS

        mask = self.everything
        for param, chosen in query.selected.items():
            column = BY_PARAM[param].column
            by_value = self.values.get(param, {})
            either = 0
            for value in chosen:
                key = str(int(value)) if column in INTEGER_COLUMNS else value
                either |= by_value.get(key, 0)
            mask &= either
        if query.year_from is not None or query.year_to is not None:
            low = query.year_from if query.year_from is not None else -1
            high = query.year_to if query.year_to is not None else 1 << 30
            years = 0
            for value, bits in self.values.get("year", {}).items():
                if low <= int(value) <= high:
                    years |= bits
            mask &= years
        if matched is not None:
            mask &= matched
        return mask

    def counts(self, mask: int) -> dict[str, Any]:
        """{"total": n, "facets": {param: {value: n}}}, values with no match left out."""
        facets: dict[str, dict[str, int]] = {}
        for param, by_value in self.values.items():
            counted: dict[str, int] = {}
            if mask:
                for value, bits in by_value.items():
                    n = (mask & bits).bit_count()
                    if n:
                        counted[value] = n
            facets[param] = counted
        return {"total": mask.bit_count(), "facets": facets}

    def _oldest_first(self) -> Iterator[int]:
        order, dated = self.order, self.dated
        for i in range(dated - 1, -1, -1):
            yield order[i]
        for i in range(len(order) - 1, dated - 1, -1):
            yield order[i]

    def _oldest_first_rank(self, pk: int) -> int:
        pos = self.rank[pk]
        if pos < self.dated:
            return self.dated - 1 - pos
        return self.dated + (len(self.order) - 1 - pos)

    def page(self, mask: int, sort: str, start: int, count: int) -> list[int]:
        """Ids of rows `start` to `start + count` of the selection, in the list's order
        (`-date`: newest first, `date`: oldest first; undated rows last either way)."""
        total = mask.bit_count()
        if total <= start or count <= 0:
            return []
        data = mask.to_bytes(self.nbytes, "little")
        want = start + count
        if total <= LIST_AND_SORT:
            ids = _bit_ids(data)
            if sort == "date":
                ids.sort(key=self._oldest_first_rank)
            else:
                ids.sort(key=self.rank.__getitem__)
            return ids[start:want]
        walk: Iterable[int] = self._oldest_first() if sort == "date" else self.order
        found: list[int] = []
        for pk in walk:
            if data[pk >> 3] >> (pk & 7) & 1:
                found.append(pk)
                if len(found) >= want:
                    break
        return found[start:]


def _bitmap(ids: list[int], size: int) -> int:
    """The bitmap of these ids (each under `size`). A few ids: their bits set in a byte array
    one-eighth the size. Many: built in C, a '1' per id in a text of `size` binary digits,
    read as a base-2 number (linear in CPython)."""
    if len(ids) * 32 < size:
        data = bytearray((size + 7) >> 3)
        for pk in ids:
            data[pk >> 3] |= 1 << (pk & 7)
        return int.from_bytes(data, "little")
    digits = bytearray(b"0") * size
    deque(map(digits.__setitem__, ids, repeat(ord("1"))), maxlen=0)
    digits.reverse()  # bit 0 is the last digit
    return int(digits, 2)


def _ids(grouped: str | list[int] | None) -> list[int]:
    """A group's ids: a list (PostgreSQL's ARRAY_AGG) or "3,17,42" (SQLite's GROUP_CONCAT)."""
    if not grouped:
        return []
    if isinstance(grouped, str):
        return list(map(int, grouped.split(",")))
    return list(grouped)


@contextmanager
def _one_snapshot() -> Iterator[None]:
    """Read every query of a load from one state of the index, so that a refresh committed
    half-way cannot leave rows in the order without their facets (SQLite: one read
    transaction; PostgreSQL: REPEATABLE READ). Inside a caller's transaction, that one."""
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def load(generation: str) -> Bitmaps:
    """Read the index into bitmaps. The database groups the ids by facet value (one grouped
    query per facet, read from an index); Python only sets the bits."""
    from .filters import FACETS

    entry, value_table = Entry._meta.db_table, EntryValue._meta.db_table

    def joined(column: str) -> str:  # the group's ids: an array, or one text "3,17,42"
        if connection.vendor == "postgresql":
            return f"ARRAY_AGG({column})"
        return f"GROUP_CONCAT({column})"

    values: dict[str, dict[str, int]] = {}
    with _one_snapshot(), connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(id) FROM {entry}")  # noqa: S608 - names from the models
        size = (cursor.fetchone()[0] or 0) + 1
        # Oldest first, as both engines read the (date_earliest, id) index; undated rows come
        # first (SQLite) or last (PostgreSQL) and are kept apart.
        cursor.execute(
            f"SELECT id, date_earliest IS NULL FROM {entry} "  # noqa: S608
            "WHERE id < %s ORDER BY date_earliest, id",
            [size],
        )
        rows = cursor.fetchall()
        dated = array("q", (pk for pk, undated in rows if not undated))
        undated = array("q", (pk for pk, undated in rows if undated))
        for facet in FACETS:
            if facet.column is not None:
                sql = (
                    f"SELECT {facet.column}, {joined('id')} FROM {entry} "  # noqa: S608
                    f"WHERE id < %s GROUP BY {facet.column}"
                )
                params: list[Any] = [size]
            else:  # later rows are the next generation's
                sql = (
                    f"SELECT value, {joined('entry_id')} "  # noqa: S608
                    f"FROM {value_table} WHERE facet = %s AND entry_id < %s GROUP BY value"
                )
                params = [facet.param, size]
            cursor.execute(sql, params)
            values[facet.param] = {
                str(value): _bitmap(_ids(ids), size)
                for value, ids in cursor.fetchall()
                if value is not None and value != ""
            }
    dated.reverse()
    undated.reverse()
    order = dated + undated  # newest first, undated last, ties by id descending
    rank = array("i", bytes(4 * size))
    deque(map(rank.__setitem__, order, range(len(order))), maxlen=0)
    return Bitmaps(
        generation=generation,
        size=size,
        everything=_bitmap(list(order), size),
        values=values,
        order=order,
        dated=len(dated),
        rank=rank,
    )


_LOCK = threading.Lock()
_CURRENT: list[Bitmaps] = []


def current(generation: str) -> Bitmaps:
    """The bitmaps of this index generation, loaded on first use in this process."""
    with _LOCK:
        if _CURRENT and _CURRENT[0].generation == generation:
            return _CURRENT[0]
        loaded = load(generation)
        _CURRENT[:] = [loaded]
        return loaded
