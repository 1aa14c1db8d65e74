"""The settings module: a fresh clone runs safely with no configuration."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db.backends.sqlite3.base import DatabaseWrapper

SETUP = (
    "import os, json; os.environ['DJANGO_SETTINGS_MODULE'] = 'exiledb.settings'; "
    "import django; django.setup(); from django.conf import settings; "
)


def run_settings(tmp_path: Path, code: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Load exiledb.settings in a fresh interpreter, with only the EXILEDB_* variables given."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("EXILEDB_")}
    clean.pop("DJANGO_SETTINGS_MODULE", None)
    clean["EXILEDB_DATA_DIR"] = str(tmp_path / "data")
    clean.update(env)
    result = subprocess.run(
        [sys.executable, "-c", SETUP + code],
        capture_output=True,
        text=True,
        env=clean,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result


def secret_key(tmp_path: Path, **env: str) -> str:
    return run_settings(tmp_path, "print(settings.SECRET_KEY)", **env).stdout.strip()


def test_a_secret_key_is_generated_once_into_the_data_dir_and_kept(tmp_path):
    first = secret_key(tmp_path)
    second = secret_key(tmp_path)
    path = tmp_path / "data" / "secret_key"
    assert first == second
    assert len(first) >= 50
    assert path.read_text().strip() == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_each_data_dir_gets_its_own_secret_key(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert secret_key(tmp_path / "a") != secret_key(tmp_path / "b")


def test_exiledb_secret_key_wins_and_writes_no_file(tmp_path):
    assert secret_key(tmp_path, EXILEDB_SECRET_KEY="from-the-environment") == (
        "from-the-environment"
    )
    assert not (tmp_path / "data" / "secret_key").exists()


def test_an_empty_key_file_is_never_used_as_the_key(tmp_path):
    # What a second process sees while the first is between creating the file and writing it,
    # and what a crash or a full disk at that moment leaves behind for good.
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "secret_key").touch(mode=0o600)
    assert secret_key(tmp_path).strip() != ""


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, False), ("", False), ("0", False), ("no", False), ("1", True), ("true", True)],
)
def test_debug_is_off_unless_asked_for(tmp_path, value, expected):
    env = {"EXILEDB_SECRET_KEY": "x"} | ({} if value is None else {"EXILEDB_DEBUG": value})
    out = run_settings(tmp_path, "print(json.dumps(settings.DEBUG))", **env).stdout
    assert json.loads(out) is expected


def _database(tmp_path: Path, url: str | None) -> dict:
    env = {"EXILEDB_SECRET_KEY": "x"} | ({} if url is None else {"EXILEDB_DATABASE_URL": url})
    code = "print(json.dumps(settings.DATABASES['default'], default=str))"
    return json.loads(run_settings(tmp_path, code, **env).stdout)


@pytest.mark.parametrize("url", [None, ""])
def test_a_fresh_clone_uses_sqlite_in_the_data_dir(tmp_path, url):
    db = _database(tmp_path, url)
    assert db["ENGINE"] == "django.db.backends.sqlite3"
    assert Path(db["NAME"]).parent == (tmp_path / "data").resolve()


@pytest.mark.parametrize(
    ("url", "engine", "name", "host", "port"),
    [
        (
            "postgres://exile:pw@db.example.org:5433/cases",
            "django.db.backends.postgresql",
            "cases",
            "db.example.org",
            5433,
        ),
        (
            "sqlite:////srv/exiledb/live.sqlite3",
            "django.db.backends.sqlite3",
            "/srv/exiledb/live.sqlite3",
            "",
            "",
        ),
    ],
)
def test_exiledb_database_url_selects_the_engine(tmp_path, url, engine, name, host, port):
    db = _database(tmp_path, url)
    assert (db["ENGINE"], db["NAME"], db["HOST"], db["PORT"]) == (engine, name, host, port)
    sqlite_options = "init_command" in db.get("OPTIONS", {})
    assert sqlite_options is (engine == "django.db.backends.sqlite3")


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="the configured engine is not SQLite: the SQLite connection options do not apply",
)
def test_sqlite_connections_use_wal_and_foreign_keys(tmp_path, django_db_blocker):
    # The test database lives in memory, where WAL cannot apply: open the configured options on a
    # file of our own instead.
    config = settings.DATABASES["default"] | {"NAME": str(tmp_path / "wal.sqlite3")}
    connection = DatabaseWrapper(config, alias="wal-check")
    with django_db_blocker.unblock():
        try:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA journal_mode")
                assert cursor.fetchone()[0] == "wal"
                cursor.execute("PRAGMA foreign_keys")
                assert cursor.fetchone()[0] == 1
                cursor.execute("PRAGMA busy_timeout")
                assert cursor.fetchone()[0] > 0
        finally:
            connection.close()


@pytest.mark.django_db
@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="the configured engine is not SQLite: PostgreSQL always enforces foreign keys",
)
def test_the_live_sqlite_connection_enforces_foreign_keys():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1
