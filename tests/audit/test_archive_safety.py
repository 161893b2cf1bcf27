"""The archive deletes only what it holds: never a row that is not exactly in a file, never a
row younger than the cut-off, never on the word of a file slipped into its directory."""

import asyncio
import gzip
import hashlib
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.audit import archive as archive_module
from app.audit.archive import Archiver
from app.audit.archive_files import TABLES, ArchiveError, RowShape
from app.audit.archive_verify import verify_path
from app.core.audit.tables import AUDIT_ACCESS, AUDIT_CHANGES
from app.core.config import get_settings
from app.core.db.database import create_engine
from app.core.db.models import utc_now
from scripts import archive_audit
from tests.audit.archive_support import (
    KEY,
    ids_in_archives,
    ids_in_db,
    lines_in_archives,
    options,
    seed,
    seed_at,
)


@pytest.fixture
async def engine(test_env: None) -> AsyncIterator[AsyncEngine]:
    built = create_engine(get_settings())
    yield built
    await built.dispose()


async def lines_of(engine: AsyncEngine, table_name: str, ids: list[int]) -> list[str]:
    """The rows' archive lines, as a run would write them."""
    table, shape = TABLES[table_name]
    rows_shape = RowShape.of(shape)
    stmt = select(*(table.c[column] for column in rows_shape.columns)).where(table.c.id.in_(ids))
    async with engine.connect() as conn:
        return [rows_shape.line(row) for row in await conn.execute(stmt.order_by(table.c.id))]


def plant(directory: Path, table: str, lines: list[str], **fields: Any) -> Path:
    """A self-consistent archive of `lines` and its manifest (unsigned), as someone who can
    write the archive directory would make them."""
    first, last = json.loads(lines[0]), json.loads(lines[-1])
    data = directory / f"{table}-{first['id']}-{last['id']}.jsonl.gz"
    data.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    now = utc_now().isoformat()
    manifest = {
        "table": table,
        "file": data.name,
        "row_count": len(lines),
        "first_id": first["id"],
        "last_id": last["id"],
        "first_occurred_at": first["occurred_at"],
        "last_occurred_at": last["occurred_at"],
        "sha256": hashlib.sha256(data.read_bytes()).hexdigest(),
        "created_at": now,
        "cutoff": now,
        **fields,
    }
    path = data.with_name(data.name + ".manifest.json")
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return path


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


async def test_archiving_everything_then_ten_new_rows_then_again_loses_nothing(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    await seed(engine, old=5, new=5)
    await Archiver(engine, options(tmp_path, older_than_days=0)).run()
    await seed(engine, old=0, new=10)
    fresh = await lines_of(engine, "audit_changes", await ids_in_db(engine, AUDIT_CHANGES))

    again = await Archiver(engine, options(tmp_path, older_than_days=0)).run()

    assert again.recovered == {"audit_changes": 0, "audit_access": 0}
    assert again.rows == {"audit_changes": 10, "audit_access": 10}
    assert set(fresh) <= set(lines_in_archives(tmp_path, "audit_changes"))
    assert sorted(ids_in_archives(tmp_path, "audit_access")) == list(range(1, 21))
    assert verify_path(tmp_path, None)[1] == []


async def test_a_row_that_is_not_its_archived_line_is_never_deleted(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    await seed(engine, old=10, new=0)
    await Archiver(engine, options(tmp_path, batch_size=10)).run()
    # Rows holding archived ids with other content: what a database that handed the ids out
    # again held, and what a forged file's ids point at.
    await seed_at(
        engine, [utc_now() - timedelta(days=3, minutes=n) for n in range(10)], ids=[*range(1, 11)]
    )
    fresh = await lines_of(engine, "audit_changes", list(range(1, 11)))

    report = await Archiver(engine, options(tmp_path)).run()

    assert report.recovered == {"audit_changes": 0, "audit_access": 0}
    assert report.kept == {"audit_changes": 10, "audit_access": 10}
    assert report.rows == {"audit_changes": 10, "audit_access": 10}
    assert set(fresh) <= set(lines_in_archives(tmp_path, "audit_changes"))
    assert await ids_in_db(engine, AUDIT_CHANGES) == []


@pytest.mark.parametrize(("key", "finished"), [(None, 0), (KEY, 4)])
async def test_an_interrupted_runs_rows_wait_for_this_runs_cut_off_unless_it_was_signed(
    engine: AsyncEngine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    key: str | None,
    finished: int,
) -> None:
    await seed(engine, old=0, new=4)

    async def killed(*_: object) -> int:
        raise KeyboardInterrupt

    monkeypatch.setattr(archive_module, "delete_ids", killed)
    with pytest.raises(KeyboardInterrupt):
        await Archiver(engine, options(tmp_path, older_than_days=0, key=key)).run()
    monkeypatch.undo()

    # An unsigned manifest's cut-off is anyone's word: rows younger than this run's stay.
    later = await Archiver(engine, options(tmp_path, key=key)).run()
    last = await Archiver(engine, options(tmp_path, older_than_days=0, key=key)).run()

    assert later.recovered["audit_changes"] == finished
    assert later.kept["audit_changes"] == 4 - finished
    assert later.rows["audit_changes"] == 0
    assert last.recovered["audit_changes"] == 4 - finished
    assert await ids_in_db(engine, AUDIT_CHANGES) == []
    assert sorted(ids_in_archives(tmp_path, "audit_changes")) == [1, 2, 3, 4]


async def test_a_planted_archive_of_recent_rows_deletes_nothing(
    engine: AsyncEngine, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await seed(engine, old=0, new=4)
    out = tmp_path / "out"
    out.mkdir()
    for table in TABLES:
        lines = await lines_of(engine, table, [1, 2, 3, 4])
        plant(out, table, lines, sequence=1, previous_sha256=None)
    assert verify_path(out, None)[1] == []

    assert (
        await asyncio.to_thread(
            archive_audit.main, ["--output-dir", str(out), "--older-than-days", "1.5"]
        )
        == 0
    )

    assert "finished" not in capsys.readouterr().out
    assert await ids_in_db(engine, AUDIT_CHANGES) == [1, 2, 3, 4]
    assert await ids_in_db(engine, AUDIT_ACCESS) == [1, 2, 3, 4]


@pytest.mark.parametrize(
    "place",
    [
        pytest.param({"sequence": 2}, id="claims-a-taken-place"),
        pytest.param({"sequence": 3}, id="claims-the-next-place-after-the-wrong-one"),
        pytest.param({}, id="unchained"),
    ],
)
async def test_an_archive_inserted_among_the_others_is_refused_by_verify_and_the_run(
    engine: AsyncEngine,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    place: dict[str, Any],
) -> None:
    now = utc_now()
    old = [now - timedelta(days=10, minutes=n) for n in range(4)]
    await seed_at(engine, [*old, *[now] * 4, *old])  # ids 5-8 are too young for a 1.5-day run
    out = tmp_path / "out"
    await Archiver(engine, options(out)).run()
    assert sorted(ids_in_archives(out, "audit_changes")) == [1, 2, 3, 4, 9, 10, 11, 12]
    first = out / "audit_changes-1-4.jsonl.gz.manifest.json"
    chain = {"previous_sha256": sha256_of(first), **place} if place else {}
    plant(out, "audit_changes", await lines_of(engine, "audit_changes", [5, 6, 7, 8]), **chain)

    verified = await asyncio.to_thread(archive_audit.main, ["verify", str(out)])
    err = capsys.readouterr().err
    ran = await asyncio.to_thread(
        archive_audit.main, ["--output-dir", str(out), "--older-than-days", "0"]
    )
    failed = capsys.readouterr().err

    assert verified == 1
    assert "audit_changes-5-8.jsonl.gz.manifest.json" in err
    assert "chain" in err
    assert ran == 1
    assert "archive_audit: failed:" in failed
    assert "audit_changes-5-8.jsonl.gz.manifest.json" in failed
    assert await ids_in_db(engine, AUDIT_CHANGES) == [5, 6, 7, 8]


async def test_a_run_checks_the_chain_before_it_deletes_anything(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    await seed(engine, old=8, new=0)
    await Archiver(engine, options(tmp_path)).run()
    (tmp_path / "audit_changes-1-4.jsonl.gz.manifest.json").unlink()
    (tmp_path / "audit_changes-1-4.jsonl.gz").unlink()
    await seed(engine, old=4, new=0)

    with pytest.raises(ArchiveError, match="chain"):
        await Archiver(engine, options(tmp_path)).run()

    assert await ids_in_db(engine, AUDIT_CHANGES) == [9, 10, 11, 12]


def test_production_refuses_to_archive_without_a_key(
    test_env: None,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    # Settings production accepts, so that only the missing archive key is refused.
    monkeypatch.setenv("SECRET_KEY", "Xq7-kP2vR9_mZ4tW8yB1nC6hJ3sD5fG0aL2eU7iO9rT4")
    monkeypatch.setenv("BCRYPT_ROUNDS", "12")
    if database_url.startswith("sqlite"):
        # Production refuses SQLite before anything else; the run stops before connecting.
        monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://nobody@127.0.0.1:9/none")
    out = tmp_path / "out"

    for key in (None, "", "short"):
        if key is None:
            monkeypatch.delenv("AUDIT_ARCHIVE_KEY", raising=False)
        else:
            monkeypatch.setenv("AUDIT_ARCHIVE_KEY", key)
        get_settings.cache_clear()

        assert archive_audit.main(["--output-dir", str(out), "--older-than-days", "0"]) == 1
        assert "AUDIT_ARCHIVE_KEY" in capsys.readouterr().err
        assert not out.exists()
