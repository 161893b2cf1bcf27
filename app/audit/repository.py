"""SQL of the audit trail: keyset pages on the primary key, which only grows."""

from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, exists
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from app.audit.schemas import AccessQuery, ChangeQuery, TimeRangeQuery
from app.core.audit.tables import AuditAccess, AuditChange

RowT = TypeVar("RowT", AuditChange, AuditAccess)


class AuditRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @staticmethod
    def _time_range(model: type[RowT], query: TimeRangeQuery) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if query.since is not None:
            found.append(col(model.occurred_at) >= query.since)
        if query.until is not None:
            found.append(col(model.occurred_at) < query.until)
        return found

    def change_conditions(self, query: ChangeQuery) -> list[ColumnElement[bool]]:
        found = self._time_range(AuditChange, query)
        for name in ("entity", "entity_id", "actor_id", "action", "event", "request_id"):
            value = getattr(query, name)
            if value is not None:
                found.append(col(getattr(AuditChange, name)) == value)
        return found

    def access_conditions(self, query: AccessQuery) -> list[ColumnElement[bool]]:
        found = self._time_range(AuditAccess, query)
        for name in ("request_id", "user_id", "status_code", "method", "path"):
            value = getattr(query, name)
            if value is not None:
                found.append(col(getattr(AuditAccess, name)) == value)
        return found

    async def newest_first(
        self,
        model: type[RowT],
        conditions: Sequence[ColumnElement[bool]],
        before_id: int | None,
        limit: int,
    ) -> list[RowT]:
        """Up to `limit + 1` rows: the extra one only says whether a next page exists."""
        stmt = select(model).where(*conditions)
        if before_id is not None:
            stmt = stmt.where(col(model.id) < before_id)
        stmt = stmt.order_by(col(model.id).desc()).limit(limit + 1)
        return list((await self.session.exec(stmt)).all())

    async def history(
        self, entity: str, entity_id: int, after_id: int | None, limit: int
    ) -> list[AuditChange]:
        stmt = select(AuditChange).where(
            col(AuditChange.entity) == entity,
            col(AuditChange.entity_id) == entity_id,
            col(AuditChange.action) != "security",
        )
        if after_id is not None:
            stmt = stmt.where(col(AuditChange.id) > after_id)
        stmt = stmt.order_by(col(AuditChange.id).asc()).limit(limit + 1)
        return list((await self.session.exec(stmt)).all())

    async def record_exists(self, entity: str, entity_id: int) -> bool:
        table = SQLModel.metadata.tables.get(entity)
        if table is None:
            return False
        found: Any = (
            await self.session.exec(select(exists().where(table.c.id == entity_id)))
        ).one()
        return bool(found)
