"""Change-data-capture through SQLAlchemy session hooks, and security events.

Every INSERT, UPDATE and DELETE of a model that declares `__audit__` becomes one row of
`audit_changes` per affected record, inserted in one batch on the same connection and in the
same transaction as the change: a rollback leaves no audit row, a commit always has them.

- The unit of work is read in `after_flush`, where the session still shows the flush's
  new / dirty / deleted objects and their attribute history.
- ORM bulk `insert()`, `update()` and `delete()` statements skip the flush events, so
  `do_orm_execute` reads the affected rows itself: the old values with the statement's own
  WHERE clause (locked with FOR UPDATE where the database has it) before the statement runs,
  the new ones by id after it (inserts: RETURNING of the new ids).
- A many-to-many collection (a user's roles) is recorded on its owner as the sorted old and
  new lists of the related records' names.

Raw SQL text bypasses the ORM and is not captured.
"""

import enum
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, event, insert, inspect, select
from sqlalchemy.engine import Connection, CursorResult, Result
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.orm import (
    InstanceState,
    Mapper,
    ORMExecuteState,
    RelationshipProperty,
    Session,
    UOWTransaction,
)
from sqlalchemy.sql.dml import Delete, Insert, Update
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request

from app.core.audit_models import AUDIT_CHANGES, REASON_MAX
from app.core.logging import actor_var, change_reason_var, client_ip_var, request_id_var
from app.core.models import AuditSpec, utc_now
from app.core.principal import Principal

SECRET = "***"
# Bookkeeping columns: every UPDATE changes them, so they would only drown the real change.
IGNORED_FIELDS = frozenset({"id", "version", "created_at", "updated_at"})
SECURITY_ENTITY = "auth"
SECURITY_EVENTS = frozenset(
    {
        "login_succeeded",
        "login_failed",
        "logout",
        "refresh_replay",
        "password_changed",
        "user_deactivated",
        "session_revoked",
        "permission_denied",
        "audit_read",
    }
)

Changes = dict[str, dict[str, Any]]
SessionFactory = async_sessionmaker[AsyncSession]


def json_safe(value: Any) -> Any:
    """A value as JSON can hold it: money and ids as strings, times in ISO 8601."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return json_safe(value.value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(v) for v in value]
    return str(value)


def audit_spec(cls: type[Any] | None) -> AuditSpec | None:
    spec = getattr(cls, "__audit__", None)
    return spec if isinstance(spec, AuditSpec) else None


def _context() -> dict[str, Any]:
    actor = actor_var.get()
    reason = change_reason_var.get()
    return {
        "occurred_at": utc_now(),
        "actor_id": actor.user_id if actor else None,
        "actor": actor.label if actor else None,
        "request_id": request_id_var.get(),
        "client_ip": client_ip_var.get(),
        "reason": reason[:REASON_MAX] if reason else None,
    }


def _change_row(
    context: dict[str, Any], action: str, entity: str, entity_id: Any, changes: Changes
) -> dict[str, Any]:
    return {
        **context,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "event": None,
        "changes": changes,
    }


def _shown(spec: AuditSpec, name: str, value: Any) -> Any:
    if name in spec.secret_fields and value is not None:
        return SECRET
    return json_safe(value)


def _diff(spec: AuditSpec, old: Mapping[str, Any], new: Mapping[str, Any]) -> Changes:
    """Only the fields whose value really changed (19.9 and 19.90 are the same price)."""
    changes: Changes = {}
    for name in new:
        if name in IGNORED_FIELDS or name not in old or old[name] == new[name]:
            continue
        changes[name] = {"old": _shown(spec, name, old[name]), "new": _shown(spec, name, new[name])}
    return changes


def _write(connection: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        connection.execute(insert(AUDIT_CHANGES), rows)


# --- the unit of work ---------------------------------------------------------------------


def _link_label(record: Any) -> Any:
    name = getattr(record, "name", None)
    return name if name is not None else getattr(record, "id", None)


def _links(mapper: Mapper[Any]) -> list[RelationshipProperty[Any]]:
    return [rel for rel in mapper.relationships if rel.secondary is not None]


def _link_changes(state: InstanceState[Any], mapper: Mapper[Any], *, created: bool) -> Changes:
    changes: Changes = {}
    for rel in _links(mapper):
        history = state.attrs[rel.key].history
        if not history.has_changes():
            continue
        kept = list(history.unchanged or ())
        old = [] if created else sorted(_link_label(r) for r in [*kept, *(history.deleted or ())])
        new = sorted(_link_label(r) for r in [*kept, *(history.added or ())])
        if old != new:
            changes[rel.key] = {"old": json_safe(old), "new": json_safe(new)}
    return changes


def _loaded_columns(state: InstanceState[Any], mapper: Mapper[Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for prop in mapper.column_attrs:
        if prop.key in IGNORED_FIELDS or prop.key not in state.dict:
            continue
        values[prop.key] = state.dict[prop.key]
    return values


def _created(state: InstanceState[Any], mapper: Mapper[Any], spec: AuditSpec) -> Changes:
    changes: Changes = {
        name: {"old": None, "new": _shown(spec, name, value)}
        for name, value in _loaded_columns(state, mapper).items()
        if value is not None
    }
    return changes | _link_changes(state, mapper, created=True)


def _deleted(state: InstanceState[Any], mapper: Mapper[Any], spec: AuditSpec) -> Changes:
    return {
        name: {"old": _shown(spec, name, value), "new": None}
        for name, value in _loaded_columns(state, mapper).items()
        if value is not None
    }


def _updated(state: InstanceState[Any], mapper: Mapper[Any], spec: AuditSpec) -> Changes:
    changes: Changes = {}
    for prop in mapper.column_attrs:
        if prop.key in IGNORED_FIELDS:
            continue
        history = state.attrs[prop.key].history
        if not history.added:
            continue
        new = history.added[0]
        old = history.deleted[0] if history.deleted else None
        if old == new:
            continue
        changes[prop.key] = {"old": _shown(spec, prop.key, old), "new": _shown(spec, prop.key, new)}
    return changes | _link_changes(state, mapper, created=False)


def _after_flush(session: Session, _flush_context: UOWTransaction) -> None:
    context: dict[str, Any] | None = None
    rows: list[dict[str, Any]] = []
    for action, objects in (
        ("create", session.new),
        ("update", session.dirty),
        ("delete", session.deleted),
    ):
        for obj in objects:
            spec = audit_spec(type(obj))
            if spec is None:
                continue
            state: InstanceState[Any] = inspect(obj)
            mapper = state.mapper
            if action == "create":
                changes = _created(state, mapper, spec)
            elif action == "update":
                changes = _updated(state, mapper, spec)
            else:
                changes = _deleted(state, mapper, spec)
            if action == "update" and not changes:
                continue
            context = context or _context()
            entity_id = state.identity[0] if state.identity else state.dict.get("id")
            entity: str = mapper.local_table.name  # type: ignore[attr-defined]
            rows.append(_change_row(context, action, entity, entity_id, changes))
    _write(session.connection(), rows)


# --- ORM bulk statements ------------------------------------------------------------------


def _row_values(table: Table, row: Any) -> dict[str, Any]:
    mapping = row._mapping
    return {column.key: mapping[column] for column in table.columns}


def _select_rows(
    session: Session, table: Table, where: Any, *, lock: bool
) -> dict[Any, dict[str, Any]]:
    stmt = select(*table.columns)
    if where is not None:
        stmt = stmt.where(where)
    if lock:
        stmt = stmt.with_for_update()
    # On the connection: no autoflush (the ORM statement flushed already) and no re-entry.
    return {row.id: _row_values(table, row) for row in session.connection().execute(stmt)}


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


def _bulk_update(state: ORMExecuteState, table: Table, spec: AuditSpec) -> Result[Any]:
    session = state.session
    old = _select_rows(session, table, _bulk_where(state, table), lock=True)
    result = _buffered(state.invoke_statement())
    if not old:
        return result
    new = _select_rows(session, table, _by_ids(table, old), lock=False)
    context = _context()
    rows = [
        _change_row(context, "update", table.name, record_id, changes)
        for record_id, values in new.items()
        if (changes := _diff(spec, old[record_id], values))
    ]
    _write(session.connection(), rows)
    return result


def _bulk_delete(state: ORMExecuteState, table: Table, spec: AuditSpec) -> Result[Any]:
    session = state.session
    old = _select_rows(session, table, _bulk_where(state, table), lock=True)
    result = _buffered(state.invoke_statement())
    if not old:
        return result
    remaining = _select_rows(session, table, _by_ids(table, old), lock=False)
    context = _context()
    rows = [
        _change_row(
            context,
            "delete",
            table.name,
            record_id,
            {
                name: {"old": _shown(spec, name, value), "new": None}
                for name, value in values.items()
                if name not in IGNORED_FIELDS and value is not None
            },
        )
        for record_id, values in old.items()
        if record_id not in remaining
    ]
    _write(session.connection(), rows)
    return result


def _bulk_insert(state: ORMExecuteState, table: Table, spec: AuditSpec) -> Result[Any]:
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
    context = _context()
    rows = [
        _change_row(
            context,
            "create",
            table.name,
            record_id,
            {
                name: {"old": None, "new": _shown(spec, name, value)}
                for name, value in values.items()
                if name not in IGNORED_FIELDS and value is not None
            },
        )
        for record_id, values in created.items()
    ]
    _write(session.connection(), rows)
    return result


def _do_orm_execute(state: ORMExecuteState) -> Result[Any] | None:
    if state.is_select or not (state.is_update or state.is_delete or state.is_insert):
        return None
    mapper = state.bind_mapper
    spec = audit_spec(mapper.class_ if mapper is not None else None)
    if mapper is None or spec is None:
        return None
    table = mapper.local_table
    assert isinstance(table, Table)
    if state.is_update:
        return _bulk_update(state, table, spec)
    if state.is_delete:
        return _bulk_delete(state, table, spec)
    return _bulk_insert(state, table, spec)


def install_audit_hooks() -> None:
    """Register the CDC hooks on every ORM session of the process (idempotent)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _do_orm_execute, retval=True)


# --- security events ----------------------------------------------------------------------


def _security_row(event_name: str, entity_id: int | None, details: dict[str, object]) -> Insert:
    if event_name not in SECURITY_EVENTS:
        raise ValueError(f"unknown security event {event_name!r}")
    row = _change_row(_context(), "security", SECURITY_ENTITY, entity_id, json_safe(details))
    row["event"] = event_name
    return insert(AUDIT_CHANGES).values(**row)


async def record_security_event(
    factory: SessionFactory, event: str, *, entity_id: int | None, details: dict[str, object]
) -> None:
    """Write a security event and commit it in a transaction of its own, so that it stays
    even when the request that caused it fails (401, 403, a rolled-back change).

    Actor, request id, client address and reason come from the request's context.
    Call it when the request's own session holds no write lock: on SQLite a second writer
    would wait for the first. An event that belongs to a change the request makes (a password
    changed, a user deactivated) goes with that change: `add_security_event(session, ...)`.
    """
    statement = _security_row(event, entity_id, details)
    async with factory() as session:
        await session.exec(statement)
        await session.commit()


async def add_security_event(
    session: AsyncSession, event: str, *, entity_id: int | None, details: dict[str, object]
) -> None:
    """A security event in the caller's unit of work: committed, or rolled back, with it."""
    await session.exec(_security_row(event, entity_id, details))


async def on_permission_denied(request: Request, principal: Principal, permission: str) -> None:
    """`app.state.on_permission_denied`: every 403 of `require()` leaves a security event."""
    await record_security_event(
        request.app.state.session_factory,
        "permission_denied",
        entity_id=principal.user_id,
        details={"permission": permission, "method": request.method, "path": request.url.path},
    )
