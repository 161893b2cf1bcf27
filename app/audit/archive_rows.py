"""Deleting archived rows: exactly the ids archived, and only rows the archive holds as they
are."""

import json
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import ColumnElement, String, Table, any_, bindparam, delete, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.audit.archive_files import RowShape


def _id_in(conn: AsyncConnection, table: Table, ids: list[int]) -> ColumnElement[bool]:
    """`id` is one of `ids`, sent as one parameter (an array; a JSON list on SQLite), not as
    thousands of placeholders that SQLAlchemy would render and bind chunk after chunk."""
    if conn.dialect.name == "postgresql":
        return table.c.id == any_(bindparam("ids", ids, type_=ARRAY(table.c.id.type)))
    each = func.json_each(bindparam("ids", json.dumps(ids), type_=String))
    return table.c.id.in_(select(each.table_valued("value").c.value))


async def delete_ids(engine: AsyncEngine, table: Table, ids: list[int]) -> int:
    """Delete exactly these ids, in one statement and one transaction; how many were still
    there."""
    async with engine.begin() as conn:
        result = await conn.execute(delete(table).where(_id_in(conn, table, ids)))
        return result.rowcount


async def delete_archived(
    engine: AsyncEngine,
    table: Table,
    rows_shape: RowShape,
    lines: Mapping[int, str],
    cutoff: datetime,
) -> tuple[int, int]:
    """Delete the rows of an archive (its `lines` by id) that are still in the database, but
    only those older than `cutoff` whose line today is exactly the archived one; (deleted,
    kept). A row kept is not in the archive as it is: deleting it would lose it."""
    id_at = rows_shape.columns.index("id")
    is_old = (table.c.occurred_at < cutoff).label("is_old")
    stmt = select(*(table.c[column] for column in rows_shape.columns), is_old)
    archived: list[int] = []
    kept = 0
    async with engine.begin() as conn:
        for row in await conn.execute(stmt.where(_id_in(conn, table, list(lines)))):
            values = tuple(row)[:-1]
            row_id = int(values[id_at])
            if row.is_old and rows_shape.line(values) == lines[row_id]:
                archived.append(row_id)
            else:
                kept += 1
        if not archived:
            return 0, kept
        result = await conn.execute(delete(table).where(_id_in(conn, table, archived)))
        return result.rowcount, kept
