"""Which format module reads a file: chosen by --format, or by the file's extension."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from . import flat, interchange, tabular
from .base import ImportFailed, ImportProblem, Source
from .tables import BY_NAME

READERS: dict[str, Callable[[Path], Source]] = {
    "json": interchange.read,
    "csv": tabular.read_csv,
    "xlsx": tabular.read_xlsx,
    "datapackage": tabular.read_datapackage,
}
EXTENSIONS = {".json": "json", ".csv": "csv", ".xlsx": "xlsx", ".zip": "csv"}


def detect(path: str | Path) -> str:
    p = Path(path)
    suffix = p.suffix.lower()
    if p.is_dir():
        if (p / "datapackage.json").exists():
            return "datapackage"
        return "csv"
    if p.name == "datapackage.json":
        return "datapackage"
    if suffix == ".zip":
        import zipfile

        try:
            with zipfile.ZipFile(p) as zf:
                if "datapackage.json" in zf.namelist():
                    return "datapackage"
        except (OSError, zipfile.BadZipFile):
            pass
        return "csv"
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


def read(path: str | Path, fmt: str = "auto", mapping: str | Path | None = None) -> Source:
    """Read a file in any supported format into a batch (problems collected on it)."""
    p = Path(path)
    if not p.exists():
        raise ImportFailed([ImportProblem(str(path), "", "no such file or folder")])
    if mapping is not None or fmt == "flat":
        return flat.read(p, flat.load_mapping(mapping))
    fmt = detect(p) if fmt == "auto" else fmt
    if fmt not in READERS:
        known = ", ".join([*READERS, "flat"])
        raise ImportFailed([ImportProblem(str(path), "", f"unknown format '{fmt}' ({known})")])
    if fmt == "csv" and p.is_file() and p.suffix.lower() == ".csv" and p.stem not in BY_NAME:
        return flat.read(p)  # a single sheet that is not one of our tables: a flat sheet
    if fmt == "xlsx" and not tabular.is_normalised_workbook(p):
        return flat.read(p)
    return READERS[fmt](p)
