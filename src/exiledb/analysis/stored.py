"""The statistics as readers get them: computed once per data generation, then read back.

`stats.compute` counts a million incidents in seconds (docs/performance.md#statistics), too
slow to run for every visit of the overview or every `exiledb stats`. Every write that can
change a figure moves the data generation on - the public index's (exiledb.explore.index):
edits queue their incidents through signals (drafts and restricted records too), imports and
merges bump it - so figures computed at one generation stay exact until the next. They are kept
in the database (`Figures`), one row per audience and set of filters, so that every process -
the site's workers, the CLI, the API - shares them, and read back only while their generation
is the current one. A reader after a change waits for one computation; readers after that get
the stored row.

Audiences are what decides what a reader may see (exiledb.access.policy): `public` (anonymous
readers, accounts without a role), `internal` (every record: the CLI's default, editions'
internal figures), and each staff role with or without confidential clearance. The figures for
an audience are computed from what it may see, never filtered afterwards.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connections, transaction
from django.db.models import Q
from django.utils import timezone

from exiledb.access import policy
from exiledb.access.policy import INTERNAL, PUBLIC
from exiledb.cases.models import Relationship
from exiledb.explore import index
from exiledb.vocab import CODEBOOK_VERSION

from . import stats
from .filters import NONE, Filters
from .models import Figures

logger = logging.getLogger(__name__)


def _maker(audience: str, user: Any, filters: Filters) -> Callable[[], dict[str, Any]]:
    if audience == INTERNAL:
        return lambda: stats.compute(filters=filters)
    if audience == PUBLIC:
        return lambda: stats.compute(
            policy.visible_incidents(None), policy.visible_persons(None), filters=filters
        )
    return lambda: stats.compute(
        policy.visible_incidents(user),
        policy.visible_persons(user),
        filters=filters,
        relationships=policy.visible(Relationship.objects.all(), user),
    )


# Part of every key: figures stored by another version of the counting code or codebook are
# never read (an upgrade changes neither the data nor its generation).
FORMAT = 1
FILTERED_KEPT = 32  # filtered (and staff) figures kept, newest first; each can be megabytes
CLAIM = dt.timedelta(minutes=15)  # a background count older than this is taken as failed


def key(audience: str, filters: Filters) -> str:
    text = json.dumps([FORMAT, CODEBOOK_VERSION, audience, filters.as_dict()], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Read:
    figures: dict[str, Any]
    computed_at: dt.datetime | None
    current: bool  # False: an older generation's figures, newer ones being counted


def figures(
    filters: Filters | None = None, user: Any = None, *, internal: bool = False
) -> dict[str, Any]:
    """The figures over what `user` may see (anonymous: the public's), or over every record
    with `internal`, narrowed by `filters`: the stored ones when they are of the current data
    generation, else computed now and stored."""
    return read(filters, user, internal=internal).figures


def read(
    filters: Filters | None = None,
    user: Any = None,
    *,
    internal: bool = False,
    stale_ok: bool = False,
) -> Read:
    """`figures`, with when they were counted. With `stale_ok` (the overview), a reader who
    comes after a change gets the figures of the generation before at once, marked as such,
    while a thread of this process counts the new ones (EXILEDB_FIGURES_IN_BACKGROUND; at a
    million incidents counting takes longer than a reader should wait)."""
    filters = filters or NONE
    audience = INTERNAL if internal else policy.audience(user)
    generation = index.fresh()
    wanted = key(audience, filters)
    row = Figures.objects.filter(key=wanted).values_list("figures", "computed_at", "generation")
    found = row.first()
    if found is not None and found[2] == generation:
        return Read(dict(json.loads(found[0])), found[1], True)
    if found is not None and stale_ok and settings.EXILEDB_FIGURES_IN_BACKGROUND:
        if _claim(wanted):  # one count at a time across the server's processes
            _count_later(wanted, lambda: figures(filters, user, internal=internal))
        return Read(dict(json.loads(found[0])), found[1], False)
    start = time.perf_counter()
    computed = _maker(audience, user, filters)()
    took = time.perf_counter() - start
    _store(wanted, audience, filters, generation, computed, took)
    return Read(computed, timezone.now(), True)


_COUNTING: dict[str, threading.Thread] = {}
_COUNTING_LOCK = threading.Lock()


def _count_later(wanted: str, count: Callable[[], Any]) -> None:
    """Count in a thread of this process, one per set of figures at a time."""

    def run() -> None:
        try:
            count()
        except Exception:  # a reader is not waiting for it; the next one will try again
            logger.exception("counting the figures in the background failed")
            Figures.objects.filter(key=wanted).update(counting_since=None)
        finally:
            connections.close_all()  # this thread's own connections
            with _COUNTING_LOCK:
                _COUNTING.pop(wanted, None)

    with _COUNTING_LOCK:
        if wanted in _COUNTING:
            return
        thread = threading.Thread(target=run, name="exiledb-figures", daemon=True)
        _COUNTING[wanted] = thread
    thread.start()


def _claim(wanted: str) -> bool:
    """Mark the stored row as being counted, unless another process already is."""
    now = timezone.now()
    free = Q(counting_since__isnull=True) | Q(counting_since__lt=now - CLAIM)
    return bool(Figures.objects.filter(free, key=wanted).update(counting_since=now))


def wait_for_background(timeout: float = 60) -> None:
    """Wait for figures being counted in the background (tests, and commands that exit)."""
    with _COUNTING_LOCK:
        threads = list(_COUNTING.values())
    for thread in threads:
        thread.join(timeout)


def _store(
    wanted: str,
    audience: str,
    filters: Filters,
    generation: str,
    computed: dict[str, Any],
    took: float,
) -> None:
    """Keep the figures under the generation they were counted at, unless an import moved it
    on meanwhile. (An edit that lands during the count is queued; the next reader's
    `index.fresh()` moves the generation on, so these figures are never read as current
    after it.)"""
    if index.generation() != generation:
        return
    try:
        with transaction.atomic():
            # Older generations' figures are dropped, except the unfiltered public and internal
            # ones, which the overview shows while their successors are counted.
            Figures.objects.exclude(generation=generation).exclude(key__in=_KEPT).delete()
            Figures.objects.update_or_create(
                key=wanted,
                defaults={
                    "audience": audience,
                    "filters": filters.as_dict(),
                    "generation": generation,
                    "figures": json.dumps(computed, ensure_ascii=False),
                    "computed_at": timezone.now(),
                    "seconds": round(took, 3),
                    "counting_since": None,
                },
            )
            extra = list(
                Figures.objects.exclude(key__in=_KEPT)
                .order_by("-computed_at")
                .values_list("pk", flat=True)[FILTERED_KEPT:]
            )
            Figures.objects.filter(pk__in=extra).delete()
    except IntegrityError:  # another reader stored the same figures first
        pass


_KEPT = (key(PUBLIC, NONE), key(INTERNAL, NONE))


def warm() -> dict[str, float]:
    """Compute the unfiltered public and internal figures if they are not stored yet (after an
    import, so the overview's first reader does not wait); return the seconds each took."""
    out: dict[str, float] = {}
    for audience, internal in ((PUBLIC, False), (INTERNAL, True)):
        start = time.perf_counter()
        figures(internal=internal)
        out[audience] = round(time.perf_counter() - start, 3)
    return out
