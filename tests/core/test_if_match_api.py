"""If-Match is documented as what a header can carry: text matching the pattern, or nothing."""

from typing import Any

from httpx import AsyncClient

from app.core.http.etag import IF_MATCH_PATTERN
from tests.conftest import Headers

PROBLEM = "application/problem+json"


async def test_if_match_is_documented_as_text_without_a_null_branch(client: AsyncClient) -> None:
    doc: dict[str, Any] = (await client.get("/openapi.json")).json()

    schemas = [
        parameter["schema"]
        for operations in doc["paths"].values()
        for operation in operations.values()
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "header" and parameter["name"] == "If-Match"
    ]

    assert schemas
    for schema in schemas:
        assert "anyOf" not in schema
        assert (schema["type"], schema["pattern"]) == ("string", IF_MATCH_PATTERN)


async def test_if_match_null_is_a_422_and_changes_nothing(
    client: AsyncClient, superuser: Headers
) -> None:
    created = await client.post(
        "/api/v1/products",
        json={"sku": "wid-001", "name": "Widget", "price": "19.90"},
        headers=superuser,
    )
    url = f"/api/v1/products/{created.json()['id']}"

    response = await client.patch(
        url, json={"name": "Renamed"}, headers={**superuser, "If-Match": "null"}
    )

    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM
    assert [e["loc"] for e in response.json()["errors"]] == [["header", "If-Match"]]
    assert (await client.get(url, headers=superuser)).json()["name"] == "Widget"
