"""`exiledb edition ...`: create, list, diff and verify editions (thin wrappers over store/diff).

Registered in exiledb/cli.py once its helpers exist (`handles_errors`, `fail`, `_setup`).
"""

from __future__ import annotations

import json
import os
from typing import Annotated

import typer
from rich.table import Table

from exiledb.cli import Audience, _setup, err, fail, handles_errors, out

edition_app: typer.Typer = typer.Typer(
    help="Dated, citable, immutable editions of the data, and what changed between them.",
    no_args_is_help=True,
)


def _who() -> str:
    return f"cli:{os.environ.get('USER', '')}"


@edition_app.command("create")
@handles_errors
def create(
    name: Annotated[
        str, typer.Argument(help="The edition's name: lowercase letters, digits, - and _.")
    ],
    note: Annotated[str, typer.Option(help="What this edition is, in a line.")] = "",
) -> None:
    """Freeze the current data as a new edition: public and internal data packages, the
    figures, and the public change log against the previous edition, with a content hash.
    An existing name is refused: editions are never changed.

    Example: exiledb edition create 2026-11 --note "after the autumn coding sprint"
    """
    _setup()
    from exiledb.access import audit

    from . import store

    try:
        edition = store.create(name, note=note, created_by=_who())
    except store.EditionError as exc:
        raise fail(str(exc)) from None
    audit.record(None, "edition", audience="internal", edition=name, username=_who())
    counts = edition.counts["public"]
    out.print(
        f"Created edition [bold]{edition.name}[/] at {edition.created_at.isoformat()}: "
        f"{counts.get('incidents', 0)} public incidents, {counts.get('persons', 0)} public "
        f"persons ({edition.counts['internal'].get('incidents', 0)} incidents in all).",
        highlight=False,
        soft_wrap=True,
    )
    out.print(f"Content hash (SHA-256): {edition.content_hash}", highlight=False, soft_wrap=True)
    out.print(f"Files: {store.folder(edition)}", highlight=False, soft_wrap=True)
    if edition.previous is not None:
        summary = edition.changes
        parts = [
            f"{kind}: +{n['added']} ~{n['changed']} -{n['removed']}"
            for kind, n in summary.items()
            if any(n.values())
        ]
        out.print(
            f"Public changes since {edition.previous.name}: "
            + ("; ".join(parts) if parts else "none"),
            highlight=False,
        )


@edition_app.command("list")
@handles_errors
def list_(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the editions, oldest first, with date, hash and public record counts.

    Example: exiledb edition list --json
    """
    _setup()
    from .models import Edition

    editions = list(Edition.objects.all())
    if as_json:
        rows = [
            {
                "name": e.name,
                "created_at": e.created_at.isoformat(),
                "content_hash": e.content_hash,
                "codebook": e.codebook,
                "note": e.note,
                "previous": e.previous.name if e.previous else None,
                "counts": e.counts,
            }
            for e in editions
        ]
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not editions:
        out.print("No editions yet. Create one with: exiledb edition create NAME")
        return
    table = Table(title="Editions")
    for col in ("name", "created (UTC)", "incidents", "persons", "sources", "SHA-256", "note"):
        numeric = col in ("incidents", "persons", "sources")
        table.add_column(col, justify="right" if numeric else "left", no_wrap=col != "note")
    for e in editions:
        counts = e.counts.get("public", {})
        table.add_row(
            e.name,
            e.created_at.strftime("%Y-%m-%d %H:%M"),
            str(counts.get("incidents", 0)),
            str(counts.get("persons", 0)),
            str(counts.get("sources", 0)),
            e.content_hash[:16] + "\u2026",
            e.note,
        )
    out.print(table)


@edition_app.command("diff")
@handles_errors
def diff(
    old: Annotated[str, typer.Argument(help="The earlier edition.")],
    new: Annotated[str, typer.Argument(help="The later edition.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    audience: Annotated[
        Audience,
        typer.Option(help="public: compare the public packages; internal: every record."),
    ] = Audience.public,
) -> None:
    """The change log from OLD to NEW: records added, changed and removed per record type,
    by id, with the changed fields. The public change log shows earlier values of codes,
    dates and numbers only, never earlier free text (see docs/editions.md).

    Example: exiledb edition diff 2026-05 2026-11 --json
    """
    _setup()
    from . import diff as changes
    from . import store

    try:
        a, b = store.get(old), store.get(new)
        log = changes.compare(
            changes.read_package(store.package_path(a, audience.value)),
            changes.read_package(store.package_path(b, audience.value)),
            audience=audience.value,
        )
    except (store.EditionError, changes.PackageError) as exc:
        raise fail(str(exc)) from None
    if audience is Audience.internal:
        from exiledb.access import audit

        audit.record(
            None, "edition_diff", audience="internal", edition=f"{old}..{new}", username=_who()
        )
    if as_json:
        typer.echo(json.dumps(log.as_json(old, new), indent=2, ensure_ascii=False))
        return
    totals = log.summary()
    out.print(f"Changes from {old} to {new} ({audience.value} data):", highlight=False)
    for kind, n in totals.items():
        out.print(
            f"  {kind}: {n['added']} added, {n['changed']} changed, {n['removed']} removed",
            highlight=False,
        )
    for line in changes.lines(log):
        out.print(line, highlight=False, markup=False, soft_wrap=True)


@edition_app.command("verify")
@handles_errors
def verify(
    name: Annotated[
        str | None, typer.Argument(help="The edition to check (default: every edition).")
    ] = None,
) -> None:
    """Re-hash an edition's files (or every edition's) against the manifest and content hash
    stored when it was created; exit 1 and name each file that was changed, removed or added.

    Example: exiledb edition verify 2026-11
    """
    _setup()
    from . import store
    from .models import Edition

    try:
        editions = [store.get(name)] if name else list(Edition.objects.all())
    except store.EditionError as exc:
        raise fail(str(exc)) from None
    bad = 0
    for edition in editions:
        result = store.verify(edition)
        if result.ok:
            out.print(
                f"{edition.name}: intact ({edition.content_hash})", highlight=False, soft_wrap=True
            )
        else:
            bad += 1
            for problem in result.problems:
                err.print(f"{edition.name}: {problem}", highlight=False, markup=False)
    if bad:
        raise fail(f"{bad} of {len(editions)} edition(s) fail verification")
    if not editions:
        out.print("No editions to verify.")
