"""What clients send and receive: users, roles, tokens, sessions, permissions.

No schema here carries a password hash or a stored token; passwords are write-only.
"""

from datetime import datetime
from typing import Annotated, ClassVar

from fastapi import Path
from pydantic import AfterValidator, BaseModel, Field, StrictBool, StringConstraints
from sqlmodel import SQLModel

from app.auth.models import LoginSession
from app.core.http.pagination import MAX_INT, ListQuery
from app.core.schemas import NOT_BLANK, SPACE, Integral, QueryFlag, UpdateSchema
from app.core.security.credentials import MAX_PASSWORD_BYTES, MIN_PASSWORD_LENGTH


def _fits_bcrypt(password: str) -> str:
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        raise ValueError(
            f"must be at most {MAX_PASSWORD_BYTES} bytes in UTF-8 (bcrypt ignores the rest)"
        )
    return password


Email = Annotated[
    str,
    StringConstraints(
        to_lower=True,
        min_length=3,
        max_length=320,
        pattern=f"^[^@{SPACE}]+@[^@{SPACE}]+\\.[^@{SPACE}]+$",
    ),
]
Password = Annotated[
    str,
    StringConstraints(min_length=MIN_PASSWORD_LENGTH, max_length=1_000),
    AfterValidator(_fits_bcrypt),
]
# No silent trimming: what the schema refuses, the server refuses too (and the reverse).
FullName = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=NOT_BLANK)]
RoleName = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_ .-]*$"),
]
PermissionName = Annotated[
    str, StringConstraints(min_length=3, max_length=100, pattern=r"^[a-z0-9_]+:[a-z0-9_]+$")
]
RecordRef = Annotated[int, Field(ge=1, le=MAX_INT), Integral]
RoleIds = Annotated[list[RecordRef], Field(max_length=100)]
Permissions = Annotated[list[PermissionName], Field(max_length=500)]


class RoleRef(SQLModel):
    id: int
    name: str


class UserBase(SQLModel):
    email: Email = Field(examples=["ada@example.com"])
    full_name: FullName
    is_active: StrictBool = True
    is_superuser: StrictBool = False


class UserCreate(UserBase):
    model_config = {"extra": "forbid"}
    password: Password
    role_ids: RoleIds = Field(default_factory=list)


class UserUpdate(UpdateSchema):
    not_null: ClassVar[frozenset[str]] = frozenset(
        {"email", "full_name", "password", "is_active", "is_superuser", "role_ids"}
    )

    email: Email | None = None
    full_name: FullName | None = None
    password: Password | None = None
    is_active: StrictBool | None = None
    is_superuser: StrictBool | None = None
    role_ids: RoleIds | None = None


class UserRead(UserBase):
    id: int
    email: str
    roles: list[RoleRef]
    created_at: datetime
    updated_at: datetime
    version: int


class MeRead(UserRead):
    permissions: list[str]


class UserListQuery(ListQuery):
    sortable: ClassVar[frozenset[str]] = frozenset(
        {"email", "full_name", "created_at", "updated_at"}
    )

    is_active: QueryFlag | None = None
    is_superuser: QueryFlag | None = None
    role_id: Annotated[int, Field(ge=1, le=MAX_INT)] | None = None


class RoleBase(SQLModel):
    name: RoleName
    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    permissions: Permissions = Field(default_factory=list, examples=[["products:read"]])


class RoleCreate(RoleBase):
    model_config = {"extra": "forbid"}


class RoleUpdate(UpdateSchema):
    not_null: ClassVar[frozenset[str]] = frozenset({"name", "permissions"})

    name: RoleName | None = None
    description: Annotated[str, StringConstraints(max_length=500)] | None = None
    permissions: Permissions | None = None


class RoleRead(RoleBase):
    id: int
    name: str
    permissions: list[str]
    created_at: datetime
    updated_at: datetime
    version: int


class RoleListQuery(ListQuery):
    sortable: ClassVar[frozenset[str]] = frozenset({"name", "created_at", "updated_at"})


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str | None = Field(
        default=None, description="Absent in cookie mode: the token is in the cookie instead."
    )
    token_type: str = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires")


class RefreshRequest(BaseModel):
    model_config = {"extra": "forbid"}
    refresh_token: str | None = Field(default=None, min_length=1, max_length=4_096)


class PasswordChange(BaseModel):
    model_config = {"extra": "forbid"}
    current_password: str = Field(min_length=1, max_length=1_000)
    new_password: Password


class SessionRead(BaseModel):
    id: str
    created_at: datetime
    last_used_at: datetime
    client_ip: str | None
    user_agent: str | None
    current: bool

    @classmethod
    def of(cls, record: LoginSession, current_id: str | None) -> "SessionRead":
        return cls(
            id=record.id,
            created_at=record.created_at,
            last_used_at=record.last_used_at,
            client_ip=record.client_ip,
            user_agent=record.user_agent,
            current=record.id == current_id,
        )


class PermissionRead(BaseModel):
    name: str
    module: str
    action: str
    description: str


SessionId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="A login session's id")]
