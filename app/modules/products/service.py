import re
import unicodedata
from collections.abc import Container

from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from app.core.db.hooks import DeleteHooks
from app.core.exceptions import Conflict, ValidationFailed
from app.core.http.etag import check_version
from app.core.http.pagination import Page
from app.modules.products.models import Product
from app.modules.products.repository import ProductRepository
from app.modules.products.schemas import (
    ProductCreate,
    ProductListQuery,
    ProductRead,
    ProductUpdate,
)

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
SLUG_MAX = 200
# Each lost race means another writer committed a slug of this name meanwhile: N writers
# racing for one name settle within N attempts.
SLUG_ATTEMPTS = 25
# Production and tasks register here to refuse or release a product being deleted
# (see core.db.hooks), so the answer names what still uses it instead of a bare 409.
_before_delete = DeleteHooks()
on_product_delete = _before_delete.register


def _busy_name(name: str) -> Conflict:
    return Conflict(f"Too many products named {name} are being saved at once; try again.")


def free_slug(name: str, taken: Container[str]) -> str:
    """The name's slug, or the first `<slug>-2`, `-3` … not in `taken`."""
    base = slugify(name)
    if base not in taken:
        return base
    suffix = 2
    while f"{base}-{suffix}" in taken:
        suffix += 1
    return f"{base}-{suffix}"


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = _NOT_SLUG.sub("-", ascii_name.lower()).strip("-")
    return slug[:SLUG_MAX].rstrip("-") or "product"


class ProductService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.products = ProductRepository(session)

    async def list_page(self, query: ProductListQuery) -> Page[ProductRead]:
        items, total = await self.products.list_page(self.products.conditions(query), query)
        return Page[ProductRead].build([ProductRead.model_validate(p) for p in items], total, query)

    def export_statement(self, query: ProductListQuery) -> SelectOfScalar[Product]:
        return self.products.select_matching(self.products.conditions(query), query)

    async def get(self, product_id: int) -> Product:
        return await self.products.get_or_raise(product_id)

    async def require_active(self, product_id: int, field: str = "product_id") -> Product:
        """For other modules: the product, or a 422 naming the field that referenced it."""
        product = await self.products.get_active(product_id)
        if product is None:
            raise ValidationFailed.for_field(
                field, f"Product {product_id} does not exist or is inactive."
            )
        return product

    async def create(self, data: ProductCreate) -> Product:
        for _ in range(SLUG_ATTEMPTS):
            slug = await self._unique_slug(data.name)
            product = Product.model_validate(data, update={"slug": slug})
            if await self.products.save_unless_slug_taken(product):
                return product
        raise _busy_name(data.name)

    async def update(
        self, product_id: int, data: ProductUpdate, expected_version: int | None
    ) -> Product:
        product = await self.products.get_or_raise(product_id)
        check_version(f"Product {product_id}", product.version, expected_version)
        changes = data.changes()
        if "name" not in changes or changes["name"] == product.name:
            return await self.products.update(product, changes)
        name = str(changes["name"])
        for _ in range(SLUG_ATTEMPTS):
            changes["slug"] = await self._unique_slug(name, keep=product.slug)
            if await self.products.save_unless_slug_taken(product, changes):
                return product
        raise _busy_name(name)

    async def delete(self, product_id: int, expected_version: int | None) -> None:
        product = await self.products.get_or_raise(product_id)
        check_version(f"Product {product_id}", product.version, expected_version)
        await _before_delete.run(self.session, product_id)
        await self.products.delete(product)

    async def _unique_slug(self, name: str, keep: str | None = None) -> str:
        taken = await self.products.slugs_starting_with(slugify(name))
        taken.discard(keep or "")
        return free_slug(name, taken)
