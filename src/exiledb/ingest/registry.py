"""Which format module reads a file: chosen by --format, or by the file's extension."""

from __future__ import annotations

from pathlib import Path

from . import interchange
from .base import Batch, ImportFailed, ImportProblem

READERS = {"json": interchange.read}
EXTENSIONS = {".json": "json"}


def detect(path: str | Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    raise ImportFailed(
        [
            ImportProblem(
                str(path),
                "",
                f"cannot tell the format from the extension '{suffix}'; "
                f"use --format ({', '.join(READERS)})",
            )
        ]
    )


def read(path: str | Path, fmt: str = "auto") -> Batch:
    fmt = detect(path) if fmt == "auto" else fmt
    if fmt not in READERS:
        raise ImportFailed(
            [ImportProblem(str(path), "", f"unknown format '{fmt}' (known: {', '.join(READERS)})")]
        )
    return READERS[fmt](path)
