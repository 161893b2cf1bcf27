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

import contextlib
import fcntl
import gzip
import hashlib
import hmac
import json
import os
import re
import zlib
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel
from pydantic_core import to_jsonable_python
from sqlalchemy import String, Table, any_, bindparam, delete, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncEngine

from app.audit.schemas import AccessRead, ChangeRead
from app.core.audit_models import AUDIT_ACCESS, AUDIT_CHANGES
from app.core.database import READ_ONLY
from app.core.models import utc_now

TABLES: dict[str, tuple[Table, type[BaseModel]]] = {
    "audit_changes": (AUDIT_CHANGES, ChangeRead),
    "audit_access": (AUDIT_ACCESS, AccessRead),
}
DATA_SUFFIX = ".jsonl.gz"
MANIFEST_SUFFIX = ".manifest.json"
# Any constant will do: it only has to be the same for every archive run.
PG_LOCK_KEY = 0x4641_5354_4F50_5341
READ_CHUNK = 1 << 20
# zlib's own default. Level 9 (GzipFile's default) took five times the CPU of the whole
# compression for files 2 % smaller; any level reads back the same.
GZIP_LEVEL = 6

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


def _read_manifest(path: Path) -> dict[str, Any]:
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return manifest


def _signature_problems(where: str, manifest: dict[str, Any], key: str | None) -> list[str]:
    signature = manifest.get("hmac")
    if key is not None and signature is None:
        return [f"{where}: not signed, but AUDIT_ARCHIVE_KEY is set"]
    if signature is not None and key is None:
        return [f"{where}: signed; set AUDIT_ARCHIVE_KEY to check the signature"]
    if key is not None and not hmac.compare_digest(str(signature), _sign(manifest, key)):
        return [f"{where}: HMAC does not match (manifest altered or wrong key)"]
    return []


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
        manifest = _read_manifest(manifest_path)
    except (OSError, ValueError) as error:
        return [f"{where}: unreadable manifest ({error})"]
    problems = _signature_problems(where, manifest, key)
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


# --- rows as JSON lines ----------------------------------------------------------------------

_encode = json.JSONEncoder(sort_keys=True, allow_nan=False).encode


@dataclass(frozen=True, slots=True)
class RowShape:
    """A table's rows as archive lines: for every row, exactly the text of
    `json.dumps(shape.model_validate(row).model_dump(mode="json"), sort_keys=True)` (the API's
    row shape), without building and dumping a model per row, which took a third of a run."""

    shape: type[BaseModel]
    columns: tuple[str, ...]
    # (column position, conversion) for the fields whose JSON form is not the database value
    converters: tuple[tuple[int, Callable[[Any], Any]], ...]

    @classmethod
    def of(cls, shape: type[BaseModel]) -> "RowShape":
        columns = tuple(shape.model_fields)
        converters: list[tuple[int, Callable[[Any], Any]]] = []
        for position, name in enumerate(columns):
            annotation = shape.model_fields[name].annotation
            kinds = set(get_args(annotation)) or {annotation}
            if datetime in kinds:
                converters.append((position, to_jsonable_python))  # pydantic's own ISO form
            elif float in kinds:
                converters.append((position, float))  # pydantic turns a float field's 2 into 2.0
        return cls(shape, columns, tuple(converters))

    def line(self, row: Sequence[Any]) -> str:
        record = dict(zip(self.columns, row, strict=True))
        for position, convert in self.converters:
            value = row[position]
            if value is not None:
                record[self.columns[position]] = convert(value)
        try:
            return _encode(record)
        except ValueError:
            # NaN or an infinity, which pydantic writes differently depending on the field
            # (null in `changes`, Infinity in a float column): the model itself decides.
            model = self.shape.model_validate(dict(zip(self.columns, row, strict=True)))
            return json.dumps(model.model_dump(mode="json"), sort_keys=True)


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
        return final, manifest

    def _check(self, path: Path, written: dict[str, Any], batch: Batch) -> None:
        """Re-read what was published: the manifest is the one written and its signature
        holds; the file has the manifest's SHA-256 and decompresses to exactly the batch's
        lines, so it holds exactly the ids about to be deleted, in order, and nothing else.

        Comparing bytes checks more than parsing every line back (what `verify` does, having
        no batch to compare with), for a fraction of its cost."""
        manifest_path = path.with_name(path.name + MANIFEST_SUFFIX)
        try:
            manifest = _read_manifest(manifest_path)
            data = path.read_bytes()
        except (OSError, ValueError) as error:
            raise ArchiveError(f"re-reading the archive failed: {error}") from error
        problems = _signature_problems(manifest_path.name, manifest, self.options.key)
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
