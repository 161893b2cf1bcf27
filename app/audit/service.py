"""Reading the audit trail. Every read is itself recorded (`audit_read`: who, filters, rows)."""

from collections.abc import Callable, Sequence
from typing import TypeVar

from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from app.audit.repository import AuditRepository
from app.audit.schemas import (
    AccessQuery,
    AccessRead,
    ChangeQuery,
    ChangeRead,
    KeysetPage,
    KeysetQuery,
    encode_cursor,
)
from app.core.audit import SessionFactory, record_security_event
from app.core.audit.tables import AuditAccess, AuditChange
from app.core.exceptions import NotFound

ReadT = TypeVar("ReadT", bound=BaseModel)
RowT = TypeVar("RowT", AuditChange, AuditAccess)


def _page(rows: Sequence[RowT], limit: int, shape: Callable[[RowT], ReadT]) -> KeysetPage[ReadT]:
    items = [shape(row) for row in rows[:limit]]
    # The repository fetched one row more than asked: its presence means another page.
    last_id = rows[limit - 1].id if len(rows) > limit else None
    next_cursor = encode_cursor(last_id) if last_id is not None else None
    return KeysetPage[ReadT](items=items, next_cursor=next_cursor)


class AuditService:
    def __init__(self, session: AsyncSession, factory: SessionFactory) -> None:
        self.audit = AuditRepository(session)
        self.factory = factory

    async def _record_read(
        self, reader_id: int | None, view: str, query: KeysetQuery, rows: int
    ) -> None:
        await record_security_event(
            self.factory,
            "audit_read",
            entity_id=reader_id,
            details={"view": view, "filters": query.filters(), "rows": rows},
        )

    async def changes(self, query: ChangeQuery, reader_id: int | None) -> KeysetPage[ChangeRead]:
        rows = await self.audit.newest_first(
            AuditChange, self.audit.change_conditions(query), query.after_id, query.limit
        )
        page = _page(rows, query.limit, ChangeRead.model_validate)
        await self._record_read(reader_id, "changes", query, len(page.items))
        return page

    async def access(self, query: AccessQuery, reader_id: int | None) -> KeysetPage[AccessRead]:
        rows = await self.audit.newest_first(
            AuditAccess, self.audit.access_conditions(query), query.after_id, query.limit
        )
        page = _page(rows, query.limit, AccessRead.model_validate)
        await self._record_read(reader_id, "access", query, len(page.items))
        return page

    async def history(
        self, entity: str, entity_id: int, query: KeysetQuery, reader_id: int | None
    ) -> KeysetPage[ChangeRead]:
        """A record's life, oldest first; 404 only for an id that never existed (a deleted
        record keeps its history, a live one whose history was archived gets an empty page)."""
        rows = await self.audit.history(entity, entity_id, query.after_id, query.limit)
        first_page_empty = not rows and query.after_id is None
        if first_page_empty and not await self.audit.record_exists(entity, entity_id):
            raise NotFound(f"There is no history of {entity} {entity_id}.")
        page = _page(rows, query.limit, ChangeRead.model_validate)
        await record_security_event(
            self.factory,
            "audit_read",
            entity_id=reader_id,
            details={
                "view": "history",
                "filters": {"entity": entity, "entity_id": entity_id},
                "rows": len(page.items),
            },
        )
        return page
