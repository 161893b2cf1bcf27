from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from app.core.db.hooks import DeleteHooks
from app.core.exceptions import ValidationFailed
from app.core.http.etag import check_version
from app.core.http.pagination import Page
from app.modules.customers.models import Customer
from app.modules.customers.repository import CustomerRepository
from app.modules.customers.schemas import (
    CustomerCreate,
    CustomerListQuery,
    CustomerRead,
    CustomerUpdate,
)

# Tasks register here to refuse or release a customer being deleted (see core.db.hooks).
_before_delete = DeleteHooks()
on_customer_delete = _before_delete.register


class CustomerService:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.customers = CustomerRepository(session)

    async def list_page(self, query: CustomerListQuery) -> Page[CustomerRead]:
        items, total = await self.customers.list_page(self.customers.conditions(query), query)
        return Page[CustomerRead].build(
            [CustomerRead.model_validate(c) for c in items], total, query
        )

    def export_statement(self, query: CustomerListQuery) -> SelectOfScalar[Customer]:
        return self.customers.select_matching(self.customers.conditions(query), query)

    async def get(self, customer_id: int) -> Customer:
        return await self.customers.get_or_raise(customer_id)

    async def require_active(self, customer_id: int, field: str = "customer_id") -> Customer:
        """For other modules: the customer, or a 422 naming the field that referenced it."""
        customer = await self.customers.get(customer_id)
        if customer is None:
            raise ValidationFailed.for_field(field, f"Customer {customer_id} does not exist.")
        return customer

    async def create(self, data: CustomerCreate) -> Customer:
        # A duplicate email is refused by the unique index; the IntegrityError becomes a 409
        # naming the field in core.http.handlers, which also covers two concurrent creates.
        return await self.customers.add(Customer.model_validate(data))

    async def update(
        self, customer_id: int, data: CustomerUpdate, expected_version: int | None
    ) -> Customer:
        customer = await self.customers.get_or_raise(customer_id)
        check_version(f"Customer {customer_id}", customer.version, expected_version)
        return await self.customers.update(customer, data.changes())

    async def delete(self, customer_id: int, expected_version: int | None) -> None:
        customer = await self.customers.get_or_raise(customer_id)
        check_version(f"Customer {customer_id}", customer.version, expected_version)
        await _before_delete.run(self.session, customer_id)
        await self.customers.delete(customer)
