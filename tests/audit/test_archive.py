"""The archive job: moves old rows into verifiable files, exactly once, whatever happens."""

import asyncio
import gzip
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.audit import archive as archive_module
from app.audit import archive_files, archive_rows, archive_write
from app.audit.archive import Archiver
from app.audit.archive_files import ArchiveError, RowShape
from app.audit.archive_lock import archive_lock
from app.audit.archive_rows import delete_ids
from app.audit.archive_verify import verify_path
from app.audit.schemas import AccessRead, ChangeRead
from app.core.audit.tables import AUDIT_CHANGES
from app.core.config import get_settings
from app.core.db.database import create_engine
from scripts import archive_audit
from tests.audit.archive_support import (
    KEY,
    ids_in_archives,
    ids_in_db,
    names,
    options,
    seed,
)


@pytest.fixture
async def engine(test_env: None) -> AsyncIterator[AsyncEngine]:
    built = create_engine(get_settings())
    yield built
    await built.dispose()


async def test_a_run_moves_old_rows_into_verified_files_and_a_second_moves_nothing(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    await seed(engine, old=10, new=3)
    before = await ids_in_db(engine, AUDIT_CHANGES)

    report = await Archiver(engine, options(tmp_path, key=KEY)).run()
    again = await Archiver(engine, options(tmp_path, key=KEY)).run()

    assert report.rows == {"audit_changes": 10, "audit_access": 10}
    assert again.rows == {"audit_changes": 0, "audit_access": 0}
    assert again.recovered == {"audit_changes": 0, "audit_access": 0}
    assert len(await ids_in_db(engine, AUDIT_CHANGES)) == 3
    archived = ids_in_archives(tmp_path, "audit_changes")
    assert sorted(archived + await ids_in_db(engine, AUDIT_CHANGES)) == before
    assert names(tmp_path, "audit_changes-*") == [
        "audit_changes-1-4.jsonl.gz",
        "audit_changes-1-4.jsonl.gz.manifest.json",
        "audit_changes-5-8.jsonl.gz",
        "audit_changes-5-8.jsonl.gz.manifest.json",
        "audit_changes-9-10.jsonl.gz",
        "audit_changes-9-10.jsonl.gz.manifest.json",
    ]
    assert verify_path(tmp_path, KEY) == (6, [])
    manifest = json.loads((tmp_path / "audit_changes-1-4.jsonl.gz.manifest.json").read_text())
    assert manifest["table"] == "audit_changes"
    assert manifest["row_count"] == 4
    assert (manifest["first_id"], manifest["last_id"]) == (1, 4)
    assert len(manifest["sha256"]) == 64
    assert len(manifest["hmac"]) == 64
    with gzip.open(tmp_path / "audit_changes-1-4.jsonl.gz", "rt") as lines:
        row = json.loads(next(lines))
    assert set(row) >= {"id", "occurred_at", "action", "entity", "changes", "event", "reason"}


CHANGE = {
    "id": 7,
    "occurred_at": datetime(2026, 1, 2, 3, 4, 5, 120, tzinfo=UTC),
    "action": "update",
    "entity": "products",
    "entity_id": 42,
    "actor_id": None,
    "actor": "zoë@example.com",
    "request_id": "r-1",
    "client_ip": None,
    "event": None,
    "reason": 'price list\n2027 \u2028 "quoted"',
    "changes": {"price": {"old": "19.90", "new": "21.00"}, "tags": {"old": [], "new": [1.5]}},
}
ACCESS = {
    "id": 8,
    "occurred_at": datetime(2026, 1, 2, tzinfo=UTC),
    "request_id": "r-2",
    "method": "GET",
    "route": None,
    "path": "/api/v1/products",
    "status_code": 200,
    "duration_ms": 2,
    "user_id": 3,
    "client_ip": "10.0.0.1",
    "user_agent": None,
}


@pytest.mark.parametrize(
    ("shape", "row"),
    [
        (ChangeRead, CHANGE),
        (ChangeRead, {**CHANGE, "changes": {"ratio": {"old": float("nan"), "new": 1e400}}}),
        (AccessRead, ACCESS),
        (AccessRead, {**ACCESS, "duration_ms": float("inf")}),
    ],
)
def test_an_archive_line_is_the_api_row_shape_byte_for_byte(
    shape: type[BaseModel], row: dict[str, Any]
) -> None:
    rows_shape = RowShape.of(shape)
    expected = json.dumps(shape.model_validate(row).model_dump(mode="json"), sort_keys=True)

    line = rows_shape.line(tuple(row[column] for column in rows_shape.columns))

    assert line == expected


def flip_a_byte(path: Path) -> None:
    content = bytearray(path.read_bytes())
    content[len(content) // 2] ^= 0xFF
    path.write_bytes(bytes(content))


def drop_a_row(path: Path) -> None:
    manifest = json.loads(path.read_text())
    manifest["row_count"] -= 1
    path.write_text(json.dumps(manifest))


@pytest.mark.parametrize(
    ("tampered", "alter"),
    [
        ("audit_changes-1-4.jsonl.gz", flip_a_byte),
        ("audit_changes-1-4.jsonl.gz.manifest.json", drop_a_row),
    ],
)
async def test_a_file_altered_before_it_is_read_back_stops_the_run_before_any_delete(
    engine: AsyncEngine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    tampered: str,
    alter: Callable[[Path], None],
) -> None:
    await seed(engine, old=4, new=0)
    real_fsync_dir = archive_files.fsync_dir

    def fsync_then_alter(directory: Path) -> None:
        real_fsync_dir(directory)
        alter(directory / tampered)

    monkeypatch.setattr(archive_write, "fsync_dir", fsync_then_alter)

    with pytest.raises(ArchiveError, match="re-reading the archive failed"):
        await Archiver(engine, options(tmp_path)).run()

    assert await ids_in_db(engine, AUDIT_CHANGES) == [1, 2, 3, 4]


async def test_delete_ids_deletes_exactly_the_ids_given_and_counts_those_found(
    engine: AsyncEngine,
) -> None:
    await seed(engine, old=10, new=0)

    deleted = await delete_ids(engine, AUDIT_CHANGES, [2, 5, 9, 99])

    assert deleted == 3
    assert await ids_in_db(engine, AUDIT_CHANGES) == [1, 3, 4, 6, 7, 8, 10]


async def test_a_table_without_statistics_is_analysed_before_it_is_archived(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("only PostgreSQL plans from statistics that a run may have to gather")
    await seed(engine, old=3, new=1)
    stats = text("SELECT count(*) FROM pg_stats WHERE tablename = 'audit_changes'")
    async with engine.connect() as conn:
        assert (await conn.execute(stats)).scalar_one() == 0

    await Archiver(engine, options(tmp_path)).run()

    async with engine.connect() as conn:
        assert (await conn.execute(stats)).scalar_one() > 0


async def test_zero_days_archives_everything_committed_before_the_run(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    await seed(engine, old=2, new=3)

    report = await Archiver(engine, options(tmp_path, older_than_days=0)).run()

    assert report.rows == {"audit_changes": 5, "audit_access": 5}
    assert await ids_in_db(engine, AUDIT_CHANGES) == []


async def test_a_run_killed_between_write_and_delete_is_finished_by_the_next(
    engine: AsyncEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed(engine, old=10, new=2)
    before = await ids_in_db(engine, AUDIT_CHANGES)
    real_delete = archive_rows.delete_ids
    calls = 0

    async def dies_on_second_batch(engine: AsyncEngine, table: Table, ids: list[int]) -> int:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise KeyboardInterrupt("killed after writing, before deleting")
        return await real_delete(engine, table, ids)

    monkeypatch.setattr(archive_module, "delete_ids", dies_on_second_batch)
    with pytest.raises(KeyboardInterrupt):
        await Archiver(engine, options(tmp_path)).run()
    monkeypatch.setattr(archive_module, "delete_ids", real_delete)
    # The interrupted batch is in an archive and still in the database.
    assert 5 in ids_in_archives(tmp_path, "audit_changes")
    assert 5 in await ids_in_db(engine, AUDIT_CHANGES)

    report = await Archiver(engine, options(tmp_path)).run()

    assert report.recovered["audit_changes"] == 4
    archived = ids_in_archives(tmp_path, "audit_changes")
    remaining = await ids_in_db(engine, AUDIT_CHANGES)
    assert sorted(archived + remaining) == before
    assert len(set(archived)) == len(archived)
    assert set(archived).isdisjoint(remaining)
    assert verify_path(tmp_path, None) == (6, [])


async def test_leftovers_of_a_killed_write_are_set_aside_and_redone(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    await seed(engine, old=3, new=0)
    (tmp_path / "audit_changes-1-3.jsonl.gz.tmp").write_bytes(b"partial")
    (tmp_path / "audit_changes-1-3.jsonl.gz").write_bytes(b"no manifest yet")

    report = await Archiver(engine, options(tmp_path)).run()

    assert report.rows["audit_changes"] == 3
    assert names(tmp_path, "*.tmp") == []
    assert len(names(tmp_path, "audit_changes-1-3.jsonl.gz.incomplete-*")) == 1
    assert verify_path(tmp_path, None) == (2, [])


async def test_a_tampered_archive_fails_verify_and_blocks_the_next_run(
    engine: AsyncEngine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await seed(engine, old=4, new=0)
    await Archiver(engine, options(tmp_path, key=KEY)).run()
    data = tmp_path / "audit_changes-1-4.jsonl.gz"
    rows = gzip.decompress(data.read_bytes()).replace(b'"new": 1', b'"new": 9')
    data.write_bytes(gzip.compress(rows))
    manifest = tmp_path / "audit_access-1-4.jsonl.gz.manifest.json"
    content = json.loads(manifest.read_text())
    content["row_count"] = 3
    manifest.write_text(json.dumps(content))

    checked, problems = verify_path(tmp_path, KEY)

    assert checked == 2
    assert any("SHA-256" in p and "audit_changes-1-4" in p for p in problems)
    assert any("HMAC" in p and "audit_access-1-4" in p for p in problems)
    assert any("row_count" in p for p in problems)
    assert verify_path(tmp_path / "nothing-here", KEY)[1] != []
    assert verify_path(data.with_name(data.name + ".manifest.json"), KEY)[1] != []


async def test_an_unfinished_archive_that_no_longer_verifies_stops_the_run(
    engine: AsyncEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await seed(engine, old=4, new=0)

    async def killed(*_: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(archive_module, "delete_ids", killed)
    with pytest.raises(KeyboardInterrupt):
        await Archiver(engine, options(tmp_path)).run()
    monkeypatch.undo()
    (tmp_path / "audit_changes-1-4.jsonl.gz").write_bytes(gzip.compress(b"{}\n"))

    with pytest.raises(ArchiveError, match="does not verify, nothing was deleted"):
        await Archiver(engine, options(tmp_path)).run()

    assert await ids_in_db(engine, AUDIT_CHANGES) == [1, 2, 3, 4]


async def test_verify_needs_the_key_of_a_signed_archive_and_refuses_unsigned_ones(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    await seed(engine, old=1, new=0)
    await Archiver(engine, options(tmp_path / "signed", key=KEY)).run()
    await seed(engine, old=1, new=0)
    await Archiver(engine, options(tmp_path / "plain")).run()

    assert verify_path(tmp_path / "signed", KEY)[1] == []
    assert "set AUDIT_ARCHIVE_KEY" in verify_path(tmp_path / "signed", None)[1][0]
    assert "HMAC" in verify_path(tmp_path / "signed", "x" * 32)[1][0]
    assert "not signed" in verify_path(tmp_path / "plain", KEY)[1][0]
    assert verify_path(tmp_path / "plain", None)[1] == []


async def test_a_dry_run_counts_and_changes_nothing(engine: AsyncEngine, tmp_path: Path) -> None:
    await seed(engine, old=3, new=1)

    report = await Archiver(engine, options(tmp_path / "out", dry_run=True)).run()

    assert report.rows == {"audit_changes": 3, "audit_access": 3}
    assert len(await ids_in_db(engine, AUDIT_CHANGES)) == 4
    assert not (tmp_path / "out").exists()


async def test_two_runs_never_overlap(engine: AsyncEngine, tmp_path: Path) -> None:
    async with archive_lock(engine):
        with pytest.raises(ArchiveError, match="another archive run holds the lock"):
            await Archiver(engine, options(tmp_path)).run()

    assert (await Archiver(engine, options(tmp_path)).run()).rows["audit_changes"] == 0


async def test_an_existing_file_is_never_overwritten(engine: AsyncEngine, tmp_path: Path) -> None:
    await seed(engine, old=2, new=0)
    (tmp_path / "audit_changes-1-2.jsonl.gz.manifest.json").write_text("{}")

    with pytest.raises(ArchiveError):
        await Archiver(engine, options(tmp_path)).run()

    assert (tmp_path / "audit_changes-1-2.jsonl.gz.manifest.json").read_text() == "{}"
    assert len(await ids_in_db(engine, AUDIT_CHANGES)) == 2


def test_the_script_archives_verifies_and_fails_clearly(
    test_env: None, database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async def prepare() -> None:
        built = create_engine(get_settings())
        await seed(built, old=3, new=0)
        await built.dispose()

    asyncio.run(prepare())
    out = str(tmp_path / "out")

    assert archive_audit.main(["--output-dir", out, "--older-than-days", "1", "--dry-run"]) == 0
    assert "would archive 3 rows" in capsys.readouterr().out
    assert archive_audit.main(["--output-dir", out, "--older-than-days", "0.5"]) == 0
    assert "audit_changes: archived 3 rows" in capsys.readouterr().out
    assert archive_audit.main(["verify", out]) == 0
    assert "OK: 2 manifest(s) verified" in capsys.readouterr().out
    next(Path(out).glob("audit_access-*.jsonl.gz")).write_bytes(b"garbage")
    assert archive_audit.main(["verify", out]) == 1
    assert "FAIL" in capsys.readouterr().err
    assert archive_audit.main(["--output-dir", str(next(Path(out).iterdir()))]) == 1
    assert "archive_audit: failed:" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        archive_audit.main(["--older-than-days", "-1"])
    with pytest.raises(SystemExit):
        archive_audit.main(["--batch-size", "0"])
