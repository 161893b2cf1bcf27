from sqlalchemy import ColumnElement
from sqlmodel import col

from app.core.db.repository import BaseRepository, matches_text
from app.modules.customers.models import Customer
from app.modules.customers.schemas import CustomerListQuery


class CustomerRepository(BaseRepository[Customer]):
    model = Customer
    label = "Customer"

    def conditions(self, query: CustomerListQuery) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if query.q:
            found.append(matches_text(query.q, Customer.name, Customer.email, Customer.company))
        if query.status is not None:
            found.append(col(Customer.status) == query.status)
        return found
