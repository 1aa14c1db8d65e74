"""The `exiledb` command: thin wrappers over importable functions.

Every command fails with a one-line message and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(
    name="exiledb",
    help="exiledb: document transnational repression - exiles, relatives, sources, statistics.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
user_app = typer.Typer(help="Manage accounts.", no_args_is_help=True)
app.add_typer(user_app, name="user")

out = Console()
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: int = 1) -> typer.Exit:
    err.print(f"[bold red]Error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _setup(migrate: bool = True) -> None:
    """Configure Django and bring the database schema up to date."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exiledb.settings")
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        from exiledb.access.roles import ensure_groups

        call_command("migrate", verbosity=0, interactive=False)
        ensure_groups()


def handles_errors(func: F) -> F:
    """Turn database and file-system failures into one clear line and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from django.db import Error as DatabaseError

        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except DatabaseError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise fail(f"database error: {first} (check EXILEDB_DATABASE_URL)") from None
        except OSError as exc:
            raise fail(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")) from None

    return wrapper  # type: ignore[return-value]


def _print_summary(summary: Any, title: str) -> None:
    table = Table(title=title)
    table.add_column("records")
    for col in ("created", "updated", "unchanged"):
        table.add_column(col, justify="right")
    for kind in summary.created:
        table.add_row(
            kind,
            str(summary.created[kind]),
            str(summary.updated[kind]),
            str(summary.unchanged[kind]),
        )
    out.print(table)


def _run_import(
    path: str, fmt: str, dry_run: bool, quiet: bool = False, mapping: str | None = None
) -> None:
    from rich.progress import Progress

    from exiledb.ingest.base import ImportFailed
    from exiledb.ingest.registry import read
    from exiledb.ingest.writer import apply

    try:
        source = read(path, fmt, mapping)
        large = Path(path).is_dir() or Path(path).stat().st_size > 2_000_000
        if large and not quiet and err.is_terminal:
            with Progress(console=err, transient=True) as bar:
                task = bar.add_task("importing", total=1.0)

                def tick(kind: str, _n: int) -> None:
                    bar.update(
                        task, completed=source.done_fraction, description=f"importing {kind}"
                    )

                summary = apply(source, dry_run=dry_run, progress=tick)
        else:
            summary = apply(source, dry_run=dry_run)
    except ImportFailed as exc:
        for problem in exc.problems:
            err.print(str(problem), highlight=False, markup=False, soft_wrap=True)
        raise fail(f"{len(exc.problems)} problem(s) found in {path}; nothing was stored.") from None
    if not dry_run and summary.changed:
        _warm_figures(quiet)
    if quiet:
        return
    _print_summary(summary, f"{'Dry run of ' if dry_run else ''}import of {path}")
    if dry_run:
        out.print("Dry run: nothing was stored.")
    elif summary.changed == 0:
        out.print("Nothing changed: every record was already stored as in the file.")


def _warm_figures(quiet: bool = False) -> None:
    """Bring the stored statistics up to date after a change, so that the overview's and
    `exiledb stats`' first readers do not wait for them (exiledb.analysis.stored)."""
    from exiledb.analysis import stored

    took = stored.warm()
    if not quiet:
        err.print(f"Statistics brought up to date in {sum(took.values()):.1f} s.")


class Format(StrEnum):
    auto = "auto"
    json = "json"
    csv = "csv"
    xlsx = "xlsx"
    datapackage = "datapackage"
    flat = "flat"


@app.command("import")
@handles_errors
def import_(
    path: Annotated[str, typer.Argument(help="The file to import.")],
    fmt: Annotated[
        Format,
        typer.Option("--format", help="File format; auto decides by extension and content."),
    ] = Format.auto,
    mapping: Annotated[
        str | None,
        typer.Option(help="Column mapping (YAML or JSON) for a flat one-row-per-incident sheet."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate and report; store nothing.")
    ] = False,
) -> None:
    """Import records from a file, atomically and idempotently (upsert by id).

    Formats: the interchange JSON; the normalised tables as a folder or .zip of CSV files or an
    .xlsx workbook; a Frictionless data package; a flat one-row-per-incident sheet (.csv/.xlsx)
    with an optional --mapping. Every problem is reported at once as FILE:ROW:COLUMN: MESSAGE
    and nothing is stored if there is any. Importing the same file twice changes nothing.

    Example: exiledb import cases.json --dry-run

    Example: exiledb import partner-sheet.xlsx --mapping partner.yaml
    """
    _setup()
    _run_import(path, fmt.value, dry_run, mapping=mapping)


@app.command()
@handles_errors
def demo() -> None:
    """Load the demo dataset coded from the Foreign Policy Centre article (Dec 2017).

    Running it again changes nothing.

    Example: exiledb demo && exiledb stats
    """
    _setup()
    with resources.as_file(resources.files("exiledb.demo") / "fpc-2017.json") as path:
        _run_import(str(path), "json", dry_run=False)


class Audience(StrEnum):
    internal = "internal"
    public = "public"


class ExportFormat(StrEnum):
    json = "json"
    csv = "csv"
    xlsx = "xlsx"
    datapackage = "datapackage"


@app.command()
@handles_errors
def export(
    fmt: Annotated[ExportFormat, typer.Option("--format", help="Output format.")],
    out: Annotated[
        str,
        typer.Option(
            help="File (json, xlsx, .zip) or folder (csv, datapackage); '-' for JSON "
            "on standard output."
        ),
    ],
    audience: Annotated[
        Audience,
        typer.Option(help="public: only what an anonymous reader may see; internal: all."),
    ] = Audience.public,
) -> None:
    """Export the data: interchange JSON, normalised CSV or XLSX tables (plus a flat incidents
    table), or a Frictionless data package. The public audience gets published public records
    only, with relatives pseudonymised, minors unnamed and confidential fields removed.

    Example: exiledb export --format datapackage --audience public --out public-data/

    Example: exiledb export --format xlsx --audience internal --out backup.xlsx
    """
    _setup()
    from exiledb.ingest.export import ExportError
    from exiledb.ingest.export import export as run_export

    try:
        result = run_export(fmt.value, audience.value, out)
        from exiledb.access import audit

        audit.record(
            None,
            "export",
            audience=audience.value,
            format=fmt.value,
            path=str(out),
            username=f"cli:{os.environ.get('USER', '')}",
        )
    except ExportError as exc:
        raise fail(str(exc)) from None
    if out != "-":
        counts = ", ".join(
            f"{n} {k}"
            for k, n in result.counts.items()
            if n and k in ("incidents", "persons", "sources", "organizations", "relationships")
        )
        out_console = Console(stderr=True)
        out_console.print(f"Wrote the {audience.value} {fmt.value} export to {out} ({counts}).")


@app.command()
@handles_errors
def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    audience: Annotated[
        Audience,
        typer.Option(help="internal: every record; public: what an anonymous reader sees."),
    ] = Audience.internal,
    since: Annotated[
        str | None,
        typer.Option(help="Only incidents certainly on or after this date (YYYY[-MM[-DD]])."),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(help="Only incidents certainly on or before this date (YYYY[-MM[-DD]])."),
    ] = None,
    min_confidence: Annotated[
        str | None,
        typer.Option(help="Only incidents at least this sure: confirmed, probable or possible."),
    ] = None,
    min_date_precision: Annotated[
        str | None,
        typer.Option(help="Only incidents dated at least this precisely: day, month, year."),
    ] = None,
    min_place_precision: Annotated[
        str | None,
        typer.Option(help="Only incidents placed at least this precisely: exact, city, region."),
    ] = None,
) -> None:
    """Print the statistics: cases by stage, category and origin; incidents by tactic, host
    country, year and outcome, abroad vs proxy; relatives targeted, kinship and time from
    trigger to reprisal; origin-host dyads; detentions that became transfers, EU vs others.
    Every figure is a floor of documented cases; docs/statistics.md explains each key.

    An incident is inside --since/--until only if every day its partial date may mean is
    inside (2016 is not inside --since 2016-06); the figures say how many that left out.

    Example: exiledb stats --json --audience public

    Example: exiledb stats --since 2014 --until 2017-12 --min-confidence probable
    """
    from exiledb.analysis.filters import FilterError, Filters

    try:
        filters = Filters.parse(
            min_confidence=min_confidence,
            since=since,
            until=until,
            min_date_precision=min_date_precision,
            min_place_precision=min_place_precision,
        )
    except FilterError as exc:
        raise fail(f"--{exc.option.replace('_', '-')}: {exc.message}") from None
    _setup()
    from exiledb.analysis import stored
    from exiledb.vocab import COUNTRIES, codebook

    figures = stored.figures(filters, internal=audience is not Audience.public)
    if as_json:
        typer.echo(json.dumps(figures, indent=2, ensure_ascii=False))
        return
    inc = figures["incidents"]
    out.print(
        f"[bold]{inc['total']}[/] incidents: {inc['abroad']} abroad, {inc['proxy']} "
        f"against relatives at home (proxy); [bold]{figures['cases']['total']}[/] cases; "
        f"{figures['relatives_targeted']} relatives targeted."
    )

    def show(title: str, rows: dict[str, int], label: Callable[[str], str]) -> None:
        table = Table(title=title)
        table.add_column(title.split(" by ")[-1])
        table.add_column("count", justify="right")
        for key, n in rows.items():
            table.add_row(label(key), str(n))
        out.print(table)

    stage_labels = {"1": "1 on notice", "2": "2 detained", "3": "3 rendered/attacked"}
    show("Cases by stage", figures["cases"]["by_stage"], lambda k: stage_labels.get(k, k))
    show("Incidents by tactic", inc["by_tactic"], codebook.TACTICS.label)
    show(
        "Incidents abroad by host country",
        inc["by_host_country"],
        lambda k: f"{COUNTRIES.get(k, k)} ({k})",
    )
    show("Incidents by year", inc["by_year"], str)
    show("Incidents by outcome", inc["by_outcome"], codebook.OUTCOMES.label)
    proxy = figures["proxy"]
    per_exile = proxy["relatives_per_exile"]
    out.print(
        f"Proxy repression: {proxy['exiles_targeted_through_relatives']} exiles targeted through "
        f"relatives, mean {per_exile['mean']} and median {per_exile['median']} named relatives "
        f"each; {proxy['linked_to_trigger']} incidents linked to a trigger event."
    )
    show(
        "Targeted relatives by kinship",
        proxy["kinship"],
        lambda k: codebook.KINSHIP.label(k) if k in codebook.KINSHIP else k.replace("_", " "),
    )
    hosts = figures["host_comparison"]
    for name, row in (("In the EU", hosts["eu"]), ("Elsewhere", hosts["non_eu"])):
        out.print(
            f"{name}: {row['transferred']} of {row['detentions']} detentions became transfers, "
            f"{row['released']} ended in release."
        )
    excluded = figures["filters"]["excluded"]
    if excluded:
        out.print(
            "Filtered out: "
            + ", ".join(f"{n} by {k.replace('_', ' ')}" for k, n in excluded.items())
            + ".",
            highlight=False,
        )
    out.print(figures["note"], style="italic")


@app.command()
@handles_errors
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes.")] = 2,
) -> None:
    """Serve the site and editor with gunicorn (migrates the database first).

    Example: exiledb serve --host 0.0.0.0 --port 8080 --workers 4
    """
    _setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    _index_ready()
    from django.db import connections

    # The workers are forked from this process: a connection opened here (migrations, the
    # index check) would be one socket shared by every worker, and PostgreSQL answers would
    # reach the wrong request. Each worker opens its own.
    connections.close_all()
    from gunicorn.app.base import BaseApplication

    from exiledb.wsgi import application

    class Server(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("accesslog", "-")
            # No client address in the log: readers of public pages include the exiles and
            # families the site is about, and a seized server must not list them.
            self.cfg.set("access_log_format", '%(t)s "%(r)s" %(s)s %(b)s %(L)ss')
            self.cfg.set("timeout", 60)
            self.cfg.set("post_worker_init", _warm_worker)

        def load(self) -> Any:
            return application

    debug = " (DEBUG on)" if settings.DEBUG else ""
    out.print(f"Serving exiledb on http://{host}:{port}/ - editor at /editor/{debug}")
    Server().run()


def _warm_worker(worker: Any) -> None:
    """Load the incident list's facet bitmaps in a new worker, in a thread, so that its first
    reader of the list does not wait for them (seconds at a million incidents)."""
    import threading

    def load() -> None:
        from django.db import connections

        from exiledb.explore import bitmaps, index

        try:
            bitmaps.current(index.fresh())
        except Exception:  # a reader's request loads them, and reports what went wrong
            worker.log.exception("loading the facet bitmaps failed")
        finally:
            connections.close_all()

    threading.Thread(target=load, name="exiledb-warm", daemon=True).start()


def _index_ready() -> None:
    """Build the public index before serving if it has never been built (a database from an
    older version, a restored backup), so that no reader's request waits for it."""
    from exiledb.explore.models import State

    if not State.objects.filter(pk=1, built=True).exists():
        err.print("Building the public index (once)...")
        count = _rebuild_index()
        err.print(f"Indexed {count} published incidents.")


def _rebuild_index() -> int:
    import time

    from exiledb.explore import index

    started = time.monotonic()
    count = index.rebuild()
    err.print(f"Public index rebuilt in {time.monotonic() - started:.1f} s.")
    return count


@app.command()
@handles_errors
def reindex() -> None:
    """Rebuild the public index behind the incident list, its search and the map.

    Imports rebuild it and edits refresh it by themselves; run it after restoring a database
    backup, or to time a rebuild.

    Example: exiledb reindex
    """
    _setup()
    count = _rebuild_index()
    _warm_figures()
    out.print(f"Indexed {count} published incidents.")


class Role(StrEnum):
    admin = "admin"
    editor = "editor"
    coder = "coder"
    viewer = "viewer"


@user_app.command("add")
@handles_errors
def user_add(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[Role, typer.Option(help="admin, editor, coder or viewer.")],
    email: Annotated[str, typer.Option(help="E-mail address.")] = "",
) -> None:
    """Create an account with a role. The password is asked for, or read from standard input -
    never taken from the command line, where it would land in shell history.

    Example: exiledb user add amina --role coder
    Example: printf '%s\\n' "$PASSWORD" | exiledb user add amina --role coder
    """
    _setup()
    from django.contrib.auth import get_user_model, password_validation
    from django.contrib.auth.models import Group
    from django.core.exceptions import ValidationError
    from django.db import transaction

    user_model = get_user_model()
    if user_model.objects.filter(username=name).exists():
        raise fail(f"a user named '{name}' already exists")
    if sys.stdin.isatty():
        import getpass

        password = getpass.getpass(f"Password for {name}: ")
        if getpass.getpass("Repeat the password: ") != password:
            raise fail("the passwords do not match")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    if not password:
        raise fail("no password given (type it at the prompt or pipe it on standard input)")
    candidate = user_model(username=name, email=email)
    try:
        password_validation.validate_password(password, candidate)
    except ValidationError as exc:
        raise fail("password refused: " + " ".join(exc.messages)) from None
    with transaction.atomic():
        user = user_model.objects.create_user(
            username=name,
            email=email,
            password=password,
            is_staff=True,
            is_superuser=role is Role.admin,
        )
        user.groups.add(Group.objects.get(name=role.value))
    out.print(f"Created {role.value} '{name}'.")


audit_app = typer.Typer(help="The audit log of reads and exports.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")

from exiledb.names.commands import names_app  # noqa: E402 - a pure-Python sub-app, no Django

app.add_typer(names_app, name="names")
# Defined in their own modules, which use the helpers above.
from exiledb.editions.commands import edition_app  # noqa: E402
from exiledb.reports.commands import report  # noqa: E402

app.add_typer(edition_app, name="edition")
app.command("report")(report)


@audit_app.command("verify")
@handles_errors
def audit_verify() -> None:
    """Check the audit log's hash chain: exit 1 and name the first broken event if any event
    was changed, removed or inserted.

    Example: exiledb audit verify
    """
    _setup()
    from exiledb.access import audit

    result = audit.verify()
    if not result.ok:
        raise fail(
            f"the audit log is broken at event {result.first_bad}: {result.reason} "
            f"({result.checked} events before it are intact)"
        )
    out.print(
        f"The audit log is intact: {result.checked} events checked. Its last hash is "
        f"{result.head}: keep it outside this server to detect later truncation."
    )


token_app = typer.Typer(help="API tokens: create, list, revoke.", no_args_is_help=True)
app.add_typer(token_app, name="token")


class Scope(StrEnum):
    read = "read"
    write = "write"


@token_app.command("create")
@handles_errors
def token_create(
    user: Annotated[str, typer.Option("--user", help="The account the token acts as.")],
    scope: Annotated[Scope, typer.Option(help="read: list and read; write: also change.")],
    name: Annotated[str, typer.Option(help="What the token is for.")] = "command line",
    days: Annotated[
        int, typer.Option(help="Days until it expires (0: never; the default is 90).")
    ] = 90,
) -> None:
    """Create an API token and print it once: it is stored only as a digest.

    The token sees and writes what the account's role may; a read token never writes.

    Example: exiledb token create --user amina --scope write --name "partner sync"
    """
    _setup()
    from django.contrib.auth import get_user_model

    from exiledb.access import tokens

    account = get_user_model().objects.filter(username=user).first()
    if account is None:
        raise fail(f"no account named '{user}' (create it with: exiledb user add)")
    try:
        token, plain = tokens.create(account, name, scope.value, days=days or None)
    except tokens.TokenError as exc:
        raise fail(str(exc)) from None
    expiry = f"expires {token.expires_at:%Y-%m-%d}" if token.expires_at else "never expires"
    err.print(f"Token {token.pk} for {user} ({scope.value}, {expiry}). Shown once - keep it:")
    typer.echo(plain)


@token_app.command("list")
@handles_errors
def token_list(
    user: Annotated[str, typer.Option("--user", help="Only this account's tokens.")] = "",
) -> None:
    """List tokens (never their text): id, account, name, scope, state, expiry, last use.

    Example: exiledb token list --user amina
    """
    _setup()
    from exiledb.access.models import ApiToken

    qs = ApiToken.objects.select_related("user")
    if user:
        qs = qs.filter(user__username=user)
    # Tab-separated, one token a line: easy to read and to script (grep, cut).
    typer.echo(
        "\t".join(("id", "account", "name", "scope", "state", "expires", "last_used", "starts"))
    )
    for t in qs:
        state = "revoked" if t.revoked_at else ("active" if t.active else "expired")
        typer.echo(
            "\t".join(
                (
                    str(t.pk),
                    t.user.username,
                    t.name,
                    t.scope,
                    state,
                    f"{t.expires_at:%Y-%m-%d}" if t.expires_at else "never",
                    f"{t.last_used_at:%Y-%m-%d}" if t.last_used_at else "never",
                    t.hint + "...",
                )
            )
        )


@token_app.command("revoke")
@handles_errors
def token_revoke(
    token_id: Annotated[int, typer.Argument(help="The id `token list` shows.")],
) -> None:
    """Revoke a token at once; requests with it are refused from then on.

    Example: exiledb token revoke 3
    """
    _setup()
    from exiledb.access import tokens
    from exiledb.access.models import ApiToken

    token = ApiToken.objects.select_related("user").filter(pk=token_id).first()
    if token is None:
        raise fail(f"no token with id {token_id} (see: exiledb token list)")
    tokens.revoke(token)
    out.print(f"Revoked token {token_id} ({token.name}) of {token.user.username}.")


@app.command()
@handles_errors
def redact(
    person: Annotated[str, typer.Argument(help="The person's UUID (as in the editor's URL).")],
    note: Annotated[str, typer.Option(help="What was asked, for the internal record.")] = "",
) -> None:
    """Honour a removal request: remove a person from all public output (pages, API, public
    exports, future editions), keeping the internal record and recording the request.

    Example: exiledb redact 3f1c0b9e-5b7d-4d0e-8f6a-2a9d1c7e4b21 --note "asked by e-mail"
    """
    _setup()
    import uuid as uuidlib

    from exiledb.access.redaction import redact as run_redact
    from exiledb.cases.models import Person

    try:
        target = Person.objects.get(pk=uuidlib.UUID(person))
    except (ValueError, Person.DoesNotExist):
        raise fail(f"no person with id '{person}'") from None
    run_redact(target, None, note=note, username=f"cli:{os.environ.get('USER', '')}")
    out.print(f"Removed '{target.display_name}' from public output; the request is recorded.")


@user_app.command("otp-reset")
@handles_errors
def user_otp_reset(name: Annotated[str, typer.Argument(help="Login name.")]) -> None:
    """Remove an account's authenticator and recovery codes (a lost phone): at the next sign-in
    the account sets up a new second factor.

    Example: exiledb user otp-reset amina
    """
    _setup()
    from django.contrib.auth import get_user_model
    from django_otp import devices_for_user

    from exiledb.access import audit

    user = get_user_model().objects.filter(username=name).first()
    if user is None:
        raise fail(f"no user named '{name}'")
    removed = 0
    for device in devices_for_user(user, confirmed=None):
        device.delete()
        removed += 1
    audit.record(None, "otp_reset", user, username=f"cli:{os.environ.get('USER', '')}")
    out.print(f"Removed {removed} second-factor device(s) of '{name}'.")


# duplicates, merge, unmerge, merges, not-duplicate (docs/duplicates.md)
from exiledb.dedupe.commands import register as _register_dedupe  # noqa: E402

_register_dedupe(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
