import asyncio
import csv
import io
from typing import Any

import pytest
from httpx import AsyncClient

from tests.conftest import Headers

URL = "/api/v1/products"


@pytest.fixture(autouse=True)
def _as_superuser(client: AsyncClient, superuser: Headers) -> None:
    client.headers.update(superuser)


def product(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "sku": "wid-001",
        "name": "Blue Widget",
        "price": "19.9",
        "stock": 5,
        "category": "widgets",
    }
    body.update(overrides)
    return body


async def create(client: AsyncClient, **overrides: Any) -> dict[str, Any]:
    response = await client.post(URL, json=product(**overrides))
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def test_create_returns_201_location_etag_and_normalised_fields(client: AsyncClient) -> None:
    response = await client.post(URL, json=product())

    assert response.status_code == 201
    body = response.json()
    assert body["sku"] == "WID-001"
    assert body["slug"] == "blue-widget"
    assert body["price"] == "19.90"
    assert body["version"] == 1
    assert response.headers["location"].endswith(f"{URL}/{body['id']}")
    assert response.headers["etag"] == '"1"'
    fetched = await client.get(response.headers["location"])
    assert fetched.status_code == 200
    assert fetched.json() == body
    assert fetched.headers["etag"] == '"1"'


async def test_duplicate_sku_is_409_naming_the_field(client: AsyncClient) -> None:
    await create(client)

    again = await client.post(URL, json=product(sku="WID-001", name="Other"))

    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert "sku" in again.json()["detail"]
    assert (await client.get(URL)).json()["total"] == 1


async def test_concurrent_creates_with_one_sku_give_one_201_and_409s(client: AsyncClient) -> None:
    answers = await asyncio.gather(
        *(client.post(URL, json=product(name=f"Widget {i}")) for i in range(6))
    )

    codes = sorted(a.status_code for a in answers)
    assert codes == [201, 409, 409, 409, 409, 409]


async def test_slug_collision_gets_a_numeric_suffix(client: AsyncClient) -> None:
    first = await create(client, sku="A-1")
    second = await create(client, sku="A-2")
    third = await create(client, sku="A-3")

    assert [first["slug"], second["slug"], third["slug"]] == [
        "blue-widget",
        "blue-widget-2",
        "blue-widget-3",
    ]


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param({"id": 99}, id="id"),
        pytest.param({"slug": "x"}, id="slug"),
        pytest.param({"version": 7}, id="version"),
        pytest.param({"created_at": "2020-01-01"}, id="created_at"),
    ],
)
async def test_unknown_body_fields_are_422_and_nothing_is_written(
    client: AsyncClient, extra: dict[str, Any]
) -> None:
    response = await client.post(URL, json=product(**extra))

    assert response.status_code == 422
    assert response.json()["errors"]
    assert (await client.get(URL)).json()["total"] == 0


@pytest.mark.parametrize(
    "case",
    [
        pytest.param({"price": "0"}, id="price-zero"),
        pytest.param({"price": "1.999"}, id="price-three-decimals"),
        pytest.param({"price": "-1"}, id="price-negative"),
        pytest.param({"stock": -1}, id="stock-negative"),
        pytest.param({"stock": 2**40}, id="stock-too-big"),
        pytest.param({"sku": "ab"}, id="sku-too-short"),
        pytest.param({"sku": "has space"}, id="sku-space"),
        pytest.param({"name": ""}, id="name-empty"),
        pytest.param({"is_active": 0}, id="is_active-number"),
        pytest.param({"stock": True}, id="stock-boolean"),
        pytest.param({"stock": "5"}, id="stock-text"),
    ],
)
async def test_invalid_values_are_422_with_field_errors(
    client: AsyncClient, case: dict[str, Any]
) -> None:
    response = await client.post(URL, json=product(**case))

    assert response.status_code == 422
    field = next(iter(case))
    assert any(e["loc"][-1] == field for e in response.json()["errors"])


async def test_patch_changes_fields_bumps_version_and_regenerates_slug(
    client: AsyncClient,
) -> None:
    created = await create(client)

    response = await client.patch(
        f"{URL}/{created['id']}",
        json={"name": "Red Widget", "stock": 9},
        headers={"If-Match": '"1"'},
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["slug"], body["stock"], body["version"]) == (
        "Red Widget",
        "red-widget",
        9,
        2,
    )
    assert response.headers["etag"] == '"2"'
    assert body["updated_at"] >= created["updated_at"]


async def test_patch_with_stale_if_match_is_412_and_changes_nothing(client: AsyncClient) -> None:
    created = await create(client)
    url = f"{URL}/{created['id']}"
    assert (
        await client.patch(url, json={"stock": 1}, headers={"If-Match": '"1"'})
    ).status_code == 200

    stale = await client.patch(url, json={"stock": 2}, headers={"If-Match": '"1"'})

    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    assert (await client.get(url)).json()["stock"] == 1


async def test_two_patches_with_one_etag_give_one_200_and_one_412(client: AsyncClient) -> None:
    created = await create(client)
    url = f"{URL}/{created['id']}"

    answers = await asyncio.gather(
        client.patch(url, json={"stock": 10}, headers={"If-Match": '"1"'}),
        client.patch(url, json={"stock": 20}, headers={"If-Match": '"1"'}),
    )

    assert sorted(a.status_code for a in answers) == [200, 412]
    assert (await client.get(url)).json()["version"] == 2


async def test_patch_null_for_required_field_is_422(client: AsyncClient) -> None:
    created = await create(client)

    response = await client.patch(f"{URL}/{created['id']}", json={"name": None})

    assert response.status_code == 422


async def test_delete_with_stale_if_match_is_412_then_current_is_204(client: AsyncClient) -> None:
    created = await create(client)
    url = f"{URL}/{created['id']}"
    await client.patch(url, json={"stock": 3})

    assert (await client.delete(url, headers={"If-Match": '"1"'})).status_code == 412
    assert (await client.delete(url, headers={"If-Match": '"2"'})).status_code == 204
    assert (await client.get(url)).status_code == 404


async def test_missing_record_is_404_problem(client: AsyncClient) -> None:
    response = await client.get(f"{URL}/12345")

    assert response.status_code == 404
    problem = response.json()
    assert problem["status"] == 404
    assert problem["instance"] == f"{URL}/12345"
    assert problem["request_id"] == response.headers["x-request-id"]


@pytest.mark.parametrize(
    "bad",
    [
        pytest.param("0", id="zero"),
        pytest.param("-1", id="negative"),
        pytest.param(str(2**63), id="over-bigint"),
        pytest.param("abc", id="not-a-number"),
    ],
)
async def test_out_of_range_ids_are_422_not_database_errors(client: AsyncClient, bad: str) -> None:
    response = await client.get(f"{URL}/{bad}")

    assert response.status_code == 422


async def test_list_filters_search_and_sorts(client: AsyncClient) -> None:
    await create(client, sku="S-1", name="Alpha bolt", price="5.00", category="bolts")
    await create(client, sku="S-2", name="Beta bolt", price="15.00", category="bolts")
    await create(client, sku="S-3", name="Gamma nut", price="25.00", category="nuts")
    await create(client, sku="S-4", name="Delta nut", price="35.00", is_active=False)

    def names(response: Any) -> list[str]:
        assert response.status_code == 200, response.text
        return [p["name"] for p in response.json()["items"]]

    assert names(await client.get(URL, params={"category": "bolts", "sort": "-price"})) == [
        "Beta bolt",
        "Alpha bolt",
    ]
    assert names(await client.get(URL, params={"q": "NUT", "sort": "name"})) == [
        "Delta nut",
        "Gamma nut",
    ]
    assert names(
        await client.get(URL, params={"min_price": "10", "max_price": "30", "sort": "price"})
    ) == ["Beta bolt", "Gamma nut"]
    assert names(await client.get(URL, params={"is_active": "false"})) == ["Delta nut"]
    assert names(await client.get(URL, params={"q": "%"})) == []


async def test_list_pages_have_the_contract_shape(client: AsyncClient) -> None:
    for i in range(5):
        await create(client, sku=f"P-{i}", name=f"Part {i}")

    response = await client.get(URL, params={"page": 2, "size": 2, "sort": "name"})

    body = response.json()
    assert {k: body[k] for k in ("total", "page", "size", "pages")} == {
        "total": 5,
        "page": 2,
        "size": 2,
        "pages": 3,
    }
    assert [p["name"] for p in body["items"]] == ["Part 2", "Part 3"]


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"size": 101}, id="size-too-big"),
        pytest.param({"size": 0}, id="size-zero"),
        pytest.param({"page": 0}, id="page-zero"),
        pytest.param({"page": 2**40}, id="page-too-big"),
        pytest.param({"sort": "password"}, id="sort-unknown"),
        pytest.param({"sort": "-description"}, id="sort-description"),
        pytest.param({"colour": "red"}, id="unknown-filter"),
        pytest.param({"page": 600, "size": 20}, id="offset-too-deep"),
        pytest.param({"min_price": "abc"}, id="min_price-not-a-number"),
    ],
)
async def test_list_rejects_bad_paging_sorting_and_filters(
    client: AsyncClient, params: dict[str, str | int]
) -> None:
    response = await client.get(URL, params=params)

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_csv_export_streams_every_match_and_neutralises_formulas(
    client: AsyncClient,
) -> None:
    await create(client, sku="C-1", name="=HYPERLINK(evil)", category="x")
    await create(client, sku="C-2", name="Plain", category="x")
    await create(client, sku="C-3", name="Other", category="y")

    response = await client.get(
        URL, params={"category": "x", "sort": "sku", "size": 1}, headers={"Accept": "text/csv"}
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:4] == ["name", "description", "category", "price"]
    name_col = rows[0].index("name")
    assert [r[name_col] for r in rows[1:]] == ["'=HYPERLINK(evil)", "Plain"]
    via_param = await client.get(URL, params={"format": "csv", "category": "x"})
    assert via_param.text.count("\n") == 3
