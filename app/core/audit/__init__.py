"""Change-data-capture and security events: the audit trail's write side.

Every INSERT, UPDATE and DELETE of a model that declares `__audit__` becomes one row of
`audit_changes` per affected record, inserted on the same connection and in the same
transaction as the change: a rollback leaves no audit row, a commit always has them.

- `rows`: the change row, its context (actor, request id, address, reason) and JSON shaping;
- `unit_of_work`: the `after_flush` hook over the session's new, dirty and deleted objects;
- `bulk`: ORM bulk `insert()`, `update()` and `delete()` statements, which skip the flush;
- `security`: security events (logins, replays, denials), committed with a change or alone;
- `hooks`: `install_audit_hooks()`, called by `create_app` and by scripts that write.

Raw SQL text bypasses the ORM and is not captured.
"""

from app.core.audit.hooks import install_audit_hooks
from app.core.audit.rows import SECRET, Changes, json_safe
from app.core.audit.security import (
    SECURITY_ENTITY,
    SECURITY_EVENTS,
    SessionFactory,
    add_security_event,
    on_permission_denied,
    record_security_event,
)

__all__ = [
    "SECRET",
    "SECURITY_ENTITY",
    "SECURITY_EVENTS",
    "Changes",
    "SessionFactory",
    "add_security_event",
    "install_audit_hooks",
    "json_safe",
    "on_permission_denied",
    "record_security_event",
]
