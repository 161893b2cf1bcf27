"""Users, roles, the user-role link, login sessions and their refresh tokens.

Other modules reference `users.id` in their foreign keys and reach users only through
`app.auth.users_service.UserService`.
"""

from datetime import datetime

from sqlalchemy import JSON
from sqlmodel import Field, Relationship, SQLModel

from app.core.db.models import AuditSpec, RecordBase, UTCDateTime, utc_now


class UserRole(SQLModel, table=True):
    """The link between a user and a role; its changes are audited on the user."""

    __tablename__ = "user_roles"

    user_id: int = Field(foreign_key="users.id", primary_key=True)
    role_id: int = Field(foreign_key="roles.id", primary_key=True, index=True)


class Role(RecordBase, table=True):
    __tablename__ = "roles"
    __table_args__ = ({"sqlite_autoincrement": True},)
    __audit__ = AuditSpec()

    name: str = Field(max_length=64, unique=True, index=True)
    description: str | None = Field(default=None, max_length=500)
    # Always assigned as a new list: JSON columns do not track in-place mutation.
    permissions: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)


class User(RecordBase, table=True):
    __tablename__ = "users"
    __table_args__ = ({"sqlite_autoincrement": True},)
    __audit__ = AuditSpec(secret_fields=frozenset({"password_hash"}))

    # Stored lower-cased, so the unique index compares case-insensitively.
    email: str = Field(max_length=320, unique=True, index=True)
    full_name: str = Field(max_length=200)
    password_hash: str = Field(max_length=128)
    is_active: bool = Field(default=True, index=True)
    is_superuser: bool = Field(default=False, index=True)
    password_changed_at: datetime = Field(
        default_factory=utc_now, sa_type=UTCDateTime, nullable=False
    )

    roles: list[Role] = Relationship(link_model=UserRole)


class LoginSession(SQLModel, table=True):
    """One login: every access and refresh token descended from it carries its id (`sid`)."""

    __tablename__ = "login_sessions"

    id: str = Field(primary_key=True, max_length=32)
    user_id: int = Field(foreign_key="users.id", index=True)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime, nullable=False)
    last_used_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    client_ip: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=300)


class RefreshToken(SQLModel, table=True):
    """A refresh token, known only by its id and the SHA-256 of its text."""

    __tablename__ = "refresh_tokens"

    jti: str = Field(primary_key=True, max_length=32)
    session_id: str = Field(
        foreign_key="login_sessions.id", index=True, ondelete="CASCADE", max_length=32
    )
    token_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utc_now, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
