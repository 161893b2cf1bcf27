"""Building blocks for the archive tests: audit rows put straight into the tables (the
archive reads them as stored), and what ended up where."""

import gzip
import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.audit.archive import ArchiveOptions
from app.core.audit.tables import AUDIT_ACCESS, AUDIT_CHANGES
from app.core.db.models import utc_now

KEY = "k" * 32


async def seed(engine: AsyncEngine, *, old: int, new: int) -> None:
    now = utc_now()
    await seed_at(engine, [now - timedelta(days=10, minutes=i) for i in range(old)] + [now] * new)


async def seed_at(
    engine: AsyncEngine, times: Sequence[datetime], *, ids: Sequence[int] | None = None
) -> None:
    """One change row and one access row per time; with `ids`, those ids (as a database that
    handed them out again would have them)."""
    given: list[dict[str, Any]] = [{"id": i} for i in ids] if ids else [{} for _ in times]
    async with engine.begin() as conn:
        await conn.execute(
            insert(AUDIT_CHANGES),
            [
                {
                    **given[i],
                    "occurred_at": at,
                    "action": "update",
                    "entity": "products",
                    "entity_id": i,
                    "actor": "system:test",
                    "changes": {"stock": {"old": i, "new": i + 1}},
                }
                for i, at in enumerate(times)
            ],
        )
        await conn.execute(
            insert(AUDIT_ACCESS),
            [
                {
                    **given[i],
                    "occurred_at": at,
                    "request_id": f"r{i}",
                    "method": "GET",
                    "path": "/x",
                    "status_code": 200,
                    "duration_ms": 1.5,
                }
                for i, at in enumerate(times)
            ],
        )


async def ids_in_db(engine: AsyncEngine, table: Table) -> list[int]:
    async with engine.connect() as conn:
        return [row.id for row in await conn.execute(select(table.c.id).order_by(table.c.id))]


def lines_in_archives(directory: Path, table: str) -> list[str]:
    found: list[str] = []
    for path in sorted(directory.glob(f"{table}-*.jsonl.gz")):
        with gzip.open(path, "rt") as lines:
            found.extend(line.rstrip("\n") for line in lines)
    return found


def ids_in_archives(directory: Path, table: str) -> list[int]:
    return [json.loads(line)["id"] for line in lines_in_archives(directory, table)]


def names(directory: Path, pattern: str) -> list[str]:
    return sorted(path.name for path in directory.glob(pattern))


def options(directory: Path, **overrides: Any) -> ArchiveOptions:
    values: dict[str, Any] = {
        "output_dir": directory,
        "older_than_days": 1.5,
        "batch_size": 4,
    }
    values.update(overrides)
    return ArchiveOptions(**values)
