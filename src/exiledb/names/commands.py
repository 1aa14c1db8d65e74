"""`exiledb names`: compare and cluster person names from the command line (no database)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from exiledb.names import DEFAULT_THRESHOLD, cluster, key, score

names_app = typer.Typer(
    help="Match and cluster person names across scripts and spellings.", no_args_is_help=True
)
_out = Console(highlight=False, soft_wrap=True)

Threshold = Annotated[
    float,
    typer.Option(
        min=0.0, max=1.0, help="The score from which two names are one person (0.0 to 1.0)."
    ),
]


def _fail(message: str) -> typer.Exit:
    # Imported late: exiledb.cli imports this module.
    from exiledb.cli import fail

    return fail(message)


@names_app.command("match")
def match(
    a: Annotated[str, typer.Argument(help="A person's name, in any script or spelling.")],
    b: Annotated[str, typer.Argument(help="Another name.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    threshold: Threshold = DEFAULT_THRESHOLD,
) -> None:
    """Print how alike two names are (0.0 to 1.0) and whether they name the same person.

    Example: exiledb names match "Khudoydodova Shabnam" "Шабнам Худойдодова"
    """
    if not a.strip() or not b.strip():
        raise _fail("both names must hold at least one letter")
    value = score(a, b)
    same = value >= threshold
    if as_json:
        print(
            json.dumps(
                {
                    "a": a,
                    "b": b,
                    "score": value,
                    "threshold": threshold,
                    "same_person": same,
                    "keys": [key(a), key(b)],
                },
                ensure_ascii=False,
            )
        )
        return
    verdict = "same person" if same else "different persons"
    _out.print(f"{value:.3f} {verdict} (threshold {threshold})", markup=False)


@names_app.command("cluster")
def cluster_command(
    file: Annotated[
        Path, typer.Argument(help="A UTF-8 text file, one name per line; '-' reads stdin.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list of clusters.")] = False,
    threshold: Threshold = DEFAULT_THRESHOLD,
) -> None:
    """Group the names of a file that are spellings of one person's name.

    Blank lines are skipped; each other line is one name and appears in exactly one cluster.
    Without --json, clusters are printed one per line, their names separated by " | ".

    Example: exiledb names cluster names.txt --json
    """
    try:
        if str(file) == "-":
            text = typer.get_text_stream("stdin").read()
        else:
            text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise _fail(f"{file}: not a UTF-8 text file") from None
    except IsADirectoryError:
        raise _fail(f"{file}: is a folder, not a file of names") from None
    except FileNotFoundError:
        raise _fail(f"{file}: no such file") from None
    except OSError as exc:
        raise _fail(f"{file}: {exc.strerror or exc}") from None
    if "\x00" in text:
        raise _fail(f"{file}: not a text file")
    names = [line.strip() for line in text.splitlines() if line.strip()]
    groups = cluster(names, threshold)
    if as_json:
        print(json.dumps(groups, ensure_ascii=False, indent=1))
        return
    for group in groups:
        _out.print(" | ".join(group), markup=False)
