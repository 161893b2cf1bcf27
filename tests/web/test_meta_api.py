"""GET /api/v1/meta: the admin UI's resources, as the caller may use them."""

from typing import Any

from httpx import AsyncClient

from tests.conftest import Headers
from tests.users import MakeUser

URL = "/api/v1/meta"


def by_key(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {resource["key"]: resource for resource in body["resources"]}


async def test_a_superuser_gets_every_screen_in_menu_order(
    client: AsyncClient, superuser: Headers
) -> None:
    response = await client.get(URL, headers=superuser)

    assert response.status_code == 200
    body = response.json()
    keys = [r["key"] for r in body["resources"]]
    assert keys == ["products", "customers", "tasks", "batches", "inspections", "users", "roles"]
    assert body["entities"] == [*keys, "auth"]
    assert body["labels"]["id"] == "ID"
    products = by_key(body)["products"]
    assert products["path"] == "/api/v1/products"
    assert products["schema_name"] == "Product"
    assert products["title"] == "{sku} · {name}"
    assert products["labels"] == {"sku": "SKU"}


async def test_a_caller_sees_only_what_they_may_read(
    client: AsyncClient, make_user: MakeUser
) -> None:
    clerk = await make_user("tasks:update", "customers:read")

    body = (await client.get(URL, headers=clerk.headers)).json()

    assert [r["key"] for r in body["resources"]] == ["customers", "tasks"]
    assert by_key(body)["tasks"]["references"]["assignee_id"] == "users"


async def test_actions_and_links_follow_the_callers_permissions(
    client: AsyncClient, make_user: MakeUser
) -> None:
    reader = await make_user("production:read", "quality:read")
    operator = await make_user("production:update", "quality:create")

    seen = by_key((await client.get(URL, headers=reader.headers)).json())["batches"]
    allowed = by_key((await client.get(URL, headers=operator.headers)).json())["batches"]

    assert seen["actions"] == []
    assert [link["label"] for link in seen["links"]] == ["Inspections of this batch"]
    assert [a["label"] for a in allowed["actions"]] == ["Start", "Complete", "Fail"]
    fail = allowed["actions"][2]
    assert fail["path"] == "/fail"
    assert fail["fields"] == ["failure_reason"]
    assert fail["when"] == {"status": ["pending", "in_progress"]}
    assert [link["label"] for link in allowed["links"]] == [
        "Record inspection",
        "Inspections of this batch",
    ]


async def test_task_moves_are_the_ones_the_tasks_module_allows(
    client: AsyncClient, superuser: Headers
) -> None:
    tasks = by_key((await client.get(URL, headers=superuser)).json())["tasks"]

    moves = {a["body"]["status"]: a["when"]["status"] for a in tasks["actions"]}
    assert moves == {
        "in_progress": ["todo", "blocked"],
        "blocked": ["in_progress"],
        "done": ["in_progress"],
        "todo": ["in_progress", "done"],
        "cancelled": ["todo", "blocked"],
    }


async def test_without_a_token_it_is_401(client: AsyncClient) -> None:
    response = await client.get(URL)

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
