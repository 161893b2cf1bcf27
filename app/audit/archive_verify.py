"""Checking an archive on disk: each manifest against its signature and its file, and the
manifests of each table against each other.

The chain: a table's manifests, in the order they were written, each record their place
(`sequence`: 1, 2, 3 …) and the SHA-256 of the manifest before them (`previous_sha256`; null for
the first). The order is the one of writing, not of ids, because ids commit out of order: a row
that committed late is archived by a later run, in a file whose first id is lower than that of
files written before it. Manifests written before chaining (no `sequence`) come first, by first
id, and the first chained manifest records the last of them. A manifest slipped in among the
others (claiming a place taken, or not naming the manifest before it) breaks the chain; so does
one removed or replaced anywhere but at the end. With AUDIT_ARCHIVE_KEY set, `sequence` and
`previous_sha256` are signed with the rest, so the chain cannot be rewritten either.
"""

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.audit.archive_files import (
    DATA_SUFFIX,
    MANIFEST_SUFFIX,
    TABLES,
    archive_name,
    file_sha256,
    name_pattern,
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
    names = {manifest.name for manifest in manifests}
    for table in TABLES:
        chain = Chain.of(manifests[0].parent, table)
        problems.extend(text for about, text in chain.problems if names & set(about))
    return len(manifests), problems


@dataclass(frozen=True, slots=True)
class Link:
    name: str
    sha256: str
    sequence: int | None
    previous: str | None
    first_id: int
    last_id: int

    @classmethod
    def read(cls, path: Path, first_id: int, last_id: int) -> "Link":
        raw = path.read_bytes()
        manifest = json.loads(raw)
        if not isinstance(manifest, dict):
            raise ValueError("not a JSON object")
        sequence, previous = manifest.get("sequence"), manifest.get("previous_sha256")
        if sequence is not None and (type(sequence) is not int or sequence < 1):
            raise ValueError(f"sequence {sequence!r} is not a positive whole number")
        if previous is not None and not isinstance(previous, str):
            raise ValueError(f"previous_sha256 {previous!r} is not a hash")
        digest = hashlib.sha256(raw).hexdigest()
        return cls(path.name, digest, sequence, previous, first_id, last_id)


# A break in the chain: the manifests it concerns, and what is wrong.
Break = tuple[tuple[str, ...], str]


@dataclass(frozen=True, slots=True)
class Chain:
    """A table's manifests in chain order, and every break in it."""

    table: str
    links: list[Link]
    problems: list[Break]

    @classmethod
    def of(cls, directory: Path, table: str) -> "Chain":
        pattern = name_pattern(table)
        links: list[Link] = []
        problems: list[Break] = []
        for path in directory.glob(f"{table}-*{DATA_SUFFIX}{MANIFEST_SUFFIX}"):
            match = pattern.match(path.name.removesuffix(MANIFEST_SUFFIX))
            if match is None:
                continue
            try:
                links.append(Link.read(path, int(match.group(1)), int(match.group(2))))
            except (OSError, ValueError) as error:
                text = f"{path.name}: unreadable as a link of the chain of {table} ({error})"
                problems.append(((path.name,), text))
        unchained = sorted(
            (link for link in links if link.sequence is None),
            key=lambda link: (link.first_id, link.last_id, link.name),
        )
        chained = sorted(
            (link for link in links if link.sequence is not None),
            key=lambda link: (link.sequence or 0, link.first_id, link.name),
        )
        before = unchained[-1] if unchained else None
        for place, link in enumerate(chained, start=1):
            problems.extend(_breaks(table, place, link, before))
            before = link
        return cls(table, [*unchained, *chained], problems)

    @property
    def head(self) -> tuple[int, str | None]:
        """(the next manifest's sequence, the SHA-256 it records as previous)."""
        chained = sum(1 for link in self.links if link.sequence is not None)
        return chained + 1, self.links[-1].sha256 if self.links else None


def _breaks(table: str, place: int, link: Link, before: Link | None) -> list[Break]:
    where = f"{link.name}: the chain of {table} breaks here"
    problems: list[Break] = []
    if link.sequence != place:
        problems.append(
            (
                (link.name,),
                f"{where}: it claims place {link.sequence}, but is manifest {place} in order "
                "(a manifest was inserted or removed)",
            )
        )
    if before is None and link.previous is not None:
        text = f"{where}: it names a previous manifest, but none comes before it"
        problems.append(((link.name,), text))
    elif before is not None and link.previous != before.sha256:
        problems.append(
            (
                (link.name, before.name),
                f"{where}: it does not name {before.name}, the manifest before it, as its "
                "previous one (a manifest was inserted, removed or replaced)",
            )
        )
    return problems
