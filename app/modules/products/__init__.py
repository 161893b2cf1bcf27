"""Products: the catalogue (SKU, price, stock)."""

from app.core.modules import AdminResource, ModuleSpec, Tag
from app.core.security.permissions import crud_permissions
from app.modules.products.models import Product
from app.modules.products.router import router
from app.modules.products.service import on_product_delete

PRODUCTS = ModuleSpec(
    name="products",
    tag=Tag("products", "The catalogue: SKU, price, stock."),
    routers=(router,),
    permissions=crud_permissions("products"),
    model=Product,
    path="/products",
    on_delete=on_product_delete,
    admin=AdminResource(
        label="Products",
        columns=("sku", "name", "category", "price", "stock", "is_active"),
        title="{sku} · {name}",
        labels={"sku": "SKU"},
    ),
)
