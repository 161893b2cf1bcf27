"""GET /production/stats and /quality/summary against a fixture computed by hand.

Product P1: BATCH-R1 (100 units) inspected 100/2 -> 98.00 pass and 50/5 -> 90.00 fail on day 1,
then completed; BATCH-R2 (50) inspected 20/10 -> 50.00 fail on day 2, then failed;
BATCH-R3 (30) pending. Product P2: BATCH-R4 (200) in progress, inspected 30/1 -> 96.67 pass on
day 1. Batch scores: R1 94.00, R2 50.00, R4 96.67.
"""

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest
from httpx import AsyncClient

from tests.conftest import Headers
from tests.modules.production.support import act, inspect, new_batch, new_product

STATS = "/api/v1/production/stats"
SUMMARY = "/api/v1/quality/summary"
TODAY = datetime.now(UTC).date()
DAY1 = TODAY - timedelta(days=2)
DAY2 = TODAY - timedelta(days=1)


def noon(day: date) -> str:
    return datetime.combine(day, time(12), UTC).isoformat()


def statuses(pending: int = 0, in_progress: int = 0, completed: int = 0, failed: int = 0) -> Any:
    return {
        "pending": pending,
        "in_progress": in_progress,
        "completed": completed,
        "failed": failed,
    }


@pytest.fixture
async def products(client: AsyncClient, superuser: Headers) -> tuple[int, int]:
    p1 = await new_product(client, superuser)
    p2 = await new_product(client, superuser)
    r1 = await new_batch(client, superuser, p1, "BATCH-R1", quantity=100)
    r2 = await new_batch(client, superuser, p1, "BATCH-R2", quantity=50)
    await new_batch(client, superuser, p1, "BATCH-R3", quantity=30)
    r4 = await new_batch(client, superuser, p2, "BATCH-R4", quantity=200)
    for batch in (r1, r2, r4):
        await act(client, superuser, batch["id"], "start")
    await inspect(client, superuser, r1["id"], 100, 2, inspected_at=noon(DAY1))
    await inspect(client, superuser, r1["id"], 50, 5, inspected_at=noon(DAY1))
    await inspect(client, superuser, r2["id"], 20, 10, inspected_at=noon(DAY2))
    await inspect(client, superuser, r4["id"], 30, 1, inspected_at=noon(DAY1))
    await act(client, superuser, r1["id"], "complete")
    await act(client, superuser, r2["id"], "fail", failure_reason="Too many defects")
    return p1, p2


async def get(client: AsyncClient, headers: Headers, url: str, **params: Any) -> Any:
    response = await client.get(url, params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_production_stats_match_the_hand_computed_figures(
    client: AsyncClient, superuser: Headers, products: tuple[int, int]
) -> None:
    p1, p2 = products

    stats = await get(client, superuser, STATS)

    assert stats == {
        "batch_count": 4,
        "total_quantity": 380,
        "by_status": statuses(1, 1, 1, 1),
        "completion_rate": 0.5,
        "mean_quality_score": 80.22,
        "per_product": [
            {
                "product_id": p1,
                "batch_count": 3,
                "total_quantity": 180,
                "by_status": statuses(pending=1, completed=1, failed=1),
                "completion_rate": 0.5,
                "mean_quality_score": 72.0,
            },
            {
                "product_id": p2,
                "batch_count": 1,
                "total_quantity": 200,
                "by_status": statuses(in_progress=1),
                "completion_rate": None,
                "mean_quality_score": 96.67,
            },
        ],
    }


async def test_production_stats_filter_by_product_and_creation_day(
    client: AsyncClient, superuser: Headers, products: tuple[int, int]
) -> None:
    _, p2 = products

    only_p2 = await get(client, superuser, STATS, product_id=p2)
    today = await get(client, superuser, STATS, date_from=str(TODAY), date_to=str(TODAY))
    future = await get(client, superuser, STATS, date_from=str(TODAY + timedelta(days=1)))

    assert (only_p2["batch_count"], only_p2["mean_quality_score"]) == (1, 96.67)
    assert [p["product_id"] for p in only_p2["per_product"]] == [p2]
    assert today["batch_count"] == 4
    assert future == {
        "batch_count": 0,
        "total_quantity": 0,
        "by_status": statuses(),
        "completion_rate": None,
        "mean_quality_score": None,
        "per_product": [],
    }


async def test_quality_summary_matches_the_hand_computed_figures(
    client: AsyncClient, superuser: Headers, products: tuple[int, int]
) -> None:
    p1, p2 = products

    summary = await get(client, superuser, SUMMARY)

    assert summary == {
        "inspection_count": 4,
        "pass_rate": 0.5,
        "mean_score": 83.67,
        "defect_rate": 0.09,
        "per_product": [
            {
                "product_id": p1,
                "inspection_count": 3,
                "pass_rate": 0.3333,
                "mean_score": 79.33,
                "defect_rate": 0.1,
            },
            {
                "product_id": p2,
                "inspection_count": 1,
                "pass_rate": 1.0,
                "mean_score": 96.67,
                "defect_rate": 0.0333,
            },
        ],
        "trend": [
            {"day": str(DAY1), "inspection_count": 3, "pass_rate": 0.6667, "mean_score": 94.89},
            {"day": str(DAY2), "inspection_count": 1, "pass_rate": 0.0, "mean_score": 50.0},
        ],
    }


async def test_quality_summary_filters_by_inspection_day_and_product(
    client: AsyncClient, superuser: Headers, products: tuple[int, int]
) -> None:
    p1, p2 = products

    day2 = await get(client, superuser, SUMMARY, date_from=str(DAY2))
    day1_p1 = await get(
        client, superuser, SUMMARY, date_from=str(DAY1), date_to=str(DAY1), product_id=p1
    )
    none = await get(client, superuser, SUMMARY, date_to=str(DAY1 - timedelta(days=1)))

    assert (day2["inspection_count"], day2["mean_score"], day2["defect_rate"]) == (1, 50.0, 0.5)
    assert [t["day"] for t in day2["trend"]] == [str(DAY2)]
    assert [p["product_id"] for p in day2["per_product"]] == [p1]
    assert (day1_p1["inspection_count"], day1_p1["pass_rate"], day1_p1["mean_score"]) == (
        2,
        0.5,
        94.0,
    )
    assert p2 not in [p["product_id"] for p in day1_p1["per_product"]]
    assert none == {
        "inspection_count": 0,
        "pass_rate": None,
        "mean_score": None,
        "defect_rate": None,
        "per_product": [],
        "trend": [],
    }


async def test_report_parameters_are_validated(client: AsyncClient, superuser: Headers) -> None:
    for url in (STATS, SUMMARY):
        for params in (
            {"date_from": "2026-02-30"},
            {"date_from": str(TODAY), "date_to": str(TODAY - timedelta(days=1))},
            {"product_id": 0},
            {"status": "failed"},
        ):
            response = await client.get(url, params=params, headers=superuser)
            assert response.status_code == 422, (url, params)
