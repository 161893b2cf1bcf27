"""TRUSTED_HOSTS: a request naming another host is refused before any link or redirect is
built from its Host header."""

from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from app.core.config import get_settings
from app.main import create_app
from tests.conftest import Headers, serving

EVIL = {"Host": "evil.example"}
PRODUCTS = "/api/v1/products"


def assert_names_no_other_host(location: str, *allowed: str) -> None:
    assert "evil.example" not in location
    if not location.startswith("/"):
        assert location.split("/")[2] in allowed, location
    assert not location.startswith("//"), location


async def test_an_unknown_host_is_a_400_problem_and_no_redirect(client: AsyncClient) -> None:
    for path in ("/docs/", "/docs", "/", PRODUCTS):
        response = await client.get(path, headers=EVIL)

        assert response.status_code == 400, path
        assert response.headers["content-type"] == "application/problem+json"
        assert "location" not in response.headers
        assert "x-request-id" in response.headers
        assert "evil.example" not in response.text


async def test_an_unknown_host_writes_nothing(client: AsyncClient, superuser: Headers) -> None:
    body = {"sku": "H-1", "name": "Hosted", "price": "1.00"}

    refused = await client.post(PRODUCTS, json=body, headers={**superuser, **EVIL})

    assert refused.status_code == 400
    assert "location" not in refused.headers
    assert (await client.get(PRODUCTS, headers=superuser)).json()["total"] == 0


async def test_the_docs_redirect_and_a_created_location_name_the_configured_host(
    client: AsyncClient, superuser: Headers
) -> None:
    redirect = await client.get("/docs/")
    created = await client.post(
        PRODUCTS, json={"sku": "H-1", "name": "Hosted", "price": "1.00"}, headers=superuser
    )

    assert redirect.status_code in (307, 308)
    assert_names_no_other_host(redirect.headers["location"], "testserver")
    assert redirect.headers["location"].endswith("/docs")
    assert created.status_code == 201
    assert_names_no_other_host(created.headers["location"], "testserver")


@pytest.mark.parametrize(
    "host", ["localhost", "localhost:8000", "127.0.0.1:8000", "[::1]:8000", "TestServer"]
)
async def test_local_names_with_or_without_a_port_are_served(
    client: AsyncClient, host: str
) -> None:
    assert (await client.get("/", headers={"Host": host})).status_code == 200


@pytest.mark.parametrize(
    "host", ["localhost:80:80", "localhost:http", "[::1", "localhost@evil.example", ""]
)
async def test_a_malformed_host_header_is_refused(client: AsyncClient, host: str) -> None:
    assert (await client.get("/", headers={"Host": host})).status_code == 400


async def test_probes_answer_whatever_host_they_name(client: AsyncClient) -> None:
    # Load balancers and Prometheus address the app by its IP; these answers build no links.
    for path in ("/health/live", "/health/ready", "/metrics"):
        assert (await client.get(path, headers={"Host": "10.0.0.7:8000"})).status_code == 200
    assert (await client.get("/health/live/", headers=EVIL)).status_code == 400


@pytest.fixture
async def hosted(
    test_env: None, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[FastAPI, AsyncClient]]:
    monkeypatch.setenv("TRUSTED_HOSTS", "ops.example.com, *.branch.example.com")
    get_settings.cache_clear()
    application = create_app()
    async with serving(application, "http://ops.example.com") as http:
        yield application, http


async def test_configured_hosts_and_wildcard_subdomains_are_served(
    hosted: tuple[FastAPI, AsyncClient],
) -> None:
    _, client = hosted
    served = {
        host: (await client.get("/", headers={"Host": host})).status_code
        for host in (
            "ops.example.com",
            "OPS.example.com:443",
            "north.branch.example.com",
            "branch.example.com",
            "evilbranch.example.com",
            "ops.example.com.evil.example",
            "localhost",
        )
    }

    assert served == {
        "ops.example.com": 200,
        "OPS.example.com:443": 200,
        "north.branch.example.com": 200,
        "branch.example.com": 400,
        "evilbranch.example.com": 400,
        "ops.example.com.evil.example": 400,
        "localhost": 400,
    }
