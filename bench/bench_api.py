"""The JSON API under load: requests per second and latency of the filtered incidents list.

    python bench/bench_api.py 100000 --engines sqlite postgres
    python bench/bench_api.py 1000000 --engines sqlite --reuse-dir bench/out/db-1000000-sqlite

For each size and engine it builds (or reuses) the database exactly as bench_explore.py does
(the real `exiledb import` of bench/synth.py's file, seed 1), serves it with `exiledb serve`
(gunicorn, DEBUG off, the anonymous rate limit lifted) and sends `GET /api/v1/incidents` with the
query mixes of bench_explore.py (five facets; a search term and five facets; a search term) as
anonymous clients: first one client at a time (latency), then CLIENTS clients at once for
SECONDS (throughput), each request a different query and cursor-less first page of 50.

The load generator runs on the same 2-core machine as the server, so the throughput figures
are a floor for a server with the machine to itself. Results: a Markdown table on stdout, JSON
in bench/out/api-<size>.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_explore as be  # noqa: E402 - the shared database building and serving

MIXES = ("5 facets", "search + 5 facets", "search")


def database(n: int, engine: str, args: argparse.Namespace) -> tuple[dict[str, str], list[Any]]:
    cleanup: list[Any] = []
    if engine == "sqlite":
        if args.reuse_dir:
            data_dir = Path(args.reuse_dir).resolve()
            data_dir.mkdir(parents=True, exist_ok=True)
        else:
            data_dir = Path(tempfile.mkdtemp(prefix=f"api-{n}-sqlite-", dir=be.OUT))
            cleanup.append(lambda: shutil.rmtree(data_dir, ignore_errors=True))
        url = f"sqlite:///{data_dir / 'exiledb.sqlite3'}"
    else:
        name = args.reuse_db or f"{be.PG_PREFIX}{n}"
        data_dir = Path(tempfile.mkdtemp(prefix=f"api-{n}-pg-", dir=be.OUT))
        cleanup.append(lambda: shutil.rmtree(data_dir, ignore_errors=True))
        exists = be.pg_admin(f"SELECT 1 FROM pg_database WHERE datname = '{name}'")  # noqa: S608
        if not exists:
            be.pg_admin(f'CREATE DATABASE "{name}"')
        url = f"{be.PG_URL}/{name}"
    env = be.environ(url, data_dir)
    env["EXILEDB_API_ANON_RATE"] = "100000000/min"
    if not be.entries_in(env):
        be.log(f"{engine} {n}: importing into {url}")
        seconds = be.import_file(env, be.synth(n), data_dir)
        be.log(f"import: {seconds:.0f} s")
    return env, cleanup


def api_url(base: str, params: dict[str, str]) -> str:
    return f"{base}/api/v1/incidents?" + urllib.parse.urlencode(params)


def latency(base: str, queries: list[dict[str, str]], count: int) -> dict[str, Any]:
    for params in queries[: be.WARMUP]:
        be.get(api_url(base, params))
    times = []
    totals = []
    for params in queries[be.WARMUP : be.WARMUP + count]:
        ms, body = be.get(api_url(base, params))
        times.append(ms)
        totals.append(json.loads(body)["count"])
    return {**be.summary(times), "matches_median": statistics.median(totals)}


def throughput(
    base: str, queries: list[dict[str, str]], clients: int, seconds: float
) -> dict[str, Any]:
    times: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def client(offset: int) -> None:
        i = offset
        while time.perf_counter() < stop:
            params = queries[i % len(queries)]
            i += clients
            try:
                ms, _ = be.get(api_url(base, params))
            except Exception as exc:  # noqa: BLE001 - counted and reported
                with lock:
                    errors.append(str(exc)[:200])
                continue
            with lock:
                times.append(ms)

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    out = {
        **be.summary(times),
        "requests": len(times),
        "errors": len(errors),
        "rps": round(len(times) / elapsed, 1),
        "clients": clients,
        "seconds": round(elapsed, 1),
    }
    if errors:
        out["first_error"] = errors[0]
    return out


def bench(n: int, engine: str, args: argparse.Namespace) -> dict[str, Any]:
    env, cleanup = database(n, engine, args)
    result: dict[str, Any] = {"incidents": n, "engine": engine, "code": be.code_version()}
    try:
        queries_file = be.OUT / f"explore-{n}-queries.json"
        if not queries_file.exists():
            be.worker(env, "queries", str(queries_file), str(args.requests))
        mixes = json.loads(queries_file.read_text())["mixes"]
        served = be.bench_settings(env, args.cache, be.OUT / f"api-settings-{engine}")
        served["EXILEDB_API_ANON_RATE"] = "100000000/min"
        port = be.free_port()
        cmd = [
            sys.executable,
            "-m",
            "exiledb",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
        ]
        server = be.Server(
            "exiledb-api", cmd, served, f"http://127.0.0.1:{port}", "/api/v1/incidents?limit=1"
        )
        try:
            result["load_before"] = be.uptime()
            result["mixes"] = {}
            for mix in MIXES:
                queries = mixes[mix]
                one = latency(server.base, queries, args.requests)
                many = throughput(server.base, queries, args.clients, args.seconds)
                result["mixes"][mix] = {"one_client": one, "concurrent": many}
                be.log(
                    f"{engine} {n} {mix}: 1 client median {one['median_ms']} ms "
                    f"p95 {one['p95_ms']} ms; "
                    f"{args.clients} clients {many['rps']} req/s p95 {many['p95_ms']} ms, "
                    f"{many['errors']} errors"
                )
            result["load_after"] = be.uptime()
        finally:
            server.stop()
        result.update(cache=args.cache, workers=args.workers)
    finally:
        for step in cleanup:
            step()
    return result


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| size | engine | mix | 1 client median ms | 1 client p95 ms | clients | req/s | "
        "p95 ms under load | errors |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        for mix, m in r["mixes"].items():
            one, many = m["one_client"], m["concurrent"]
            lines.append(
                f"| {r['incidents']:,} | {r['engine']} | {mix} | {one['median_ms']} "
                f"| {one['p95_ms']} | {many['clients']} | {many['rps']} | {many['p95_ms']} "
                f"| {many['errors']} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sizes", nargs="+", type=int)
    parser.add_argument("--engines", nargs="+", default=["sqlite"], choices=["sqlite", "postgres"])
    parser.add_argument("--requests", type=int, default=50, help="latency requests per mix")
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--cache", choices=sorted(be.CACHE_BACKENDS), default="locmem")
    parser.add_argument("--reuse-dir", help="SQLite: keep or reuse the database in this folder")
    parser.add_argument("--reuse-db", help="PostgreSQL: reuse this database")
    args = parser.parse_args()
    be.OUT.mkdir(exist_ok=True)
    results = []
    for n in args.sizes:
        for engine in args.engines:
            result = bench(n, engine, args)
            results.append(result)
            (be.OUT / f"api-{n}-{engine}.json").write_text(json.dumps(result, indent=2))
    print(table(results))


if __name__ == "__main__":
    main()
