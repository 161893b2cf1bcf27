import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from app.core.db.hooks import DeleteHooks
from app.core.exceptions import InvalidState, ValidationFailed
from app.modules.customers import service as customers_service
from app.modules.customers.schemas import CustomerCreate, normalise_phone
from app.modules.customers.service import CustomerService


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("+1 (555) 010-9999", "+15550109999"),
        ("0049 30 123456", "004930123456"),
        ("030/123.456", "030123456"),
    ],
)
def test_phone_numbers_keep_digits_and_a_leading_plus(raw: str, stored: str) -> None:
    assert normalise_phone(raw) == stored


@pytest.mark.parametrize("raw", ["12345", "+" + "1" * 21, "55 5x 12 34", "++491234567", "1+234567"])
def test_implausible_phone_numbers_are_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="6 to 20 digits"):
        normalise_phone(raw)


async def test_require_names_the_field_for_a_missing_customer(session: AsyncSession) -> None:
    with pytest.raises(ValidationFailed) as raised:
        await CustomerService(session).require_active(42, field="buyer_id")

    assert raised.value.errors[0].loc == ("body", "buyer_id")


async def test_a_delete_hook_can_veto_and_is_registered_once(
    session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []

    async def veto(_session: AsyncSession, customer_id: int) -> None:
        calls.append(customer_id)
        raise InvalidState("still needed")

    hooks = DeleteHooks()
    monkeypatch.setattr(customers_service, "_before_delete", hooks)
    hooks.register(veto)
    hooks.register(veto)

    customers = CustomerService(session)
    customer = await customers.create(CustomerCreate(name="Ada", email="ada@example.com"))
    with pytest.raises(InvalidState):
        await customers.delete(customer.id or 0, expected_version=None)
    assert (await customers.get(customer.id or 0)).email == "ada@example.com"

    assert calls == [customer.id]
