"""BaseRepository[Model]: the SQL every resource needs. Repositories flush; they never commit."""

from collections.abc import Sequence
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import ColumnElement, func, or_
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.orm.interfaces import ORMOption
from sqlmodel import SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from app.core.exceptions import NotFound
from app.core.http.pagination import ListQuery

ModelT = TypeVar("ModelT", bound=SQLModel)


def escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def matches_text(text: str, *columns: Any) -> ColumnElement[bool]:
    """Case-insensitive substring search over columns; LIKE wildcards in `text` match literally."""
    pattern = f"%{escape_like(text)}%"
    return or_(*(col(column).ilike(pattern, escape="\\") for column in columns))


class BaseRepository(Generic[ModelT]):
    model: type[ModelT]
    label: ClassVar[str] = "Record"
    # Relationships a response needs, loaded in the same round trip (no lazy loads in async).
    load_options: ClassVar[Sequence[ORMOption]] = ()

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _column(self, name: str) -> InstrumentedAttribute[Any]:
        column: InstrumentedAttribute[Any] = getattr(self.model, name)
        return column

    async def get(self, record_id: int) -> ModelT | None:
        return await self.session.get(self.model, record_id, options=list(self.load_options))

    async def get_or_raise(self, record_id: int) -> ModelT:
        record = await self.get(record_id)
        if record is None:
            raise NotFound(f"{self.label} {record_id} does not exist.")
        return record

    def select_matching(
        self, conditions: Sequence[ColumnElement[bool]], query: ListQuery
    ) -> SelectOfScalar[ModelT]:
        """The filtered, sorted statement behind both a page and a CSV export."""
        order = [
            self._column(name).desc() if descending else self._column(name).asc()
            for name, descending in query.order
        ]
        # A unique tie-breaker keeps pages stable when sort keys repeat.
        order.append(col(self._column("id")).asc())
        stmt = select(self.model).where(*conditions).order_by(*order)
        if self.load_options:
            stmt = stmt.options(*self.load_options)
        return stmt

    async def count(self, *conditions: ColumnElement[bool]) -> int:
        stmt = select(func.count()).select_from(self.model).where(*conditions)
        return (await self.session.exec(stmt)).one()

    async def list_page(
        self, conditions: Sequence[ColumnElement[bool]], query: ListQuery
    ) -> tuple[list[ModelT], int]:
        total = await self.count(*conditions)
        if total == 0 or query.offset >= total:
            return [], total
        stmt = self.select_matching(conditions, query).offset(query.offset).limit(query.size)
        items = list((await self.session.exec(stmt)).all())
        return items, total

    async def add(self, record: ModelT) -> ModelT:
        self.session.add(record)
        await self.session.flush()
        return record

    async def update(self, record: ModelT, changes: dict[str, Any]) -> ModelT:
        for name, value in changes.items():
            setattr(record, name, value)
        await self.session.flush()
        return record

    async def delete(self, record: ModelT) -> None:
        await self.session.delete(record)
        await self.session.flush()

    async def flush(self) -> None:
        await self.session.flush()
