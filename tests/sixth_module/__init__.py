"""A throwaway sixth module: the five files, this spec, and one entry in a module list."""

from app.core.modules import AdminResource, DeleteGuard, ModuleSpec, Tag
from app.core.security.permissions import crud_permissions
from tests.sixth_module.models import Gadget
from tests.sixth_module.router import router
from tests.sixth_module.service import refuse_product_with_gadgets

GADGETS = ModuleSpec(
    name="gadgets",
    tag=Tag("gadgets", "Gadgets: the module a test adds."),
    routers=(router,),
    permissions=crud_permissions("gadgets"),
    model=Gadget,
    path="/gadgets",
    guards=(DeleteGuard("products", refuse_product_with_gadgets),),
    admin=AdminResource(
        label="Gadgets",
        columns=("name", "product_id"),
        title="Gadget {name}",
        references={"product_id": "products"},
        labels={"product_id": "Product"},
    ),
)
