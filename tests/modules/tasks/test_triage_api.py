"""Unassigned tasks: the triage queue."""

from httpx import AsyncClient

from tests.conftest import Headers
from tests.users import MakeUser

URL = "/api/v1/tasks"


async def test_a_task_without_assignee_waits_in_the_triage_queue(
    client: AsyncClient, superuser: Headers, make_user: MakeUser
) -> None:
    worker = await make_user("tasks:update")
    queued = await client.post(URL, json={"title": "Sort the returns"}, headers=superuser)
    assigned = await client.post(
        URL, json={"title": "Pack order 7", "assignee_id": worker.id}, headers=superuser
    )
    assert (queued.status_code, assigned.status_code) == (201, 201), queued.text
    assert queued.json()["assignee_id"] is None

    triage = await client.get(URL, params={"assignee_id": "none"}, headers=superuser)

    assert [t["title"] for t in triage.json()["items"]] == ["Sort the returns"]


async def test_patch_sets_and_clears_the_assignee_and_each_change_is_audited(
    client: AsyncClient, superuser: Headers, make_user: MakeUser
) -> None:
    worker = await make_user("tasks:update")
    task = (await client.post(URL, json={"title": "Sort"}, headers=superuser)).json()
    url = f"{URL}/{task['id']}"

    taken = await client.patch(url, json={"assignee_id": worker.id}, headers=superuser)
    released = await client.patch(url, json={"assignee_id": None}, headers=superuser)

    assert (taken.status_code, released.status_code) == (200, 200), released.text
    assert (taken.json()["assignee_id"], released.json()["assignee_id"]) == (worker.id, None)
    history = (await client.get(f"{url}/history", headers=superuser)).json()["items"]
    assert [row["changes"].get("assignee_id") for row in history[1:]] == [
        {"old": None, "new": worker.id},
        {"old": worker.id, "new": None},
    ]


async def test_the_assignee_filter_refuses_other_words(
    client: AsyncClient, superuser: Headers
) -> None:
    response = await client.get(URL, params={"assignee_id": "nobody"}, headers=superuser)

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "assignee_id"]
