"""The records a set of figures is computed over, as SQL the figure queries embed.

The figures are aggregate queries (GROUP BY in the database) over joins the ORM does not express
well (a union of targets and linked exiles, a case's highest stage, per-host detention chains).
They are written as SQL here, but never filter on their own: the incidents and persons come in
as querysets from the access policy (exiledb.access.policy) and the filters, and are embedded
as compiled WHERE clauses. So a reader's figures are computed only from what they may see.

SQL is plain SQL:2003 that SQLite (>= 3.35) and PostgreSQL (>= 12) both run; the one place
that differs (day arithmetic) asks `vendor`. Only quoted table names and compiled conditions
are formatted into the SQL; every value travels as a parameter (hence the S608 exemptions).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import DatabaseError, connections
from django.db.models import QuerySet

from exiledb.cases.models import (
    Incident,
    IncidentTactic,
    Involvement,
    Person,
    PersonCategory,
    Relationship,
)

Params = list[Any]


def _table(model: Any) -> str:
    return str(model._meta.db_table)


@dataclass(frozen=True)
class Tables:
    """Quoted table names."""

    incident: str
    tactic: str
    involvement: str
    person: str
    category: str
    relationship: str


def _where(qs: QuerySet[Any], table: str, alias_ok: bool = True) -> tuple[str, Params]:
    """A WHERE condition selecting the rows of `qs`, written against `table` (the model's
    unaliased table name), or against its primary key via IN (subquery) when the queryset
    joins other tables or is sliced."""
    query = qs.query
    connection = connections[qs.db]
    simple = (
        alias_ok
        and not query.is_sliced
        and not query.combinator
        and len([a for a, n in query.alias_refcount.items() if n]) <= 1
    )
    try:
        if not query.where:
            return "1=1", []
        if simple:
            compiler = query.get_compiler(using=qs.db)
            sql, params = compiler.compile(query.where)
            return f"({sql})", list(params)
        sub, params = qs.order_by().values("pk").query.sql_with_params()
        pk = connection.ops.quote_name(qs.model._meta.pk.column)
        return f"{table}.{pk} IN ({sub})", list(params)
    except EmptyResultSet:
        return "1=0", []


class Scope:
    """Incidents (filtered), and optionally the persons and relationships a reader may see."""

    def __init__(
        self,
        incidents: QuerySet[Incident],
        persons: QuerySet[Person] | None = None,
        relationships: QuerySet[Relationship] | None = None,
    ) -> None:
        self.db = incidents.db
        self.connection = connections[self.db]
        q = self.connection.ops.quote_name
        self.t = Tables(
            incident=q(_table(Incident)),
            tactic=q(_table(IncidentTactic)),
            involvement=q(_table(Involvement)),
            person=q(_table(Person)),
            category=q(_table(PersonCategory)),
            relationship=q(_table(Relationship)),
        )
        self.incidents = incidents
        self.where, self.params = _where(incidents, self.t.incident)
        self.unfiltered = self.where == "1=1"
        self.persons = persons
        self.person_ids: tuple[str, Params] | None = None
        self._temp: str | None = None
        self.relationships = relationships

    def __enter__(self) -> Scope:
        """Materialise the persons in scope once (a temporary table with an index): the
        access policy's person set is a costly query, and the figures ask it many times."""
        if self.persons is None:
            return self
        sub, params = self.persons.order_by().values("pk").query.sql_with_params()
        name = f"analysis_persons_{uuid.uuid4().hex[:12]}"
        q = self.connection.ops.quote_name
        with self.connection.cursor() as cursor:
            cursor.execute(f"CREATE TEMPORARY TABLE {q(name)} AS SELECT pk FROM ({sub}) s", params)  # noqa: S608
            cursor.execute(f"CREATE INDEX {q(name + '_pk')} ON {q(name)} (pk)")
            cursor.execute(f"ANALYZE {q(name)}")  # its size, for the planners
        self._temp = name
        self.person_ids = (q(name), [])
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if not self._temp:
            return
        name, self._temp, self.person_ids = self._temp, None, None
        try:
            with self.connection.cursor() as cursor:
                cursor.execute(f"DROP TABLE IF EXISTS {self.connection.ops.quote_name(name)}")
        except DatabaseError:
            # a failed transaction takes the temporary table with it; never hide the error
            # that brought us here behind this one
            if exc_type is None:
                raise

    @property
    def vendor(self) -> str:
        return str(self.connection.vendor)

    def person_in(self, column: str) -> tuple[str, Params]:
        """`column` is one of the persons in scope, or a true condition when every person
        counts. A correlated EXISTS on the indexed temporary table, not `IN (SELECT ...)`:
        inside a CASE, PostgreSQL can only hash an IN list that fits in work_mem, and
        otherwise scans the whole list for every row (hours at a million incidents)."""
        if self.person_ids is None:
            return "1=1", []
        table, params = self.person_ids
        return f"EXISTS (SELECT 1 FROM {table} sp WHERE sp.pk = {column})", list(params)  # noqa: S608

    def days_between(self, later: str, earlier: str) -> str:
        """SQL for the whole days from ISO date text `earlier` to `later`."""
        if self.vendor == "sqlite":
            return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"
        return f"(CAST({later} AS date) - CAST({earlier} AS date))"

    def rows(self, sql: str, params: Params) -> list[tuple[Any, ...]]:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())
