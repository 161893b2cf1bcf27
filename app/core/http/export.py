"""CSV export of a list: every matching row, streamed with bounded memory.

The stream outlives the request's unit of work, so it reads through a session of its own.
"""

import csv
import io
from collections.abc import AsyncIterator
from typing import Any

from fastapi import Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from app.core.db.database import READ_ONLY
from app.core.http.pagination import ListQuery

# A leading NUL is dropped by some spreadsheets, which then read the formula behind it.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\x00")
CHUNK_ROWS = 500


def wants_csv(request: Request, query: ListQuery) -> bool:
    if query.format is not None:
        return query.format == "csv"
    return "text/csv" in request.headers.get("accept", "")


def neutralise(value: Any) -> str:
    """A cell a spreadsheet would run as a formula is prefixed with a quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        text = ",".join(str(v) for v in value) if isinstance(value, list) else str(value)
    else:
        text = str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


async def _rows(
    factory: async_sessionmaker[AsyncSession],
    stmt: SelectOfScalar[Any],
    schema: type[BaseModel],
    max_rows: int,
) -> AsyncIterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    fields = list(schema.model_fields)
    writer.writerow(fields)
    async with factory() as session:
        await session.connection(execution_options={READ_ONLY: True})
        limited = stmt.limit(max_rows).execution_options(yield_per=CHUNK_ROWS)
        result = await session.stream_scalars(limited)
        count = 0
        async for record in result:
            data = schema.model_validate(record).model_dump(mode="json")
            writer.writerow([neutralise(data[name]) for name in fields])
            count += 1
            if count % CHUNK_ROWS == 0:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue()


def csv_response(
    request: Request, stmt: SelectOfScalar[Any], schema: type[BaseModel], name: str
) -> StreamingResponse:
    return StreamingResponse(
        _rows(
            request.app.state.session_factory,
            stmt,
            schema,
            request.app.state.settings.export_max_rows,
        ),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )
