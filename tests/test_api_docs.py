"""Every example in docs/api.md, run against a live server holding the demo: the curl lines in
a shell (their shown output must appear in what they print), the Python blocks with httpx and
pandas. A documented example that does not work fails the suite."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import DEMO, REPO, public_site

from exiledb.ingest import interchange, writer

DOC = REPO / "docs" / "api.md"
BLOCK = re.compile(r"```(console|python)\n(.*?)```", re.S)

pytestmark = pytest.mark.django_db(transaction=True)


def blocks(kind: str) -> list[str]:
    return [body for k, body in BLOCK.findall(DOC.read_text(encoding="utf-8")) if k == kind]


def test_the_api_page_has_examples_of_both_kinds():
    assert len(blocks("console")) >= 4 and len(blocks("python")) >= 4


@pytest.fixture
def server(
    live_server: Any, settings: Any, tmp_path: Path, personas: dict[str, Any]
) -> dict[str, str]:
    from django.core.cache import cache

    from exiledb.access import tokens

    public_site(settings, tmp_path)
    settings.EXILEDB_API_ANON_RATE = "100000/min"
    cache.clear()
    doc = json.loads(DEMO.read_text(encoding="utf-8"))
    writer.apply(interchange.parse_document(doc, str(DEMO)))
    return {
        "BASE": live_server.url,
        "CODER_TOKEN": tokens.create(personas["coder"], "docs", "write")[1],
        "EDITOR_TOKEN": tokens.create(personas["editor"], "docs", "write")[1],
    }


def test_the_curl_examples_print_what_the_page_shows(server):
    env = {**os.environ, **server}
    for block in blocks("console"):
        commands = [line[2:] for line in block.splitlines() if line.startswith("$ ")]
        shown = [line for line in block.splitlines() if line and not line.startswith("$ ")]
        script = "set -euo pipefail\n" + "\n".join(commands)
        done = subprocess.run(
            ["bash", "-c", script], capture_output=True, text=True, env=env, timeout=60
        )
        assert done.returncode == 0, (block, done.stderr)
        printed = done.stdout.splitlines()
        for line in shown:
            assert line in printed, (block, done.stdout)


def test_the_python_examples_run(server, capsys):
    for block in blocks("python"):
        namespace: dict[str, Any] = dict(server)
        exec(compile(block, str(DOC), "exec"), namespace)  # noqa: S102 - our own documentation
    printed = capsys.readouterr().out
    assert "20 proxy incidents" in printed and "draft" in printed
    assert "body.date" in printed and "body.tactics" in printed
