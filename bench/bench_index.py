"""Public index benchmark: what the index costs an import, a rebuild and a re-import.

    python bench/bench_index.py 100000 --engines sqlite postgres

For each size and engine, in a fresh database (SQLite under bench/out/index-N-sqlite/, kept;
PostgreSQL `exiledb_index_bench`, from EXILEDB_BENCH_POSTGRES_URL), with the real commands:

1. `exiledb import` of the synthetic file (bench/out/synth-N.json, seed 1): a first load, which
   builds the whole public index;
2. `exiledb reindex`: the full rebuild alone;
3. `exiledb import` of the same file again: everything unchanged;
4. `exiledb import` of the file with one published incident's summary changed;
5. `exiledb import` of the file with one person (the first one in the file that takes part
   in a published incident) made confidential.

Wall times go to stdout as a Markdown table and to bench/out/index-N.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
PG_URL = os.environ.get("EXILEDB_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
PG_NAME = "exiledb_index_bench"

sys.path.insert(0, str(HERE))
from bench_import import synth  # noqa: E402


def variants(path: Path) -> dict[str, Path]:
    """Copies of the file with one published incident changed, and one person made
    confidential (a person the changed incident does not involve)."""
    changed = OUT / f"{path.stem}-one-incident.json"
    confidential = OUT / f"{path.stem}-one-confidential.json"
    if changed.exists() and confidential.exists():
        return {"one_incident": changed, "one_confidential": confidential}
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith('"incidents":['))
    target = next(
        i for i in range(start + 1, len(lines)) if '"review_status":"published"' in lines[i]
    )
    edited = list(lines)
    edited[target] = lines[target].replace('"summary":"', '"summary":"Updated: ', 1)
    changed.write_text("".join(edited), encoding="utf-8")
    people = lines.index('"persons":[\n')
    involved = {
        part.split('"', 1)[0]
        for line in lines[start + 1 :]
        if '"review_status":"published"' in line
        for part in line.split('"person":"')[1:]
    }
    person = next(
        i
        for i in range(people + 1, len(lines))
        if lines[i].startswith('{"id":"')
        and lines[i][7:43] in involved
        and '"visibility"' not in lines[i]
        and lines[i][7:43] not in lines[target]
    )
    edited = list(lines)
    edited[person] = lines[person].replace("{", '{"visibility":"confidential",', 1)
    confidential.write_text("".join(edited), encoding="utf-8")
    return {"one_incident": changed, "one_confidential": confidential}


def database(engine: str, n: int) -> tuple[str, Path]:
    data = OUT / f"index-{n}-{engine}"
    data.mkdir(parents=True, exist_ok=True)
    if engine == "sqlite":
        db = data / "exiledb.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{db}", data
    import psycopg

    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{PG_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{PG_NAME}"')
    return f"{PG_URL}/{PG_NAME}", data


def timed(env: dict[str, str], *args: str) -> float:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "exiledb", *args], env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"exiledb {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    print(f"  exiledb {args[0]}: {seconds:.1f} s  {proc.stdout.strip()[-200:]}", flush=True)
    return round(seconds, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="+", type=int)
    parser.add_argument("--engines", nargs="+", default=["sqlite", "postgres"])
    args = parser.parse_args()
    for n in args.sizes:
        path = synth(n)
        files = variants(path)
        results = []
        for engine in args.engines:
            url, data = database(engine, n)
            env = dict(
                os.environ,
                EXILEDB_DATABASE_URL=url,
                EXILEDB_DATA_DIR=str(data),
                EXILEDB_SECRET_KEY="bench",
            )
            print(f"{engine}, {n:,} incidents", flush=True)
            subprocess.run(  # migrate first, so the timing is the import alone
                [sys.executable, "-m", "exiledb", "stats", "--json"],
                env=env,
                check=True,
                capture_output=True,
            )
            result = {
                "engine": engine,
                "incidents": n,
                "load": os.getloadavg()[0],
                "import": timed(env, "import", str(path)),
                "reindex": timed(env, "reindex"),
                "reimport_same": timed(env, "import", str(path)),
                "reimport_one_incident": timed(env, "import", str(files["one_incident"])),
                "reimport_one_confidential": timed(env, "import", str(files["one_confidential"])),
            }
            result["load_after"] = os.getloadavg()[0]
            results.append(result)
            print(json.dumps(result), flush=True)
        (OUT / f"index-{n}.json").write_text(json.dumps(results, indent=2))
        print(
            "\n| engine | incidents | import | reindex | re-import, same | re-import, one incident "
            "| re-import, one person confidential |"
        )
        print("|---|---|---|---|---|---|---|")
        for r in results:
            print(
                f"| {r['engine']} | {r['incidents']:,} | {r['import']} s | {r['reindex']} s "
                f"| {r['reimport_same']} s | {r['reimport_one_incident']} s "
                f"| {r['reimport_one_confidential']} s |"
            )


if __name__ == "__main__":
    main()
