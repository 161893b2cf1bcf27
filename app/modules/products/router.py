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
from app.modules.products.schemas import (
    ProductCreate,
    ProductListQuery,
    ProductRead,
    ProductUpdate,
)
from app.modules.products.service import ProductService

router = APIRouter(prefix=f"{API_PREFIX}/products", tags=["products"])


# async on purpose: a plain `def` dependency runs in the thread pool, a thread hop per request.
async def product_service(session: DbSession) -> ProductService:
    return ProductService(session)


Products = Annotated[ProductService, Depends(product_service)]
CanRead = Annotated[Principal, Depends(require("products", "read"))]
CanCreate = Annotated[Principal, Depends(require("products", "create"))]
CanUpdate = Annotated[Principal, Depends(require("products", "update"))]
CanDelete = Annotated[Principal, Depends(require("products", "delete"))]


@router.get("", response_model=Page[ProductRead], responses=LIST_RESPONSES)
async def list_products(
    request: Request,
    query: Annotated[ProductListQuery, Query()],
    products: Products,
    _: CanRead,
) -> Page[ProductRead] | Response:
    if wants_csv(request, query):
        return csv_response(request, products.export_statement(query), ProductRead, "products")
    return await products.list_page(query)


@router.post("", status_code=status.HTTP_201_CREATED, responses=WRITE_RESPONSES)
async def create_product(
    data: ProductCreate, request: Request, response: Response, products: Products, _: CanCreate
) -> ProductRead:
    product = await products.create(data)
    response.headers["Location"] = str(request.url_for("get_product", product_id=product.id))
    return answer(response, product, ProductRead)


@router.get("/{product_id}", responses=READ_RESPONSES)
async def get_product(
    product_id: RecordId, response: Response, products: Products, _: CanRead
) -> ProductRead:
    product = await products.get(product_id)
    return answer(response, product, ProductRead)


@router.patch("/{product_id}", responses=CHANGE_RESPONSES)
async def update_product(
    product_id: RecordId,
    data: ProductUpdate,
    expected: IfMatch,
    response: Response,
    products: Products,
    _: CanUpdate,
) -> ProductRead:
    product = await products.update(product_id, data, expected)
    return answer(response, product, ProductRead)


@router.delete("/{product_id}", status_code=status.HTTP_204_NO_CONTENT, responses=CHANGE_RESPONSES)
async def delete_product(
    product_id: RecordId, expected: IfMatch, products: Products, _: CanDelete
) -> None:
    await products.delete(product_id, expected)
