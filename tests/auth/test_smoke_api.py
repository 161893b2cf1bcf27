from httpx import AsyncClient

from tests.conftest import Headers
from tests.users import MakeUser


async def test_superuser_reads_me_with_every_permission(
    client: AsyncClient, superuser: Headers
) -> None:
    response = await client.get("/api/v1/auth/me", headers=superuser)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["email"] == "admin@example.com"
    assert "users:create" in body["permissions"]


async def test_make_user_holds_exactly_its_permissions(
    client: AsyncClient, make_user: MakeUser
) -> None:
    user = await make_user("products:update")

    me = (await client.get("/api/v1/auth/me", headers=user.headers)).json()

    assert me["permissions"] == ["products:read", "products:update"]
