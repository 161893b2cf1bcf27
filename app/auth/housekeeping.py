"""Purging what login sessions leave behind: every refresh writes a token row, and an active
user refreshes dozens of times a day, so without this the two tables only ever grow.

Run by cron through `python -m scripts.purge_sessions` (docs/DEPLOYMENT.md). Each batch is its
own short transaction, so a large first purge never holds SQLite's write lock for long.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.sessions_repository import SessionRepository
from app.core.db.database import run_in_own_transaction
from app.core.observability.logging import get_logger

log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class PurgeReport:
    tokens: int
    sessions: int
    ended_before: datetime


@dataclass(frozen=True, slots=True)
class PurgeOptions:
    keep_ended_days: float
    batch_size: int = 5_000
    dry_run: bool = False


async def purge_sessions(
    factory: async_sessionmaker[AsyncSession], options: PurgeOptions, now: datetime
) -> PurgeReport:
    """Delete refresh tokens past their expiry, then sessions ended (expired or revoked)
    more than `keep_ended_days` before `now`. A live session and its tokens are never touched."""
    cutoff = now - timedelta(days=options.keep_ended_days)
    if options.dry_run:
        tokens, sessions = await run_in_own_transaction(
            factory,
            lambda session: SessionRepository(session).count_purgeable(now, cutoff),
            read_only=True,
        )
        return PurgeReport(tokens, sessions, cutoff)

    size = options.batch_size
    tokens = await _drain(factory, lambda repo: repo.purge_dead_tokens(now, size), size)
    sessions = await _drain(factory, lambda repo: repo.purge_ended_sessions(cutoff, size), size)
    log.info("sessions_purged", tokens=tokens, sessions=sessions, ended_before=cutoff.isoformat())
    return PurgeReport(tokens, sessions, cutoff)


async def _drain(
    factory: async_sessionmaker[AsyncSession],
    purge: Callable[[SessionRepository], Awaitable[int]],
    batch_size: int,
) -> int:
    total = 0
    while True:
        deleted = await run_in_own_transaction(
            factory, lambda session: purge(SessionRepository(session))
        )
        total += deleted
        if deleted < batch_size:
            return total
