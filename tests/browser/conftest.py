"""Browser fixtures: the demo on a live server, one headless Chromium, and a checked page.

Every page a test opens through `site.goto` or `site.follow` is checked the way a reader at risk
needs it: no request leaves for another host (the context aborts them, so nothing is sent, and
the test fails), no console error or uncaught page error, and no serious or critical axe-core
violation. The Chromium is Debian's (`apt-get install chromium`), driven by Playwright; the
`playwright install` download is never used. Without Chromium the tests skip, or fail when CI is
set. EXILEDB_CHROMIUM names another binary.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

HERE = Path(__file__).resolve().parent
DEMO = HERE.parent.parent / "src" / "exiledb" / "demo" / "fpc-2017.json"
AXE = HERE / "vendor" / "axe.min.js"
CHROMIUM = os.environ.get("EXILEDB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-default-apps",
    "--disable-sync",
    "--no-first-run",
    "--disable-features=Translate,OptimizationHints,MediaRouter",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}
BLOCKING = ("serious", "critical")  # axe impacts that fail a test
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI is set and the browser tests cannot run: {reason}", pytrace=False)
    pytest.skip(f"browser tests skipped: {reason}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every browser test is marked `browser`, and `django_db`: so pytest-django creates the
    test database even when only these tests run (each then runs in a transaction that is
    rolled back; the live server reads the demo committed before, by `live_site`)."""
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.django_db)


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """One headless Chromium for the browser tests.

    Playwright's sync API marks an asyncio loop as running in this thread while it is open.
    Django then refuses ORM calls (SynchronousOnlyOperation): the test code's ORM calls (loading
    the demo, flushing) are synchronous, so Django is told to allow them while the browser is
    open, and only then. Django also keeps this thread's database connections apart while a
    loop runs, so they are closed when the browser opens and before it closes: none is left
    open for PostgreSQL to refuse to drop the test database over.
    """
    from django.db import connections

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"no Chromium at {CHROMIUM} (apt-get install chromium, or EXILEDB_CHROMIUM)")
    saved = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    connections.close_all()
    try:
        with sync_playwright() as pw:
            chromium = pw.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
            )
            yield chromium
            connections.close_all()
            chromium.close()
    finally:
        if saved is None:
            del os.environ[ASYNC_UNSAFE]
        else:
            os.environ[ASYNC_UNSAFE] = saved


@pytest.fixture(scope="package")
def live_site(
    browser: Any,
    django_db_setup: None,
    django_db_blocker: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """The demo on a live server, for every browser test; its origin (http://localhost:PORT).

    The demo is loaded once with the importer and committed, then the database is flushed when
    the browser tests are done (as pytest-django's transactional_db does after each test):
    the tests only read, so they share it rather than reload it every time. The site runs as
    `exiledb serve` runs it (DEBUG off), but without collectstatic's manifest: the live server
    serves the static files from the apps. It starts after the browser and stops before it
    (see `browser` on database connections), and not at all without one.
    """
    from django.conf import settings
    from django.core.management import call_command
    from django.test import override_settings
    from pytest_django.live_server_helper import LiveServer

    from exiledb.ingest import interchange, writer

    data = tmp_path_factory.mktemp("site")
    (data / "static").mkdir()
    static = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    with (
        django_db_blocker.unblock(),
        override_settings(
            DEBUG=False,
            DATA_DIR=data,
            STATIC_ROOT=data / "static",
            STORAGES={**settings.STORAGES, "staticfiles": static},
        ),
    ):
        from django.db import connection

        name = str(connection.settings_dict["NAME"])  # a guard: never load into a real one
        assert "test" in Path(name).name or connection.is_in_memory_db(), name
        doc = json.loads(DEMO.read_text(encoding="utf-8"))
        writer.apply(interchange.parse_document(doc, str(DEMO)))
        server = LiveServer("localhost")
        server._live_server_modified_settings.enable()
        try:
            yield server.url
        finally:
            server._live_server_modified_settings.disable()
            server.stop()
            # Each request thread closes its database connection when its client goes; wait
            # for them, or PostgreSQL refuses to drop the test database at the end.
            for thread in threading.enumerate():
                if "process_request_thread" in thread.name:
                    thread.join(timeout=10)
            call_command("flush", interactive=False, verbosity=0)


@dataclass
class Site:
    """The page on the live server, with what it asked for and every error it reported."""

    page: Any
    origin: str
    requests: list[str] = field(default_factory=list)
    external: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    expected: set[tuple[str, int]] = field(default_factory=set)  # (url, status) asked for

    def url(self, path: str) -> str:
        return self.origin + path

    def reset(self, viewport: dict[str, int]) -> None:
        """A clean start for a test: nothing recorded, no cookie, this window size."""
        self.page.goto("about:blank")
        self.page.context.clear_cookies()
        self.page.set_viewport_size(viewport)
        self.requests.clear()
        self.external.clear()
        self.errors.clear()
        self.expected.clear()

    def goto(self, path: str, status: int = 200) -> Any:
        """Open a page of the site, check its status, then check the page."""
        self.expected.add((self.url(path), status))
        response = self.page.goto(self.url(path))
        assert response is not None and response.status == status, (path, response.status)
        self.check()
        return response

    def follow(self, action: Any) -> None:
        """Run `action` (a click, a key press), wait for the page it opens, check that page."""
        with self.page.expect_navigation():
            action()
        self.check()

    def check(self) -> None:
        """The checks of every page: no foreign request, no error, no serious axe violation."""
        self.page.wait_for_load_state("load")
        self.assert_clean()
        violations = axe(self.page)
        assert not violations, f"axe on {self.page.url}:\n" + "\n".join(violations)

    def assert_clean(self) -> None:
        assert not self.external, "requests to other hosts: " + ", ".join(self.external)
        assert not self.errors, "errors in the browser:\n" + "\n".join(self.errors)

    def on_console(self, msg: Any) -> None:
        if msg.type != "error":
            return
        where = msg.location.get("url", "")
        # Chromium logs an error status of the page itself; a test that asked for it expects it.
        if any(where == url and f"status of {status}" in msg.text for url, status in self.expected):
            return
        self.errors.append(f"console error on {self.page.url}: {msg.text} ({where})")


def axe(page: Any) -> list[str]:
    """Run axe-core on the page; the serious and critical violations, one readable line each.

    The site's CSP forbids inline scripts, so axe is not added as a <script>: it is evaluated
    through the DevTools protocol, which the page's CSP does not govern (and the CSP stays as
    the site sends it). The demo is the same for every test, so each address is checked once
    (at the width of the first test that opens it)."""
    key = urlsplit(page.url)._replace(scheme="", netloc="", fragment="").geturl()
    if key in _AXE_SEEN:
        return _AXE_SEEN[key]
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate("() => {\n" + _axe_source() + "\n}")
    results = page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map(n => ({target: n.target.join(' '),
                                          summary: n.failureSummary || ''})),
            }));
        }"""
    )
    lines = []
    for v in results:
        if v["impact"] not in BLOCKING:
            continue
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']}")
        for node in v["nodes"][:10]:
            summary = " ".join(node["summary"].split())
            lines.append(f"    {node['target']}: {summary}")
    _AXE_SEEN[key] = lines
    return lines


_AXE_SOURCE: list[str] = []
_AXE_SEEN: dict[str, list[str]] = {}


def _axe_source() -> str:
    if not _AXE_SOURCE:
        _AXE_SOURCE.append(AXE.read_text(encoding="utf-8"))
    return _AXE_SOURCE[0]


@pytest.fixture(scope="package")
def shared_site(browser: Any, live_site: str) -> Iterator[Site]:
    """One browser page on the live site for all the tests (a page costs a renderer process);
    every request is recorded and any to another host is aborted."""
    context = browser.new_context(viewport=DESKTOP, service_workers="block")
    page = context.new_page()
    page.set_default_timeout(10_000)
    site = Site(page=page, origin=live_site)
    ours = urlsplit(live_site).netloc

    def local(url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob", "about"):
            return True
        return parts.scheme in ("http", "https") and parts.netloc == ours

    def route(route: Any) -> None:
        if local(route.request.url):
            route.continue_()
        else:
            route.abort("blockedbyclient")

    def on_request(request: Any) -> None:
        site.requests.append(request.url)
        if not local(request.url):
            site.external.append(request.url)

    context.route("**/*", route)
    context.on("request", on_request)
    page.on("console", site.on_console)
    page.on("pageerror", lambda exc: site.errors.append(f"page error on {page.url}: {exc}"))
    yield site
    context.close()


CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Any:
    report = yield
    if report.when == "call":
        item.stash[CALL_FAILED] = report.failed
    return report


def _site(request: pytest.FixtureRequest, site: Site, viewport: dict[str, int]) -> Iterator[Site]:
    site.reset(viewport)
    yield site
    if not request.node.stash.get(CALL_FAILED, True):
        site.assert_clean()  # whatever happened after the test's last check


@pytest.fixture
def site(request: pytest.FixtureRequest, shared_site: Site) -> Iterator[Site]:
    """The demo site in a desktop-sized window."""
    yield from _site(request, shared_site, DESKTOP)


@pytest.fixture
def phone(request: pytest.FixtureRequest, shared_site: Site) -> Iterator[Site]:
    """The demo site on a 375 px wide phone screen."""
    yield from _site(request, shared_site, PHONE)
