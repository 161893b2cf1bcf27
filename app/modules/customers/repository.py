from sqlalchemy import ColumnElement, or_
from sqlmodel import col

from app.core.repository import BaseRepository
from app.core.schemas import escape_like
from app.modules.customers.models import Customer
from app.modules.customers.schemas import CustomerListQuery


class CustomerRepository(BaseRepository[Customer]):
    model = Customer
    label = "Customer"

    def conditions(self, query: CustomerListQuery) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = []
        if query.q:
            pattern = f"%{escape_like(query.q)}%"
            found.append(
                or_(
                    col(Customer.name).ilike(pattern, escape="\\"),
                    col(Customer.email).ilike(pattern, escape="\\"),
                    col(Customer.company).ilike(pattern, escape="\\"),
                )
            )
        if query.status is not None:
            found.append(col(Customer.status) == query.status)
        return found
