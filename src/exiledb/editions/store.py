"""Creating and checking editions: the files on disk and the row that describes them.

An edition's folder (EXILEDB_DATA_DIR/editions/NAME/) holds:

- public-datapackage.zip - the public data package (what an anonymous reader may see);
- internal-datapackage.zip - every record as stored (cleared staff only);
- figures.json - the statistics for both audiences at creation;
- changes-public.json - the public change log against the previous edition;
- edition.json - name, date, note, codebook version and counts.

The folder is written under a temporary name and renamed into place inside the transaction
that stores the row, so a failure leaves neither a folder nor a row behind. Files are made
read-only; the manifest of their SHA-256 sums is kept in the row, and the content hash is the
SHA-256 of that manifest written as `sha256sum` writes it (sorted by path), so anyone can
recompute it with standard tools.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from exiledb.access.policy import INTERNAL, PUBLIC
from exiledb.analysis import stored
from exiledb.ingest.export import DISCLAIMER, Records, write_datapackage
from exiledb.vocab import CODEBOOK_VERSION

from .models import Edition

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
PACKAGES = {PUBLIC: "public-datapackage.zip", INTERNAL: "internal-datapackage.zip"}
FIGURES = "figures.json"
CHANGES = "changes-public.json"
MANIFEST = "edition.json"
FOLDER = "editions"


class EditionError(Exception):
    """A refusal with a message for the user (bad name, name taken, unknown edition)."""


def root() -> Path:
    return Path(settings.DATA_DIR) / FOLDER


def folder(edition: Edition) -> Path:
    return Path(settings.DATA_DIR) / edition.storage


def package_path(edition: Edition, audience: str) -> Path:
    return folder(edition) / PACKAGES[audience]


def check_name(name: str) -> None:
    if not NAME_PATTERN.match(name):
        raise EditionError(
            f"'{name}' is not a valid edition name: use 1 to 64 lowercase letters, digits, "
            "'-' and '_', starting with a letter or digit (e.g. 2026-11)"
        )


def get(name: str) -> Edition:
    try:
        return Edition.objects.get(name=name)
    except Edition.DoesNotExist:
        known = ", ".join(Edition.objects.values_list("name", flat=True)) or "none yet"
        raise EditionError(f"no edition named '{name}' (editions: {known})") from None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest_hash(files: dict[str, str]) -> str:
    """SHA-256 of the `sha256sum` listing of the files, sorted by path (byte order)."""
    listing = "".join(f"{files[path]}  {path}\n" for path in sorted(files))
    return hashlib.sha256(listing.encode("utf-8")).hexdigest()


def citation(edition: Edition) -> str:
    publisher = os.environ.get("EXILEDB_PUBLISHER", "exiledb")
    return (
        f"{publisher}: documented transnational repression, edition {edition.name} "
        f"({edition.created_at.date().isoformat()}), SHA-256 {edition.content_hash}. "
        f"{DISCLAIMER}"
    )


# --- writing ---------------------------------------------------------------------------------


def _zip_folder(src: Path, target: Path, when: dt.datetime) -> None:
    """A zip of the folder with members in sorted order and one fixed timestamp, so the
    same package always gives the same bytes."""
    stamp = when.astimezone(dt.UTC).timetuple()[:6]
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(p for p in src.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(src).as_posix(), date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o444 << 16
            with open(path, "rb") as fh, zf.open(info, "w") as member:
                shutil.copyfileobj(fh, member)


def _write_package(
    target: Path, audience: str, name: str, when: dt.datetime, work: Path
) -> dict[str, int]:
    """The audience's data package (exiledb.ingest.export), marked with the edition."""
    staging = work / f"{audience}-package"
    counts = write_datapackage(staging, Records(audience))
    descriptor_path = staging / "datapackage.json"
    descriptor = json.loads(descriptor_path.read_text(encoding="utf-8"))
    descriptor["name"] = f"exiledb-{name}-{audience}"
    descriptor["title"] = f"exiledb edition {name} ({audience})"
    descriptor["created"] = when.isoformat()
    descriptor["citation"] = (
        f"{os.environ.get('EXILEDB_PUBLISHER', 'exiledb')}: documented transnational "
        f"repression, edition {name} ({when.date().isoformat()}); the edition's SHA-256 is "
        f"listed with it. {DISCLAIMER}"
    )
    descriptor["exiledb"]["edition"] = name
    descriptor_path.write_text(
        json.dumps(descriptor, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    _zip_folder(staging, target, when)
    shutil.rmtree(staging)
    return counts


def _dump(path: Path, data: Any) -> None:
    path.write_text(
        json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8"
    )


def _freeze(path: Path) -> None:
    path.chmod(0o755)  # mkdtemp made it private; the files in it are what is protected
    for item in path.iterdir():
        if item.is_file():
            item.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)


def create(name: str, note: str = "", created_by: str = "") -> Edition:
    """Freeze the current data as edition `name`. Refuses a bad or taken name; on any failure
    nothing is left behind."""
    check_name(name)
    if Edition.objects.filter(name=name).exists():
        raise EditionError(f"an edition named '{name}' already exists: editions are immutable")
    final = root() / name
    if final.exists():
        raise EditionError(f"{final} already exists: move it away or choose another name")
    root().mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{name}.partial-", dir=root()))
    renamed = False
    outermost = not connection.in_atomic_block
    try:
        # One transaction: the packages and figures read one consistent state of the data,
        # and the row exists only if the folder was moved into place.
        with transaction.atomic():
            if outermost and connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            edition = _build(name, note, created_by, work)
            edition.save()
            os.rename(work, final)
            renamed = True
    except IntegrityError:
        raise EditionError(f"an edition named '{name}' already exists") from None
    finally:
        if not renamed:
            shutil.rmtree(work, ignore_errors=True)
        elif not Edition.objects.filter(name=name).exists():
            shutil.rmtree(final, ignore_errors=True)  # the commit failed after the rename
    return edition


def _build(name: str, note: str, created_by: str, work: Path) -> Edition:
    """Write every file of the edition into `work` and return its (unsaved) row."""
    from . import diff

    when = timezone.now().replace(microsecond=0)
    previous = Edition.objects.order_by("-created_at", "-pk").first()
    counts = {
        audience: _write_package(work / PACKAGES[audience], audience, name, when, work)
        for audience in (PUBLIC, INTERNAL)
    }
    figures = {
        PUBLIC: stored.figures(),
        INTERNAL: stored.figures(internal=True),
    }
    _dump(work / FIGURES, figures)
    if previous is not None:
        # The change log compares with what was published, so that must still be intact.
        check = verify(previous)
        if not check.ok:
            raise EditionError(
                f"the previous edition '{previous.name}' fails verification "
                f"({'; '.join(check.problems)}): run exiledb edition verify"
            )
        log = diff.compare(
            diff.read_package(package_path(previous, PUBLIC)),
            diff.read_package(work / PACKAGES[PUBLIC]),
            audience=PUBLIC,
        )
        changes = log.as_json(previous.name, name)
    else:
        changes = {"from": None, "to": name, "audience": PUBLIC, "summary": {}, "records": {}}
    _dump(work / CHANGES, changes)
    _dump(
        work / MANIFEST,
        {
            "name": name,
            "created_at": when.isoformat(),
            "note": note,
            "codebook": CODEBOOK_VERSION,
            "previous": previous.name if previous else None,
            "counts": counts,
        },
    )
    files = {p.name: sha256_file(p) for p in sorted(work.iterdir()) if p.is_file()}
    _freeze(work)
    return Edition(
        name=name,
        created_at=when,
        note=note,
        content_hash=manifest_hash(files),
        files=files,
        figures=figures,
        codebook=CODEBOOK_VERSION,
        counts=counts,
        previous=previous,
        changes=changes["summary"],
        storage=f"{FOLDER}/{name}",
        created_by=created_by,
    )


# --- checking --------------------------------------------------------------------------------


@dataclass
class Verification:
    edition: str
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(edition: Edition) -> Verification:
    """Re-hash the edition's files against its manifest and its content hash."""
    result = Verification(edition.name)
    base = folder(edition)
    if manifest_hash(edition.files) != edition.content_hash:
        result.problems.append("the stored manifest does not match the content hash")
    if not base.is_dir():
        result.problems.append(f"the folder {base} is missing")
        return result
    present = {p.name for p in base.iterdir()}
    for path, expected in sorted(edition.files.items()):
        if path not in present:
            result.problems.append(f"{path} is missing")
        elif sha256_file(base / path) != expected:
            result.problems.append(f"{path} was changed (its SHA-256 differs)")
    for extra in sorted(present - set(edition.files)):
        result.problems.append(f"{extra} was added")
    return result
