"""Installing the CDC hooks: once per process, on every ORM session."""

from sqlalchemy import event
from sqlalchemy.orm import Session

from app.core.audit.bulk import do_orm_execute
from app.core.audit.unit_of_work import after_flush


def install_audit_hooks() -> None:
    """Register the CDC hooks on every ORM session of the process (idempotent).

    `create_app` calls it; so does every script that writes audited tables with a session
    factory of its own (the seed), since a write without the hooks would leave no trace.
    """
    if not event.contains(Session, "after_flush", after_flush):
        event.listen(Session, "after_flush", after_flush)
        event.listen(Session, "do_orm_execute", do_orm_execute, retval=True)
