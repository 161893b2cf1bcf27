from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from fastapi import FastAPI
from httpx import ASGITransport, AsyncClient
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.config import get_settings
from app.main import create_app
from tests import databases
from tests.users import MakeUser, TestUser, user_factory

Headers = dict[str, str]


@pytest.fixture(scope="session", autouse=True)
def _template_database() -> Iterator[None]:
    url = databases.server_url()
    if url is None:
        yield
        return
    databases.run(databases.build_template(url))
    yield
    databases.run(databases.drop_template(url))


@pytest.fixture
async def database_url(tmp_path: Path) -> AsyncIterator[str]:
    url = await databases.new_database(tmp_path)
    yield url
    await databases.drop_database(url)


@pytest.fixture
def test_env(monkeypatch: pytest.MonkeyPatch, database_url: str) -> Iterator[None]:
    """Settings for one test; a test may monkeypatch more variables before building the app."""
    monkeypatch.setenv("ENVIRONMENT", "test")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("BCRYPT_ROUNDS", "4")
    monkeypatch.setenv("LOG_LEVEL", "WARNING")
    monkeypatch.delenv("REDIS_URL", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
async def app(test_env: None) -> AsyncIterator[FastAPI]:
    application = create_app()
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def session(app: FastAPI) -> AsyncIterator[AsyncSession]:
    """A session from the app's own factory (its engine, hooks and options), for tests that
    call a service or repository directly; uncommitted work is rolled back at the end."""
    async with app.state.session_factory() as db:
        yield db


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[AsyncClient]:
    transport = ASGITransport(app=app, raise_app_exceptions=False)
    async with AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
def make_user(app: FastAPI, client: AsyncClient) -> MakeUser:
    """`await make_user("products:read", ...)`: a user holding one role with exactly those
    permissions, logged in through the API (`.headers` carries its access token)."""
    return user_factory(app, client)


@pytest.fixture
async def superuser(make_user: MakeUser) -> Headers:
    admin: TestUser = await make_user(email="admin@example.com", is_superuser=True)
    return admin.headers


@asynccontextmanager
async def serving(
    application: FastAPI, base_url: str = "http://testserver"
) -> AsyncIterator[AsyncClient]:
    """A client of an app a test built itself (other settings), for as long as it runs."""
    transport = ASGITransport(app=application, raise_app_exceptions=False)
    async with (
        application.router.lifespan_context(application),
        AsyncClient(transport=transport, base_url=base_url) as http,
    ):
        yield http
