"""Shared fixtures: personas, a minimal valid document, the demo file, the CLI."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "src" / "exiledb" / "demo" / "fpc-2017.json"
PERSONAS = ("anonymous", "viewer", "coder", "editor", "admin")
PASSWORD = "correct horse battery staple 42"

MINIMAL: dict[str, Any] = {
    "format": "exiledb/1",
    "codebook": "1.0.0",
    "organizations": [
        {
            "id": "org/g24",
            "name": "Group 24",
            "type": "movement",
            "country": "TJ",
            "designations": [{"type": "extremist", "by_country": "TJ", "date": "2014-10"}],
        }
    ],
    "sources": [
        {
            "id": "src/hrw",
            "type": "ngo_report",
            "title": "Abuse of Dissidents' Families",
            "publisher": "Human Rights Watch",
            "date": "2016-12-20",
            "url": "https://www.hrw.org/news/2016/12/20/tajikistan-abuse-dissidents-families",
        }
    ],
    "persons": [
        {
            "id": "person/exile",
            "display_name": "Shabnam Khudoydodova",
            "names": [{"value": "Khodoydodova"}, {"value": "Худойдодова", "language": "tg"}],
            "sex": "female",
            "origin_country": "TJ",
            "categories": ["opposition"],
            "affiliations": [{"organization": "org/g24", "role": "alleged_member"}],
        },
        {
            "id": "person/daughter",
            "display_name": "daughter of Shabnam Khudoydodova",
            "name_known": False,
            "is_minor": True,
            "origin_country": "TJ",
        },
    ],
    "relationships": [
        {"id": "rel/1", "person": "person/daughter", "kinship": "daughter", "other": "person/exile"}
    ],
    "incidents": [
        {
            "id": "incident/school",
            "title": "Mob at a school in Kulob",
            "date": "2016-09",
            "country": "TJ",
            "place": "Kulob",
            "place_precision": "city",
            "origin_country": "TJ",
            "proxy": True,
            "tactics": ["proxy_mob", "proxy_public_shaming"],
            "host_state_role": "not_applicable",
            "legal_channel": "none",
            "involvements": [
                {
                    "person": "person/daughter",
                    "role": "relative_targeted",
                    "linked_exile": "person/exile",
                }
            ],
            "citations": [{"source": "src/hrw", "locator": "para 1"}],
            "review_status": "published",
        },
    ],
}


@pytest.fixture(autouse=True)
def figures_counted_in_the_request(settings: Any) -> None:
    """Deployed, the overview shows the last figures after a change while a thread counts
    new ones (exiledb.analysis.stored). A test's transaction is invisible to another thread's
    connection, so tests count them in the request; tests/test_stored_figures.py runs the
    thread on committed data."""
    settings.EXILEDB_FIGURES_IN_BACKGROUND = False


@pytest.fixture
def minimal_doc() -> dict[str, Any]:
    return copy.deepcopy(MINIMAL)


@pytest.fixture
def write_doc(tmp_path: Path):
    def write(doc: Any, name: str = "data.json") -> Path:
        path = tmp_path / name
        path.write_text(
            json.dumps(doc, ensure_ascii=False) if not isinstance(doc, str) else doc,
            encoding="utf-8",
        )
        return path

    return write


@pytest.fixture
def personas(db) -> dict[str, Any]:
    """One user per role, plus None for the anonymous reader."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from exiledb.access.roles import ensure_groups

    ensure_groups()
    users: dict[str, Any] = {"anonymous": None}
    model = get_user_model()
    for role in PERSONAS[1:]:
        user = model.objects.create_user(
            role, password=PASSWORD, is_staff=True, is_superuser=role == "admin"
        )
        user.groups.add(Group.objects.get(name=role))
        users[role] = user
    return users


def signed_in(client: Any, user: Any, second_factor: bool = True) -> Any:
    """Sign a test client in as `user`, having passed the second factor (as editors and admins
    must) unless told otherwise."""
    if user is None:
        client.logout()
        return client
    client.force_login(user)
    if second_factor:
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device, _ = TOTPDevice.objects.get_or_create(
            user=user, name="test authenticator", defaults={"confirmed": True}
        )
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def sign_in():
    return signed_in


@pytest.fixture
def cli(tmp_path: Path):
    """Run the real `exiledb` command in a subprocess, on a database of its own.

    On PostgreSQL a throwaway database is created and dropped; on SQLite a file in tmp_path.
    The subprocess commits for real, so it must never share the test transaction's database.
    """
    from django.conf import settings

    db = settings.DATABASES["default"]
    pg_name = None
    if not db["ENGINE"].endswith("sqlite3"):
        import psycopg

        pg_name = f"exiledb_cli_{os.getpid()}"
        with psycopg.connect(
            host=db["HOST"],
            port=db["PORT"] or 5432,
            user=db["USER"],
            password=db["PASSWORD"] or None,
            dbname="postgres",
            autocommit=True,
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}"')
            conn.execute(f'CREATE DATABASE "{pg_name}"')

    env = dict(os.environ)
    env["EXILEDB_DATA_DIR"] = str(tmp_path / "data")
    env["EXILEDB_SECRET_KEY"] = "test-only-secret"
    if db["ENGINE"].endswith("sqlite3"):
        env["EXILEDB_DATABASE_URL"] = f"sqlite:///{tmp_path / 'cli.sqlite3'}"
    else:
        env["EXILEDB_DATABASE_URL"] = (
            f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{pg_name}"
        )

    def run(*args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "exiledb", *args],
            input=input,
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )

    run.env = env  # type: ignore[attr-defined] # for tests that start a server themselves
    yield run
    if pg_name:
        import psycopg

        with psycopg.connect(
            host=db["HOST"],
            port=db["PORT"] or 5432,
            user=db["USER"],
            password=db["PASSWORD"] or None,
            dbname="postgres",
            autocommit=True,
        ) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


def public_site(settings: Any, tmp_path: Path) -> None:
    """Settings for tests of the site: downloads cached under a temporary DATA_DIR, static files
    without collectstatic's manifest (`exiledb serve` collects them), DEBUG off, a fast hasher."""
    settings.DATA_DIR = tmp_path
    settings.STATIC_ROOT = tmp_path
    settings.DEBUG = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
