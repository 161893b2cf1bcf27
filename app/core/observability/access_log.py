"""The access log's sink: a bounded in-process queue drained in batches by a background task.

A request never waits on the database for its access row: the middleware hands the record to
`sink`, which never blocks. When the queue is full the record is dropped, counted and logged
as a warning, and the request goes on. `stop()` (the lifespan's exit) writes everything still
queued, so a graceful shutdown loses nothing.
"""

import asyncio
import dataclasses
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.audit.tables import AUDIT_ACCESS
from app.core.http.middleware import AccessRecord
from app.core.observability.logging import get_logger

log = get_logger("fastops.access_log")


class AccessLogWriter:
    def __init__(
        self, factory: async_sessionmaker[AsyncSession], *, queue_size: int, batch_size: int
    ) -> None:
        self.factory = factory
        self.batch_size = batch_size
        # None is the stop sentinel: everything queued before it is written first.
        self.queue: asyncio.Queue[AccessRecord | None] = asyncio.Queue(maxsize=queue_size)
        self.dropped = 0
        self.written = 0
        self._task: asyncio.Task[None] | None = None

    def sink(self, record: AccessRecord) -> None:
        try:
            self.queue.put_nowait(record)
        except asyncio.QueueFull:
            self.dropped += 1
            log.warning(
                "access_log_dropped",
                dropped_total=self.dropped,
                request_id=record.request_id,
                path=record.path,
            )

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="access-log-writer")

    async def flush(self) -> None:
        """Wait until every record queued so far is written (or failed and was logged)."""
        await self.queue.join()

    async def stop(self) -> None:
        if self._task is None:
            return
        await self.queue.put(None)
        await self._task
        self._task = None

    async def _run(self) -> None:
        while True:
            batch: list[AccessRecord] = []
            stopping = False
            item = await self.queue.get()
            taken = 1
            while item is not None:
                batch.append(item)
                if len(batch) >= self.batch_size or self.queue.empty():
                    break
                item = self.queue.get_nowait()
                taken += 1
            stopping = item is None
            await self._write(batch)
            for _ in range(taken):
                self.queue.task_done()
            if stopping:
                return

    async def _write(self, batch: list[AccessRecord]) -> None:
        if not batch:
            return
        rows: list[dict[str, Any]] = [dataclasses.asdict(record) for record in batch]
        try:
            async with self.factory() as session:
                await session.exec(insert(AUDIT_ACCESS), params=rows)
                await session.commit()
        except Exception:
            # The log must never take the app down; the failure and its size are logged.
            log.exception("access_log_write_failed", rows=len(rows))
            return
        self.written += len(rows)
