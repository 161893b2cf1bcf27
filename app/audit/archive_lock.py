"""The archive's lock: two runs never overlap, and a killed run never blocks the next.

PostgreSQL: a session advisory lock. SQLite: `flock` on a file next to the database. Both are
released by the operating system or the server when the process dies."""

import contextlib
import fcntl
import os
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from app.audit.archive_files import ArchiveError

# Any constant will do: it only has to be the same for every archive run.
PG_LOCK_KEY = 0x4641_5354_4F50_5341
BUSY = "another archive run holds the lock; try again later"


@contextlib.asynccontextmanager
async def archive_lock(engine: AsyncEngine) -> AsyncIterator[None]:
    if engine.dialect.name == "postgresql":
        async with engine.connect() as conn:
            got = (
                await conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": PG_LOCK_KEY})
            ).scalar()
            await conn.commit()
            if not got:
                raise ArchiveError(BUSY)
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
            raise ArchiveError(BUSY) from error
        yield
    finally:
        os.close(fd)
