"""Security events: rows of `audit_changes` with action `security` and entity `auth`."""

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlalchemy.sql.dml import Insert
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request

from app.core.audit.rows import change_row, context, json_safe
from app.core.audit.tables import AUDIT_CHANGES
from app.core.security.principal import Principal

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

SessionFactory = async_sessionmaker[AsyncSession]


def _security_row(event_name: str, entity_id: int | None, details: dict[str, object]) -> Insert:
    if event_name not in SECURITY_EVENTS:
        raise ValueError(f"unknown security event {event_name!r}")
    row = change_row(context(), "security", SECURITY_ENTITY, entity_id, json_safe(details))
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
