"""The `exiledb` command as a user runs it: a subprocess, real files, exit codes."""

from __future__ import annotations

import json

import pytest


def test_it_imports_a_file_and_reimporting_changes_nothing(cli, write_doc, minimal_doc):
    path = write_doc(minimal_doc)
    first = cli("import", str(path))
    assert first.returncode == 0, first.stderr
    second = cli("import", str(path))
    assert second.returncode == 0, second.stderr
    assert "Nothing changed" in second.stdout
    stats = json.loads(cli("stats", "--json").stdout)
    assert stats["incidents"]["total"] == 1
    assert stats["incidents"]["proxy"] == 1
    assert stats["relatives_targeted"] == 1


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (
            lambda d: d["incidents"][0]["tactics"].append("mob"),
            "incidents[0] (id incident/school): tactics[2]: unknown tactic 'mob' "
            "(did you mean proxy_mob?)",
        ),
        (
            lambda d: d["incidents"][0]["involvements"][0].update(person="person/nobody"),
            "incidents[0] (id incident/school): involvements[0].person: dangling reference",
        ),
        (
            lambda d: d["incidents"][0].update(date="2016-02-30"),
            "incidents[0] (id incident/school): date: '2016-02-30': there is no day 30",
        ),
        (
            lambda d: d["persons"][0].update(origin_country="Tajikistan"),
            "persons[0] (id person/exile): origin_country: 'Tajikistan' is not an ISO 3166-1",
        ),
    ],
    ids=["unknown-tactic", "dangling-reference", "impossible-date", "unknown-country"],
)
def test_bad_input_names_record_and_field_and_stores_nothing(
    cli, write_doc, minimal_doc, mutate, expected
):
    mutate(minimal_doc)
    path = write_doc(minimal_doc)
    result = cli("import", str(path))
    assert result.returncode == 1
    assert expected in result.stderr
    assert "nothing was stored" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    stats = json.loads(cli("stats", "--json").stdout)
    assert stats["incidents"]["total"] == 0


def test_a_malformed_json_file_fails_with_its_line_and_column(cli, write_doc, minimal_doc):
    text = json.dumps(minimal_doc)
    path = write_doc(text[: len(text) // 2])
    result = cli("import", str(path))
    assert result.returncode == 1
    assert "invalid JSON" in result.stderr
    assert f"{path}:1:" in result.stderr
    assert "Traceback" not in result.stderr


def test_dry_run_reports_without_storing(cli, write_doc, minimal_doc):
    result = cli("import", str(write_doc(minimal_doc)), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "nothing was stored" in result.stdout
    assert json.loads(cli("stats", "--json").stdout)["incidents"]["total"] == 0


def test_demo_twice_changes_nothing_and_shows_the_articles_cases(cli):
    first = cli("demo")
    assert first.returncode == 0, first.stderr
    before = json.loads(cli("stats", "--json").stdout)
    second = cli("demo")
    assert second.returncode == 0, second.stderr
    assert "Nothing changed" in second.stdout
    after = json.loads(cli("stats", "--json").stdout)
    assert before == after
    assert after["incidents"]["total"] >= 15
    assert after["incidents"]["proxy"] >= 10
    assert after["cases"]["by_stage"]["2"] >= 2
    assert {"ES", "FI"} <= set(after["incidents"]["by_host_country"])


def test_user_add_reads_the_password_from_stdin_not_argv(cli):
    ok = cli("user", "add", "amina", "--role", "coder", input="a long enough passphrase 7\n")
    assert ok.returncode == 0, ok.stderr
    again = cli("user", "add", "amina", "--role", "coder", input="a long enough passphrase 7\n")
    assert again.returncode == 1
    assert "already exists" in again.stderr
    weak = cli("user", "add", "bob", "--role", "viewer", input="123\n")
    assert weak.returncode == 1
    assert "password refused" in weak.stderr


def test_unknown_role_is_refused(cli):
    result = cli("user", "add", "x", "--role", "boss", input="whatever whatever 1\n")
    assert result.returncode != 0
    assert "boss" in result.stderr


@pytest.mark.parametrize("command", ["import", "demo", "stats", "serve", "user add"])
def test_every_command_has_help_with_an_example(cli, command):
    result = cli(*command.split(), "--help")
    assert result.returncode == 0
    assert "Example:" in result.stdout
