"""The duplicate commands: `exiledb duplicates persons|incidents`, `exiledb merge`,
`exiledb unmerge`, `exiledb merges` and `exiledb not-duplicate` (registered by exiledb.cli)."""

from __future__ import annotations

import json
import os
import sys
from typing import Annotated, Any

import typer
from rich.table import Table

from exiledb import cli

duplicates_app = typer.Typer(
    help="Find candidate duplicate persons and incidents.", no_args_is_help=True
)


def _cli_name() -> str:
    return f"cli:{os.environ.get('USER', '')}"


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))


def _limited(found: list[Any], limit: int) -> list[Any]:
    return found[:limit] if limit > 0 else found


MinScore = Annotated[
    float | None,
    typer.Option(
        "--min-score",
        min=0.0,
        max=1.0,
        help="Only pairs scoring at least this (0 to 1).",
    ),
]
Limit = Annotated[int, typer.Option("--limit", min=0, help="Print at most N pairs; 0: all.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON.")]


@duplicates_app.command("persons")
@cli.handles_errors
def duplicates_persons(
    as_json: AsJson = False, min_score: MinScore = None, limit: Limit = 100
) -> None:
    """List pairs of person records that may be one person, best first, with the score and the
    evidence: similar spellings, birth years, origins, shared relatives, incidents and
    categories. Pairs marked "not a duplicate" are left out.

    Example: exiledb duplicates persons --min-score 0.9 --limit 20

    Example: exiledb duplicates persons --json > candidates.json
    """
    cli._setup()
    from . import persons

    stats = persons.Stats()
    threshold = persons.DEFAULT_MIN_SCORE if min_score is None else min_score
    found = persons.find(min_score=threshold, stats=stats)
    shown = _limited(found, limit)
    if as_json:
        _print_json(
            {
                "min_score": threshold,
                "candidates": [c.as_dict() for c in shown],
                "stats": stats.as_dict(),
            }
        )
        return
    table = Table(title=f"Candidate duplicate persons (score >= {threshold:.2f})")
    for column in ("score", "keep (A)", "absorb (B)", "evidence"):
        table.add_column(column, overflow="fold")
    for c in shown:
        table.add_row(
            f"{c.score:.2f}",
            f"{c.a.display_name}\n{c.a.id}",
            f"{c.b.display_name}\n{c.b.id}",
            "; ".join(e.text for e in c.evidence),
        )
    cli.out.print(table)
    cli.out.print(
        f"{len(found)} pair(s) among {stats.persons} persons in {stats.seconds:.1f} s"
        + (f"; the first {len(shown)} shown (--limit)" if len(shown) < len(found) else "")
        + ". Merge one with: exiledb merge A B"
    )


@duplicates_app.command("incidents")
@cli.handles_errors
def duplicates_incidents(
    as_json: AsJson = False, min_score: MinScore = None, limit: Limit = 100
) -> None:
    """List pairs of incidents that may be one event reported by several sources: the same
    targeted person, in the same country, dates overlapping within their precision, scored by
    shared tactics, place, dates and sources.

    Example: exiledb duplicates incidents --json --limit 0
    """
    cli._setup()
    from . import incidents

    stats = incidents.Stats()
    threshold = incidents.DEFAULT_MIN_SCORE if min_score is None else min_score
    found = incidents.find(min_score=threshold, stats=stats)
    shown = _limited(found, limit)
    if as_json:
        _print_json(
            {
                "min_score": threshold,
                "candidates": [c.as_dict() for c in shown],
                "stats": stats.as_dict(),
            }
        )
        return
    table = Table(title=f"Candidate duplicate incidents (score >= {threshold:.2f})")
    for column in ("score", "keep (A)", "absorb (B)", "evidence"):
        table.add_column(column, overflow="fold")
    for c in shown:
        table.add_row(
            f"{c.score:.2f}",
            f"{c.a.date or 'n.d.'} {c.a.title}\n{c.a.id}",
            f"{c.b.date or 'n.d.'} {c.b.title}\n{c.b.id}",
            "; ".join(e.text for e in c.evidence),
        )
    cli.out.print(table)
    cli.out.print(
        f"{len(found)} pair(s) among {stats.incidents} incidents with a named target"
        + (f"; the first {len(shown)} shown (--limit)" if len(shown) < len(found) else "")
        + ". Merge one with: exiledb merge --incidents A B"
    )


def _confirm(question: str, yes: bool) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise cli.fail("not asking on a non-interactive input: add --yes to go ahead")
    if not typer.confirm(question):
        raise cli.fail("nothing was changed")


def _kind(incidents: bool) -> str:
    return "incident" if incidents else "person"


def _describe(obj: Any) -> str:
    return f"'{getattr(obj, 'display_name', None) or obj}' ({obj.pk})"


def merge_command(
    person_a: Annotated[str, typer.Argument(help="UUID of the record to keep (A).")],
    person_b: Annotated[str, typer.Argument(help="UUID of the record to absorb (B).")],
    incidents: Annotated[
        bool, typer.Option("--incidents", help="A and B are incidents, not persons.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Merge record B into record A: everything that points at B (spellings, relationships,
    involvements, affiliations, residences, categories, citations; for incidents tactics,
    involvements, citations and perpetrators) moves to A, duplicate rows collapse, A's empty
    fields are filled from B, and B is deleted. All in one transaction, in the history, and
    undone with `exiledb unmerge MERGE_ID`.

    Example: exiledb merge 3f1c0b9e-5b7d-4d0e-8f6a-2a9d1c7e4b21 9a0e... --yes

    Example: exiledb merge --incidents INCIDENT_A INCIDENT_B
    """
    cli._setup()
    from .merge import MergeError, find, merge

    kind = _kind(incidents)
    try:
        a, b = find(kind, person_a), find(kind, person_b)
        if a.pk == b.pk:
            raise MergeError("that is the same record twice: give two different records")
        _confirm(f"Merge {kind} {_describe(b)} into {_describe(a)}?", yes)
        done = merge(kind, a.pk, b.pk, None, username=_cli_name())
    except MergeError as exc:
        raise cli.fail(str(exc)) from None
    moved = done.moved
    cli.out.print(
        f"Merged {kind} '{done.absorbed_label}' into '{done.kept_label}': "
        f"{len(moved['repointed'])} row(s) re-pointed, {len(moved['deleted'])} duplicate "
        f"row(s) removed. Undo with: exiledb unmerge {done.id}",
        highlight=False,
    )


def unmerge_command(
    merge_id: Annotated[str, typer.Argument(help="The merge's id (see `exiledb merges`).")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Undo a merge: record B comes back under its own UUID, with everything that moved.

    Example: exiledb unmerge 5d2f6a0c-1e2b-4c3d-9e8f-7a6b5c4d3e2f --yes
    """
    cli._setup()
    from .merge import MergeError, unmerge
    from .models import Merge

    try:
        found = Merge.objects.filter(pk=_uuid(merge_id)).first()
        if found is not None and not found.undone:
            _confirm(f"Undo the merge of '{found.absorbed_label}' into '{found.kept_label}'?", yes)
        result = unmerge(merge_id, None, username=_cli_name())
    except MergeError as exc:
        raise cli.fail(str(exc)) from None
    record = result.merge
    cli.out.print(
        f"Undone: '{record.absorbed_label}' ({record.absorbed}) is back.", highlight=False
    )
    for warning in result.warnings:
        cli.err.print(f"Note: {warning}", highlight=False)


def _uuid(text: str) -> Any:
    import uuid

    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def merges_command(
    as_json: AsJson = False,
    limit: Limit = 50,
) -> None:
    """List merges, newest first, with the id `exiledb unmerge` takes.

    Example: exiledb merges --limit 10
    """
    cli._setup()
    from .models import Merge

    rows = list(Merge.objects.all()[:limit] if limit else Merge.objects.all())
    if as_json:
        _print_json(
            [
                {
                    "id": str(m.id),
                    "kind": m.kind,
                    "kept": {"id": str(m.kept), "label": m.kept_label},
                    "absorbed": {"id": str(m.absorbed), "label": m.absorbed_label},
                    "merged_at": m.merged_at.isoformat(),
                    "merged_by": m.username,
                    "undone_at": m.undone_at.isoformat() if m.undone_at else None,
                }
                for m in rows
            ]
        )
        return
    table = Table(title="Merges")
    for column in ("merge id", "kind", "kept (A)", "absorbed (B)", "when, who", "undone"):
        table.add_column(column, overflow="fold")
    for m in rows:
        table.add_row(
            str(m.id),
            m.kind,
            m.kept_label,
            m.absorbed_label,
            f"{m.merged_at:%Y-%m-%d %H:%M}, {m.username}",
            f"{m.undone_at:%Y-%m-%d %H:%M}" if m.undone_at else "",
        )
    cli.out.print(table)


def not_duplicate_command(
    record_a: Annotated[str, typer.Argument(help="UUID of one record.")],
    record_b: Annotated[str, typer.Argument(help="UUID of the other record.")],
    incidents: Annotated[
        bool, typer.Option("--incidents", help="A and B are incidents, not persons.")
    ] = False,
    note: Annotated[str, typer.Option("--note", help="Why they are different.")] = "",
) -> None:
    """Record that two records are not duplicates: the pair is never proposed again.

    Example: exiledb not-duplicate 3f1c... 9a0e... --note "brothers, born 1975 and 1978"
    """
    cli._setup()
    from .merge import MergeError, not_duplicate

    try:
        not_duplicate(_kind(incidents), record_a, record_b, None, note=note, username=_cli_name())
    except MergeError as exc:
        raise cli.fail(str(exc)) from None
    cli.out.print("Recorded: the pair will not be proposed as duplicates again.")


def register(app: typer.Typer) -> None:
    """Add the commands to the `exiledb` command."""
    app.add_typer(duplicates_app, name="duplicates")
    app.command("merge")(cli.handles_errors(merge_command))
    app.command("unmerge")(cli.handles_errors(unmerge_command))
    app.command("merges")(cli.handles_errors(merges_command))
    app.command("not-duplicate")(cli.handles_errors(not_duplicate_command))
