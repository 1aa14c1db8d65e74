"""Documentation that cannot drift from the code (after datasette's tests/test_docs.py).

Each test fails when something users rely on - a command, an option, a setting, a model field -
exists in the code but not in the docs. None of them needs a database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer

from exiledb import cli

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
README = REPO / "README.md"
SETTINGS = REPO / "src" / "exiledb" / "settings.py"
RUN_TESTS = REPO / "scripts" / "run-tests"
ENV_VAR = re.compile(r"\bEXILEDB_[A-Z0-9_]+\b")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*$")


def sections(path: Path) -> dict[str, str]:
    """Markdown headings (without #, backticks) mapped to the text up to the next heading.

    Lines inside fenced code blocks are never headings (a shell comment starts with # too).
    """
    out: dict[str, str] = {}
    title, body, fenced = "", [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
        mark = None if fenced else HEADING.match(line)
        if mark:
            out[title] = "\n".join(body)
            title, body = mark.group(1).replace("`", "").strip(), []
        else:
            body.append(line)
    out[title] = "\n".join(body)
    return out


# typer 0.29 vendors click privately (typer._click), so commands and parameters are recognised by
# their attributes rather than by click's classes.
def walk(command: Any, path: tuple[str, ...]) -> Iterator[tuple[str, Any]]:
    """Every command and group below the root, as ('exiledb user add', command)."""
    if path[1:]:
        yield " ".join(path), command
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        yield from walk(sub, (*path, name))


def params(kind: str) -> list[tuple[str, Any]]:
    """(command name, parameter) for every parameter of the given kind: option or argument."""
    return [
        (name, param)
        for name, command in sorted(COMMANDS.items())
        for param in command.params
        if param.param_type_name == kind
    ]


COMMANDS = dict(walk(typer.main.get_command(cli.app), ("exiledb",)))


def test_the_command_tree_is_not_empty():
    # Guards the parametrised tests below against passing by finding nothing to check.
    assert {"exiledb import", "exiledb demo", "exiledb stats", "exiledb serve"} <= set(COMMANDS)
    assert "exiledb user add" in COMMANDS


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_has_a_section_in_cli_md(name):
    assert name in sections(DOCS / "cli.md"), f"docs/cli.md has no heading for `{name}`"


@pytest.mark.parametrize(
    ("name", "option"),
    [(name, opt) for name, param in params("option") for opt in param.opts + param.secondary_opts],
)
def test_every_option_is_documented_under_its_command(name, option):
    body = sections(DOCS / "cli.md").get(name, "")
    assert re.search(rf"`{re.escape(option)}\b", body), (
        f"docs/cli.md: the section for `{name}` does not document `{option}`"
    )


@pytest.mark.parametrize(
    ("name", "argument"),
    [(name, param.name.upper()) for name, param in params("argument")],
)
def test_every_argument_is_documented_under_its_command(name, argument):
    body = sections(DOCS / "cli.md").get(name, "")
    assert f"`{argument}`" in body, f"docs/cli.md: `{name}` does not explain `{argument}`"


def _settings_vars() -> list[str]:
    return sorted(set(ENV_VAR.findall(SETTINGS.read_text(encoding="utf-8"))))


def test_settings_read_environment_variables():
    assert "EXILEDB_DATABASE_URL" in _settings_vars()


@pytest.mark.parametrize("var", _settings_vars())
@pytest.mark.parametrize("doc", ["docs/configuration.md", "README.md"])
def test_every_setting_variable_is_documented(var, doc):
    assert f"`{var}`" in (REPO / doc).read_text(encoding="utf-8"), f"{doc} does not document {var}"


@pytest.mark.parametrize("var", sorted(set(ENV_VAR.findall(RUN_TESTS.read_text()))))
def test_every_test_runner_variable_is_documented(var):
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    assert f"`{var}`" in text, f"docs/configuration.md does not document {var}"


# The apps whose models docs/data-model.md documents field by field.
DOCUMENTED_APPS = ("cases", "access")


def _documented_models() -> list[type]:
    from django.apps import apps
    from simple_history.models import HistoricalChanges

    return [
        model
        for label in DOCUMENTED_APPS
        for model in apps.get_app_config(label).get_models()
        if not model._meta.auto_created and not issubclass(model, HistoricalChanges)
    ]


def test_the_documented_apps_have_models():
    names = {m.__name__ for m in _documented_models()}
    assert names >= {"Person", "Incident", "Source", "Citation"}
    assert names >= {"AuditEvent", "LoginAttempt", "RemovalRequest"}


def test_every_model_field_and_on_delete_is_in_data_model_md():
    docs = sections(DOCS / "data-model.md")
    missing = []
    for model in _documented_models():
        body = docs.get(model.__name__)
        if body is None:
            missing.append(f"no heading for {model.__name__}")
            continue
        for field in [*model._meta.concrete_fields, *model._meta.many_to_many]:
            if f"`{field.name}`" not in body:
                missing.append(f"{model.__name__}.{field.name}")
            on_delete = getattr(field.remote_field, "on_delete", None)
            if on_delete is not None and on_delete.__name__ not in body:
                missing.append(f"{model.__name__}.{field.name} on_delete {on_delete.__name__}")
    assert not missing, "docs/data-model.md lacks: " + ", ".join(missing)


def test_the_readme_gives_the_two_commands():
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```(?:sh|bash|console)?\n(.*?)```", text, re.DOTALL)
    assert any(b.strip() == "make run" for b in blocks), "README lacks a `make run` block"
    assert any(b.strip() == "make test" for b in blocks), "README lacks a `make test` block"


def test_the_readme_links_every_doc_and_every_link_resolves():
    text = README.read_text(encoding="utf-8")
    links = set(re.findall(r"\]\((docs/[^)#\s]+)", text))
    assert links, "README links no page under docs/"
    for link in links:
        assert (REPO / link).is_file(), f"README links {link}, which does not exist"
    for page in DOCS.glob("*.md"):
        assert f"docs/{page.name}" in links, f"README does not link docs/{page.name}"


def test_the_makefile_targets_named_in_the_docs_exist():
    targets = set(re.findall(r"^([a-z][\w-]*):", (REPO / "Makefile").read_text(), re.MULTILINE))
    for doc in (README, *sorted(DOCS.glob("*.md"))):
        for target in re.findall(r"`make ([a-z][\w-]*)", doc.read_text(encoding="utf-8")):
            assert target in targets, f"{doc.name} names `make {target}`, not in the Makefile"


def test_the_changelog_starts_with_an_unreleased_section():
    text = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    versions = re.findall(r"^## \[?([^\]\n]+)\]?", text, re.MULTILINE)
    assert versions and versions[0] == "Unreleased"


def test_every_migration_is_flagged_in_the_changelog():
    text = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    migrations = sorted((REPO / "src" / "exiledb").glob("*/migrations/0*.py"))
    assert migrations, "no migration found: the glob is wrong"
    for migration in sorted((REPO / "src" / "exiledb").glob("*/migrations/0*.py")):
        app = migration.parent.parent.name
        assert f"{app} {migration.stem}" in text, (
            f"CHANGELOG.md does not flag {app} {migration.stem}"
        )
