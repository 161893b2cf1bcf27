"""The async engine, the session factory and the request's unit of work."""

import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.config import Settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Execution option read by the SQLite BEGIN hook: a read-only unit of work may start
# deferred; everything else takes the write lock up front (see "Known traps").
READ_ONLY = "fastops_read_only"
T = TypeVar("T")
_STARTED = "fastops_statement_started"


@dataclass(slots=True)
class DbTimer:
    """Seconds spent inside database statements during one request (for Server-Timing)."""

    seconds: float = 0.0


db_timer_var: ContextVar[DbTimer | None] = ContextVar("db_timer", default=None)


def _install_timing_hooks(engine: AsyncEngine) -> None:
    # SQLAlchemy runs these in a greenlet that shares the request's context, so the timer
    # set by the middleware is the one found here.
    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _before(conn: Connection, *_: Any) -> None:
        conn.info[_STARTED] = time.perf_counter()

    @event.listens_for(engine.sync_engine, "after_cursor_execute")
    def _after(conn: Connection, *_: Any) -> None:
        timer = db_timer_var.get()
        started = conn.info.pop(_STARTED, None)
        if timer is not None and started is not None:
            timer.seconds += time.perf_counter() - started


def _install_sqlite_hooks(engine: AsyncEngine, settings: Settings) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin (pysqlite recipe).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(settings.sqlite_busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # A deferred transaction that reads and then writes fails at once with SQLITE_BUSY
        # when another connection committed in between; IMMEDIATE queues on busy_timeout.
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


class DatabaseUnreachable(Exception):
    """The database server cannot be reached (refused, unknown host, timed out): a 503."""


def _install_connect_guard(engine: AsyncEngine) -> None:
    # asyncpg raises the socket's own OSError when a connection cannot be opened; the
    # handlers should not have to treat every OSError in the app as "database down".
    @event.listens_for(engine.sync_engine, "do_connect")
    def _connect(dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
        try:
            return dialect.connect(*cargs, **cparams)
        except OSError as exc:
            raise DatabaseUnreachable(f"cannot reach the database: {exc}") from exc


def create_engine(settings: Settings) -> AsyncEngine:
    if settings.is_sqlite:
        engine = create_async_engine(
            settings.database_url,
            connect_args={"timeout": settings.sqlite_busy_timeout_ms / 1000},
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout=settings.db_pool_timeout_seconds,
        )
        _install_sqlite_hooks(engine, settings)
        _install_timing_hooks(engine)
        return engine
    connect_args: dict[str, Any] = {}
    if settings.database_url.startswith("postgresql+asyncpg"):
        connect_args["server_settings"] = {
            "statement_timeout": str(settings.db_statement_timeout_ms),
            "application_name": settings.app_name.lower(),
        }
    engine = create_async_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout_seconds,
        pool_recycle=settings.db_pool_recycle_seconds,
        pool_pre_ping=True,
        connect_args=connect_args,
    )
    _install_connect_guard(engine)
    _install_timing_hooks(engine)
    return engine


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


def create_read_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for read-only requests: bound to the engine with READ_ONLY set, so SQLite
    begins them deferred. Built once: an option engine per request cost a measurable slice
    of every GET."""
    return create_session_factory(engine.execution_options(**{READ_ONLY: True}))


async def ping(engine: AsyncEngine) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))


async def run_in_own_transaction(
    factory: async_sessionmaker[AsyncSession],
    fn: Callable[[AsyncSession], Awaitable[T]],
    *,
    read_only: bool = False,
) -> T:
    """Run `fn` in a short transaction of its own and commit it when `fn` returns.

    For the writes that must survive the request's error answer (a revoked session, a
    security event) and for work that must not hold the request's write lock (bcrypt).
    """
    async with factory() as session:
        if read_only:
            await session.connection(execution_options={READ_ONLY: True})
        try:
            result = await fn(session)
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
        return result


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One request, one transaction: commit when the handler returned, roll back otherwise.

    Used with `scope="function"` so the commit happens before the response is sent.
    """
    state = request.app.state
    factory: async_sessionmaker[AsyncSession] = (
        state.read_session_factory if request.method in SAFE_METHODS else state.session_factory
    )
    async with factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


DbSession = Annotated[AsyncSession, Depends(get_session, scope="function")]
