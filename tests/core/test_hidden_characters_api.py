"""Text a person cannot see is refused the same way on SQLite and PostgreSQL."""

from typing import Any

import pytest
from httpx import AsyncClient

from app.core.http.export import neutralise
from tests.conftest import Headers

PRODUCTS = "/api/v1/products"


def product(**overrides: Any) -> dict[str, Any]:
    return {"sku": "HID-1", "name": "Widget", "price": "1.00", "stock": 1} | overrides


def fields(response: Any) -> list[list[Any]]:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [error["loc"] for error in response.json()["errors"]]


@pytest.mark.parametrize(
    "text",
    ["Nul\u0000byte", "\u0000", "price \u202e09.91", "isolated \u2066x\u2069"],
    ids=["nul-inside", "nul-alone", "right-to-left-override", "isolate"],
)
async def test_nul_and_bidi_controls_in_a_body_are_422_naming_the_field(
    client: AsyncClient, superuser: Headers, text: str
) -> None:
    answer = await client.post(PRODUCTS, json=product(name=text), headers=superuser)

    assert fields(answer) == [["body", "name"]]
    assert "\\u" not in answer.json()["detail"]
    assert (await client.get(PRODUCTS, headers=superuser)).json()["total"] == 0


async def test_every_field_holding_one_is_named_in_nested_bodies_too(
    client: AsyncClient, superuser: Headers
) -> None:
    created = await client.post(PRODUCTS, json=product(), headers=superuser)
    url = f"{PRODUCTS}/{created.json()['id']}"

    answer = await client.patch(
        url,
        json={"name": "ok", "description": "a\u0000b", "category": "\u202dx"},
        headers=superuser,
    )

    assert fields(answer) == [["body", "description"], ["body", "category"]]
    assert (await client.get(url, headers=superuser)).json()["version"] == 1


async def test_a_nul_in_query_text_is_422_naming_the_parameter(
    client: AsyncClient, superuser: Headers
) -> None:
    answer = await client.get(PRODUCTS, params={"q": "wid\u0000get"}, headers=superuser)

    assert fields(answer) == [["query", "q"]]


@pytest.mark.parametrize(
    "name", ["\u200b", " \u200b\u200c ", "\u0085", "\u00ad\u2060"], ids=["zwsp", "zw", "nel", "shy"]
)
async def test_a_name_made_only_of_invisible_characters_is_blank(
    client: AsyncClient, superuser: Headers, name: str
) -> None:
    answer = await client.post(PRODUCTS, json=product(name=name), headers=superuser)

    assert fields(answer) == [["body", "name"]]


async def test_ordinary_punctuation_and_scripts_still_pass(
    client: AsyncClient, superuser: Headers
) -> None:
    name = "Stahl\u2014Rohr \u201eDIN\u201c \u05e2\u05d1\u05e8\u05d9\u05ea \u0627\u0644\u0639"

    answer = await client.post(PRODUCTS, json=product(name=name), headers=superuser)

    assert answer.status_code == 201, answer.text
    assert answer.json()["name"] == name


def test_csv_export_neutralises_a_leading_nul_like_a_formula() -> None:
    assert neutralise("\u0000=1+1") == "'\u0000=1+1"
