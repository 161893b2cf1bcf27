from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI

from app.core.security.permissions import registry
from app.main import create_app
from app.modules.products import service as products_service
from app.routers import MODULES
from tests.sixth_module import GADGETS
from tests.sixth_module.models import GADGET_METADATA


@pytest.fixture
def process_registries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The permission registry and the products' delete hooks live as long as the process:
    a module added by a test must not outlive it, so the test works on copies."""
    monkeypatch.setattr(registry, "_permissions", dict(registry._permissions))
    hooks = products_service._before_delete
    monkeypatch.setattr(hooks, "_hooks", list(hooks._hooks))


@pytest.fixture
async def app(test_env: None, process_registries: None) -> AsyncIterator[FastAPI]:
    """The whole app plus the gadgets: one more entry in the module list, nothing else."""
    application = create_app(modules=(*MODULES, GADGETS))
    # What the module's Alembic revision would do.
    async with application.state.engine.begin() as conn:
        await conn.run_sync(GADGET_METADATA.create_all)
    async with application.router.lifespan_context(application):
        yield application
