"""Change-data-capture: unit of work and ORM bulk statements, through the API and a session."""

import enum
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from httpx import AsyncClient
from sqlalchemy import delete, insert, update
from sqlmodel import col, select

from app.core.audit import add_security_event, json_safe, record_security_event
from app.core.db.database import DbSession
from app.core.db.models import AuditSpec
from app.core.observability.logging import Actor, actor_var
from app.modules.products.models import Product
from app.modules.products.schemas import ProductCreate
from app.modules.products.service import ProductService
from tests.audit.conftest import Headers, changes
from tests.users import MakeUser

URL = "/api/v1/products"


def body(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"sku": "wid-001", "name": "Blue Widget", "price": "19.9", "stock": 5}
    data.update(overrides)
    return data


async def create(client: AsyncClient, headers: Headers, **overrides: Any) -> dict[str, Any]:
    response = await client.post(URL, json=body(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


@pytest.fixture
def system_actor() -> Any:
    token = actor_var.set(Actor(None, "system:test"))
    yield
    actor_var.reset(token)


async def test_create_update_delete_through_the_api_leave_one_row_each(
    app: FastAPI, client: AsyncClient, make_user: MakeUser
) -> None:
    editor = await make_user("products:create", "products:update", "products:delete")
    headers = {**editor.headers, "X-Request-ID": "req-update", "X-Change-Reason": "new catalogue"}
    product = await create(client, editor.headers, description=None)
    pid = product["id"]
    await client.patch(f"{URL}/{pid}", json={"price": "21.00", "stock": 5}, headers=headers)
    await client.delete(f"{URL}/{pid}", headers={**editor.headers, "X-Request-ID": "req-delete"})

    rows = await changes(app, entity="products", entity_id=pid)

    assert [r.action for r in rows] == ["create", "update", "delete"]
    created, updated, deleted = rows
    assert created.changes["sku"] == {"old": None, "new": "WID-001"}
    assert created.changes["price"] == {"old": None, "new": "19.90"}
    assert "description" not in created.changes
    assert updated.changes == {"price": {"old": "19.90", "new": "21.00"}}
    assert {(r.actor_id, r.actor) for r in rows} == {(editor.id, editor.email)}
    assert updated.request_id == "req-update"
    assert updated.reason == "new catalogue"
    assert updated.client_ip == "127.0.0.1"
    assert updated.event is None
    assert deleted.changes["price"] == {"old": "21.00", "new": None}
    assert deleted.request_id == "req-delete"
    assert deleted.reason is None


async def test_an_update_that_changes_nothing_records_nothing(
    app: FastAPI, client: AsyncClient, superuser: Headers
) -> None:
    product = await create(client, superuser)

    again = await client.patch(
        f"{URL}/{product['id']}", json={"price": "19.90", "stock": 5}, headers=superuser
    )

    assert again.status_code == 200
    assert [r.action for r in await changes(app, entity="products")] == ["create"]


async def test_a_request_that_fails_after_its_flush_leaves_no_audit_row(
    app: FastAPI, client: AsyncClient, superuser: Headers
) -> None:
    router = APIRouter()

    @router.post("/test/create-then-fail")
    async def create_then_fail(session: DbSession) -> None:
        await ProductService(session).create(ProductCreate.model_validate(body()))
        raise RuntimeError("after the flush")

    app.include_router(router)

    response = await client.post("/test/create-then-fail")

    assert response.status_code == 500
    assert await changes(app, entity="products") == []
    assert (await client.get(URL, headers=superuser)).json()["total"] == 0


async def test_bulk_statements_leave_one_row_per_affected_record(
    app: FastAPI, system_actor: None
) -> None:
    async with app.state.session_factory() as session:
        await session.exec(
            insert(Product),
            params=[
                {"sku": f"B-{i}", "name": f"B{i}", "slug": f"b{i}", "price": Decimal("3.5")}
                for i in range(3)
            ],
        )
        await session.exec(update(Product).where(col(Product.sku) != "B-0").values(stock=4))
        await session.exec(update(Product).where(col(Product.sku) == "B-1").values(stock=4))
        await session.exec(update(Product), params=[{"id": 1, "name": "First", "version": 1}])
        await session.exec(delete(Product).where(col(Product.sku) == "B-2"))
        await session.commit()

    rows = await changes(app, entity="products")

    assert [(r.action, r.entity_id) for r in rows] == [
        ("create", 1),
        ("create", 2),
        ("create", 3),
        ("update", 2),
        ("update", 3),
        ("update", 1),
        ("delete", 3),
    ]
    assert {r.actor for r in rows} == {"system:test"}
    assert {r.actor_id for r in rows} == {None}
    assert rows[0].changes["price"] == {"old": None, "new": "3.50"}
    assert rows[3].changes == {"stock": {"old": 0, "new": 4}}
    assert rows[5].changes == {"name": {"old": "B0", "new": "First"}}
    assert rows[6].changes["stock"] == {"old": 4, "new": None}


async def test_a_bulk_insert_asking_for_returning_still_gets_its_rows(app: FastAPI) -> None:
    async with app.state.session_factory() as session:
        result = await session.exec(
            insert(Product)
            .values(sku="R-1", name="R", slug="r", price=Decimal(1))
            .returning(col(Product.id), col(Product.sku))
        )
        assert [tuple(row) for row in result.all()] == [(1, "R-1")]
        await session.commit()

    assert [(r.action, r.entity_id) for r in await changes(app, entity="products")] == [
        ("create", 1)
    ]


async def test_a_bulk_update_matching_nothing_records_nothing(app: FastAPI) -> None:
    async with app.state.session_factory() as session:
        result = await session.exec(update(Product).where(col(Product.id) == 99).values(stock=1))
        await session.exec(delete(Product).where(col(Product.id) == 99))
        await session.commit()

    assert result.rowcount == 0
    assert await changes(app, entity="products") == []


async def test_a_rolled_back_bulk_statement_leaves_no_audit_row(
    app: FastAPI, client: AsyncClient, superuser: Headers
) -> None:
    await create(client, superuser)
    async with app.state.session_factory() as session:
        await session.exec(update(Product).values(stock=99))
        await session.rollback()

    assert [r.action for r in await changes(app, entity="products")] == ["create"]


async def test_secret_fields_are_stored_as_stars(
    app: FastAPI, client: AsyncClient, superuser: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Product, "__audit__", AuditSpec(secret_fields=frozenset({"description"})))
    product = await create(client, superuser, description="the old secret")
    await client.patch(
        f"{URL}/{product['id']}", json={"description": "the new secret"}, headers=superuser
    )
    async with app.state.session_factory() as session:
        await session.exec(update(Product).values(description="bulk secret"))
        await session.commit()

    rows = await changes(app, entity="products")

    assert [r.changes["description"] for r in rows] == [
        {"old": None, "new": "***"},
        {"old": "***", "new": "***"},
        {"old": "***", "new": "***"},
    ]
    assert "secret" not in str([r.changes for r in rows])


async def test_models_without_audit_spec_are_not_recorded(
    app: FastAPI, client: AsyncClient, superuser: Headers, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Product, "__audit__", None)
    product = await create(client, superuser)
    async with app.state.session_factory() as session:
        await session.exec(update(Product).values(stock=1))
        await session.exec(delete(Product).where(col(Product.id) == product["id"]))
        await session.commit()

    assert await changes(app, entity="products") == []


async def test_role_links_are_recorded_on_the_user(app: FastAPI, system_actor: None) -> None:
    from app.auth.models import Role, User

    async with app.state.session_factory() as session:
        reader, writer = Role(name="reader"), Role(name="writer")
        user = User(email="a@example.com", full_name="A", password_hash="hash", roles=[reader])
        session.add_all([reader, writer, user])
        await session.commit()
        loaded = (await session.exec(select(User).where(col(User.id) == user.id))).one()
        loaded.roles = [writer, reader]
        loaded.password_hash = "other-hash"
        await session.commit()

    rows = await changes(app, entity="users")

    assert [r.action for r in rows] == ["create", "update"]
    assert rows[0].changes["roles"] == {"old": [], "new": ["reader"]}
    assert rows[0].changes["password_hash"] == {"old": None, "new": "***"}
    assert rows[1].changes == {
        "roles": {"old": ["reader"], "new": ["reader", "writer"]},
        "password_hash": {"old": "***", "new": "***"},
    }


class Colour(enum.Enum):
    RED = "red"


def test_json_safe_turns_every_column_type_into_json() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    ident = uuid.UUID(int=1)

    safe = json_safe(
        {
            "money": Decimal("1.50"),
            "at": moment,
            "day": date(2026, 1, 2),
            "colour": Colour.RED,
            "id": ident,
            "raw": b"\x01",
            "many": (1, {2}),
            "other": object.__name__,
            "odd": complex(1, 2),
        }
    )

    assert safe == {
        "money": "1.50",
        "at": "2026-01-02T03:04:05+00:00",
        "day": "2026-01-02",
        "colour": "red",
        "id": str(ident),
        "raw": "01",
        "many": [1, [2]],
        "other": "object",
        "odd": "(1+2j)",
    }


async def test_security_events_in_the_unit_of_work_share_its_fate(app: FastAPI) -> None:
    async with app.state.session_factory() as session:
        await add_security_event(session, "password_changed", entity_id=5, details={"by": "self"})
        await session.rollback()
    async with app.state.session_factory() as session:
        await add_security_event(session, "user_deactivated", entity_id=6, details={})
        await session.commit()
    await record_security_event(
        app.state.session_factory, "login_failed", entity_id=None, details={"email": "x@y.z"}
    )

    rows = await changes(app, action="security")

    assert [(r.event, r.entity, r.entity_id) for r in rows] == [
        ("user_deactivated", "auth", 6),
        ("login_failed", "auth", None),
    ]
    assert rows[1].changes == {"email": "x@y.z"}
    with pytest.raises(ValueError, match="unknown security event"):
        await record_security_event(app.state.session_factory, "nope", entity_id=1, details={})
