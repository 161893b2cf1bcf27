"""Moving old audit rows into signed, verifiable JSON-lines archives (run by cron).

Per table, in id order, one batch at a time (memory stays flat):

1. select up to `batch_size` rows older than the cut-off, walking the primary key;
2. write `<table>-<first id>-<last id>.jsonl.gz` and its `.manifest.json` under temporary
   names, fsync both, link them to their final names (a link never replaces an existing file),
   fsync the directory;
3. re-read both from disk: the manifest must be the one written (and its HMAC hold), the file
   must have the manifest's SHA-256 and decompress to exactly the lines written for the batch;
4. delete exactly the archived ids (ids can commit out of order, so never a range) and commit.

A run killed between 2 and 4 leaves a complete archive whose rows are still in the database:
the next run starts by finishing that work (it verifies each archive that may still have rows
in the database and deletes those ids), so every row ends up exactly once in the database or in
an archive. Two runs never overlap: a PostgreSQL session advisory lock, or `flock` on a file
next to the SQLite database; both die with the process.
"""

import gzip
import hashlib
import json
import os
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from sqlalchemy import String, Table, any_, bindparam, delete, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncEngine

from app.audit.archive_files import (
    DATA_SUFFIX,
    GZIP_LEVEL,
    MANIFEST_SUFFIX,
    TABLES,
    ArchiveError,
    RowShape,
    archive_name,
    fsync_dir,
    name_pattern,
    publish,
    read_manifest,
    read_rows,
    sign,
    signature_problems,
)
from app.audit.archive_lock import archive_lock
from app.audit.archive_verify import verify_manifest
from app.core.database import READ_ONLY
from app.core.models import utc_now

Progress = Callable[[str, int], None]


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


@dataclass(frozen=True, slots=True)
class Batch:
    """One archive file's worth: the ids in it and its content before compression."""

    ids: list[int]
    payload: bytes
    first: dict[str, Any]
    last: dict[str, Any]


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
        pattern = name_pattern(name)
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
            ids = [int(row["id"]) for row in read_rows(data)]
            deleted += await delete_ids(self.engine, table, ids)
        return deleted

    async def _archive_table(self, name: str, table: Table, shape: type[BaseModel]) -> int:
        await self._plan_on_primary_key(table)
        rows_shape = RowShape.of(shape)
        moved = 0
        after_id = 0
        while True:
            batch = await self._batch(table, rows_shape, after_id)
            if batch is None:
                return moved
            path, manifest = self._write(name, batch)
            self._check(path, manifest, batch)
            await delete_ids(self.engine, table, batch.ids)
            self.report.files.append(path)
            moved += len(batch.ids)
            after_id = batch.ids[-1]
            self.progress(name, moved)

    async def _plan_on_primary_key(self, table: Table) -> None:
        """PostgreSQL plans the batch query from the table's statistics. A table never analysed
        (bulk-loaded, restored, or filled since the last autovacuum) has none, and the guess
        it makes then bitmap-scans both indexes over every old row and sorts them, for every
        batch: 0.4 s a batch at a million rows. ANALYZE reads a fixed-size sample, so it is
        cheap at any size; with statistics the plan walks the primary key and stops at the
        batch's end (4 ms)."""
        if self.engine.dialect.name != "postgresql":
            return
        async with self.engine.connect() as conn:
            analysed = (
                await conn.execute(
                    text(
                        "SELECT EXISTS (SELECT 1 FROM pg_stats WHERE tablename = :table"
                        " AND schemaname = current_schema())"
                    ),
                    {"table": table.name},
                )
            ).scalar()
            if not analysed:
                await conn.execute(
                    text(f"ANALYZE {conn.dialect.identifier_preparer.quote(table.name)}")
                )
            await conn.commit()

    async def _batch(self, table: Table, rows_shape: RowShape, after_id: int) -> Batch | None:
        """The next rows, by id, already as their archive lines (Core rows, no ORM objects)."""
        stmt = (
            select(*(table.c[column] for column in rows_shape.columns))
            .where(table.c.id > after_id, self._old(table))
            .order_by(table.c.id)
            .limit(self.options.batch_size)
        )
        id_at = rows_shape.columns.index("id")
        ids: list[int] = []
        lines: list[str] = []
        async with self.engine.connect() as conn:
            # A read: on SQLite it must not take the write lock the app's requests queue on.
            await conn.execution_options(**{READ_ONLY: True})
            for row in await conn.execute(stmt):
                ids.append(int(row[id_at]))
                lines.append(rows_shape.line(row))
        if not ids:
            return None
        # The manifest's first and last values come from the lines themselves: they are what
        # `verify` will find in the file.
        first, last = json.loads(lines[0]), json.loads(lines[-1])
        lines.append("")
        return Batch(ids=ids, payload="\n".join(lines).encode(), first=first, last=last)

    def _write(self, name: str, batch: Batch) -> tuple[Path, dict[str, Any]]:
        directory = self.options.output_dir
        first, last = batch.first, batch.last
        final = directory / archive_name(name, first["id"], last["id"])
        manifest_final = final.with_name(final.name + MANIFEST_SUFFIX)
        if final.exists() or manifest_final.exists():
            raise ArchiveError(f"{final} already exists; refusing to overwrite it")
        compressed = gzip.compress(batch.payload, compresslevel=GZIP_LEVEL, mtime=0)
        tmp = final.with_name(final.name + ".tmp")
        with tmp.open("wb") as raw:
            raw.write(compressed)
            raw.flush()
            os.fsync(raw.fileno())
        manifest: dict[str, Any] = {
            "table": name,
            "file": final.name,
            "row_count": len(batch.ids),
            "first_id": first["id"],
            "last_id": last["id"],
            "first_occurred_at": first["occurred_at"],
            "last_occurred_at": last["occurred_at"],
            # Of the bytes meant for the file; `_check` proves the file on disk has them.
            "sha256": hashlib.sha256(compressed).hexdigest(),
            "created_at": utc_now().isoformat(),
            "cutoff": self.report.cutoff.isoformat(),
        }
        if self.options.key is not None:
            manifest["hmac"] = sign(manifest, self.options.key)
        manifest_tmp = manifest_final.with_name(manifest_final.name + ".tmp")
        with manifest_tmp.open("w", encoding="utf-8") as handle:
            json.dump(manifest, handle, indent=2, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        # The data file first: a manifest always has its file; a file without its manifest is
        # what a killed run leaves, and the next run sets it aside.
        publish(tmp, final)
        publish(manifest_tmp, manifest_final)
        fsync_dir(directory)
        return final, manifest

    def _check(self, path: Path, written: dict[str, Any], batch: Batch) -> None:
        """Re-read what was published: the manifest is the one written and its signature
        holds; the file has the manifest's SHA-256 and decompresses to exactly the batch's
        lines, so it holds exactly the ids about to be deleted, in order, and nothing else.

        Comparing bytes checks more than parsing every line back (what `verify` does, having
        no batch to compare with), for a fraction of its cost."""
        manifest_path = path.with_name(path.name + MANIFEST_SUFFIX)
        try:
            manifest = read_manifest(manifest_path)
            data = path.read_bytes()
        except (OSError, ValueError) as error:
            raise ArchiveError(f"re-reading the archive failed: {error}") from error
        problems = signature_problems(manifest_path.name, manifest, self.options.key)
        if manifest != written:
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


async def delete_ids(engine: AsyncEngine, table: Table, ids: list[int]) -> int:
    """Delete exactly these ids, in one statement and one transaction; how many were still
    there. The ids go as one parameter (an array; a JSON list on SQLite), not as thousands of
    placeholders that SQLAlchemy would render and bind chunk after chunk."""
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            array = bindparam("ids", ids, type_=ARRAY(table.c.id.type))
            stmt = delete(table).where(table.c.id == any_(array))
        else:
            each = func.json_each(bindparam("ids", json.dumps(ids), type_=String))
            stmt = delete(table).where(table.c.id.in_(select(each.table_valued("value").c.value)))
        result = await conn.execute(stmt)
        return result.rowcount
