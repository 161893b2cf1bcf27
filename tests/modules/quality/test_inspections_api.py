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
    INSPECTIONS,
    act,
    inspect,
    new_batch,
    new_product,
    started_batch,
)
from tests.users import MakeUser

NOW = datetime.now(UTC)


@pytest.fixture
async def batch(client: AsyncClient, superuser: Headers) -> dict[str, Any]:
    return await started_batch(client, superuser)


async def me(client: AsyncClient, headers: Headers) -> int:
    user_id: int = (await client.get("/api/v1/auth/me", headers=headers)).json()["id"]
    return user_id


async def test_create_scores_defaults_and_updates_the_batch_in_one_transaction(
    client: AsyncClient, superuser: Headers, batch: dict[str, Any]
) -> None:
    response = await client.post(
        INSPECTIONS,
        json={"batch_id": batch["id"], "sample_size": 300, "defects_found": 7},
        headers=superuser,
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["score"], body["result"]) == (97.67, "pass")
    assert body["inspector_id"] == await me(client, superuser)
    assert body["product_id"] == batch["product_id"]
    assert NOW - timedelta(minutes=1) < datetime.fromisoformat(body["inspected_at"])
    assert response.headers["location"].endswith(f"{INSPECTIONS}/{body['id']}")
    assert response.headers["etag"] == '"1"'
    fetched = await client.get(response.headers["location"], headers=superuser)
    assert fetched.json() == body
    batch_url = f"{BATCHES}/{batch['id']}"
    updated = (await client.get(batch_url, headers=superuser)).json()
    assert (updated["quality_score"], updated["version"]) == (97.67, batch["version"] + 1)
    history = (await client.get(f"{batch_url}/history", headers=superuser)).json()["items"]
    last = history[-1]
    assert last["changes"]["quality_score"] == {"old": None, "new": 97.67}
    mine = (await client.get(f"{INSPECTIONS}/{body['id']}/history", headers=superuser)).json()
    assert [row["action"] for row in mine["items"]] == ["create"]
    assert mine["items"][0]["request_id"] == last["request_id"]


async def test_score_below_threshold_fails_and_threshold_comes_from_settings(
    client: AsyncClient,
    superuser: Headers,
    batch: dict[str, Any],
    app: FastAPI,
) -> None:
    exact = await inspect(client, superuser, batch["id"], 20, 1)
    below = await inspect(client, superuser, batch["id"], 3, 1)
    assert (exact["score"], exact["result"]) == (95.0, "pass")
    assert (below["score"], below["result"]) == (66.67, "fail")

    app.state.settings = app.state.settings.model_copy(update={"quality_pass_threshold": 60})
    lenient = await inspect(client, superuser, batch["id"], 3, 1)
    assert lenient["result"] == "pass"
    score = (await client.get(f"{BATCHES}/{batch['id']}", headers=superuser)).json()
    assert score["quality_score"] == round((95.0 + 66.67 + 66.67) / 3, 2)


async def test_invalid_figures_are_422_naming_the_field(
    client: AsyncClient, superuser: Headers, batch: dict[str, Any]
) -> None:
    future = (NOW + timedelta(hours=1)).isoformat()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"sample_size": 0}, "sample_size"),
        ({"defects_found": -1}, "defects_found"),
        ({"sample_size": 5, "defects_found": 6}, "defects_found"),
        ({"inspected_at": future}, "inspected_at"),
        ({"inspected_at": "2026-01-01T10:00:00"}, "inspected_at"),
        ({"result": "pass"}, "result"),
        ({"result": "conditional"}, "notes"),
        ({"result": "conditional", "notes": "  "}, "notes"),
        ({"score": 100}, "score"),
        ({"product_id": 1}, "product_id"),
        ({"inspector_id": 999_999}, "inspector_id"),
    ]
    for case, field in cases:
        body = {"batch_id": batch["id"], "sample_size": 10, "defects_found": 0, **case}
        response = await client.post(INSPECTIONS, json=body, headers=superuser)
        assert response.status_code == 422, case
        assert any(e["loc"][-1] == field for e in response.json()["errors"]), case
    assert (await client.get(INSPECTIONS, headers=superuser)).json()["total"] == 0


async def test_missing_batch_is_422_and_a_batch_in_the_wrong_state_is_409(
    client: AsyncClient, superuser: Headers
) -> None:
    missing = await client.post(
        INSPECTIONS,
        json={"batch_id": 4242, "sample_size": 1, "defects_found": 0},
        headers=superuser,
    )
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["loc"] == ["body", "batch_id"]

    product_id = await new_product(client, superuser)
    pending = await new_batch(client, superuser, product_id, "BATCH-Q1")
    failed = await new_batch(client, superuser, product_id, "BATCH-Q2")
    await act(client, superuser, failed["id"], "fail", failure_reason="leak")
    for batch, state in ((pending, "pending"), (failed, "failed")):
        response = await client.post(
            INSPECTIONS,
            json={"batch_id": batch["id"], "sample_size": 1, "defects_found": 0},
            headers=superuser,
        )
        assert response.status_code == 409
        assert state in response.json()["detail"]


async def test_inspector_defaults_to_caller_and_must_be_an_active_user(
    client: AsyncClient, superuser: Headers, make_user: Any, batch: dict[str, Any]
) -> None:
    inspector = await make_user("quality:create")
    colleague = await make_user("quality:read")

    own = await inspect(client, inspector.headers, batch["id"], 10, 0)
    assert own["inspector_id"] == inspector.id
    for_other = await inspect(
        client, inspector.headers, batch["id"], 10, 0, inspector_id=colleague.id
    )
    assert for_other["inspector_id"] == colleague.id

    deactivate = await client.patch(
        f"/api/v1/users/{colleague.id}", json={"is_active": False}, headers=superuser
    )
    assert deactivate.status_code == 200, deactivate.text
    refused = await client.post(
        INSPECTIONS,
        json={
            "batch_id": batch["id"],
            "sample_size": 1,
            "defects_found": 0,
            "inspector_id": colleague.id,
        },
        headers=inspector.headers,
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["loc"] == ["body", "inspector_id"]


async def test_conditional_result_needs_notes_and_opens_the_quality_gate(
    client: AsyncClient, superuser: Headers, batch: dict[str, Any]
) -> None:
    url = f"{BATCHES}/{batch['id']}/complete"
    await inspect(client, superuser, batch["id"], 10, 4)
    assert (await client.post(url, headers=superuser)).status_code == 409

    conditional = await inspect(
        client, superuser, batch["id"], 10, 3, result="conditional", notes="Reworked"
    )

    assert (conditional["score"], conditional["result"]) == (70.0, "conditional")
    assert (await client.post(url, headers=superuser)).status_code == 200


async def test_patch_rescores_and_recomputes_the_batch(
    client: AsyncClient, superuser: Headers, batch: dict[str, Any]
) -> None:
    first = await inspect(client, superuser, batch["id"], 10, 0)
    await inspect(client, superuser, batch["id"], 10, 2)
    url = f"{INSPECTIONS}/{first['id']}"
    batch_url = f"{BATCHES}/{batch['id']}"
    assert (await client.get(batch_url, headers=superuser)).json()["quality_score"] == 90.0

    changed = await client.patch(
        url, json={"defects_found": 1, "sample_size": 4}, headers={**superuser, "If-Match": '"1"'}
    )

    assert changed.status_code == 200, changed.text
    assert (changed.json()["score"], changed.json()["result"]) == (75.0, "fail")
    assert changed.headers["etag"] == '"2"'
    assert (await client.get(batch_url, headers=superuser)).json()["quality_score"] == 77.5
    conditional = await client.patch(
        url, json={"result": "conditional", "notes": "ok after sorting"}, headers=superuser
    )
    assert conditional.json()["result"] == "conditional"
    kept = await client.patch(url, json={"sample_size": 5}, headers=superuser)
    assert (kept.json()["score"], kept.json()["result"]) == (80.0, "conditional")
    no_notes = await client.patch(url, json={"notes": None}, headers=superuser)
    assert no_notes.status_code == 422
    back = await client.patch(url, json={"result": None}, headers=superuser)
    assert back.json()["result"] == "fail"
    for bad in (
        {"defects_found": 6},
        {"sample_size": None},
        {"batch_id": 1},
        {"inspected_at": (NOW + timedelta(days=1)).isoformat()},
        {"inspector_id": 999_999},
    ):
        assert (await client.patch(url, json=bad, headers=superuser)).status_code == 422, bad
    stale = await client.patch(
        url, json={"defects_found": 0}, headers={**superuser, "If-Match": '"1"'}
    )
    assert stale.status_code == 412


async def test_delete_recomputes_the_batch_score_back_to_null(
    client: AsyncClient, superuser: Headers, batch: dict[str, Any]
) -> None:
    only = await inspect(client, superuser, batch["id"], 10, 1)
    url = f"{INSPECTIONS}/{only['id']}"

    assert (await client.delete(url, headers={**superuser, "If-Match": '"2"'})).status_code == 412
    assert (await client.delete(url, headers={**superuser, "If-Match": '"1"'})).status_code == 204

    assert (await client.get(url, headers=superuser)).status_code == 404
    after = (await client.get(f"{BATCHES}/{batch['id']}", headers=superuser)).json()
    assert after["quality_score"] is None
    gate = await client.post(f"{BATCHES}/{batch['id']}/complete", headers=superuser)
    assert gate.status_code == 409
    history = (await client.get(f"{url}/history", headers=superuser)).json()["items"]
    assert [row["action"] for row in history] == ["create", "delete"]


async def test_inspections_of_a_finished_batch_are_locked(
    client: AsyncClient, superuser: Headers, batch: dict[str, Any]
) -> None:
    inspection = await inspect(client, superuser, batch["id"], 10, 0)
    url = f"{INSPECTIONS}/{inspection['id']}"
    await act(client, superuser, batch["id"], "complete")

    patched = await client.patch(url, json={"notes": "late"}, headers=superuser)
    deleted = await client.delete(url, headers=superuser)

    for response in (patched, deleted):
        assert response.status_code == 409
        assert "completed" in response.json()["detail"]
    late = await inspect(client, superuser, batch["id"], 20, 1)
    assert late["result"] == "pass"
    assert (await client.get(url, headers=superuser)).json()["version"] == 1


async def test_list_filters_sorts_and_exports(
    client: AsyncClient, superuser: Headers, make_user: Any, batch: dict[str, Any]
) -> None:
    other = await started_batch(client, superuser, "BATCH-S2")
    inspector = await make_user("quality:create")
    yesterday = (NOW - timedelta(days=1)).isoformat()
    await inspect(client, superuser, batch["id"], 10, 0, inspected_at=yesterday)
    await inspect(client, superuser, batch["id"], 10, 5, notes="=cmd|' /C calc'!A0")
    await inspect(client, inspector.headers, other["id"], 10, 1)

    async def scores(**params: Any) -> list[float]:
        response = await client.get(INSPECTIONS, params=params, headers=superuser)
        assert response.status_code == 200, response.text
        return [i["score"] for i in response.json()["items"]]

    assert await scores(sort="score") == [50.0, 90.0, 100.0]
    assert await scores() == [90.0, 50.0, 100.0]
    assert await scores(batch_id=batch["id"], sort="-score") == [100.0, 50.0]
    assert await scores(result="pass") == [100.0]
    assert await scores(inspector_id=inspector.id) == [90.0]
    assert await scores(date_to=str((NOW - timedelta(days=1)).date())) == [100.0]
    assert await scores(date_from=str(NOW.date()), sort="score") == [50.0, 90.0]
    assert await scores(q="calc") == [50.0]
    for params in ({"sort": "notes"}, {"result": "maybe"}, {"batch": 1}, {"batch_id": 0}):
        response = await client.get(INSPECTIONS, params=params, headers=superuser)
        assert response.status_code == 422, params

    export = await client.get(
        INSPECTIONS, params={"format": "csv", "sort": "score"}, headers=superuser
    )
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert [float(r["score"]) for r in rows] == [50.0, 90.0, 100.0]
    assert rows[0]["notes"].startswith("'=")


async def test_permissions_guard_every_route(
    client: AsyncClient, superuser: Headers, make_user: Any, batch: dict[str, Any]
) -> None:
    inspection = await inspect(client, superuser, batch["id"], 10, 0)
    url = f"{INSPECTIONS}/{inspection['id']}"
    reader = (await make_user("quality:read")).headers
    body = {"batch_id": batch["id"], "sample_size": 1, "defects_found": 0}

    assert (await client.get(INSPECTIONS)).status_code == 401
    assert (await client.get(url, headers=reader)).status_code == 200
    assert (await client.get("/api/v1/quality/summary", headers=reader)).status_code == 200
    assert (await client.post(INSPECTIONS, json=body, headers=reader)).status_code == 403
    assert (await client.patch(url, json={"notes": "x"}, headers=reader)).status_code == 403
    assert (await client.delete(url, headers=reader)).status_code == 403
    production_only = (await make_user("production:update")).headers
    assert (await client.get(INSPECTIONS, headers=production_only)).status_code == 403


async def test_an_inspector_cannot_be_deleted_and_the_answer_says_why(
    client: AsyncClient, superuser: Headers, make_user: MakeUser
) -> None:
    inspector = await make_user("quality:create", "production:read")
    batch = await started_batch(client, superuser)
    await inspect(client, inspector.headers, batch["id"], 10, 0)
    url = f"/api/v1/users/{inspector.id}"

    refused = await client.delete(url, headers=superuser)

    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert f"User {inspector.id} is the inspector of 1 inspection;" in refused.json()["detail"]
    assert "deactivate" in refused.json()["detail"]
    assert (await client.get(url, headers=superuser)).status_code == 200
