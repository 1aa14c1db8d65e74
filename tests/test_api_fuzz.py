"""schemathesis against the API's own OpenAPI document: generated requests, reads and writes,
as anonymous and with a write token, must never get a server error, and every answer must match
the document (status code listed, content type, body schema).

Bounded for CI: a few examples per operation (EXILEDB_FUZZ_EXAMPLES raises it for a longer
local run).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from conftest import public_site
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from exiledb.ingest import interchange, writer

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
EXAMPLES = int(os.environ.get("EXILEDB_FUZZ_EXAMPLES", "12"))
CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def api_data(
    db, settings: Any, tmp_path: Any, minimal_doc: dict[str, Any]
) -> Iterator[dict[str, str]]:
    """The minimal document (a proxy incident, an exile, a minor relative, a source, an
    organisation) and an editor's write token."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.cache import cache

    from exiledb.access import tokens
    from exiledb.access.roles import ensure_groups

    public_site(settings, tmp_path)
    settings.EXILEDB_API_ANON_RATE = "100000/min"
    # schemathesis calls the WSGI handler itself, not Django's test client: stop the end of
    # each request from closing the test's database connection (the client does the same).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    cache.clear()
    writer.apply(interchange.parse_document(minimal_doc, "minimal.json"))
    ensure_groups()
    editor = get_user_model().objects.create_user("fuzzer", is_staff=True)
    editor.groups.add(Group.objects.get(name="editor"))
    _, plain = tokens.create(editor, "fuzz", "write")
    yield {"Authorization": f"Bearer {plain}"}
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
@pytest.mark.django_db
def test_generated_requests_get_no_server_error_and_match_the_schema(case, api_data):
    # half the operations as anonymous, all writes with the token (else they are only 401s)
    headers = api_data if case.method != "GET" or "{pk}" in case.path else None
    case.call_and_validate(headers=headers, checks=CHECKS)
