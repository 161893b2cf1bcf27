from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from app.core.db.database import DbSession
from app.core.http.etag import IfMatch, answer
from app.core.http.export import csv_response, wants_csv
from app.core.http.pagination import Page
from app.core.http.routing import (
    API_PREFIX,
    CHANGE_RESPONSES,
    LIST_RESPONSES,
    READ_RESPONSES,
    WRITE_RESPONSES,
    RecordId,
)
from app.core.security.permissions import Principal, require
from app.modules.customers.schemas import (
    CustomerCreate,
    CustomerListQuery,
    CustomerRead,
    CustomerUpdate,
)
from app.modules.customers.service import CustomerService

router = APIRouter(prefix=f"{API_PREFIX}/customers", tags=["customers"])


async def customer_service(session: DbSession) -> CustomerService:
    return CustomerService(session)


Customers = Annotated[CustomerService, Depends(customer_service)]
CanRead = Annotated[Principal, Depends(require("customers", "read"))]
CanCreate = Annotated[Principal, Depends(require("customers", "create"))]
CanUpdate = Annotated[Principal, Depends(require("customers", "update"))]
CanDelete = Annotated[Principal, Depends(require("customers", "delete"))]


@router.get("", response_model=Page[CustomerRead], responses=LIST_RESPONSES)
async def list_customers(
    request: Request,
    query: Annotated[CustomerListQuery, Query()],
    customers: Customers,
    _: CanRead,
) -> Page[CustomerRead] | Response:
    if wants_csv(request, query):
        return csv_response(request, customers.export_statement(query), CustomerRead, "customers")
    return await customers.list_page(query)


@router.post("", status_code=status.HTTP_201_CREATED, responses=WRITE_RESPONSES)
async def create_customer(
    data: CustomerCreate,
    request: Request,
    response: Response,
    customers: Customers,
    _: CanCreate,
) -> CustomerRead:
    customer = await customers.create(data)
    response.headers["Location"] = str(request.url_for("get_customer", customer_id=customer.id))
    return answer(response, customer, CustomerRead)


@router.get("/{customer_id}", responses=READ_RESPONSES)
async def get_customer(
    customer_id: RecordId, response: Response, customers: Customers, _: CanRead
) -> CustomerRead:
    customer = await customers.get(customer_id)
    return answer(response, customer, CustomerRead)


@router.patch("/{customer_id}", responses=CHANGE_RESPONSES)
async def update_customer(
    customer_id: RecordId,
    data: CustomerUpdate,
    expected: IfMatch,
    response: Response,
    customers: Customers,
    _: CanUpdate,
) -> CustomerRead:
    customer = await customers.update(customer_id, data, expected)
    return answer(response, customer, CustomerRead)


@router.delete("/{customer_id}", status_code=status.HTTP_204_NO_CONTENT, responses=CHANGE_RESPONSES)
async def delete_customer(
    customer_id: RecordId, expected: IfMatch, customers: Customers, _: CanDelete
) -> None:
    await customers.delete(customer_id, expected)
