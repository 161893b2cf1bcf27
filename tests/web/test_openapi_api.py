"""The OpenAPI document the docs pages and the admin UI read."""

from typing import Any

from fastapi import FastAPI
from httpx import AsyncClient

from app.web.openapi import build_openapi, example_for


async def document(client: AsyncClient) -> dict[str, Any]:
    response = await client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def test_document_has_description_tags_and_the_problem_schema(client: AsyncClient) -> None:
    doc = await document(client)

    assert "FastOps" in doc["info"]["description"]
    tags = {tag["name"]: tag["description"] for tag in doc["tags"]}
    assert {"products", "auth", "audit", "health"} <= set(tags)
    assert all(tags.values())
    problem = doc["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "detail"} <= set(problem["required"])


async def test_every_problem_reference_resolves(client: AsyncClient) -> None:
    doc = await document(client)
    text = str(doc)

    assert "#/components/schemas/Problem" in text
    assert "Problem" in doc["components"]["schemas"]


async def test_authorize_uses_the_password_flow_against_login(client: AsyncClient) -> None:
    doc = await document(client)

    schemes = doc["components"]["securitySchemes"].values()
    flows = [s["flows"]["password"]["tokenUrl"] for s in schemes if s["type"] == "oauth2"]
    assert flows == ["/api/v1/auth/login"]


async def test_every_request_body_has_an_example(client: AsyncClient) -> None:
    doc = await document(client)

    bodies = [
        (path, method, media)
        for path, operations in doc["paths"].items()
        for method, operation in operations.items()
        for media in operation.get("requestBody", {}).get("content", {}).values()
    ]
    assert bodies
    for path, method, media in bodies:
        assert "example" in media or "examples" in media, (path, method)
    product = doc["paths"]["/api/v1/products"]["post"]["requestBody"]["content"]
    assert product["application/json"]["example"]["sku"] == "WIDGET-001"


async def test_lists_name_their_sort_fields(client: AsyncClient) -> None:
    doc = await document(client)
    products = doc["paths"]["/api/v1/products"]["get"]

    assert "sku" in products["x-sort-fields"]
    sort = next(p for p in products["parameters"] if p["name"] == "sort")
    assert "Allowed: " in sort["description"]


async def test_document_is_built_once(app: FastAPI) -> None:
    assert app.openapi() is app.openapi()


def test_examples_cover_every_schema_shape() -> None:
    components = {"Thing": {"type": "object", "properties": {"n": {"type": "integer"}}}}

    assert example_for({"$ref": "#/components/schemas/Thing"}, components) == {"n": 1}
    assert example_for({"type": "array", "items": {"type": "boolean"}}, {}) == [True]
    assert example_for({"enum": ["a", "b"]}, {}) == "a"
    assert example_for({"type": "number"}, {}) == 1.0
    assert example_for({"type": "string", "format": "date"}, {}) == "2026-11-24"
    assert example_for({"type": "string"}, {}) == "string"
    assert example_for({"default": 5}, {}) == 5
    assert example_for({"anyOf": [{"type": "null"}, {"type": "integer", "minimum": 3}]}, {}) == 3
    deep: dict[str, Any] = {"$ref": "#/components/schemas/Loop"}
    assert example_for(deep, {"Loop": deep}) is None


def test_an_app_without_an_oauth2_scheme_gets_one() -> None:
    app = FastAPI()

    @app.get("/api/v1/things")
    async def list_things() -> list[int]:
        return []

    doc = build_openapi(app)

    assert doc["components"]["securitySchemes"]["OAuth2PasswordBearer"]["type"] == "oauth2"
    assert doc["paths"]["/api/v1/things"]["get"]["security"] == [{"OAuth2PasswordBearer": []}]
