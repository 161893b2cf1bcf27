import pytest
from fastapi import FastAPI
from httpx import AsyncClient
from sqlmodel import select

from app.auth.models import Role, User
from app.core.config import get_settings
from seeds.seed_create_app import main
from tests.auth.support import post_login

pytestmark = pytest.mark.usefixtures("app")  # the schema exists; main() uses DATABASE_URL


async def _roles_and_users(app: FastAPI) -> tuple[dict[str, list[str]], list[str]]:
    async with app.state.session_factory() as session:
        roles = {r.name: r.permissions for r in (await session.exec(select(Role))).all()}
        users = [u.email for u in (await session.exec(select(User))).all()]
    return roles, users


async def test_development_seed_creates_roles_and_a_generated_admin_once(
    app: FastAPI, client: AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await main([]) == 0
    first = capsys.readouterr().out
    roles, users = await _roles_and_users(app)

    assert sorted(roles) == ["admin", "auditor", "manager", "operator", "viewer"]
    assert "users:create" in roles["admin"]
    assert "users:read" not in roles["manager"]
    assert "products:delete" in roles["manager"]
    assert "products:read" in roles["operator"]
    assert "products:create" not in roles["operator"]
    assert "tasks:update" in roles["operator"]
    assert all(p.endswith(":read") for p in roles["viewer"])
    assert "audit:read" in roles["auditor"]
    assert all(p.endswith(":read") for p in roles["auditor"])
    assert users == ["admin@fastops.local"]
    password = first.split("with password ")[1].split()[0]
    assert (await post_login(client, "admin@fastops.local", password)).status_code == 200

    assert await main([]) == 0
    second = capsys.readouterr().out
    assert "password" not in second
    assert await _roles_and_users(app) == (roles, users)


async def test_first_superuser_comes_from_the_settings(
    app: FastAPI, client: AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FIRST_SUPERUSER_EMAIL", "Boss@Example.com")
    monkeypatch.setenv("FIRST_SUPERUSER_PASSWORD", "boss password 1")
    get_settings.cache_clear()

    assert await main([]) == 0
    assert await main([]) == 0

    _, users = await _roles_and_users(app)
    assert users == ["boss@example.com"]
    assert (await post_login(client, "boss@example.com", "boss password 1")).status_code == 200


async def test_production_refuses_without_a_first_superuser(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = get_settings()
    monkeypatch.setattr(
        "seeds.seed_create_app.get_settings",
        lambda: settings.model_copy(update={"environment": "production"}),
    )

    assert await main([]) == 2
    assert "FIRST_SUPERUSER_EMAIL" in capsys.readouterr().err
    assert await _roles_and_users(app) == ({}, [])
