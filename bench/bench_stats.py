"""Full statistics benchmark: the figures at 100,000 and 1,000,000 incidents, computed and served.

    python bench/bench_stats.py 100000 --engines sqlite postgres
    python bench/bench_stats.py 1000000 --engines sqlite postgres --repeat 3
    python bench/bench_stats.py 1000000 --engines sqlite --data-dir bench/out/db-1000000-sqlite
    python bench/bench_stats.py 1000000 --engines postgres --database exiledb_bench_explore_1000000

For each size and engine it builds a database once (kept for reruns: SQLite under
bench/out/stats-<N>-sqlite/, PostgreSQL database exiledb_bench_stats_<N>) from the synthetic
file bench/out/synth-<N>.json (bench/synth.py, seed 1, shared with the other benchmarks; written
when missing) with the real importer (exiledb.ingest.writer.import_file: full validation, the
public index included), or uses a database another benchmark built (`--data-dir`,
`--database`: the explore benchmark's, which holds the same file). Then, in a fresh process:

**Computed** (`exiledb.analysis.stats.compute()`: every figure counted from the records, what
a reader waits for once after each change of the data):

- internal: every incident, every person (what `exiledb stats` prints by default);
- public: what an anonymous reader may see (the overview page, `--audience public`);
- filtered: internal with --min-confidence probable --since 2010 --until 2020-06
  --min-date-precision month (every filter at once, plus the count of what each one excluded).

Each variant (--variants, default all three) runs --repeat times (default 5) after one untimed
warm-up run; the table shows the median and the fastest.

**Served** (`exiledb.analysis.stored.figures()`, what the CLI, the overview, the API and
reports call): the stored figures of the current data generation read back, for the internal
and public audiences (--repeat times each, after the one computation that stores them); and
`exiledb stats --json` (internal) and `--audience public` run as a command, start-up of Python
and Django included, three times each.

Results: a Markdown table on stdout, JSON in bench/out/stats-<N>.json.

Planner statistics: `exiledb import` runs no ANALYZE on the case tables; by default this script
runs `ANALYZE` (SQLite) / `VACUUM ANALYZE` (PostgreSQL) once before timing, as a deployment's
autovacuum (or an operator, on SQLite) would. `--no-analyze` drops SQLite's statistics and skips
the step.
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


def env_for(engine: str, size: int, args: argparse.Namespace) -> dict[str, str]:
    env = dict(os.environ)
    env["EXILEDB_SECRET_KEY"] = "bench-only"
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    if engine == "sqlite":
        data = Path(args.data_dir) if args.data_dir else OUT / f"stats-{size}-sqlite"
        data.mkdir(parents=True, exist_ok=True)
        env["EXILEDB_DATA_DIR"] = str(data.resolve())
        env["EXILEDB_DATABASE_URL"] = f"sqlite:///{data.resolve() / 'exiledb.sqlite3'}"
    else:
        env["EXILEDB_DATABASE_URL"] = f"{PG_URL}/{pg_name(size, args)}"
    return env


def pg_name(size: int, args: argparse.Namespace) -> str:
    return str(args.database or f"{PG_PREFIX}{size}")


def ensure_pg_db(name: str) -> None:
    import psycopg

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
        from exiledb.ingest import writer

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

    out: dict[str, Any] = {"served": _served(repeat)}
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


def _served(repeat: int) -> dict[str, Any]:
    """The stored figures read back (after the computation that stores them), in-process."""
    from exiledb.analysis import stored

    out: dict[str, Any] = {}
    for audience, internal in (("internal", True), ("public", False)):
        start = time.perf_counter()
        stored.figures(internal=internal)  # computes and stores them unless already stored
        first = time.perf_counter() - start
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            stored.figures(internal=internal)
            times.append(time.perf_counter() - start)
        out[audience] = {
            "first_s": round(first, 3),
            "median_s": round(statistics.median(times), 4),
            "max_s": round(max(times), 4),
        }
    return out


def cli_times(env: dict[str, str]) -> dict[str, Any]:
    """`exiledb stats --json` as a command, three times per audience (figures stored)."""
    out: dict[str, Any] = {}
    for audience in ("internal", "public"):
        times = []
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run(
                [sys.executable, "-m", "exiledb", "stats", "--json", "--audience", audience],
                env=env,
                check=True,
                capture_output=True,
            )
            times.append(time.perf_counter() - start)
        out[audience] = {"median_s": round(statistics.median(times), 3), "runs": times}
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
    parser.add_argument("--data-dir", help="SQLite: an EXILEDB_DATA_DIR holding the database")
    parser.add_argument("--database", help="PostgreSQL: the database to use")
    parser.add_argument("--_build", help=argparse.SUPPRESS)
    parser.add_argument("--_time", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args._build:
        print(json.dumps(_build(args._build, not args.no_analyze)))
        return
    if args._time:
        print(json.dumps(_time(args.repeat, args.variants)))
        return
    rows: list[str] = []
    served: list[str] = []
    for size in args.sizes:
        path = synth_file(size)
        results: dict[str, Any] = {}
        for engine in args.engines:
            if engine == "postgres":
                ensure_pg_db(pg_name(size, args))
            env = env_for(engine, size, args)
            build_args = ["--_build", str(path)] + (["--no-analyze"] if args.no_analyze else [])
            built = child(build_args, env)
            load_before = loadavg()
            timed = child(
                ["--_time", "--repeat", str(args.repeat), "--variants", *args.variants], env
            )
            timed["cli"] = cli_times(env)
            results[engine] = {
                "build": built,
                "database": env["EXILEDB_DATABASE_URL"],
                "analyze": not args.no_analyze,
                "load_1min": [load_before, loadavg()],
                **timed,
            }
            for audience in ("internal", "public"):
                got = timed["served"][audience]
                served.append(
                    f"| {engine} | {size:,} | {audience} | {got['first_s']:.2f} s | "
                    f"{got['median_s'] * 1000:.1f} ms | {got['max_s'] * 1000:.1f} ms | "
                    f"{timed['cli'][audience]['median_s']:.2f} s | {load_before} |"
                )
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
    print()
    print(
        "| engine | incidents in db | audience | first read (computes, stores) | stored read "
        "median | max | `exiledb stats --json` | load |"
    )
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(served))


if __name__ == "__main__":
    main()
