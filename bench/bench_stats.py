"""Full statistics benchmark: exiledb.analysis.stats.compute() at 100,000 and 1,000,000 incidents.

    python bench/bench_stats.py 100000 --engines sqlite postgres
    python bench/bench_stats.py 1000000 --engines sqlite postgres --repeat 3

For each size and engine it builds a database once (kept for reruns: SQLite under
bench/out/stats-<N>-sqlite/, PostgreSQL database exiledb_bench_stats_<N>) from the synthetic
file bench/out/synth-<N>.json (bench/synth.py, seed 1, shared with the other benchmarks; written
when missing), then times the full statistics in a fresh process, as `exiledb stats --json`
computes them:

- internal: every incident, every person (what `exiledb stats` prints by default);
- public: what an anonymous reader may see (the overview page, `--audience public`);
- filtered: internal with --min-confidence probable --since 2010 --until 2020-06
  --min-date-precision month (every filter at once, plus the count of what each one excluded).

Each variant (--variants, default all three) runs --repeat times (default 5) after one untimed
warm-up run; the table shows the median and the fastest. Results: a Markdown table on stdout,
JSON in bench/out/stats-<N>.json.

**Bench-only import path.** The database is built by the real importer
(exiledb.ingest.writer.import_file: full validation, the same rows), except that the public
search index step (exiledb.explore.index.rebuild, which the import runs inside its transaction)
is replaced by a no-op in this process: the statistics never read that index, and at 1,000,000
incidents it is the slowest part of the import. Nothing in src/ changes for this; the swap lives
in `_build` below. Databases built this way have an empty public index: do not serve them.

Planner statistics: `exiledb import` runs no ANALYZE; by default this script runs `ANALYZE`
(SQLite) / `VACUUM ANALYZE` (PostgreSQL) once after the build, as a deployment's autovacuum (or
an operator, on SQLite) would. `--no-analyze` drops SQLite's statistics and skips the step.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
PG_URL = os.environ.get("EXILEDB_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
PG_PREFIX = "exiledb_bench_stats_"
SEED = 1
VARIANTS = ("internal", "public", "filtered")
FILTERED = {
    "min_confidence": "probable",
    "since": "2010",
    "until": "2020-06",
    "min_date_precision": "month",
}


def synth_file(size: int) -> Path:
    path = OUT / f"synth-{size}.json"
    if not path.exists():
        OUT.mkdir(exist_ok=True)
        tmp = path.with_suffix(".part")
        subprocess.run(
            [
                sys.executable,
                str(HERE / "synth.py"),
                str(size),
                "--out",
                str(tmp),
                "--seed",
                str(SEED),
                "--quiet",
            ],
            check=True,
        )
        tmp.rename(path)
    return path


def env_for(engine: str, size: int) -> dict[str, str]:
    env = dict(os.environ)
    env["EXILEDB_SECRET_KEY"] = "bench-only"
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    if engine == "sqlite":
        data = OUT / f"stats-{size}-sqlite"
        data.mkdir(parents=True, exist_ok=True)
        env["EXILEDB_DATA_DIR"] = str(data)
        env["EXILEDB_DATABASE_URL"] = f"sqlite:///{data / 'exiledb.sqlite3'}"
    else:
        env["EXILEDB_DATABASE_URL"] = f"{PG_URL}/{PG_PREFIX}{size}"
    return env


def ensure_pg_db(size: int) -> None:
    import psycopg

    name = f"{PG_PREFIX}{size}"
    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def child(args: list[str], env: dict[str, str]) -> dict[str, Any]:
    """Run this script in a fresh process (one Django configuration per database)."""
    proc = subprocess.run(
        [sys.executable, __file__, *args], env=env, capture_output=True, text=True
    )
    if proc.returncode:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"child {args} failed")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


# --- in the child process -------------------------------------------------------------------


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exiledb.settings")
    import django

    django.setup()


def _build(path: str, analyze: bool) -> dict[str, Any]:
    _django()
    from django.core.management import call_command
    from django.db import connection

    from exiledb.cases.models import Incident

    call_command("migrate", verbosity=0, interactive=False)
    built = Incident.objects.count()
    took = None
    if not built:
        # The bench-only path: the real importer, without the public index step (see the
        # module docstring). The statistics never read that index.
        from exiledb.explore import index
        from exiledb.ingest import writer

        index.rebuild = lambda *a, **k: None  # type: ignore[assignment]
        start = time.perf_counter()
        writer.import_file(path)
        took = round(time.perf_counter() - start, 1)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            if analyze:
                cursor.execute("ANALYZE")
            else:
                cursor.execute(
                    "SELECT name FROM sqlite_master WHERE type='table' AND name='sqlite_stat1'"
                )
                if cursor.fetchone():
                    cursor.execute("DELETE FROM sqlite_stat1")
                    cursor.execute("ANALYZE sqlite_schema")
        elif analyze:
            connection.ensure_connection()
            raw = connection.connection
            autocommit = raw.autocommit
            raw.autocommit = True
            try:
                raw.execute("VACUUM ANALYZE")
            finally:
                raw.autocommit = autocommit
    return {"incidents": Incident.objects.count(), "import_s": took}


def _time(repeat: int, variants: list[str]) -> dict[str, Any]:
    _django()
    from exiledb.access.policy import visible_incidents, visible_persons
    from exiledb.analysis import stats
    from exiledb.analysis.filters import Filters

    def run(variant: str) -> dict[str, Any]:
        if variant == "public":
            return stats.compute(visible_incidents(None), visible_persons(None))
        if variant == "filtered":
            return stats.compute(filters=Filters.parse(**FILTERED))
        return stats.compute()

    out: dict[str, Any] = {}
    for variant in variants:
        figures = run(variant)  # warm-up: the page cache, not the figures, is what it warms
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            figures = run(variant)
            times.append(time.perf_counter() - start)
        out[variant] = {
            "median_s": round(statistics.median(times), 3),
            "min_s": round(min(times), 3),
            "max_s": round(max(times), 3),
            "runs": [round(t, 3) for t in times],
            "incidents": figures["incidents"]["total"],
            "cases": figures["cases"]["total"],
            "relatives_targeted": figures["relatives_targeted"],
            "excluded": figures["filters"]["excluded"],
        }
    return out


# --- the driver -----------------------------------------------------------------------------


def loadavg() -> float:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:  # pragma: no cover
        return -1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sizes", nargs="*", type=int)
    parser.add_argument("--engines", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-analyze", action="store_true")
    parser.add_argument("--variants", nargs="+", choices=VARIANTS, default=list(VARIANTS))
    parser.add_argument("--_build", help=argparse.SUPPRESS)
    parser.add_argument("--_time", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._build:
        print(json.dumps(_build(args._build, not args.no_analyze)))
        return
    if args._time:
        print(json.dumps(_time(args.repeat, args.variants)))
        return
    rows = []
    for size in args.sizes:
        path = synth_file(size)
        results: dict[str, Any] = {}
        for engine in args.engines:
            if engine == "postgres":
                ensure_pg_db(size)
            env = env_for(engine, size)
            build_args = ["--_build", str(path)] + (["--no-analyze"] if args.no_analyze else [])
            built = child(build_args, env)
            load_before = loadavg()
            timed = child(
                ["--_time", "--repeat", str(args.repeat), "--variants", *args.variants], env
            )
            results[engine] = {
                "build": built,
                "analyze": not args.no_analyze,
                "load_1min": [load_before, loadavg()],
                **timed,
            }
            for variant in args.variants:
                t = timed[variant]
                rows.append(
                    f"| {engine} | {size:,} | {variant} | {t['incidents']:,} | "
                    f"{t['median_s']:.2f} s | {t['min_s']:.2f} s | {load_before} |"
                )
        OUT.mkdir(exist_ok=True)
        (OUT / f"stats-{size}.json").write_text(
            json.dumps(
                {
                    "size": size,
                    "python": platform.python_version(),
                    "when": time.strftime("%Y-%m-%d %H:%M:%S"),
                    "results": results,
                },
                indent=2,
            )
        )
    print("| engine | incidents in db | variant | incidents counted | median | fastest | load |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
