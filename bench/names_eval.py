"""Pairwise precision and recall of exiledb.names.cluster on spelling groups of real names.

The evaluation set (bench/data/names_eval.tsv, person_id<TAB>name) holds the spellings of
Tajik exiles, relatives and officials as public reports and standard transliterations write
them, plus near-miss names of different persons who share a surname or a given name. The
held-out set (bench/data/names_eval_holdout.tsv) was written at the same time and never used to
tune the matcher: report both.

    python bench/names_eval.py                    # both sets
    python bench/names_eval.py --file other.tsv   # any set in the same format
    python bench/names_eval.py --threshold 0.85 --errors
    python bench/names_eval.py --scale 100000     # time cluster on synthetic names
"""

from __future__ import annotations

import argparse
import csv
import itertools
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

from exiledb.names import DEFAULT_THRESHOLD, cluster, score  # noqa: E402

SETS = {
    "dev": HERE / "data" / "names_eval.tsv",
    "held-out": HERE / "data" / "names_eval_holdout.tsv",
}


def read(path: Path) -> list[tuple[str, str]]:
    """The (person_id, name) rows of a TSV with a header row."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t")
        header = next(reader, None)
        if header is None or [h.strip() for h in header[:2]] != ["person_id", "name"]:
            raise ValueError(f"{path}: the first row must be 'person_id<TAB>name'")
        rows = []
        for line, row in enumerate(reader, start=2):
            if not row or not "".join(row).strip():
                continue
            if len(row) < 2 or not row[0].strip() or not row[1].strip():
                raise ValueError(f"{path}:{line}: expected person_id<TAB>name")
            rows.append((row[0].strip(), row[1].strip()))
    return rows


def evaluate(rows: list[tuple[str, str]], threshold: float) -> dict[str, float | int | list]:
    """Pairwise precision, recall and F1 of `cluster` against the person ids of `rows`."""
    names = [name for _pid, name in rows]
    truth = dict(enumerate(pid for pid, _name in rows))
    # Name strings may repeat across rows: map each cluster member back to its row indexes.
    index: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        index.setdefault(name, []).append(i)
    found: dict[int, int] = {}
    for c, members in enumerate(cluster(names, threshold)):
        for name in members:
            found[index[name].pop(0)] = c
    tp = fp = fn = 0
    errors = []
    for i, j in itertools.combinations(range(len(rows)), 2):
        same, predicted = truth[i] == truth[j], found[i] == found[j]
        tp += same and predicted
        fp += predicted and not same
        fn += same and not predicted
        if same != predicted:
            kind = "false match" if predicted else "missed"
            errors.append((kind, names[i], names[j], score(names[i], names[j])))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "names": len(rows),
        "persons": len(set(truth.values())),
        "pairs": tp + fn,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "errors": errors,
    }


def synthetic(n: int, seed: int = 1) -> list[str]:
    """n names from bench/synth.py's name lists: given name and surname (-ov, -zoda, -i), 30%
    transliteration variants, 10% typos, 10% Tajik Cyrillic, 10% with a second given name."""
    import synth

    rng = random.Random(seed)
    out = []
    for _ in range(n):
        sex = rng.choice(["male", "female"])
        given = rng.choice(synth.MALE if sex == "male" else synth.FEMALE)
        root, style = rng.choice(synth.ROOTS), rng.choice(["ov", "zoda", "i"])
        name = f"{given} {synth.surname_for(root, style, sex)}"
        r = rng.random()
        if r < 0.3:
            name = synth.latin_variant(name, sex, rng)
        elif r < 0.4:
            name = synth.typo(name, rng)
        elif r < 0.5:
            name = synth.to_cyrillic(name, synth.TG_LETTERS)
        elif r < 0.6:
            name = f"{rng.choice(synth.MALE)} {name}"
        out.append(name)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, action="append", help="a person_id<TAB>name TSV")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--errors", action="store_true", help="list the pairs it gets wrong")
    parser.add_argument("--scale", type=int, help="time cluster on this many synthetic names")
    args = parser.parse_args(argv)
    if args.scale:
        names = synthetic(args.scale)
        start = time.perf_counter()
        groups = cluster(names, args.threshold)
        elapsed = time.perf_counter() - start
        print(
            f"cluster: {len(names)} names ({len(set(names))} distinct) -> {len(groups)} "
            f"clusters in {elapsed:.1f} s"
        )
        return 0
    sets = {str(p): p for p in args.file} if args.file else SETS
    print(f"threshold {args.threshold}")
    print(
        f"{'set':<12} {'names':>5} {'persons':>7} {'pairs':>5} {'precision':>9} "
        f"{'recall':>6} {'F1':>5}"
    )
    for label, path in sets.items():
        try:
            result = evaluate(read(path), args.threshold)
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        print(
            f"{label:<12} {result['names']:>5} {result['persons']:>7} {result['pairs']:>5} "
            f"{result['precision']:>9.3f} {result['recall']:>6.3f} {result['f1']:>5.3f}"
        )
        if args.errors:
            for kind, a, b, s in result["errors"]:  # type: ignore[misc]
                print(f"  {kind}: {a} | {b} ({s:.3f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
