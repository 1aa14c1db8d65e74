"""`exiledb names match` and `exiledb names cluster` as a user runs them: a subprocess, real
files, exit codes. Neither command needs a database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from exiledb.names import DEFAULT_THRESHOLD, score


def exiledb(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "exiledb", "names", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_match_prints_the_score_and_the_verdict():
    same = exiledb("match", "Umarali Quvvatov", "Кувватов Умарали")
    assert same.returncode == 0, same.stderr
    assert same.stdout.split()[:3] == ["1.000", "same", "person"]
    other = exiledb("match", "Sharofiddin Gadoev", "Jamshed Gadoev")
    assert other.returncode == 0, other.stderr
    expected = score("Sharofiddin Gadoev", "Jamshed Gadoev")
    assert other.stdout.startswith(f"{expected:.3f} different persons")


def test_match_json_holds_score_verdict_threshold_and_keys():
    result = exiledb("match", "Shabnam Khudoydodova", "Шабнам Худойдодова", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["same_person"] is True
    assert data["score"] == 1.0
    assert data["threshold"] == DEFAULT_THRESHOLD
    assert data["keys"][0] == data["keys"][1]
    assert data["b"] == "Шабнам Худойдодова"


def test_match_honours_the_threshold():
    a, b = "Maksud Ibragimov", "Maqsud Ibrohimov"
    assert json.loads(exiledb("match", a, b, "--json").stdout)["same_person"] is True
    strict = json.loads(exiledb("match", a, b, "--json", "--threshold", "0.99").stdout)
    assert strict["same_person"] is False


def test_cluster_prints_a_json_list_of_clusters_of_the_input_names(tmp_path: Path):
    path = tmp_path / "names.txt"
    path.write_text(
        "Sharofiddin Gadoev\n\nJamshed Gadoev\nШарофиддин Гадоев\n  Sharofiddin Gadojev  \n"
        "Umarali Quvvatov\nQuvvatov Umarali\n",
        encoding="utf-8",
    )
    result = exiledb("cluster", str(path), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        ["Sharofiddin Gadoev", "Шарофиддин Гадоев", "Sharofiddin Gadojev"],
        ["Jamshed Gadoev"],
        ["Umarali Quvvatov", "Quvvatov Umarali"],
    ]
    plain = exiledb("cluster", str(path))
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout.splitlines()[0] == (
        "Sharofiddin Gadoev | Шарофиддин Гадоев | Sharofiddin Gadojev"
    )


def test_cluster_reads_stdin_and_a_threshold():
    result = exiledb(
        "cluster",
        "-",
        "--json",
        "--threshold",
        "0.99",
        stdin="Maksud Ibragimov\nMaqsud Ibrohimov\n",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [["Maksud Ibragimov"], ["Maqsud Ibrohimov"]]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p / "missing.txt", "no such file"),
        (lambda p: p, "is a folder"),
        (lambda p: (p / "bin.txt").write_bytes(b"\xff\xfe\x00\x81") and p / "bin.txt", "UTF-8"),
        (lambda p: (p / "nul.txt").write_bytes(b"Gadoev\x00") and p / "nul.txt", "not a text"),
    ],
    ids=["missing", "folder", "not-utf8", "binary"],
)
def test_cluster_of_a_bad_file_says_what_is_wrong_without_a_traceback(tmp_path, make, message):
    path = make(tmp_path)
    result = exiledb("cluster", str(path), "--json")
    assert result.returncode == 1
    assert message in result.stderr
    assert str(path) in result.stderr.replace("\n", "")
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_match_of_empty_names_fails_with_a_message():
    result = exiledb("match", "", "Gadoev")
    assert result.returncode == 1
    assert "at least one letter" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_out_of_range_threshold_is_refused():
    result = exiledb("match", "a b", "a b", "--threshold", "1.5")
    assert result.returncode == 2
    assert "threshold" in result.stderr
    assert "Traceback" not in result.stderr
