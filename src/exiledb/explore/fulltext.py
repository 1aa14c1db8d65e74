"""Full-text search over the public index: SQLite FTS5 or PostgreSQL, behind one interface.

`match(queryset, terms)` narrows a queryset of Entry rows to those whose text has a word
starting with each term; `written(ids)` / `removing(ids)` keep the engine's index in step with
the rows; `rebuilt()` rebuilds it after a bulk load. Terms are folded words (exiledb.explore.text),
letters and digits only, so they are safe to place in either engine's query syntax.

- SQLite: an FTS5 table over Entry.text (external content, rowid = Entry.id), created by
  migration 0002; the unicode61 tokenizer splits on the same boundaries as text.words.
- PostgreSQL: a GIN index on to_tsvector('simple', text) (migration 0002); 'simple' neither
  stems nor drops stop words, so Tajik, Russian and English names are matched as written.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

FTS_TABLE = "explore_fts"


def _vendor() -> str:
    return connection.vendor


def match(
    queryset: QuerySet, terms: Sequence[str], alternatives: Sequence[Sequence[str]] = ()
) -> QuerySet:
    """Rows with a word starting with each term, or holding one of that term's alternatives
    (whole tokens: the marked name keys of exiledb.explore.text.key_alternatives)."""
    if not terms:
        return queryset
    table = queryset.model._meta.db_table
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
    return queryset.filter(id__in=RawSQL(sql, [query]))  # noqa: S611


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
