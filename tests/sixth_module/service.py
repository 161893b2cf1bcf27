from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.db.hooks import refuse_if_used
from app.core.http.etag import check_version
from app.core.http.pagination import Page
from app.modules.products.service import ProductService
from tests.sixth_module.models import Gadget
from tests.sixth_module.repository import GadgetRepository
from tests.sixth_module.schemas import GadgetCreate, GadgetListQuery, GadgetRead, GadgetUpdate


class GadgetService:
    def __init__(self, session: AsyncSession) -> None:
        self.gadgets = GadgetRepository(session)
        self.products = ProductService(session)

    async def list(self, query: GadgetListQuery) -> Page[GadgetRead]:
        items, total = await self.gadgets.list_page(self.gadgets.conditions(query), query)
        return Page[GadgetRead].build([GadgetRead.model_validate(g) for g in items], total, query)

    async def get(self, gadget_id: int) -> Gadget:
        return await self.gadgets.get_or_raise(gadget_id)

    async def create(self, data: GadgetCreate) -> Gadget:
        if data.product_id is not None:
            await self.products.require_active(data.product_id)
        return await self.gadgets.add(Gadget.model_validate(data))

    async def update(self, gadget_id: int, data: GadgetUpdate, expected: int | None) -> Gadget:
        gadget = await self.gadgets.get_or_raise(gadget_id)
        check_version(f"Gadget {gadget_id}", gadget.version, expected)
        if data.product_id is not None and data.product_id != gadget.product_id:
            await self.products.require_active(data.product_id)
        return await self.gadgets.update(gadget, data.changes())

    async def delete(self, gadget_id: int, expected: int | None) -> None:
        gadget = await self.gadgets.get_or_raise(gadget_id)
        check_version(f"Gadget {gadget_id}", gadget.version, expected)
        await self.gadgets.delete(gadget)


async def refuse_product_with_gadgets(session: AsyncSession, product_id: int) -> None:
    refuse_if_used(
        await GadgetRepository(session).count_naming_product(product_id),
        f"Product {product_id} is named by",
        ("gadget", "gadgets"),
        "point those gadgets at another product first.",
    )
