"""Full-text search over the public index: SQLite FTS5 or PostgreSQL, behind one interface.

`match(queryset, terms)` narrows a queryset of Entry rows to those whose text has a word
starting with each term (`ids(terms)`: their ids); `written(ids)` / `removing(ids)` keep the
engine's index in step with the rows; `rebuilt()` rebuilds it after a bulk load. Terms are
folded words (exiledb.explore.text), letters and digits only, so they are safe to place in
either engine's query syntax.

- SQLite: an FTS5 table over Entry.text (external content, rowid = Entry.id), created by
  migration 0002; the unicode61 tokenizer splits on the same boundaries as text.words.
- PostgreSQL: a GIN index on the stored generated column `search`, to_tsvector('simple', text)
  (migrations 0002, 0006); 'simple' neither stems nor drops stop words, so Tajik, Russian and
  English names are matched as written. The column is not on the model: PostgreSQL computes it
  when a row is written.
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
            f"SELECT id FROM {table} WHERE search "  # noqa: S608
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


def checks_rows() -> bool:
    """Whether the engine reads the table for every match (PostgreSQL: its GIN index gives
    row locations to check against the table's pages), so that a search among a few known
    rows is faster than a search of the whole index (FTS5 reads its own index only)."""
    return _vendor() == "postgresql"


def ids(
    terms: Sequence[str],
    alternatives: Sequence[Sequence[str]] = (),
    among: Sequence[int] | None = None,
) -> list[int]:
    """The ids of the index rows `match` would keep; with `among`, only those of these rows
    (PostgreSQL: each row is read by its key and its text parsed, instead of every match).

    SQLite reads the matches from the FTS5 table alone. A PostgreSQL search of the whole
    index gets the memory to keep its bitmap of matches exact: with the default 4 MB, a common
    word's bitmap turns lossy and every row on its pages is parsed again (5 s at a million)."""
    from .models import Entry

    table = Entry._meta.db_table
    sql, query = _sql(table, terms, alternatives)
    if _vendor() != "postgresql":
        with connection.cursor() as cursor:
            # one row of text rather than a row per match: a common word matches most rows
            cursor.execute(f"SELECT GROUP_CONCAT(rowid) FROM ({sql})", [query])  # noqa: S608
            joined = cursor.fetchone()[0]
        found = list(map(int, joined.split(","))) if joined else []
        if among is not None:
            keep = set(among)
            found = [pk for pk in found if pk in keep]
        return found
    with transaction.atomic(), connection.cursor() as cursor:
        if among is not None:
            cursor.execute(f"{sql} AND id = ANY(%s)", [query, list(among)])
        else:
            cursor.execute(f"SET LOCAL work_mem = '{PG_SEARCH_WORK_MEM}'")
            cursor.execute(sql, [query])
        return [row[0] for row in cursor.fetchall()]


def _chunks(ids: Sequence[int], size: int = 500) -> list[Sequence[int]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def written(ids: Sequence[int]) -> None:
    """Rows with these ids were inserted: index their text."""
    if _vendor() == "postgresql" or not ids:
        return  # the stored tsvector column and its index follow the table
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
