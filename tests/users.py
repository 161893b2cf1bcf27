"""Test users: created through the auth services, logged in through the API."""

import itertools
from dataclasses import dataclass
from typing import Protocol

from fastapi import FastAPI
from httpx import AsyncClient
from sqlmodel.ext.asyncio.session import AsyncSession

from app.auth.roles_service import RoleService
from app.auth.schemas import RoleCreate, UserCreate
from app.auth.users_service import UserService
from app.core.db.database import run_in_own_transaction
from app.core.security.permissions import Principal

LOGIN_URL = "/api/v1/auth/login"
# What the fixtures act as: a superuser that exists only in the tests.
SYSTEM = Principal(user_id=0, email="system:tests", is_superuser=True, permissions=frozenset())
_serial = itertools.count(1)


@dataclass(frozen=True, slots=True)
class TestUser:
    __test__ = False  # not a test class, whatever pytest thinks of the name

    id: int
    email: str
    password: str
    headers: dict[str, str]


class MakeUser(Protocol):
    async def __call__(
        self, *permissions: str, email: str | None = None, is_superuser: bool = False
    ) -> TestUser: ...


async def login(client: AsyncClient, email: str, password: str) -> dict[str, str]:
    response = await client.post(LOGIN_URL, data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def create_user(
    app: FastAPI,
    email: str,
    password: str,
    *,
    permissions: tuple[str, ...] = (),
    is_superuser: bool = False,
) -> int:
    async def create(session: AsyncSession) -> int:
        role_ids: list[int] = []
        if permissions:
            role = await RoleService(session).create(
                RoleCreate(name=f"role-{next(_serial)}", permissions=list(permissions)), SYSTEM
            )
            role_ids.append(role.id or 0)
        user = await UserService(session, app.state.settings).create(
            UserCreate(
                email=email,
                full_name=email.split("@")[0],
                password=password,
                is_superuser=is_superuser,
                role_ids=role_ids,
            ),
            SYSTEM,
        )
        return user.id or 0

    return await run_in_own_transaction(app.state.session_factory, create)


def user_factory(app: FastAPI, client: AsyncClient) -> MakeUser:
    async def make(
        *permissions: str, email: str | None = None, is_superuser: bool = False
    ) -> TestUser:
        n = next(_serial)
        address = email or f"user{n}@example.com"
        password = f"password-{n}-long-enough"
        user_id = await create_user(
            app, address, password, permissions=permissions, is_superuser=is_superuser
        )
        return TestUser(user_id, address.lower(), password, await login(client, address, password))

    return make
