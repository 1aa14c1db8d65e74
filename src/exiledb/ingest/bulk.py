"""Fast bulk writes: plain rows straight to the database, bypassing model instances.

Building a Django model instance and preparing each value through its field costs tens of
microseconds a row; an import of a million incidents writes about ten million rows (children
and history included). Here each column gets one converter chosen once per table, and rows go
out with `executemany` on SQLite and `COPY` on PostgreSQL. Values must already be valid: the
importer has checked every record before it gets here.

SQL here is built from table and column names taken from model metadata, never from input;
values always travel as parameters (hence the S608 exemptions).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import connection, models
from django.utils import timezone

Row = dict[str, Any]  # attname -> value


def _uuid_sqlite(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, uuid.UUID):
        return value.hex
    return str(value).replace("-", "")


def _datetime_sqlite(value: Any) -> Any:
    if value is None:
        return None
    if timezone.is_aware(value):
        value = timezone.make_naive(value, dt.UTC)
    return str(value)


def _date_sqlite(value: Any) -> Any:
    return None if value is None else value.isoformat()


def _decimal(value: Any) -> Any:
    if value is None:
        return None
    return str(Decimal(str(value)))


def _json(value: Any) -> Any:
    return json.dumps(value, ensure_ascii=False)


def _bool_sqlite(value: Any) -> Any:
    return None if value is None else int(bool(value))


def _converter(field: models.Field, vendor: str) -> Callable[[Any], Any] | None:
    """A fast value converter for one column, or None when values pass unchanged."""
    kind = field.get_internal_type()
    if kind == "ForeignKey":
        target = field.target_field  # type: ignore[attr-defined]
        return _converter(target, vendor)
    if vendor == "sqlite":
        return {
            "UUIDField": _uuid_sqlite,
            "DateTimeField": _datetime_sqlite,
            "DateField": _date_sqlite,
            "BooleanField": _bool_sqlite,
            "DecimalField": _decimal,
            "JSONField": _json,
        }.get(kind)
    return {"DecimalField": _decimal, "JSONField": _json}.get(kind)


class Table:
    """The columns of one model's table and how to write rows to it."""

    def __init__(self, model: type[models.Model], with_pk: bool = True):
        vendor = connection.vendor
        self.model = model
        self.name = model._meta.db_table
        self.fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
        self.columns = [f.column for f in self.fields]
        self.attnames = [f.attname for f in self.fields]
        self.defaults = {f.attname: f.get_default() for f in self.fields}
        self.converters = [_converter(f, vendor) for f in self.fields]

    def tuples(self, rows: Iterable[Row]) -> list[tuple[Any, ...]]:
        pairs = list(zip(self.attnames, self.converters, strict=True))
        defaults = self.defaults
        # One import stamps every row with the same time: convert each distinct value once.
        memo: dict[Any, Any] = {}
        out = []
        for row in rows:
            values = []
            for attname, conv in pairs:
                value = row[attname] if attname in row else defaults[attname]
                if conv is None or value is None:
                    values.append(value)
                elif conv is _uuid_sqlite and value.__class__ is str:
                    values.append(value.replace("-", ""))
                elif conv is _datetime_sqlite:
                    if value not in memo:
                        memo[value] = conv(value)
                    values.append(memo[value])
                else:
                    values.append(conv(value))
            out.append(tuple(values))
        return out

    def insert(self, rows: Sequence[Row]) -> list[tuple[Any, ...]]:
        """Insert rows; return them as written (converted), for their history rows."""
        if not rows:
            return []
        data = self.tuples(rows)
        write(self.name, self.columns, data)
        return data

    def insert_history(
        self, data: list[tuple[Any, ...]], kind: str, when: Any, user_id: Any, reason: str
    ) -> None:
        """History rows for rows just written by `insert`, reusing their converted values.

        History ids are random 128-bit keys written as hex: they need to be unique, not to
        carry uuid4's version bits, and one urandom call serves the whole chunk."""
        if not data:
            return
        hmodel = self.model.history.model  # type: ignore[attr-defined]
        if connection.vendor == "sqlite":
            when = _datetime_sqlite(when)
        ids = os.urandom(16 * len(data)).hex()
        tail = (when, reason, kind, user_id)
        rows = [values + (ids[n * 32 : n * 32 + 32], *tail) for n, values in enumerate(data)]
        columns = [
            *self.columns,
            "history_id",
            "history_date",
            "history_change_reason",
            "history_type",
            "history_user_id",
        ]
        write(hmodel._meta.db_table, columns, rows)

    def update(self, rows: Sequence[Row], keep: Iterable[str] = ()) -> None:
        """UPDATE every column but the key (and `keep`) from full rows."""
        if not rows:
            return
        pk = self.model._meta.pk
        assert pk is not None
        skip = {pk.attname, *keep}
        fields = [f for f in self.fields if f.attname not in skip]
        sets = ", ".join(f'"{f.column}" = %s' for f in fields)
        vendor = connection.vendor
        convs = [_converter(f, vendor) for f in fields]
        pk_conv = _converter(pk, vendor)
        data = []
        for row in rows:
            values = [
                conv(row[f.attname])
                if conv is not None and row[f.attname] is not None
                else row[f.attname]
                for f, conv in zip(fields, convs, strict=True)
            ]
            key = row[pk.attname]
            values.append(pk_conv(key) if pk_conv else key)
            data.append(values)
        with connection.cursor() as cursor:
            sql = f'UPDATE "{self.name}" SET {sets} WHERE "{pk.column}" = %s'  # noqa: S608
            cursor.executemany(sql, data)


def write(name: str, columns: list[str], data: list[tuple[Any, ...]]) -> None:
    """Rows of converted values into a table: executemany on SQLite, COPY on PostgreSQL."""
    cols = ", ".join(f'"{c}"' for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            # COPY bypasses Django's wrapper: translate psycopg's errors into Django's.
            with (
                connection.wrap_database_errors,
                raw.copy(f'COPY "{name}" ({cols}) FROM STDIN') as copy,
            ):
                for values in data:
                    copy.write_row(values)
        else:
            marks = ", ".join(["%s"] * len(columns))
            sql = f'INSERT INTO "{name}" ({cols}) VALUES ({marks})'  # noqa: S608
            cursor.executemany(sql, data)


_TABLES: dict[tuple[type[models.Model], bool, str], Table] = {}


def table(model: type[models.Model], with_pk: bool = True) -> Table:
    key = (model, with_pk, connection.vendor)
    if key not in _TABLES:
        _TABLES[key] = Table(model, with_pk)
    return _TABLES[key]


def reserve_ids(model: type[models.Model], count: int) -> int:
    """Reserve `count` consecutive integer keys; return the first.

    Child rows get their keys up front so their history rows can name them. The table is
    locked for the rest of the import's transaction so that no other writer takes the same keys.
    """
    name = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f'LOCK TABLE "{name}" IN SHARE ROW EXCLUSIVE MODE')
        cursor.execute(f'SELECT COALESCE(MAX("id"), 0) FROM "{name}"')  # noqa: S608
        start = int(cursor.fetchone()[0]) + 1
    return start


def fix_sequence(model: type[models.Model]) -> None:
    """After explicit integer keys on PostgreSQL, move the key sequence past them."""
    if connection.vendor != "postgresql":
        return
    name = model._meta.db_table
    with connection.cursor() as cursor:
        sql = f"""SELECT setval(pg_get_serial_sequence('"{name}"', 'id'),
                  (SELECT COALESCE(MAX("id"), 1) FROM "{name}"))"""  # noqa: S608
        cursor.execute(sql)


def tune_for_bulk() -> None:
    """Give SQLite a page cache big enough to keep the indexes of a large import in memory
    (the default 2 MB makes every index insert a page read once tables outgrow it)."""
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA cache_size = -1048576")  # KiB: 1 GB, freed when the import ends


def secondary_indexes(tables: list[str]) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the plain indexes of these tables - not primary keys, not
    unique indexes or constraints, which guard integrity while rows arrive."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            marks = ", ".join(["%s"] * len(tables))
            where = f"AND sql NOT LIKE 'CREATE UNIQUE%%' AND tbl_name IN ({marks})"
            sql = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            sql += where
            cursor.execute(sql, tables)
            return [(name, sql) for name, sql in cursor.fetchall()]
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i "
            "JOIN pg_class c ON c.relname = i.indexname JOIN pg_index x ON x.indexrelid = c.oid "
            "WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s) "
            "AND NOT x.indisunique AND NOT x.indisprimary",
            [tables],
        )
        return [(name, sql) for name, sql in cursor.fetchall()]


class deferred_indexes:
    """Drop the plain indexes of empty tables for a first load and build them once at the end.

    Building an index over rows already in place is a sort; keeping it up to date row by row
    across a million random UUID keys is a page-cache miss per insert. Only for tables that
    are empty, inside the import's transaction: a failed import rolls the drop back too (both
    engines have transactional DDL), and nobody can have been reading rows that do not exist.
    """

    def __init__(self, tables: list[str]):
        self.tables = tables
        self.indexes: list[tuple[str, str]] = []

    def __enter__(self) -> deferred_indexes:
        self.indexes = secondary_indexes(self.tables)
        with connection.cursor() as cursor:
            for name, _sql in self.indexes:
                cursor.execute(f'DROP INDEX "{name}"')
        return self

    def rebuild(self) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # PostgreSQL builds no index over rows with deferred checks pending: run the
                # foreign-key checks now, then go back to deferring them.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for _name, sql in self.indexes:
                cursor.execute(sql)
            if connection.vendor == "postgresql":
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        self.indexes = []

    def __exit__(self, *exc: object) -> None:
        if self.indexes and exc[0] is None:
            self.rebuild()
