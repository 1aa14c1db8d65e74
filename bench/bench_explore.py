"""Faceted incidents listing benchmark: exiledb's /incidents/ against Datasette on the same rows.

    python bench/bench_explore.py 100000 --engines sqlite postgres --requests 50
    python bench/bench_explore.py 100000 --engines sqlite --keep --reuse-dir bench/out/db-100k

For each size and engine it imports a synthetic file (bench/synth.py, seed 1, cached under
bench/out/) into a fresh database with the real `exiledb import` (which builds the public index
in the same transaction), times `exiledb.explore.index.rebuild()` once more on its own, then
serves the site with `exiledb serve` (gunicorn, one worker) and Datasette (`datasette serve`,
uvicorn) on a flat SQLite table of the same published incidents, and sends both the same
queries over HTTP, one at a time, alternating between the two servers so that both see the same
load. Results: a Markdown table on stdout, JSON in bench/out/explore-<size>.json.

What is timed is one whole HTTP request (connect, view, every query, template, body read) from
this process. exiledb runs with DEBUG off, Django's cache replaced by the dummy backend and no
search results kept between requests (`EXPLORE_SEARCHES_KEPT = 0`), so every request asks the
full-text engine and counts its facets anew: the figures are cold-cache figures. The facet
bitmaps (exiledb.explore.bitmaps), which each worker loads once per index generation, are
loaded by the untimed warm-up requests; their load time is reported separately. Datasette runs
with its time limits raised (so that no facet or count is skipped for taking too long) and
facet suggestions off.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
PG_URL = os.environ.get("EXILEDB_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
PG_PREFIX = "exiledb_bench_explore_"
SEED = 1
PAGE_SIZE = 50  # exiledb.public.views.INCIDENTS_PER_PAGE
FIVE = ("stage", "kind", "origin", "confidence", "tactic")
MIXES = ("search + 5 facets", "5 facets", "search", "unfiltered")
WARMUP = 3  # requests per mix and server, not counted
MAX_DF = 0.25  # search words in more documents than this are left out of the mixes

SETTINGS = """\
from exiledb.settings import *  # noqa: F403

DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.%s"}}
EXPLORE_SEARCHES_KEPT = %d
"""
CACHE_BACKENDS = {"dummy": "dummy.DummyCache", "locmem": "locmem.LocMemCache"}
# Search results kept per index generation (exiledb.explore.bitmaps): none for cold figures.
SEARCHES_KEPT = {"dummy": 0, "locmem": 256}


def code_version() -> dict[str, str]:
    """The commit, and a hash of the files the listing runs on (uncommitted edits included):
    which code a figure belongs to."""
    import hashlib

    files = sorted((ROOT / "src/exiledb/explore").glob("*.py")) + [
        ROOT / "src/exiledb/public/views.py",
        ROOT / "src/exiledb/public/templates/public/incidents.html",
        ROOT / "src/exiledb/ingest/writer.py",
        ROOT / "src/exiledb/access/policy.py",
    ]
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.read_bytes() if f.exists() else b"")
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {"commit": head, "listing_code_sha256": digest.hexdigest()[:12]}


def load() -> float:
    return os.getloadavg()[0]


def uptime() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')} load {uptime()}] {msg}", file=sys.stderr, flush=True)


# --- data ----------------------------------------------------------------------------------------


def synth(n: int) -> Path:
    """The synthetic file for n incidents (seed 1), shared with bench_import.py."""
    OUT.mkdir(exist_ok=True)
    path = OUT / f"synth-{n}.json"
    if not path.exists():
        log(f"writing {path} with bench/synth.py")
        subprocess.run(
            [sys.executable, str(HERE / "synth.py"), str(n), "--out", str(path)]
            + ["--seed", str(SEED)],
            check=True,
        )
    return path


def environ(url: str, data_dir: Path) -> dict[str, str]:
    return dict(
        os.environ,
        EXILEDB_DATABASE_URL=url,
        EXILEDB_DATA_DIR=str(data_dir),
        EXILEDB_SECRET_KEY="bench",
        EXILEDB_ALLOWED_HOSTS="127.0.0.1,localhost,testserver",
        EXILEDB_DEBUG="0",
        PYTHONPATH=os.pathsep.join(
            [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]
        ),
    )


def pg_admin(sql: str) -> Any:
    import psycopg

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        cursor = conn.execute(sql)
        return cursor.fetchall() if cursor.description else None


def statistics_for_planner(engine: str, url: str, flat: Path, analyze: bool) -> None:
    """--analyze: ANALYZE both databases (PostgreSQL: VACUUM ANALYZE of the index tables), as
    autovacuum would do on a PostgreSQL server in time. Without it, both SQLite databases lose
    any statistics an earlier --analyze left, so they are as an import leaves them (exiledb
    runs no ANALYZE; neither does sqlite-utils by default); PostgreSQL keeps what it has
    (recorded in pg_stats)."""
    import sqlite3

    files = [flat] + ([Path(url.removeprefix("sqlite:///"))] if engine == "sqlite" else [])
    for path in files:
        if not path.exists():
            continue
        with sqlite3.connect(path) as db:
            if analyze:
                db.execute("ANALYZE")
            elif db.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
                db.execute("DROP TABLE sqlite_stat1")
    if engine == "postgres" and analyze:
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE explore_entry, explore_entryvalue")


def pg_stats(url: str) -> list[Any]:
    """When PostgreSQL last analysed the index tables (plans depend on it): recorded, not
    forced, since a deployment gets what autovacuum has done by then."""
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT relname, n_live_tup, last_analyze, last_autoanalyze FROM pg_stat_user_tables"
            " WHERE relname IN ('explore_entry', 'explore_entryvalue') ORDER BY relname"
        ).fetchall()
    return [[str(v) for v in row] for row in rows]


def entries_in(env: dict[str, str]) -> int:
    """How many rows the public index of this database holds (0 if it has no schema yet)."""
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='exiledb.settings'\n"
        "django.setup()\n"
        "from exiledb.explore.models import Entry\n"
        "try:\n    print(Entry.objects.count())\n"
        "except Exception:\n    print(0)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    return int(out.stdout.strip() or 0) if out.returncode == 0 else 0


def import_file(env: dict[str, str], path: Path, logs: Path) -> float:
    """`exiledb import path` into the (empty) database of env; its wall time in seconds, the
    index build inside the import's transaction included. Migrations run first, untimed."""
    proc = subprocess.run(
        [sys.executable, "-m", "exiledb", "stats", "--json"],
        env=env,
        check=False,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise SystemExit(f"migrating failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    start = time.perf_counter()
    with open(logs / "import.out", "w") as out, open(logs / "import.err", "w") as err:
        proc = subprocess.run(
            [sys.executable, "-m", "exiledb", "import", str(path)],
            env=env,
            stdout=out,
            stderr=err,
            check=False,
        )
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"import failed:\n{(logs / 'import.err').read_text()[-3000:]}")
    return seconds


def worker(env: dict[str, str], *args: str) -> dict[str, Any]:
    """Run this script's in-process part (`--worker ...`) with the database of env."""
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker", *args],
        env={"DJANGO_SETTINGS_MODULE": "exiledb.settings", **env},
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"worker {args[0]} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# --- in-process parts (run as `bench_explore.py --worker NAME ...` with DJANGO settings) --------


def _django() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exiledb.settings")
    django.setup()


def work_rebuild() -> dict[str, Any]:
    _django()
    from exiledb.explore import index

    start = time.perf_counter()
    indexed = index.rebuild()
    return {"seconds": round(time.perf_counter() - start, 2), "indexed": indexed}


def work_bitmaps() -> dict[str, Any]:
    """Time loading the facet bitmaps, what each worker does once per index generation."""
    _django()
    from exiledb.explore import bitmaps, index

    generation = index.fresh()
    times = []
    for _ in range(3):
        start = time.perf_counter()
        loaded = bitmaps.load(generation)
        times.append(time.perf_counter() - start)
    return {
        "median_s": round(statistics.median(times), 2),
        "runs": [round(t, 2) for t in times],
        "rows": len(loaded.order),
        "values": sum(len(v) for v in loaded.values.values()),
    }


def work_flat(path: str) -> dict[str, Any]:
    """Write a Datasette database: one flat table `incidents` of the public index's rows, an
    index per facet column and an FTS5 table over the search text (as sqlite-utils makes it:
    `incidents_fts`, content=[incidents]). Kept if it already holds the same number of rows."""
    import sqlite3

    _django()
    from exiledb.explore.models import Entry, EntryValue

    total = Entry.objects.count()
    target = Path(path)
    if target.exists():
        with sqlite3.connect(target) as db:
            try:
                (have,) = db.execute("SELECT count(*) FROM incidents").fetchone()
            except sqlite3.Error:
                have = -1
        if have == total:
            return {"rows": total, "built": False, "seconds": 0}
        target.unlink()
    start = time.perf_counter()
    tactics: dict[int, list[str]] = {}
    for entry, value in (
        EntryValue.objects.filter(facet="tactic").order_by("id").values_list("entry_id", "value")
    ).iterator(chunk_size=20000):
        tactics.setdefault(entry, []).append(value)
    tmp = target.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    db = sqlite3.connect(tmp)
    db.executescript(
        """
        PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;
        CREATE TABLE [incidents] (
            [id] INTEGER PRIMARY KEY, [title] TEXT, [date] TEXT, [date_earliest] TEXT,
            [year] INTEGER, [stage] INTEGER, [kind] TEXT, [origin] TEXT, [host] TEXT,
            [confidence] TEXT, [outcome] TEXT, [tactic] TEXT, [tactics] TEXT, [text] TEXT
        );
        """
    )
    fields = (
        "id",
        "title",
        "date",
        "date_earliest",
        "year",
        "stage",
        "kind",
        "origin",
        "host",
        "confidence",
        "outcome",
        "text",
    )
    batch: list[tuple[Any, ...]] = []

    def flush() -> None:
        db.executemany("INSERT INTO incidents VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", batch)
        batch.clear()

    for row in Entry.objects.order_by("id").values_list(*fields).iterator(chunk_size=20000):
        (pk, title, date, earliest, year, stage, kind, origin, host, conf, outcome, text) = row
        values = tactics.get(pk, [])
        batch.append(
            (
                pk,
                title,
                date,
                earliest.isoformat() if earliest else None,
                year,
                stage,
                kind,
                origin,
                host,
                conf,
                outcome,
                values[0] if values else None,
                json.dumps(values),
                text,
            )
        )
        if len(batch) >= 20000:
            flush()
    flush()
    for column in (
        "date_earliest",
        "year",
        "stage",
        "kind",
        "origin",
        "host",
        "confidence",
        "outcome",
        "tactic",
    ):
        db.execute(f"CREATE INDEX [idx_incidents_{column}] ON [incidents] ([{column}])")
    db.executescript(
        """
        CREATE VIRTUAL TABLE [incidents_fts] USING FTS5 ([text], content=[incidents]);
        INSERT INTO [incidents_fts] (rowid, [text]) SELECT rowid, [text] FROM [incidents];
        """
    )
    db.commit()
    db.close()
    tmp.rename(target)
    return {"rows": total, "built": True, "seconds": round(time.perf_counter() - start, 1)}


def work_queries(path: str, requests: str) -> dict[str, Any]:
    """Draw the query mixes from the data (seeded, so both engines get the same ones): each
    5-facet query takes the stage, kind, origin, confidence and first tactic of a random
    published incident (so values come weighted by their real counts and never match nothing),
    each search term is one of the 400 words that most documents contain (names, places,
    tactics, publishers: 4 letters or more), leaving out those in more than MAX_DF of the
    documents ("exile", "targeted", "from", ...: stop words here, which nobody searches for).
    No query string repeats within a mix."""
    _django()
    from exiledb.explore.models import Entry, EntryValue

    need = int(requests) + WARMUP * 2
    rng = random.Random(SEED)
    ids = sorted(Entry.objects.values_list("id", flat=True))
    sample = rng.sample(ids, min(len(ids), 20000))
    df: Counter[str] = Counter()
    for start in range(0, len(sample), 900):
        for text in Entry.objects.filter(id__in=sample[start : start + 900]).values_list(
            "text", flat=True
        ):
            df.update(w for w in set(text.split()) if len(w) >= 4 and not w.isdigit())
    frequent = [w for w, d in df.most_common() if d <= MAX_DF * len(sample)][:400]
    frequent_set = set(frequent)

    def rows(k: int) -> list[dict[str, Any]]:
        picked = rng.sample(ids, min(len(ids), k * 3))
        found: dict[int, dict[str, Any]] = {}
        for start in range(0, len(picked), 900):
            chunk = picked[start : start + 900]
            for row in Entry.objects.filter(id__in=chunk).values(
                "id", "stage", "kind", "origin", "confidence", "text"
            ):
                found[row["id"]] = row
            for entry, value in (
                EntryValue.objects.filter(entry_id__in=chunk, facet="tactic")
                .order_by("id")
                .values_list("entry_id", "value")
            ):
                found[entry].setdefault("tactic", value)
        return [found[i] for i in picked if i in found]

    def five(row: dict[str, Any]) -> dict[str, str] | None:
        if row["stage"] is None or "tactic" not in row:
            return None
        return {f: str(row[f]) for f in FIVE}

    mixes: dict[str, list[dict[str, str]]] = {m: [] for m in MIXES}
    seen: dict[str, set[str]] = {m: set() for m in MIXES}

    def add(mix: str, params: dict[str, str]) -> None:
        key = urllib.parse.urlencode(sorted(params.items()))
        if key not in seen[mix] and len(mixes[mix]) < need:
            seen[mix].add(key)
            mixes[mix].append(params)

    for row in rows(need * 2):
        params = five(row)
        if params is None:
            continue
        words = [w for w in row["text"].split() if w in frequent_set] or [
            w for w in row["text"].split() if len(w) >= 4 and not w.isdigit()
        ]
        if words:
            add("search + 5 facets", {"q": rng.choice(words), **params})
    for row in rows(need * 2):
        params = five(row)
        if params is not None:
            add("5 facets", params)
    for word in rng.sample(frequent, min(len(frequent), need)):
        add("search", {"q": word})
    mixes["unfiltered"] = [{} for _ in range(need)]
    out = {
        "frequent_words": [(w, round(df[w] / len(sample), 3)) for w in frequent[:50]],
        "left_out": [
            (w, round(d / len(sample), 3))
            for w, d in df.most_common(60)
            if d > MAX_DF * len(sample)
        ],
        "mixes": mixes,
    }
    Path(path).write_text(json.dumps(out, indent=1))
    return {"written": path, "counts": {m: len(v) for m, v in mixes.items()}}


def work_explain(query: str) -> dict[str, Any]:
    """Render /incidents/?<query> in-process, then run each of its SQL statements again, timing
    execute *and* fetch (Django's query log times only execute, and SQLite does most of a
    GROUP BY's work while rows are fetched); the slowest with their plan (EXPLAIN QUERY PLAN
    on SQLite, EXPLAIN (ANALYZE, BUFFERS) on PostgreSQL)."""
    _django()  # with the server's settings (bench_settings)
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="testserver")
    client.get("/incidents/?" + query)  # warm the connection and imports
    with CaptureQueriesContext(connection) as ctx:
        start = time.perf_counter()
        response = client.get("/incidents/?" + query)
        total = time.perf_counter() - start
    assert response.status_code == 200, response.status_code
    timed = []
    with connection.cursor() as cursor:
        for q in ctx.captured_queries:
            if not q["sql"].lstrip().upper().startswith("SELECT"):
                continue
            t0 = time.perf_counter()
            cursor.execute(q["sql"])
            rows = len(cursor.fetchall())
            timed.append((time.perf_counter() - t0, rows, q["sql"]))
    timed.sort(key=lambda t: -t[0])
    report = []
    for seconds, rows, sql in timed[:4]:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                cursor.execute("EXPLAIN QUERY PLAN " + sql)
                plan = [" ".join(str(c) for c in r[1:]) for r in cursor.fetchall()]
            else:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = [r[0] for r in cursor.fetchall()]
        report.append({"ms": round(seconds * 1000, 1), "rows": rows, "sql": sql, "plan": plan})
    return {
        "query": query,
        "page_ms": round(total * 1000, 1),
        "sql_ms": round(sum(t[0] for t in timed) * 1000, 1),
        "statements": len(ctx.captured_queries),
        "slowest": report,
    }


# --- servers and requests ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, name: str, cmd: list[str], env: dict[str, str], base: str, probe: str):
        self.name, self.base = name, base
        self.logfile = open(OUT / f"server-{name}.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=self.logfile, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.time() + 300
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"{name} exited; see {self.logfile.name}")
            try:
                get(base + probe)
                return
            except (OSError, urllib.error.URLError):
                if time.time() > deadline:
                    self.stop()
                    raise SystemExit(f"{name} did not answer; see {self.logfile.name}") from None
                time.sleep(0.5)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.logfile.close()


def get(url: str) -> tuple[float, str]:
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=600) as response:  # noqa: S310 - localhost
        body = response.read().decode()
        if response.status != 200:
            raise RuntimeError(f"{url}: HTTP {response.status}")
    return (time.perf_counter() - start) * 1000, body


def exiledb_url(params: dict[str, str]) -> str:
    return "/incidents/?" + urllib.parse.urlencode(params)


def datasette_url(params: dict[str, str], tactics: str) -> str:
    """The same question to Datasette's table page: the five facets, the same filters, the same
    prefix search (raw FTS5 syntax, "term"*, as exiledb.explore.fulltext sends it), the same
    order and page size."""
    facets = [("_facet", f) for f in FIVE if f != "tactic"]
    facets.append(("_facet_array", "tactics") if tactics == "array" else ("_facet", "tactic"))
    out = [*facets, ("_sort_desc", "date_earliest"), ("_size", str(PAGE_SIZE))]
    for key, value in params.items():
        if key == "q":
            out += [("_search", f'"{value}"*'), ("_searchmode", "raw")]
        elif key == "tactic" and tactics == "array":
            out.append(("tactics__arraycontains", value))
        else:
            out.append((key, value))
    return "/incidents?" + urllib.parse.urlencode(out)


EXILEDB_TOTAL = re.compile(r'id="result-count"[^>]*>\s*([\d,]+) incident')
DATASETTE_TOTAL = re.compile(r"<title>[^<]*?: ([\d,]+) rows?")


def total_of(pattern: re.Pattern[str], body: str) -> int | None:
    m = pattern.search(body)
    return int(m.group(1).replace(",", "")) if m else None


def summary(ms: list[float]) -> dict[str, float]:
    ordered = sorted(ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "median_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(p95, 1),
        "min_ms": round(ordered[0], 1),
        "max_ms": round(ordered[-1], 1),
    }


def run_mixes(
    servers: dict[str, Server],
    queries: dict[str, list[dict[str, str]]],
    requests: int,
    tactics: str,
) -> list[dict[str, Any]]:
    results = []
    for mix in MIXES:
        todo = queries[mix]
        warm, timed = todo[: WARMUP * 2], todo[WARMUP * 2 :][:requests]
        if len(timed) < requests:
            log(f"{mix}: only {len(timed)} distinct queries found")
        for params in warm:
            for name, server in servers.items():
                get(server.base + url_for(name, params, tactics))
        times: dict[str, list[float]] = {name: [] for name in servers}
        totals: dict[str, list[int | None]] = {name: [] for name in servers}
        loads = [load()]
        for params in timed:
            # alternate: both servers see the same moment's load
            for name, server in servers.items():
                ms, body = get(server.base + url_for(name, params, tactics))
                times[name].append(ms)
                pattern = EXILEDB_TOTAL if name == "exiledb" else DATASETTE_TOTAL
                totals[name].append(total_of(pattern, body))
            loads.append(load())
        row: dict[str, Any] = {"mix": mix, "requests": len(timed)}
        for name in servers:
            found = [t for t in totals[name] if t is not None]
            row[name] = {
                **summary(times[name]),
                "median_hits": statistics.median(found) if found else None,
                "times_ms": [round(t, 1) for t in times[name]],
            }
        row["load_1min"] = {"min": min(loads), "max": max(loads), "mean": statistics.mean(loads)}
        row["example"] = url_for("exiledb", timed[0], tactics) if timed else ""
        results.append(row)
        log(
            f"{mix}: exiledb median {row['exiledb']['median_ms']} ms"
            + (
                f", datasette median {row['datasette']['median_ms']} ms"
                if "datasette" in row
                else ""
            )
        )
    return results


def url_for(name: str, params: dict[str, str], tactics: str) -> str:
    return exiledb_url(params) if name == "exiledb" else datasette_url(params, tactics)


def bench_settings(env: dict[str, str], cache: str, settings_dir: Path) -> dict[str, str]:
    """env with the benchmark's settings module: exiledb's settings, DEBUG off, static files
    without a manifest (no collectstatic needed), and the chosen cache."""
    settings_dir.mkdir(parents=True, exist_ok=True)
    text = SETTINGS % (CACHE_BACKENDS[cache], SEARCHES_KEPT[cache])
    (settings_dir / "explore_bench_settings.py").write_text(text)
    return {
        **env,
        "DJANGO_SETTINGS_MODULE": "explore_bench_settings",
        "PYTHONPATH": os.pathsep.join([str(settings_dir), env["PYTHONPATH"]]),
    }


def start_exiledb(env: dict[str, str]) -> Server:
    port = free_port()
    cmd = [sys.executable, "-m", "exiledb", "serve", "--port", str(port), "--workers", "1"]
    return Server("exiledb", cmd, env, f"http://127.0.0.1:{port}", "/incidents/")


def start_datasette(path: Path) -> Server:
    port = free_port()
    cmd = [sys.executable, "-m", "datasette", "serve", "-i", str(path), "--port", str(port)]
    for setting, value in (
        ("sql_time_limit_ms", "120000"),
        ("facet_time_limit_ms", "120000"),
        ("suggest_facets", "off"),
        ("default_page_size", str(PAGE_SIZE)),
    ):
        cmd += ["--setting", setting, value]
    # the database is named after the file: /<stem>/incidents
    base = f"http://127.0.0.1:{port}/{path.stem}"
    return Server("datasette", cmd, dict(os.environ), base, "/incidents?_size=1")


# --- one size on one engine ----------------------------------------------------------------------


def bench(n: int, engine: str, args: argparse.Namespace) -> dict[str, Any]:
    path = synth(n)
    result: dict[str, Any] = {"incidents": n, "engine": engine, "file": str(path)}
    cleanup: list[Any] = []
    if engine == "sqlite":
        if args.reuse_dir:
            data_dir = Path(args.reuse_dir).resolve()
            data_dir.mkdir(parents=True, exist_ok=True)
        else:
            data_dir = Path(tempfile.mkdtemp(prefix=f"explore-{n}-sqlite-", dir=OUT))
            if not args.keep:
                cleanup.append(lambda: shutil.rmtree(data_dir, ignore_errors=True))
        url = f"sqlite:///{data_dir / 'exiledb.sqlite3'}"
    else:
        name = args.reuse_db or f"{PG_PREFIX}{n}"
        if not name.startswith(PG_PREFIX):
            raise SystemExit(f"--reuse-db: use a database name starting with {PG_PREFIX}")
        data_dir = Path(tempfile.mkdtemp(prefix=f"explore-{n}-pg-", dir=OUT))
        cleanup.append(lambda: shutil.rmtree(data_dir, ignore_errors=True))
        exists = pg_admin(f"SELECT 1 FROM pg_database WHERE datname = '{name}'")  # noqa: S608
        if not (args.reuse_db and exists):
            pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            pg_admin(f'CREATE DATABASE "{name}"')
        if not args.keep and not args.reuse_db:
            cleanup.append(lambda: pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        url = f"{PG_URL}/{name}"
    result["database"] = url
    env = environ(url, data_dir)
    try:
        have = entries_in(env)
        if have:
            log(f"{engine} {n}: reusing {url} ({have:,} index rows), no import")
            result["import_seconds"] = None
        else:
            log(f"{engine} {n}: importing {path.name} into {url}")
            result["load_before_import"] = uptime()
            result["import_code"] = code_version()
            result["import_seconds"] = round(import_file(env, path, data_dir), 1)
            result["load_after_import"] = uptime()
            log(f"import (index build included): {result['import_seconds']} s")
        if args.no_rebuild:
            result["rebuild"] = None
        else:
            log("timing exiledb.explore.index.rebuild()")
            result["load_before_rebuild"] = uptime()
            result["rebuild"] = worker(env, "rebuild")
            result["load_after_rebuild"] = uptime()
            log(f"rebuild: {result['rebuild']}")
        result["bitmaps_load"] = worker(env, "bitmaps")
        log(f"facet bitmaps load: {result['bitmaps_load']}")
        flat = OUT / f"datasette-{n}.db"
        if not args.no_datasette:
            result["datasette_db"] = worker(env, "flat", str(flat))
            log(f"datasette table: {result['datasette_db']}")
        queries_file = OUT / f"explore-{n}-queries.json"
        if not queries_file.exists() or args.new_queries:
            worker(env, "queries", str(queries_file), str(args.requests))
            args.new_queries = False  # the same queries for every engine of this run
        queries = json.loads(queries_file.read_text())["mixes"]
        result["analyze"] = args.analyze
        statistics_for_planner(engine, url, flat, args.analyze)
        if engine == "postgres":
            result["pg_stats"] = pg_stats(url)
        served = bench_settings(env, args.cache, data_dir / "settings")
        servers: dict[str, Server] = {}
        try:
            servers["exiledb"] = start_exiledb(served)
            if not args.no_datasette:
                servers["datasette"] = start_datasette(flat)
            log(f"servers up: {', '.join(s.base for s in servers.values())}")
            result["code"] = code_version()
            result["cache"] = args.cache
            result["datasette_tactics"] = args.datasette_tactics
            result["mixes"] = run_mixes(servers, queries, args.requests, args.datasette_tactics)
        finally:
            for server in servers.values():
                server.stop()
        if args.explain:
            result["explain"] = []
            for mix in MIXES:
                params = queries[mix][-1]
                result["explain"].append(
                    {"mix": mix, **worker(served, "explain", urllib.parse.urlencode(params))}
                )
    finally:
        for step in cleanup:
            step()
    return result


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| size | engine | mix | exiledb median ms | exiledb p95 ms | Datasette median ms "
        "| Datasette p95 ms | ratio Datasette/exiledb | hits (median) | load 1-min (min-max) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        for m in r.get("mixes", []):
            ex, ds = m["exiledb"], m.get("datasette")
            ratio = f"{ds['median_ms'] / ex['median_ms']:.1f}x" if ds else "-"
            lines.append(
                f"| {r['incidents']:,} | {variant(r)} | {m['mix']} | {ex['median_ms']} "
                f"| {ex['p95_ms']} | {ds['median_ms'] if ds else '-'} "
                f"| {ds['p95_ms'] if ds else '-'} | {ratio} | {ex['median_hits']} "
                f"| {m['load_1min']['min']:.1f}-{m['load_1min']['max']:.1f} |"
            )
    lines += [
        "",
        "| size | engine | import s (index build included) | index rebuild s "
        "| facet bitmaps load s | load during |",
        "|---|---|---|---|---|---|",
    ]
    shown = set()
    for r in results:
        if (r["incidents"], r["engine"]) in shown:
            continue  # the variants of one engine share its database and its import
        shown.add((r["incidents"], r["engine"]))
        rebuild = r.get("rebuild") or {}
        lines.append(
            f"| {r['incidents']:,} | {r['engine']} | {r.get('import_seconds') or '-'} "
            f"| {rebuild.get('seconds', '-')} "
            f"| {(r.get('bitmaps_load') or {}).get('median_s', '-')} "
            f"| {r.get('load_before_import', '')} / "
            f"{r.get('load_before_rebuild', '')} |"
        )
    return "\n".join(lines)


IMPORT_KEYS = ("import_seconds", "import_code", "load_before_import", "load_after_import")
REBUILD_KEYS = ("rebuild", "load_before_rebuild", "load_after_rebuild")


def variant(result: dict[str, Any]) -> str:
    """The engine, and what differs from the defaults: one JSON entry per variant."""
    tags = [
        "analyzed" if result.get("analyze") else "",
        "cache " + result["cache"] if result.get("cache", "dummy") != "dummy" else "",
        "tactics array" if result.get("datasette_tactics", "first") != "first" else "",
    ]
    return " ".join([result["engine"], *(f"({t})" for t in tags if t)])


def carry(result: dict[str, Any], earlier: list[dict[str, Any]]) -> None:
    """A run that reused a database keeps the import (and rebuild) figures of the run that
    made it, marked with that run's time."""
    for prev in earlier:
        for keys, flag in ((IMPORT_KEYS, "import_measured_at"), (REBUILD_KEYS, "rebuild_at")):
            if result.get(keys[0]) is None and prev.get(keys[0]) is not None:
                result.update({k: prev.get(k) for k in keys})
                result[flag] = prev.get(flag) or prev.get("measured_at")


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--worker":
        name, rest = sys.argv[2], sys.argv[3:]
        work = {
            "rebuild": work_rebuild,
            "bitmaps": work_bitmaps,
            "flat": work_flat,
            "queries": work_queries,
            "explain": work_explain,
        }[name]
        print(json.dumps(work(*rest), default=str))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="+", type=int)
    parser.add_argument("--engines", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--requests", type=int, default=50, help="timed requests per mix")
    parser.add_argument("--reuse-dir", help="SQLite: an EXILEDB_DATA_DIR to import into or reuse")
    parser.add_argument("--reuse-db", help=f"PostgreSQL: a database ({PG_PREFIX}*) to reuse")
    parser.add_argument("--keep", action="store_true", help="keep the databases made")
    parser.add_argument("--no-rebuild", action="store_true", help="do not time a rebuild")
    parser.add_argument("--no-datasette", action="store_true")
    parser.add_argument(
        "--datasette-tactics",
        choices=["first", "array"],
        default="first",
        help="Datasette's tactic facet: an indexed first-tactic column (default) or a JSON "
        "array of all tactics (_facet_array, __arraycontains: exiledb's meaning)",
    )
    parser.add_argument(
        "--cache",
        choices=list(CACHE_BACKENDS),
        default="dummy",
        help="exiledb's cache: dummy (every count computed: cold) or locmem (as deployed)",
    )
    parser.add_argument("--new-queries", action="store_true", help="draw the queries again")
    parser.add_argument(
        "--analyze",
        action="store_true",
        help="ANALYZE both databases before timing (PostgreSQL: VACUUM ANALYZE)",
    )
    parser.add_argument("--explain", action="store_true", help="plans of each mix's SQL")
    args = parser.parse_args()
    if (args.reuse_dir or args.reuse_db) and len(args.sizes) > 1:
        parser.error("--reuse-dir and --reuse-db go with one size")
    OUT.mkdir(exist_ok=True)
    command = "python bench/bench_explore.py " + " ".join(sys.argv[1:])
    for n in args.sizes:
        results = []
        saved = OUT / f"explore-{n}.json"
        for engine in args.engines:
            result = bench(n, engine, args)
            result["command"] = command
            result["measured_at"] = time.strftime("%Y-%m-%d %H:%M:%S")
            results.append(result)
            # one entry per variant: the latest run replaces the variant's earlier one
            old = json.loads(saved.read_text()) if saved.exists() else []
            carry(result, [r for r in reversed(old) if r.get("engine") == engine])
            old = [r for r in old if variant(r) != variant(result)]
            saved.write_text(json.dumps([*old, result], indent=1))
        print(f"\n{command}\n")
        print(f"(every variant in {saved}; commands and times there)\n")
        print(table(json.loads(saved.read_text())), flush=True)
        for r in results:
            for e in r.get("explain", []):
                print(f"\n{r['engine']} {e['mix']}: page {e['page_ms']} ms, SQL {e['sql_ms']} ms")
                for s in e["slowest"]:
                    print(f"  {s['ms']} ms, {s['rows']} rows: {s['sql']}")
                    for line in s["plan"]:
                        print(f"      {line}")


if __name__ == "__main__":
    main()
