"""Host-country comparison: how often a detention abroad (stage 2) became a transfer (stage 3).

The question comes from the article the project grew from: inside the EU, Interpol detentions
(Spain 2014, Finland 2015) ended in release, while in Russia and Turkey exiles were handed over.

Counting rule (docs/statistics.md):
- a *detention* is a (incident, person) pair: an incident abroad in scope with a stage-2 tactic
  (detention abroad, extradition proceedings) and a named target in scope;
- it *became a transfer* when the same incident records a transfer tactic (extradition,
  deportation, rendition) or the outcome "transferred to origin state", or when another
  incident in scope in the same host country records a transfer tactic against the same
  person and its dates do not show it ended before the detention began;
- the host is the incident's country; EU membership is today's (vocab EU_MEMBERS), not the
  membership at the date of the incident.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from exiledb.vocab import EU_MEMBERS, codebook

from .scope import Scope

DETENTION_TACTICS = tuple(c.code for c in codebook.TACTICS if c.stage == 2 and c.group == "abroad")
TRANSFER_TACTICS = ("extradition", "deportation", "rendition")
TRANSFERRED = "transferred"
RELEASED = "released"


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def _row(detentions: int, transferred: int, released: int) -> dict[str, Any]:
    return {
        "detentions": detentions,
        "transferred": transferred,
        "released": released,
        "share_transferred": _share(transferred, detentions),
        "share_released": _share(released, detentions),
    }


def host_comparison(scope: Scope) -> dict[str, Any]:
    t = scope.t
    inc = t.incident
    person_ok, pparams = scope.person_in("v.person_id")
    det_codes = ", ".join("%s" for _ in DETENTION_TACTICS)
    xfer_codes = ", ".join("%s" for _ in TRANSFER_TACTICS)

    def pairs(codes: str) -> str:
        # Start from the tactic index: only incidents with one of `codes` are read.
        return f"""
        SELECT DISTINCT {inc}.id AS incident, {inc}.country AS country,
            {inc}.date_earliest AS date_earliest, {inc}.date_latest AS date_latest,
            {inc}.outcome AS outcome, v.person_id AS person
        FROM {t.tactic} tt
        JOIN {inc} ON {inc}.id = tt.incident_id
        JOIN {t.involvement} v ON v.incident_id = {inc}.id
        WHERE tt.tactic IN ({codes}) AND {inc}.is_proxy = %s
            AND v.role = 'target' AND v.person_id IS NOT NULL
            AND {scope.where} AND {person_ok}
        """  # noqa: S608

    sql = f"""
    WITH det AS ({pairs(det_codes)}),
    xfer AS ({pairs(xfer_codes)})
    SELECT country, COUNT(*), SUM(became), SUM(released) FROM (
        SELECT d.country AS country,
            MAX(CASE WHEN d.outcome = %s OR (x.person IS NOT NULL AND (
                x.incident = d.incident OR x.date_latest IS NULL
                OR d.date_earliest IS NULL OR x.date_latest >= d.date_earliest
            )) THEN 1 ELSE 0 END) AS became,
            MAX(CASE WHEN d.outcome = %s THEN 1 ELSE 0 END) AS released
        FROM det d
        LEFT JOIN xfer x ON x.person = d.person AND x.country = d.country
        GROUP BY d.incident, d.person, d.country
    ) chains
    GROUP BY country
    """  # noqa: S608
    params = [
        *DETENTION_TACTICS,
        False,
        *scope.params,
        *pparams,
        *TRANSFER_TACTICS,
        False,
        *scope.params,
        *pparams,
        TRANSFERRED,
        RELEASED,
    ]
    by_host: dict[str, dict[str, Any]] = {}
    eu: Counter[str] = Counter()
    other: Counter[str] = Counter()
    for country, detentions, transferred, released in scope.rows(sql, params):
        detentions, transferred, released = int(detentions), int(transferred), int(released)
        by_host[country] = _row(detentions, transferred, released)
        group = eu if country in EU_MEMBERS else other
        group["detentions"] += detentions
        group["transferred"] += transferred
        group["released"] += released
    ordered = sorted(by_host.items(), key=lambda kv: (-kv[1]["detentions"], kv[0]))
    return {
        "by_host": dict(ordered),
        "eu": _row(eu["detentions"], eu["transferred"], eu["released"]),
        "non_eu": _row(other["detentions"], other["transferred"], other["released"]),
        "detention_tactics": list(DETENTION_TACTICS),
        "transfer_tactics": list(TRANSFER_TACTICS),
        "eu_members": sorted(EU_MEMBERS),
    }
