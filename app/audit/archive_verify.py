"""Checking an archive on disk: each manifest against its signature and its file."""

from pathlib import Path
from typing import Any

from app.audit.archive_files import (
    MANIFEST_SUFFIX,
    archive_name,
    file_sha256,
    read_manifest,
    read_rows,
    signature_problems,
)


def verify_manifest(manifest_path: Path, key: str | None) -> list[str]:
    """Every mismatch between a manifest, its signature and its file (empty: all good)."""
    where = manifest_path.name
    try:
        manifest = read_manifest(manifest_path)
    except (OSError, ValueError) as error:
        return [f"{where}: unreadable manifest ({error})"]
    problems = signature_problems(where, manifest, key)
    data = manifest_path.with_name(str(manifest.get("file", "")))
    if not manifest.get("file") or not data.is_file():
        return [*problems, f"{where}: archive file {manifest.get('file')!r} is missing"]
    if file_sha256(data) != manifest.get("sha256"):
        problems.append(f"{data.name}: SHA-256 does not match the manifest")
    try:
        count, first, last = 0, None, None
        previous = 0
        for row in read_rows(data):
            count += 1
            first = first or row
            last = row
            if int(row["id"]) <= previous:
                problems.append(f"{data.name}: ids out of order at line {count}")
                break
            previous = int(row["id"])
    except (OSError, ValueError, KeyError, EOFError) as error:
        return [*problems, f"{data.name}: unreadable ({error})"]
    expected = {
        "row_count": count,
        "first_id": first["id"] if first else None,
        "last_id": last["id"] if last else None,
        "first_occurred_at": first["occurred_at"] if first else None,
        "last_occurred_at": last["occurred_at"] if last else None,
    }
    problems.extend(
        f"{where}: {name} is {manifest.get(name)!r}, the file says {value!r}"
        for name, value in expected.items()
        if manifest.get(name) != value
    )
    if data.name != archive_name(str(manifest.get("table")), *_ids_or_zero(expected)):
        problems.append(f"{where}: the file name does not match its table and ids")
    return problems


def _ids_or_zero(expected: dict[str, Any]) -> tuple[int, int]:
    return int(expected["first_id"] or 0), int(expected["last_id"] or 0)


def verify_path(path: Path, key: str | None) -> tuple[int, list[str]]:
    """(manifests checked, problems) for one manifest or every manifest in a directory."""
    if path.is_dir():
        manifests = sorted(path.glob(f"*{MANIFEST_SUFFIX}"))
    elif path.is_file():
        manifests = [path]
    else:
        return 0, [f"{path}: no such file or directory"]
    if not manifests:
        return 0, [f"{path}: no manifest to verify"]
    problems: list[str] = []
    for manifest in manifests:
        problems.extend(verify_manifest(manifest, key))
    return len(manifests), problems
