import csv
import io
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from httpx import AsyncClient

from tests.conftest import Headers
from tests.users import MakeUser

URL = "/api/v1/tasks"
TODAY = datetime.now(UTC).date()
# A path from todo to each state, through allowed moves only.
PATHS: dict[str, list[str]] = {
    "todo": [],
    "in_progress": ["in_progress"],
    "blocked": ["in_progress", "blocked"],
    "done": ["in_progress", "done"],
    "cancelled": ["cancelled"],
}
ALLOWED = {
    ("todo", "in_progress"),
    ("todo", "cancelled"),
    ("in_progress", "blocked"),
    ("in_progress", "done"),
    ("in_progress", "todo"),
    ("blocked", "in_progress"),
    ("blocked", "cancelled"),
    ("done", "todo"),
}
FORBIDDEN = sorted(
    (source, target)
    for source in PATHS
    for target in PATHS
    if target != source and (source, target) not in ALLOWED
)
ME = "<me>"  # stands for the caller's id in a case: it is known only once the test runs


def _as(case: dict[str, Any], me: int) -> dict[str, Any]:
    return {name: me if value == ME else value for name, value in case.items()}


@pytest.fixture
async def me(client: AsyncClient, superuser: Headers) -> int:
    response = await client.get("/api/v1/auth/me", headers=superuser)
    user_id: int = response.json()["id"]
    return user_id


async def create(
    client: AsyncClient, headers: Headers, assignee_id: int, **overrides: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"title": "Ship the order", "assignee_id": assignee_id}
    body.update(overrides)
    response = await client.post(URL, json=body, headers=headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def move(client: AsyncClient, headers: Headers, task_id: int, *states: str) -> Any:
    response = None
    for state in states:
        response = await client.patch(f"{URL}/{task_id}", json={"status": state}, headers=headers)
        assert response.status_code == 200, (state, response.text)
    return response


async def test_create_starts_as_todo_with_server_fields(
    client: AsyncClient, superuser: Headers, me: int
) -> None:
    response = await client.post(
        URL,
        json={
            "title": "  Call the supplier ",
            "assignee_id": me,
            "priority": "high",
            "due_date": "2030-01-31",
        },
        headers=superuser,
    )

    assert response.status_code == 201
    body = response.json()
    assert body["title"] == "Call the supplier"
    assert (body["status"], body["priority"], body["due_date"]) == ("todo", "high", "2030-01-31")
    assert (body["created_by"], body["assignee_id"], body["completed_at"]) == (me, me, None)
    assert response.headers["location"].endswith(f"{URL}/{body['id']}")
    assert response.headers["etag"] == '"1"'
    fetched = await client.get(response.headers["location"], headers=superuser)
    assert fetched.json() == body


async def test_created_by_is_the_caller_not_the_assignee(
    client: AsyncClient, superuser: Headers, me: int, make_user: MakeUser
) -> None:
    creator = await make_user("tasks:create")

    task = await create(client, creator.headers, me)

    assert (task["created_by"], task["assignee_id"]) == (creator.id, me)


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param({"status": "done"}, id="status"),
        pytest.param({"created_by": ME}, id="created_by"),
        pytest.param({"completed_at": "2020-01-01T00:00:00Z"}, id="completed_at"),
        pytest.param({"version": 2}, id="version"),
        pytest.param({"colour": "red"}, id="unknown-field"),
    ],
)
async def test_server_fields_and_unknown_fields_on_create_are_422_and_create_nothing(
    client: AsyncClient, superuser: Headers, me: int, extra: dict[str, Any]
) -> None:
    response = await client.post(
        URL, json={"title": "x", "assignee_id": me, **_as(extra, me)}, headers=superuser
    )

    assert response.status_code == 422
    assert (await client.get(URL, headers=superuser)).json()["total"] == 0


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param({"created_by": ME}, id="created_by"),
        pytest.param({"completed_at": None}, id="completed_at"),
        pytest.param({"id": 3}, id="id"),
    ],
)
async def test_server_fields_on_patch_are_422_and_change_nothing(
    client: AsyncClient, superuser: Headers, me: int, extra: dict[str, Any]
) -> None:
    task = await create(client, superuser, me)

    response = await client.patch(f"{URL}/{task['id']}", json=_as(extra, me), headers=superuser)

    assert response.status_code == 422
    assert (await client.get(URL, headers=superuser)).json()["total"] == 1
    assert (await client.get(f"{URL}/{task['id']}", headers=superuser)).json() == task


@pytest.mark.parametrize(
    "case",
    [
        pytest.param({"title": ""}, id="title-empty"),
        pytest.param({"title": "   "}, id="title-blank"),
        pytest.param({"title": "x" * 201}, id="title-too-long"),
        pytest.param({"priority": "critical"}, id="priority-unknown"),
        pytest.param({"due_date": "31/01/2030"}, id="due_date-not-iso"),
        pytest.param({"due_date": 0}, id="due_date-number"),
        pytest.param({"due_date": "2030-01-31T10:00:00"}, id="due_date-with-time"),
        pytest.param({"assignee_id": True}, id="assignee_id-boolean"),
        pytest.param({"assignee_id": "me"}, id="assignee_id-text"),
        pytest.param({"assignee_id": 0}, id="assignee_id-zero"),
        pytest.param({"assignee_id": 2**40}, id="assignee_id-too-big"),
        pytest.param({"customer_id": -1}, id="customer_id-negative"),
        pytest.param({"description": "x" * 5_001}, id="description-too-long"),
    ],
)
async def test_invalid_values_are_422_naming_the_field(
    client: AsyncClient, superuser: Headers, me: int, case: dict[str, Any]
) -> None:
    response = await client.post(
        URL, json={"title": "t", "assignee_id": me, **case}, headers=superuser
    )

    assert response.status_code == 422
    field = next(iter(case))
    assert any(field in e["loc"] for e in response.json()["errors"])


async def test_a_task_without_a_title_is_422(
    client: AsyncClient, superuser: Headers, me: int
) -> None:
    missing = await client.post(URL, json={"assignee_id": me}, headers=superuser)

    assert missing.status_code == 422


Reference = Callable[[AsyncClient, Headers, MakeUser], Awaitable[int]]


async def _missing(*_: object) -> int:
    return 99_999


async def _deactivated_user(client: AsyncClient, superuser: Headers, make_user: MakeUser) -> int:
    leaver = await make_user("tasks:read")
    deactivated = await client.patch(
        f"/api/v1/users/{leaver.id}", json={"is_active": False}, headers=superuser
    )
    assert deactivated.status_code == 200, deactivated.text
    return leaver.id


async def _inactive_product(client: AsyncClient, superuser: Headers, _: MakeUser) -> int:
    product = await client.post(
        "/api/v1/products",
        json={"sku": "OLD-1", "name": "Old", "price": "1.00", "is_active": False},
        headers=superuser,
    )
    assert product.status_code == 201, product.text
    product_id: int = product.json()["id"]
    return product_id


@pytest.mark.parametrize(
    ("field", "reference"),
    [
        pytest.param("assignee_id", _missing, id="assignee-unknown"),
        pytest.param("assignee_id", _deactivated_user, id="assignee-deactivated"),
        pytest.param("customer_id", _missing, id="customer-unknown"),
        pytest.param("product_id", _missing, id="product-unknown"),
        pytest.param("product_id", _inactive_product, id="product-inactive"),
    ],
)
async def test_unknown_or_inactive_references_are_422_naming_the_field(
    client: AsyncClient,
    superuser: Headers,
    me: int,
    make_user: MakeUser,
    field: str,
    reference: Reference,
) -> None:
    case = {field: await reference(client, superuser, make_user)}

    created = await client.post(
        URL, json={"title": "t", "assignee_id": me, **case}, headers=superuser
    )
    task = await create(client, superuser, me)
    patched = await client.patch(f"{URL}/{task['id']}", json=case, headers=superuser)

    assert created.status_code == 422
    assert created.json()["errors"][0]["loc"] == ["body", field]
    assert patched.status_code == 422
    assert (await client.get(URL, headers=superuser)).json()["total"] == 1


async def test_valid_customer_and_product_references_are_kept_and_can_be_cleared(
    client: AsyncClient, superuser: Headers, me: int
) -> None:
    customer = await client.post(
        "/api/v1/customers", json={"name": "Ada", "email": "ada@example.com"}, headers=superuser
    )
    product = await client.post(
        "/api/v1/products", json={"sku": "P-1", "name": "Part", "price": "2.50"}, headers=superuser
    )
    task = await create(
        client,
        superuser,
        me,
        customer_id=customer.json()["id"],
        product_id=product.json()["id"],
    )
    assert (task["customer_id"], task["product_id"]) == (
        customer.json()["id"],
        product.json()["id"],
    )

    cleared = await client.patch(
        f"{URL}/{task['id']}", json={"customer_id": None, "product_id": None}, headers=superuser
    )

    assert cleared.status_code == 200
    assert (cleared.json()["customer_id"], cleared.json()["product_id"]) == (None, None)


async def test_editing_a_task_whose_assignee_left_still_works(
    client: AsyncClient, superuser: Headers, make_user: MakeUser
) -> None:
    worker = await make_user("tasks:read")
    task = await create(client, superuser, worker.id)
    await client.patch(f"/api/v1/users/{worker.id}", json={"is_active": False}, headers=superuser)

    response = await client.patch(
        f"{URL}/{task['id']}",
        json={"title": "Renamed", "assignee_id": worker.id},
        headers=superuser,
    )

    assert response.status_code == 200
    assert response.json()["title"] == "Renamed"


async def _task_in(client: AsyncClient, superuser: Headers, me: int, state: str) -> int:
    task = await create(client, superuser, me, title=f"Now {state}")
    await move(client, superuser, task["id"], *PATHS[state])
    task_id: int = task["id"]
    return task_id


@pytest.mark.parametrize(
    ("source", "target"), [pytest.param(s, t, id=f"{s}-to-{t}") for s, t in sorted(ALLOWED)]
)
async def test_an_allowed_move_is_200(
    client: AsyncClient, superuser: Headers, me: int, source: str, target: str
) -> None:
    task_id = await _task_in(client, superuser, me, source)

    response = await client.patch(f"{URL}/{task_id}", json={"status": target}, headers=superuser)

    assert response.status_code == 200, response.text
    assert response.json()["status"] == target


@pytest.mark.parametrize(
    ("source", "target"), [pytest.param(s, t, id=f"{s}-to-{t}") for s, t in FORBIDDEN]
)
async def test_a_forbidden_move_is_409_naming_the_move_and_state(
    client: AsyncClient, superuser: Headers, me: int, source: str, target: str
) -> None:
    task_id = await _task_in(client, superuser, me, source)

    response = await client.patch(f"{URL}/{task_id}", json={"status": target}, headers=superuser)

    assert response.status_code == 409
    detail = response.json()["detail"]
    assert f"{source} -> {target}" in detail
    assert f"is {source}" in detail
    current = await client.get(f"{URL}/{task_id}", headers=superuser)
    assert current.json()["status"] == source


async def test_done_sets_completed_at_and_reopening_clears_it(
    client: AsyncClient, superuser: Headers, me: int
) -> None:
    task = await create(client, superuser, me)
    before = datetime.now(UTC)

    done = (await move(client, superuser, task["id"], "in_progress", "done")).json()
    reopened = (await move(client, superuser, task["id"], "todo")).json()

    assert done["completed_at"] is not None
    assert datetime.fromisoformat(done["completed_at"]) >= before - timedelta(seconds=1)
    assert reopened["completed_at"] is None
    assert reopened["version"] == 4


async def test_patch_with_the_current_status_and_other_fields_is_not_a_move(
    client: AsyncClient, superuser: Headers, me: int
) -> None:
    task = await create(client, superuser, me)

    response = await client.patch(
        f"{URL}/{task['id']}", json={"status": "todo", "priority": "urgent"}, headers=superuser
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["priority"]) == ("todo", "urgent")


@pytest.mark.parametrize("field", ["title", "status", "priority"])
async def test_patch_null_for_required_fields_is_422(
    client: AsyncClient, superuser: Headers, me: int, field: str
) -> None:
    task = await create(client, superuser, me)

    response = await client.patch(f"{URL}/{task['id']}", json={field: None}, headers=superuser)

    assert response.status_code == 422


async def test_stale_if_match_is_412_on_patch_and_delete(
    client: AsyncClient, superuser: Headers, me: int
) -> None:
    task = await create(client, superuser, me)
    url = f"{URL}/{task['id']}"
    assert (
        await client.patch(url, json={"title": "v2"}, headers={**superuser, "If-Match": '"1"'})
    ).status_code == 200

    stale_patch = await client.patch(
        url, json={"status": "cancelled"}, headers={**superuser, "If-Match": '"1"'}
    )
    stale_delete = await client.delete(url, headers={**superuser, "If-Match": '"1"'})

    assert (stale_patch.status_code, stale_delete.status_code) == (412, 412)
    current = await client.get(url, headers=superuser)
    assert (current.json()["status"], current.headers["etag"]) == ("todo", '"2"')
    assert (await client.delete(url, headers={**superuser, "If-Match": '"2"'})).status_code == 204
    assert (await client.get(url, headers=superuser)).status_code == 404


async def test_filters_by_status_priority_assignee_me_and_customer(
    client: AsyncClient, superuser: Headers, me: int, make_user: MakeUser
) -> None:
    other = await make_user("tasks:update")
    customer = await client.post(
        "/api/v1/customers", json={"name": "Ada", "email": "ada@example.com"}, headers=superuser
    )
    customer_id = customer.json()["id"]
    product = await client.post(
        "/api/v1/products", json={"sku": "P-1", "name": "Part", "price": "2.50"}, headers=superuser
    )
    product_id = product.json()["id"]
    mine = await create(client, superuser, me, title="Mine", priority="low")
    await create(client, superuser, other.id, title="Theirs", customer_id=customer_id)
    started = await create(
        client, superuser, other.id, title="Started", priority="urgent", product_id=product_id
    )
    await move(client, superuser, started["id"], "in_progress")

    def titles(response: Any) -> list[str]:
        assert response.status_code == 200, response.text
        return sorted(t["title"] for t in response.json()["items"])

    async def get(headers: Headers, **params: Any) -> list[str]:
        return titles(await client.get(URL, params=params, headers=headers))

    assert await get(superuser, status="in_progress") == ["Started"]
    assert await get(superuser, priority="low") == ["Mine"]
    assert await get(superuser, assignee_id=other.id) == ["Started", "Theirs"]
    assert await get(superuser, assignee_id="me") == ["Mine"]
    assert await get(other.headers, assignee_id="me") == ["Started", "Theirs"]
    assert await get(superuser, customer_id=customer_id) == ["Theirs"]
    assert await get(superuser, product_id=product_id) == ["Started"]
    assert await get(superuser, q="MIN") == ["Mine"]
    assert mine["assignee_id"] == me


async def test_overdue_and_due_date_filters(
    client: AsyncClient, superuser: Headers, me: int
) -> None:
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    await create(client, superuser, me, title="Late", due_date=yesterday)
    await create(client, superuser, me, title="Due today", due_date=TODAY.isoformat())
    await create(client, superuser, me, title="Later", due_date=tomorrow)
    await create(client, superuser, me, title="Whenever")
    late_but_done = await create(client, superuser, me, title="Late, done", due_date=yesterday)
    await move(client, superuser, late_but_done["id"], "in_progress", "done")
    late_cancelled = await create(client, superuser, me, title="Late, off", due_date=yesterday)
    await move(client, superuser, late_cancelled["id"], "cancelled")
    late_blocked = await create(client, superuser, me, title="Late, blocked", due_date=yesterday)
    await move(client, superuser, late_blocked["id"], "in_progress", "blocked")

    async def get(**params: Any) -> list[str]:
        response = await client.get(URL, params=params, headers=superuser)
        assert response.status_code == 200, response.text
        return sorted(t["title"] for t in response.json()["items"])

    assert await get(overdue="true") == ["Late", "Late, blocked"]
    assert await get(overdue="false") == [
        "Due today",
        "Late, done",
        "Late, off",
        "Later",
        "Whenever",
    ]
    assert await get(due_before=TODAY.isoformat(), status="todo") == ["Late"]
    assert await get(due_after=TODAY.isoformat()) == ["Later"]
    assert await get(due_after=yesterday, due_before=tomorrow) == ["Due today"]


async def test_sorting_follows_priority_rank_and_puts_missing_due_dates_last(
    client: AsyncClient, superuser: Headers, me: int
) -> None:
    for title, priority, due in (
        ("A", "medium", "2030-01-03"),
        ("B", "urgent", None),
        ("C", "low", "2030-01-01"),
        ("D", "high", "2030-01-02"),
    ):
        await create(client, superuser, me, title=title, priority=priority, due_date=due)

    async def order(sort: str) -> list[str]:
        response = await client.get(URL, params={"sort": sort}, headers=superuser)
        assert response.status_code == 200, response.text
        return [t["title"] for t in response.json()["items"]]

    assert await order("priority") == ["C", "A", "D", "B"]
    assert await order("-priority") == ["B", "D", "A", "C"]
    assert await order("due_date") == ["C", "D", "A", "B"]
    assert await order("-due_date") == ["A", "D", "C", "B"]
    assert await order("title") == ["A", "B", "C", "D"]


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"sort": "description"}, id="sort-description"),
        pytest.param({"sort": "assignee_id"}, id="sort-assignee_id"),
        pytest.param({"status": "open"}, id="status-unknown"),
        pytest.param({"priority": "asap"}, id="priority-unknown"),
        pytest.param({"assignee_id": "you"}, id="assignee_id-text"),
        pytest.param({"assignee_id": 0}, id="assignee_id-zero"),
        pytest.param({"overdue": "maybe"}, id="overdue-not-boolean"),
        pytest.param({"due_before": "tomorrow"}, id="due_before-not-a-date"),
        pytest.param({"owner": "me"}, id="unknown-filter"),
        pytest.param({"size": 500}, id="size-too-big"),
    ],
)
async def test_list_rejects_unknown_filters_sorts_and_values(
    client: AsyncClient, superuser: Headers, params: dict[str, Any]
) -> None:
    response = await client.get(URL, params=params, headers=superuser)

    assert response.status_code == 422


async def test_csv_export_streams_every_match(
    client: AsyncClient, superuser: Headers, me: int
) -> None:
    await create(client, superuser, me, title="@SUM(A1)")
    await create(client, superuser, me, title="Plain")
    await create(client, superuser, me, title="Other", priority="low")

    response = await client.get(
        URL,
        params={"format": "csv", "priority": "medium", "sort": "title", "size": 1},
        headers=superuser,
    )

    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.text)))
    header = rows[0]
    assert header[:3] == ["title", "description", "priority"]
    assert {"status", "created_by", "completed_at", "version"} <= set(header)
    assert [r[0] for r in rows[1:]] == ["'@SUM(A1)", "Plain"]


LINKED = {
    "customer_id": ("/api/v1/customers", {"name": "Ada", "email": "ada@example.com"}),
    "product_id": ("/api/v1/products", {"sku": "DEL-1", "name": "Gear", "price": "1.00"}),
}


@pytest.mark.parametrize("link", sorted(LINKED))
async def test_deleting_a_record_with_open_tasks_is_409_then_unlinks_the_closed_ones(
    client: AsyncClient, superuser: Headers, me: int, link: str
) -> None:
    collection, body = LINKED[link]
    record_id = (await client.post(collection, json=body, headers=superuser)).json()["id"]
    record_url = f"{collection}/{record_id}"
    tasks = [
        await create(client, superuser, me, title=f"T{i}", **{link: record_id}) for i in range(3)
    ]
    await move(client, superuser, tasks[0]["id"], "in_progress", "done")

    refused = await client.delete(record_url, headers=superuser)

    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert "2 open tasks" in refused.json()["detail"]
    assert f"another {link.removesuffix('_id')}" in refused.json()["detail"]
    done = await client.get(f"{URL}/{tasks[0]['id']}", headers=superuser)
    assert done.json()[link] == record_id  # nothing changed on refusal
    await move(client, superuser, tasks[1]["id"], "cancelled")
    refused = await client.delete(record_url, headers=superuser)
    assert refused.status_code == 409
    assert "1 open task;" in refused.json()["detail"]

    await move(client, superuser, tasks[2]["id"], "cancelled")
    assert (await client.delete(record_url, headers=superuser)).status_code == 204
    assert (await client.get(record_url, headers=superuser)).status_code == 404
    for task in tasks:
        closed = await client.get(f"{URL}/{task['id']}", headers=superuser)
        assert closed.json()[link] is None
    history = await client.get(f"{URL}/{tasks[0]['id']}/history", headers=superuser)
    assert history.json()["items"][-1]["changes"] == {link: {"old": record_id, "new": None}}


async def test_permissions_are_enforced_per_action(
    client: AsyncClient, superuser: Headers, me: int, make_user: MakeUser
) -> None:
    task = await create(client, superuser, me)
    url = f"{URL}/{task['id']}"
    reader = await make_user("tasks:read")
    mover = await make_user("tasks:update")
    outsider = await make_user("customers:read")

    assert (await client.get(URL)).status_code == 401
    assert (await client.get(url, headers=outsider.headers)).status_code == 403
    assert (await client.get(URL, headers=reader.headers)).json()["total"] == 1
    assert (
        await client.post(URL, json={"title": "x", "assignee_id": me}, headers=reader.headers)
    ).status_code == 403
    assert (
        await client.patch(url, json={"status": "in_progress"}, headers=reader.headers)
    ).status_code == 403
    assert (
        await client.patch(url, json={"status": "in_progress"}, headers=mover.headers)
    ).status_code == 200
    assert (await client.delete(url, headers=mover.headers)).status_code == 403


async def test_permissions_are_declared(client: AsyncClient, superuser: Headers) -> None:
    response = await client.get("/api/v1/permissions", headers=superuser)

    names = {p["name"] for p in response.json()}
    assert {"tasks:read", "tasks:create", "tasks:update", "tasks:delete"} <= names


async def test_history_shows_moves_and_the_customer_released_on_its_deletion(
    client: AsyncClient, superuser: Headers, me: int
) -> None:
    customer = await client.post(
        "/api/v1/customers", json={"name": "Ada", "email": "ada@example.com"}, headers=superuser
    )
    task = await create(client, superuser, me, customer_id=customer.json()["id"])
    await move(client, superuser, task["id"], "cancelled")
    deleted = await client.delete(f"/api/v1/customers/{customer.json()['id']}", headers=superuser)
    assert deleted.status_code == 204

    history = await client.get(f"{URL}/{task['id']}/history", headers=superuser)

    assert history.status_code == 200
    items = history.json()["items"]
    assert [row["action"] for row in items] == ["create", "update", "update"]
    assert items[1]["changes"] == {"status": {"old": "todo", "new": "cancelled"}}
    assert items[2]["changes"] == {"customer_id": {"old": customer.json()["id"], "new": None}}
    assert (await client.get(f"{URL}/999/history", headers=superuser)).status_code == 404


async def test_a_user_named_on_tasks_cannot_be_deleted_and_one_who_is_not_can(
    client: AsyncClient, superuser: Headers, me: int, make_user: MakeUser
) -> None:
    assignee = await make_user("tasks:read")
    bystander = await make_user("tasks:read")
    await create(client, superuser, assignee.id)
    url = f"/api/v1/users/{assignee.id}"

    refused = await client.delete(url, headers=superuser)

    assert refused.status_code == 409
    assert f"User {assignee.id} is the assignee or creator of 1 task;" in refused.json()["detail"]
    assert (await client.get(url, headers=superuser)).status_code == 200
    assert (
        await client.delete(f"/api/v1/users/{bystander.id}", headers=superuser)
    ).status_code == 204
