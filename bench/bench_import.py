"""Import benchmark: `exiledb import` of N synthetic incidents, on SQLite and PostgreSQL.

    python bench/bench_import.py 100000 1000000 --engines sqlite postgres

For each size it writes (once, cached under bench/out/) a synthetic interchange file with
bench/synth.py, then runs the real command in a fresh database and reports wall time, records
and rows per second, and peak memory (max RSS of the import process). A second import of the
same file measures the idempotent re-import (everything unchanged). Results are printed as a
Markdown table and saved as JSON in bench/out/import.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
PG_URL = os.environ.get("EXILEDB_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")


def synth(n: int) -> Path:
    OUT.mkdir(exist_ok=True)
    path = OUT / f"synth-{n}.json"
    if not path.exists():
        subprocess.run(
            [sys.executable, str(HERE / "synth.py"), str(n), "--out", str(path), "--seed", "1"],
            check=True,
        )
    return path


def fresh_database(engine: str, tmp: Path, n: int) -> str:
    if engine == "sqlite":
        return f"sqlite:///{tmp / f'bench-{n}.sqlite3'}"
    import psycopg

    name = f"exiledb_bench_{n}"
    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_URL}/{name}"


def run(url: str, path: Path, tmp: Path) -> dict[str, float]:
    env = dict(
        os.environ,
        EXILEDB_DATABASE_URL=url,
        EXILEDB_DATA_DIR=str(tmp / "data"),
        EXILEDB_SECRET_KEY="bench",
    )
    # migrate first, so the timing is the import alone
    subprocess.run(
        [sys.executable, "-m", "exiledb", "stats", "--json"],
        env=env,
        check=True,
        capture_output=True,
    )
    start = time.perf_counter()
    with open(tmp / "stdout", "w") as out, open(tmp / "stderr", "w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "exiledb", "import", str(path)],
            env=env,
            stdout=out,
            stderr=err,
        )
        # wait4 gives this import's own peak memory (its reader process included), not the
        # largest of every process this script has run
        _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"import failed:\n{(tmp / 'stderr').read_text()[-3000:]}")
    return {"seconds": round(seconds, 1), "peak_mb": round(usage.ru_maxrss / 1024)}


def count_rows(url: str, tmp: Path) -> tuple[int, int]:
    """(records, rows): the five record types, and every row written including children and
    edit history."""
    code = (
        "import os; os.environ['DJANGO_SETTINGS_MODULE']='exiledb.settings'\n"
        "import django; django.setup()\n"
        "from django.apps import apps\n"
        "from exiledb.ingest.serialize import MODELS\n"
        "rows = sum(m.objects.count() for m in apps.get_app_config('cases').get_models("
        "include_auto_created=True))\n"
        "print(sum(m.objects.count() for m in MODELS.values()), rows)"
    )
    env = dict(
        os.environ,
        EXILEDB_DATABASE_URL=url,
        EXILEDB_DATA_DIR=str(tmp / "data"),
        EXILEDB_SECRET_KEY="bench",
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    records, rows = out.stdout.split()
    return int(records), int(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="+", type=int)
    parser.add_argument("--engines", nargs="+", default=["sqlite", "postgres"])
    parser.add_argument("--no-reimport", action="store_true")
    args = parser.parse_args()
    results = []
    for n in args.sizes:
        path = synth(n)
        for engine in args.engines:
            with tempfile.TemporaryDirectory(dir=OUT) as tmpdir:
                tmp = Path(tmpdir)
                url = fresh_database(engine, tmp, n)
                first = run(url, path, tmp)
                records, rows = count_rows(url, tmp)
                result = {
                    "engine": engine,
                    "incidents": n,
                    "records": records,
                    "rows_written": rows,
                    **first,
                    "records_per_s": round(records / first["seconds"]),
                    "rows_per_s": round(rows / first["seconds"]),
                }
                if not args.no_reimport:
                    again = run(url, path, tmp)
                    result["reimport_seconds"] = again["seconds"]
                results.append(result)
                print(json.dumps(result), flush=True)
    OUT.mkdir(exist_ok=True)
    (OUT / "import.json").write_text(json.dumps(results, indent=2))
    print(
        "\n| engine | incidents | records | rows (with history) | import s | records/s | rows/s "
        "| peak MB | re-import s |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['engine']} | {r['incidents']:,} | {r['records']:,} | {r['rows_written']:,} "
            f"| {r['seconds']} | {r['records_per_s']:,} | {r['rows_per_s']:,} | {r['peak_mb']} "
            f"| {r.get('reimport_seconds', '-')} |"
        )


if __name__ == "__main__":
    main()
