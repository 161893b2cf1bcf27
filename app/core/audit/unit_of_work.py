"""The ORM unit of work, read in `after_flush`: the session still shows the flush's new,
dirty and deleted objects and each attribute's history.

A many-to-many collection (a user's roles) is recorded on its owner as the sorted old and
new lists of the related records' names.
"""

from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import InstanceState, Mapper, RelationshipProperty, Session, UOWTransaction

from app.core.audit.rows import (
    IGNORED_FIELDS,
    Changes,
    audit_spec,
    change_row,
    context,
    json_safe,
    shown,
    whole_record,
    write,
)
from app.core.db.models import AuditSpec


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
    loaded = state.dict
    return {prop.key: loaded[prop.key] for prop in mapper.column_attrs if prop.key in loaded}


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
        changes[prop.key] = {"old": shown(spec, prop.key, old), "new": shown(spec, prop.key, new)}
    return changes | _link_changes(state, mapper, created=False)


def _changes(action: str, state: InstanceState[Any], spec: AuditSpec) -> Changes:
    mapper = state.mapper
    if action == "create":
        created = whole_record(spec, _loaded_columns(state, mapper), "new")
        return created | _link_changes(state, mapper, created=True)
    if action == "delete":
        return whole_record(spec, _loaded_columns(state, mapper), "old")
    return _updated(state, mapper, spec)


def after_flush(session: Session, _flush_context: UOWTransaction) -> None:
    where: dict[str, Any] | None = None
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
            changes = _changes(action, state, spec)
            if action == "update" and not changes:
                continue
            where = where or context()
            entity_id = state.identity[0] if state.identity else state.dict.get("id")
            entity: str = state.mapper.local_table.name  # type: ignore[attr-defined]
            rows.append(change_row(where, action, entity, entity_id, changes))
    write(session.connection(), rows)
