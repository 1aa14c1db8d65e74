"""`exiledb report`: the self-contained HTML report (registered in exiledb/cli.py)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from exiledb.cli import Audience, _setup, err, fail, handles_errors


@handles_errors
def report(
    out_path: Annotated[
        Path, typer.Option("--out", help="The HTML file to write (e.g. report.html).")
    ],
    edition: Annotated[
        str | None,
        typer.Option(help="Report an edition's frozen figures instead of the live data."),
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="Only incidents on or after this date (YYYY[-MM[-DD]]).")
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(help="Only incidents on or before this date (YYYY[-MM[-DD]])."),
    ] = None,
    min_confidence: Annotated[
        str | None,
        typer.Option(help="Only incidents at this confidence or stronger: confirmed, probable."),
    ] = None,
    audience: Annotated[
        Audience,
        typer.Option(help="public: what an anonymous reader sees; internal: every record."),
    ] = Audience.public,
) -> None:
    """Write one self-contained HTML report: the charts inline as SVG with the data table under
    each, methodology and caveats, the codebook version and, with --edition, the edition's name
    and hash. It loads nothing from any network.

    Example: exiledb report --out report.html --since 2014 --min-confidence probable

    Example: exiledb report --out edition-2026-11.html --edition 2026-11
    """
    _setup()
    from . import report as reports

    filters = {"since": since, "until": until, "min_confidence": min_confidence}
    if edition and any(filters.values()):
        raise fail(
            "an edition's figures are frozen as published: --since, --until and "
            "--min-confidence apply to the live data only"
        )
    try:
        if edition:
            source = reports.edition_figures(edition, audience.value)
        else:
            source = reports.live_figures(audience.value, **filters)
        reports.write(out_path, source)
    except reports.ReportError as exc:
        raise fail(str(exc)) from None
    if audience is Audience.internal:
        from exiledb.access import audit

        audit.record(
            None,
            "report",
            audience="internal",
            path=str(out_path),
            edition=edition or "",
            username=f"cli:{os.environ.get('USER', '')}",
        )
    err.print(f"Wrote the {audience.value} report to {out_path}.", highlight=False)
