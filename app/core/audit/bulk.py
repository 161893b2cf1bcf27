"""ORM bulk `insert()`, `update()` and `delete()` statements skip the flush events, so
`do_orm_execute` reads the affected rows itself: the old values with the statement's own WHERE
clause (locked with FOR UPDATE where the database has it) before the statement runs, the new
ones by id after it (inserts: RETURNING of the new ids).
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.engine import CursorResult, Result
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql.dml import Delete, Insert, Update

from app.core.audit.rows import audit_spec, change_row, context, diff, whole_record, write
from app.core.db.models import AuditSpec

Rows = dict[Any, dict[str, Any]]


def _select_rows(session: Session, table: Table, where: Any, *, lock: bool) -> Rows:
    stmt = select(*table.columns)
    if where is not None:
        stmt = stmt.where(where)
    if lock:
        stmt = stmt.with_for_update()
    # On the connection: no autoflush (the ORM statement flushed already) and no re-entry.
    found = session.connection().execute(stmt)
    return {row.id: {column.key: row._mapping[column] for column in table.columns} for row in found}


def _by_ids(table: Table, ids: Iterable[Any]) -> Any:
    return table.c.id.in_(list(ids))


def _bulk_where(state: ORMExecuteState, table: Table) -> Any:
    params = state.parameters
    if isinstance(params, Sequence) and params and not isinstance(params, Mapping):
        # "Bulk UPDATE by primary key": a list of dicts, each naming its row's id.
        return _by_ids(table, [p["id"] for p in params if isinstance(p, Mapping) and "id" in p])
    stmt = state.statement
    assert isinstance(stmt, Update | Delete)
    return stmt.whereclause


def _buffered(result: Result[Any]) -> Result[Any]:
    # The audit queries share the connection: buffer rows a caller asked RETURNING for.
    if isinstance(result, CursorResult) and not result.returns_rows:
        return result
    return result.freeze()()


def _before_and_after(state: ORMExecuteState, table: Table) -> tuple[Rows, Rows, Result[Any]]:
    """The matched rows before the statement (locked), the same ids after it, its result."""
    session = state.session
    before = _select_rows(session, table, _bulk_where(state, table), lock=True)
    result = _buffered(state.invoke_statement())
    after = _select_rows(session, table, _by_ids(table, before), lock=False) if before else {}
    return before, after, result


def _update(state: ORMExecuteState, table: Table, spec: AuditSpec) -> Result[Any]:
    old, new, result = _before_and_after(state, table)
    where = context()
    rows = [
        change_row(where, "update", table.name, record_id, changes)
        for record_id, values in new.items()
        if (changes := diff(spec, old[record_id], values))
    ]
    write(state.session.connection(), rows)
    return result


def _delete(state: ORMExecuteState, table: Table, spec: AuditSpec) -> Result[Any]:
    old, remaining, result = _before_and_after(state, table)
    where = context()
    rows = [
        change_row(where, "delete", table.name, record_id, whole_record(spec, values, "old"))
        for record_id, values in old.items()
        if record_id not in remaining
    ]
    write(state.session.connection(), rows)
    return result


def _insert(state: ORMExecuteState, table: Table, spec: AuditSpec) -> Result[Any]:
    stmt = state.statement
    assert isinstance(stmt, Insert)
    session = state.session
    # `_returning` is the only way to ask whether the caller wants RETURNING rows back.
    if stmt._returning:
        frozen = state.invoke_statement().freeze()
        ids = [row.id for row in frozen.data if "id" in row._mapping]
    else:
        frozen = state.invoke_statement(statement=stmt.returning(table.c.id)).freeze()
        ids = [row.id for row in frozen.data]
    result = frozen()
    if not ids:
        return result
    created = _select_rows(session, table, _by_ids(table, ids), lock=False)
    where = context()
    rows = [
        change_row(where, "create", table.name, record_id, whole_record(spec, values, "new"))
        for record_id, values in created.items()
    ]
    write(session.connection(), rows)
    return result


def do_orm_execute(state: ORMExecuteState) -> Result[Any] | None:
    if state.is_select or not (state.is_update or state.is_delete or state.is_insert):
        return None
    mapper = state.bind_mapper
    spec = audit_spec(mapper.class_ if mapper is not None else None)
    if mapper is None or spec is None:
        return None
    table = mapper.local_table
    assert isinstance(table, Table)
    if state.is_update:
        return _update(state, table, spec)
    if state.is_delete:
        return _delete(state, table, spec)
    return _insert(state, table, spec)
