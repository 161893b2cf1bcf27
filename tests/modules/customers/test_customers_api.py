import asyncio
import csv
import io
from typing import Any

import pytest
from httpx import AsyncClient

from tests.conftest import Headers
from tests.users import MakeUser

URL = "/api/v1/customers"


def customer(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Ada Lovelace",
        "email": "Ada@Example.COM",
        "phone": "+44 (20) 7946-0958",
        "company": "Analytical Engines",
    }
    body.update(overrides)
    return body


async def create(client: AsyncClient, headers: Headers, **overrides: Any) -> dict[str, Any]:
    response = await client.post(URL, json=customer(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


async def test_create_returns_201_location_etag_and_normalised_fields(
    client: AsyncClient, superuser: Headers
) -> None:
    response = await client.post(URL, json=customer(), headers=superuser)

    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "ada@example.com"
    assert body["phone"] == "+442079460958"
    assert body["status"] == "lead"
    assert body["version"] == 1
    assert response.headers["location"].endswith(f"{URL}/{body['id']}")
    assert response.headers["etag"] == '"1"'
    fetched = await client.get(response.headers["location"], headers=superuser)
    assert fetched.json() == body
    assert fetched.headers["etag"] == '"1"'


async def test_duplicate_email_in_any_case_is_409_naming_email(
    client: AsyncClient, superuser: Headers
) -> None:
    await create(client, superuser)

    again = await client.post(
        URL, json=customer(email="ADA@example.com", name="Other"), headers=superuser
    )

    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert "email" in again.json()["detail"]
    assert (await client.get(URL, headers=superuser)).json()["total"] == 1


async def test_changing_email_to_a_taken_one_is_409(
    client: AsyncClient, superuser: Headers
) -> None:
    await create(client, superuser)
    other = await create(client, superuser, email="grace@example.com")

    response = await client.patch(
        f"{URL}/{other['id']}", json={"email": "ada@example.com"}, headers=superuser
    )

    assert response.status_code == 409
    assert "email" in response.json()["detail"]


async def test_concurrent_creates_with_one_email_give_one_201(
    client: AsyncClient, superuser: Headers
) -> None:
    answers = await asyncio.gather(
        *(client.post(URL, json=customer(name=f"Ada {i}"), headers=superuser) for i in range(4))
    )

    assert sorted(a.status_code for a in answers) == [201, 409, 409, 409]


@pytest.mark.parametrize(
    "case",
    [
        pytest.param({"name": ""}, id="name-empty"),
        pytest.param({"name": "x" * 201}, id="name-too-long"),
        pytest.param({"email": "not-an-email"}, id="email-without-at"),
        pytest.param({"email": "a@b"}, id="email-without-domain-dot"),
        pytest.param({"phone": "12345"}, id="phone-too-short"),
        pytest.param({"phone": "call me maybe"}, id="phone-words"),
        pytest.param({"phone": "+1 555 123 4567 ext 9"}, id="phone-extension"),
        pytest.param({"phone": "1" * 21}, id="phone-too-long"),
        pytest.param({"phone": 491234567}, id="phone-number-not-text"),
        pytest.param({"status": "prospect"}, id="status-unknown"),
        pytest.param({"notes": "x" * 5_001}, id="notes-too-long"),
    ],
)
async def test_invalid_values_are_422_naming_the_field_and_create_nothing(
    client: AsyncClient, superuser: Headers, case: dict[str, Any]
) -> None:
    response = await client.post(URL, json=customer(**case), headers=superuser)

    assert response.status_code == 422
    field = next(iter(case))
    assert any(field in e["loc"] for e in response.json()["errors"])
    assert (await client.get(URL, headers=superuser)).json()["total"] == 0


async def test_phone_is_optional_and_normalised(client: AsyncClient, superuser: Headers) -> None:
    without = await create(client, superuser, email="a@example.com", phone=None)
    dotted = await create(client, superuser, email="b@example.com", phone="030.123 456/78")

    assert without["phone"] is None
    assert dotted["phone"] == "03012345678"


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param({"id": 5}, id="id"),
        pytest.param({"version": 3}, id="version"),
        pytest.param({"owner": "me"}, id="unknown-field"),
    ],
)
async def test_unknown_fields_are_422(
    client: AsyncClient, superuser: Headers, extra: dict[str, Any]
) -> None:
    created = await create(client, superuser)

    posted = await client.post(URL, json=customer(**extra), headers=superuser)
    patched = await client.patch(f"{URL}/{created['id']}", json=extra, headers=superuser)

    assert posted.status_code == 422
    assert patched.status_code == 422


async def test_patch_with_if_match_bumps_version_and_stale_is_412(
    client: AsyncClient, superuser: Headers
) -> None:
    created = await create(client, superuser)
    url = f"{URL}/{created['id']}"

    first = await client.patch(
        url, json={"status": "active", "phone": None}, headers={**superuser, "If-Match": '"1"'}
    )
    stale = await client.patch(
        url, json={"status": "inactive"}, headers={**superuser, "If-Match": '"1"'}
    )

    assert first.status_code == 200
    assert (first.json()["status"], first.json()["phone"], first.json()["version"]) == (
        "active",
        None,
        2,
    )
    assert first.headers["etag"] == '"2"'
    assert stale.status_code == 412
    assert (await client.get(url, headers=superuser)).json()["status"] == "active"


@pytest.mark.parametrize("field", ["name", "email", "status"])
async def test_patch_null_for_a_required_field_is_422(
    client: AsyncClient, superuser: Headers, field: str
) -> None:
    created = await create(client, superuser)

    response = await client.patch(f"{URL}/{created['id']}", json={field: None}, headers=superuser)

    assert response.status_code == 422


async def test_delete_with_stale_if_match_is_412_then_204_then_404(
    client: AsyncClient, superuser: Headers
) -> None:
    created = await create(client, superuser)
    url = f"{URL}/{created['id']}"
    await client.patch(url, json={"notes": "VIP"}, headers=superuser)

    assert (await client.delete(url, headers={**superuser, "If-Match": '"1"'})).status_code == 412
    assert (await client.delete(url, headers={**superuser, "If-Match": '"2"'})).status_code == 204
    assert (await client.get(url, headers=superuser)).status_code == 404
    assert (await client.delete(url, headers=superuser)).status_code == 404


async def test_list_filters_by_q_and_status_and_sorts(
    client: AsyncClient, superuser: Headers
) -> None:
    await create(client, superuser, name="Zed", email="z@acme.example", company="Acme")
    await create(client, superuser, name="Amy", email="amy@other.example", company="Globex")
    await create(
        client, superuser, name="Bob", email="bob@acme.example", company=None, status="active"
    )
    await create(client, superuser, name="Cy", email="cy@x.example", company="50%_off")

    def names(response: Any) -> list[str]:
        assert response.status_code == 200, response.text
        return [c["name"] for c in response.json()["items"]]

    assert names(
        await client.get(URL, params={"q": "ACME", "sort": "name"}, headers=superuser)
    ) == [
        "Bob",
        "Zed",
    ]
    assert names(await client.get(URL, params={"q": "globex"}, headers=superuser)) == ["Amy"]
    assert names(await client.get(URL, params={"q": "amy"}, headers=superuser)) == ["Amy"]
    assert names(await client.get(URL, params={"q": "%_"}, headers=superuser)) == ["Cy"]
    assert names(await client.get(URL, params={"status": "active"}, headers=superuser)) == ["Bob"]
    assert names(await client.get(URL, params={"sort": "-email"}, headers=superuser)) == [
        "Zed",
        "Cy",
        "Bob",
        "Amy",
    ]


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"sort": "notes"}, id="sort-notes"),
        pytest.param({"sort": "phone"}, id="sort-phone"),
        pytest.param({"status": "vip"}, id="status-unknown"),
        pytest.param({"colour": "red"}, id="unknown-filter"),
        pytest.param({"size": 101}, id="size-too-big"),
        pytest.param({"page": 0}, id="page-zero"),
    ],
)
async def test_list_rejects_unknown_sorts_filters_and_bad_paging(
    client: AsyncClient, superuser: Headers, params: dict[str, Any]
) -> None:
    response = await client.get(URL, params=params, headers=superuser)

    assert response.status_code == 422


async def test_list_pages_have_the_contract_shape(client: AsyncClient, superuser: Headers) -> None:
    for i in range(5):
        await create(client, superuser, name=f"C{i}", email=f"c{i}@example.com")

    body = (
        await client.get(URL, params={"page": 2, "size": 2, "sort": "name"}, headers=superuser)
    ).json()

    assert {k: body[k] for k in ("total", "page", "size", "pages")} == {
        "total": 5,
        "page": 2,
        "size": 2,
        "pages": 3,
    }
    assert [c["name"] for c in body["items"]] == ["C2", "C3"]


async def test_csv_export_has_every_match_and_neutralises_formulas(
    client: AsyncClient, superuser: Headers
) -> None:
    await create(client, superuser, name="=cmd|' /C calc'!A0", email="x@example.com")
    await create(client, superuser, name="Plain", email="y@example.com")

    response = await client.get(
        URL, params={"sort": "email", "size": 1}, headers={**superuser, "Accept": "text/csv"}
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == [
        "name",
        "email",
        "phone",
        "company",
        "status",
        "notes",
        "id",
        "version",
        "created_at",
        "updated_at",
    ]
    assert [r[0] for r in rows[1:]] == ["'=cmd|' /C calc'!A0", "Plain"]


async def test_permissions_are_enforced_per_action(
    client: AsyncClient, superuser: Headers, make_user: MakeUser
) -> None:
    created = await create(client, superuser)
    url = f"{URL}/{created['id']}"
    reader = await make_user("customers:read")
    editor = await make_user("customers:update")
    outsider = await make_user("tasks:read")

    assert (await client.get(URL)).status_code == 401
    assert (await client.get(url, headers=reader.headers)).status_code == 200
    assert (await client.get(url, headers=editor.headers)).status_code == 200
    assert (await client.get(url, headers=outsider.headers)).status_code == 403
    assert (
        await client.post(URL, json=customer(email="n@example.com"), headers=reader.headers)
    ).status_code == 403
    assert (await client.patch(url, json={"notes": "x"}, headers=reader.headers)).status_code == 403
    assert (await client.patch(url, json={"notes": "x"}, headers=editor.headers)).status_code == 200
    assert (await client.delete(url, headers=editor.headers)).status_code == 403


async def test_permissions_are_declared(client: AsyncClient, superuser: Headers) -> None:
    response = await client.get("/api/v1/permissions", headers=superuser)

    names = {p["name"] for p in response.json()}
    assert {"customers:read", "customers:create", "customers:update", "customers:delete"} <= names


async def test_history_lists_every_change_oldest_first_and_outlives_the_record(
    client: AsyncClient, superuser: Headers
) -> None:
    created = await create(client, superuser)
    url = f"{URL}/{created['id']}"
    await client.patch(url, json={"status": "active"}, headers=superuser)
    assert (await client.delete(url, headers=superuser)).status_code == 204

    history = await client.get(f"{url}/history", headers=superuser)

    assert history.status_code == 200
    items = history.json()["items"]
    assert [row["action"] for row in items] == ["create", "update", "delete"]
    assert items[0]["changes"]["email"] == {"old": None, "new": "ada@example.com"}
    assert items[1]["changes"] == {"status": {"old": "lead", "new": "active"}}
    assert {row["actor"] for row in items} == {"admin@example.com"}
    assert (await client.get(f"{URL}/999/history", headers=superuser)).status_code == 404
