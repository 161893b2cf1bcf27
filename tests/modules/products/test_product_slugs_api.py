"""A product's slug is derived from its name and unique; writers racing for the same name
each get their own slug, never a 409 about a field they did not send."""

import asyncio
from typing import Any

import pytest
from httpx import AsyncClient

from app.modules.products.repository import ProductRepository
from tests.conftest import Headers

URL = "/api/v1/products"
WRITERS = 10


@pytest.fixture(autouse=True)
def _as_superuser(client: AsyncClient, superuser: Headers) -> None:
    client.headers.update(superuser)


def body(sku: str, name: str = "Blue Widget") -> dict[str, Any]:
    return {"sku": sku, "name": name, "price": "19.90"}


async def test_concurrent_creates_with_one_name_all_succeed_with_distinct_slugs(
    client: AsyncClient,
) -> None:
    answers = await asyncio.gather(
        *(client.post(URL, json=body(f"RACE-{i}")) for i in range(WRITERS))
    )

    assert [a.status_code for a in answers] == [201] * WRITERS, [a.text for a in answers]
    slugs = sorted(a.json()["slug"] for a in answers)
    expected = ["blue-widget", *(f"blue-widget-{n}" for n in range(2, WRITERS + 1))]
    assert slugs == sorted(expected)
    listed = await client.get(URL, params={"size": 100})
    assert sorted(p["slug"] for p in listed.json()["items"]) == sorted(expected)


async def test_concurrent_renames_to_one_name_all_succeed_with_distinct_slugs(
    client: AsyncClient,
) -> None:
    created = [
        (await client.post(URL, json=body(f"REN-{i}", f"Item {i}"))).json() for i in range(6)
    ]

    answers = await asyncio.gather(
        *(client.patch(f"{URL}/{p['id']}", json={"name": "Red Gear"}) for p in created)
    )

    assert [a.status_code for a in answers] == [200] * len(created), [a.text for a in answers]
    slugs = [a.json()["slug"] for a in answers]
    assert len(set(slugs)) == len(created)
    assert all(slug.startswith("red-gear") for slug in slugs)
    assert {a.json()["version"] for a in answers} == {2}
    for product, answer in zip(created, answers, strict=True):
        history = (await client.get(f"{URL}/{product['id']}/history")).json()["items"]
        assert [row["action"] for row in history] == ["create", "update"]
        assert history[-1]["changes"]["slug"] == {
            "old": product["slug"],
            "new": answer.json()["slug"],
        }


async def test_a_duplicate_sku_in_the_race_is_still_a_409_naming_the_sku(
    client: AsyncClient,
) -> None:
    answers = await asyncio.gather(*(client.post(URL, json=body("SAME-SKU")) for _ in range(4)))

    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409]
    refused = [a.json() for a in answers if a.status_code == 409]
    assert all([e["loc"] for e in r["errors"]] == [["body", "sku"]] for r in refused)


async def test_a_name_that_never_settles_is_a_409_that_blames_no_field(
    client: AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    existing = (await client.post(URL, json=body("KEEP-1", "Old Name"))).json()

    async def always_taken(*_: object) -> bool:
        return False

    monkeypatch.setattr(ProductRepository, "save_unless_slug_taken", always_taken)
    created = await client.post(URL, json=body("BUSY-1"))
    renamed = await client.patch(f"{URL}/{existing['id']}", json={"name": "Busy"})

    for answer in (created, renamed):
        assert answer.status_code == 409
        assert "errors" not in answer.json()
        assert "slug" not in answer.json()["detail"]
    assert (await client.get(URL)).json()["total"] == 1
