"""Stage derivation (CAPE's three-stage model) as pure functions.

An incident abroad reaches the highest stage of its tactics. A proxy incident - one aimed at
relatives at home because of an exile - is stage-1 pressure on that exile whatever was done to
the relatives. A case (a targeted person) has the highest stage of the incidents against them.
"""

from __future__ import annotations

from collections.abc import Iterable

from .codebook import TACTICS


def incident_stage(tactics: Iterable[str], proxy: bool) -> int | None:
    """The stage of one incident, or None when it has no tactic yet.

    Raises KeyError for a code that is not in the codebook.
    """
    codes = list(tactics)
    stages = [TACTICS.get(code).stage or 1 for code in codes]
    if proxy:
        return 1 if codes else None
    return max(stages) if stages else None


def case_stage(incident_stages: Iterable[int | None]) -> int | None:
    """The stage of a case: the maximum over its incidents (None when none has a stage)."""
    known = [s for s in incident_stages if s is not None]
    return max(known) if known else None
