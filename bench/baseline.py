"""The reference point of `make bench`: bare FastAPI + SQLAlchemy serving the same products
table, with no auth, no audit, no middleware, no problem+json, no ETag. Whatever FastOps costs
beyond this is the price of its layers.

    DATABASE_URL=... uvicorn bench.baseline:app
"""

import os
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Request
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlmodel import col

from app.core.config import Settings
from app.core.db.database import READ_ONLY, create_engine
from app.core.db.models import utc_now
from app.modules.products.models import Product

# The same engine set-up as the app (pool sizes, SQLite WAL + BEGIN IMMEDIATE for writers):
# that is database configuration, not an app layer, and without it SQLite writers fail.
engine = create_engine(Settings(database_url=os.environ["DATABASE_URL"]))
factory = async_sessionmaker(engine, expire_on_commit=False)
app = FastAPI()
COLUMNS = ("id", "sku", "name", "slug", "category", "price", "stock", "is_active", "version")


async def session(request: Request) -> AsyncIterator[AsyncSession]:
    async with factory() as s:
        if request.method == "GET":
            await s.connection(execution_options={READ_ONLY: True})
        try:
            yield s
            await s.commit()
        except BaseException:
            await s.rollback()
            raise


Session = Annotated[AsyncSession, Depends(session)]


class ProductIn(BaseModel):
    sku: str
    name: str
    price: Decimal
    stock: int = 0
    category: str | None = None


class ProductPatch(BaseModel):
    stock: int | None = None
    name: str | None = None


def shape(product: Product) -> dict[str, Any]:
    return {name: getattr(product, name) for name in COLUMNS}


@app.get("/api/v1/products/{product_id}")
async def get_product(product_id: int, db: Session) -> dict[str, Any]:
    product = await db.get(Product, product_id)
    if product is None:
        raise HTTPException(404)
    return shape(product)


@app.get("/api/v1/products")
async def list_products(
    db: Session, category: str | None = None, page: int = 1, size: int = 20
) -> dict[str, Any]:
    query = select(Product)
    if category is not None:
        query = query.where(col(Product.category) == category)
    total = (await db.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    rows = await db.scalars(
        query.order_by(col(Product.price).desc(), col(Product.id))
        .offset((page - 1) * size)
        .limit(size)
    )
    return {"items": [shape(p) for p in rows], "total": total, "page": page, "size": size}


@app.post("/api/v1/products", status_code=201)
async def create_product(body: ProductIn, db: Session) -> dict[str, Any]:
    product = Product(**body.model_dump(), slug=body.sku.lower())
    db.add(product)
    await db.flush()
    return shape(product)


@app.patch("/api/v1/products/{product_id}")
async def update_product(product_id: int, body: ProductPatch, db: Session) -> dict[str, Any]:
    product = await db.get(Product, product_id)
    if product is None:
        raise HTTPException(404)
    for name, value in body.model_dump(exclude_unset=True).items():
        setattr(product, name, value)
    product.updated_at = utc_now()
    await db.flush()
    return shape(product)
