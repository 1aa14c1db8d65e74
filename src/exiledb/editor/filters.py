"""Sidebar filters that speak the codebook's labels instead of stored codes."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from exiledb.vocab import COUNTRIES, codebook


class TacticFilter(admin.SimpleListFilter):
    title = "tactic"
    parameter_name = "tactics__tactic"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        def label(code: codebook.Code) -> str:
            where = "proxy" if code.group == "proxy" else f"stage {code.stage}"
            return f"{code.label} ({where})"

        return [(code.code, label(code)) for code in codebook.TACTICS]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return queryset.filter(tactics__tactic=value) if value else queryset


class StageFilter(admin.SimpleListFilter):
    title = "stage"
    parameter_name = "stage"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [*codebook.STAGES.choices(), ("none", "No stage yet (no tactic)")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value == "none":
            return queryset.filter(stage__isnull=True)
        if value is not None and value in codebook.STAGES:
            return queryset.filter(stage=int(value))
        return queryset


def country_filter(field: str, title: str) -> type[admin.SimpleListFilter]:
    """A filter on a country column listing only the countries that occur, by name."""

    class CountryFilter(admin.SimpleListFilter):
        parameter_name = field

        def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
            codes = set(
                model_admin.get_queryset(request)
                .exclude(**{field: ""})
                .order_by()
                .values_list(field, flat=True)
                .distinct()
            )
            return sorted(
                ((c, f"{COUNTRIES.get(c, c)} ({c})") for c in codes), key=lambda item: item[1]
            )

        def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
            value = self.value()
            return queryset.filter(**{field: value}) if value else queryset

    CountryFilter.title = title
    CountryFilter.__name__ = f"CountryFilter_{field}"
    return CountryFilter
