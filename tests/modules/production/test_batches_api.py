import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from tests.conftest import Headers
from tests.modules.production.support import (
    BATCHES,
    act,
    inspect,
    new_batch,
    new_product,
    started_batch,
)

TODAY = datetime.now(UTC).date()


@pytest.fixture
async def product_id(client: AsyncClient, superuser: Headers) -> int:
    return await new_product(client, superuser)


async def test_create_returns_201_location_etag_and_upper_cased_number(
    client: AsyncClient, superuser: Headers, product_id: int
) -> None:
    response = await client.post(
        BATCHES,
        json={"batch_number": " batch-2026-a1 ", "product_id": product_id, "quantity": 10},
        headers=superuser,
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["batch_number"] == "BATCH-2026-A1"
    assert (body["status"], body["quality_score"], body["started_at"], body["version"]) == (
        "pending",
        None,
        None,
        1,
    )
    assert response.headers["location"].endswith(f"{BATCHES}/{body['id']}")
    assert response.headers["etag"] == '"1"'
    fetched = await client.get(response.headers["location"], headers=superuser)
    assert fetched.json() == body
    assert fetched.headers["etag"] == '"1"'


@pytest.mark.parametrize(
    "case",
    [
        pytest.param({"batch_number": "BAT-1"}, id="batch_number-wrong-prefix"),
        pytest.param({"batch_number": "BATC"}, id="batch_number-too-short"),
        pytest.param({"batch_number": "BATCH_1"}, id="batch_number-underscore"),
        pytest.param({"batch_number": "BATCH 1"}, id="batch_number-space"),
        pytest.param({"batch_number": "BATCH-" + "X" * 15}, id="batch_number-too-long"),
        pytest.param({"quantity": 0}, id="quantity-zero"),
        pytest.param({"quantity": 10_001}, id="quantity-too-big"),
        pytest.param({"temperature": -50.1}, id="temperature-too-cold"),
        pytest.param({"temperature": 200.5}, id="temperature-too-hot"),
        pytest.param({"humidity": -1}, id="humidity-negative"),
        pytest.param({"humidity": 100.1}, id="humidity-over-100"),
        pytest.param({"product_id": 0}, id="product_id-zero"),
    ],
)
async def test_invalid_values_are_422_naming_the_field(
    client: AsyncClient, superuser: Headers, product_id: int, case: dict[str, Any]
) -> None:
    body = {"batch_number": "BATCH-1", "product_id": product_id, "quantity": 5, **case}

    response = await client.post(BATCHES, json=body, headers=superuser)

    assert response.status_code == 422
    field = next(iter(case))
    assert any(e["loc"][-1] == field for e in response.json()["errors"])


async def test_values_at_the_limits_are_accepted(
    client: AsyncClient, superuser: Headers, product_id: int
) -> None:
    edge = await new_batch(
        client, superuser, product_id, "BATCH", quantity=10_000, temperature=-50, humidity=100
    )

    assert (edge["quantity"], edge["temperature"], edge["humidity"]) == (10_000, -50, 100)


@pytest.mark.parametrize("product", ["inactive", "unknown"])
async def test_unknown_or_inactive_product_is_422_naming_product_id(
    client: AsyncClient, superuser: Headers, product: str
) -> None:
    product_id = (
        999_999 if product == "unknown" else await new_product(client, superuser, is_active=False)
    )

    response = await client.post(
        BATCHES,
        json={"batch_number": "BATCH-9", "product_id": product_id, "quantity": 1},
        headers=superuser,
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "product_id"]


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param({"status": "completed"}, id="status"),
        pytest.param({"quality_score": 99}, id="quality_score"),
        pytest.param({"id": 5}, id="id"),
        pytest.param({"colour": "red"}, id="unknown-field"),
    ],
)
async def test_server_fields_and_unknown_fields_are_refused_and_create_nothing(
    client: AsyncClient, superuser: Headers, product_id: int, extra: dict[str, Any]
) -> None:
    body = {"batch_number": "BATCH-7", "product_id": product_id, "quantity": 1, **extra}

    response = await client.post(BATCHES, json=body, headers=superuser)

    assert response.status_code == 422
    assert (await client.get(BATCHES, headers=superuser)).json()["total"] == 0


async def test_duplicate_batch_number_is_409_whatever_its_case(
    client: AsyncClient, superuser: Headers, product_id: int
) -> None:
    await new_batch(client, superuser, product_id, "BATCH-DUP")

    again = await client.post(
        BATCHES,
        json={"batch_number": "batch-dup", "product_id": product_id, "quantity": 1},
        headers=superuser,
    )

    assert again.status_code == 409
    assert "batch_number" in again.json()["detail"]


async def test_start_complete_moves_state_and_sets_times(
    client: AsyncClient, superuser: Headers
) -> None:
    batch = await started_batch(client, superuser)
    assert batch["status"] == "in_progress"
    assert batch["started_at"] is not None
    await inspect(client, superuser, batch["id"], 100, 1)

    done = await act(client, superuser, batch["id"], "complete")

    assert done["status"] == "completed"
    assert done["completed_at"] >= done["started_at"]
    assert done["quality_score"] == 99.0


async def test_completing_a_pending_batch_is_409_naming_the_state(
    client: AsyncClient, superuser: Headers, product_id: int
) -> None:
    batch = await new_batch(client, superuser, product_id, "BATCH-X")

    early = await client.post(f"{BATCHES}/{batch['id']}/complete", headers=superuser)

    assert early.status_code == 409
    assert early.headers["content-type"] == "application/problem+json"
    assert "pending" in early.json()["detail"]


@pytest.mark.parametrize(
    ("action", "body"),
    [
        pytest.param("start", None, id="start"),
        pytest.param("complete", None, id="complete"),
        pytest.param("fail", {"failure_reason": "x"}, id="fail"),
    ],
)
async def test_actions_on_a_failed_batch_are_409_naming_the_state(
    client: AsyncClient,
    superuser: Headers,
    product_id: int,
    action: str,
    body: dict[str, str] | None,
) -> None:
    batch = await new_batch(client, superuser, product_id, "BATCH-X")
    url = f"{BATCHES}/{batch['id']}"
    await act(client, superuser, batch["id"], "fail", failure_reason="Mixer broke")

    response = await client.post(f"{url}/{action}", json=body, headers=superuser)

    assert response.status_code == 409
    assert "failed" in response.json()["detail"]
    current = (await client.get(url, headers=superuser)).json()
    assert (current["status"], current["failure_reason"]) == ("failed", "Mixer broke")


async def test_starting_twice_is_409_and_history_shows_create_then_update(
    client: AsyncClient, superuser: Headers, product_id: int
) -> None:
    batch = await new_batch(client, superuser, product_id, "BATCH-H")
    url = f"{BATCHES}/{batch['id']}"
    stale = await client.post(f"{url}/start", headers={**superuser, "If-Match": '"7"'})
    assert stale.status_code == 412
    started = await client.post(f"{url}/start", headers={**superuser, "If-Match": '"1"'})
    assert (started.status_code, started.headers["etag"]) == (200, '"2"')

    again = await client.post(f"{url}/start", headers=superuser)

    assert again.status_code == 409
    assert "in_progress" in again.json()["detail"]
    history = await client.get(f"{url}/history", headers=superuser)
    assert history.status_code == 200
    assert [row["action"] for row in history.json()["items"]] == ["create", "update"]
    assert history.json()["items"][1]["changes"]["status"] == {
        "old": "pending",
        "new": "in_progress",
    }


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(None, id="no-body"),
        pytest.param({}, id="no-reason"),
        pytest.param({"failure_reason": "   "}, id="blank-reason"),
        pytest.param({"failure_reason": "x", "more": 1}, id="unknown-field"),
    ],
)
async def test_fail_needs_a_reason(
    client: AsyncClient, superuser: Headers, body: dict[str, Any] | None
) -> None:
    batch = await started_batch(client, superuser)
    url = f"{BATCHES}/{batch['id']}/fail"

    refused = await client.post(url, json=body, headers=superuser)

    assert refused.status_code == 422
    failed = await client.post(url, json={"failure_reason": " Too hot "}, headers=superuser)
    assert failed.status_code == 200
    assert (failed.json()["status"], failed.json()["failure_reason"]) == ("failed", "Too hot")


async def test_quality_gate_refuses_completion_without_accepted_inspection(
    app: FastAPI, client: AsyncClient, superuser: Headers
) -> None:
    batch = await started_batch(client, superuser)
    url = f"{BATCHES}/{batch['id']}/complete"

    bare = await client.post(url, headers=superuser)
    assert bare.status_code == 409
    assert "quality gate" in bare.json()["detail"]
    await inspect(client, superuser, batch["id"], 10, 5)
    failing = await client.post(url, headers=superuser)
    assert failing.status_code == 409
    assert "pass or conditional" in failing.json()["detail"]

    app.state.settings = app.state.settings.model_copy(update={"quality_gate": False})
    assert (await client.post(url, headers=superuser)).status_code == 200


async def test_patch_cannot_change_status_and_honours_if_match(
    client: AsyncClient, superuser: Headers, product_id: int
) -> None:
    batch = await new_batch(client, superuser, product_id, "BATCH-P")
    url = f"{BATCHES}/{batch['id']}"

    assert (
        await client.patch(url, json={"status": "completed"}, headers=superuser)
    ).status_code == 422
    assert (
        await client.patch(url, json={"quality_score": 100}, headers=superuser)
    ).status_code == 422
    assert (await client.patch(url, json={"quantity": None}, headers=superuser)).status_code == 422
    changed = await client.patch(
        url,
        json={"quantity": 250, "notes": "rush", "batch_number": "batch-p2"},
        headers={**superuser, "If-Match": '"1"'},
    )
    assert changed.status_code == 200
    assert (changed.json()["quantity"], changed.json()["batch_number"]) == (250, "BATCH-P2")
    assert changed.headers["etag"] == '"2"'
    stale = await client.patch(url, json={"quantity": 1}, headers={**superuser, "If-Match": '"1"'})
    assert stale.status_code == 412
    assert (await client.get(url, headers=superuser)).json()["status"] == "pending"


async def test_product_is_fixed_once_a_batch_started(
    client: AsyncClient, superuser: Headers, product_id: int
) -> None:
    other = await new_product(client, superuser)
    batch = await new_batch(client, superuser, product_id, "BATCH-M")
    url = f"{BATCHES}/{batch['id']}"
    moved = await client.patch(url, json={"product_id": other}, headers=superuser)
    assert moved.json()["product_id"] == other
    await act(client, superuser, batch["id"], "start")

    refused = await client.patch(url, json={"product_id": product_id}, headers=superuser)

    assert refused.status_code == 409
    assert "in_progress" in refused.json()["detail"]


async def test_only_a_pending_batch_can_be_deleted(
    client: AsyncClient, superuser: Headers, product_id: int
) -> None:
    pending = await new_batch(client, superuser, product_id, "BATCH-D1")
    started = await new_batch(client, superuser, product_id, "BATCH-D2")
    await act(client, superuser, started["id"], "start")

    refused = await client.delete(f"{BATCHES}/{started['id']}", headers=superuser)
    assert refused.status_code == 409
    assert "in_progress" in refused.json()["detail"]
    url = f"{BATCHES}/{pending['id']}"
    assert (await client.delete(url, headers={**superuser, "If-Match": '"9"'})).status_code == 412
    assert (await client.delete(url, headers={**superuser, "If-Match": '"1"'})).status_code == 204
    assert (await client.get(url, headers=superuser)).status_code == 404
    history = await client.get(f"{url}/history", headers=superuser)
    assert [row["action"] for row in history.json()["items"]] == ["create", "delete"]


@pytest.mark.parametrize("action", ["start", "complete"])
async def test_actions_on_a_missing_batch_are_404(
    client: AsyncClient, superuser: Headers, action: str
) -> None:
    response = await client.post(f"{BATCHES}/4242/{action}", headers=superuser)

    assert response.status_code == 404


async def test_batch_id_zero_is_422(client: AsyncClient, superuser: Headers) -> None:
    assert (await client.get(f"{BATCHES}/0", headers=superuser)).status_code == 422


async def test_list_filters_search_sorts_and_pages(
    client: AsyncClient, superuser: Headers, product_id: int
) -> None:
    other = await new_product(client, superuser)
    await new_batch(client, superuser, product_id, "BATCH-L1", quantity=30, notes="night shift")
    second = await new_batch(client, superuser, product_id, "BATCH-L2", quantity=10)
    await new_batch(client, superuser, other, "BATCH-L3", quantity=20)
    await act(client, superuser, second["id"], "start")

    async def numbers(**params: Any) -> list[str]:
        response = await client.get(BATCHES, params=params, headers=superuser)
        assert response.status_code == 200, response.text
        return [b["batch_number"] for b in response.json()["items"]]

    assert await numbers(sort="quantity") == ["BATCH-L2", "BATCH-L3", "BATCH-L1"]
    assert await numbers(status="in_progress") == ["BATCH-L2"]
    assert await numbers(product_id=other) == ["BATCH-L3"]
    assert await numbers(q="NIGHT") == ["BATCH-L1"]
    assert await numbers(q="l3") == ["BATCH-L3"]
    assert await numbers(date_from=str(TODAY), sort="batch_number") == [
        "BATCH-L1",
        "BATCH-L2",
        "BATCH-L3",
    ]
    assert await numbers(date_to=str(TODAY - timedelta(days=1))) == []
    page = (await client.get(BATCHES, params={"size": 2, "page": 2}, headers=superuser)).json()
    assert (page["total"], page["pages"], len(page["items"])) == (3, 2, 1)


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"sort": "failure_reason"}, id="sort-failure_reason"),
        pytest.param({"status": "done"}, id="status-unknown"),
        pytest.param({"colour": "red"}, id="unknown-filter"),
        pytest.param(
            {"date_from": str(TODAY), "date_to": str(TODAY - timedelta(days=1))},
            id="date_to-before-date_from",
        ),
        pytest.param({"size": 101}, id="size-too-big"),
    ],
)
async def test_list_rejects_unknown_sorts_filters_and_bad_values(
    client: AsyncClient, superuser: Headers, params: dict[str, str | int]
) -> None:
    response = await client.get(BATCHES, params=params, headers=superuser)

    assert response.status_code == 422


async def test_csv_export_has_every_match_and_neutralises_formulas(
    client: AsyncClient, superuser: Headers, product_id: int
) -> None:
    await new_batch(client, superuser, product_id, "BATCH-C1", notes="=SUM(A1:A9)")
    await new_batch(client, superuser, product_id, "BATCH-C2")

    response = await client.get(
        BATCHES,
        params={"sort": "batch_number", "size": 1},
        headers={**superuser, "Accept": "text/csv"},
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["batch_number"] for r in rows] == ["BATCH-C1", "BATCH-C2"]
    assert rows[0]["notes"] == "'=SUM(A1:A9)"
    assert rows[0]["status"] == "pending"


async def test_permissions_guard_every_route(
    client: AsyncClient, superuser: Headers, make_user: Any, product_id: int
) -> None:
    batch = await new_batch(client, superuser, product_id, "BATCH-R")
    url = f"{BATCHES}/{batch['id']}"
    reader = (await make_user("production:read")).headers
    creator = (await make_user("production:create")).headers

    assert (await client.get(BATCHES)).status_code == 401
    assert (await client.get(url, headers=reader)).status_code == 200
    assert (await client.get("/api/v1/production/stats", headers=creator)).status_code == 200
    body = {"batch_number": "BATCH-R2", "product_id": product_id, "quantity": 1}
    assert (await client.post(BATCHES, json=body, headers=reader)).status_code == 403
    assert (await client.post(BATCHES, json=body, headers=creator)).status_code == 201
    assert (await client.post(f"{url}/start", headers=creator)).status_code == 403
    assert (await client.patch(url, json={"quantity": 2}, headers=creator)).status_code == 403
    assert (await client.delete(url, headers=creator)).status_code == 403
    updater = (await make_user("production:update")).headers
    assert (await client.post(f"{url}/start", headers=updater)).status_code == 200


async def test_a_product_with_batches_cannot_be_deleted_and_the_answer_says_why(
    client: AsyncClient, superuser: Headers, product_id: int
) -> None:
    await new_batch(client, superuser, product_id, "BATCH-KEEP")
    url = f"/api/v1/products/{product_id}"

    refused = await client.delete(url, headers=superuser)

    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert "used by 1 production batch" in refused.json()["detail"]
    assert "is_active" in refused.json()["detail"]
    assert (await client.get(url, headers=superuser)).status_code == 200
