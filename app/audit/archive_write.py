"""Writing one batch's archive: the file and its manifest, published without ever replacing a
file, then read back from disk before a single row is deleted."""

import gzip
import hashlib
import json
import os
import zlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from app.audit.archive_files import (
    GZIP_LEVEL,
    ArchiveError,
    archive_name,
    fsync_dir,
    manifest_of,
    manifest_text,
    publish,
    sign,
    signature_problems,
)
from app.core.db.models import utc_now


@dataclass(frozen=True, slots=True)
class Batch:
    """One archive file's worth: the ids in it and its content before compression."""

    ids: list[int]
    payload: bytes
    first: dict[str, Any]
    last: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Written:
    path: Path
    manifest: dict[str, Any]
    # Of the manifest's bytes: what the next manifest records as `previous_sha256`.
    manifest_sha256: str


def write_batch(
    directory: Path,
    table: str,
    batch: Batch,
    *,
    cutoff: datetime,
    key: str | None,
    place: tuple[int, str | None],
) -> Written:
    """Publish `batch` as the archive at `place` in its table's chain: (sequence, SHA-256 of
    the manifest before it)."""
    first, last = batch.first, batch.last
    final = directory / archive_name(table, first["id"], last["id"])
    manifest_final = manifest_of(final)
    if final.exists() or manifest_final.exists():
        raise ArchiveError(f"{final} already exists; refusing to overwrite it")
    compressed = gzip.compress(batch.payload, compresslevel=GZIP_LEVEL, mtime=0)
    tmp = final.with_name(final.name + ".tmp")
    with tmp.open("wb") as raw:
        raw.write(compressed)
        raw.flush()
        os.fsync(raw.fileno())
    sequence, previous = place
    manifest: dict[str, Any] = {
        "table": table,
        "file": final.name,
        "row_count": len(batch.ids),
        "first_id": first["id"],
        "last_id": last["id"],
        "first_occurred_at": first["occurred_at"],
        "last_occurred_at": last["occurred_at"],
        # Of the bytes meant for the file; `check_batch` proves the file on disk has them.
        "sha256": hashlib.sha256(compressed).hexdigest(),
        "created_at": utc_now().isoformat(),
        "cutoff": cutoff.isoformat(),
        "sequence": sequence,
        "previous_sha256": previous,
    }
    if key is not None:
        manifest["hmac"] = sign(manifest, key)
    text = manifest_text(manifest)
    manifest_tmp = manifest_final.with_name(manifest_final.name + ".tmp")
    with manifest_tmp.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    # The data file first: a manifest always has its file; a file without its manifest is
    # what a killed run leaves, and the next run sets it aside.
    publish(tmp, final)
    publish(manifest_tmp, manifest_final)
    fsync_dir(directory)
    return Written(final, manifest, hashlib.sha256(text.encode()).hexdigest())


def check_batch(written: Written, batch: Batch, key: str | None) -> None:
    """Re-read what was published: the manifest is the one written and its signature holds;
    the file has the manifest's SHA-256 and decompresses to exactly the batch's lines, so it
    holds exactly the ids about to be deleted, in order, and nothing else.

    Comparing bytes checks more than parsing every line back (what `verify` does, having no
    batch to compare with), for a fraction of its cost."""
    path = written.path
    manifest_path = manifest_of(path)
    try:
        manifest_bytes = manifest_path.read_bytes()
        manifest: dict[str, Any] = json.loads(manifest_bytes)
        data = path.read_bytes()
    except (OSError, ValueError) as error:
        raise ArchiveError(f"re-reading the archive failed: {error}") from error
    problems = signature_problems(manifest_path.name, manifest, key)
    # The bytes, not only the content: the next manifest records their hash.
    if hashlib.sha256(manifest_bytes).hexdigest() != written.manifest_sha256:
        problems.append(f"{manifest_path.name}: differs from the manifest written")
    if hashlib.sha256(data).hexdigest() != manifest.get("sha256"):
        problems.append(f"{path.name}: SHA-256 does not match the manifest")
    try:
        content = gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as error:
        problems.append(f"{path.name}: unreadable ({error})")
    else:
        if content != batch.payload:
            problems.append(f"{path.name}: the rows read back differ from the rows written")
    if problems:
        raise ArchiveError("re-reading the archive failed: " + "; ".join(problems))
