"""Moving old audit rows into signed, verifiable JSON-lines archives (run by cron).

Per table, in id order, one batch at a time (memory stays flat):

1. select up to `batch_size` rows older than the cut-off, walking the primary key;
2. write `<table>-<first id>-<last id>.jsonl.gz` and its `.manifest.json` under temporary
   names, fsync both, link them to their final names (a link never replaces an existing file),
   fsync the directory; the manifest takes the next place in its table's chain
   (see archive_verify);
3. re-read both from disk: the manifest must be the one written (and its HMAC hold), the file
   must have the manifest's SHA-256 and decompress to exactly the lines written for the batch;
4. delete exactly the archived ids (ids can commit out of order, so never a range) and commit.

A run killed between 2 and 4 leaves a complete archive whose rows are still in the database:
the next run starts by finishing that work, so every row ends up exactly once in the database
or in an archive. Finishing trusts no file name: the chain of manifests must hold, each archive
must verify, and a row goes only if it is older than the cut-off and exactly its archived line
(a row that is not in the file as it is would be lost). Two runs never overlap (archive_lock).
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Table, func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.audit.archive_files import (
    DATA_SUFFIX,
    MANIFEST_SUFFIX,
    TABLES,
    ArchiveError,
    RowShape,
    manifest_of,
    name_pattern,
    read_lines,
    read_manifest,
)
from app.audit.archive_lock import archive_lock
from app.audit.archive_rows import delete_archived, delete_ids
from app.audit.archive_verify import Chain, verify_manifest
from app.audit.archive_write import Batch, check_batch, write_batch
from app.core.db.database import READ_ONLY
from app.core.db.models import utc_now

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
    # Rows of an interrupted run's archive: deleted now, or kept (see `delete_archived`).
    recovered: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)


class Archiver:
    def __init__(
        self, engine: AsyncEngine, options: ArchiveOptions, progress: Progress | None = None
    ) -> None:
        self.engine = engine
        self.options = options
        self.progress = progress or (lambda _table, _rows: None)
        self.report = ArchiveReport(cutoff=utc_now() - timedelta(days=options.older_than_days))
        # Per table: the next manifest's place in the chain (sequence, previous SHA-256).
        self.places: dict[str, tuple[int, str | None]] = {}

    async def run(self) -> ArchiveReport:
        directory = self.options.output_dir
        if not self.options.dry_run:
            directory.mkdir(parents=True, exist_ok=True)
        async with archive_lock(self.engine):
            if self.options.dry_run:
                for name, (table, _) in TABLES.items():
                    self.report.rows[name] = await self._count(table)
                return self.report
            for name in TABLES:
                self._set_aside_leftovers(name)
                self.places[name] = self._chain_head(name)
            for name, (table, shape) in TABLES.items():
                rows_shape = RowShape.of(shape)
                await self._finish_earlier_runs(name, table, rows_shape)
                self.report.rows[name] = await self._archive_table(name, table, rows_shape)
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

    def _chain_head(self, name: str) -> tuple[int, str | None]:
        chain = Chain.of(self.options.output_dir, name)
        if chain.problems:
            raise ArchiveError(
                f"the manifests of {name} do not form one chain, nothing was deleted: "
                + "; ".join(problem for _, problem in chain.problems)
                + ". Run `verify` on the directory and move away what does not belong in it."
            )
        return chain.head

    async def _finish_earlier_runs(self, name: str, table: Table, rows_shape: RowShape) -> None:
        """Delete the rows still in the database of each archive that may hold some."""
        async with self.engine.connect() as conn:
            lowest = (await conn.execute(select(func.min(table.c.id)))).scalar()
        self.report.recovered[name] = self.report.kept[name] = 0
        if lowest is None:
            return
        pattern = name_pattern(name)
        for data in sorted(self.options.output_dir.glob(f"{name}-*{DATA_SUFFIX}")):
            match = pattern.match(data.name)
            if match is None or int(match.group(2)) < lowest:
                continue
            problems = verify_manifest(manifest_of(data), self.options.key)
            if problems:
                raise ArchiveError(
                    "an earlier archive does not verify, nothing was deleted: "
                    + "; ".join(problems)
                )
            lines = {int(json.loads(line)["id"]): line for line in read_lines(data)}
            cutoff = self._finishing_cutoff(manifest_of(data))
            deleted, kept = await delete_archived(self.engine, table, rows_shape, lines, cutoff)
            self.report.recovered[name] += deleted
            self.report.kept[name] += kept

    def _finishing_cutoff(self, manifest_path: Path) -> datetime:
        """What an earlier run's rows must be older than to be deleted now: that run's cut-off
        when its manifest is signed (and verified, above). Anyone who can write the directory
        can write an unsigned manifest and its cut-off, so then this run's applies as well: a
        file slipped in cannot take rows that this run would not archive itself."""
        try:
            recorded = datetime.fromisoformat(str(read_manifest(manifest_path)["cutoff"]))
        except (OSError, KeyError, ValueError) as error:
            raise ArchiveError(
                f"{manifest_path.name}: no valid cut-off ({error}), nothing was deleted"
            ) from error
        if recorded.tzinfo is None:
            raise ArchiveError(f"{manifest_path.name}: cut-off without a time zone")
        if self.options.key is not None:
            return recorded
        return min(recorded, self.report.cutoff)

    async def _archive_table(self, name: str, table: Table, rows_shape: RowShape) -> int:
        await self._plan_on_primary_key(table)
        moved = 0
        after_id = 0
        while True:
            batch = await self._batch(table, rows_shape, after_id)
            if batch is None:
                return moved
            written = write_batch(
                self.options.output_dir,
                name,
                batch,
                cutoff=self.report.cutoff,
                key=self.options.key,
                place=self.places[name],
            )
            check_batch(written, batch, self.options.key)
            self.places[name] = (self.places[name][0] + 1, written.manifest_sha256)
            await delete_ids(self.engine, table, batch.ids)
            self.report.files.append(written.path)
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
