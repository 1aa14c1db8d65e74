"""Duplicate-person benchmark: `exiledb duplicates persons` on N synthetic persons with planted
duplicates, on SQLite (and PostgreSQL with --engines).

    python bench/bench_duplicates.py 100000
    python bench/bench_duplicates.py 20000 --engines sqlite postgres

It writes an interchange file of N persons (cached under bench/out/): families of an exile and
0-3 relatives at home with realistic Tajik names (the given names and surname roots of
bench/synth.py plus more from public reports), surnames in -ov/-ova, -zoda and -i forms,
spellings in Russian and Tajik Cyrillic and Latin variants as synth.py makes them. About 5% of
the persons are planted duplicates: a second record of an existing person as another source
would write it - another transliteration, an -ov/-zoda change, a typo, the words in the other
order, or Cyrillic - with the birth year the same (60%), missing (30%) or one year off (10%),
and in 30% of cases one of the person's relatives recorded as a relative of the second record
too. The file is imported with the real `exiledb import` into a fresh database, then the real
`exiledb duplicates persons --json --limit 0` is timed (wall time of the whole command, Django
start-up included) at the default score and at a lower one, and the pairs found are compared
with the planted ones: precision (found pairs that were planted) and recall (planted pairs
found). Results are printed as Markdown and saved in bench/out/duplicates.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "src"))

import synth  # noqa: E402

PG_URL = os.environ.get("EXILEDB_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")

# More real Tajik names (from public reports on Tajik exiles and their families), so that the
# name space is as wide as a real collection's: with synth.py's lists alone, 100,000 persons
# would share a few thousand names.
MORE_MALE = (
    "Abdurahmon Bahodur Dilovar Ehson Faridun Fayzullo Giyosiddin Habibullo Hasan Husayn "
    "Ibrohim Isfandiyor Jaloliddin Jovid Kamoliddin Khisrav Lutfullo Manuchehr Mansur Muhammad "
    "Mukhtor Najmiddin Nasim Navruz Nazrullo Parviz Qiyomiddin Ravshan Sadriddin Said Salim "
    "Shamsiddin Shodmon Siyovush Suhrob Sunatullo Tolib Umed Vali Yodgor Zikrullo Abdusalom "
    "Akbar Alisher Amirkhon Asliddin Behruz Davron Eraj Firdavs Hotam Ikrom Karomatullo Latif "
    "Mahmadsaid Nekruz Rasul Saidmumin Tojiddin Zubaydullo"
).split()
MORE_FEMALE = (
    "Barno Dilafruz Farangis Gulbahor Gulchehra Hilola Iqbol Lola Mahbuba Marhabo Mavluda "
    "Mehrinisso Muattar Nargis Nilufar Rano Robiya Sabohat Sadbarg Sanavbar Shahlo Shirin "
    "Sumbul Tojinisso Umeda Yasmin Zamira Zulaykho Manija Gulnoza Nozanin Farzona Mijgona"
).split()
MORE_ROOTS = (
    "Ahmad Akbar Ali Amir Asad Aziz Bahrom Dost Fayz Ghani Habib Hamid Hasan Ibrohim Islom "
    "Jabbor Jamol Kamol Khol Mahmad Majid Mansur Mukhtor Nasim Nur Odina Qahhor Rahim Rasul "
    "Rustam Sadr Salim Shams Sultan Tolib Vohid Yodgor Zafar Ziyo Hamro Naim Shukur Jumakhon "
    "Kholmurod Nazri Rashid Salom Subhon Sangin Muhabbat Gadoy Quvvat Iskandar Mirzoali"
).split()
MALE = list(dict.fromkeys([*synth.MALE, *MORE_MALE]))
FEMALE = list(dict.fromkeys([*synth.FEMALE, *MORE_FEMALE]))
ROOTS = list(dict.fromkeys([*synth.ROOTS, *MORE_ROOTS]))
ORIGINS = {"TJ": 80.0, "UZ": 8.0, "TM": 4.0, "KG": 4.0, "KZ": 4.0}
CATEGORIES = ["opposition", "religious", "civil_society", "regime_insider"]
DUPLICATE_SHARE = 0.05


class People:
    """N persons in families, and the planted duplicate pairs."""

    def __init__(self, n: int, seed: int) -> None:
        self.rng = random.Random(seed)
        self.n = n
        self.persons: list[dict[str, Any]] = []
        self.relationships: list[dict[str, Any]] = []
        self.relatives_of: dict[str, list[tuple[str, str]]] = {}
        self.planted: list[tuple[str, str]] = []
        # planted pairs whose records hold more than the name: the same birth year, or a
        # relative recorded for both
        self.corroborated: list[tuple[str, str]] = []
        self.origin = synth.picker(self.rng, ORIGINS)

    def new_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def spellings(self, name: str, sex: str) -> list[dict[str, Any]]:
        rng, seen, out = self.rng, {name}, []
        for _ in range(rng.choice([0, 0, 1, 1, 2])):
            r = rng.random()
            if r < 0.35:
                rec = {"value": synth.to_cyrillic(name, synth.RU_LETTERS), "script": "cyrl"}
            elif r < 0.5:
                rec = {"value": synth.to_cyrillic(name, synth.TG_LETTERS), "script": "cyrl"}
            else:
                rec = {"value": synth.latin_variant(name, sex, rng)}
            if rec["value"] not in seen:
                seen.add(rec["value"])
                out.append(rec)
        return out

    def person(self, name: str, sex: str, born: int | None, origin: str) -> dict[str, Any]:
        rec: dict[str, Any] = {"id": self.new_id(), "display_name": name, "sex": sex}
        if spellings := self.spellings(name, sex):
            rec["names"] = spellings
        if born is not None:
            rec["birth_year"] = born
        rec["origin_country"] = origin
        return rec

    def family(self) -> None:
        rng = self.rng
        origin = self.origin()
        sex = "male" if rng.random() < 0.8 else "female"
        root, style = rng.choice(ROOTS), rng.choice(["ov", "ov", "zoda", "i"])
        given = rng.choice(MALE if sex == "male" else FEMALE)
        name = f"{given} {synth.surname_for(root, style, sex)}"
        born = rng.randint(1950, 1998)
        exile = self.person(name, sex, born if rng.random() < 0.85 else None, origin)
        exile["categories"] = [rng.choice(CATEGORIES)]
        self.persons.append(exile)
        kin = []
        for _ in range(rng.choice([0, 0, 1, 1, 2, 3])):
            if len(self.persons) >= self.n:
                break
            word, rsex, year = rng.choice(
                [
                    ("mother", "female", born - rng.randint(20, 35)),
                    ("father", "male", born - rng.randint(20, 40)),
                    ("brother", "male", born + rng.randint(-10, 10)),
                    ("sister", "female", born + rng.randint(-10, 10)),
                    ("son", "male", born + rng.randint(18, 35)),
                    ("daughter", "female", born + rng.randint(18, 35)),
                ]
            )
            rgiven = rng.choice(MALE if rsex == "male" else FEMALE)
            if rgiven == given:
                continue
            relative = self.person(
                f"{rgiven} {synth.surname_for(root, style, rsex)}",
                rsex,
                year if rng.random() < 0.7 else None,
                origin,
            )
            self.persons.append(relative)
            self.relationships.append(
                {
                    "id": self.new_id(),
                    "person": relative["id"],
                    "kinship": word,
                    "other": exile["id"],
                }
            )
            kin.append((relative["id"], word))
        self.relatives_of[exile["id"]] = kin

    def variant(self, name: str, sex: str) -> str:
        rng = self.rng
        for _ in range(5):
            r = rng.random()
            if r < 0.35:
                out = synth.latin_variant(name, sex, rng)
            elif r < 0.55:
                out = synth.typo(name, rng)
            elif r < 0.7:
                out = synth.to_cyrillic(
                    name, synth.RU_LETTERS if rng.random() < 0.6 else synth.TG_LETTERS
                )
            elif r < 0.85:
                given, _, surname = name.partition(" ")
                out = f"{surname} {given}"
            else:
                out = synth.typo(synth.latin_variant(name, sex, rng), rng)
            if out != name:
                return out
        return name

    def duplicate(self, original: dict[str, Any]) -> None:
        rng = self.rng
        sex = original.get("sex", "unknown")
        born = original.get("birth_year")
        r = rng.random()
        if born is not None and r < 0.3:
            born = None
        elif born is not None and r < 0.4:
            born += rng.choice([-1, 1])
        twin = self.person(
            self.variant(original["display_name"], sex), sex, born, original["origin_country"]
        )
        twin.pop("names", None)
        if rng.random() < 0.5:
            twin["names"] = [{"value": self.variant(original["display_name"], sex)}]
            if twin["names"][0]["value"] == twin["display_name"]:
                twin.pop("names")
        if "categories" in original:
            twin["categories"] = original["categories"]
        self.persons.append(twin)
        self.planted.append((original["id"], twin["id"]))
        kin = self.relatives_of.get(original["id"])
        linked = False
        if kin and rng.random() < 0.3:
            relative, word = rng.choice(kin)
            self.relationships.append(
                {"id": self.new_id(), "person": relative, "kinship": word, "other": twin["id"]}
            )
            linked = True
        if linked or (born is not None and born == original.get("birth_year")):
            self.corroborated.append((original["id"], twin["id"]))

    def make(self) -> None:
        originals = round(self.n * (1 - DUPLICATE_SHARE))
        while len(self.persons) < originals:
            self.family()
        pool = list(self.persons)
        while len(self.persons) < self.n:
            self.duplicate(self.rng.choice(pool))

    def document(self) -> dict[str, Any]:
        return {
            "format": "exiledb/1",
            "codebook": synth.CODEBOOK_VERSION,
            "organizations": [],
            "sources": [],
            "persons": self.persons,
            "relationships": self.relationships,
            "incidents": [],
        }


def data(n: int, seed: int) -> tuple[Path, Path]:
    OUT.mkdir(exist_ok=True)
    path, truth = OUT / f"dup-{n}-{seed}.json", OUT / f"dup-{n}-{seed}.planted.json"
    if not (path.exists() and truth.exists()):
        people = People(n, seed)
        people.make()
        path.write_text(json.dumps(people.document(), ensure_ascii=False), encoding="utf-8")
        truth.write_text(
            json.dumps({"planted": people.planted, "corroborated": people.corroborated}),
            encoding="utf-8",
        )
    return path, truth


def fresh_database(engine: str, tmp: Path, n: int) -> str:
    if engine == "sqlite":
        return f"sqlite:///{tmp / f'dup-{n}.sqlite3'}"
    import psycopg

    name = f"exiledb_bench_dup_{n}"
    with psycopg.connect(f"{PG_URL}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_URL}/{name}"


def exiledb(env: dict[str, str], *args: str) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "exiledb", *args], env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"exiledb {' '.join(args)} failed: {done.stderr.strip()}")
    return seconds, done.stdout


def quality(found: list[dict[str, Any]], planted: set[frozenset[str]], at: float) -> dict[str, Any]:
    pairs = {frozenset((c["a"]["id"], c["b"]["id"])) for c in found if c["score"] >= at}
    hits = len(pairs & planted)
    false = [
        c
        for c in found
        if c["score"] >= at and frozenset((c["a"]["id"], c["b"]["id"])) not in planted
    ]
    # False positives no data could tell apart: the very same name key, nothing against.
    alike = sum(
        1
        for c in false
        if c["name_score"] >= 1.0 and not any(e["weight"] < 0 for e in c["evidence"])
    )
    return {
        "min_score": at,
        "pairs": len(pairs),
        "true": hits,
        "precision": hits / len(pairs) if pairs else 1.0,
        "recall": hits / len(planted) if planted else 1.0,
        "false_same_name_no_conflict": alike,
    }


def run(engine: str, n: int, seed: int, low: float) -> dict[str, Any]:
    path, truth = data(n, seed)
    truths = json.loads(truth.read_text())
    planted = {frozenset(p) for p in truths["planted"]}
    corroborated = {frozenset(p) for p in truths["corroborated"]}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        env = dict(
            os.environ,
            EXILEDB_DATABASE_URL=fresh_database(engine, tmp, n),
            EXILEDB_DATA_DIR=str(tmp / "data"),
            EXILEDB_SECRET_KEY="bench",
        )
        import_s, _ = exiledb(env, "import", str(path))
        exiledb(env, "merges")  # migrations done: the timings below are the finding alone
        default_s, text = exiledb(env, "duplicates", "persons", "--json", "--limit", "0")
        default = json.loads(text)
        low_s, text = exiledb(
            env, "duplicates", "persons", "--json", "--limit", "0", "--min-score", str(low)
        )
        loose = json.loads(text)
    thresholds = sorted({low, 0.8, default["min_score"], 0.9, 0.95})
    return {
        "engine": engine,
        "persons": n,
        "planted": len(planted),
        "import_s": round(import_s, 1),
        "default_s": round(default_s, 1),
        "default_inner_s": default["stats"]["seconds"],
        "default_stats": default["stats"],
        "default_min_score": default["min_score"],
        "default": quality(default["candidates"], planted, 0.0),
        "corroborated": len(corroborated),
        "corroborated_recall": quality(default["candidates"], corroborated, 0.0)["recall"],
        "low_s": round(low_s, 1),
        "curve": [quality(loose["candidates"], planted, t) for t in thresholds if t >= low],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[100_000])
    parser.add_argument("--engines", nargs="+", default=["sqlite"], choices=["sqlite", "postgres"])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--low", type=float, default=0.7, help="the lower score also measured")
    args = parser.parse_args()
    results = []
    for n in args.sizes:
        for engine in args.engines:
            result = run(engine, n, args.seed, args.low)
            results.append(result)
            print(json.dumps(result, indent=1), file=sys.stderr)
    print(
        "| engine | persons | planted pairs | import | `duplicates persons` | compared | "
        "pairs found | precision | recall | recall of the planted pairs with more than a name |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        d = r["default"]
        print(
            f"| {r['engine']} | {r['persons']:,} | {r['planted']:,} | {r['import_s']} s | "
            f"{r['default_s']} s | {r['default_stats']['compared']:,} | {d['pairs']:,} | "
            f"{d['precision']:.3f} | {d['recall']:.3f} | "
            f"{r['corroborated_recall']:.3f} of {r['corroborated']:,} |"
        )
    print()
    print(
        "| engine | min score | pairs | precision | recall | false pairs with one name "
        "and nothing against |"
    )
    print("|---|---|---|---|---|---|")
    for r in results:
        for q in r["curve"]:
            print(
                f"| {r['engine']} | {q['min_score']:.2f} | {q['pairs']:,} | "
                f"{q['precision']:.3f} | {q['recall']:.3f} | {q['false_same_name_no_conflict']:,} |"
            )
    (OUT / "duplicates.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
