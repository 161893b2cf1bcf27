"""Customers: the businesses and people FastOps sells to."""

from app.core.modules import AdminResource, ModuleSpec, Tag
from app.core.security.permissions import crud_permissions
from app.modules.customers.models import Customer
from app.modules.customers.router import router
from app.modules.customers.service import on_customer_delete

CUSTOMERS = ModuleSpec(
    name="customers",
    tag=Tag("customers", "The businesses and people FastOps sells to."),
    routers=(router,),
    permissions=crud_permissions("customers"),
    model=Customer,
    path="/customers",
    on_delete=on_customer_delete,
    admin=AdminResource(
        label="Customers", columns=("name", "email", "company", "status"), title="{name}"
    ),
)
