"""One audit change row: what changed, shaped as JSON, with the request's context."""

import enum
import uuid
from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from app.core.audit.tables import AUDIT_CHANGES, REASON_MAX
from app.core.db.models import AuditSpec, utc_now
from app.core.observability.logging import (
    actor_var,
    change_reason_var,
    client_ip_var,
    request_id_var,
)

SECRET = "***"
# Bookkeeping columns: every UPDATE changes them, so they would only drown the real change.
IGNORED_FIELDS = frozenset({"id", "version", "created_at", "updated_at"})

Changes = dict[str, dict[str, Any]]


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


def context() -> dict[str, Any]:
    """Who, from where, why and when: the same for every row one request writes."""
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


def change_row(
    where: dict[str, Any], action: str, entity: str, entity_id: Any, changes: Changes
) -> dict[str, Any]:
    return {
        **where,
        "action": action,
        "entity": entity,
        "entity_id": entity_id,
        "event": None,
        "changes": changes,
    }


def shown(spec: AuditSpec, name: str, value: Any) -> Any:
    if name in spec.secret_fields and value is not None:
        return SECRET
    return json_safe(value)


def whole_record(
    spec: AuditSpec, values: Mapping[str, Any], side: Literal["old", "new"]
) -> Changes:
    """A created (`new`) or deleted (`old`) record: every field that holds a value."""
    changes: Changes = {}
    for name, value in values.items():
        if name in IGNORED_FIELDS or value is None:
            continue
        safe = shown(spec, name, value)
        changes[name] = {"old": safe, "new": None} if side == "old" else {"old": None, "new": safe}
    return changes


def diff(spec: AuditSpec, old: Mapping[str, Any], new: Mapping[str, Any]) -> Changes:
    """Only the fields whose value really changed (19.9 and 19.90 are the same price)."""
    changes: Changes = {}
    for name in new:
        if name in IGNORED_FIELDS or name not in old or old[name] == new[name]:
            continue
        changes[name] = {"old": shown(spec, name, old[name]), "new": shown(spec, name, new[name])}
    return changes


def write(connection: Connection, rows: list[dict[str, Any]]) -> None:
    if rows:
        connection.execute(insert(AUDIT_CHANGES), rows)
