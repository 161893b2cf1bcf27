from httpx import AsyncClient

from tests.users import MakeUser

URL = "/api/v1/products"
BODY = {"sku": "AUTH-1", "name": "Guarded", "price": "1.00"}


async def test_every_route_without_a_token_is_401_with_bearer_challenge(
    client: AsyncClient,
) -> None:
    answers = [
        await client.get(URL),
        await client.post(URL, json=BODY),
        await client.get(f"{URL}/1"),
        await client.patch(f"{URL}/1", json={"stock": 1}),
        await client.delete(f"{URL}/1"),
    ]

    assert [a.status_code for a in answers] == [401] * 5
    assert all(a.headers["www-authenticate"] == "Bearer" for a in answers)
    assert all(a.headers["content-type"] == "application/problem+json" for a in answers)


async def test_a_token_without_the_permission_is_403_and_changes_nothing(
    client: AsyncClient, make_user: MakeUser
) -> None:
    reader = await make_user("products:read")
    nobody = await make_user()

    assert (await client.get(URL, headers=nobody.headers)).status_code == 403
    denied = await client.post(URL, json=BODY, headers=reader.headers)

    assert denied.status_code == 403
    assert denied.json()["detail"] == "You need the permission products:create for this."
    assert (await client.get(URL, headers=reader.headers)).json()["total"] == 0


async def test_any_product_permission_implies_read_and_each_action_needs_its_own(
    client: AsyncClient, make_user: MakeUser
) -> None:
    creator = await make_user("products:create")

    created = await client.post(URL, json=BODY, headers=creator.headers)
    assert created.status_code == 201
    url = f"{URL}/{created.json()['id']}"
    assert (await client.get(url, headers=creator.headers)).status_code == 200
    assert (await client.patch(url, json={"stock": 2}, headers=creator.headers)).status_code == 403
    assert (await client.delete(url, headers=creator.headers)).status_code == 403
