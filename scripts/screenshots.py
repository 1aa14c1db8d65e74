#!/usr/bin/env python3
"""Screenshots of the public site with the demo data, for the README: docs/screenshots/*.png.

Loads the demo into a throwaway SQLite database (a temporary EXILEDB_DATA_DIR), serves it with
`exiledb serve` on a free port of 127.0.0.1, and photographs the public pages in Debian's
headless Chromium through Playwright, at desktop width (1280 px) and one page at phone width
(375 px). Requests to any other host are refused and fail the run, as in the browser tests.

    make screenshots                      # or: .venv/bin/python scripts/screenshots.py
    scripts/screenshots.py --url http://127.0.0.1:8000   # a server that already has the demo

EXILEDB_CHROMIUM names another Chromium binary (default /usr/bin/chromium).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

from exiledb.ingest.base import record_uuid

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "docs" / "screenshots"
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
MAX_HEIGHT = {1280: 1800, 375: 1334}  # a long page is cut here: the README shows its top


# (file, path, viewport)
SHOTS = [
    ("home.png", "/", DESKTOP),
    ("incidents.png", "/incidents/", DESKTOP),
    (
        "incident.png",
        f"/incidents/{record_uuid('incidents', 'incident/gadoev-detained-spain-2014')}/",
        DESKTOP,
    ),
    ("cases.png", "/cases/", DESKTOP),
    ("case-kabiri.png", f"/cases/{record_uuid('persons', 'person/kabiri-muhiddin')}/", DESKTOP),
    ("map.png", "/map/", DESKTOP),
    ("methodology.png", "/methodology/", DESKTOP),
    ("data.png", "/data/", DESKTOP),
    ("incidents-phone.png", "/incidents/", PHONE),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"exiledb serve stopped:\n{log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 (our own http server)
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    sys.exit(f"exiledb serve did not answer at {url}:\n{log.read_text(errors='replace')}")


def photograph(origin: str, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    if not os.access(CHROMIUM, os.X_OK):
        sys.exit(f"no Chromium at {CHROMIUM}: apt-get install chromium (or set EXILEDB_CHROMIUM)")
    ours = urlsplit(origin).netloc
    external: list[str] = []

    def route(route):  # type: ignore[no-untyped-def]
        parts = urlsplit(route.request.url)
        if parts.scheme in ("data", "blob", "about") or parts.netloc == ours:
            route.continue_()
        else:
            external.append(route.request.url)
            route.abort("blockedbyclient")

    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=DESKTOP, device_scale_factor=1)
        context.route("**/*", route)
        page = context.new_page()
        for name, path, viewport in SHOTS:
            page.set_viewport_size(viewport)
            response = page.goto(origin + path, wait_until="load")
            if response is None or response.status != 200:
                sys.exit(f"{path}: HTTP {response.status if response else 'no response'}")
            height = page.evaluate("() => document.scrollingElement.scrollHeight")
            clip = {
                "x": 0,
                "y": 0,
                "width": viewport["width"],
                "height": min(height, MAX_HEIGHT[viewport["width"]]),
            }
            page.screenshot(path=str(out / name), full_page=True, clip=clip, animations="disabled")
            print(f"{out / name}  ({path}, {viewport['width']} px)")
        browser.close()
    if external:
        sys.exit("requests to other hosts (refused): " + ", ".join(sorted(set(external))))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a running exiledb with the demo loaded (default: start one)")
    parser.add_argument("--out", type=Path, default=OUT, help=f"folder (default {OUT})")
    args = parser.parse_args()
    if args.url:
        photograph(args.url.rstrip("/"), args.out)
        return
    with tempfile.TemporaryDirectory(prefix="exiledb-shots-") as tmp:
        env = dict(os.environ)
        env.update(
            EXILEDB_DATA_DIR=tmp,
            EXILEDB_DATABASE_URL="",  # SQLite in the temporary folder, never your database
            EXILEDB_DEBUG="",
        )
        exiledb = [sys.executable, "-m", "exiledb"]  # this interpreter, fixed arguments
        subprocess.run([*exiledb, "demo"], env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603
        port = free_port()
        serve = [*exiledb, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
        log = Path(tmp) / "serve.log"
        with log.open("wb") as sink:
            server = subprocess.Popen(serve, env=env, stdout=sink, stderr=subprocess.STDOUT)  # noqa: S603
            try:
                origin = f"http://127.0.0.1:{port}"
                wait_until_up(origin + "/", server, log)
                photograph(origin, args.out)
            finally:
                server.terminate()
                try:
                    server.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()


if __name__ == "__main__":
    main()
