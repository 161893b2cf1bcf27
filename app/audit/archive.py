"""Moving old audit rows into signed, verifiable JSON-lines archives (run by cron).

Per table, in id order, one batch at a time (memory stays flat):

1. select up to `batch_size` rows older than the cut-off;
2. write `<table>-<first id>-<last id>.jsonl.gz` and its `.manifest.json` under temporary
   names, fsync both, link them to their final names (a link never replaces an existing file),
   fsync the directory;
3. re-read the file and check it against the manifest and the batch;
4. delete exactly the archived ids (ids can commit out of order, so never a range).

A run killed between 2 and 4 leaves a complete archive whose rows are still in the database:
the next run starts by finishing that work (it verifies each archive that may still have rows
in the database and deletes those ids), so every row ends up exactly once in the database or in
an archive. Two runs never overlap: a PostgreSQL session advisory lock, or `flock` on a file
next to the SQLite database; both die with the process.
"""

import contextlib
import fcntl
import gzip
import hashlib
import hmac
import json
import os
import re
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Table, delete, func, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.audit.schemas import AccessRead, ChangeRead
from app.core.audit_models import AUDIT_ACCESS, AUDIT_CHANGES
from app.core.models import utc_now

TABLES: dict[str, tuple[Table, type[BaseModel]]] = {
    "audit_changes": (AUDIT_CHANGES, ChangeRead),
    "audit_access": (AUDIT_ACCESS, AccessRead),
}
DATA_SUFFIX = ".jsonl.gz"
MANIFEST_SUFFIX = ".manifest.json"
# Any constant will do: it only has to be the same for every archive run.
PG_LOCK_KEY = 0x4641_5354_4F50_5341
DELETE_CHUNK = 500
READ_CHUNK = 1 << 20

Progress = Callable[[str, int], None]


class ArchiveError(Exception):
    """The run stopped; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class ArchiveOptions:
    output_dir: Path
    older_than_days: float
    batch_size: int
    dry_run: bool = False
    key: str | None = None


@dataclass(slots=True)
class ArchiveReport:
    cutoff: datetime
    rows: dict[str, int] = field(default_factory=dict)
    recovered: dict[str, int] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)


def archive_name(table: str, first_id: int, last_id: int) -> str:
    return f"{table}-{first_id}-{last_id}{DATA_SUFFIX}"


def _names(table: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(table)}-(\d+)-(\d+){re.escape(DATA_SUFFIX)}$")


def _sign(manifest: dict[str, Any], key: str) -> str:
    body = json.dumps(
        {k: v for k, v in manifest.items() if k != "hmac"}, sort_keys=True, separators=(",", ":")
    )
    return hmac.new(key.encode(), body.encode(), hashlib.sha256).hexdigest()


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _publish(tmp: Path, final: Path) -> None:
    """Give `tmp` its final name without ever replacing a file already there."""
    try:
        os.link(tmp, final)
    except FileExistsError as error:
        raise ArchiveError(
            f"{final} already exists; refusing to overwrite it. Run `verify` on it and move it "
            "away if it does not belong to this database."
        ) from error
    finally:
        tmp.unlink(missing_ok=True)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(READ_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _read_rows(path: Path) -> Iterator[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            row: dict[str, Any] = json.loads(line)
            yield row


# --- verification -------------------------------------------------------------------------


def verify_manifest(manifest_path: Path, key: str | None) -> list[str]:
    """Every mismatch between a manifest, its signature and its file (empty: all good)."""
    where = manifest_path.name
    try:
        manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        return [f"{where}: unreadable manifest ({error})"]
    problems: list[str] = []
    signature = manifest.get("hmac")
    if key is not None and signature is None:
        problems.append(f"{where}: not signed, but AUDIT_ARCHIVE_KEY is set")
    elif signature is not None and key is None:
        problems.append(f"{where}: signed; set AUDIT_ARCHIVE_KEY to check the signature")
    elif key is not None and not hmac.compare_digest(str(signature), _sign(manifest, key)):
        problems.append(f"{where}: HMAC does not match (manifest altered or wrong key)")
    data = manifest_path.with_name(str(manifest.get("file", "")))
    if not manifest.get("file") or not data.is_file():
        return [*problems, f"{where}: archive file {manifest.get('file')!r} is missing"]
    if _sha256(data) != manifest.get("sha256"):
        problems.append(f"{data.name}: SHA-256 does not match the manifest")
    try:
        count, first, last = 0, None, None
        previous = 0
        for row in _read_rows(data):
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


# --- the lock -----------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def archive_lock(engine: AsyncEngine) -> AsyncIterator[None]:
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:
            got = (
                await conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": PG_LOCK_KEY})
            ).scalar()
            await conn.commit()
            if not got:
                raise ArchiveError("another archive run holds the lock; try again later")
            try:
                yield
            finally:
                await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": PG_LOCK_KEY})
                await conn.commit()
        return
    database = engine.url.database or "fastops"
    lock_path = Path(f"{database}.archive-lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise ArchiveError("another archive run holds the lock; try again later") from error
        yield
    finally:
        os.close(fd)


# --- the run ------------------------------------------------------------------------------


class Archiver:
    def __init__(
        self, engine: AsyncEngine, options: ArchiveOptions, progress: Progress | None = None
    ) -> None:
        self.engine = engine
        self.options = options
        self.progress = progress or (lambda _table, _rows: None)
        self.report = ArchiveReport(cutoff=utc_now() - timedelta(days=options.older_than_days))

    async def run(self) -> ArchiveReport:
        directory = self.options.output_dir
        if not self.options.dry_run:
            directory.mkdir(parents=True, exist_ok=True)
        async with archive_lock(self.engine):
            for name, (table, shape) in TABLES.items():
                if self.options.dry_run:
                    self.report.rows[name] = await self._count(table)
                    continue
                self._set_aside_leftovers(name)
                self.report.recovered[name] = await self._finish_earlier_runs(name, table)
                self.report.rows[name] = await self._archive_table(name, table, shape)
        return self.report

    async def _count(self, table: Table) -> int:
        async with self.engine.connect() as conn:
            stmt = select(func.count()).select_from(table).where(self._old(table))
            return int((await conn.execute(stmt)).scalar_one())

    def _old(self, table: Table) -> Any:
        return table.c.occurred_at < self.report.cutoff

    def _set_aside_leftovers(self, name: str) -> None:
        """Temporary files and an archive without its manifest are what a killed run leaves:
        their rows were never deleted, so they are moved aside (never removed) and redone."""
        directory = self.options.output_dir
        for tmp in directory.glob(f"{name}-*.tmp"):
            tmp.unlink()
        stamp = utc_now().strftime("%Y%m%dT%H%M%S")
        for data in directory.glob(f"{name}-*{DATA_SUFFIX}"):
            if not data.with_name(data.name + MANIFEST_SUFFIX).exists():
                data.rename(data.with_name(f"{data.name}.incomplete-{stamp}"))

    async def _finish_earlier_runs(self, name: str, table: Table) -> int:
        async with self.engine.connect() as conn:
            lowest = (await conn.execute(select(func.min(table.c.id)))).scalar()
        if lowest is None:
            return 0
        pattern = _names(name)
        deleted = 0
        for data in sorted(self.options.output_dir.glob(f"{name}-*{DATA_SUFFIX}")):
            match = pattern.match(data.name)
            if match is None or int(match.group(2)) < lowest:
                continue
            manifest = data.with_name(data.name + MANIFEST_SUFFIX)
            problems = verify_manifest(manifest, self.options.key)
            if problems:
                raise ArchiveError(
                    "an earlier archive does not verify, nothing was deleted: "
                    + "; ".join(problems)
                )
            ids = [int(row["id"]) for row in _read_rows(data)]
            deleted += await delete_ids(self.engine, table, ids)
        return deleted

    async def _archive_table(self, name: str, table: Table, shape: type[BaseModel]) -> int:
        moved = 0
        after_id = 0
        while True:
            async with self.engine.connect() as conn:
                rows = await self._batch(conn, table, after_id)
            if not rows:
                return moved
            records = [shape.model_validate(row).model_dump(mode="json") for row in rows]
            path = self._write(name, records)
            ids = [int(record["id"]) for record in records]
            self._check(path, ids)
            await delete_ids(self.engine, table, ids)
            self.report.files.append(path)
            moved += len(ids)
            after_id = ids[-1]
            self.progress(name, moved)

    async def _batch(self, conn: AsyncConnection, table: Table, after_id: int) -> list[Any]:
        stmt = (
            select(table)
            .where(self._old(table), table.c.id > after_id)
            .order_by(table.c.id)
            .limit(self.options.batch_size)
        )
        return [dict(row._mapping) for row in await conn.execute(stmt)]

    def _write(self, name: str, records: list[dict[str, Any]]) -> Path:
        directory = self.options.output_dir
        first, last = records[0], records[-1]
        final = directory / archive_name(name, first["id"], last["id"])
        manifest_final = final.with_name(final.name + MANIFEST_SUFFIX)
        if final.exists() or manifest_final.exists():
            raise ArchiveError(f"{final} already exists; refusing to overwrite it")
        tmp = final.with_name(final.name + ".tmp")
        with tmp.open("wb") as raw:
            with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as zipped:
                for record in records:
                    zipped.write(json.dumps(record, sort_keys=True).encode() + b"\n")
            raw.flush()
            os.fsync(raw.fileno())
        manifest: dict[str, Any] = {
            "table": name,
            "file": final.name,
            "row_count": len(records),
            "first_id": first["id"],
            "last_id": last["id"],
            "first_occurred_at": first["occurred_at"],
            "last_occurred_at": last["occurred_at"],
            "sha256": _sha256(tmp),
            "created_at": utc_now().isoformat(),
            "cutoff": self.report.cutoff.isoformat(),
        }
        if self.options.key is not None:
            manifest["hmac"] = _sign(manifest, self.options.key)
        manifest_tmp = manifest_final.with_name(manifest_final.name + ".tmp")
        with manifest_tmp.open("w", encoding="utf-8") as handle:
            json.dump(manifest, handle, indent=2, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        # The data file first: a manifest always has its file; a file without its manifest is
        # what a killed run leaves, and the next run sets it aside.
        _publish(tmp, final)
        _publish(manifest_tmp, manifest_final)
        _fsync_dir(directory)
        return final

    def _check(self, path: Path, ids: list[int]) -> None:
        problems = verify_manifest(path.with_name(path.name + MANIFEST_SUFFIX), self.options.key)
        if not problems and [int(row["id"]) for row in _read_rows(path)] != ids:
            problems.append(f"{path.name}: the ids read back differ from the rows written")
        if problems:
            raise ArchiveError("re-reading the archive failed: " + "; ".join(problems))


async def delete_ids(engine: AsyncEngine, table: Table, ids: list[int]) -> int:
    """Delete exactly these ids (in chunks, one transaction); how many were still there."""
    deleted = 0
    async with engine.begin() as conn:
        for start in range(0, len(ids), DELETE_CHUNK):
            chunk = ids[start : start + DELETE_CHUNK]
            result = await conn.execute(delete(table).where(table.c.id.in_(chunk)))
            deleted += result.rowcount
    return deleted
