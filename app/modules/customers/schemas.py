import re
from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import AfterValidator, BeforeValidator, EmailStr, StringConstraints
from sqlmodel import SQLModel

from app.core.pagination import ListQuery
from app.core.schemas import UpdateSchema
from app.modules.customers.models import CustomerStatus

# Separators people type in phone numbers; anything else (letters, "#", ...) is refused.
_PHONE_SEPARATORS = re.compile(r"[\s().\-/]")
_PHONE = re.compile(r"^\+?[0-9]{6,20}$")


def normalise_phone(value: object) -> object:
    """ "+49 (30) 1234-567" -> "+49301234567": digits with an optional leading plus."""
    if not isinstance(value, str):
        return value
    compact = _PHONE_SEPARATORS.sub("", value)
    if not _PHONE.match(compact):
        raise ValueError(
            "phone must hold 6 to 20 digits, optionally after a leading +, "
            "separated only by spaces, dots, dashes, slashes or parentheses"
        )
    return compact


def _lower(value: str) -> str:
    return value.lower()


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Email = Annotated[EmailStr, StringConstraints(max_length=320), AfterValidator(_lower)]
Phone = Annotated[str, StringConstraints(max_length=21), BeforeValidator(normalise_phone)]
Company = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Notes = Annotated[str, StringConstraints(max_length=5_000)]


class CustomerBase(SQLModel):
    name: Name
    email: Email
    phone: Phone | None = None
    company: Company | None = None
    status: CustomerStatus = CustomerStatus.LEAD
    notes: Notes | None = None


class CustomerCreate(CustomerBase):
    model_config = {"extra": "forbid"}


class CustomerUpdate(UpdateSchema):
    not_null: ClassVar[frozenset[str]] = frozenset({"name", "email", "status"})

    name: Name | None = None
    email: Email | None = None
    phone: Phone | None = None
    company: Company | None = None
    status: CustomerStatus | None = None
    notes: Notes | None = None


class CustomerRead(CustomerBase):
    id: int
    email: str
    version: int
    created_at: datetime
    updated_at: datetime


class CustomerListQuery(ListQuery):
    sortable: ClassVar[frozenset[str]] = frozenset(
        {"name", "email", "company", "status", "created_at", "updated_at"}
    )

    status: CustomerStatus | None = None
