"""Full-text search over the public index: SQLite FTS5 or PostgreSQL, behind one interface.

`match(queryset, terms)` narrows a queryset of Entry rows to those whose text has a word
starting with each term (`ids(terms)`: their ids); `written(ids)` / `removing(ids)` keep the
engine's index in step with the rows; `rebuilt()` rebuilds it after a bulk load. Terms are
folded words (exiledb.explore.text), letters and digits only, so they are safe to place in
either engine's query syntax.

- SQLite: an FTS5 table over Entry.text (external content, rowid = Entry.id), created by
  migration 0002; the unicode61 tokenizer splits on the same boundaries as text.words.
- PostgreSQL: a GIN index on to_tsvector('simple', text) (migration 0002); 'simple' neither
  stems nor drops stop words, so Tajik, Russian and English names are matched as written.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection, transaction
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

FTS_TABLE = "explore_fts"
PG_SEARCH_WORK_MEM = "64MB"


def _vendor() -> str:
    return connection.vendor


def _sql(
    table: str, terms: Sequence[str], alternatives: Sequence[Sequence[str]]
) -> tuple[str, str]:
    """The engine's query for rows with a word starting with each term, or holding one of
    that term's alternatives: (SQL selecting their ids, the query text, its one parameter)."""
    alts = list(alternatives) + [[]] * (len(terms) - len(alternatives))
    if _vendor() == "postgresql":
        query = " & ".join(
            "(" + " | ".join([f"{t}:*", *alt]) + ")" if alt else f"{t}:*"
            for t, alt in zip(terms, alts, strict=False)
        )
        sql = (
            f"SELECT id FROM {table} WHERE to_tsvector('simple'::regconfig, text) "  # noqa: S608
            "@@ to_tsquery('simple'::regconfig, %s)"
        )
    else:
        query = " AND ".join(
            "(" + " OR ".join([f'"{t}"*', *(f'"{a}"' for a in alt)]) + ")" if alt else f'"{t}"*'
            for t, alt in zip(terms, alts, strict=False)
        )
        sql = f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s"  # noqa: S608
    # Terms and alternatives are letters and digits only (text.terms, text.KEY_MARK + a key)
    # and travel as a parameter.
    return sql, query


def match(
    queryset: QuerySet, terms: Sequence[str], alternatives: Sequence[Sequence[str]] = ()
) -> QuerySet:
    """Rows with a word starting with each term, or holding one of that term's alternatives
    (whole tokens: the marked name keys of exiledb.explore.text.key_alternatives)."""
    if not terms:
        return queryset
    sql, query = _sql(queryset.model._meta.db_table, terms, alternatives)
    return queryset.filter(id__in=RawSQL(sql, [query]))  # noqa: S611


def narrows() -> bool:
    """Whether `ids` is faster given the rows the other filters keep (PostgreSQL: the table's
    pages are read for every match; FTS5 reads its own index only)."""
    return _vendor() == "postgresql"


def ids(
    terms: Sequence[str],
    alternatives: Sequence[Sequence[str]] = (),
    narrowed: QuerySet | None = None,
) -> list[int]:
    """The ids of the index rows `match` would keep.

    SQLite reads them from the FTS5 table alone. PostgreSQL's GIN index gives row locations
    that it checks against the table, a page read per few rows: with `narrowed` (the rows the
    other filters keep) the filters go into the same statement, so the planner ANDs their
    indexes with the GIN index and reads only the pages of rows that match everything; and
    the statement gets the memory to keep its bitmap exact (with the default 4 MB, a common
    word's bitmap turns lossy and every row on its pages is parsed again)."""
    from .models import Entry

    if _vendor() != "postgresql":
        sql, query = _sql(Entry._meta.db_table, terms, alternatives)
        with connection.cursor() as cursor:
            # one row of text rather than a row per match: a common word matches most rows
            cursor.execute(f"SELECT GROUP_CONCAT(rowid) FROM ({sql})", [query])  # noqa: S608
            joined = cursor.fetchone()[0]
        return list(map(int, joined.split(","))) if joined else []
    rows = match(narrowed if narrowed is not None else Entry.objects.all(), terms, alternatives)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL work_mem = '{PG_SEARCH_WORK_MEM}'")
        return list(rows.values_list("id", flat=True))


def _chunks(ids: Sequence[int], size: int = 500) -> list[Sequence[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def written(ids: Sequence[int]) -> None:
    """Rows with these ids were inserted: index their text."""
    if _vendor() == "postgresql" or not ids:
        return  # the expression index follows the table
    with connection.cursor() as cursor:
        for chunk in _chunks(ids):
            marks = ",".join("%s" for _ in chunk)
            cursor.execute(
                f"INSERT INTO {FTS_TABLE}(rowid, text) "  # noqa: S608 - placeholders only
                f"SELECT id, text FROM explore_entry WHERE id IN ({marks})",
                list(chunk),
            )


def removing(ids: Sequence[int]) -> None:
    """Rows with these ids are about to be deleted: forget their text (external-content FTS5
    tables must be told the old values)."""
    if _vendor() == "postgresql" or not ids:
        return
    with connection.cursor() as cursor:
        for chunk in _chunks(ids):
            marks = ",".join("%s" for _ in chunk)
            cursor.execute(
                f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, text) "  # noqa: S608 - placeholders
                f"SELECT 'delete', id, text FROM explore_entry WHERE id IN ({marks})",
                list(chunk),
            )


def cleared() -> None:
    """Every row is about to be deleted."""
    if _vendor() == "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES('delete-all')")


def rebuilt() -> None:
    """Rows were bulk-loaded: build the engine's index from them."""
    if _vendor() == "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES('rebuild')")
