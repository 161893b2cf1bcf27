"""Delete hooks are wired from the module list when an app is built: never at import, never
twice, and a list the app cannot serve stops it at start-up."""

import subprocess
import sys

import pytest
from httpx import AsyncClient
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.modules import DeleteGuard, ModuleSpec, Tag
from app.main import create_app
from app.routers import MODULES
from tests.conftest import Headers

IMPORT_ONLY = """
import app.auth, app.modules.production, app.modules.quality, app.modules.tasks
from app.auth.users_service import _before_delete as users
from app.modules.products.service import _before_delete as products
print(len(users._hooks), len(products._hooks))
"""


def test_importing_the_modules_wires_no_hook() -> None:
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_ONLY], capture_output=True, text=True, timeout=120
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "0"]


@pytest.mark.usefixtures("test_env", "process_registries")
async def test_building_two_apps_runs_each_hook_once(
    client: AsyncClient, superuser: Headers
) -> None:
    calls: list[int] = []

    async def count(_session: AsyncSession, product_id: int) -> None:
        calls.append(product_id)

    counting = ModuleSpec(
        name="counting", tag=Tag("counting", "Counts."), guards=(DeleteGuard("products", count),)
    )
    for _ in range(2):
        await create_app(modules=(*MODULES, counting)).state.engine.dispose()
    body = {"sku": "ONCE-1", "name": "Once", "price": "1.00"}
    product = (await client.post("/api/v1/products", json=body, headers=superuser)).json()

    deleted = await client.delete(f"/api/v1/products/{product['id']}", headers=superuser)

    assert deleted.status_code == 204
    assert calls == [product["id"]]


async def _noop(_session: AsyncSession, _record_id: int) -> None:
    return None


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            ModuleSpec(name="x", tag=Tag("x", "X."), guards=(DeleteGuard("orders", _noop),)),
            "Module x guards deletes of orders, which is not a listed module",
        ),
        (
            ModuleSpec(name="x", tag=Tag("x", "X."), guards=(DeleteGuard("audit", _noop),)),
            "Module x guards deletes of audit, which is not a listed module",
        ),
        (ModuleSpec(name="products", tag=Tag("p", "P.")), "Modules listed twice: products."),
    ],
)
@pytest.mark.usefixtures("test_env", "process_registries")
def test_a_module_list_the_app_cannot_serve_stops_it_at_start_up(
    extra: ModuleSpec, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        create_app(modules=(*MODULES, extra))
